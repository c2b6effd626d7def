/**
 * The webtls server (`listen()`) against the runtime's own TLS servers in the same run, with
 * the same ECDSA P-256 certificate and the same clients, which are never the thing measured:
 *
 * - handshakes/s, full and resumed (session ticket), driven by `openssl s_time -www /`: one
 *   client, then `--concurrency` (8) clients at once (that many s_time processes; their rates
 *   add up). Each connection is handshake, `GET /`, a 40-byte answer, close;
 * - bulk throughput: `--mib` (64) MiB sent by the server, then received by it, over one
 *   connection with AES-128-GCM and 16 KiB records; the client is bench/_load_client.ts on
 *   Node (OpenSSL), in its own process, and times from the end of the handshake;
 * - memory per idle TLS 1.3 connection: a fresh server process (same runtime), baseline RSS
 *   after a warm-up and a forced GC, then `--connections` (1000) established idle connections
 *   from a Node process, RSS again: (after - before) / connections. Lower is better.
 *
 * Servers: webtls; `node:tls` `createServer` (Deno, Bun and Node all have it); on Deno also
 * `Deno.listenTls`, on Bun also `Bun.listen({ tls })` (TLS 1.3 rows and memory only).
 * Handshakes and throughput are measured for TLS 1.3 (TLS_AES_128_GCM_SHA256) and TLS 1.2
 * (ECDHE-ECDSA-AES128-GCM-SHA256), pinned by the client, unless `--tls 1.3` or `--tls 1.2`.
 * Measurements alternate between the servers for `--rounds` (2) rounds and each server keeps
 * its best. `--only handshakes,throughput,memory` picks measures.
 *
 *   node_modules/.bin/deno run -A bench/server_bench.ts [--rounds 2] [--tls both] [--json]
 *     [--seconds 1] [--concurrency 8] [--mib 64] [--connections 1000] [--only memory]
 *   node_modules/.bin/bun bench/server_bench.ts
 *   bash scripts/bench_node.sh bench/server_bench.ts
 *
 * Needs `openssl` and `node` on PATH (`WEBTLS_NODE` names another Node), and about
 * 2 x `--connections` file descriptors (scripts/bench_all.sh raises `ulimit -n`).
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";
import * as tls from "node:tls";
import { fileURLToPath } from "node:url";
import { listen, PROTOCOL_TLS_SERVER, SSLContext, type SSLSocket } from "../mod.ts";
import {
  LineReader,
  loadClientScript,
  makePki,
  note,
  numberOption,
  opensslVersionArgs,
  report,
  type Result,
  runProcess,
  runtimeKind,
  sleep,
  spawnHelper,
  stringOption,
  SUITE,
  SUITE_IANA,
  type TlsVersion,
  tlsVersions,
} from "./_util.ts";

const SECONDS = numberOption("seconds", 1);
const ROUNDS = numberOption("rounds", 2);
const CONCURRENCY = numberOption("concurrency", 8);
const MIB = numberOption("mib", 64);
const CONNECTIONS = numberOption("connections", 1000);
/** How long the connections stay idle before the second RSS reading. */
const IDLE_MS = 2000;
/** `--only handshakes,throughput,memory`: a subset of the measures (all by default). */
const ONLY = stringOption("only", "handshakes,throughput,memory").split(",");
const NODE = process.env.WEBTLS_NODE ?? "node";

// ----------------------------------------------------------------------------- protocol

/** What a client asks for in its first line. */
interface Command {
  /** `GET ...` from s_time: answer {@link RESPONSE} and close. */
  kind: "http" | "send" | "recv";
  /** `SEND n`: bytes to send; `RECV n`: bytes to receive before answering `OK\n`. */
  bytes: number;
  /** Bytes that came after the command in the same chunks (the start of a RECV payload). */
  rest: number;
}

const RESPONSE = new TextEncoder().encode("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
const OK = new TextEncoder().encode("OK\n");
/** What servers send, in writes of this size (records are 16 KiB at most anyway). */
const BLOCK = new Uint8Array(256 * 1024);
for (let i = 0; i < BLOCK.byteLength; i += 65536) {
  crypto.getRandomValues(BLOCK.subarray(i, i + 65536));
}

/** Collects a connection's first bytes until they hold a whole command. */
class CommandParser {
  #head = "";

  /** Returns the command once complete; throws on garbage. */
  push(chunk: Uint8Array): Command | undefined {
    const before = this.#head.length;
    // Commands are ASCII and short: only the start of a chunk can hold one.
    this.#head += String.fromCharCode(...chunk.subarray(0, 1024));
    const http = this.#head.startsWith("GET ");
    const at = this.#head.indexOf(http ? "\r\n\r\n" : "\n");
    if (at < 0) {
      if (this.#head.length > 1024) throw new Error("no command in the first 1 KiB");
      return undefined;
    }
    const end = at + (http ? 4 : 1);
    const rest = before + chunk.byteLength - end;
    if (http) return { kind: "http", bytes: 0, rest };
    const m = /^(SEND|RECV) (\d+)$/.exec(this.#head.slice(0, at));
    if (!m) throw new Error(`unknown command ${JSON.stringify(this.#head.slice(0, 40))}`);
    return { kind: m[1] === "SEND" ? "send" : "recv", bytes: Number(m[2]), rest };
  }
}

/** Errors of the servers' connections, noted once per kind so a failing bench says why. */
const seenErrors = new Set<string>();
function connectionError(server: string, e: unknown): void {
  // s_time and the load client may close without close_notify: resets are expected.
  const code = (e as { code?: string } | undefined)?.code;
  if (code === "ECONNRESET" || code === "EPIPE") return;
  const text = `${server}: ${e instanceof Error ? e.message : String(e)}`;
  if (seenErrors.has(text) || seenErrors.size > 20) return;
  seenErrors.add(text);
  note(`  connection error (noted once): ${text}`);
}

// ----------------------------------------------------------------------------- servers

type ServerKind = "webtls" | "node:tls" | "Deno.listenTls" | "Bun.listen";

interface BenchServer {
  kind: ServerKind;
  port: number;
  close(): Promise<void>;
}

/** webtls and node:tls everywhere, plus the runtime's own TLS listener on Deno and Bun. */
function serverKinds(): ServerKind[] {
  const kinds: ServerKind[] = ["webtls", "node:tls"];
  if (runtimeKind() === "deno") kinds.push("Deno.listenTls");
  if (runtimeKind() === "bun") kinds.push("Bun.listen");
  return kinds;
}

function startServer(kind: ServerKind, certFile: string, keyFile: string): Promise<BenchServer> {
  switch (kind) {
    case "webtls":
      return startWebtls(certFile, keyFile);
    case "node:tls":
      return startNodeTls(certFile, keyFile);
    case "Deno.listenTls":
      return Promise.resolve(startDenoTls(certFile, keyFile));
    case "Bun.listen":
      return Promise.resolve(startBunTls(certFile, keyFile));
  }
}

async function startWebtls(certFile: string, keyFile: string): Promise<BenchServer> {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  await ctx.loadCertChain(certFile, keyFile);
  const listener = await listen({
    context: ctx,
    port: 0,
    hostname: "127.0.0.1",
    onError: (e) => connectionError("webtls handshake", e),
  });
  const serving = (async () => {
    for await (const sock of listener) serveWebtls(sock);
  })();
  return {
    kind: "webtls",
    port: listener.port,
    async close() {
      await listener.close();
      await serving;
    },
  };
}

/** The documented way to serve with webtls: `read()`, `write()`, `close()`. */
async function serveWebtls(sock: SSLSocket): Promise<void> {
  try {
    const parser = new CommandParser();
    let command: Command | undefined;
    while (!command) {
      const data = await sock.read();
      if (data.byteLength === 0) return; // a client that left without a command
      command = parser.push(data);
    }
    if (command.kind === "http") {
      await sock.write(RESPONSE);
    } else if (command.kind === "send") {
      for (let left = command.bytes; left > 0; left -= BLOCK.byteLength) {
        await sock.write(left >= BLOCK.byteLength ? BLOCK : BLOCK.subarray(0, left));
      }
    } else {
      let got = command.rest;
      while (got < command.bytes) {
        const data = await sock.read();
        if (data.byteLength === 0) throw new Error(`RECV: EOF after ${got} bytes`);
        got += data.byteLength;
      }
      await sock.write(OK);
    }
  } catch (e) {
    connectionError("webtls", e);
  } finally {
    await sock.close().catch(() => {});
  }
}

async function startNodeTls(certFile: string, keyFile: string): Promise<BenchServer> {
  const server = tls.createServer({
    cert: fs.readFileSync(certFile),
    key: fs.readFileSync(keyFile),
  }, serveNodeTls);
  server.on("tlsClientError", (e) => connectionError("node:tls handshake", e));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  return {
    kind: "node:tls",
    port: typeof address === "object" && address ? address.port : 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The usual event-driven node:tls server. */
function serveNodeTls(s: tls.TLSSocket): void {
  const parser = new CommandParser();
  let command: Command | undefined;
  let got = 0;
  s.on("error", (e) => connectionError("node:tls", e));
  s.on("data", (d: Uint8Array) => {
    try {
      if (command) {
        got += d.byteLength;
      } else {
        command = parser.push(d);
        if (!command) return;
        got = command.rest;
        if (command.kind === "http") {
          s.end(RESPONSE);
        } else if (command.kind === "send") {
          let left = command.bytes;
          const pump = () => {
            while (left > 0) {
              const n = Math.min(left, BLOCK.byteLength);
              left -= n;
              if (!s.write(n === BLOCK.byteLength ? BLOCK : BLOCK.subarray(0, n))) {
                s.once("drain", pump);
                return;
              }
            }
            s.end();
          };
          pump();
          return;
        }
      }
      if (command.kind === "recv" && got >= command.bytes) {
        command.bytes = Infinity; // answer once
        s.end(OK);
      }
    } catch (e) {
      connectionError("node:tls", e);
      s.destroy();
    }
  });
}

/** The parts of Deno's API this bench uses (typed here: Node compiles this file too). */
interface DenoTlsConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}

function startDenoTls(certFile: string, keyFile: string): BenchServer {
  const D = (globalThis as unknown as {
    Deno: {
      listenTls(o: { hostname: string; port: number; cert: string; key: string }):
        & AsyncIterable<DenoTlsConn>
        & { addr: { port: number }; close(): void };
    };
  }).Deno;
  const listener = D.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: fs.readFileSync(certFile, "utf8"),
    key: fs.readFileSync(keyFile, "utf8"),
  });
  const serving = (async () => {
    try {
      for await (const conn of listener) serveDenoTls(conn);
    } catch {
      // the listener was closed
    }
  })();
  return {
    kind: "Deno.listenTls",
    port: listener.addr.port,
    async close() {
      listener.close();
      await serving;
    },
  };
}

async function serveDenoTls(conn: DenoTlsConn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  const writeAll = async (data: Uint8Array) => {
    for (let off = 0; off < data.byteLength;) off += await conn.write(data.subarray(off));
  };
  try {
    const parser = new CommandParser();
    let command: Command | undefined;
    while (!command) {
      const n = await conn.read(buf);
      if (n === null) return;
      command = parser.push(buf.subarray(0, n));
    }
    if (command.kind === "http") {
      await writeAll(RESPONSE);
    } else if (command.kind === "send") {
      for (let left = command.bytes; left > 0; left -= BLOCK.byteLength) {
        await writeAll(left >= BLOCK.byteLength ? BLOCK : BLOCK.subarray(0, left));
      }
    } else {
      let got = command.rest;
      while (got < command.bytes) {
        const n = await conn.read(buf);
        if (n === null) throw new Error(`RECV: EOF after ${got} bytes`);
        got += n;
      }
      await writeAll(OK);
    }
    // close() alone may drop what is still queued: send close_notify and FIN first.
    await conn.closeWrite();
  } catch (e) {
    connectionError("Deno.listenTls", e);
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

interface BunTlsSocket {
  data: BunConnState;
  write(d: Uint8Array): number;
  end(d?: Uint8Array): void;
}

interface BunConnState {
  parser: CommandParser;
  command?: Command;
  got: number;
  /** Bytes of a SEND still to write. */
  left: number;
}

function startBunTls(certFile: string, keyFile: string): BenchServer {
  const B = (globalThis as unknown as {
    Bun: {
      listen(o: {
        hostname: string;
        port: number;
        tls: { cert: string; key: string };
        socket: Record<string, (s: BunTlsSocket, ...a: never[]) => void>;
      }): { port: number; stop(force?: boolean): void };
    };
  }).Bun;
  // Bun calls `drain` when a partial write may continue.
  const pump = (s: BunTlsSocket) => {
    const st = s.data;
    while (st.left > 0) {
      const off = (st.command!.bytes - st.left) % BLOCK.byteLength;
      const n = s.write(BLOCK.subarray(off, Math.min(BLOCK.byteLength, off + st.left)));
      if (n <= 0) return;
      st.left -= n;
    }
    s.end();
  };
  const listener = B.listen({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") },
    socket: {
      open(s: BunTlsSocket) {
        s.data = { parser: new CommandParser(), got: 0, left: 0 };
      },
      data(s: BunTlsSocket, d: Uint8Array) {
        const st = s.data;
        try {
          if (st.command) {
            st.got += d.byteLength;
          } else {
            st.command = st.parser.push(d);
            if (!st.command) return;
            st.got = st.command.rest;
            if (st.command.kind === "http") {
              s.end(RESPONSE);
              return;
            }
            if (st.command.kind === "send") {
              st.left = st.command.bytes;
              pump(s);
              return;
            }
          }
          if (st.command.kind === "recv" && st.got >= st.command.bytes) {
            st.command.bytes = Infinity; // answer once
            s.end(OK);
          }
        } catch (e) {
          connectionError("Bun.listen", e);
          s.end();
        }
      },
      drain(s: BunTlsSocket) {
        if (s.data.left > 0) pump(s);
      },
      error(_s: BunTlsSocket, e: Error) {
        connectionError("Bun.listen", e);
      },
    },
  });
  return {
    kind: "Bun.listen",
    port: listener.port,
    close() {
      listener.stop(true);
      return Promise.resolve();
    },
  };
}

// ----------------------------------------------------------------------------- handshakes

interface STimeResult {
  /** Connections per second, summed over the clients. */
  rate: number;
  /** Share of the connections that resumed a session. */
  resumed: number;
}

/**
 * `clients` concurrent `openssl s_time` processes for `--seconds`. Each one's rate is its
 * connection count over its own wall time (s_time's "real seconds" are whole seconds).
 */
async function sTime(
  port: number,
  v: TlsVersion,
  mode: "new" | "reuse",
  clients: number,
): Promise<STimeResult> {
  const args = [
    "s_time",
    "-connect",
    `127.0.0.1:${port}`,
    `-${mode}`,
    "-time",
    String(SECONDS),
    "-www",
    "/",
    ...opensslVersionArgs(v),
  ];
  const runs = await Promise.all(
    Array.from({ length: clients }, () => runProcess("openssl", args)),
  );
  let rate = 0, full = 0, resumed = 0;
  for (const r of runs) {
    const m = /(\d+) connections in [\d.]+s;/.exec(r.stdout);
    if (r.code !== 0 || !m) {
      throw new Error(`openssl ${args.join(" ")} failed: ${(r.stderr || r.stdout).slice(-400)}`);
    }
    rate += Number(m[1]) / (r.ms / 1000);
    // s_time prints one `*` per full handshake and one `r` per resumed one.
    for (const line of r.stdout.split("\n")) {
      if (!/^[*r]+$/.test(line)) continue;
      for (const c of line) c === "r" ? resumed++ : full++;
    }
  }
  return { rate, resumed: resumed / Math.max(1, full + resumed) };
}

/** A server's best figure per measure, over the rounds. */
type Best = Map<ServerKind, number>;

async function handshakes(servers: BenchServer[], v: TlsVersion): Promise<Result[]> {
  const results: Result[] = [];
  note(`TLS ${v} handshakes: s_time for ${SECONDS} s, ${ROUNDS} rounds`);
  const measures: [string, "new" | "reuse", number][] = [
    ["full", "new", 1],
    ["full", "new", CONCURRENCY],
    ["resumed", "reuse", 1],
    ["resumed", "reuse", CONCURRENCY],
  ];
  for (const [label, mode, clients] of measures) {
    const best: Best = new Map();
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of servers) {
        const r = await sTime(s.port, v, mode, clients);
        // A server that did not resume measures full handshakes: no figure then.
        if (mode === "reuse" && r.resumed < 0.9) {
          if (round === 0) {
            note(`  ${s.kind}: only ${(r.resumed * 100).toFixed(0)}% of the sessions resumed`);
          }
          best.set(s.kind, NaN);
          continue;
        }
        best.set(s.kind, Math.max(best.get(s.kind) ?? 0, r.rate));
      }
    }
    const name = `TLS ${v} ${label} handshakes/s, ${clients} client${clients > 1 ? "s" : ""}`;
    results.push(...compare(best, name, "handshakes/s"));
  }
  return results;
}

/** One result per reference server: webtls's figure against it. */
function compare(best: Best, name: string, unit: string): Result[] {
  const ours = best.get("webtls") ?? NaN;
  return [...best].filter(([kind]) => kind !== "webtls").map(([kind, theirs]) => ({
    bench: "server",
    name,
    ours,
    theirs,
    reference: kind,
    unit,
  }));
}

// ----------------------------------------------------------------------------- throughput

async function bulkOnce(
  client: string,
  caFile: string,
  port: number,
  v: TlsVersion,
  mode: "send" | "recv",
  bytes: number,
): Promise<number> {
  const args = [client, "bulk", "--port", String(port), "--ca", caFile, "--tls", v];
  const r = await runProcess(NODE, [...args, "--mode", mode, "--bytes", String(bytes)]);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !line.startsWith("{")) {
    throw new Error(`the bulk client failed: ${(r.stderr || r.stdout).slice(-400)}`);
  }
  const out = JSON.parse(line) as { mbps: number; protocol: string; cipher: string };
  const protocol = v === "1.3" ? "TLSv1.3" : "TLSv1.2";
  if (out.protocol !== protocol || (out.cipher !== SUITE[v] && out.cipher !== SUITE_IANA[v])) {
    throw new Error(`negotiated ${out.protocol} ${out.cipher}, expected ${protocol} ${SUITE[v]}`);
  }
  return out.mbps;
}

async function throughput(
  servers: BenchServer[],
  client: string,
  caFile: string,
  v: TlsVersion,
): Promise<Result[]> {
  const results: Result[] = [];
  const bytes = MIB * 1024 * 1024;
  for (const mode of ["send", "recv"] as const) {
    note(
      `TLS ${v}: the server ${mode === "send" ? "sends" : "receives"} ${MIB} MiB, ${ROUNDS} rounds`,
    );
    for (const s of servers) await bulkOnce(client, caFile, s.port, v, mode, bytes >> 3);
    const best: Best = new Map();
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of servers) {
        const mbps = await bulkOnce(client, caFile, s.port, v, mode, bytes);
        best.set(s.kind, Math.max(best.get(s.kind) ?? 0, mbps));
      }
    }
    const what = mode === "send" ? "sends" : "receives";
    results.push(...compare(best, `TLS ${v} server ${what} ${MIB} MiB, MB/s`, "MB/s"));
  }
  return results;
}

// ----------------------------------------------------------------------------- memory

interface MemoryReading {
  rss: number;
  heapUsed: number;
  /** The JS heap the engine holds from the system, used or not. */
  heapTotal: number;
  /** Memory of ArrayBuffers and other objects outside the JS heap, where the runtime says. */
  external: number;
}

/** Collects garbage as far as the runtime lets us (see selfCommand for the flags). */
async function collectGarbage(): Promise<void> {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  for (let i = 0; i < 3; i++) {
    if (g.Bun) g.Bun.gc(true);
    else g.gc?.();
    // Let finalizers and closed handles settle between passes.
    await sleep(100);
  }
}

/**
 * The memory child: serves with one kind of server and answers `rss` lines on stdin with a
 * {@link MemoryReading} after a forced GC; exits when stdin closes.
 */
async function memoryChild(kind: ServerKind, certFile: string, keyFile: string): Promise<void> {
  const g = globalThis as { gc?: unknown; Bun?: unknown };
  if (!g.gc && !g.Bun) note("  memory child: no way to force GC here; readings are noisier");
  const server = await startServer(kind, certFile, keyFile);
  console.log(JSON.stringify({ port: server.port }));
  let pending = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", async (d: string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line !== "rss") continue;
      await collectGarbage();
      const m = process.memoryUsage();
      const reading: MemoryReading = {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
      };
      console.log(JSON.stringify(reading));
    }
  });
  process.stdin.once("end", () => process.exit(0));
}

/** The command that runs this file again on the same runtime, with GC exposed. */
function selfCommand(args: string[]): [string, string[]] {
  const script = fileURLToPath(import.meta.url);
  switch (runtimeKind()) {
    case "deno":
      return [process.execPath, ["run", "-A", "--v8-flags=--expose-gc", script, ...args]];
    case "bun":
      return [process.execPath, [script, ...args]]; // Bun.gc(true) needs no flag
    default:
      return [process.execPath, ["--expose-gc", script, ...args]];
  }
}

/** Opens `count` idle connections from a Node process; resolves once they are established. */
async function holdConnections(
  client: string,
  caFile: string,
  port: number,
  count: number,
): Promise<{ ready: number; release(): Promise<number> }> {
  const args = [client, "hold", "--port", String(port), "--ca", caFile, "--tls", "1.3"];
  const holder = spawnHelper(NODE, [...args, "--count", String(count)]);
  const lines = new LineReader(holder);
  const exited = new Promise<void>((resolve) => holder.once("exit", () => resolve()));
  const ready = JSON.parse(await lines.next((l) => l.includes('"ready"'), 300_000)) as {
    ready: number;
    failed: number;
  };
  if (ready.failed > 0) note(`  ${ready.failed} of ${count} connections failed`);
  return {
    ready: ready.ready,
    async release() {
      holder.stdin!.end();
      const closing = JSON.parse(await lines.next((l) => l.includes('"closing"'), 30_000)) as {
        failed: number;
      };
      await exited;
      return closing.failed;
    },
  };
}

async function memoryPerConnection(
  kind: ServerKind,
  client: string,
  caFile: string,
  certFile: string,
  keyFile: string,
): Promise<number> {
  const [cmd, args] = selfCommand([
    "--memory-child",
    kind,
    "--cert",
    certFile,
    "--key",
    keyFile,
  ]);
  const child = spawnHelper(cmd, args);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const lines = new LineReader(child);
  try {
    const { port } = JSON.parse(await lines.next((l) => l.includes('"port"'), 60_000)) as {
      port: number;
    };
    const reading = async (): Promise<MemoryReading> => {
      child.stdin!.write("rss\n");
      return JSON.parse(await lines.next((l) => l.includes('"rss"'), 30_000)) as MemoryReading;
    };
    // Warm-up: code paths compiled, ticket keys and buffer pools made before the baseline.
    await (await holdConnections(client, caFile, port, 50)).release();
    await sleep(500);
    const before = await reading();
    const held = await holdConnections(client, caFile, port, CONNECTIONS);
    await sleep(IDLE_MS);
    const after = await reading();
    const dropped = await held.release();
    if (dropped > 0) note(`  ${kind}: ${dropped} connections were closed while idle`);
    const perConn = (after.rss - before.rss) / held.ready / 1024;
    const each = (k: keyof MemoryReading) =>
      ((after[k] - before[k]) / held.ready / 1024).toFixed(1);
    note(
      `  ${kind}: ${held.ready} idle connections, RSS ${(before.rss / 2 ** 20).toFixed(1)} -> ` +
        `${(after.rss / 2 ** 20).toFixed(1)} MiB: ${perConn.toFixed(1)} KiB each ` +
        `(JS heap ${each("heapUsed")} KiB used, ${each("heapTotal")} KiB held; ` +
        `external ${each("external")} KiB)`,
    );
    return perConn;
  } finally {
    child.stdin!.end();
    await Promise.race([exited, sleep(5000)]);
    child.kill("SIGKILL");
  }
}

async function memory(
  kinds: ServerKind[],
  client: string,
  caFile: string,
  certFile: string,
  keyFile: string,
): Promise<Result[]> {
  note(`memory: ${CONNECTIONS} idle TLS 1.3 connections per server, a fresh process each`);
  const best: Best = new Map();
  for (const kind of kinds) {
    best.set(kind, await memoryPerConnection(kind, client, caFile, certFile, keyFile));
  }
  return compare(best, "memory per idle TLS 1.3 connection, KiB (lower is better)", "KiB");
}

// ----------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const pki = makePki();
  const client = loadClientScript();
  const kinds = serverKinds();
  const servers: BenchServer[] = [];
  try {
    for (const kind of kinds) servers.push(await startServer(kind, pki.certFile, pki.keyFile));
    const results: Result[] = [];
    if (ONLY.includes("handshakes")) {
      // Warm-up: each server's handshake code compiled before anything is measured.
      for (const s of servers) await sTime(s.port, tlsVersions()[0], "new", 1);
    }
    for (const v of tlsVersions()) {
      // TLS 1.2 against node:tls only: node:tls is the reference every runtime has, and each
      // s_time run costs two seconds of a run that must stay short (see bench_all.sh).
      const against = v === "1.3"
        ? servers
        : servers.filter((s) => s.kind !== "Deno.listenTls" && s.kind !== "Bun.listen");
      if (ONLY.includes("handshakes")) results.push(...await handshakes(against, v));
      if (ONLY.includes("throughput")) {
        results.push(...await throughput(against, client, pki.caFile, v));
      }
    }
    for (const s of servers.splice(0)) await s.close();
    if (ONLY.includes("memory")) {
      results.push(...await memory(kinds, client, pki.caFile, pki.certFile, pki.keyFile));
    }
    report(
      `TLS servers (ECDSA P-256; openssl s_time and node:tls clients), best of ${ROUNDS}`,
      results,
    );
  } finally {
    for (const s of servers) await s.close();
    pki.remove();
  }
}

const childKind = stringOption("memory-child", "");
if (childKind) {
  await memoryChild(
    childKind as ServerKind,
    stringOption("cert", ""),
    stringOption("key", ""),
  );
} else {
  await main();
  // Servers' keep-alive handles must not keep the process up.
  process.exit(0);
}
