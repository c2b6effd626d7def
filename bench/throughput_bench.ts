/**
 * Bulk throughput of one connection over loopback, TLS 1.3 with TLS_AES_128_GCM_SHA256 and
 * TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256 (`--tls 1.3` or `--tls 1.2` measures one), webtls
 * against the runtime's own TLS client (`node:tls`) talking to the same `openssl s_server`s in
 * the same run:
 *
 * - receive: `s_server -WWW` sends a 64 MiB file in 16 KiB records; the client reads it all;
 * - send: the client writes 64 MiB in 256 KiB writes to `s_server` (which discards it), sends
 *   close_notify and waits for the server's.
 *
 * The clock starts after the handshake. Payload MB/s (10^6 bytes); the two clients alternate
 * for `--rounds` rounds and each keeps its best.
 *
 *   node_modules/.bin/deno run -A bench/throughput_bench.ts [--mib 64] [--rounds 3] [--tls both] [--json]
 *   node_modules/.bin/bun bench/throughput_bench.ts
 *   bash scripts/bench_node.sh bench/throughput_bench.ts
 *
 * Needs `openssl` on PATH.
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import { connect, createDefaultContext, Purpose, type SSLContext } from "../mod.ts";
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
  SUITE,
  SUITE_IANA,
  type TlsVersion,
  tlsVersions,
} from "./_util.ts";

const MIB = numberOption("mib", 64);
const TOTAL = MIB * 1024 * 1024;
const ROUNDS = numberOption("rounds", 3);
const WRITE_SIZE = 256 * 1024;
const FILE = "payload.bin";
const GET = new TextEncoder().encode(`GET /${FILE} HTTP/1.0\r\n\r\n`);

/** Block written repeatedly by the senders. */
const block = new Uint8Array(WRITE_SIZE);
for (let i = 0; i < WRITE_SIZE; i += 65536) {
  crypto.getRandomValues(block.subarray(i, Math.min(i + 65536, WRITE_SIZE)));
}

function mbps(bytes: number, ms: number): number {
  return bytes / (ms / 1000) / 1e6;
}

/**
 * Fails unless one of `names` is the suite pinned for `v`, under its OpenSSL or IANA name
 * (node:tls reports both, and runtimes differ in which they fill in).
 */
function expectSuite(who: string, v: TlsVersion, ...names: (string | undefined)[]): void {
  if (!names.some((n) => n === SUITE[v] || n === SUITE_IANA[v])) {
    throw new Error(`${who} negotiated ${names.join(" / ")}, expected ${SUITE[v]}`);
  }
}

// ----------------------------------------------------------------------------- webtls

async function webtlsReceive(ctx: SSLContext, port: number, v: TlsVersion): Promise<number> {
  const sock = await connect("127.0.0.1", port, { context: ctx, serverHostname: "localhost" });
  expectSuite("webtls", v, sock.cipher()?.[0]);
  const start = performance.now();
  await sock.write(GET);
  let n = 0;
  for (;;) {
    const data = await sock.read(1 << 20);
    if (data.byteLength === 0) break;
    n += data.byteLength;
  }
  const ms = performance.now() - start;
  await sock.close();
  if (n < TOTAL) throw new Error(`webtls received ${n} bytes, expected at least ${TOTAL}`);
  return mbps(TOTAL, ms);
}

async function webtlsSend(ctx: SSLContext, port: number, v: TlsVersion): Promise<number> {
  const sock = await connect("127.0.0.1", port, { context: ctx, serverHostname: "localhost" });
  expectSuite("webtls", v, sock.cipher()?.[0]);
  const start = performance.now();
  for (let sent = 0; sent < TOTAL; sent += WRITE_SIZE) await sock.write(block);
  await sock.shutdownWrite();
  while ((await sock.read()).byteLength > 0) {
    // until the server's close_notify: it has read everything
  }
  const ms = performance.now() - start;
  await sock.close();
  return mbps(TOTAL, ms);
}

// ----------------------------------------------------------------------------- node:tls

function nativeConnect(port: number, ca: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca });
    s.once("secureConnect", () => {
      s.removeListener("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

async function nativeReceive(port: number, ca: string, v: TlsVersion): Promise<number> {
  const s = await nativeConnect(port, ca);
  expectSuite("node:tls", v, s.getCipher()?.name, s.getCipher()?.standardName);
  const start = performance.now();
  const n = await new Promise<number>((resolve, reject) => {
    let n = 0;
    s.on("data", (d: Uint8Array) => (n += d.byteLength));
    s.once("end", () => resolve(n));
    s.once("error", reject);
    s.write(GET);
  });
  const ms = performance.now() - start;
  s.destroy();
  if (n < TOTAL) throw new Error(`node:tls received ${n} bytes, expected at least ${TOTAL}`);
  return mbps(TOTAL, ms);
}

async function nativeSend(port: number, ca: string, v: TlsVersion): Promise<number> {
  const s = await nativeConnect(port, ca);
  expectSuite("node:tls", v, s.getCipher()?.name, s.getCipher()?.standardName);
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    s.once("error", reject);
    s.on("data", () => {});
    s.once("end", () => resolve());
    const pump = () => {
      while (sent < TOTAL) {
        sent += WRITE_SIZE;
        if (!s.write(block)) {
          s.once("drain", pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
  const ms = performance.now() - start;
  s.destroy();
  return mbps(TOTAL, ms);
}

// ----------------------------------------------------------------------------- driver

async function best(
  ours: () => Promise<number>,
  theirs: () => Promise<number>,
): Promise<[number, number]> {
  await ours();
  await theirs();
  let a = 0, b = 0;
  for (let i = 0; i < ROUNDS; i++) {
    a = Math.max(a, await ours());
    b = Math.max(b, await theirs());
  }
  return [a, b];
}

async function run(pki: Pki, www: SServer, sink: SServer, v: TlsVersion): Promise<Result[]> {
  const ctx = await createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.caFile });
  note(`TLS ${v} receive: ${MIB} MiB from s_server -WWW, ${ROUNDS} rounds`);
  const [rxOurs, rxTheirs] = await best(
    () => webtlsReceive(ctx, www.port, v),
    () => nativeReceive(www.port, pki.caPem, v),
  );
  note(`TLS ${v} send: ${MIB} MiB to s_server, ${ROUNDS} rounds`);
  const [txOurs, txTheirs] = await best(
    () => webtlsSend(ctx, sink.port, v),
    () => nativeSend(sink.port, pki.caPem, v),
  );
  const common = { bench: "throughput", reference: "node:tls", unit: "MB/s" };
  return [
    { ...common, name: `TLS ${v} receive ${MIB} MiB, MB/s`, ours: rxOurs, theirs: rxTheirs },
    { ...common, name: `TLS ${v} send ${MIB} MiB, MB/s`, ours: txOurs, theirs: txTheirs },
  ];
}

const pki = makePki();
const servers: SServer[] = [];
try {
  // The file s_server -WWW serves, from its working directory.
  const fd = fs.openSync(path.join(pki.dir, FILE), "w");
  for (let n = 0; n < TOTAL; n += WRITE_SIZE) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const results: Result[] = [];
  for (const v of tlsVersions()) {
    // A pair of s_servers per version, pinned to it and to its AES-128-GCM suite.
    const www = await startSServer(pki, [...opensslVersionArgs(v), "-WWW"]);
    servers.push(www);
    const sink = await startSServer(pki, opensslVersionArgs(v));
    servers.push(sink);
    results.push(...await run(pki, www, sink, v));
    await www.stop();
    await sink.stop();
  }
  report(
    `Bulk throughput (AES-128-GCM) over loopback against openssl s_server, best of ${ROUNDS}`,
    results,
  );
} finally {
  for (const s of servers) await s.stop();
  pki.remove();
}
