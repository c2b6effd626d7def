import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, fromHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { Reader } from "../../src/codec/reader.ts";
import { ExtensionType as E, HandshakeType, SignatureScheme } from "../../src/constants.ts";
import {
  type CertificateMsg,
  type CertificateRequest12,
  type CertificateRequest13,
  decodeCertificate12,
  decodeCertificate13,
  decodeCertificateRequest12,
  decodeCertificateRequest13,
  decodeCertificateVerify,
  encodeCertificate12,
  encodeCertificate13,
  encodeCertificateRequest12,
  encodeCertificateRequest13,
  encodeCertificateVerify,
  readDigitallySigned,
} from "../../src/messages/certificate.ts";
import {
  certificateAuthoritiesExtension,
  signatureAlgorithmsExtension,
} from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import { simple1Rtt as V } from "../vectors/rfc8448.ts";
import { assertAlert, assertRobust } from "./_assert.ts";

const h = fromHex;

/** The DER certificate inside RFC 8448's Certificate message (432 bytes from offset 11). */
const RFC_CERT = V.certificate.subarray(11, 11 + 432);

describe("Certificate (TLS 1.3, RFC 8446 §4.4.2)", () => {
  it("decodes RFC 8448 §3's: empty context, one RSA certificate, no extensions", () => {
    assert.equal(V.certificate[0], HandshakeType.certificate);
    const msg = decodeCertificate13(V.certificate.subarray(4));
    assert.equal(msg.context.byteLength, 0);
    assert.equal(msg.entries.length, 1);
    assert.deepEqual(msg.entries[0].cert, RFC_CERT);
    assert.equal(msg.entries[0].cert[0], 0x30);
    assert.deepEqual(msg.entries[0].extensions, []);
    assert.deepEqual(
      frameHandshake(HandshakeType.certificate, encodeCertificate13(msg)).raw,
      V.certificate,
    );
  });

  it("round-trips a chain with a context and per-certificate extensions", () => {
    const msg: CertificateMsg = {
      context: h("0102"),
      entries: [
        { cert: RFC_CERT, extensions: [{ type: E.status_request, data: h("01000003aabbcc") }] },
        { cert: h("3000"), extensions: [] },
      ],
    };
    assert.deepEqual(decodeCertificate13(encodeCertificate13(msg)), msg);
  });

  it("round-trips an empty certificate_list (a client without a certificate)", () => {
    const msg = { context: h("aa"), entries: [] };
    assert.deepEqual(encodeCertificate13(msg), h("01aa000000"));
    assert.deepEqual(decodeCertificate13(h("01aa000000")), msg);
  });

  it("refuses an empty cert_data, trailing bytes and bad lengths with decode_error", () => {
    assertAlert(
      () => decodeCertificate13(h("00" + "000005" + "000000" + "0000")),
      Alert.decode_error,
    );
    assertAlert(
      () => decodeCertificate13(concat(V.certificate.subarray(4), h("00"))),
      Alert.decode_error,
    );
    assertAlert(() => decodeCertificate13(h("00" + "000010" + "000001")), Alert.decode_error);
  });

  it("refuses a duplicate extension in an entry with illegal_parameter", () => {
    const body = h("00" + "00000f" + "0000023000" + "0008" + "00050000" + "00050000");
    assertAlert(() => decodeCertificate13(body), Alert.illegal_parameter);
  });

  it("survives truncation and corruption", () => {
    assert.deepEqual(assertRobust(decodeCertificate13, V.certificate.subarray(4)), []);
  });
});

describe("Certificate (TLS 1.2, RFC 5246 §7.4.2)", () => {
  it("round-trips a chain and an empty list", () => {
    const chain = [RFC_CERT, h("3000")];
    assert.deepEqual(decodeCertificate12(encodeCertificate12(chain)), chain);
    assert.deepEqual(encodeCertificate12([]), h("000000"));
    assert.deepEqual(decodeCertificate12(h("000000")), []);
  });

  it("refuses an empty certificate and trailing bytes with decode_error", () => {
    assertAlert(() => decodeCertificate12(h("000003000000")), Alert.decode_error);
    assertAlert(() => decodeCertificate12(h("00000000")), Alert.decode_error);
  });

  it("survives truncation and corruption", () => {
    assert.deepEqual(assertRobust(decodeCertificate12, encodeCertificate12([RFC_CERT])), []);
  });
});

describe("CertificateRequest", () => {
  it("round-trips the TLS 1.3 form (RFC 8446 §4.3.2)", () => {
    const req: CertificateRequest13 = {
      context: h(""),
      extensions: [
        signatureAlgorithmsExtension([SignatureScheme.ecdsa_secp256r1_sha256]),
        certificateAuthoritiesExtension([h("3000")]),
      ],
    };
    const bytes = encodeCertificateRequest13(req);
    assert.deepEqual(bytes, h("00" + "0012" + "000d000400020403" + "002f0006000400023000"));
    assert.deepEqual(decodeCertificateRequest13(bytes), req);
    assert.deepEqual(assertRobust(decodeCertificateRequest13, bytes), []);
  });

  it("refuses a TLS 1.3 request with trailing bytes or duplicate extensions", () => {
    assertAlert(() => decodeCertificateRequest13(h("00000000")), Alert.decode_error);
    assertAlert(
      () => decodeCertificateRequest13(h("00" + "000c" + "000d000400020403" + "000d0000")),
      Alert.illegal_parameter,
    );
  });

  it("round-trips the TLS 1.2 form (RFC 5246 §7.4.4)", () => {
    const req: CertificateRequest12 = {
      certificateTypes: [1, 64],
      signatureAlgorithms: [0x0401, 0x0403],
      authorities: [h("3000"), h("300e310c300a06035504031303727361")],
    };
    const bytes = encodeCertificateRequest12(req);
    assert.deepEqual(decodeCertificateRequest12(bytes), req);
    assertRobust(decodeCertificateRequest12, bytes);
  });

  it("refuses TLS 1.2 requests with out-of-bounds lengths with decode_error", () => {
    // No certificate types.
    assertAlert(
      () => decodeCertificateRequest12(h("00" + "00020401" + "0000")),
      Alert.decode_error,
    );
    // An empty or odd-length signature algorithm list.
    assertAlert(() => decodeCertificateRequest12(h("0101" + "0000" + "0000")), Alert.decode_error);
    assertAlert(
      () => decodeCertificateRequest12(h("0101" + "0003040104" + "0000")),
      Alert.decode_error,
    );
    // An empty distinguished name, then trailing bytes.
    assertAlert(
      () => decodeCertificateRequest12(h("0101" + "00020401" + "00020000")),
      Alert.decode_error,
    );
    assertAlert(
      () => decodeCertificateRequest12(h("0101" + "00020401" + "0000" + "00")),
      Alert.decode_error,
    );
  });
});

describe("CertificateVerify (RFC 8446 §4.4.3)", () => {
  it("decodes RFC 8448 §3's rsa_pss_rsae_sha256 signature and re-encodes it", () => {
    assert.equal(V.certificateVerify[0], HandshakeType.certificate_verify);
    const cv = decodeCertificateVerify(V.certificateVerify.subarray(4));
    assert.equal(cv.scheme, SignatureScheme.rsa_pss_rsae_sha256);
    assert.equal(cv.signature.byteLength, 128);
    assert.deepEqual(cv.signature, V.certificateVerify.subarray(8));
    assert.deepEqual(
      frameHandshake(HandshakeType.certificate_verify, encodeCertificateVerify(cv)).raw,
      V.certificateVerify,
    );
  });

  it("reads a DigitallySigned inside a longer message (TLS 1.2 ServerKeyExchange)", () => {
    const r = new Reader(h("0403" + "0002abcd" + "ff"));
    assert.deepEqual(readDigitallySigned(r), { scheme: 0x0403, signature: h("abcd") });
    assert.equal(r.remaining, 1);
  });

  it("refuses trailing bytes and a short signature with decode_error", () => {
    assertAlert(() => decodeCertificateVerify(h("0804" + "0001aa" + "00")), Alert.decode_error);
    assertAlert(() => decodeCertificateVerify(h("0804" + "0002aa")), Alert.decode_error);
  });

  it("survives truncation and corruption", () => {
    assert.deepEqual(assertRobust(decodeCertificateVerify, V.certificateVerify.subarray(4)), []);
  });
});
