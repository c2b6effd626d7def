/**
 * `listen()`: accept TCP connections and complete TLS handshakes on them, on Deno, Bun or
 * Node. Each connection's handshake runs on its own with a timeout, so one slow or hostile
 * client never holds up another.
 * @module
 */
import type { SSLContext } from "../ssl/context.ts";
import type { SSLSocket, Transport } from "../ssl/socket.ts";
import { AsyncQueue } from "./_queue.ts";
import { type DenoConn, denoTransport, nodeSocketTransport, runtimeName } from "./tcp.ts";

/** Options of {@link listen}. */
export interface ListenOptions {
  /** The server context (certificates loaded with `loadCertChain`). */
  context: SSLContext;
  /** Port to listen on (0 picks a free one). */
  port: number;
  /** Address to bind (default `127.0.0.1`; use `0.0.0.0` or `::` for every interface). */
  hostname?: string;
  /** Milliseconds a client has to complete its handshake (default 10000). */
  handshakeTimeout?: number;
  /** Called when a connection fails before or during its handshake. */
  onError?: (error: unknown, peer: string) => void;
}

/** A TLS listener: iterate it for handshaken connections; `close()` stops accepting. */
export interface TLSListener extends AsyncIterable<SSLSocket> {
  /** The address bound. */
  readonly hostname: string;
  /** The port bound (useful with port 0). */
  readonly port: number;
  /** Stops accepting; established connections are left open. */
  close(): Promise<void>;
}

/** A plain TCP listener as the runtime offers it. */
interface TcpListener {
  port: number;
  accept(): AsyncIterable<Transport & { peer: string }>;
  close(): Promise<void>;
}

/**
 * Listens for TLS connections. Iterating the listener yields each connection once its
 * handshake completed; failed handshakes go to `onError` and never end the loop.
 *
 * @example
 * ```ts
 * import { listen, PROTOCOL_TLS_SERVER, SSLContext } from "@webtls/webtls";
 * const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
 * await ctx.loadCertChain("cert.pem", "key.pem");
 * const server = await listen({ context: ctx, port: 8443 });
 * for await (const tls of server) {
 *   tls.readable.pipeTo(tls.writable).catch(() => {}); // echo
 * }
 * ```
 */
export async function listen(options: ListenOptions): Promise<TLSListener> {
  const hostname = options.hostname ?? "127.0.0.1";
  const tcp = await listenTcp(hostname, options.port);
  const timeout = options.handshakeTimeout ?? 10000;
  const ready = new AsyncQueue<SSLSocket>();
  const accepting = (async () => {
    for await (const transport of tcp.accept()) {
      options.context.wrapSocket(transport, { serverSide: true, handshakeTimeout: timeout })
        .then((sock) => ready.push(sock), (e) => options.onError?.(e, transport.peer));
    }
  })();
  return {
    hostname,
    port: tcp.port,
    async close() {
      await tcp.close();
      await accepting.catch(() => {});
      ready.close();
    },
    [Symbol.asyncIterator]: () => ready[Symbol.asyncIterator](),
  };
}

/** Opens a TCP listener with the runtime's own API. */
async function listenTcp(hostname: string, port: number): Promise<TcpListener> {
  switch (runtimeName()) {
    case "deno":
      return denoListen(hostname, port);
    case "bun":
      return bunListen(hostname, port);
    default:
      return await nodeListen(hostname, port);
  }
}

interface DenoListener
  extends AsyncIterable<DenoConn & { remoteAddr: { hostname: string; port: number } }> {
  addr: { port: number };
  close(): void;
}

function denoListen(hostname: string, port: number): TcpListener {
  const D = (globalThis as unknown as {
    Deno: { listen(o: { hostname: string; port: number }): DenoListener };
  }).Deno;
  const l = D.listen({ hostname, port });
  return {
    port: l.addr.port,
    async *accept() {
      try {
        for await (const conn of l) {
          conn.setNoDelay?.(true);
          const { hostname: h, port: p } = conn.remoteAddr;
          yield Object.assign(denoTransport(conn), { peer: `${h}:${p}` });
        }
      } catch {
        // the listener was closed
      }
    },
    close() {
      try {
        l.close();
      } catch {
        // already closed
      }
      return Promise.resolve();
    },
  };
}

async function nodeListen(hostname: string, port: number): Promise<TcpListener> {
  const net = await import("node:net");
  const queue = new AsyncQueue<Transport & { peer: string }>();
  // TLS allows half-closed connections (RFC 8446 §6.1): a client's close_notify and FIN end
  // only its side, and we may still send. Node would otherwise end our side at its FIN.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    queue.push(Object.assign(nodeSocketTransport(socket), {
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
    }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    accept: () => queue,
    close() {
      queue.close();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface BunServerSocket {
  data: BunSide | undefined;
  remoteAddress: string;
  remotePort: number;
  write(d: Uint8Array): number;
  end(): void;
  setNoDelay?(v: boolean): void;
  pause?(): void;
  resume?(): void;
}

/** Per-connection state of a Bun socket: the stream controller and the drain waiter. */
interface BunSide {
  controller: ReadableStreamDefaultController<Uint8Array>;
  drained?: () => void;
  failure?: Error;
  /** The socket is gone: a write waiting for `drain` would wait forever. */
  closed?: boolean;
}

function bunListen(hostname: string, port: number): TcpListener {
  const B = (globalThis as unknown as {
    Bun: {
      listen(o: {
        hostname: string;
        port: number;
        allowHalfOpen: boolean;
        socket: Record<string, (s: BunServerSocket, ...a: never[]) => void>;
      }): { port: number; stop(force?: boolean): void };
    };
  }).Bun;
  const queue = new AsyncQueue<Transport & { peer: string }>();
  // `end`: the client half-closed, we may still write; `close`: the socket is gone.
  const finish = (s: BunServerSocket) => {
    try {
      s.data?.controller.close();
    } catch {
      // already closed
    }
    s.data?.drained?.();
  };
  const gone = (s: BunServerSocket) => {
    if (s.data) s.data.closed = true;
    finish(s);
  };
  const listener = B.listen({
    hostname,
    port,
    // As for Node above: the client's FIN must not end our side (RFC 8446 §6.1).
    allowHalfOpen: true,
    socket: {
      open(s: BunServerSocket) {
        s.setNoDelay?.(true);
        // Backpressure: Bun pushes data as it comes, so the socket is paused while a few
        // chunks wait unread, and resumed when the reader pulls (as Node's adapter does).
        const readable = new ReadableStream<Uint8Array>({
          start(controller) {
            s.data = { controller };
          },
          pull() {
            s.resume?.();
          },
        }, { highWaterMark: 4 });
        const writable = new WritableStream<Uint8Array>({
          async write(chunk) {
            let rest = chunk;
            while (rest.byteLength > 0) {
              if (s.data?.failure) throw s.data.failure;
              // A closed Bun socket accepts nothing and returns -1.
              const n = s.data?.closed ? -1 : s.write(rest);
              if (n < 0) throw new Error("the socket is closed");
              rest = rest.subarray(n);
              if (rest.byteLength > 0) await new Promise<void>((r) => (s.data!.drained = r));
            }
          },
          close: () => s.end(),
          abort: () => s.end(),
        });
        // `host:port`, as on Deno and Node, so onError can tell connections from one host apart.
        const peer = `${s.remoteAddress}:${s.remotePort}`;
        queue.push({ readable, writable, close: () => s.end(), peer });
      },
      // Bun reuses its receive buffer: copy before queueing.
      data(s: BunServerSocket, d: Uint8Array) {
        const controller = s.data?.controller;
        if (!controller) return;
        controller.enqueue(d.slice());
        if ((controller.desiredSize ?? 1) <= 0) s.pause?.();
      },
      drain: (s: BunServerSocket) => s.data?.drained?.(),
      close: gone,
      end: finish,
      error(s: BunServerSocket, e: Error) {
        if (!s.data) return;
        s.data.failure = e;
        try {
          s.data.controller.error(e);
        } catch {
          // already closed
        }
        s.data.drained?.();
      },
    },
  });
  return {
    port: listener.port,
    accept: () => queue,
    close() {
      queue.close();
      listener.stop();
      return Promise.resolve();
    },
  };
}
