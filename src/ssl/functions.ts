/**
 * The module-level functions of Python's `ssl` module.
 * @module
 */
import { openTcp } from "../net/tcp.ts";
import { SSLError } from "../errors.ts";
import { derToPem, pemToDer } from "../x509/peer_cert.ts";

export { certTimeToSeconds } from "../x509/peer_cert.ts";
import { type DefaultVerifyPaths, defaultVerifyPaths } from "./_system_roots.ts";
import { createDefaultContext, SSLContext } from "./context.ts";
import { CERT_NONE, PROTOCOL_TLS_CLIENT } from "./constants.ts";

/**
 * `num` bytes from the platform's cryptographically secure generator (Python's `RAND_bytes`).
 *
 * @example
 * ```ts
 * import { randBytes } from "@webtls/webtls";
 * const nonce = randBytes(16);
 * ```
 */
export function randBytes(num: number): Uint8Array {
  if (!Number.isInteger(num) || num < 0) throw new RangeError("num must be a non-negative integer");
  const out = new Uint8Array(num);
  // getRandomValues fills at most 65536 bytes per call.
  for (let off = 0; off < num; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(num, off + 65536)));
  }
  return out;
}

/**
 * Whether the generator is seeded (Python's `RAND_status`): always true, WebCrypto's
 * generator is seeded by the platform.
 *
 * @example
 * ```ts
 * import { randStatus } from "@webtls/webtls";
 * console.log(randStatus()); // true
 * ```
 */
export function randStatus(): boolean {
  return true;
}

/**
 * Python's `RAND_add`: accepted for compatibility and ignored, because the platform's
 * generator needs no seeding from the application.
 *
 * @example
 * ```ts
 * import { randAdd } from "@webtls/webtls";
 * randAdd(new Uint8Array(32), 32); // no effect
 * ```
 */
export function randAdd(_bytes: Uint8Array | string, _entropy: number): void {}

/**
 * PEM text of a DER certificate (Python's `DER_cert_to_PEM_cert`).
 *
 * @example
 * ```ts
 * import { derCertToPemCert, pemCertToDerCert } from "@webtls/webtls";
 * const pem = derCertToPemCert(pemCertToDerCert(Deno.readTextFileSync("cert.pem")));
 * ```
 */
export function derCertToPemCert(derCertBytes: Uint8Array): string {
  return derToPem(derCertBytes);
}

/**
 * DER bytes of a PEM certificate (Python's `PEM_cert_to_DER_cert`). Throws `ValueError` when
 * the text is not a PEM certificate.
 *
 * @example
 * ```ts
 * import { pemCertToDerCert } from "@webtls/webtls";
 * const der = pemCertToDerCert(Deno.readTextFileSync("cert.pem"));
 * ```
 */
export function pemCertToDerCert(pemCertString: string): Uint8Array {
  return pemToDer(pemCertString);
}

/**
 * Where OpenSSL would look for default CA certificates here (Python's
 * `get_default_verify_paths`).
 *
 * @example
 * ```ts
 * import { getDefaultVerifyPaths } from "@webtls/webtls";
 * console.log((await getDefaultVerifyPaths()).cafile);
 * ```
 */
export function getDefaultVerifyPaths(): Promise<DefaultVerifyPaths> {
  return defaultVerifyPaths();
}

/** Options of {@link getServerCertificate}. */
export interface GetServerCertificateOptions {
  /** CA certificates (PEM file) to verify the server with; without them nothing is verified. */
  caCerts?: string;
  /** Milliseconds to wait for the handshake (default 10000). */
  timeout?: number;
}

/**
 * The PEM certificate a server presents (Python's `get_server_certificate`). Without
 * `caCerts` the certificate is not verified; with them it must verify, host name included.
 *
 * @example
 * ```ts
 * import { getServerCertificate } from "@webtls/webtls";
 * console.log(await getServerCertificate(["example.com", 443]));
 * ```
 */
export async function getServerCertificate(
  addr: readonly [string, number],
  options: GetServerCertificateOptions = {},
): Promise<string> {
  const [host, port] = addr;
  let ctx: SSLContext;
  if (options.caCerts) {
    ctx = await createDefaultContext(undefined, { cafile: options.caCerts });
  } else {
    ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
    ctx.checkHostname = false;
    ctx.verifyMode = CERT_NONE;
  }
  const transport = await openTcp(host, port);
  const sock = await ctx.wrapSocket(transport, {
    serverHostname: host,
    handshakeTimeout: options.timeout ?? 10000,
  });
  try {
    const der = sock.getPeerCert(true);
    if (!der) throw new SSLError("NO_CERTIFICATE", "the server sent no certificate");
    return derToPem(der);
  } finally {
    await sock.close();
  }
}
