/**
 * Module-level constants of Python's `ssl` module (`ssl.CERT_REQUIRED`, `ssl.OP_NO_TLSv1_3`,
 * `ssl.HAS_ALPN`, …), each an alias of its enumeration member.
 *
 * @example
 * ```ts
 * import { CERT_REQUIRED, PROTOCOL_TLS_CLIENT, SSLContext } from "@webtls/webtls";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * ctx.verifyMode = CERT_REQUIRED;
 * ```
 * @module
 */
import { AlertDescription, Options, SSLMethod, VerifyFlags, VerifyMode } from "./enums.ts";

/** Clients accept any certificate; servers request none. See {@link VerifyMode}. */
export const CERT_NONE: VerifyMode = VerifyMode.CERT_NONE;
/** Servers request a client certificate and verify it when sent. See {@link VerifyMode}. */
export const CERT_OPTIONAL: VerifyMode = VerifyMode.CERT_OPTIONAL;
/** The peer's certificate is required and must verify. See {@link VerifyMode}. */
export const CERT_REQUIRED: VerifyMode = VerifyMode.CERT_REQUIRED;
/** See {@link VerifyFlags}. */
export const VERIFY_DEFAULT: VerifyFlags = VerifyFlags.VERIFY_DEFAULT;
/** See {@link VerifyFlags}. */
export const VERIFY_CRL_CHECK_LEAF: VerifyFlags = VerifyFlags.VERIFY_CRL_CHECK_LEAF;
/** See {@link VerifyFlags}. */
export const VERIFY_CRL_CHECK_CHAIN: VerifyFlags = VerifyFlags.VERIFY_CRL_CHECK_CHAIN;
/** See {@link VerifyFlags}. */
export const VERIFY_X509_STRICT: VerifyFlags = VerifyFlags.VERIFY_X509_STRICT;
/** See {@link VerifyFlags}. */
export const VERIFY_ALLOW_PROXY_CERTS: VerifyFlags = VerifyFlags.VERIFY_ALLOW_PROXY_CERTS;
/** See {@link VerifyFlags}. */
export const VERIFY_X509_TRUSTED_FIRST: VerifyFlags = VerifyFlags.VERIFY_X509_TRUSTED_FIRST;
/** See {@link VerifyFlags}. */
export const VERIFY_X509_PARTIAL_CHAIN: VerifyFlags = VerifyFlags.VERIFY_X509_PARTIAL_CHAIN;
/** Client or server by `serverSide`. See {@link SSLMethod}. */
export const PROTOCOL_TLS: SSLMethod = SSLMethod.PROTOCOL_TLS;
/** A client context. See {@link SSLMethod}. */
export const PROTOCOL_TLS_CLIENT: SSLMethod = SSLMethod.PROTOCOL_TLS_CLIENT;
/** A server context. See {@link SSLMethod}. */
export const PROTOCOL_TLS_SERVER: SSLMethod = SSLMethod.PROTOCOL_TLS_SERVER;
/** TLS 1.2 only (deprecated). See {@link SSLMethod}. */
export const PROTOCOL_TLSv1_2: SSLMethod = SSLMethod.PROTOCOL_TLSv1_2;
/** Refused by design (RFC 8996). See {@link SSLMethod}. */
export const PROTOCOL_TLSv1: SSLMethod = SSLMethod.PROTOCOL_TLSv1;
/** Refused by design (RFC 8996). See {@link SSLMethod}. */
export const PROTOCOL_TLSv1_1: SSLMethod = SSLMethod.PROTOCOL_TLSv1_1;
/** Python's alias of {@link PROTOCOL_TLS}. */
export const PROTOCOL_SSLv23: SSLMethod = SSLMethod.PROTOCOL_TLS;
/** See {@link Options}. */
export const OP_ALL: Options = Options.OP_ALL;
/** See {@link Options}. */
export const OP_NO_SSLv2: Options = Options.OP_NO_SSLv2;
/** See {@link Options}. */
export const OP_NO_SSLv3: Options = Options.OP_NO_SSLv3;
/** See {@link Options}. */
export const OP_NO_TLSv1: Options = Options.OP_NO_TLSv1;
/** See {@link Options}. */
export const OP_NO_TLSv1_1: Options = Options.OP_NO_TLSv1_1;
/** See {@link Options}. */
export const OP_NO_TLSv1_2: Options = Options.OP_NO_TLSv1_2;
/** See {@link Options}. */
export const OP_NO_TLSv1_3: Options = Options.OP_NO_TLSv1_3;
/** See {@link Options}. */
export const OP_NO_RENEGOTIATION: Options = Options.OP_NO_RENEGOTIATION;
/** See {@link Options}. */
export const OP_CIPHER_SERVER_PREFERENCE: Options = Options.OP_CIPHER_SERVER_PREFERENCE;
/** See {@link Options}. */
export const OP_SINGLE_DH_USE: Options = Options.OP_SINGLE_DH_USE;
/** See {@link Options}. */
export const OP_SINGLE_ECDH_USE: Options = Options.OP_SINGLE_ECDH_USE;
/** See {@link Options}. */
export const OP_ENABLE_MIDDLEBOX_COMPAT: Options = Options.OP_ENABLE_MIDDLEBOX_COMPAT;
/** See {@link Options}. */
export const OP_NO_COMPRESSION: Options = Options.OP_NO_COMPRESSION;
/** See {@link Options}. */
export const OP_NO_TICKET: Options = Options.OP_NO_TICKET;
/** See {@link Options}. */
export const OP_IGNORE_UNEXPECTED_EOF: Options = Options.OP_IGNORE_UNEXPECTED_EOF;
/** See {@link Options}. */
export const OP_ENABLE_KTLS: Options = Options.OP_ENABLE_KTLS;
/** See {@link Options}. */
export const OP_LEGACY_SERVER_CONNECT: Options = Options.OP_LEGACY_SERVER_CONNECT;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_CLOSE_NOTIFY: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_CLOSE_NOTIFY;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_UNEXPECTED_MESSAGE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_UNEXPECTED_MESSAGE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_BAD_RECORD_MAC: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_BAD_RECORD_MAC;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_RECORD_OVERFLOW: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_RECORD_OVERFLOW;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_DECOMPRESSION_FAILURE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_DECOMPRESSION_FAILURE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_HANDSHAKE_FAILURE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_HANDSHAKE_FAILURE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_BAD_CERTIFICATE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_BAD_CERTIFICATE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_CERTIFICATE_REVOKED: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_REVOKED;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_CERTIFICATE_EXPIRED: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_EXPIRED;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_ILLEGAL_PARAMETER: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_ILLEGAL_PARAMETER;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_UNKNOWN_CA: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_UNKNOWN_CA;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_ACCESS_DENIED: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_ACCESS_DENIED;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_DECODE_ERROR: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_DECODE_ERROR;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_DECRYPT_ERROR: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_DECRYPT_ERROR;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_PROTOCOL_VERSION: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_PROTOCOL_VERSION;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_INSUFFICIENT_SECURITY: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_INSUFFICIENT_SECURITY;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_INTERNAL_ERROR: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_INTERNAL_ERROR;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_USER_CANCELLED: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_USER_CANCELLED;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_NO_RENEGOTIATION: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_NO_RENEGOTIATION;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_UNRECOGNIZED_NAME: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE;
/** See {@link AlertDescription}. */
export const ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY: AlertDescription =
  AlertDescription.ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY;

/** ALPN (RFC 7301) is supported. */
export const HAS_ALPN: boolean = true;
/** `hostnameChecksCommonName` can be turned off (and is off by default). */
export const HAS_NEVER_CHECK_COMMON_NAME: boolean = true;
/** ECDH key exchange is supported. */
export const HAS_ECDH: boolean = true;
/** Server Name Indication (RFC 6066) is supported. */
export const HAS_SNI: boolean = true;
/** NPN is obsolete (replaced by ALPN) and not implemented. */
export const HAS_NPN: boolean = false;
/** SSLv2 is refused by design (RFC 6176). */
export const HAS_SSLv2: boolean = false;
/** SSLv3 is refused by design (RFC 7568). */
export const HAS_SSLv3: boolean = false;
/** TLS 1.0 is refused by design (RFC 8996). */
export const HAS_TLSv1: boolean = false;
/** TLS 1.1 is refused by design (RFC 8996). */
export const HAS_TLSv1_1: boolean = false;
/** TLS 1.2 is supported. */
export const HAS_TLSv1_2: boolean = true;
/** TLS 1.3 is supported. */
export const HAS_TLSv1_3: boolean = true;
/** TLS 1.2 PSK cipher suites (`setPskClientCallback`) are not implemented. */
export const HAS_PSK: boolean = false;
/** Channel binding types that `getChannelBinding()` supports (RFC 5929, RFC 9266). */
export const CHANNEL_BINDING_TYPES: readonly string[] = Object.freeze([
  "tls-unique",
  "tls-exporter",
]);
