import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat, fromHex, utf8 } from "../../src/_bytes.ts";
import { Alert, TLSAlertError } from "../../src/alert.ts";
import { DecodeError, Reader } from "../../src/codec/reader.ts";
import { Writer } from "../../src/codec/writer.ts";
import {
  ExtensionType as E,
  NamedGroup,
  PskKeyExchangeMode,
  SignatureScheme,
  Version,
} from "../../src/constants.ts";
import {
  alpnExtension,
  bindersLength,
  certificateAuthoritiesExtension,
  cookieExtension,
  ecPointFormatsExtension,
  emptyExtension,
  type Extension,
  extensionName,
  findExtension,
  keyShareClientExtension,
  keyShareHrrExtension,
  keyShareServerExtension,
  parseExtension,
  preSharedKeyClientExtension,
  preSharedKeyServerExtension,
  pskModesExtension,
  readAlpn,
  readCertificateAuthorities,
  readCookie,
  readEcPointFormats,
  readExtensions,
  readKeyShareClient,
  readKeyShareEntry,
  readMaxEarlyData,
  readPreSharedKeyClient,
  readPskModes,
  readRecordSizeLimit,
  readRenegotiationInfo,
  readServerName,
  readSignatureAlgorithms,
  readSupportedGroups,
  readSupportedVersionsClient,
  renegotiationInfoExtension,
  serverNameExtension,
  signatureAlgorithmsExtension,
  supportedGroupsExtension,
  supportedVersionsClientExtension,
  supportedVersionsServerExtension,
  writeExtensions,
} from "../../src/messages/extensions.ts";
import { assertAlert, assertRobust } from "./_assert.ts";

const h = fromHex;

/** An extension of `type` whose data is `hex`, for feeding malformed bodies to readers. */
function ext(type: number, hex: string): Extension {
  return { type, data: h(hex) };
}

function block(exts: readonly Extension[]): Bytes {
  const w = new Writer();
  writeExtensions(w, exts);
  return w.finish();
}

function readBlock(bytes: Bytes): Extension[] {
  const r = new Reader(bytes);
  const out = readExtensions(r);
  r.end();
  return out;
}

/** Asserts every truncation and byte corruption of `e` fails only with wire errors. */
function robust<T>(e: Extension, read: (r: Reader) => T): void {
  assertRobust((data) => parseExtension({ type: e.type, data }, read), e.data);
}

describe("extension blocks", () => {
  it("round-trip in wire order, unknown types included", () => {
    const exts = [ext(0x1234, "abcd"), ext(E.server_name, ""), ext(0xfafa, "00")];
    const bytes = block(exts);
    assert.deepEqual(bytes, h("000f" + "12340002abcd" + "00000000" + "fafa000100"));
    assert.deepEqual(readBlock(bytes), exts);
  });

  it("round-trip an empty block", () => {
    assert.deepEqual(block([]), h("0000"));
    assert.deepEqual(readBlock(h("0000")), []);
  });

  it("refuse a repeated extension type with illegal_parameter (RFC 8446 §4.2)", () => {
    assertAlert(
      () => readBlock(h("0008" + "00000000" + "00000000")),
      Alert.illegal_parameter,
      /duplicate server_name/,
    );
    // Unknown types count too.
    assertAlert(() => readBlock(h("0009" + "fafa0000" + "fafa000100")), Alert.illegal_parameter);
  });

  it("refuse an extension whose data runs past the block with decode_error", () => {
    assertAlert(() => readBlock(h("0006" + "00000003" + "0000")), Alert.decode_error);
    assertAlert(() => readBlock(h("0003" + "000000")), Alert.decode_error);
  });

  it("refuse a block longer than the bytes that remain with decode_error", () => {
    assertAlert(() => readBlock(h("0005" + "00000000")), Alert.decode_error);
  });

  it("survive truncation and corruption", () => {
    assertRobust(readBlock, block([serverNameExtension("example.com"), ext(0xff01, "00")]));
  });

  it("find an extension by type and name types for messages", () => {
    const exts = [ext(E.key_share, "01"), ext(E.cookie, "02")];
    assert.equal(findExtension(exts, E.cookie), exts[1]);
    assert.equal(findExtension(exts, E.early_data), undefined);
    assert.equal(extensionName(E.pre_shared_key), "pre_shared_key");
    assert.equal(extensionName(0xfafa), "extension 64250");
  });
});

describe("parseExtension", () => {
  it("turns trailing bytes into decode_error naming the extension", () => {
    assertAlert(
      () => parseExtension(ext(E.record_size_limit, "400100"), readRecordSizeLimit),
      Alert.decode_error,
      /record_size_limit/,
    );
  });

  it("turns a reader's DecodeError into a TLSAlertError with decode_error", () => {
    assert.throws(
      () => parseExtension(ext(E.cookie, "0005aa"), readCookie),
      (e: unknown) =>
        e instanceof TLSAlertError && !(e instanceof DecodeError) &&
        e.alert === Alert.decode_error && /malformed cookie extension/.test(e.message),
    );
  });

  it("passes a reader's TLSAlertError through unchanged", () => {
    assertAlert(
      () => parseExtension(ext(E.key_share, "000a001d0001aa001d0001bb"), readKeyShareClient),
      Alert.illegal_parameter,
    );
  });
});

describe("server_name (RFC 6066 §3)", () => {
  it("encodes one host_name entry and reads it back", () => {
    const e = serverNameExtension("server");
    // RFC 8448 §3's ClientHello carries exactly these bytes.
    assert.deepEqual(e.data, h("0009000006736572766572"));
    assert.equal(parseExtension(e, readServerName), "server");
  });

  it("skips name types other than host_name", () => {
    assert.equal(
      parseExtension(ext(E.server_name, "0009" + "0a0001ff" + "000002" + "6869"), readServerName),
      "hi",
    );
    assert.equal(
      parseExtension(ext(E.server_name, "0004" + "0a0001ff"), readServerName),
      undefined,
    );
  });

  it("refuses an empty list or an empty name with decode_error", () => {
    assertAlert(
      () => parseExtension(ext(E.server_name, "0000"), readServerName),
      Alert.decode_error,
    );
    assertAlert(
      () => parseExtension(ext(E.server_name, "0003000000"), readServerName),
      Alert.decode_error,
    );
  });

  it("refuses two host names with illegal_parameter", () => {
    assertAlert(
      () => parseExtension(ext(E.server_name, "0008" + "0000016100000162"), readServerName),
      Alert.illegal_parameter,
    );
  });

  it("refuses a name that is not printable ASCII, or ends with a dot, with illegal_parameter", () => {
    for (const name of ["a b", "caf\u00e9", "a\u0000", "example.com."]) {
      const bytes = utf8(name);
      const w = new Writer();
      w.vec16((l) => l.u8(0).opaque16(bytes));
      assertAlert(
        () => parseExtension({ type: E.server_name, data: w.finish() }, readServerName),
        Alert.illegal_parameter,
      );
    }
  });

  it("survives truncation and corruption", () =>
    robust(serverNameExtension("example.com"), readServerName));
});

describe("supported_groups (RFC 8446 §4.2.7)", () => {
  it("round-trips the groups of RFC 8448 §3", () => {
    const groups = [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104];
    const e = supportedGroupsExtension(groups);
    assert.equal(e.type, E.supported_groups);
    assert.deepEqual(e.data, h("0012001d00170018001901000101010201030104"));
    assert.deepEqual(parseExtension(e, readSupportedGroups), groups);
  });

  it("refuses an empty or odd-length list with decode_error", () => {
    assertAlert(() => parseExtension(ext(10, "0000"), readSupportedGroups), Alert.decode_error);
    assertAlert(
      () => parseExtension(ext(10, "0003001d00"), readSupportedGroups),
      Alert.decode_error,
    );
  });

  it("survives truncation and corruption", () =>
    robust(supportedGroupsExtension([29, 23]), readSupportedGroups));
});

describe("signature_algorithms and signature_algorithms_cert (RFC 8446 §4.2.3)", () => {
  it("round-trip, under either type", () => {
    const schemes = [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256];
    const e = signatureAlgorithmsExtension(schemes);
    assert.equal(e.type, E.signature_algorithms);
    assert.deepEqual(e.data, h("000404030804"));
    assert.deepEqual(parseExtension(e, readSignatureAlgorithms), schemes);
    const cert = signatureAlgorithmsExtension(schemes, E.signature_algorithms_cert);
    assert.equal(cert.type, E.signature_algorithms_cert);
    assert.deepEqual(cert.data, e.data);
  });

  it("refuse an empty or odd-length list with decode_error", () => {
    assertAlert(() => parseExtension(ext(13, "0000"), readSignatureAlgorithms), Alert.decode_error);
    assertAlert(
      () => parseExtension(ext(13, "000104"), readSignatureAlgorithms),
      Alert.decode_error,
    );
  });

  it("survive truncation and corruption", () =>
    robust(signatureAlgorithmsExtension([0x0804, 0x0403]), readSignatureAlgorithms));
});

describe("application_layer_protocol_negotiation (RFC 7301 §3.1)", () => {
  it("round-trips", () => {
    const e = alpnExtension(["h2", "http/1.1"]);
    assert.deepEqual(e.data, h("000c02683208687474702f312e31"));
    assert.deepEqual(parseExtension(e, readAlpn), ["h2", "http/1.1"]);
  });

  it("refuses an empty list or an empty protocol name with decode_error", () => {
    assertAlert(() => parseExtension(ext(16, "0000"), readAlpn), Alert.decode_error);
    assertAlert(
      () => parseExtension(ext(16, "0004" + "026832" + "00"), readAlpn),
      Alert.decode_error,
    );
  });

  it("survives truncation and corruption", () =>
    robust(alpnExtension(["h2", "http/1.1"]), readAlpn));
});

describe("supported_versions (RFC 8446 §4.2.1)", () => {
  it("round-trips the client's list", () => {
    const e = supportedVersionsClientExtension([Version.TLS13, Version.TLS12]);
    assert.deepEqual(e.data, h("0403040303"));
    assert.deepEqual(parseExtension(e, readSupportedVersionsClient), [0x0304, 0x0303]);
  });

  it("encodes the server's selected version", () => {
    const e = supportedVersionsServerExtension(Version.TLS13);
    assert.deepEqual(e, { type: E.supported_versions, data: h("0304") });
    assert.equal(parseExtension(e, (r) => r.u16()), 0x0304);
  });

  it("refuses an empty, odd-length or over-long client list with decode_error", () => {
    assertAlert(
      () => parseExtension(ext(43, "00"), readSupportedVersionsClient),
      Alert.decode_error,
    );
    assertAlert(
      () => parseExtension(ext(43, "030304aa"), readSupportedVersionsClient),
      Alert.decode_error,
    );
    // versions<2..254>: a length of 255 is out of bounds even when the bytes are there.
    assertAlert(
      () => parseExtension(ext(43, "ff" + "03".repeat(255)), readSupportedVersionsClient),
      Alert.decode_error,
    );
  });

  it("survives truncation and corruption", () =>
    robust(supportedVersionsClientExtension([0x0304, 0x0303]), readSupportedVersionsClient));
});

describe("key_share (RFC 8446 §4.2.8)", () => {
  const x25519 = h("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c");
  const p256 = new Uint8Array(65).fill(4);

  it("round-trips the client's shares", () => {
    const entries = [
      { group: NamedGroup.x25519, keyExchange: x25519 },
      { group: NamedGroup.secp256r1, keyExchange: p256 },
    ];
    const e = keyShareClientExtension(entries);
    assert.deepEqual(parseExtension(e, readKeyShareClient), entries);
    // RFC 8448 §3's client share.
    assert.deepEqual(
      keyShareClientExtension([entries[0]]).data,
      concat(h("0024001d0020"), x25519),
    );
  });

  it("accepts an empty client_shares (a client that waits for HelloRetryRequest)", () => {
    assert.deepEqual(parseExtension(ext(51, "0000"), readKeyShareClient), []);
  });

  it("refuses two shares for one group with illegal_parameter", () => {
    const e = keyShareClientExtension([
      { group: NamedGroup.x25519, keyExchange: x25519 },
      { group: NamedGroup.secp256r1, keyExchange: p256 },
      { group: NamedGroup.x25519, keyExchange: x25519 },
    ]);
    assertAlert(
      () => parseExtension(e, readKeyShareClient),
      Alert.illegal_parameter,
      /two key shares/,
    );
  });

  it("refuses an empty key_exchange with decode_error", () => {
    assertAlert(
      () => parseExtension(ext(51, "0004001d0000"), readKeyShareClient),
      Alert.decode_error,
    );
    assertAlert(() => parseExtension(ext(51, "001d0000"), readKeyShareEntry), Alert.decode_error);
  });

  it("round-trips the server's share and the HelloRetryRequest's group", () => {
    const entry = { group: NamedGroup.x25519, keyExchange: x25519 };
    assert.deepEqual(parseExtension(keyShareServerExtension(entry), readKeyShareEntry), entry);
    const hrr = keyShareHrrExtension(NamedGroup.secp384r1);
    assert.deepEqual(hrr, { type: E.key_share, data: h("0018") });
  });

  it("survives truncation and corruption", () => {
    robust(
      keyShareClientExtension([{ group: 29, keyExchange: x25519 }, {
        group: 23,
        keyExchange: p256,
      }]),
      readKeyShareClient,
    );
    robust(keyShareServerExtension({ group: 29, keyExchange: x25519 }), readKeyShareEntry);
  });
});

describe("psk_key_exchange_modes (RFC 8446 §4.2.9)", () => {
  it("round-trips", () => {
    const e = pskModesExtension([PskKeyExchangeMode.psk_dhe_ke]);
    assert.deepEqual(e, { type: E.psk_key_exchange_modes, data: h("0101") });
    assert.deepEqual(parseExtension(pskModesExtension([0, 1]), readPskModes), [0, 1]);
  });

  it("refuses an empty list with decode_error", () => {
    assertAlert(() => parseExtension(ext(45, "00"), readPskModes), Alert.decode_error);
  });
});

describe("cookie (RFC 8446 §4.2.2)", () => {
  it("round-trips", () => {
    const cookie = new Uint8Array(300).fill(0xc0);
    assert.deepEqual(parseExtension(cookieExtension(cookie), readCookie), cookie);
  });

  it("refuses an empty cookie with decode_error", () => {
    assertAlert(() => parseExtension(ext(44, "0000"), readCookie), Alert.decode_error);
  });
});

describe("pre_shared_key (RFC 8446 §4.2.11)", () => {
  const offer = {
    identities: [
      { identity: h("0102030405"), obfuscatedTicketAge: 0xfad6aacb },
      { identity: h("aa"), obfuscatedTicketAge: 0 },
    ],
    binders: [new Uint8Array(32).fill(1), new Uint8Array(48).fill(2)],
  };

  it("round-trips the client's offer", () => {
    const e = preSharedKeyClientExtension(offer);
    assert.deepEqual(parseExtension(e, readPreSharedKeyClient), offer);
  });

  it("ends with the binders list whose length bindersLength computes", () => {
    const e = preSharedKeyClientExtension(offer);
    const n = bindersLength([32, 48]);
    assert.equal(n, 2 + 33 + 49);
    const binders = new Reader(e.data.subarray(e.data.byteLength - n));
    assert.equal(binders.u16(), n - 2);
  });

  it("encodes the server's selected identity", () => {
    assert.deepEqual(preSharedKeyServerExtension(1), { type: E.pre_shared_key, data: h("0001") });
  });

  it("refuses identities and binders that differ in number with illegal_parameter", () => {
    const e = preSharedKeyClientExtension({
      identities: offer.identities,
      binders: [offer.binders[0]],
    });
    assertAlert(() => parseExtension(e, readPreSharedKeyClient), Alert.illegal_parameter);
  });

  it("refuses out-of-range lengths with decode_error", () => {
    const id = "000b" + "0005" + "0102030405" + "00000000";
    const binder32 = "0021" + "20" + "11".repeat(32);
    // A binder of 31 bytes (PskBinderEntry<32..255>).
    assertAlert(
      () => parseExtension(ext(41, id + "0020" + "1f" + "11".repeat(31)), readPreSharedKeyClient),
      Alert.decode_error,
    );
    // An empty identities list, then an empty identity.
    assertAlert(
      () => parseExtension(ext(41, "0000" + binder32), readPreSharedKeyClient),
      Alert.decode_error,
    );
    assertAlert(
      () =>
        parseExtension(
          ext(41, "0007" + "0000" + "00000000" + "00" + binder32),
          readPreSharedKeyClient,
        ),
      Alert.decode_error,
    );
    // An empty binders list.
    assertAlert(
      () => parseExtension(ext(41, id + "0000"), readPreSharedKeyClient),
      Alert.decode_error,
    );
  });

  it("survives truncation and corruption", () =>
    robust(preSharedKeyClientExtension(offer), readPreSharedKeyClient));
});

describe("certificate_authorities (RFC 8446 §4.2.4)", () => {
  it("round-trips", () => {
    const names = [h("300e310c300a06035504031303727361"), h("3000")];
    assert.deepEqual(
      parseExtension(certificateAuthoritiesExtension(names), readCertificateAuthorities),
      names,
    );
  });

  it("refuses an empty list or an empty name with decode_error", () => {
    assertAlert(
      () => parseExtension(ext(47, "0000"), readCertificateAuthorities),
      Alert.decode_error,
    );
    assertAlert(
      () => parseExtension(ext(47, "00020000"), readCertificateAuthorities),
      Alert.decode_error,
    );
  });
});

describe("early_data (RFC 8446 §4.2.10)", () => {
  it("reads NewSessionTicket's max_early_data_size", () => {
    assert.equal(parseExtension(ext(42, "00000400"), readMaxEarlyData), 1024);
    assertAlert(() => parseExtension(ext(42, "000004"), readMaxEarlyData), Alert.decode_error);
  });

  it("is empty in ClientHello and EncryptedExtensions", () => {
    assert.deepEqual(emptyExtension(E.early_data), { type: 42, data: new Uint8Array(0) });
  });
});

describe("TLS 1.2 extensions", () => {
  it("renegotiation_info round-trips, empty on an initial handshake (RFC 5746 §3.4)", () => {
    assert.deepEqual(renegotiationInfoExtension(new Uint8Array(0)), {
      type: 0xff01,
      data: h("00"),
    });
    const verify = new Uint8Array(24).fill(9);
    assert.deepEqual(
      parseExtension(renegotiationInfoExtension(verify), readRenegotiationInfo),
      verify,
    );
    assertAlert(
      () => parseExtension(ext(0xff01, "0200"), readRenegotiationInfo),
      Alert.decode_error,
    );
  });

  it("ec_point_formats round-trips and refuses an empty list (RFC 8422 §5.1.2)", () => {
    const e = ecPointFormatsExtension();
    assert.deepEqual(e, { type: E.ec_point_formats, data: h("0100") });
    assert.deepEqual(parseExtension(e, readEcPointFormats), [0]);
    assertAlert(() => parseExtension(ext(11, "00"), readEcPointFormats), Alert.decode_error);
  });
});

describe("record_size_limit (RFC 8449 §4)", () => {
  it("reads the limit of RFC 8448's EncryptedExtensions", () => {
    assert.equal(parseExtension(ext(E.record_size_limit, "4001"), readRecordSizeLimit), 0x4001);
    assert.equal(parseExtension(ext(E.record_size_limit, "0040"), readRecordSizeLimit), 64);
  });

  it("refuses a limit below 64 with illegal_parameter", () => {
    assertAlert(
      () => parseExtension(ext(E.record_size_limit, "003f"), readRecordSizeLimit),
      Alert.illegal_parameter,
    );
  });

  it("refuses a short value with decode_error", () => {
    assertAlert(
      () => parseExtension(ext(E.record_size_limit, "40"), readRecordSizeLimit),
      Alert.decode_error,
    );
  });
});

describe("every extension reader", () => {
  it("survives truncation and corruption of a valid encoding", () => {
    const cases: [Extension, (r: Reader) => unknown][] = [
      [serverNameExtension("example.com"), readServerName],
      [supportedGroupsExtension([29, 23, 24]), readSupportedGroups],
      [signatureAlgorithmsExtension([0x0804, 0x0403]), readSignatureAlgorithms],
      [alpnExtension(["h2", "http/1.1"]), readAlpn],
      [supportedVersionsClientExtension([0x0304, 0x0303]), readSupportedVersionsClient],
      [
        keyShareClientExtension([{ group: 29, keyExchange: new Uint8Array(32) }]),
        readKeyShareClient,
      ],
      [keyShareServerExtension({ group: 29, keyExchange: new Uint8Array(32) }), readKeyShareEntry],
      [pskModesExtension([0, 1]), readPskModes],
      [cookieExtension(h("c0ffee")), readCookie],
      [
        preSharedKeyClientExtension({
          identities: [{ identity: h("0102"), obfuscatedTicketAge: 7 }],
          binders: [new Uint8Array(32)],
        }),
        readPreSharedKeyClient,
      ],
      [certificateAuthoritiesExtension([h("3000"), h("3003020101")]), readCertificateAuthorities],
      [ext(E.early_data, "00000400"), readMaxEarlyData],
      [renegotiationInfoExtension(new Uint8Array(12)), readRenegotiationInfo],
      [ecPointFormatsExtension(), readEcPointFormats],
      [ext(E.record_size_limit, "4001"), readRecordSizeLimit],
    ];
    for (const [e, read] of cases) {
      // A valid encoding decodes, and none of its proper prefixes does.
      parseExtension(e, read);
      assert.deepEqual(
        assertRobust((data) => parseExtension({ type: e.type, data }, read), e.data),
        [],
        extensionName(e.type),
      );
    }
  });
});
