/**
 * Helpers for the tests that put webtls's TLS server in front of real clients: a server run
 * in the test process with `listen()`, the common `openssl s_client` command lines, a
 * byte-exact bulk runner for clients driven through stdin/stdout, and the webtls CLI as a
 * subprocess of whichever runtime runs the tests.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as path from "node:path";
import {
  listen,
  PROTOCOL_TLS_SERVER,
  SSLContext,
  type SSLContext as SSLContextType,
  type SSLSocket,
  type TLSListener,
} from "../../mod.ts";
import {
  currentRuntime,
  INTEROP_DIR,
  type LeafName,
  type Pki,
  requireTool,
  runPeer,
  type RunResult,
  runtimeExecutable,
} from "./_peers.ts";

/** What each accepted connection is handed to. */
export type Handler = (sock: SSLSocket) => Promise<void>;

/** Settings of {@link startWebtlsServer}. */
export interface WebtlsServerOptions {
  /** Leaf to serve with its intermediate (default ecdsaP256). */
  leaf?: LeafName;
  /** Trust the PKI root for client certificates. */
  trustClientCa?: boolean;
  /** Adjusts the context before listening (verifyMode, ALPN, tickets, SNI callback, ...). */
  configure?: (ctx: SSLContextType) => unknown;
  /** Per-connection behaviour (default {@link lineEcho}). */
  handler?: Handler;
}

/** A webtls server listening on 127.0.0.1 in this process. */
export interface WebtlsServer {
  port: number;
  context: SSLContextType;
  /** Connections whose handshake completed, in order. */
  readonly accepted: SSLSocket[];
  /** Handshake failures reported by `listen()`'s onError. */
  readonly handshakeErrors: unknown[];
  /** Errors thrown by the handler. */
  readonly handlerErrors: unknown[];
  /** Resolves once `n` connections were accepted (or rejects after `timeoutMs`). */
  waitAccepted(n: number, timeoutMs?: number): Promise<SSLSocket>;
  /** Resolves once `n` handshakes failed. */
  waitHandshakeErrors(n: number, timeoutMs?: number): Promise<unknown>;
  /** Resolves once every handler started so far has finished. */
  handlersDone(): Promise<void>;
  close(): Promise<void>;
}

/** A server context holding `leaf` (chain with the intermediate) from the test PKI. */
export async function serverContext(pki: Pki, leaf: LeafName = "ecdsaP256"): Promise<SSLContext> {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  const files = pki.leaves[leaf];
  await ctx.loadCertChain(files.chainFile, files.keyFile);
  return ctx;
}

function waitUntil<T>(
  check: () => T | undefined,
  what: string,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      const v = check();
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) {
        return reject(new Error(`timed out waiting for ${what}\n${describe()}`));
      }
      setTimeout(poll, 10);
    };
    poll();
  });
}

/** Starts a webtls server on a free port of 127.0.0.1. */
export async function startWebtlsServer(
  pki: Pki,
  opts: WebtlsServerOptions = {},
): Promise<WebtlsServer> {
  const ctx = await serverContext(pki, opts.leaf);
  if (opts.trustClientCa) await ctx.loadVerifyLocations({ cafile: pki.caFile });
  await opts.configure?.(ctx);
  const handler = opts.handler ?? lineEcho;
  const accepted: SSLSocket[] = [];
  const handshakeErrors: unknown[] = [];
  const handlerErrors: unknown[] = [];
  const running = new Set<Promise<void>>();
  const listener: TLSListener = await listen({
    context: ctx,
    port: 0,
    handshakeTimeout: 20_000,
    onError: (e) => handshakeErrors.push(e),
  });
  const loop = (async () => {
    for await (const sock of listener) {
      accepted.push(sock);
      const run = handler(sock).catch((e) => {
        handlerErrors.push(e);
        return sock.close().catch(() => {});
      });
      running.add(run);
      run.finally(() => running.delete(run));
    }
  })();
  const describe = () =>
    `accepted ${accepted.length}; handshake errors: ${handshakeErrors.map(String).join("; ")}; ` +
    `handler errors: ${handlerErrors.map(String).join("; ")}`;
  return {
    port: listener.port,
    context: ctx,
    accepted,
    handshakeErrors,
    handlerErrors,
    waitAccepted: (n, timeoutMs = 15_000) =>
      waitUntil(() => accepted[n - 1], `${n} accepted connection(s)`, timeoutMs, describe),
    waitHandshakeErrors: (n, timeoutMs = 15_000) =>
      waitUntil(
        () => (handshakeErrors.length >= n ? handshakeErrors[n - 1] : undefined),
        `${n} handshake failure(s)`,
        timeoutMs,
        describe,
      ),
    async handlersDone() {
      while (running.size) await Promise.allSettled([...running]);
    },
    async close() {
      await listener.close();
      await loop;
      for (const s of accepted) await s.close().catch(() => {});
    },
  };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Reads until a newline (or EOF); returns the text, newline included. */
export async function readLine(sock: SSLSocket, limit = 65536): Promise<string> {
  let text = "";
  while (!text.includes("\n") && text.length < limit) {
    const chunk = await sock.read();
    if (chunk.byteLength === 0) break;
    text += decoder.decode(chunk, { stream: true });
  }
  return text;
}

/** Writes text. */
export async function writeText(sock: SSLSocket, text: string): Promise<void> {
  await sock.write(encoder.encode(text));
}

/**
 * The default handler: reads one line, answers `echo: <line>`, then closes with close_notify,
 * so that `s_client -ign_eof` exits once it has printed the answer.
 */
export async function lineEcho(sock: SSLSocket): Promise<void> {
  const line = await readLine(sock);
  await writeText(sock, `echo: ${line}`);
  await sock.close();
}

/** Echoes everything until the client closes, then closes. */
export async function streamEcho(sock: SSLSocket): Promise<void> {
  for (;;) {
    const data = await sock.read();
    if (data.byteLength === 0) break;
    await sock.write(data);
  }
  await sock.close();
}

/** Echoes exactly `total` bytes, then closes (for clients that never close first). */
export function countedEcho(total: number): Handler {
  return async (sock) => {
    let seen = 0;
    while (seen < total) {
      const data = await sock.read(65536);
      if (data.byteLength === 0) break;
      seen += data.byteLength;
      await sock.write(data);
    }
    await sock.close();
  };
}

// ---------------------------------------------------------------------------------------
// openssl s_client

/** `openssl s_client` arguments to reach a local server as `localhost`, verifying it. */
export function sClientArgs(pki: Pki, port: number, extra: string[] = []): string[] {
  requireTool("openssl", "apt-get install -y openssl");
  return [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    pki.caFile,
    "-verify_return_error",
    ...extra,
  ];
}

/**
 * Runs `openssl s_client -ign_eof` once, sending `stdin` (default `hello\n`); it exits when
 * the server closes. Output of stdout and stderr is returned together in `out`.
 */
export async function sClient(
  pki: Pki,
  port: number,
  extra: string[] = [],
  stdin = "hello\n",
  timeoutMs = 20_000,
): Promise<RunResult & { out: string }> {
  const r = await runPeer("openssl", sClientArgs(pki, port, ["-ign_eof", ...extra]), {
    stdin,
    timeoutMs,
  });
  return { ...r, out: r.stdout + r.stderr };
}

// ---------------------------------------------------------------------------------------
// Bulk data through a child process's stdin and stdout

/** Deterministic pseudo-random bytes (xorshift32), fast enough for tens of MiB. */
export function pseudoRandom(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  for (let i = words.length * 4; i < length; i++) out[i] = i & 0xff;
  return out;
}

/** SHA-256 in hex. */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What a bulk run through a child process produced. */
export interface PipeResult {
  code: number | null;
  /** Bytes the child wrote to stdout. */
  bytes: number;
  sha256: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `cmd args` in its own process group, writes `input` to its stdin (then closes it),
 * and hashes everything it writes to stdout.
 */
export function pipeThrough(
  cmd: string,
  args: string[],
  input: Uint8Array,
  timeoutMs = 120_000,
): Promise<PipeResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { detached: true, stdio: ["pipe", "pipe", "pipe"] });
    const hash = createHash("sha256");
    let bytes = 0;
    let stderr = "";
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${cmd} timed out after ${timeoutMs} ms (${bytes} bytes out)\n${stderr}`));
    }, timeoutMs);
    child.stdout!.on("data", (c: Uint8Array) => {
      bytes += c.byteLength;
      hash.update(c);
    });
    child.stderr!.on("data", (c: Uint8Array) => (stderr += decoder.decode(c)));
    child.stdin!.on("error", () => {});
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      kill();
      resolve({ code, bytes, sha256: hash.digest("hex"), stderr, ms: Date.now() - started });
    });
    // Written in slices so no runtime has to hold one 64 MiB pipe write.
    const slice = 1 << 20;
    let off = 0;
    const pump = () => {
      while (off < input.byteLength) {
        const part = input.subarray(off, off + slice);
        off += part.byteLength;
        if (!child.stdin!.write(part)) {
          child.stdin!.once("drain", pump);
          return;
        }
      }
      child.stdin!.end();
    };
    pump();
  });
}

/** MB/s (10^6 bytes per second) of `bytes` in `ms`. */
export function mbps(bytes: number, ms: number): string {
  return (bytes / 1e6 / (ms / 1000)).toFixed(1);
}

// ---------------------------------------------------------------------------------------
// The webtls CLI

/**
 * The command running `webtls` (src/cli.ts) on the runtime executing the tests: Deno and Bun
 * run the TypeScript source, Node the compiled dist/npm/src/cli.js.
 */
export function cliCommand(): { cmd: string; args: string[] } {
  const rt = currentRuntime();
  const root = path.resolve(INTEROP_DIR, "..", "..");
  if (rt === "node") {
    return { cmd: runtimeExecutable("node"), args: [path.join(root, "src", "cli.js")] };
  }
  const cli = path.join(root, "src", "cli.ts");
  if (rt === "deno") {
    return { cmd: runtimeExecutable("deno"), args: ["run", "-A", "--cached-only", cli] };
  }
  return { cmd: runtimeExecutable("bun"), args: [cli] };
}
