/**
 * Does a private key belong to a certificate? The check `SSLContext.load_cert_chain` makes
 * (OpenSSL's `X509_check_private_key`): the certificate's public key must be the key's own.
 * @module
 */
import { asBytes, type Bytes, equal } from "../_bytes.ts";
import { DecodeError } from "../codec/reader.ts";
import { SSLError } from "../errors.ts";
import {
  BIT_STRING,
  DerSequence,
  INTEGER,
  OID,
  parseOne,
  readBitStringBytes,
  readOid,
  readUnsigned,
  SEQUENCE,
} from "../codec/der.ts";
import { KEY_OID } from "../crypto/_keys.ts";
import type { PrivateKeyInfo } from "./private_key.ts";

/** The comparable content of a SubjectPublicKeyInfo. */
interface PublicKeyValues {
  /** Key family; different families never match (OpenSSL: key type mismatch). */
  kind: string;
  /** The values that identify the key within its family. */
  values: Bytes[];
}

/** Reads the parts of a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) that identify the key. */
function publicKeyValues(spki: Bytes): PublicKeyValues {
  const top = new DerSequence(parseOne(spki, SEQUENCE, "SubjectPublicKeyInfo"), "SPKI");
  const alg = new DerSequence(top.next(SEQUENCE, "algorithm"), "AlgorithmIdentifier");
  const oid = readOid(alg.next(OID, "algorithm"), "algorithm");
  const params = alg.optionalAny();
  alg.end();
  const key = readBitStringBytes(top.next(BIT_STRING, "subjectPublicKey"), "subjectPublicKey");
  top.end();
  switch (oid) {
    case KEY_OID.rsaEncryption:
    case KEY_OID.rsassaPss: {
      // RSAPublicKey (RFC 8017 §A.1.1): modulus and public exponent, compared as integers.
      const rsa = new DerSequence(parseOne(key, SEQUENCE, "RSAPublicKey"), "RSAPublicKey");
      const n = readUnsigned(rsa.next(INTEGER, "modulus"), "modulus");
      const e = readUnsigned(rsa.next(INTEGER, "publicExponent"), "publicExponent");
      rsa.end();
      return { kind: oid === KEY_OID.rsaEncryption ? "rsa" : "rsa-pss", values: [n, e] };
    }
    case KEY_OID.ecPublicKey: {
      // RFC 5480 §2.1.1: the curve is a namedCurve OID; the key is an EC point (SEC1 §2.3.3).
      if (params === undefined || params.id !== OID) {
        return { kind: "ec", values: [params?.raw ?? new Uint8Array(0), key] };
      }
      return { kind: "ec", values: [params.raw, ...pointCoordinates(key)] };
    }
    case KEY_OID.ed25519:
      return { kind: "ed25519", values: [key] }; // RFC 8410 §4: the 32-byte public key
    default:
      return { kind: oid, values: [key] };
  }
}

/**
 * An EC point as [x, y-parity] so an uncompressed and a compressed encoding of the same point
 * compare equal (SEC1 §2.3.3, §2.3.4).
 */
function pointCoordinates(point: Bytes): Bytes[] {
  const prefix = point[0];
  if (prefix === 4 && point.byteLength % 2 === 1) {
    const size = (point.byteLength - 1) / 2;
    return [point.subarray(1, 1 + size), new Uint8Array([point[point.byteLength - 1] & 1])];
  }
  if ((prefix === 2 || prefix === 3) && point.byteLength > 1) {
    return [point.subarray(1), new Uint8Array([prefix & 1])];
  }
  return [point];
}

function certificateKey(certSpki: Uint8Array): PublicKeyValues {
  try {
    return publicKeyValues(asBytes(certSpki));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    throw new SSLError(
      "UNABLE_TO_GET_CERTS_PUBLIC_KEY",
      `the certificate's public key is malformed: ${e.message}`,
      { library: "X509", cause: e },
    );
  }
}

/**
 * Family and value comparison shared by the two exports (pure; they return promises so a
 * check that needs WebCrypto can join later without changing callers).
 */
function compare(key: PrivateKeyInfo, certSpki: Uint8Array): "match" | "type" | "values" {
  const cert = certificateKey(certSpki);
  const own = publicKeyValues(key.spki);
  if (own.kind !== cert.kind) return "type";
  const same = own.values.length === cert.values.length &&
    own.values.every((v, i) => equal(v, cert.values[i]));
  return same ? "match" : "values";
}

/**
 * True when the certificate's public key (`certSpki`, a DER SubjectPublicKeyInfo) is the
 * public half of `key`: the same RSA modulus and exponent, the same EC curve and point, the same
 * Ed25519 key. An RSA key does not match an RSA-PSS certificate or the reverse, as in OpenSSL.
 *
 * Throws `SSLError` `[X509: UNABLE_TO_GET_CERTS_PUBLIC_KEY]` when `certSpki` does not parse.
 *
 * @example
 * ```ts
 * import { keyMatchesCertificate } from "./key_match.ts";
 * import { parsePrivateKey } from "./private_key.ts";
 * const key = await parsePrivateKey(keyPem);
 * console.log(await keyMatchesCertificate(key, certificateSpkiDer)); // true
 * ```
 */
export function keyMatchesCertificate(
  key: PrivateKeyInfo,
  certSpki: Uint8Array,
): Promise<boolean> {
  return Promise.resolve().then(() => compare(key, certSpki) === "match");
}

/**
 * Throws unless `key` belongs to the certificate whose SubjectPublicKeyInfo is `certSpki`,
 * with the errors Python's `load_cert_chain` raises through OpenSSL:
 * `SSLError` `[X509: KEY_VALUES_MISMATCH] key values mismatch` for another key of the same
 * type, `[X509: KEY_TYPE_MISMATCH] key type mismatch` for a key of another type (an EC key
 * with an RSA certificate), `[X509: UNABLE_TO_GET_CERTS_PUBLIC_KEY]` for a malformed SPKI.
 *
 * @example
 * ```ts
 * import { assertKeyMatches } from "./key_match.ts";
 * import { parsePrivateKey } from "./private_key.ts";
 * await assertKeyMatches(await parsePrivateKey(keyPem), certificateSpkiDer);
 * ```
 */
export function assertKeyMatches(key: PrivateKeyInfo, certSpki: Uint8Array): Promise<void> {
  return Promise.resolve().then(() => {
    const result = compare(key, certSpki);
    if (result === "type") {
      throw new SSLError("KEY_TYPE_MISMATCH", "key type mismatch", { library: "X509" });
    }
    if (result === "values") {
      throw new SSLError("KEY_VALUES_MISMATCH", "key values mismatch", { library: "X509" });
    }
  });
}
