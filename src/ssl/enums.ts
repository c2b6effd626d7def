/**
 * The enumerations and constants of Python's `ssl` module, with Python's names and values.
 * @module
 */

/**
 * How the peer's certificate is requested and checked (Python's `ssl.VerifyMode`).
 *
 * @example
 * ```ts
 * import { SSLContext, PROTOCOL_TLS_CLIENT, VerifyMode } from "@webtls/webtls";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * console.log(ctx.verifyMode === VerifyMode.CERT_REQUIRED); // true
 * ```
 */
export enum VerifyMode {
  /** Do not verify (clients: any certificate is accepted; servers: none is requested). */
  CERT_NONE = 0,
  /** Servers request a client certificate and verify it if one is sent. */
  CERT_OPTIONAL = 1,
  /** The peer must present a certificate that verifies. */
  CERT_REQUIRED = 2,
}

/**
 * Flags that tune certificate verification (Python's `ssl.VerifyFlags`).
 *
 * @example
 * ```ts
 * import { createDefaultContext, VerifyFlags } from "@webtls/webtls";
 * const ctx = createDefaultContext();
 * console.log((ctx.verifyFlags & VerifyFlags.VERIFY_X509_STRICT) !== 0); // true
 * ```
 */
export enum VerifyFlags {
  /** Check certificates against no CRL. */
  VERIFY_DEFAULT = 0,
  /** Check the peer's certificate against the loaded CRLs. */
  VERIFY_CRL_CHECK_LEAF = 0x4,
  /** Check every certificate of the chain against the loaded CRLs. */
  VERIFY_CRL_CHECK_CHAIN = 0xc,
  /** Reject certificates that violate RFC 5280 in ways OpenSSL tolerates. */
  VERIFY_X509_STRICT = 0x20,
  /** Proxy certificates (RFC 3820) are not supported; the flag is accepted and has no effect. */
  VERIFY_ALLOW_PROXY_CERTS = 0x40,
  /** Prefer trusted certificates when building a chain (always the case here). */
  VERIFY_X509_TRUSTED_FIRST = 0x8000,
  /** Any trusted certificate, not only a self-signed root, may end a chain. */
  VERIFY_X509_PARTIAL_CHAIN = 0x80000,
}

/**
 * Context option flags (Python's `ssl.Options`). Flags for SSLv2/SSLv3/TLS 1.0/1.1 are always
 * on: those versions are refused by design (RFC 8996).
 *
 * @example
 * ```ts
 * import { SSLContext, PROTOCOL_TLS_CLIENT, Options } from "@webtls/webtls";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * ctx.options |= Options.OP_NO_TLSv1_2; // TLS 1.3 only
 * ```
 */
export enum Options {
  /** Workarounds for peer bugs (OpenSSL's SSL_OP_ALL); none are needed here. */
  OP_ALL = 0x80000050,
  /** SSLv2 is never spoken; the value is 0 as in OpenSSL 1.1+. */
  OP_NO_SSLv2 = 0,
  /** Fresh DH keys for every handshake: always the case. */
  OP_SINGLE_DH_USE = 0,
  /** Fresh ECDH keys for every handshake: always the case. */
  OP_SINGLE_ECDH_USE = 0,
  /** Allow the legacy renegotiation-unaware servers (RFC 5746 §4.1). */
  OP_LEGACY_SERVER_CONNECT = 0x4,
  /** Kernel TLS offload: not applicable to a TypeScript stack; accepted and ignored. */
  OP_ENABLE_KTLS = 0x8,
  /** Treat a transport EOF without close_notify as a clean close. */
  OP_IGNORE_UNEXPECTED_EOF = 0x80,
  /** Do not use or issue session tickets. */
  OP_NO_TICKET = 0x4000,
  /** TLS compression is never used (CRIME); always on. */
  OP_NO_COMPRESSION = 0x20000,
  /** Send the TLS 1.3 middlebox-compatibility session id and ChangeCipherSpec (RFC 8446 §D.4). */
  OP_ENABLE_MIDDLEBOX_COMPAT = 0x100000,
  /** A server picks the cipher suite by its own preference order instead of the client's. */
  OP_CIPHER_SERVER_PREFERENCE = 0x400000,
  /** SSLv3 is refused by design (RFC 7568); always on. */
  OP_NO_SSLv3 = 0x2000000,
  /** TLS 1.0 is refused by design (RFC 8996); always on. */
  OP_NO_TLSv1 = 0x4000000,
  /** Disable TLS 1.2. */
  OP_NO_TLSv1_2 = 0x8000000,
  /** TLS 1.1 is refused by design (RFC 8996); always on. */
  OP_NO_TLSv1_1 = 0x10000000,
  /** Disable TLS 1.3. */
  OP_NO_TLSv1_3 = 0x20000000,
  /** Refuse renegotiation (always the case: TLS 1.2 renegotiation is never performed). */
  OP_NO_RENEGOTIATION = 0x40000000,
}

/**
 * Protocol versions (Python's `ssl.TLSVersion`). Values below TLS 1.2 exist for Python
 * compatibility; choosing them raises `ValueError`-like errors or has no effect because
 * SSLv3, TLS 1.0 and TLS 1.1 are refused by design (RFC 8996).
 *
 * @example
 * ```ts
 * import { SSLContext, PROTOCOL_TLS_CLIENT, TLSVersion } from "@webtls/webtls";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * ctx.minimumVersion = TLSVersion.TLSv1_3;
 * ```
 */
export enum TLSVersion {
  /** The lowest version this library speaks (TLS 1.2). */
  MINIMUM_SUPPORTED = -2,
  /** The highest version this library speaks (TLS 1.3). */
  MAXIMUM_SUPPORTED = -1,
  /** Refused by design (RFC 7568). */
  SSLv3 = 0x300,
  /** Refused by design (RFC 8996). */
  TLSv1 = 0x301,
  /** Refused by design (RFC 8996). */
  TLSv1_1 = 0x302,
  /** TLS 1.2 (RFC 5246). */
  TLSv1_2 = 0x303,
  /** TLS 1.3 (RFC 8446). */
  TLSv1_3 = 0x304,
}

/**
 * Protocol selectors for the `SSLContext` constructor (Python's `_SSLMethod`).
 *
 * @example
 * ```ts
 * import { SSLContext, SSLMethod } from "@webtls/webtls";
 * const ctx = new SSLContext(SSLMethod.PROTOCOL_TLS_SERVER);
 * console.log(ctx.protocol); // 17
 * ```
 */
export enum SSLMethod {
  /** Client or server, decided by `wrapSocket`'s `serverSide` (deprecated in Python). */
  PROTOCOL_TLS = 2,
  /** TLS 1.0 only: refused by design (RFC 8996); the constructor throws. */
  PROTOCOL_TLSv1 = 3,
  /** TLS 1.1 only: refused by design (RFC 8996); the constructor throws. */
  PROTOCOL_TLSv1_1 = 4,
  /** TLS 1.2 only (deprecated in Python; prefer `minimumVersion`/`maximumVersion`). */
  PROTOCOL_TLSv1_2 = 5,
  /** A client context: verifies the server's certificate and hostname by default. */
  PROTOCOL_TLS_CLIENT = 16,
  /** A server context. */
  PROTOCOL_TLS_SERVER = 17,
}

/**
 * Alert descriptions with Python's names (`ssl.AlertDescription`).
 *
 * @example
 * ```ts
 * import { AlertDescription } from "@webtls/webtls";
 * console.log(AlertDescription.ALERT_DESCRIPTION_UNKNOWN_CA); // 48
 * ```
 */
export enum AlertDescription {
  ALERT_DESCRIPTION_CLOSE_NOTIFY = 0,
  ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10,
  ALERT_DESCRIPTION_BAD_RECORD_MAC = 20,
  ALERT_DESCRIPTION_RECORD_OVERFLOW = 22,
  ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30,
  ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40,
  ALERT_DESCRIPTION_BAD_CERTIFICATE = 42,
  ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43,
  ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44,
  ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45,
  ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46,
  ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47,
  ALERT_DESCRIPTION_UNKNOWN_CA = 48,
  ALERT_DESCRIPTION_ACCESS_DENIED = 49,
  ALERT_DESCRIPTION_DECODE_ERROR = 50,
  ALERT_DESCRIPTION_DECRYPT_ERROR = 51,
  ALERT_DESCRIPTION_PROTOCOL_VERSION = 70,
  ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71,
  ALERT_DESCRIPTION_INTERNAL_ERROR = 80,
  ALERT_DESCRIPTION_USER_CANCELLED = 90,
  ALERT_DESCRIPTION_NO_RENEGOTIATION = 100,
  ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110,
  ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111,
  ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112,
  ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
  ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114,
  ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115,
}

/** An object identifier naming a certificate purpose (Python's `_ASN1Object`). */
export interface ASN1Object {
  /** OpenSSL's numeric identifier. */
  readonly nid: number;
  /** Short name (`serverAuth`). */
  readonly shortname: string;
  /** Long name (`TLS Web Server Authentication`). */
  readonly longname: string;
  /** Dotted OID. */
  readonly oid: string;
}

/**
 * What a context's trust anchors are for (Python's `ssl.Purpose`).
 *
 * @example
 * ```ts
 * import { createDefaultContext, Purpose } from "@webtls/webtls";
 * const serverCtx = createDefaultContext(Purpose.CLIENT_AUTH); // for a server checking clients
 * ```
 */
export const Purpose: { readonly SERVER_AUTH: ASN1Object; readonly CLIENT_AUTH: ASN1Object } =
  Object.freeze({
    SERVER_AUTH: Object.freeze({
      nid: 129,
      shortname: "serverAuth",
      longname: "TLS Web Server Authentication",
      oid: "1.3.6.1.5.5.7.3.1",
    }),
    CLIENT_AUTH: Object.freeze({
      nid: 130,
      shortname: "clientAuth",
      longname: "TLS Web Client Authentication",
      oid: "1.3.6.1.5.5.7.3.2",
    }),
  });
