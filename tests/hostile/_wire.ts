/**
 * The transports of the scripted client (_scripted_client.ts): TCP through node:net, which
 * runs unchanged under Deno, Bun and Node, and a server `Connection` fed in memory, for tests
 * that look at the engine's state between records.
 */
import * as net from "node:net";
import type { Bytes } from "../../src/_bytes.ts";
import type { Connection } from "../../src/engine/connection.ts";

/** A byte transport the scripted client talks over. */
export interface Wire {
  /** Sends bytes (never blocks; the transport queues). */
  write(data: Uint8Array): void;
  /** The next chunk received, or `undefined` once the peer closed (or reset) the connection. */
  read(): Promise<Bytes | undefined>;
  /** Half-closes: no more bytes from us. */
  end(): void;
  /** Drops the connection. */
  close(): void;
}

/** A TCP {@link Wire} and the local port the server sees (its `peer` ends with it). */
export interface TcpWire extends Wire {
  readonly localPort: number;
}

/** Connects to 127.0.0.1:`port` with node:net. A reset reads as EOF, after the data before it. */
export function tcpWire(port: number): Promise<TcpWire> {
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
  const chunks: Bytes[] = [];
  let eof = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.on("data", (d: Uint8Array) => {
    chunks.push(new Uint8Array(d));
    notify();
  });
  const done = () => {
    eof = true;
    notify();
  };
  socket.on("end", done);
  socket.on("close", done);
  // A reset while we still write (the server closed after its alert) only ends the stream.
  socket.on("error", done);
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve({
        localPort: socket.localPort!,
        write(data) {
          if (!socket.destroyed) socket.write(data);
        },
        async read() {
          while (chunks.length === 0 && !eof) await new Promise<void>((r) => (wake = r));
          return chunks.shift();
        },
        end() {
          if (!socket.destroyed) socket.end();
        },
        close() {
          socket.destroy();
        },
      });
    });
  });
}

/** A {@link Wire} straight into a server `Connection`, to look at its state between records. */
export interface EngineWire extends Wire {
  /** Resolves once everything written so far has been processed. */
  settled(): Promise<void>;
}

/**
 * Feeds what the client writes to `conn` (one `receive` + `process` per write) and hands
 * back what it produces; the connection's failure ends the stream after its last bytes.
 */
export function engineWire(conn: Connection): EngineWire {
  const out: Bytes[] = [];
  let eof = false;
  let wake: (() => void) | undefined;
  let work: Promise<void> = Promise.resolve();
  const step = () => {
    work = work.then(async () => {
      if (eof) return;
      // A failure is kept by the connection (`conn.error`); the stream just ends after it.
      await conn.process().catch(() => {});
      const bytes = conn.takeOutgoing();
      if (bytes.byteLength) out.push(bytes);
      if (conn.error) eof = true;
      wake?.();
    });
  };
  return {
    write(data) {
      conn.receive(new Uint8Array(data));
      step();
    },
    async read() {
      while (out.length === 0 && !eof) await new Promise<void>((r) => (wake = r));
      return out.shift();
    },
    end() {
      conn.receiveEof();
      step();
    },
    close() {
      eof = true;
      wake?.();
    },
    settled: () => work,
  };
}
