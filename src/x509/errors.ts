/**
 * Errors of the X.509 layer: a certificate that does not parse, and a certificate path that
 * does not verify (carrying OpenSSL 3's `X509_V_ERR_*` code and text, which the TLS engine turns
 * into `SSLCertVerificationError`).
 * @module
 */
import { DecodeError } from "../codec/reader.ts";

/**
 * OpenSSL 3.0 verify result codes (`X509_V_ERR_*`) that this verifier reports. The numbering is
 * OpenSSL 3's: 79 is "invalid CA certificate" (1.1.1 used 24) and 26 reads "unsuitable
 * certificate purpose".
 */
export const X509_V = {
  OK: 0,
  ERR_UNSPECIFIED: 1,
  ERR_UNABLE_TO_GET_ISSUER_CERT: 2,
  ERR_UNABLE_TO_GET_CRL: 3,
  ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  ERR_CERT_SIGNATURE_FAILURE: 7,
  ERR_CRL_SIGNATURE_FAILURE: 8,
  ERR_CERT_NOT_YET_VALID: 9,
  ERR_CERT_HAS_EXPIRED: 10,
  ERR_CRL_NOT_YET_VALID: 11,
  ERR_CRL_HAS_EXPIRED: 12,
  ERR_DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  ERR_SELF_SIGNED_CERT_IN_CHAIN: 19,
  ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  ERR_CERT_CHAIN_TOO_LONG: 22,
  ERR_CERT_REVOKED: 23,
  ERR_PATH_LENGTH_EXCEEDED: 25,
  ERR_INVALID_PURPOSE: 26,
  ERR_AKID_SKID_MISMATCH: 30,
  ERR_KEYUSAGE_NO_CERTSIGN: 32,
  ERR_UNABLE_TO_GET_CRL_ISSUER: 33,
  ERR_UNHANDLED_CRITICAL_EXTENSION: 34,
  ERR_KEYUSAGE_NO_CRL_SIGN: 35,
  ERR_UNHANDLED_CRITICAL_CRL_EXTENSION: 36,
  ERR_INVALID_NON_CA: 37,
  ERR_INVALID_EXTENSION: 41,
  ERR_INVALID_POLICY_EXTENSION: 42,
  ERR_NO_EXPLICIT_POLICY: 43,
  ERR_DIFFERENT_CRL_SCOPE: 44,
  ERR_PERMITTED_VIOLATION: 47,
  ERR_EXCLUDED_VIOLATION: 48,
  ERR_UNSUPPORTED_CONSTRAINT_TYPE: 51,
  ERR_UNSUPPORTED_CONSTRAINT_SYNTAX: 52,
  ERR_UNSUPPORTED_NAME_SYNTAX: 53,
  ERR_HOSTNAME_MISMATCH: 62,
  ERR_EMAIL_MISMATCH: 63,
  ERR_IP_ADDRESS_MISMATCH: 64,
  ERR_EE_KEY_TOO_SMALL: 66,
  ERR_CA_KEY_TOO_SMALL: 67,
  ERR_CA_MD_TOO_WEAK: 68,
  ERR_UNSUPPORTED_SIGNATURE_ALGORITHM: 76,
  ERR_SIGNATURE_ALGORITHM_MISMATCH: 77,
  ERR_SIGNATURE_ALGORITHM_INCONSISTENCY: 78,
  ERR_INVALID_CA: 79,
  ERR_PATHLEN_INVALID_FOR_NON_CA: 80,
  ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN: 81,
  ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA: 82,
  ERR_ISSUER_NAME_EMPTY: 83,
  ERR_SUBJECT_NAME_EMPTY: 84,
  ERR_MISSING_AUTHORITY_KEY_IDENTIFIER: 85,
  ERR_MISSING_SUBJECT_KEY_IDENTIFIER: 86,
  ERR_EMPTY_SUBJECT_ALT_NAME: 87,
  ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL: 88,
  ERR_CA_BCONS_NOT_CRITICAL: 89,
  ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL: 90,
  ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL: 91,
  ERR_CA_CERT_MISSING_KEY_USAGE: 92,
  ERR_EXTENSIONS_REQUIRE_VERSION_3: 93,
  ERR_EC_KEY_EXPLICIT_PARAMS: 94,
} as const;

// Texts as OpenSSL 3.0's X509_verify_cert_error_string() prints them.
const TEXTS: Record<number, string> = {
  0: "ok",
  1: "unspecified certificate verification error",
  2: "unable to get issuer certificate",
  3: "unable to get certificate CRL",
  6: "unable to decode issuer public key",
  7: "certificate signature failure",
  8: "CRL signature failure",
  9: "certificate is not yet valid",
  10: "certificate has expired",
  11: "CRL is not yet valid",
  12: "CRL has expired",
  18: "self-signed certificate",
  19: "self-signed certificate in certificate chain",
  20: "unable to get local issuer certificate",
  21: "unable to verify the first certificate",
  22: "certificate chain too long",
  23: "certificate revoked",
  25: "path length constraint exceeded",
  26: "unsuitable certificate purpose",
  30: "authority and subject key identifier mismatch",
  32: "key usage does not include certificate signing",
  33: "unable to get CRL issuer certificate",
  34: "unhandled critical extension",
  35: "key usage does not include CRL signing",
  36: "unhandled critical CRL extension",
  37: "invalid non-CA certificate (has CA markings)",
  41: "invalid or inconsistent certificate extension",
  42: "invalid or inconsistent certificate policy extension",
  43: "no explicit policy",
  44: "different CRL scope",
  47: "permitted subtree violation",
  48: "excluded subtree violation",
  51: "unsupported name constraint type",
  52: "unsupported or invalid name constraint syntax",
  53: "unsupported or invalid name syntax",
  62: "hostname mismatch",
  63: "email address mismatch",
  64: "IP address mismatch",
  66: "EE certificate key too weak",
  67: "CA certificate key too weak",
  68: "CA signature digest algorithm too weak",
  76: "Cannot find certificate signature algorithm",
  77: "subject signature algorithm and issuer public key algorithm mismatch",
  78: "cert info signature and signature algorithm mismatch",
  79: "invalid CA certificate",
  80: "Path length invalid for non-CA cert",
  81: "Path length given without key usage keyCertSign",
  82: "Key usage keyCertSign invalid for non-CA cert",
  83: "Issuer name empty",
  84: "Subject name empty",
  85: "Missing Authority Key Identifier",
  86: "Missing Subject Key Identifier",
  87: "Empty Subject Alternative Name extension",
  88: "Subject empty and Subject Alt Name extension not critical",
  89: "Basic Constraints of CA cert not marked critical",
  90: "Authority Key Identifier marked critical",
  91: "Subject Key Identifier marked critical",
  92: "CA cert does not include key usage extension",
  93: "Using cert extension requires at least X509v3",
  94: "Certificate public key has explicit ECC parameters",
};

/**
 * OpenSSL's text for a verify result code, as `X509_verify_cert_error_string()` returns it.
 *
 * @example
 * ```ts
 * import { verifyErrorString } from "./errors.ts";
 * console.log(verifyErrorString(10)); // certificate has expired
 * ```
 */
export function verifyErrorString(code: number): string {
  return TEXTS[code] ?? "unknown certificate verification error";
}

/** Optional details of a {@link CertVerifyError}. */
export interface CertVerifyErrorOptions {
  /** Position in the chain of the certificate at fault (0 = leaf), as OpenSSL's error depth. */
  depth?: number;
  /** Why, in our words, with the rule broken (never secret material). */
  detail?: string;
}

/**
 * Certificate path validation failed. `code` and `verifyMessage` follow OpenSSL 3
 * (`X509_V_ERR_*`, `X509_verify_cert_error_string()`), except 62 and 64 whose messages are
 * Python's ("Hostname mismatch, certificate is not valid for 'x'.").
 *
 * @example
 * ```ts
 * import { CertVerifyError, X509_V } from "./errors.ts";
 * const e = new CertVerifyError(X509_V.ERR_CERT_HAS_EXPIRED);
 * console.log(e.code, e.verifyMessage); // 10 certificate has expired
 * ```
 */
export class CertVerifyError extends Error {
  /** OpenSSL `X509_V_ERR_*` code. */
  readonly code: number;
  /** The text Python puts in `SSLCertVerificationError.verify_message`. */
  readonly verifyMessage: string;
  /** Chain position of the certificate at fault (0 = leaf), when known. */
  readonly depth: number | undefined;
  /** Our explanation (which rule, which RFC section), when there is more to say. */
  readonly detail: string | undefined;

  /**
   * @param code OpenSSL verify result code
   * @param verifyMessage the message (default: OpenSSL's text for `code`)
   * @param options depth and detail
   */
  constructor(code: number, verifyMessage?: string, options: CertVerifyErrorOptions = {}) {
    const msg = verifyMessage ?? verifyErrorString(code);
    super(options.detail ? `${msg} (${options.detail})` : msg);
    this.name = "CertVerifyError";
    this.code = code;
    this.verifyMessage = msg;
    this.depth = options.depth;
    this.detail = options.detail;
  }
}

/**
 * A certificate (or CRL) is not well-formed DER of the expected structure. The TLS engine
 * answers it with a `bad_certificate` alert (RFC 8446 §6.2).
 *
 * @example
 * ```ts
 * import { Certificate } from "./certificate.ts";
 * import { CertificateDecodeError } from "./errors.ts";
 * try {
 *   Certificate.fromDer(new Uint8Array([0x30, 0x00]));
 * } catch (e) {
 *   console.log(e instanceof CertificateDecodeError); // true
 * }
 * ```
 */
export class CertificateDecodeError extends Error {
  /** @param message what did not parse */
  constructor(message: string) {
    super(message);
    this.name = "CertificateDecodeError";
  }
}

/**
 * True for the errors malformed DER raises inside this layer: the codec's `DecodeError` and
 * {@link CertificateDecodeError}. The public entry points turn both into the latter.
 */
export function isDecodeError(e: unknown): e is DecodeError | CertificateDecodeError {
  return e instanceof DecodeError || e instanceof CertificateDecodeError;
}

/**
 * `e`, thrown while parsing `what`, as the {@link CertificateDecodeError} the public entry
 * points promise: the codec's messages already name the element; anything else gets `what`.
 */
export function toCertificateDecodeError(e: unknown, what: string): CertificateDecodeError {
  if (e instanceof CertificateDecodeError) return e;
  if (e instanceof DecodeError) return new CertificateDecodeError(e.message);
  return new CertificateDecodeError(`${what}: ${e instanceof Error ? e.message : "undecodable"}`);
}

/**
 * Python's `ValueError` for bad arguments to the certificate helpers
 * (`PEM_cert_to_DER_cert`, `cert_time_to_seconds`); a `TypeError` so generic handlers catch it.
 *
 * @example
 * ```ts
 * import { pemToDer } from "./peer_cert.ts";
 * import { ValueError } from "./errors.ts";
 * try {
 *   pemToDer("not pem");
 * } catch (e) {
 *   console.log(e instanceof ValueError); // true
 * }
 * ```
 */
export class ValueError extends TypeError {
  /** @param message Python's message */
  constructor(message: string) {
    super(message);
    this.name = "ValueError";
  }
}
