/**
 * TLS 1.2 messages with no TLS 1.3 counterpart: the ECDHE ServerKeyExchange and
 * ClientKeyExchange (RFC 8422 §5.4, §5.7), ServerHelloDone and HelloRequest (RFC 5246 §7.4.5,
 * §7.4.1.1).
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import { Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { type CertificateVerify, readDigitallySigned } from "./certificate.ts";

/** `ECCurveType.named_curve`. RFC 8422 §5.4. */
const NAMED_CURVE = 3;

/** The ECDHE ServerKeyExchange: a named group, the server's point, and its signature. */
export interface ServerKeyExchangeEcdhe {
  /** The named group. */
  group: number;
  /** The server's public value, `opaque point <1..2^8-1>`. */
  publicKey: Bytes;
  /** The signature over client_random + server_random + params. */
  signed: CertificateVerify;
  /** The encoded ServerECDHParams (what is signed after the randoms). */
  params: Bytes;
}

/** Encodes ServerECDHParams. RFC 8422 §5.4. */
export function encodeEcdheParams(group: number, publicKey: Bytes): Bytes {
  return new Writer(publicKey.byteLength + 4).u8(NAMED_CURVE).u16(group).opaque8(publicKey)
    .finish();
}

/** Encodes an ECDHE ServerKeyExchange body. */
export function encodeServerKeyExchange(params: Bytes, signed: CertificateVerify): Bytes {
  return new Writer(params.byteLength + signed.signature.byteLength + 8)
    .bytes(params).u16(signed.scheme).opaque16(signed.signature).finish();
}

/**
 * Decodes an ECDHE ServerKeyExchange body. Only named curves exist in RFC 8422 §5.4; other
 * curve types are illegal_parameter.
 */
export function decodeServerKeyExchange(body: Bytes): ServerKeyExchangeEcdhe {
  const r = new Reader(body);
  const curveType = r.u8("curve_type");
  if (curveType !== NAMED_CURVE) {
    throw alertError(
      Alert.illegal_parameter,
      `ECParameters curve_type ${curveType}`,
      "BAD_ECC_CERT",
    );
  }
  const group = r.u16("namedcurve");
  const publicKey = r.vec8("point", 1);
  const params = body.subarray(0, r.offset);
  const signed = readDigitallySigned(r);
  r.end("ServerKeyExchange");
  return { group, publicKey, signed, params };
}

/** Encodes an ECDHE ClientKeyExchange body: `opaque point <1..2^8-1>`. RFC 8422 §5.7. */
export function encodeClientKeyExchange(publicKey: Bytes): Bytes {
  return new Writer(publicKey.byteLength + 1).opaque8(publicKey).finish();
}

/** Decodes an ECDHE ClientKeyExchange body. */
export function decodeClientKeyExchange(body: Bytes): Bytes {
  const r = new Reader(body);
  const point = r.vec8("ecdh_Yc", 1);
  r.end("ClientKeyExchange");
  return point;
}

/** Checks that a ServerHelloDone or HelloRequest body is empty. RFC 5246 §7.4.5, §7.4.1.1. */
export function decodeEmpty(body: Bytes, what: string): void {
  if (body.byteLength !== 0) throw alertError(Alert.decode_error, `${what} is not empty`);
}

/** ClientCertificateType values of a TLS 1.2 CertificateRequest. RFC 5246 §7.4.4, RFC 8422 §5.5. */
export const ClientCertificateType = {
  rsa_sign: 1,
  ecdsa_sign: 64,
} as const;
