/**
 * The library's version and its stand-ins for Python's `OPENSSL_VERSION*` constants.
 * @module
 */

/**
 * The webtls version.
 *
 * @example
 * ```ts
 * import { VERSION } from "@webtls/webtls";
 * console.log(VERSION); // 0.1.0
 * ```
 */
export const VERSION = "0.1.0";

/**
 * Python's `ssl.OPENSSL_VERSION`: the TLS implementation in use, here webtls itself.
 *
 * @example
 * ```ts
 * import { OPENSSL_VERSION } from "@webtls/webtls";
 * console.log(OPENSSL_VERSION); // webtls 0.1.0 (WebCrypto)
 * ```
 */
export const OPENSSL_VERSION: string = `webtls ${VERSION} (WebCrypto)`;

/** Python's `ssl.OPENSSL_VERSION_INFO`: the version as numbers (major, minor, fix, patch, status). */
export const OPENSSL_VERSION_INFO: readonly [number, number, number, number, number] = Object
  .freeze([0, 1, 0, 0, 15]) as readonly [number, number, number, number, number];

/** Python's `ssl.OPENSSL_VERSION_NUMBER`: the version as one number, OpenSSL's layout. */
export const OPENSSL_VERSION_NUMBER: number = 0x0010000f;
