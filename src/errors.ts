/**
 * The exceptions of Python's `ssl` module. Every failure the library surfaces is one of these,
 * with OpenSSL's `library`/`reason` mnemonics so code written against Python's `ssl` recognises
 * them.
 * @module
 */

/**
 * Error numbers, as Python's `ssl.SSLErrorNumber` (OpenSSL's `SSL_ERROR_*`).
 *
 * @example
 * ```ts
 * import { SSLErrorNumber, SSLWantReadError } from "@webtls/webtls";
 * console.log(new SSLWantReadError().errno === SSLErrorNumber.SSL_ERROR_WANT_READ); // true
 * ```
 */
export enum SSLErrorNumber {
  SSL_ERROR_SSL = 1,
  SSL_ERROR_WANT_READ = 2,
  SSL_ERROR_WANT_WRITE = 3,
  SSL_ERROR_WANT_X509_LOOKUP = 4,
  SSL_ERROR_SYSCALL = 5,
  SSL_ERROR_ZERO_RETURN = 6,
  SSL_ERROR_WANT_CONNECT = 7,
  SSL_ERROR_EOF = 8,
  SSL_ERROR_INVALID_ERROR_CODE = 10,
}

/** Options accepted by the {@link SSLError} constructor. */
export interface SSLErrorOptions {
  /** OpenSSL library mnemonic: `SSL`, `X509`, `PEM`, … (default `SSL`). */
  library?: string;
  /** Error number (default `SSL_ERROR_SSL`). */
  errno?: SSLErrorNumber;
  /** The underlying cause, if any. */
  cause?: unknown;
}

/**
 * A TLS failure: a protocol violation by either side, an alert from the peer, a bad
 * configuration. `reason` is OpenSSL's mnemonic (`CERTIFICATE_VERIFY_FAILED`,
 * `TLSV1_ALERT_UNKNOWN_CA`, `WRONG_VERSION_NUMBER`, …).
 *
 * @example
 * ```ts
 * import { SSLError } from "@webtls/webtls";
 * try {
 *   throw new SSLError("NO_CIPHERS_AVAILABLE", "no cipher can be selected");
 * } catch (e) {
 *   if (e instanceof SSLError) console.log(e.reason); // NO_CIPHERS_AVAILABLE
 * }
 * ```
 */
export class SSLError extends Error {
  /** OpenSSL library mnemonic (`SSL`, `X509`, `PEM`, …). */
  readonly library: string;
  /** OpenSSL reason mnemonic. */
  readonly reason: string;
  /** The `SSLErrorNumber` of this failure. */
  readonly errno: SSLErrorNumber;
  /** The detail without the `[LIB: REASON]` prefix. */
  readonly strerror: string;

  /**
   * Creates an error with OpenSSL's reason mnemonic and a human-readable detail.
   * @param reason OpenSSL reason mnemonic
   * @param detail human-readable explanation
   * @param options library, errno, cause
   */
  constructor(reason: string, detail: string, options: SSLErrorOptions = {}) {
    const library = options.library ?? "SSL";
    super(`[${library}: ${reason}] ${detail}`, { cause: options.cause });
    this.name = "SSLError";
    this.library = library;
    this.reason = reason;
    this.errno = options.errno ?? SSLErrorNumber.SSL_ERROR_SSL;
    this.strerror = detail;
  }
}

/**
 * The connection was closed cleanly (close_notify received) and no more data can be read.
 *
 * @example
 * ```ts
 * import { SSLZeroReturnError } from "@webtls/webtls";
 * console.log(new SSLZeroReturnError().reason); // ZERO_RETURN
 * ```
 */
export class SSLZeroReturnError extends SSLError {
  /**
   * Creates the error.
   * @param detail explanation
   */
  constructor(detail = "TLS/SSL connection has been closed (EOF)") {
    super("ZERO_RETURN", detail, { errno: SSLErrorNumber.SSL_ERROR_ZERO_RETURN });
    this.name = "SSLZeroReturnError";
  }
}

/**
 * More bytes must arrive from the transport before the operation can finish (non-blocking
 * `SSLObject` over `MemoryBIO`).
 *
 * @example
 * ```ts
 * import { SSLWantReadError } from "@webtls/webtls";
 * console.log(new SSLWantReadError().errno); // 2
 * ```
 */
export class SSLWantReadError extends SSLError {
  /**
   * Creates the error.
   * @param detail explanation
   */
  constructor(detail = "The operation did not complete (read)") {
    super("WANT_READ", detail, { errno: SSLErrorNumber.SSL_ERROR_WANT_READ });
    this.name = "SSLWantReadError";
  }
}

/**
 * Bytes must be sent on the transport before the operation can finish. `MemoryBIO` never
 * blocks, so the library only raises it for API compatibility.
 *
 * @example
 * ```ts
 * import { SSLWantWriteError } from "@webtls/webtls";
 * console.log(new SSLWantWriteError().errno); // 3
 * ```
 */
export class SSLWantWriteError extends SSLError {
  /**
   * Creates the error.
   * @param detail explanation
   */
  constructor(detail = "The operation did not complete (write)") {
    super("WANT_WRITE", detail, { errno: SSLErrorNumber.SSL_ERROR_WANT_WRITE });
    this.name = "SSLWantWriteError";
  }
}

/**
 * The transport failed (connection reset, write after close, …).
 *
 * @example
 * ```ts
 * import { SSLSyscallError } from "@webtls/webtls";
 * console.log(new SSLSyscallError("connection reset").errno); // 5
 * ```
 */
export class SSLSyscallError extends SSLError {
  /**
   * Creates the error.
   * @param detail explanation
   * @param cause the transport's error
   */
  constructor(detail = "Some I/O error occurred", cause?: unknown) {
    super("SYSCALL", detail, { errno: SSLErrorNumber.SSL_ERROR_SYSCALL, cause });
    this.name = "SSLSyscallError";
  }
}

/**
 * The transport ended without a close_notify alert: the data read so far may be truncated.
 *
 * @example
 * ```ts
 * import { SSLEOFError } from "@webtls/webtls";
 * console.log(new SSLEOFError().reason); // UNEXPECTED_EOF_WHILE_READING
 * ```
 */
export class SSLEOFError extends SSLError {
  /**
   * Creates the error.
   * @param detail explanation
   */
  constructor(detail = "EOF occurred in violation of protocol") {
    super("UNEXPECTED_EOF_WHILE_READING", detail, { errno: SSLErrorNumber.SSL_ERROR_EOF });
    this.name = "SSLEOFError";
  }
}

/**
 * Certificate verification failed. `verifyCode` and `verifyMessage` follow OpenSSL's
 * `X509_V_ERR_*` numbering: 10 expired, 18 self-signed leaf, 19 self-signed in chain,
 * 20 unable to get local issuer, 62 hostname mismatch, 64 IP address mismatch.
 *
 * @example
 * ```ts
 * import { SSLCertVerificationError } from "@webtls/webtls";
 * const e = new SSLCertVerificationError(62, "Hostname mismatch, certificate is not valid for 'example.com'.");
 * console.log(e.reason, e.verifyCode); // CERTIFICATE_VERIFY_FAILED 62
 * ```
 */
export class SSLCertVerificationError extends SSLError {
  /** OpenSSL `X509_V_ERR_*` code. */
  readonly verifyCode: number;
  /** OpenSSL's text for the code, with details. */
  readonly verifyMessage: string;

  /**
   * Creates the error from OpenSSL's verify result.
   * @param verifyCode OpenSSL verify error code
   * @param verifyMessage its text
   */
  constructor(verifyCode: number, verifyMessage: string) {
    super("CERTIFICATE_VERIFY_FAILED", `certificate verify failed: ${verifyMessage}`);
    this.name = "SSLCertVerificationError";
    this.verifyCode = verifyCode;
    this.verifyMessage = verifyMessage;
  }
}

/**
 * Python's alias of {@link SSLCertVerificationError}.
 *
 * @example
 * ```ts
 * import { CertificateError, SSLCertVerificationError } from "@webtls/webtls";
 * console.log(CertificateError === SSLCertVerificationError); // true
 * ```
 */
export const CertificateError: typeof SSLCertVerificationError = SSLCertVerificationError;
