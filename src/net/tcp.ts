/**
 * A TCP connection as a {@link Transport}, from whatever the runtime offers: `Deno.connect`,
 * `Bun.connect`, Cloudflare's `connect()` or Node's `node:net`, chosen by feature detection.
 * @module
 */
import type { Transport } from "../ssl/socket.ts";

/** Minimal shape of a Deno TCP connection. */
export interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  readonly writable: WritableStream<Uint8Array>;
  close(): void;
  setNoDelay?(v: boolean): void;
}

/** Minimal shape of the Deno namespace this module uses. */
interface DenoLike {
  connect(o: { hostname: string; port: number; transport: "tcp" }): Promise<DenoConn>;
}

/** Minimal shape of a Bun socket. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  setNoDelay?(v: boolean): void;
}

/** Minimal shape of Bun's `connect`. */
interface BunLike {
  connect(o: {
    hostname: string;
    port: number;
    socket: {
      data(s: BunSocket, d: Uint8Array): void;
      drain(s: BunSocket): void;
      close(s: BunSocket): void;
      error(s: BunSocket, e: Error): void;
      end?(s: BunSocket): void;
    };
  }): Promise<BunSocket>;
}

const g = globalThis as unknown as {
  Deno?: DenoLike;
  Bun?: BunLike;
  navigator?: { userAgent?: string };
};

/** The runtime the transport comes from. */
export type RuntimeName = "deno" | "bun" | "node" | "cloudflare";

/** Which runtime this is. */
export function runtimeName(): RuntimeName {
  if (g.Deno) return "deno";
  if (g.Bun) return "bun";
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "cloudflare";
  return "node";
}

/** Opens a TCP connection to `host:port`. */
export async function openTcp(host: string, port: number): Promise<Transport> {
  switch (runtimeName()) {
    case "deno": {
      const conn = await g.Deno!.connect({ hostname: host, port, transport: "tcp" });
      conn.setNoDelay?.(true);
      return denoTransport(conn);
    }
    case "bun":
      return await bunTcp(host, port);
    case "cloudflare": {
      const mod = "cloudflare:sockets";
      const { connect } = await import(mod) as {
        connect(a: { hostname: string; port: number }): Transport & { opened: Promise<unknown> };
      };
      const socket = connect({ hostname: host, port });
      await socket.opened;
      return socket;
    }
    default:
      return await nodeTcp(host, port);
  }
}

/** What a Deno read asks for while the peer is quiet, and after a read that filled it. */
const DENO_SMALL_READ = 4096;
const DENO_LARGE_READ = 65536;

/**
 * A Deno connection as a {@link Transport}. `conn.readable` parks a 64 KiB buffer in every
 * pending read, which is most of an idle connection's memory; this reads into 4 KiB while the
 * peer is quiet and into 64 KiB while a read comes back full (a bulk transfer is under way).
 */
export function denoTransport(conn: DenoConn): Transport {
  let size = DENO_SMALL_READ;
  const close = () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(size);
      const n = await conn.read(buf);
      if (n === null) {
        controller.close();
        return;
      }
      size = n === size ? DENO_LARGE_READ : DENO_SMALL_READ;
      controller.enqueue(buf.subarray(0, n));
    },
    cancel: close,
  });
  return { readable, writable: conn.writable, close };
}

/** Bun's native TCP client, adapted to Web Streams with backpressure on both sides. */
async function bunTcp(host: string, port: number): Promise<Transport> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let drained: (() => void) | undefined;
  let failure: Error | undefined;
  let closed = false;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const finish = () => {
    try {
      controller.close();
    } catch {
      // already closed or errored
    }
    drained?.();
  };
  // Bun calls `end` when the peer half-closes (we may still write) and `close` once the
  // socket is gone; a write waiting for `drain` then would wait forever.
  const gone = () => {
    closed = true;
    finish();
  };
  const socket = await g.Bun!.connect({
    hostname: host,
    port,
    socket: {
      // Bun reuses its receive buffer: copy before queueing.
      data: (_s, d) => controller.enqueue(d.slice()),
      drain: () => drained?.(),
      close: gone,
      end: finish,
      error: (_s, e) => {
        failure = e;
        try {
          controller.error(e);
        } catch {
          // already closed
        }
        drained?.();
      },
    },
  });
  socket.setNoDelay?.(true);
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      let rest = chunk;
      while (rest.byteLength > 0) {
        if (failure) throw failure;
        // A closed Bun socket accepts nothing and returns -1.
        const n = closed ? -1 : socket.write(rest);
        if (n < 0) throw new Error("the socket is closed");
        rest = rest.subarray(n);
        if (rest.byteLength > 0) await new Promise<void>((r) => (drained = r));
      }
    },
    close() {
      socket.end();
    },
    abort() {
      socket.end();
    },
  });
  return { readable, writable, close: () => socket.end() };
}

/** Node's `node:net` socket, adapted to Web Streams with backpressure on both sides. */
async function nodeTcp(host: string, port: number): Promise<Transport> {
  const net = await import("node:net");
  const socket = net.connect({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return nodeSocketTransport(socket);
}

/** Adapts a connected `node:net` socket (or anything with its events) to a {@link Transport}. */
export function nodeSocketTransport(
  socket: import("node:net").Socket,
): Transport & { close(): void } {
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("data", (d: Uint8Array) => {
        controller.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      });
      socket.once("end", () => {
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
      socket.once("error", (e) => {
        try {
          controller.error(e);
        } catch {
          // already closed
        }
      });
    },
    pull() {
      socket.resume();
    },
    cancel() {
      socket.destroy();
    },
  }, { highWaterMark: 4 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed) return Promise.reject(new Error("socket closed"));
      if (socket.write(chunk)) return;
      // Backpressure: wait for the kernel buffer to drain (or the socket to fail).
      return new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          socket.off("drain", done);
          socket.off("error", done);
          socket.off("close", done);
          if (err) reject(err);
          else resolve();
        };
        socket.on("drain", done);
        socket.on("error", done);
        socket.on("close", done);
      });
    },
    close() {
      return new Promise<void>((resolve) => socket.end(resolve));
    },
    abort() {
      socket.destroy();
    },
  });
  return { readable, writable, close: () => void socket.destroy() };
}
