/**
 * Client handshakes per second against a local `openssl s_server` (ECDSA P-256 certificate,
 * X25519), webtls against the runtime's own TLS client (`node:tls`, which Deno, Bun and Node
 * all provide) in the same run: full handshakes, then resumed handshakes (a session ticket,
 * or for TLS 1.2 whatever the client offers: ticket or session ID). TLS 1.3 with
 * TLS_AES_128_GCM_SHA256 and TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256, each pinned by its
 * own s_server (`--tls 1.3` or `--tls 1.2` measures one). Each connection is opened,
 * handshaken and closed before the next; the two clients alternate for `--rounds` rounds
 * after a warm-up and each keeps its best.
 *
 *   node_modules/.bin/deno run -A bench/handshake_bench.ts [--n 200] [--rounds 3] [--tls both] [--json]
 *   node_modules/.bin/bun bench/handshake_bench.ts
 *   bash scripts/bench_node.sh bench/handshake_bench.ts
 *
 * Needs `openssl` on PATH.
 * @module
 */
import * as tls from "node:tls";
import {
  connect,
  createDefaultContext,
  Purpose,
  type SSLContext,
  SSLSession,
  TLSVersion,
} from "../mod.ts";
import {
  makePki,
  note,
  numberOption,
  opensslVersionArgs,
  type Pki,
  report,
  type Result,
  type SServer,
  startSServer,
  type TlsVersion,
  tlsVersions,
} from "./_util.ts";

const N = numberOption("n", 200);
const ROUNDS = numberOption("rounds", 3);
const WARMUP = Math.min(20, N);
const REQUEST = "GET / HTTP/1.0\r\n\r\n";

// ----------------------------------------------------------------------------- webtls

async function webtlsHandshake(
  ctx: SSLContext,
  port: number,
  session?: SSLSession,
): Promise<boolean> {
  const sock = await connect("127.0.0.1", port, {
    context: ctx,
    serverHostname: "localhost",
    session,
  });
  const reused = sock.sessionReused;
  await sock.close();
  return reused;
}

/** A session from a connection that stayed open until the server's tickets arrived. */
async function webtlsSession(ctx: SSLContext, port: number): Promise<SSLSession | null> {
  const sock = await connect("127.0.0.1", port, { context: ctx, serverHostname: "localhost" });
  await sock.write(new TextEncoder().encode(REQUEST));
  while ((await sock.read()).byteLength > 0) {
    // s_server -www answers and closes; the tickets come before the answer
  }
  const session = sock.session;
  await sock.close();
  return session;
}

// ----------------------------------------------------------------------------- node:tls

/**
 * `minVersion`/`maxVersion` pinning `v`: s_server pins it too, but a client pinned as well
 * fails loudly instead of measuring another version if the server were misconfigured.
 */
function nativeVersion(v: TlsVersion): tls.ConnectionOptions {
  const name = v === "1.3" ? "TLSv1.3" : "TLSv1.2";
  return { minVersion: name, maxVersion: name };
}

function nativeHandshake(
  port: number,
  ca: string,
  v: TlsVersion,
  session?: Uint8Array,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ca,
      ...nativeVersion(v),
      session: session as Buffer | undefined,
    });
    s.once("secureConnect", () => {
      const reused = s.isSessionReused();
      s.removeListener("error", reject);
      s.on("error", () => {});
      s.end();
      resolve(reused);
    });
    s.once("error", reject);
  });
}

function nativeSession(port: number, ca: string, v: TlsVersion): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    let session: Uint8Array | null = null;
    const s = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ca,
      ...nativeVersion(v),
    });
    s.on("session", (buf: Uint8Array) => (session = buf));
    s.once("secureConnect", () => s.write(REQUEST));
    s.on("data", () => {});
    s.once("close", () => resolve(session));
    s.once("error", reject);
  });
}

// ----------------------------------------------------------------------------- driver

/** Runs `fn` `n` times in sequence; returns operations per second. */
async function rate(n: number, fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return n / ((performance.now() - start) / 1000);
}

/** Best rate of each side over the rounds, alternating so load drift hits both alike. */
async function compare(
  ours: () => Promise<unknown>,
  theirs: () => Promise<unknown>,
): Promise<[number, number]> {
  await rate(WARMUP, ours);
  await rate(WARMUP, theirs);
  let a = 0, b = 0;
  for (let i = 0; i < ROUNDS; i++) {
    a = Math.max(a, await rate(N, ours));
    b = Math.max(b, await rate(N, theirs));
  }
  return [a, b];
}

async function run(pki: Pki, server: SServer, v: TlsVersion): Promise<Result[]> {
  const port = server.port;
  const ctx = await createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.caFile });
  // Pinned like the node:tls client (see nativeVersion).
  ctx.minimumVersion = ctx.maximumVersion = v === "1.3" ? TLSVersion.TLSv1_3 : TLSVersion.TLSv1_2;
  const results: Result[] = [];

  note(`TLS ${v} full handshakes: ${ROUNDS} rounds of ${N} per client`);
  const [fullOurs, fullTheirs] = await compare(
    () => webtlsHandshake(ctx, port),
    () => nativeHandshake(port, pki.caPem, v),
  );
  results.push({
    bench: "handshake",
    name: `TLS ${v} full handshakes/s`,
    ours: fullOurs,
    theirs: fullTheirs,
    reference: "node:tls",
    unit: "handshakes/s",
  });

  note(`TLS ${v} resumed handshakes`);
  let ours = NaN, theirs = NaN;
  let session: SSLSession | null = null;
  try {
    session = await webtlsSession(ctx, port);
    if (!session) note("  webtls: the server sent no ticket");
    else if (!(await webtlsHandshake(ctx, port, session))) {
      note("  webtls: the server did not resume the session");
      session = null;
    }
  } catch (e) {
    note(`  webtls: resumption failed: ${e instanceof Error ? e.message : e}`);
    session = null;
  }
  const nativeTicket = await nativeSession(port, pki.caPem, v);
  const nativeOk = nativeTicket !== null &&
    (await nativeHandshake(port, pki.caPem, v, nativeTicket));
  if (!nativeOk) note("  node:tls: session resumption is not available on this runtime");
  if (session) {
    const s = session;
    await rate(WARMUP, () => webtlsHandshake(ctx, port, s));
  }
  if (nativeOk) await rate(WARMUP, () => nativeHandshake(port, pki.caPem, v, nativeTicket!));
  ours = session ? 0 : NaN;
  theirs = nativeOk ? 0 : NaN;
  for (let i = 0; i < ROUNDS; i++) {
    if (session) {
      const s = session;
      ours = Math.max(ours, await rate(N, () => webtlsHandshake(ctx, port, s)));
    }
    if (nativeOk) {
      theirs = Math.max(
        theirs,
        await rate(N, () => nativeHandshake(port, pki.caPem, v, nativeTicket!)),
      );
    }
  }
  results.push({
    bench: "handshake",
    name: `TLS ${v} resumed handshakes/s`,
    ours,
    theirs,
    reference: "node:tls",
    unit: "handshakes/s",
  });
  return results;
}

const pki = makePki();
let server: SServer | undefined;
try {
  const results: Result[] = [];
  for (const v of tlsVersions()) {
    // One s_server per version, pinned to it and to its AES-128-GCM suite.
    server = await startSServer(pki, [...opensslVersionArgs(v), "-www"]);
    results.push(...await run(pki, server, v));
    await server.stop();
    server = undefined;
  }
  report(
    `Client handshakes against openssl s_server (ECDSA P-256, X25519), best of ${ROUNDS}x${N}`,
    results,
  );
} finally {
  await server?.stop();
  pki.remove();
}
