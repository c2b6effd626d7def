import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, fromHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ExtensionType as E, HandshakeType } from "../../src/constants.ts";
import {
  type ClientHello,
  clientHelloMessage,
  decodeClientHello,
  encodeClientHello,
  truncateForBinders,
} from "../../src/messages/client_hello.ts";
import {
  bindersLength,
  findExtension,
  parseExtension,
  readKeyShareClient,
  readPreSharedKeyClient,
  readPskModes,
  readRecordSizeLimit,
  readRenegotiationInfo,
  readServerName,
  readSignatureAlgorithms,
  readSupportedGroups,
  readSupportedVersionsClient,
} from "../../src/messages/extensions.ts";
import { decodeNewSessionTicket13 } from "../../src/messages/post_handshake.ts";
import { resumed0Rtt as R, simple1Rtt as V } from "../vectors/rfc8448.ts";
import { assertAlert, assertRobust } from "./_assert.ts";

const h = fromHex;

/** The signature schemes RFC 8448's client offers, in its order. */
const RFC8448_SIGNATURE_SCHEMES = [
  0x0403,
  0x0503,
  0x0603,
  0x0203,
  0x0804,
  0x0805,
  0x0806,
  0x0401,
  0x0501,
  0x0601,
  0x0201,
  0x0402,
  0x0502,
  0x0602,
  0x0202,
];

/** RFC 8448's supported_groups: x25519, P-256/384/521, ffdhe2048..8192. */
const RFC8448_GROUPS = [
  0x001d,
  0x0017,
  0x0018,
  0x0019,
  0x0100,
  0x0101,
  0x0102,
  0x0103,
  0x0104,
];

function ext(ch: ClientHello, type: number) {
  const e = findExtension(ch.extensions, type);
  assert.ok(e, `no ${E[type]} extension`);
  return e;
}

/** A small valid ClientHello to corrupt in the malformed-input tests. */
function sample(): ClientHello {
  return {
    legacyVersion: 0x0303,
    random: new Uint8Array(32).fill(0x11),
    sessionId: new Uint8Array(32).fill(0x22),
    cipherSuites: [0x1301, 0x1302],
    compressionMethods: [0],
    extensions: [{ type: E.supported_versions, data: h("020304") }],
  };
}

describe("ClientHello: RFC 8448 §3", () => {
  const body = V.clientHello.subarray(4);

  it("decodes every field of the trace's ClientHello", () => {
    assert.equal(V.clientHello[0], HandshakeType.client_hello);
    const ch = decodeClientHello(body);
    assert.equal(ch.legacyVersion, 0x0303);
    assert.deepEqual(
      ch.random,
      h("cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"),
    );
    assert.equal(ch.sessionId.byteLength, 0);
    assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
    assert.deepEqual(ch.compressionMethods, [0]);
    assert.deepEqual(ch.extensions.map((e) => e.type), [
      E.server_name,
      E.renegotiation_info,
      E.supported_groups,
      E.session_ticket,
      E.key_share,
      E.supported_versions,
      E.signature_algorithms,
      E.psk_key_exchange_modes,
      E.record_size_limit,
    ]);
    assert.equal(parseExtension(ext(ch, E.server_name), readServerName), "server");
    assert.equal(parseExtension(ext(ch, E.renegotiation_info), readRenegotiationInfo).length, 0);
    assert.deepEqual(
      parseExtension(ext(ch, E.supported_groups), readSupportedGroups),
      RFC8448_GROUPS,
    );
    assert.equal(ext(ch, E.session_ticket).data.byteLength, 0);
    assert.deepEqual(parseExtension(ext(ch, E.key_share), readKeyShareClient), [
      { group: 0x001d, keyExchange: V.clientPublicKey },
    ]);
    assert.deepEqual(parseExtension(ext(ch, E.supported_versions), readSupportedVersionsClient), [
      0x0304,
    ]);
    assert.deepEqual(
      parseExtension(ext(ch, E.signature_algorithms), readSignatureAlgorithms),
      RFC8448_SIGNATURE_SCHEMES,
    );
    assert.deepEqual(parseExtension(ext(ch, E.psk_key_exchange_modes), readPskModes), [1]);
    assert.equal(parseExtension(ext(ch, E.record_size_limit), readRecordSizeLimit), 0x4001);
  });

  it("re-encodes to the same bytes", () => {
    const ch = decodeClientHello(body);
    assert.deepEqual(encodeClientHello(ch), body);
    assert.deepEqual(clientHelloMessage(ch).raw, V.clientHello);
  });

  it("survives truncation and corruption; only the extension-less prefix decodes", () => {
    // Up to the compression methods it is a complete TLS 1.2 ClientHello (RFC 5246 §7.4.1.2).
    assert.deepEqual(assertRobust(decodeClientHello, body), [2 + 32 + 1 + 8 + 2]);
  });
});

describe("ClientHello: RFC 8448 §4 (PSK)", () => {
  const body = R.clientHello.subarray(4);

  it("decodes the pre_shared_key offer of the §3 ticket and the padding", () => {
    const ch = decodeClientHello(body);
    assert.deepEqual(
      ch.random,
      h("1bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95"),
    );
    assert.deepEqual(ch.extensions.map((e) => e.type), [
      E.server_name,
      E.renegotiation_info,
      E.supported_groups,
      E.key_share,
      E.early_data,
      E.supported_versions,
      E.signature_algorithms,
      E.psk_key_exchange_modes,
      E.record_size_limit,
      E.padding,
      E.pre_shared_key,
    ]);
    assert.equal(ext(ch, E.early_data).data.byteLength, 0);
    assert.deepEqual(ext(ch, E.padding).data, new Uint8Array(0x57));
    const nst = decodeNewSessionTicket13(V.newSessionTicket.subarray(4));
    const psk = parseExtension(ext(ch, E.pre_shared_key), readPreSharedKeyClient);
    assert.deepEqual(psk, {
      identities: [{ identity: nst.ticket, obfuscatedTicketAge: 0xfad6aacb }],
      binders: [R.binder],
    });
  });

  it("re-encodes to the same bytes", () => {
    assert.deepEqual(clientHelloMessage(decodeClientHello(body)).raw, R.clientHello);
  });

  it("truncates before the binders exactly where the trace's binder hash starts", () => {
    assert.deepEqual(truncateForBinders(R.clientHello, bindersLength([32])), R.clientHelloPrefix);
  });

  it("survives truncation and corruption", () => {
    assert.deepEqual(assertRobust(decodeClientHello, body), [2 + 32 + 1 + 8 + 2]);
  });
});

describe("ClientHello: malformed", () => {
  it("round-trips a hand-made ClientHello", () => {
    const ch = sample();
    assert.deepEqual(decodeClientHello(encodeClientHello(ch)), ch);
  });

  it("accepts a TLS 1.2 ClientHello without an extensions block", () => {
    const ch = { ...sample(), extensions: [] };
    const bytes = encodeClientHello(ch);
    const bare = bytes.subarray(0, bytes.byteLength - 2);
    assert.deepEqual(decodeClientHello(bare), ch);
  });

  it("refuses pre_shared_key that is not the last extension with illegal_parameter", () => {
    const ch = sample();
    ch.extensions = [
      { type: E.pre_shared_key, data: h("00") },
      { type: E.supported_versions, data: h("020304") },
    ];
    assertAlert(() => decodeClientHello(encodeClientHello(ch)), Alert.illegal_parameter, /last/);
  });

  it("refuses a duplicate extension with illegal_parameter", () => {
    const ch = sample();
    ch.extensions = [ch.extensions[0], { type: E.server_name, data: h("") }, ch.extensions[0]];
    assertAlert(() => decodeClientHello(encodeClientHello(ch)), Alert.illegal_parameter);
  });

  it("refuses trailing bytes with decode_error", () => {
    assertAlert(
      () => decodeClientHello(concat(encodeClientHello(sample()), h("00"))),
      Alert.decode_error,
    );
  });

  it("refuses out-of-bounds lengths with decode_error", () => {
    const bytes = encodeClientHello(sample());
    const suitesAt = 2 + 32 + 1 + 32;
    const cases: ((b: Uint8Array) => void)[] = [
      // legacy_session_id<0..32> announcing 33 bytes.
      (b) => b[34] = 33,
      // cipher_suites<2..2^16-2>: empty, then odd.
      (b) => b[suitesAt + 1] = 0,
      (b) => b[suitesAt + 1] = 3,
      // legacy_compression_methods<1..2^8-1>: empty.
      (b) => b[suitesAt + 6] = 0,
    ];
    for (const mutate of cases) {
      const b = bytes.slice();
      mutate(b);
      assertAlert(() => decodeClientHello(b), Alert.decode_error);
    }
  });

  it("refuses a legacy_session_id of 33 bytes even when the bytes are present", () => {
    const ch = sample();
    ch.sessionId = new Uint8Array(33);
    assertAlert(() => decodeClientHello(encodeClientHello(ch)), Alert.decode_error);
  });
});
