/**
 * Shared by the benches: the runtime's name, a throwaway PKI made with the `openssl` CLI, a
 * long-running `openssl s_server` on 127.0.0.1, command-line options and result output.
 *
 * Only node:* modules and the public API, so the benches run unchanged on Deno, Bun and Node
 * (Node runs them compiled by scripts/bench_node.sh).
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** Which runtime runs the bench. */
export function runtimeKind(): "deno" | "bun" | "node" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno) return "deno";
  if (g.Bun) return "bun";
  return "node";
}

/** `Deno 2.9.5`, `Bun 1.4.5` or `Node v20.20.2`. */
export function runtimeLabel(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return `Deno ${g.Deno.version.deno}`;
  if (g.Bun) return `Bun ${g.Bun.version}`;
  return `Node ${process.version}`;
}

/** `--name value` / `--name=value` from the command line, as a number. */
export function numberOption(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let v: string | undefined;
    if (a === `--${name}`) v = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
    if (v !== undefined) {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
      return n;
    }
  }
  return fallback;
}

/** `--name value` / `--name=value` from the command line, as a string. */
export function stringOption(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}` && argv[i + 1] !== undefined) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return fallback;
}

/** A protocol version the benches compare. */
export type TlsVersion = "1.3" | "1.2";

/**
 * The versions to measure: `--tls 1.3`, `--tls 1.2` or `--tls both` (the default), so that
 * a quick run can skip one of them.
 */
export function tlsVersions(): TlsVersion[] {
  const v = stringOption("tls", "both");
  if (v === "both") return ["1.3", "1.2"];
  if (v === "1.3" || v === "1.2") return [v];
  throw new Error("--tls takes 1.3, 1.2 or both");
}

/**
 * The cipher suite each version is measured with: AES-128-GCM with an ECDSA P-256 certificate
 * and X25519 in both versions, so the two rows differ only in the protocol.
 */
export const SUITE: Record<TlsVersion, string> = {
  "1.3": "TLS_AES_128_GCM_SHA256",
  "1.2": "ECDHE-ECDSA-AES128-GCM-SHA256",
};

/** The same suite under its IANA name (node:tls reports both spellings). */
export const SUITE_IANA: Record<TlsVersion, string> = {
  "1.3": "TLS_AES_128_GCM_SHA256",
  "1.2": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
};

/** `openssl s_server` / `s_client` / `s_time` options pinning a version and its suite. */
export function opensslVersionArgs(v: TlsVersion): string[] {
  return v === "1.3"
    ? ["-tls1_3", "-ciphersuites", SUITE["1.3"]]
    : ["-tls1_2", "-cipher", SUITE["1.2"]];
}

/** True when `--json` was given: print one JSON object per result line (for bench_all.sh). */
export const JSON_OUTPUT: boolean = process.argv.slice(2).includes("--json");

/** One measured comparison. */
export interface Result {
  /** Which bench (`handshake`, `throughput`, `record`). */
  bench: string;
  /** What was measured, e.g. `full handshakes/s`. */
  name: string;
  /** The figure for webtls. */
  ours: number;
  /** The figure for the reference (native TLS client or raw WebCrypto); NaN when unavailable. */
  theirs: number;
  /** Name of the reference (`node:tls`, `WebCrypto`). */
  reference: string;
  /** Unit of both figures. */
  unit: string;
}

/** Prints the heading and the results as a markdown table, or as JSON lines with `--json`. */
export function report(title: string, results: Result[]): void {
  const runtime = runtimeLabel();
  if (JSON_OUTPUT) {
    for (const r of results) {
      console.log(
        JSON.stringify({ runtime, ...r, theirs: Number.isNaN(r.theirs) ? null : r.theirs }),
      );
    }
    return;
  }
  console.log(`${title}, ${runtime}`);
  console.log("| measure | webtls | reference | ratio |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of results) {
    const theirs = Number.isNaN(r.theirs) ? "n/a" : `${fmt(r.theirs)} (${r.reference})`;
    const ratio = Number.isNaN(r.theirs) ? "n/a" : (r.ours / r.theirs).toFixed(2);
    console.log(`| ${r.name} | ${fmt(r.ours)} | ${theirs} | ${ratio} |`);
  }
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return "n/a";
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** Progress notes go to stderr so that stdout holds only the table. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** A certificate authority and an ECDSA P-256 `localhost` certificate made by `openssl`. */
export interface Pki {
  /** The temporary directory holding the files. */
  dir: string;
  /** CA certificate (PEM file). */
  caFile: string;
  /** Server certificate for `localhost` and 127.0.0.1 (PEM file). */
  certFile: string;
  /** Its private key (PEM file). */
  keyFile: string;
  /** The CA certificate's PEM text. */
  caPem: string;
  /** Removes the directory. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Uint8Array };
    if (err.code === "ENOENT") {
      throw new Error("openssl is not installed: run `apt-get install -y openssl`");
    }
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(err.stderr)}`);
  }
}

/** Makes a CA and an ECDSA P-256 server certificate for `localhost` in a temporary directory. */
export function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webtls-bench-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=webtls bench CA",
  ], dir);
  openssl(
    ["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
    dir,
  );
  fs.writeFileSync(
    path.join(dir, "server.ext"),
    [
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid",
      "",
    ].join("\n"),
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      "server.ext",
      "-out",
      "server.pem",
    ],
    dir,
  );
  return {
    dir,
    caFile: path.join(dir, "ca.pem"),
    certFile: path.join(dir, "server.pem"),
    keyFile: path.join(dir, "server.key"),
    caPem: fs.readFileSync(path.join(dir, "ca.pem"), "utf8"),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** A running `openssl s_server`. */
export interface SServer {
  /** Its port on 127.0.0.1. */
  port: number;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

/**
 * Starts `openssl s_server -accept 127.0.0.1:PORT -cert … -key … -quiet <extra>` (no
 * `-naccept`: it serves connections one after the other until stopped) and waits until it
 * accepts connections. Its standard input stays open (an EOF there ends s_server's echo mode).
 */
export async function startSServer(pki: Pki, extra: string[], cwd = pki.dir): Promise<SServer> {
  const port = await freePort();
  const args = [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    pki.certFile,
    "-key",
    pki.keyFile,
    "-quiet",
    ...extra,
  ];
  const child = spawn("openssl", args, { cwd, stdio: ["pipe", "ignore", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      running.delete(child);
      resolve();
    });
    child.once("error", () => {
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`openssl ${args.join(" ")} did not start: ${stderr || "(no output)"}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      await exit;
    },
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The repository root: the nearest directory above this file that holds
 * `scripts/bench_node.sh` (bench/ when run from source, dist/bench/bench/ when compiled).
 */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, "scripts", "bench_node.sh"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("bench: cannot find the repository root");
    dir = up;
  }
}

/**
 * The compiled `bench/_load_client.ts`, built by scripts/bench_node.sh if stale. The load
 * client always runs on Node, whatever runtime runs the bench, so every server and every
 * runtime column faces the same client (node:tls, i.e. OpenSSL).
 */
export function loadClientScript(): string {
  const root = repoRoot();
  try {
    execFileSync("bash", ["scripts/bench_node.sh", "--build-only"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
  } catch {
    throw new Error("bench: scripts/bench_node.sh --build-only failed (see above)");
  }
  return path.join(root, "dist", "bench", "bench", "_load_client.js");
}

/** What {@link runProcess} returns. */
export interface ProcessResult {
  /** Exit status (null when killed by a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

/** Runs a program to completion, collecting its output and timing it. */
export function runProcess(cmd: string, args: string[], cwd?: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "", stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 65536) stderr += d;
    });
    child.once("error", (e) => {
      running.delete(child);
      reject(e);
    });
    child.once("close", (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/** Spawns a long-running helper that is killed if the bench exits before stopping it. */
export function spawnHelper(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  child.once("error", () => running.delete(child));
  return child;
}

/** Reads a helper's stdout line by line. */
export class LineReader {
  readonly #lines: string[] = [];
  #buffered = "";
  #wake: (() => void) | undefined;
  #exited = false;

  constructor(child: ChildProcess) {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.#buffered += d;
      let nl: number;
      while ((nl = this.#buffered.indexOf("\n")) >= 0) {
        this.#lines.push(this.#buffered.slice(0, nl));
        this.#buffered = this.#buffered.slice(nl + 1);
      }
      this.#wake?.();
    });
    child.once("exit", () => {
      this.#exited = true;
      this.#wake?.();
    });
  }

  /** The next line satisfying `match` (others are skipped); rejects after `timeoutMs`. */
  async next(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#lines.length > 0) {
        const line = this.#lines.shift()!;
        if (match(line)) return line;
      }
      if (this.#exited) throw new Error("the helper exited before answering");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the helper did not answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
