/**
 * A tampering TCP proxy for hostile-input tests: it sits on 127.0.0.1 between our client and
 * a real peer (an `openssl s_server`), splits both byte streams into TLS records, and lets a
 * test rewrite, drop, inject or truncate them, or stall a direction forever. Everything that
 * crosses it is kept, before and after tampering, so a test can read which alert the client
 * sent (see `_alerts.ts`).
 *
 * Only node:net is used, so it runs unchanged under Deno, Bun and Node. Call `close()` (e.g.
 * in `after()`) to drop the listener and every connection it still holds.
 */
import * as net from "node:net";
import { type Bytes, concat } from "../../src/_bytes.ts";
import { ContentType, HandshakeType } from "../../src/constants.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import {
  decodeServerHello,
  encodeServerHello,
  type ServerHello,
} from "../../src/messages/server_hello.ts";

/** Which way bytes travel through the proxy. */
export type Direction = "toServer" | "toClient";

/** One complete record as read from one direction's stream. */
export interface RawRecord {
  /** Content type (outer type for protected TLS 1.3 records). */
  type: number;
  /** legacy_record_version. */
  version: number;
  /** The record body. */
  body: Bytes;
  /** Header and body as received. */
  raw: Bytes;
  /** 0-based position among the records of this direction. */
  index: number;
}

/**
 * What to do with a record: `undefined` forwards it unchanged; bytes are sent instead (empty
 * drops it; several records or injected ones may be concatenated); "close" ends the
 * connection both ways instead of forwarding; "stall" forwards nothing more in this direction
 * while keeping the connection open.
 */
export type Verdict = undefined | Uint8Array | "close" | "stall";

/** Decides the fate of each record crossing the proxy. */
export type Tamper = (
  dir: Direction,
  rec: RawRecord,
  conn: MitmConnection,
) => Verdict | Promise<Verdict>;

/** Options of {@link startMitm}. */
export interface MitmOptions {
  /** The real peer on 127.0.0.1. */
  upstreamPort: number;
  /** Called for every complete record in either direction (default: forward everything). */
  tamper?: Tamper;
  /**
   * Close the connection both ways once this many bytes went to the client, cutting a record
   * in the middle if that is where the count ends.
   */
  cutToClientAfter?: number;
}

/** One proxied connection and everything that crossed it. */
export interface MitmConnection {
  /** 0-based connection number. */
  readonly id: number;
  /** Bytes the client sent, as it sent them. */
  readonly fromClient: Bytes[];
  /** Bytes the server sent, as it sent them. */
  readonly fromServer: Bytes[];
  /** Bytes delivered to the client (after tampering). */
  readonly toClient: Bytes[];
  /** Bytes delivered to the server (after tampering). */
  readonly toServer: Bytes[];
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;
  /** Scratch space for a stateful tamper function. */
  readonly state: Record<string, unknown>;
}

/** A running proxy. */
export interface Mitm {
  /** The port the client connects to. */
  readonly port: number;
  /** Every connection accepted so far. */
  readonly connections: readonly MitmConnection[];
  /** Resolves with connection number `id` once it has been accepted. */
  connection(id: number): Promise<MitmConnection>;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Frames `body` as one record. */
export function record(type: number, body: Uint8Array, version = 0x0303): Bytes {
  const out = new Uint8Array(5 + body.byteLength);
  out[0] = type;
  out[1] = version >> 8;
  out[2] = version & 0xff;
  out[3] = body.byteLength >> 8;
  out[4] = body.byteLength & 0xff;
  out.set(body, 5);
  return out;
}

/** The body length of each protected (application_data) record in recorded `chunks`. */
export function protectedRecordSizes(chunks: readonly Uint8Array[]): number[] {
  return splitRecords(concat(...chunks))
    .filter((rec) => rec.type === ContentType.application_data)
    .map((rec) => rec.body.byteLength);
}

/** Splits a byte stream into records (a trailing partial record is ignored). */
export function splitRecords(stream: Uint8Array): RawRecord[] {
  const out: RawRecord[] = [];
  let off = 0;
  while (stream.byteLength - off >= 5) {
    const len = (stream[off + 3] << 8) | stream[off + 4];
    if (stream.byteLength - off < 5 + len) break;
    const raw = stream.slice(off, off + 5 + len);
    out.push({
      type: raw[0],
      version: (raw[1] << 8) | raw[2],
      body: raw.subarray(5),
      raw,
      index: out.length,
    });
    off += 5 + len;
  }
  return out;
}

/** True for the plaintext record holding the ServerHello (or HelloRetryRequest). */
export function isServerHelloRecord(rec: RawRecord): boolean {
  return rec.type === ContentType.handshake && rec.body[0] === HandshakeType.server_hello;
}

/**
 * Re-encodes the ServerHello in `rec` (which must hold just that message, as OpenSSL sends
 * it) after `edit` changed the decoded message, and frames it as a record again.
 */
export function editServerHello(rec: RawRecord, edit: (sh: ServerHello) => void): Bytes {
  const len = (rec.body[1] << 16) | (rec.body[2] << 8) | rec.body[3];
  if (rec.body.byteLength !== 4 + len) throw new Error("ServerHello record holds more");
  const sh = decodeServerHello(rec.body.subarray(4));
  edit(sh);
  return record(ContentType.handshake, frameHandshake(2, encodeServerHello(sh)).raw);
}

/**
 * Rewrites the ServerHello body bytes in `rec` with `edit` (for corruptions the codec cannot
 * express, e.g. a wrong length inside an extension) and re-frames message and record.
 */
export function editServerHelloBytes(rec: RawRecord, edit: (body: Bytes) => Uint8Array): Bytes {
  const body = rec.body.slice(4);
  return record(ContentType.handshake, frameHandshake(2, edit(body)).raw);
}

/**
 * Offset, inside a ServerHello body, of the extension of `type`: the offset of its 2-byte type
 * field (its 2-byte length follows), or -1.
 */
export function serverHelloExtensionOffset(body: Uint8Array, type: number): number {
  let off = 2 + 32;
  off += 1 + body[off]; // legacy_session_id_echo
  off += 2 + 1 + 2; // cipher_suite, compression, extensions length
  while (off + 4 <= body.byteLength) {
    const t = (body[off] << 8) | body[off + 1];
    if (t === type) return off;
    off += 4 + ((body[off + 2] << 8) | body[off + 3]);
  }
  return -1;
}

/** Starts a proxy on 127.0.0.1 (free port) in front of `upstreamPort`. */
export function startMitm(opts: MitmOptions): Promise<Mitm> {
  const connections: MitmConnection[] = [];
  const sockets = new Set<net.Socket>();
  const waiters = new Map<number, Array<(c: MitmConnection) => void>>();

  const server = net.createServer((client) => {
    const conn = proxy(connections.length, client, opts, sockets);
    connections.push(conn);
    for (const w of waiters.get(conn.id) ?? []) w(conn);
    waiters.delete(conn.id);
  });
  server.unref();

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      if (addr === null || typeof addr === "string") {
        reject(new Error("mitm: no address"));
        return;
      }
      resolve({
        port: addr.port,
        connections,
        connection(id: number): Promise<MitmConnection> {
          if (connections[id]) return Promise.resolve(connections[id]);
          return new Promise((res) => {
            const list = waiters.get(id) ?? [];
            list.push(res);
            waiters.set(id, list);
          });
        },
        close(): Promise<void> {
          for (const s of sockets) s.destroy();
          sockets.clear();
          return new Promise((res) => server.close(() => res()));
        },
      });
    });
  });
}

/** Per-direction record reassembly, tampering and forwarding. */
function proxy(
  id: number,
  client: net.Socket,
  opts: MitmOptions,
  sockets: Set<net.Socket>,
): MitmConnection {
  const upstream = net.connect({ host: "127.0.0.1", port: opts.upstreamPort });
  sockets.add(client);
  sockets.add(upstream);
  for (const s of [client, upstream]) {
    s.setNoDelay(true);
    s.on("error", () => {
      // A reset from either side just ends the connection; tests judge the client's error.
    });
  }
  const closedOne = (s: net.Socket) =>
    new Promise<void>((res) => {
      s.once("close", () => {
        sockets.delete(s);
        res();
      });
    });
  const conn: MitmConnection = {
    id,
    fromClient: [],
    fromServer: [],
    toClient: [],
    toServer: [],
    closed: Promise.all([closedOne(client), closedOne(upstream)]).then(() => {}),
    state: {},
  };

  let toClientCount = 0;
  let finished = false;
  const stalled: Record<Direction, boolean> = { toServer: false, toClient: false };
  const shutdown = () => {
    if (finished) return;
    finished = true;
    client.end();
    upstream.end();
    // A peer that ignores our FIN must not keep the connection alive.
    setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, 200).unref?.();
  };
  // Each side's close ends the other: the tests want the client to see EOF when the server
  // goes away (unless that direction is stalled), and the server to stop when the client
  // gives up.
  client.once("close", shutdown);
  upstream.once("close", () => {
    if (!stalled.toClient) shutdown();
  });

  const send = (dir: Direction, bytes: Uint8Array) => {
    if (finished || bytes.byteLength === 0) return;
    if (dir === "toServer") {
      conn.toServer.push(bytes.slice());
      upstream.write(bytes);
      return;
    }
    const cut = opts.cutToClientAfter;
    if (cut !== undefined && toClientCount + bytes.byteLength >= cut) {
      const part = bytes.subarray(0, cut - toClientCount);
      toClientCount = cut;
      conn.toClient.push(part.slice());
      if (part.byteLength) client.write(part);
      shutdown();
      return;
    }
    toClientCount += bytes.byteLength;
    conn.toClient.push(bytes.slice());
    client.write(bytes);
  };

  const direction = (dir: Direction, from: net.Socket, kept: Bytes[]) => {
    let buf: Bytes = new Uint8Array(0);
    let index = 0;
    // Records are judged one at a time, in order, even when `tamper` is asynchronous.
    let queue: Promise<void> = Promise.resolve();
    from.on("data", (chunk: Uint8Array) => {
      const data = new Uint8Array(chunk);
      kept.push(data);
      queue = queue.then(async () => {
        if (stalled[dir] || finished) return;
        buf = concat(buf, data);
        for (;;) {
          if (buf.byteLength < 5) return;
          const len = (buf[3] << 8) | buf[4];
          if (buf.byteLength < 5 + len) return;
          const raw = buf.slice(0, 5 + len);
          buf = buf.slice(5 + len);
          const rec: RawRecord = {
            type: raw[0],
            version: (raw[1] << 8) | raw[2],
            body: raw.subarray(5),
            raw,
            index: index++,
          };
          const verdict = opts.tamper ? await opts.tamper(dir, rec, conn) : undefined;
          if (verdict === "close") {
            shutdown();
            return;
          }
          if (verdict === "stall") {
            stalled[dir] = true;
            return;
          }
          send(dir, verdict ?? raw);
          if (finished) return;
        }
      }).catch((e) => {
        console.error("mitm: tamper failed", e);
        shutdown();
      });
    });
    from.on("end", () => {
      // Forward the half-close once every queued record has gone out.
      queue = queue.then(() => {
        if (!stalled[dir]) shutdown();
      });
    });
  };
  direction("toServer", client, conn.fromClient);
  direction("toClient", upstream, conn.fromServer);
  return conn;
}
