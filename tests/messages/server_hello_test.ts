import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, fromHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ExtensionType as E, HandshakeType, HRR_RANDOM } from "../../src/constants.ts";
import {
  cookieExtension,
  keyShareHrrExtension,
  parseExtension,
  readKeyShareEntry,
  readRecordSizeLimit,
  readSupportedGroups,
  supportedVersionsServerExtension,
} from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import {
  decodeEncryptedExtensions,
  decodeServerHello,
  encodeEncryptedExtensions,
  encodeServerHello,
  isHelloRetryRequest,
  type ServerHello,
  serverHelloMessage,
} from "../../src/messages/server_hello.ts";
import { resumed0Rtt as R, simple1Rtt as V } from "../vectors/rfc8448.ts";
import { assertAlert, assertRobust } from "./_assert.ts";

const h = fromHex;

describe("ServerHello: RFC 8448", () => {
  it("decodes §3's ServerHello: x25519 share, TLS 1.3, TLS_AES_128_GCM_SHA256", () => {
    assert.equal(V.serverHello[0], HandshakeType.server_hello);
    const sh = decodeServerHello(V.serverHello.subarray(4));
    assert.equal(sh.legacyVersion, 0x0303);
    assert.deepEqual(
      sh.random,
      h("a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928"),
    );
    assert.equal(sh.sessionId.byteLength, 0);
    assert.equal(sh.cipherSuite, 0x1301);
    assert.equal(sh.compressionMethod, 0);
    assert.deepEqual(sh.extensions.map((e) => e.type), [E.key_share, E.supported_versions]);
    assert.deepEqual(parseExtension(sh.extensions[0], readKeyShareEntry), {
      group: 0x001d,
      keyExchange: V.serverPublicKey,
    });
    assert.deepEqual(sh.extensions[1], supportedVersionsServerExtension(0x0304));
    assert.equal(isHelloRetryRequest(sh), false);
    assert.deepEqual(serverHelloMessage(sh).raw, V.serverHello);
  });

  it("decodes §4's ServerHello, which selects PSK identity 0", () => {
    const sh = decodeServerHello(R.serverHello.subarray(4));
    assert.deepEqual(sh.extensions.map((e) => e.type), [
      E.pre_shared_key,
      E.key_share,
      E.supported_versions,
    ]);
    assert.equal(parseExtension(sh.extensions[0], (r) => r.u16()), 0);
    assert.deepEqual(serverHelloMessage(sh).raw, R.serverHello);
  });

  it("survives truncation and corruption", () => {
    // Up to the compression method it is a complete TLS 1.2 ServerHello (RFC 5246 §7.4.1.3).
    assert.deepEqual(assertRobust(decodeServerHello, V.serverHello.subarray(4)), [
      2 + 32 + 1 + 2 + 1,
    ]);
    assertRobust(decodeServerHello, R.serverHello.subarray(4));
  });
});

describe("ServerHello: HelloRetryRequest and malformed input", () => {
  const hrr: ServerHello = {
    legacyVersion: 0x0303,
    random: HRR_RANDOM,
    sessionId: new Uint8Array(32).fill(7),
    cipherSuite: 0x1302,
    compressionMethod: 0,
    extensions: [
      supportedVersionsServerExtension(0x0304),
      keyShareHrrExtension(0x0017),
      cookieExtension(h("c0ffee")),
    ],
  };

  it("round-trips a HelloRetryRequest and recognises it by its random (RFC 8446 §4.1.3)", () => {
    const back = decodeServerHello(encodeServerHello(hrr));
    assert.deepEqual(back, hrr);
    assert.equal(isHelloRetryRequest(back), true);
    assert.equal(isHelloRetryRequest({ ...back, random: new Uint8Array(32) }), false);
    assertRobust(decodeServerHello, encodeServerHello(hrr));
  });

  it("accepts a TLS 1.2 ServerHello without an extensions block", () => {
    const sh = { ...hrr, random: new Uint8Array(32), extensions: [] };
    const bytes = encodeServerHello(sh);
    assert.deepEqual(decodeServerHello(bytes.subarray(0, bytes.byteLength - 2)), sh);
  });

  it("refuses a legacy_session_id_echo over 32 bytes with decode_error", () => {
    assertAlert(
      () => decodeServerHello(encodeServerHello({ ...hrr, sessionId: new Uint8Array(33) })),
      Alert.decode_error,
    );
  });

  it("refuses trailing bytes with decode_error", () => {
    assertAlert(
      () => decodeServerHello(concat(encodeServerHello(hrr), h("00"))),
      Alert.decode_error,
    );
  });

  it("refuses a duplicate extension with illegal_parameter", () => {
    const dup = { ...hrr, extensions: [...hrr.extensions, keyShareHrrExtension(0x001d)] };
    assertAlert(() => decodeServerHello(encodeServerHello(dup)), Alert.illegal_parameter);
  });
});

describe("EncryptedExtensions", () => {
  it("decodes RFC 8448 §3's: supported_groups, record_size_limit, empty server_name", () => {
    assert.equal(V.encryptedExtensions[0], HandshakeType.encrypted_extensions);
    const exts = decodeEncryptedExtensions(V.encryptedExtensions.subarray(4));
    assert.deepEqual(exts.map((e) => e.type), [
      E.supported_groups,
      E.record_size_limit,
      E.server_name,
    ]);
    assert.deepEqual(parseExtension(exts[0], readSupportedGroups), [
      0x001d,
      0x0017,
      0x0018,
      0x0019,
      0x0100,
      0x0101,
      0x0102,
      0x0103,
      0x0104,
    ]);
    assert.equal(parseExtension(exts[1], readRecordSizeLimit), 0x4001);
    assert.equal(exts[2].data.byteLength, 0);
    const body = encodeEncryptedExtensions(exts);
    assert.deepEqual(
      frameHandshake(HandshakeType.encrypted_extensions, body).raw,
      V.encryptedExtensions,
    );
  });

  it("round-trips an empty list", () => {
    assert.deepEqual(encodeEncryptedExtensions([]), h("0000"));
    assert.deepEqual(decodeEncryptedExtensions(h("0000")), []);
  });

  it("refuses a missing block, trailing bytes and duplicates", () => {
    assertAlert(() => decodeEncryptedExtensions(h("")), Alert.decode_error);
    assertAlert(() => decodeEncryptedExtensions(h("000000")), Alert.decode_error);
    assertAlert(
      () => decodeEncryptedExtensions(h("0008" + "00000000" + "00000000")),
      Alert.illegal_parameter,
    );
  });

  it("survives truncation and corruption", () => {
    assert.deepEqual(
      assertRobust(decodeEncryptedExtensions, V.encryptedExtensions.subarray(4)),
      [],
    );
  });
});
