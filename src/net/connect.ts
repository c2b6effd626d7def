/**
 * `connect()`: open TCP and TLS in one call, on any runtime.
 * @module
 */
import { createDefaultContext, type SSLContext } from "../ssl/context.ts";
import type { SSLSession } from "../ssl/session.ts";
import type { SSLSocket } from "../ssl/socket.ts";
import { openTcp } from "./tcp.ts";

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The context to use (default: `await createDefaultContext()`: system roots, hostname checks). */
  context?: SSLContext;
  /** The name to send as SNI and verify (default: the host connected to). */
  serverHostname?: string;
  /** A session to resume. */
  session?: SSLSession;
  /** Abort the handshake after this many milliseconds. */
  handshakeTimeout?: number;
  /** Treat a transport EOF without close_notify as end of data (default true). */
  suppressRaggedEofs?: boolean;
}

/**
 * Opens a TCP connection to `host:port` with the runtime's own sockets (Deno, Bun, Node or
 * Cloudflare Workers) and completes a TLS handshake over it.
 *
 * @example
 * ```ts
 * import { connect } from "@webtls/webtls";
 * const tls = await connect("example.com", 443);
 * console.log(tls.version(), tls.cipher());
 * await tls.close();
 * ```
 */
export async function connect(
  host: string,
  port: number,
  options: ConnectOptions = {},
): Promise<SSLSocket> {
  const context = options.context ?? await createDefaultContext();
  const transport = await openTcp(host, port);
  try {
    return await context.wrapSocket(transport, {
      serverHostname: options.serverHostname ?? host,
      session: options.session,
      handshakeTimeout: options.handshakeTimeout,
      suppressRaggedEofs: options.suppressRaggedEofs,
    });
  } catch (e) {
    try {
      await transport.close?.();
    } catch {
      // the handshake failure is what matters
    }
    throw e;
  }
}
