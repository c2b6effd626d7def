/**
 * The TLS client that bench/server_bench.ts points at the servers it measures. It always runs
 * on Node (compiled by scripts/bench_node.sh), in a process of its own, so that the client's
 * work never counts against the server measured and every server and every runtime column
 * faces the same client: `node:tls`, i.e. OpenSSL.
 *
 *   node dist/bench/bench/_load_client.js bulk --port P --ca CA --tls 1.3 --mode send --bytes N
 *   node dist/bench/bench/_load_client.js hold --port P --ca CA --tls 1.3 --count 1000
 *
 * - `bulk`: one connection; `--mode send` asks the server to send `--bytes` bytes
 *   (`SEND n\n`), `--mode recv` sends it that many (`RECV n\n` then the bytes) and waits for
 *   its `OK`. Prints one JSON line: `{"mbps", "ms", "protocol", "cipher"}`; the clock starts
 *   after the handshake.
 * - `hold`: opens `--count` connections (`--concurrency` handshakes at a time), prints
 *   `{"ready": count, "failed": n}` once all are established, keeps them idle until its
 *   standard input closes, then prints `{"closing": count, "failed": n}` (n counts the
 *   connections that failed or were closed by the server) and closes them.
 *
 * Protocol: server_bench.ts's servers read one command line; see `serveCommand` there.
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";
import * as tls from "node:tls";

function option(name: string, fallback?: string): string {
  const argv = process.argv.slice(3);
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1];
  if (fallback === undefined) throw new Error(`_load_client: --${name} is required`);
  return fallback;
}

const PORT = Number(option("port"));
const CA = fs.readFileSync(option("ca"), "utf8");
const VERSION = option("tls", "1.3");

/** Pins the version and its AES-128-GCM suite, as the benches' other clients do. */
function connectOptions(): tls.ConnectionOptions {
  const v = VERSION === "1.2" ? "TLSv1.2" : "TLSv1.3";
  return {
    host: "127.0.0.1",
    port: PORT,
    servername: "localhost",
    ca: CA,
    minVersion: v,
    maxVersion: v,
    // node:tls takes TLS 1.3 suite names in `ciphers` too.
    ciphers: VERSION === "1.2" ? "ECDHE-ECDSA-AES128-GCM-SHA256" : "TLS_AES_128_GCM_SHA256",
  };
}

function open(): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(connectOptions());
    s.once("secureConnect", () => {
      s.removeListener("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

async function bulk(): Promise<void> {
  const mode = option("mode");
  const bytes = Number(option("bytes"));
  const s = await open();
  const cipher = s.getCipher();
  const protocol = s.getProtocol();
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    if (mode === "send") {
      let n = 0;
      s.on("data", (d: Uint8Array) => (n += d.byteLength));
      s.once("end", () => {
        if (n === bytes) resolve();
        else reject(new Error(`received ${n} bytes, expected ${bytes}`));
      });
      s.write(`SEND ${bytes}\n`);
    } else if (mode === "recv") {
      let answer = "";
      s.setEncoding("latin1");
      s.on("data", (d: string) => (answer += d));
      s.once("end", () => {
        if (answer === "OK\n") resolve();
        else reject(new Error(`the server answered ${JSON.stringify(answer.slice(0, 80))}`));
      });
      const block = new Uint8Array(256 * 1024);
      for (let i = 0; i < block.byteLength; i += 65536) {
        crypto.getRandomValues(block.subarray(i, i + 65536));
      }
      s.write(`RECV ${bytes}\n`);
      let sent = 0;
      const pump = () => {
        while (sent < bytes) {
          const chunk = block.subarray(0, Math.min(block.byteLength, bytes - sent));
          sent += chunk.byteLength;
          if (!s.write(chunk)) {
            s.once("drain", pump);
            return;
          }
        }
      };
      pump();
    } else {
      reject(new Error(`unknown --mode ${mode}`));
    }
  });
  const ms = performance.now() - start;
  s.end();
  console.log(JSON.stringify({
    mbps: bytes / (ms / 1000) / 1e6,
    ms,
    protocol,
    cipher: cipher.name,
  }));
}

async function hold(): Promise<void> {
  const count = Number(option("count"));
  const concurrency = Number(option("concurrency", "25"));
  const sockets: tls.TLSSocket[] = [];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const s = await open();
        // A server closing an idle connection would make the figure meaningless: count it.
        s.on("error", () => {});
        s.once("close", () => failed++);
        sockets.push(s);
      } catch (e) {
        failed++;
        process.stderr.write(`_load_client: ${e instanceof Error ? e.message : e}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  console.log(JSON.stringify({ ready: sockets.length, failed }));
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once("end", resolve));
  console.log(JSON.stringify({ closing: sockets.length, failed }));
  // close_notify and FIN rather than a reset, so servers see an orderly close, not errors.
  for (const s of sockets) s.end();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const s of sockets) s.destroy();
}

const command = process.argv[2];
if (command === "bulk") await bulk();
else if (command === "hold") await hold();
else throw new Error("_load_client: bulk or hold");
