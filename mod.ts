/**
 * webtls: TLS 1.3 and 1.2 in TypeScript with the concepts of Python's `ssl` module, all
 * cryptography through WebCrypto, records streamed as Web Streams. Runs on Deno, Bun, Node and
 * edge runtimes that have raw TCP.
 *
 * @example
 * ```ts
 * import { connect } from "@webtls/webtls";
 * const tls = await connect("example.com", 443);
 * await tls.write(new TextEncoder().encode("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n"));
 * console.log(new TextDecoder().decode(await tls.read()));
 * await tls.close();
 * ```
 * @module
 */
export {
  CertificateError,
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  SSLErrorNumber,
  type SSLErrorOptions,
  SSLSyscallError,
  SSLWantReadError,
  SSLWantWriteError,
  SSLZeroReturnError,
} from "./src/errors.ts";
export {
  AlertDescription,
  type ASN1Object,
  Options,
  Purpose,
  SSLMethod,
  TLSVersion,
  VerifyFlags,
  VerifyMode,
} from "./src/ssl/enums.ts";
export * from "./src/ssl/constants.ts";
export {
  type CertChainSource,
  type CipherInfo,
  createDefaultContext,
  type KeylogCallback,
  type SessionStats,
  SSLContext,
  type VerifyLocations,
} from "./src/ssl/context.ts";
export { type CipherTuple, SSLBase, type WrapOptions } from "./src/ssl/_base.ts";
export { SSLSocket, type Transport, type WrapSocketOptions } from "./src/ssl/socket.ts";
export { SSLObject } from "./src/ssl/object.ts";
export { MemoryBIO } from "./src/ssl/memory_bio.ts";
export {
  certTimeToSeconds,
  derCertToPemCert,
  getDefaultVerifyPaths,
  getServerCertificate,
  type GetServerCertificateOptions,
  pemCertToDerCert,
  randAdd,
  randBytes,
  randStatus,
} from "./src/ssl/functions.ts";
export type { DefaultVerifyPaths } from "./src/ssl/_system_roots.ts";
export { SSLSession } from "./src/ssl/session.ts";
export { connect, type ConnectOptions } from "./src/net/connect.ts";
export { listen, type ListenOptions, type TLSListener } from "./src/net/listen.ts";
export {
  OPENSSL_VERSION,
  OPENSSL_VERSION_INFO,
  OPENSSL_VERSION_NUMBER,
  VERSION,
} from "./src/version.ts";
export type { PeerCertDict, PythonAltName, PythonRdn } from "./src/x509/peer_cert.ts";
export type { Bytes } from "./src/_bytes.ts";
export type { CertStoreStats } from "./src/x509/trust_store.ts";
export type { PasswordSource } from "./src/x509/private_key.ts";
export type {
  AeadAlgorithm,
  AeadKey,
  CryptoProvider,
  HashAlgorithm,
  KeyShare,
  SigningKey,
  VerifyOptions,
} from "./src/crypto/provider.ts";
export { NamedGroup, SignatureScheme } from "./src/constants.ts";
