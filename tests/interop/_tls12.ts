/**
 * What the TLS 1.2 interop tests share: client contexts, interactive `openssl
 * s_server`/`gnutls-serv` peers that report what they negotiated, the Python peer of
 * peers/tls12_peer.py, a passive recording proxy, and readers for the plaintext part of a
 * TLS 1.2 handshake (ServerHello extensions, the ServerKeyExchange signature scheme) and for
 * NSS key log lines. Only the public API (`mod.ts`) drives connections.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  connect,
  createDefaultContext,
  type SSLContext,
  type SSLSession,
  type SSLSocket,
} from "../../mod.ts";
import { type Bytes, concat } from "../../src/_bytes.ts";
import { type Mitm, splitRecords, startMitm } from "../hostile/_mitm.ts";
import {
  freePort,
  type LeafName,
  type Peer,
  PEERS_DIR,
  type Pki,
  requireTool,
  runPeer,
  startPeer,
} from "./_peers.ts";

export const enc: TextEncoder = new TextEncoder();
const dec: TextDecoder = new TextDecoder();

/** The OpenSSL names of the four TLS 1.2 suites, by certificate kind. */
export const SUITES12: Record<"ecdsa" | "rsa", readonly string[]> = {
  ecdsa: ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"],
  rsa: ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"],
};

/** The groups every peer and webtls share, as `setGroups` takes them and `group()` prints them. */
export const GROUPS12 = [
  {
    name: "x25519",
    openssl: "X25519",
    gnutls: "GROUP-X25519",
    python: "X25519",
    printed: "x25519",
  },
  {
    name: "P-256",
    openssl: "P-256",
    gnutls: "GROUP-SECP256R1",
    python: "prime256v1",
    printed: "secp256r1",
  },
  {
    name: "P-384",
    openssl: "P-384",
    gnutls: "GROUP-SECP384R1",
    python: "secp384r1",
    printed: "secp384r1",
  },
] as const;

/** The GnuTLS priority string for TLS 1.2 only (plus additions such as `:%NO_SESSION_HASH`). */
export const GNUTLS12 = "NORMAL:-VERS-ALL:+VERS-TLS1.2";

/**
 * A client context as `createDefaultContext` makes it (TLS 1.2 to 1.3, hostname checks)
 * trusting the test root, with its key log lines collected in `keylog`.
 */
export async function clientContext12(
  pki: Pki,
): Promise<{ ctx: SSLContext; keylog: string[] }> {
  const ctx = await createDefaultContext(undefined, { cafile: pki.caFile });
  const keylog: string[] = [];
  ctx.onKeylog = (line) => keylog.push(line);
  return { ctx, keylog };
}

/** Connects to 127.0.0.1:`port` as `localhost`. */
export function connect12(
  port: number,
  context: SSLContext,
  session?: SSLSession,
): Promise<SSLSocket> {
  return connect("127.0.0.1", port, {
    context,
    serverHostname: "localhost",
    session,
    handshakeTimeout: 15_000,
  });
}

/** Reads from `sock` until `text` arrived; returns what was read. */
export async function readText(sock: SSLSocket, text: string): Promise<string> {
  let seen = "";
  while (!seen.includes(text)) {
    const piece = await sock.read();
    if (piece.byteLength === 0) throw new Error(`EOF before ${JSON.stringify(text)}: ${seen}`);
    seen += dec.decode(piece, { stream: true });
  }
  return seen;
}

/** Writes `line` and reads it back (an echoing peer). */
export async function echoLine(sock: SSLSocket, line: string): Promise<void> {
  await sock.write(enc.encode(line));
  assert.equal(await readText(sock, line), line);
}

/** Polls until `cond()` holds, failing with `what` after `ms`. */
export async function until(cond: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------------------
// openssl s_server / gnutls-serv in their talkative modes

/**
 * `openssl s_server` in its interactive mode (one connection at a time): what the client
 * sends and the connection facts (`CIPHER is`, `Reused session-id`, the keying material with
 * `-keymatexport`) go to its stdout; lines written to its stdin go to the client, and `r` on
 * a line of its own asks for a renegotiation. `-tls1_2` is added unless `tls12` is false.
 */
export async function opensslServer(
  pki: Pki,
  args: string[],
  opts: { leaf?: LeafName; tls12?: boolean } = {},
): Promise<{ port: number; peer: Peer }> {
  requireTool("openssl", "apt-get install -y openssl");
  const port = await freePort();
  const leaf = pki.leaves[opts.leaf ?? "ecdsaP256"];
  const peer = await startPeer("openssl", [
    "s_server",
    ...["-accept", `127.0.0.1:${port}`, "-cert", leaf.certFile, "-key", leaf.keyFile],
    ...(leaf.extraChainFile ? ["-cert_chain", leaf.extraChainFile] : []),
    ...(opts.tls12 === false ? [] : ["-tls1_2"]),
    ...args,
  ], { name: `openssl s_server ${args.join(" ")}`, readyText: "ACCEPT" });
  return { port, peer };
}

/** The hex keying material `s_server`/`s_client -keymatexport` printed (the `n`th, 0-based). */
export function opensslKeyingMaterial(out: string, n = 0): string | undefined {
  return [...out.matchAll(/Keying material: ([0-9A-F]+)/g)][n]?.[1].toLowerCase();
}

/** `gnutls-serv --echo` with `priority`, on a free port. */
export async function gnutlsServer(
  pki: Pki,
  priority: string,
  opts: { leaf?: LeafName; args?: string[] } = {},
): Promise<{ port: number; peer: Peer }> {
  requireTool("gnutls-serv", "apt-get install -y gnutls-bin");
  const port = await freePort();
  const leaf = pki.leaves[opts.leaf ?? "ecdsaP256"];
  const args = opts.args ?? [];
  const clientCert = args.includes("--require-client-cert");
  const peer = await startPeer("gnutls-serv", [
    ...["-p", String(port), "--echo", "--priority", priority],
    ...["--x509certfile", leaf.chainFile, "--x509keyfile", leaf.keyFile],
    ...(clientCert ? [] : ["--disable-client-cert"]),
    ...args,
  ], { name: `gnutls-serv ${priority}`, readyText: `port ${port}...done` });
  return { port, peer };
}

/**
 * The facts gnutls-serv or gnutls-cli printed about its `n`th (0-based) connection:
 * the description line and the channel bindings.
 */
export function gnutlsFacts(
  out: string,
  n = 0,
): { description?: string; tlsUnique?: string; tlsExporter?: string; options?: string } {
  const blocks = out.split("- Description: ").slice(1);
  const b = blocks[n];
  if (b === undefined) return {};
  return {
    description: b.split("\n")[0],
    tlsUnique: /'tls-unique': ([0-9a-f]+)/.exec(b)?.[1],
    tlsExporter: /'tls-exporter': ([0-9a-f]+)/.exec(b)?.[1],
    options: /- Options: (.*)/.exec(b)?.[1],
  };
}

// ---------------------------------------------------------------------------------------
// The Python peer (peers/tls12_peer.py)

/** Settings of a Python `SSLContext` (see peers/tls12_peer.py). */
export interface PySettings {
  minimumVersion?: string;
  maximumVersion?: string;
  options?: Array<string | number>;
  ciphers?: string;
  ecdhCurve?: string;
  clientCert?: "none" | "optional" | "required";
  certFile?: string;
  keyFile?: string;
}

/** One connection made by the Python client. */
export interface PyResult {
  ok: boolean;
  version?: string;
  cipher?: string;
  tlsUnique?: string | null;
  sessionReused?: boolean;
  echoed?: string;
  error?: string;
}

/** An event printed by the Python server. */
export interface PyEvent {
  event: "handshake" | "error";
  server: string;
  version?: string;
  cipher?: string;
  tlsUnique?: string | null;
  sessionReused?: boolean;
  peerCert?: Record<string, string> | null;
  error?: string;
}

const PY_HINT = "apt-get install -y python3";

/** Python servers, one port per named settings entry; events arrive in `events()`. */
export async function pythonServers(
  pki: Pki,
  servers: Array<PySettings & { name: string }>,
  leaf: LeafName = "ecdsaP256",
): Promise<{ ports: Record<string, number>; peer: Peer; events(): PyEvent[] }> {
  const python = requireTool("python3", PY_HINT);
  const files = pki.leaves[leaf];
  const peer = await startPeer(python, [
    "-u",
    path.join(PEERS_DIR, "tls12_peer.py"),
    "serve",
    JSON.stringify({
      certFile: files.chainFile,
      keyFile: files.keyFile,
      caFile: pki.caFile,
      servers,
    }),
  ], { name: "tls12_peer.py serve", readyText: /READY \{.*\}/ });
  const ports = JSON.parse(/READY (\{.*\})/.exec(peer.stdout)![1]) as Record<string, number>;
  return {
    ports,
    peer,
    events: () =>
      peer.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)),
  };
}

/** Runs the Python client over `connections` (in order) and returns one result each. */
export async function pythonConnect(
  pki: Pki,
  connections: Array<PySettings & { port: number; send?: string; resume?: boolean }>,
): Promise<PyResult[]> {
  const python = requireTool("python3", PY_HINT);
  const r = await runPeer(python, [
    path.join(PEERS_DIR, "tls12_peer.py"),
    "connect",
    JSON.stringify({ caFile: pki.caFile, connections }),
  ], { timeoutMs: 60_000 });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  assert.ok(line.startsWith("["), `tls12_peer.py connect printed no result\n${r.stderr}`);
  return JSON.parse(line);
}

// ---------------------------------------------------------------------------------------
// Looking at the wire

/** A passive proxy in front of 127.0.0.1:`upstreamPort` that keeps what crosses it. */
export function recorder(upstreamPort: number): Promise<Mitm> {
  return startMitm({ upstreamPort });
}

/** A handshake message read from the plaintext part of a TLS 1.2 stream. */
export interface PlainMessage {
  type: number;
  body: Bytes;
}

/**
 * The handshake messages of one direction before its ChangeCipherSpec (TLS 1.2 sends them in
 * plaintext; records may hold several messages or parts of one).
 */
export function plaintextMessages(stream: readonly Uint8Array[]): PlainMessage[] {
  const parts: Uint8Array[] = [];
  for (const rec of splitRecords(concat(...stream.map((c) => new Uint8Array(c))))) {
    if (rec.type === 20) break;
    if (rec.type === 22) parts.push(rec.body);
  }
  const data = concat(...parts);
  const out: PlainMessage[] = [];
  for (let off = 0; off + 4 <= data.byteLength;) {
    const len = (data[off + 1] << 16) | (data[off + 2] << 8) | data[off + 3];
    if (off + 4 + len > data.byteLength) break;
    out.push({ type: data[off], body: data.slice(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return out;
}

/** The extension types of the ServerHello in a server stream. */
export function serverHelloExtensionTypes(stream: readonly Uint8Array[]): number[] {
  const sh = plaintextMessages(stream).find((m) => m.type === 2);
  assert.ok(sh, "no ServerHello in the server stream");
  const b = sh.body;
  let off = 2 + 32;
  off += 1 + b[off] + 2 + 1;
  const end = off + 2 + ((b[off] << 8) | b[off + 1]);
  const types: number[] = [];
  for (off += 2; off + 4 <= end; off += 4 + ((b[off + 2] << 8) | b[off + 3])) {
    types.push((b[off] << 8) | b[off + 1]);
  }
  return types;
}

/**
 * The SignatureScheme of the (ECDHE) ServerKeyExchange in a server stream: it follows the
 * curve type, the named group and the point. RFC 8422 §5.4.
 */
export function serverKeyExchangeScheme(stream: readonly Uint8Array[]): number | undefined {
  const ske = plaintextMessages(stream).find((m) => m.type === 12);
  if (!ske) return undefined;
  const off = 3 + 1 + ske.body[3];
  return (ske.body[off] << 8) | ske.body[off + 1];
}

/** The SignatureScheme of the client's CertificateVerify in a client stream. */
export function certificateVerifyScheme(stream: readonly Uint8Array[]): number | undefined {
  const cv = plaintextMessages(stream).find((m) => m.type === 15);
  return cv ? (cv.body[0] << 8) | cv.body[1] : undefined;
}

/** The `CLIENT_RANDOM` lines of an NSS key log, normalised (lower-case hex), in order. */
export function clientRandomLines(text: string | readonly string[]): string[] {
  const lines = typeof text === "string" ? text.split("\n") : text;
  return lines.map((l) => l.trim()).filter((l) => l.startsWith("CLIENT_RANDOM "))
    .map((l) => l.toLowerCase().replace(/^client_random/, "CLIENT_RANDOM"));
}

/** Reads a key log file written by a peer once it holds `count` CLIENT_RANDOM lines. */
export async function readKeylogFile(file: string, count = 1): Promise<string[]> {
  let lines: string[] = [];
  await until(
    () => {
      lines = fs.existsSync(file) ? clientRandomLines(fs.readFileSync(file, "utf8")) : [];
      return lines.length >= count;
    },
    () => `${count} CLIENT_RANDOM line(s) in ${file}; have ${lines.length}`,
  );
  return lines;
}

/** Lower-case hex. */
export function hex(b: Uint8Array | null | undefined): string | undefined {
  return b ? Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("") : undefined;
}
