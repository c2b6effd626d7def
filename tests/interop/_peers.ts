/**
 * Interop test harness: a throwaway PKI made with the `openssl` CLI, free ports, and
 * real TLS peers (OpenSSL, GnuTLS, Python `ssl`, Node, Deno, Bun) run as child processes.
 *
 * Works identically under `deno test -A`, `bun test` and `node --test` (compiled by
 * scripts/build_npm.ts into dist/npm/tests/interop/). It only uses node:child_process,
 * node:net, node:fs, node:os and node:path.
 *
 * Every peer runs in its own process group (`detached: true`, i.e. setsid(2)), so `stop()`
 * kills the peer together with anything it spawned. Live peers are kept in a registry:
 * call `after(stopAllPeers)` in a test file; an exit hook (process "exit", plus "unload" under
 * Deno, whose test runner emits no "exit") and SIGINT/SIGTERM/SIGHUP handlers SIGKILL whatever
 * is still left and delete the PKI. Child processes and their pipes are unref'd, so a
 * forgotten peer never keeps a test process alive (await `peer.stop()`, not a bare
 * `peer.exited`, to wait for a peer).
 *
 * A missing peer program is an error, never a skip: see `requireTool()`.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

// ---------------------------------------------------------------------------
// Locations and runtimes

function moduleDir(): string {
  const dir = import.meta.dirname;
  if (dir) return dir;
  return path.dirname(decodeURIComponent(new URL(import.meta.url).pathname));
}

/** Directory holding this file (tests/interop, or dist/npm/tests/interop when compiled). */
export const INTEROP_DIR: string = moduleDir();
/** Directory holding the peer scripts (python_server.py, node_server.mjs, ...). */
export const PEERS_DIR: string = path.join(INTEROP_DIR, "peers");

export type RuntimeName = "node" | "deno" | "bun";

/** The JavaScript runtime executing this module. */
export function currentRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `name` on PATH (or `name` itself if it contains a slash), else undefined. */
export function which(name: string): string | undefined {
  if (name.includes("/")) return isExecutable(name) ? path.resolve(name) : undefined;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/**
 * Throws when `name` is not an executable on PATH, e.g.
 * `gnutls-serv is not installed: run \`apt-get install -y gnutls-bin\``.
 * Interop tests must fail, not skip, when a peer is missing.
 */
export function requireTool(name: string, installHint: string): string {
  const found = which(name);
  if (found === undefined) {
    throw new Error(`${name} is not installed: run \`${installHint}\``);
  }
  return name.startsWith("python") ? realPython(found) : found;
}

const pythons = new Map<string, string>();

/**
 * The interpreter behind a `python3` that may be a version-manager shim (pyenv's costs about
 * half a second per start): asked once, then started directly.
 */
function realPython(found: string): string {
  let real = pythons.get(found);
  if (real === undefined) {
    try {
      real = execFileSync(found, ["-c", "import sys; print(sys.executable)"], {
        encoding: "utf8",
      }).trim() || found;
    } catch {
      real = found;
    }
    pythons.set(found, real);
  }
  return real;
}

/** Find `node_modules/.bin/<name>` in INTEROP_DIR or one of its ancestors. */
function findInNodeModulesBin(name: string): string | undefined {
  let dir = INTEROP_DIR;
  for (;;) {
    const file = path.join(dir, "node_modules", ".bin", name);
    if (isExecutable(file)) return file;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The executable of a runtime: $WEBTLS_NODE / $WEBTLS_DENO / $WEBTLS_BUN if set, the running
 * executable if it is that runtime, then node_modules/.bin (deno, bun), then PATH.
 */
export function runtimeExecutable(runtime: RuntimeName): string {
  const override = process.env[`WEBTLS_${runtime.toUpperCase()}`];
  if (override) return override;
  if (currentRuntime() === runtime) return process.execPath;
  const local = runtime === "node" ? undefined : findInNodeModulesBin(runtime);
  if (local !== undefined) return local;
  return requireTool(
    runtime,
    runtime === "node" ? "apt-get install -y nodejs" : "npm ci",
  );
}

// ---------------------------------------------------------------------------
// Process registry and cleanup

const livePeers = new Set<PeerProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function cleanupAtExit(): void {
  for (const peer of livePeers) killGroup(peer.pid, "SIGKILL");
  livePeers.clear();
  if (!process.env.WEBTLS_KEEP_PKI) {
    for (const dir of tempDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
    tempDirs.clear();
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", cleanupAtExit);
  // Peers live in their own sessions, so a Ctrl-C or kill of the test run does not reach them.
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.once(signal, () => {
      cleanupAtExit();
      process.exit(code);
    });
  }
  // `deno test` does not emit process "exit" at the end of a run, but does dispatch "unload".
  if (currentRuntime() === "deno") {
    const g = globalThis as unknown as {
      addEventListener(type: string, listener: () => void): void;
    };
    g.addEventListener("unload", cleanupAtExit);
  }
}

/** Stop every peer started by this process that is still running. Use as `after(stopAllPeers)`. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...livePeers].map((p) => p.stop()));
}

/** Number of peers started by this process that have not been stopped yet. */
export function livePeerCount(): number {
  return livePeers.size;
}

/**
 * Pids of the live (non-zombie) processes in process group `pgid`, read from /proc.
 * Used to prove that `stop()` leaves nothing behind.
 */
export function processGroupMembers(pgid: number): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    const pgrp = Number(fields[2]);
    if (pgrp === pgid && state !== "Z" && state !== "X") pids.push(Number(entry));
  }
  return pids;
}

// ---------------------------------------------------------------------------
// Peers

export interface StartPeerOptions {
  /** Ready once 127.0.0.1:readyPort accepts TCP connections. */
  readyPort?: number;
  /** Ready once this text (or pattern) appears on stdout or stderr. */
  readyText?: string | RegExp;
  /** How long to wait for readiness (default 10000 ms). */
  readyTimeoutMs?: number;
  cwd?: string;
  /** Extra environment variables (merged over process.env). */
  env?: Record<string, string>;
  /** Written to the peer's stdin right after spawning; stdin stays open (see closeStdin). */
  stdin?: string | Uint8Array;
  /** Close stdin after writing `stdin`. */
  closeStdin?: boolean;
  /** Called with every raw stdout chunk. */
  onStdout?: (chunk: Uint8Array, peer: Peer) => void;
  /** Keep stdout text in `peer.stdout` (default true). */
  captureStdout?: boolean;
  /** Name used in error messages (default: basename of cmd). */
  name?: string;
}

export interface Peer {
  readonly name: string;
  /** Pid of the peer, which is also its process group id. */
  readonly pid: number;
  /** Everything the peer printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code once exited (null if killed by a signal or not exited yet). */
  readonly exitCode: number | null;
  readonly running: boolean;
  /** Resolves with the exit code (null when killed by a signal) once the peer has exited. */
  readonly exited: Promise<number | null>;
  /** Write to the peer's stdin. */
  write(data: string | Uint8Array): void;
  closeStdin(): void;
  /** Wait until `text` shows up on stdout/stderr (counting output already seen). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM the whole process group, SIGKILL after a grace period, and wait for the exit. */
  stop(): Promise<number | null>;
}

function matches(haystack: string, needle: string | RegExp): boolean {
  return typeof needle === "string" ? haystack.includes(needle) : needle.test(haystack);
}

function tail(text: string, max = 4000): string {
  return text.length > max ? `...${text.slice(-max)}` : text;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class PeerProcess implements Peer {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  stdout = "";
  stderr = "";
  exitCode: number | null = null;
  running = true;
  spawnError: Error | undefined;
  #child: ChildProcess;
  #stopping: Promise<number | null> | undefined;
  #outDecoder = new TextDecoder();
  #errDecoder = new TextDecoder();
  #listeners = new Set<() => void>();

  constructor(name: string, child: ChildProcess, opts: StartPeerOptions) {
    this.name = name;
    this.#child = child;
    if (child.pid === undefined) throw new Error(`${name}: spawn returned no pid`);
    this.pid = child.pid;
    const capture = opts.captureStdout ?? true;
    child.stdout?.on("data", (chunk: Uint8Array) => {
      if (capture) this.stdout += this.#outDecoder.decode(chunk, { stream: true });
      opts.onStdout?.(chunk, this);
      this.#notify();
    });
    child.stderr?.on("data", (chunk: Uint8Array) => {
      this.stderr += this.#errDecoder.decode(chunk, { stream: true });
      this.#notify();
    });
    child.stdin?.on("error", () => {
      // EPIPE when the peer has exited: ignore.
    });
    this.exited = new Promise((resolve) => {
      let settled = false;
      const done = (code: number | null) => {
        if (settled) return;
        settled = true;
        this.exitCode = code;
        this.running = false;
        livePeers.delete(this);
        this.#notify();
        resolve(code);
      };
      child.on("error", (err: Error) => {
        this.spawnError = err;
        done(null);
      });
      child.on("exit", (code: number | null) => {
        this.exitCode = code;
        // Give the pipes a moment to drain; "close" normally follows right away.
        const t = setTimeout(() => done(code), 500);
        (t as { unref?: () => void }).unref?.();
      });
      child.on("close", (code: number | null) => done(code ?? this.exitCode));
    });
  }

  /** Register a callback run on every output chunk or exit; returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #notify(): void {
    for (const fn of [...this.#listeners]) fn();
  }

  write(data: string | Uint8Array): void {
    if (!this.running) return;
    this.#child.stdin?.write(data);
  }

  closeStdin(): void {
    this.#child.stdin?.end();
  }

  waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (matches(this.stdout, text) || matches(this.stderr, text)) {
          finish();
          resolve();
        } else if (!this.running) {
          finish();
          reject(
            new Error(
              `${this.name} exited (code ${this.exitCode}) before printing ${String(text)}\n` +
                `--- stderr ---\n${tail(this.stderr)}\n--- stdout ---\n${tail(this.stdout)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `${this.name} did not print ${String(text)} within ${timeoutMs} ms\n` +
              `--- stderr ---\n${tail(this.stderr)}\n--- stdout ---\n${tail(this.stdout)}`,
          ),
        );
      }, timeoutMs);
      const off = this.onChange(check);
      const finish = () => {
        clearTimeout(timer);
        off();
      };
      check();
    });
  }

  stop(): Promise<number | null> {
    this.#stopping ??= this.#doStop();
    return this.#stopping;
  }

  async #doStop(): Promise<number | null> {
    if (this.running) {
      killGroup(this.pid, "SIGTERM");
      const first = await Promise.race([this.exited, sleep(3000).then(() => "timeout" as const)]);
      if (first === "timeout") {
        killGroup(this.pid, "SIGKILL");
        await Promise.race([this.exited, sleep(5000)]);
      }
    }
    // Whatever the leader left behind in its group goes too; wait until it is really gone.
    killGroup(this.pid, "SIGKILL");
    const deadline = Date.now() + 3000;
    while (processGroupMembers(this.pid).length > 0 && Date.now() < deadline) {
      await sleep(20);
      killGroup(this.pid, "SIGKILL");
    }
    livePeers.delete(this);
    this.#child.stdin?.destroy();
    this.#child.stdout?.destroy();
    this.#child.stderr?.destroy();
    return this.exitCode;
  }
}

function unrefAll(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    (s as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

/** Resolves once 127.0.0.1:port accepts a TCP connection (the probe is closed at once). */
export function canConnect(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.removeAllListeners();
      sock.on("error", () => {});
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

/**
 * Spawn `cmd args` in its own process group and wait until it is ready (readyPort accepts
 * connections and/or readyText was printed). Throws, quoting the peer's stderr, when it exits
 * early or is not ready within readyTimeoutMs (10 s).
 */
export async function startPeer(
  cmd: string,
  args: string[],
  opts: StartPeerOptions = {},
): Promise<Peer> {
  installExitHook();
  const name = opts.name ?? path.basename(cmd);
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const peer = new PeerProcess(name, child, opts);
  livePeers.add(peer);
  unrefAll(child);
  if (opts.stdin !== undefined) peer.write(opts.stdin);
  if (opts.closeStdin) peer.closeStdin();

  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const fail = async (why: string): Promise<never> => {
    await peer.stop();
    const spawnError = peer.spawnError ? `\n(spawn error: ${peer.spawnError.message})` : "";
    throw new Error(
      `${name} ${why}${spawnError}\ncommand: ${cmd} ${args.join(" ")}\n` +
        `--- stderr ---\n${tail(peer.stderr)}\n--- stdout ---\n${tail(peer.stdout)}`,
    );
  };

  if (opts.readyText !== undefined) {
    try {
      await peer.waitFor(opts.readyText, timeoutMs);
    } catch {
      return await fail(
        peer.running
          ? `did not print ${String(opts.readyText)} within ${timeoutMs} ms`
          : `exited with code ${peer.exitCode} before becoming ready`,
      );
    }
  }
  if (opts.readyPort !== undefined) {
    for (;;) {
      if (!peer.running) {
        return await fail(`exited with code ${peer.exitCode} before becoming ready`);
      }
      if (await canConnect(opts.readyPort)) break;
      if (Date.now() > deadline) {
        return await fail(
          `did not accept connections on port ${opts.readyPort} within ${timeoutMs} ms`,
        );
      }
      await sleep(50);
    }
  }
  if (!peer.running) return await fail(`exited with code ${peer.exitCode} right after starting`);
  return peer;
}

export interface RunPeerOptions {
  /** Written to stdin, which is then closed. */
  stdin?: string | Uint8Array;
  /** Kill the process group and throw after this long (default 30000 ms). */
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a one-shot program (e.g. `openssl s_client ... -ign_eof` with stdin) to completion in
 * its own process group. On timeout the group is killed and an Error quoting the output is
 * thrown. (Hint: `openssl s_client` quits when stdin hits EOF unless given `-ign_eof`.)
 */
export function runPeer(
  cmd: string,
  args: string[],
  opts: RunPeerOptions = {},
): Promise<RunResult> {
  installExitHook();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const outDecoder = new TextDecoder();
    const errDecoder = new TextDecoder();
    let timedOut = false;
    child.stdout?.on("data", (c: Uint8Array) => (stdout += outDecoder.decode(c, { stream: true })));
    child.stderr?.on("data", (c: Uint8Array) => (stderr += errDecoder.decode(c, { stream: true })));
    child.stdin?.on("error", () => {});
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not be started: ${err.message}`));
    });
    child.on("close", (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      if (timedOut) {
        reject(
          new Error(
            `${cmd} ${args.join(" ")} timed out after ${timeoutMs} ms\n` +
              `--- stderr ---\n${tail(stderr)}\n--- stdout ---\n${tail(stdout)}`,
          ),
        );
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
    if (opts.stdin !== undefined) child.stdin?.write(opts.stdin);
    child.stdin?.end();
  });
}

/** A free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error("freePort: no address"));
        return;
      }
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------
// PKI

export interface LeafFiles {
  certFile: string;
  keyFile: string;
  /** The leaf followed by its intermediate (just the leaf when there is none). */
  chainFile: string;
  /** The issuing intermediate(s) only, for `openssl s_server -cert_chain`; undefined if none. */
  extraChainFile: string | undefined;
  certPem: string;
  keyPem: string;
  chainPem: string;
}

export type LeafName =
  | "ecdsaP256"
  | "ecdsaP384"
  | "rsa2048"
  | "ed25519"
  | "expired"
  | "selfSigned"
  | "wrongHost"
  | "unknownCa"
  | "client";

export interface Pki {
  dir: string;
  /** Root CA (ECDSA P-256, self-signed, CA:TRUE). Trust anchor for everything but unknownCa. */
  caPem: string;
  caFile: string;
  /** Intermediate CA (ECDSA P-256, CA:TRUE pathlen:0) signed by the root; signs the leaves. */
  intPem: string;
  intFile: string;
  /** An unrelated root CA; it signed `leaves.unknownCa` only. */
  otherCaPem: string;
  otherCaFile: string;
  /**
   * Leaves for `localhost` / `127.0.0.1` (EKU serverAuth+clientAuth) signed by the
   * intermediate: ecdsaP256, ecdsaP384, rsa2048, ed25519; `expired` (P-256, valid only
   * 2020-01-01..02); `selfSigned` (P-256, CA:FALSE); `wrongHost` (DNS:wrong.example);
   * `unknownCa` (signed by otherCa); `client` (EKU clientAuth, CN=webtls test client).
   */
  leaves: Record<LeafName, LeafFiles>;
}

const OPENSSL_HINT = "apt-get install -y openssl";

/** Run the openssl CLI in `cwd` (asynchronously); throws with its stderr on failure. */
function openssl(cwd: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args.join(" ")} failed: ${stderr || err.message}`));
      else resolve();
    });
  });
}

function pkiConfig(dir: string): string {
  const leaf = (keyUsage: string, eku: string, san: string) =>
    [
      "basicConstraints = critical,CA:FALSE",
      `keyUsage = critical,${keyUsage}`,
      `extendedKeyUsage = ${eku}`,
      ...(san ? [`subjectAltName = ${san}`] : []),
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid:always",
    ].join("\n");
  const localhost = "DNS:localhost,IP:127.0.0.1";
  return `# webtls test PKI
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused

[ ca ]
default_ca = ca_default
[ ca_default ]
dir = ${dir}/db
database = ${dir}/db/index.txt
new_certs_dir = ${dir}/db
serial = ${dir}/db/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
commonName = supplied

[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_int ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ leaf_sig ]
${leaf("digitalSignature", "serverAuth,clientAuth", localhost)}
[ leaf_rsa ]
${leaf("digitalSignature,keyEncipherment", "serverAuth,clientAuth", localhost)}
[ leaf_wrong ]
${leaf("digitalSignature", "serverAuth,clientAuth", "DNS:wrong.example")}
[ leaf_client ]
${leaf("digitalSignature", "clientAuth", "")}
[ leaf_self ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = ${localhost}
subjectKeyIdentifier = hash
`;
}

type KeyKind = "p256" | "p384" | "rsa2048" | "ed25519";

function genKey(dir: string, file: string, kind: KeyKind): Promise<void> {
  const algo: Record<KeyKind, string[]> = {
    p256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    p384: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    rsa2048: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    ed25519: ["-algorithm", "ED25519"],
  };
  return openssl(dir, "genpkey", ...algo[kind], "-out", file);
}

let serialCounter = 0;
function serial(): string {
  serialCounter++;
  const rand = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  return `0x${rand}${serialCounter.toString(16).padStart(4, "0")}`;
}

async function buildPki(): Promise<Pki> {
  requireTool("openssl", OPENSSL_HINT);
  installExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webtls-pki-"));
  tempDirs.add(dir);
  const p = (f: string) => path.join(dir, f);
  fs.mkdirSync(p("db"));
  fs.writeFileSync(p("db/index.txt"), "");
  fs.writeFileSync(p("db/serial"), "1000\n");
  fs.writeFileSync(p("openssl.cnf"), pkiConfig(dir));
  const cnf = p("openssl.cnf");

  const selfSign = (name: string, cn: string, ext: string, days: number) =>
    openssl(
      dir,
      ...["req", "-x509", "-new", "-config", cnf, "-key", `${name}.key`, "-subj", `/CN=${cn}`],
      ...["-sha256", "-days", String(days), "-set_serial", serial()],
      ...["-extensions", ext, "-out", `${name}.pem`],
    );
  const csr = (name: string, cn: string) =>
    openssl(
      dir,
      ...["req", "-new", "-config", cnf, "-key", `${name}.key`, "-subj", `/CN=${cn}`],
      ...["-out", `${name}.csr`],
    );
  const sign = (name: string, issuer: string, ext: string, days: number) =>
    openssl(
      dir,
      ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`],
      ...["-set_serial", serial(), "-days", String(days), "-sha256"],
      ...["-extfile", cnf, "-extensions", ext, "-out", `${name}.pem`],
    );

  // Root, intermediate, and an unrelated root.
  await genKey(dir, "ca.key", "p256");
  await selfSign("ca", "webtls Test Root CA", "v3_root", 3650);
  await genKey(dir, "int.key", "p256");
  await csr("int", "webtls Test Intermediate CA");
  await sign("int", "ca", "v3_int", 3650);
  await genKey(dir, "otherca.key", "p256");
  await selfSign("otherca", "webtls Unrelated Root CA", "v3_root", 3650);

  const issued: Array<[LeafName, KeyKind, string, string, string]> = [
    // name, key, CN, issuer, extensions
    ["ecdsaP256", "p256", "localhost", "int", "leaf_sig"],
    ["ecdsaP384", "p384", "localhost", "int", "leaf_sig"],
    ["rsa2048", "rsa2048", "localhost", "int", "leaf_rsa"],
    ["ed25519", "ed25519", "localhost", "int", "leaf_sig"],
    ["wrongHost", "p256", "wrong.example", "int", "leaf_wrong"],
    ["unknownCa", "p256", "localhost", "otherca", "leaf_sig"],
    ["client", "p256", "webtls test client", "int", "leaf_client"],
  ];
  // Independent leaves are made concurrently (RSA key generation dominates).
  await Promise.all(issued.map(async ([name, kind, cn, issuer, ext]) => {
    await genKey(dir, `${name}.key`, kind);
    await csr(name, cn);
    await sign(name, issuer, ext, 365);
  }));

  // Expired: `x509 -req` cannot set a start date in OpenSSL 3.0, `ca` can.
  await genKey(dir, "expired.key", "p256");
  await csr("expired", "localhost");
  await openssl(
    dir,
    ...["ca", "-batch", "-config", cnf, "-cert", "int.pem", "-keyfile", "int.key"],
    ...["-in", "expired.csr", "-out", "expired.pem", "-notext", "-extensions", "leaf_sig"],
    ...["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"],
  );

  // Self-signed leaf (no CA involved).
  await genKey(dir, "selfSigned.key", "p256");
  await selfSign("selfSigned", "localhost", "leaf_self", 365);

  const read = (f: string) => fs.readFileSync(p(f), "utf8");
  const caPem = read("ca.pem");
  const intPem = read("int.pem");
  const names: LeafName[] = [
    "ecdsaP256",
    "ecdsaP384",
    "rsa2048",
    "ed25519",
    "expired",
    "selfSigned",
    "wrongHost",
    "unknownCa",
    "client",
  ];
  const leaves = {} as Record<LeafName, LeafFiles>;
  for (const name of names) {
    const certPem = read(`${name}.pem`);
    const keyPem = read(`${name}.key`);
    const viaInt = name !== "selfSigned" && name !== "unknownCa";
    const chainPem = viaInt ? certPem + intPem : certPem;
    fs.writeFileSync(p(`${name}.chain.pem`), chainPem);
    leaves[name] = {
      certFile: p(`${name}.pem`),
      keyFile: p(`${name}.key`),
      chainFile: p(`${name}.chain.pem`),
      extraChainFile: viaInt ? p("int.pem") : undefined,
      certPem,
      keyPem,
      chainPem,
    };
  }
  return {
    dir,
    caPem,
    caFile: p("ca.pem"),
    intPem,
    intFile: p("int.pem"),
    otherCaPem: read("otherca.pem"),
    otherCaFile: p("otherca.pem"),
    leaves,
  };
}

let pkiPromise: Promise<Pki> | undefined;

/**
 * The test PKI, made once per process in a fresh temp dir (removed at exit unless
 * WEBTLS_KEEP_PKI is set).
 */
export function makePki(): Promise<Pki> {
  pkiPromise ??= buildPki().catch((e) => {
    pkiPromise = undefined;
    throw e;
  });
  return pkiPromise;
}

// ---------------------------------------------------------------------------
// Ready-made servers

export interface ServerHandle {
  port: number;
  peer: Peer;
}

export interface OpenSSLServerOptions {
  /**
   * "echo" (default): byte-exact echo. `s_server -quiet` writes exactly the bytes it receives
   * to stdout and sends its stdin to the client, so the harness pipes stdout back into stdin.
   * Connections are served one at a time. "www": answers `GET /` with an HTML status page.
   * "rev": sends back each received line reversed (text only).
   */
  mode?: "echo" | "www" | "rev";
  /** Which leaf to serve (default ecdsaP256). */
  leaf?: LeafName;
}

/** `openssl s_server` on 127.0.0.1, serving a leaf with its intermediate. */
export async function startOpenSSLServer(
  pki: Pki,
  extraArgs: string[] = [],
  opts: OpenSSLServerOptions = {},
): Promise<ServerHandle> {
  requireTool("openssl", OPENSSL_HINT);
  const mode = opts.mode ?? "echo";
  const leaf = pki.leaves[opts.leaf ?? "ecdsaP256"];
  const port = await freePort();
  const args = [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    leaf.certFile,
    "-key",
    leaf.keyFile,
    ...(leaf.extraChainFile ? ["-cert_chain", leaf.extraChainFile] : []),
    ...(mode === "www" ? ["-www"] : mode === "rev" ? ["-rev"] : ["-quiet"]),
    ...extraArgs,
  ];
  const peer = await startPeer("openssl", args, {
    name: `openssl s_server (${mode})`,
    // In -quiet mode s_server prints nothing, not even ACCEPT: poll the port instead.
    ...(mode === "echo" ? { readyPort: port } : { readyText: "ACCEPT" }),
    ...(mode === "echo"
      ? { captureStdout: false, onStdout: (chunk: Uint8Array, p: Peer) => p.write(chunk) }
      : {}),
  });
  return { port, peer };
}

export interface GnutlsServerOptions {
  /**
   * Echo mode (`--echo`). gnutls-serv echoes text: data is handled as C strings (a NUL byte
   * truncates it) and lines starting with `**` are commands (e.g. **KEYUPDATE**). Otherwise
   * it is an HTTP server answering GET with a status page.
   */
  echo?: boolean;
  leaf?: LeafName;
}

/**
 * `gnutls-serv` on a free port. It cannot bind one address: it listens on 0.0.0.0 and ::.
 * No client certificate is requested unless extraArgs asks for one.
 */
export async function startGnutlsServer(
  pki: Pki,
  extraArgs: string[] = [],
  opts: GnutlsServerOptions = {},
): Promise<ServerHandle> {
  requireTool("gnutls-serv", "apt-get install -y gnutls-bin");
  const leaf = pki.leaves[opts.leaf ?? "ecdsaP256"];
  const port = await freePort();
  const clientCertArgs = ["--require-client-cert", "--verify-client-cert", "-r", "-a"];
  const choosesClientCert = extraArgs.some((a) => clientCertArgs.includes(a));
  const args = [
    "-p",
    String(port),
    "--x509certfile",
    leaf.chainFile,
    "--x509keyfile",
    leaf.keyFile,
    ...(opts.echo ? ["--echo"] : []),
    ...(choosesClientCert ? [] : ["--disable-client-cert"]),
    ...extraArgs,
  ];
  const peer = await startPeer("gnutls-serv", args, {
    name: "gnutls-serv",
    readyText: `port ${port}...done`,
  });
  await waitPort(peer, port);
  return { port, peer };
}

async function waitPort(peer: Peer, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (!peer.running || Date.now() > deadline) {
      throw new Error(`${peer.name} is not accepting on port ${port}\n${tail(peer.stderr)}`);
    }
    await sleep(50);
  }
}

/** Options understood by the python/node/deno/bun peer servers (passed as one JSON argument). */
export interface ScriptServerOptions {
  /** Leaf to serve (default ecdsaP256). Ignored when certFile/keyFile are given. */
  leaf?: LeafName;
  /** PEM chain (leaf first) and key files; default: the chosen leaf's chainFile/keyFile. */
  certFile?: string;
  keyFile?: string;
  /** Lowest / highest protocol version: "TLSv1.2" | "TLSv1.3". */
  minVersion?: "TLSv1.2" | "TLSv1.3";
  maxVersion?: "TLSv1.2" | "TLSv1.3";
  /** ALPN protocols the server accepts, in preference order. */
  alpn?: string[];
  /** Client certificates: "none" (default), "optional" or "required", verified against caFile. */
  clientCert?: "none" | "optional" | "required";
  /** CA for client certificates (default: the PKI root). */
  caFile?: string;
  /** TLS 1.3 session tickets to send (python: num_tickets; others ignore it). */
  tickets?: number;
  /** OpenSSL cipher string for TLS 1.2 (python, node). */
  ciphers?: string;
  /** node only: key exchange groups, colon-separated (`ecdhCurve`). */
  groups?: string;
  /**
   * python only: ask for the client certificate after the handshake instead of during it
   * (`post_handshake_auth` and `verify_client_post_handshake()`; needs `clientCert`).
   */
  pha?: boolean;
}

interface ScriptServerConfig {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  caFile: string;
  clientCert: "none" | "optional" | "required";
  minVersion?: string;
  maxVersion?: string;
  alpn?: string[];
  tickets?: number;
  ciphers?: string;
  pha?: boolean;
  groups?: string;
}

function scriptConfig(pki: Pki, opts: ScriptServerOptions): ScriptServerConfig {
  const leaf = pki.leaves[opts.leaf ?? "ecdsaP256"];
  return {
    host: "127.0.0.1",
    port: 0,
    certFile: opts.certFile ?? leaf.chainFile,
    keyFile: opts.keyFile ?? leaf.keyFile,
    caFile: opts.caFile ?? pki.caFile,
    clientCert: opts.clientCert ?? "none",
    minVersion: opts.minVersion,
    maxVersion: opts.maxVersion,
    alpn: opts.alpn,
    tickets: opts.tickets,
    ciphers: opts.ciphers,
    pha: opts.pha,
    groups: opts.groups,
  };
}

async function startScriptServer(
  name: string,
  cmd: string,
  args: string[],
): Promise<ServerHandle> {
  const peer = await startPeer(cmd, args, { name, readyText: /READY \d+/ });
  const m = /READY (\d+)/.exec(peer.stdout);
  if (!m) throw new Error(`${name}: no READY line`);
  return { port: Number(m[1]), peer };
}

/**
 * Python `ssl` echo server (tests/interop/peers/python_server.py). Prints `READY <port>`, then
 * one JSON line per event on stdout: {"event":"handshake",version,cipher,alpn,sessionReused,
 * peerCert}, {"event":"closed",bytes,cleanClose}, {"event":"error",error}.
 */
export function startPythonServer(pki: Pki, opts: ScriptServerOptions = {}): Promise<ServerHandle> {
  const python = requireTool("python3", "apt-get install -y python3");
  return startScriptServer("python_server.py", python, [
    "-u",
    path.join(PEERS_DIR, "python_server.py"),
    JSON.stringify(scriptConfig(pki, opts)),
  ]);
}

/**
 * node:tls echo server (peers/node_server.mjs); same protocol as the Python one. Run by Node
 * (OpenSSL) by default, or by Bun, whose node:tls is BoringSSL.
 */
export function startNodeServer(
  pki: Pki,
  opts: ScriptServerOptions = {},
  runtime: "node" | "bun" = "node",
): Promise<ServerHandle> {
  return startScriptServer(`node_server.mjs (${runtime})`, runtimeExecutable(runtime), [
    path.join(PEERS_DIR, "node_server.mjs"),
    JSON.stringify(scriptConfig(pki, opts)),
  ]);
}

/**
 * Deno.listenTls echo server (peers/deno_server.ts, rustls). Supports leaf/cert/key and alpn
 * only: Deno.listenTls has no version limits nor client certificates.
 */
export function startDenoServer(pki: Pki, opts: ScriptServerOptions = {}): Promise<ServerHandle> {
  return startScriptServer("deno_server.ts", runtimeExecutable("deno"), [
    "run",
    "--no-config",
    "--no-lock",
    "-A",
    path.join(PEERS_DIR, "deno_server.ts"),
    JSON.stringify(scriptConfig(pki, opts)),
  ]);
}

/** Bun.listen({ tls }) echo server (peers/bun_server.ts, BoringSSL). */
export function startBunServer(pki: Pki, opts: ScriptServerOptions = {}): Promise<ServerHandle> {
  return startScriptServer("bun_server.ts", runtimeExecutable("bun"), [
    path.join(PEERS_DIR, "bun_server.ts"),
    JSON.stringify(scriptConfig(pki, opts)),
  ]);
}

/**
 * Waits until a script server has printed `count` events named `event` (its stdout reaches us
 * on its own schedule, after the bytes it echoed), then returns every event printed so far.
 */
export async function awaitServerEvents(
  peer: Peer,
  event: string,
  count = 1,
  timeoutMs = 5000,
): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = serverEvents(peer);
    if (events.filter((e) => e.event === event).length >= count) return events;
    if (Date.now() > deadline) {
      throw new Error(`the server printed fewer than ${count} "${event}" events: ${peer.stdout}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Parse the JSON event lines a script server printed so far. */
export function serverEvents(peer: Peer): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  for (const line of peer.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // partial line
    }
  }
  return events;
}

// ---------------------------------------------------------------------------
// Clients

/** Options of the python/node peer clients (passed as one JSON argument). */
export interface ScriptClientOptions {
  host?: string;
  port: number;
  /** Name to verify and send as SNI (default "localhost"). */
  servername?: string;
  /** CA file to trust (default: the PKI root). */
  caFile?: string;
  /** Client certificate chain and key, for mutual TLS. */
  certFile?: string;
  keyFile?: string;
  minVersion?: "TLSv1.2" | "TLSv1.3";
  maxVersion?: "TLSv1.2" | "TLSv1.3";
  alpn?: string[];
  /** Text to send (default: `bytes` pseudo-random bytes). */
  text?: string;
  /** Number of pseudo-random bytes to send when no text is given (default 1024). */
  bytes?: number;
  /** Connect this many times, resuming the previous session each time (default 1). */
  connections?: number;
  /** Overall timeout in ms (default 20000). */
  timeoutMs?: number;
  /** node only: key exchange groups, colon-separated (`ecdhCurve`). */
  groups?: string;
}

/** One JSON line printed by a peer client. */
export interface ClientResult {
  ok: boolean;
  error?: string;
  version?: string;
  cipher?: string;
  alpn?: string | null;
  sessionReused?: boolean;
  bytesSent?: number;
  bytesEchoed?: number;
  sha256Sent?: string;
  sha256Echoed?: string;
  cleanClose?: boolean;
  connections?: Array<Record<string, unknown>>;
}

function clientConfig(pki: Pki, opts: ScriptClientOptions): Record<string, unknown> {
  return {
    host: "127.0.0.1",
    servername: "localhost",
    caFile: pki.caFile,
    bytes: 1024,
    connections: 1,
    timeoutMs: 20_000,
    ...opts,
  };
}

async function runScriptClient(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<ClientResult & { stderr: string; code: number | null }> {
  const r = await runPeer(cmd, args, { timeoutMs: timeoutMs + 5000 });
  const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) {
    throw new Error(
      `${path.basename(args[args.length - 2] ?? cmd)} printed no result (exit ${r.code})\n` +
        `--- stderr ---\n${tail(r.stderr)}\n--- stdout ---\n${tail(r.stdout)}`,
    );
  }
  return { ...(JSON.parse(line) as ClientResult), stderr: r.stderr, code: r.code };
}

/** Run peers/python_client.py once and parse its JSON result line. */
export function runPythonClient(
  pki: Pki,
  opts: ScriptClientOptions,
): Promise<ClientResult & { stderr: string; code: number | null }> {
  const python = requireTool("python3", "apt-get install -y python3");
  return runScriptClient(
    python,
    [path.join(PEERS_DIR, "python_client.py"), JSON.stringify(clientConfig(pki, opts))],
    opts.timeoutMs ?? 20_000,
  );
}

/** Runs peers/node_client.mjs once (with Node, or Bun: BoringSSL) and parses its JSON result. */
export function runNodeClient(
  pki: Pki,
  opts: ScriptClientOptions,
  runtime: "node" | "bun" = "node",
): Promise<ClientResult & { stderr: string; code: number | null }> {
  return runScriptClient(
    runtimeExecutable(runtime),
    [path.join(PEERS_DIR, "node_client.mjs"), JSON.stringify(clientConfig(pki, opts))],
    opts.timeoutMs ?? 20_000,
  );
}
