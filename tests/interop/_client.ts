/**
 * What the client interop tests share: contexts built from the test PKI, connections through
 * the public API, deterministic payloads, and bulk echoes that write and read concurrently and
 * compare SHA-256 digests. Only `mod.ts` (the public API) and `_peers.ts` are used.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import * as path from "node:path";
import {
  connect,
  createDefaultContext,
  type SSLContext,
  type SSLSession,
  type SSLSocket,
  TLSVersion,
  type Transport,
} from "../../mod.ts";
import { nodeSocketTransport } from "../../src/net/tcp.ts";
import { currentRuntime, INTEROP_DIR, type Peer, type Pki, runtimeExecutable } from "./_peers.ts";

/** 16 MiB: the bulk echo size the interop tests move in each direction. */
export const BULK = 16 << 20;

/** A TLS 1.3-only client context trusting the test root, checking host names. */
export async function clientContext(pki: Pki): Promise<SSLContext> {
  const ctx = await createDefaultContext(undefined, { cafile: pki.caFile });
  ctx.minimumVersion = TLSVersion.TLSv1_3;
  return ctx;
}

/** Connects to 127.0.0.1:port as `localhost` (SNI and the name verified). */
export function connectLocal(
  port: number,
  context: SSLContext,
  options: { session?: SSLSession; serverHostname?: string } = {},
): Promise<SSLSocket> {
  return connect("127.0.0.1", port, {
    context,
    serverHostname: options.serverHostname ?? "localhost",
    session: options.session,
    handshakeTimeout: 15_000,
  });
}

/** A plain TCP connection to 127.0.0.1:port as a Web Streams transport, via `node:net`. */
export async function tcpTransport(port: number): Promise<Transport & { close(): void }> {
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return nodeSocketTransport(socket);
}

/**
 * `n` pseudo-random bytes (xorshift32, seeded), or with `text` printable ASCII lines of 64
 * characters plus `\n` that never start with `*` (gnutls-serv's `--echo` treats data as C
 * strings, and lines starting with `**` as commands).
 */
export function payload(n: number, seed = 1, text = false): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  for (let i = words.length * 4; i < n; i++) out[i] = i & 0xff;
  if (text) {
    // 0x30..0x6f: digits, letters and a few punctuation marks; never '*' (0x2a) nor NUL.
    for (let i = 0; i < n; i++) out[i] = (i % 65 === 64) ? 0x0a : 0x30 + (out[i] & 0x3f);
  }
  return out;
}

/** SHA-256 of `data`, hex. */
export async function sha256(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The outcome of a bulk echo. */
export interface EchoResult {
  received: Uint8Array;
  /** Milliseconds from the first write to the last byte read back. */
  ms: number;
  /** Megabytes (10^6) per second, per direction. */
  mbps: number;
}

function result(received: Uint8Array, start: number, bytes: number): EchoResult {
  const ms = performance.now() - start;
  return { received, ms, mbps: bytes / 1e6 / (ms / 1000) };
}

/**
 * Writes `data` with `write()` in `chunk`-byte pieces while reading it back with `read()` in
 * parallel (so neither side's flow control can stall the other), until `data.byteLength`
 * bytes came back.
 */
export async function echoReadWrite(
  sock: SSLSocket,
  data: Uint8Array,
  chunk = 65536,
): Promise<EchoResult> {
  const start = performance.now();
  const received = new Uint8Array(data.byteLength);
  const writing = (async () => {
    for (let off = 0; off < data.byteLength; off += chunk) {
      await sock.write(data.subarray(off, off + chunk));
    }
  })();
  let got = 0;
  const reading = (async () => {
    while (got < data.byteLength) {
      const piece = await sock.read(data.byteLength - got);
      if (piece.byteLength === 0) break;
      received.set(piece, got);
      got += piece.byteLength;
    }
  })();
  // Either side failing fails the echo at once (the other may be stuck on flow control).
  await Promise.all([writing, reading]);
  return result(received.subarray(0, got), start, data.byteLength);
}

/**
 * Pipes `data` into `sock.writable` (in `chunk`-byte pieces) while reading `sock.readable`
 * until `data.byteLength` bytes came back. With `close`, the writable is closed at the end
 * (close_notify, a half-close) and the readable is read to its end (the peer's close_notify).
 */
export async function echoStreams(
  sock: SSLSocket,
  data: Uint8Array,
  options: { chunk?: number; close?: boolean } = {},
): Promise<EchoResult> {
  const chunk = options.chunk ?? 65536;
  const close = options.close ?? false;
  const start = performance.now();
  let off = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (off >= data.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(data.subarray(off, off + chunk));
      off += chunk;
    },
  });
  const writing = source.pipeTo(sock.writable, { preventClose: !close });
  const received = new Uint8Array(data.byteLength);
  let got = 0;
  const reading = (async () => {
    const reader = sock.readable.getReader();
    try {
      for (;;) {
        if (!close && got >= data.byteLength) break;
        const { done, value } = await reader.read();
        if (done) break;
        assert.ok(got + value.byteLength <= data.byteLength, "more bytes came back than sent");
        received.set(value, got);
        got += value.byteLength;
      }
    } finally {
      reader.releaseLock();
    }
  })();
  await Promise.all([writing, reading]);
  return result(received.subarray(0, got), start, data.byteLength);
}

/** Asserts that `echo` brought back exactly `sent` (length and SHA-256). */
export async function assertEchoed(sent: Uint8Array, echo: EchoResult): Promise<void> {
  assert.equal(echo.received.byteLength, sent.byteLength, "echoed length");
  assert.equal(await sha256(echo.received), await sha256(sent), "echoed SHA-256");
}

/** Logs a throughput figure in a form that is easy to grep from test output. */
export function logThroughput(label: string, echo: EchoResult): void {
  console.log(
    `throughput ${currentRuntime()} ${label}: ${(echo.received.byteLength / 1048576).toFixed(0)} ` +
      `MiB each way in ${echo.ms.toFixed(0)} ms = ${echo.mbps.toFixed(1)} MB/s per direction`,
  );
}

/** Reads from `sock` until `text` has arrived; returns everything read. */
export async function readUntil(sock: SSLSocket, text: string, limit = 1 << 20): Promise<string> {
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes(text)) {
    const piece = await sock.read();
    if (piece.byteLength === 0) {
      throw new Error(`connection closed before ${JSON.stringify(text)}; got ${seen}`);
    }
    seen += decoder.decode(piece, { stream: true });
    if (seen.length > limit) throw new Error(`no ${JSON.stringify(text)} in ${limit} bytes`);
  }
  return seen;
}

/** Waits until `text` occurs `count` times in the peer's stdout. */
export async function waitForCount(
  peer: Peer,
  text: string,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (peer.stdout.split(text).length - 1 < count) {
    if (!peer.running || Date.now() > deadline) {
      throw new Error(
        `${peer.name}: ${JSON.stringify(text)} seen ${peer.stdout.split(text).length - 1} ` +
          `times, expected ${count}\n--- stdout ---\n${peer.stdout.slice(-3000)}` +
          `\n--- stderr ---\n${peer.stderr.slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls `cond` every 20 ms until it holds or `timeoutMs` passes. */
export async function eventually(
  cond: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The subject commonName of a `getPeerCert()` dict. */
export function commonName(cert: unknown): string | undefined {
  const subject = (cert as { subject?: [string, string][][] } | null)?.subject ?? [];
  for (const rdn of subject) for (const [k, v] of rdn) if (k === "commonName") return v;
  return undefined;
}

/** The repository root (works from tests/interop and from dist/npm/tests/interop). */
export const ROOT: string = path.resolve(INTEROP_DIR, "..", "..");

/**
 * How to run the webtls CLI with the runtime running the tests: `deno run -A src/cli.ts`,
 * `bun src/cli.ts`, or, under Node, the npm build's `src/cli.js` next to these compiled tests.
 */
export function cliCommand(): { cmd: string; args: string[]; label: string } {
  switch (currentRuntime()) {
    case "deno":
      return {
        cmd: runtimeExecutable("deno"),
        args: ["run", "-A", "--cached-only", path.join(ROOT, "src", "cli.ts")],
        label: "deno run src/cli.ts",
      };
    case "bun":
      return {
        cmd: runtimeExecutable("bun"),
        args: [path.join(ROOT, "src", "cli.ts")],
        label: "bun src/cli.ts",
      };
    default:
      return {
        cmd: runtimeExecutable("node"),
        args: [path.join(ROOT, "src", "cli.js")],
        label: "node dist/npm/src/cli.js",
      };
  }
}
