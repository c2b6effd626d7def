/**
 * `webtls serve`: a TLS server for trying clients against, in the spirit of
 * `openssl s_server`: `--www` answers HTTP with the connection's facts, `--echo` echoes.
 * @module
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { listen } from "../net/listen.ts";
import { SSLError } from "../errors.ts";
import { CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED, PROTOCOL_TLS_SERVER } from "../ssl/constants.ts";
import { SSLContext } from "../ssl/context.ts";
import { TLSVersion } from "../ssl/enums.ts";
import type { SSLSocket } from "../ssl/socket.ts";
import { Certificate } from "../x509/certificate.ts";
import { generateCertificateAuthority, issueCertificate } from "../x509/generate.ts";

/** Settings of `serve`, parsed from the command line. */
export interface ServeOptions {
  /** Address to bind. */
  host: string;
  /** Port to bind (0: any free port). */
  port: number;
  /** Certificate chain file (PEM); without it an ephemeral CA and leaf are generated. */
  cert?: string;
  /** Private key file; defaults to `cert`. */
  key?: string;
  /** Password of an encrypted key. */
  password?: string;
  /** CA file to verify client certificates with. */
  cafile?: string;
  /** Client certificate policy. */
  verifyClient: "none" | "optional" | "required";
  /** ALPN protocols, in preference order. */
  alpn: string[];
  /** TLS 1.3 only. */
  tls13Only: boolean;
  /** TLS 1.2 only. */
  tls12Only: boolean;
  /** Tickets per connection. */
  numTickets?: number;
  /** NSS key log file. */
  keylog?: string;
  /** Answer HTTP with the connection's facts (default), or echo bytes. */
  mode: "www" | "echo";
}

/** Runs the server until interrupted; `log` receives one line per event. */
export async function serve(o: ServeOptions, log: (line: string) => void): Promise<never> {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  if (o.cert) {
    await ctx.loadCertChain(o.cert, o.key, o.password);
  } else {
    const dir = await mkdtemp(join(tmpdir(), "webtls-serve-"));
    const ca = await generateCertificateAuthority({
      commonName: "webtls ephemeral CA",
      keyType: "P-256",
      days: 7,
    });
    const leaf = await issueCertificate(ca, {
      commonName: "localhost",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1", "::1"],
      keyType: "P-256",
      days: 7,
      serverAuth: true,
    });
    const caFile = join(dir, "ca.pem");
    await writeFile(caFile, ca.certPem);
    await ctx.loadCertChain({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem });
    log(`generated an ephemeral ECDSA P-256 certificate for localhost/127.0.0.1`);
    log(`trust its CA with: --cafile ${caFile}`);
  }
  if (o.cafile) await ctx.loadVerifyLocations({ cafile: o.cafile });
  ctx.verifyMode = o.verifyClient === "required"
    ? CERT_REQUIRED
    : o.verifyClient === "optional"
    ? CERT_OPTIONAL
    : CERT_NONE;
  if (o.verifyClient !== "none" && !o.cafile) {
    log("warning: --verify-client without --cafile: no CA to verify client certificates with");
  }
  if (o.alpn.length) ctx.setAlpnProtocols(o.alpn);
  if (o.tls13Only) ctx.minimumVersion = TLSVersion.TLSv1_3;
  if (o.tls12Only) ctx.maximumVersion = TLSVersion.TLSv1_2;
  if (o.numTickets !== undefined) ctx.numTickets = o.numTickets;
  if (o.keylog) ctx.keylogFilename = o.keylog;
  const server = await listen({
    context: ctx,
    hostname: o.host,
    port: o.port,
    onError: (e, peer) => log(`${peer} handshake failed: ${describeError(e)}`),
  });
  log(`listening on ${o.host}:${server.port} (${o.mode})`);
  const stop = () => {
    log("shutting down");
    server.close().finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  for await (const sock of server) {
    log(`${sock.peer ?? "?"} ${summary(sock)}`);
    (o.mode === "echo" ? echo(sock) : www(sock, o)).catch((e) =>
      log(`${sock.peer ?? "?"} ended: ${describeError(e)}`)
    );
  }
  return process.exit(0);
}

function describeError(e: unknown): string {
  if (e instanceof SSLError) return `${e.name}: ${e.reason} (${e.strerror})`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function summary(sock: SSLSocket): string {
  const [cipher] = sock.cipher() ?? ["?"];
  const parts = [sock.version(), cipher, sock.group() ?? "", sock.sessionReused ? "reused" : "new"];
  const alpn = sock.selectedAlpnProtocol();
  if (alpn) parts.push(`alpn=${alpn}`);
  return parts.filter(Boolean).join(" ");
}

async function echo(sock: SSLSocket): Promise<void> {
  for (;;) {
    const data = await sock.read();
    if (data.byteLength === 0) break;
    await sock.write(data);
  }
  await sock.close();
}

/** Reads one HTTP request head (bounded), answers with the connection's facts, closes. */
async function www(sock: SSLSocket, o: ServeOptions): Promise<void> {
  let head = "";
  const decoder = new TextDecoder();
  while (!head.includes("\r\n\r\n") && !head.includes("\n\n") && head.length < 16384) {
    const chunk = await sock.read();
    if (chunk.byteLength === 0) break;
    head += decoder.decode(chunk, { stream: true });
  }
  const [method, target = "/"] = head.split(/\s+/, 2);
  const peerDer = sock.getPeerCert(true);
  const client = peerDer ? Certificate.fromDer(peerDer).subject.toString() : "none";
  const [cipher, , bits] = sock.cipher() ?? ["?", "", 0];
  const body = [
    "webtls serve",
    "",
    `Protocol: ${sock.version()}`,
    `Cipher: ${cipher} (${bits} bits)`,
    `Group: ${sock.group() ?? "none"}`,
    `ALPN: ${sock.selectedAlpnProtocol() ?? "none"}`,
    `SNI: ${sock.serverName ?? "none"}`,
    `Client certificate: ${client}`,
    `Session reused: ${sock.sessionReused ? "yes" : "no"}`,
    `Request: ${method ?? ""} ${target}`,
    `Client verification: ${o.verifyClient}`,
    "",
  ].join("\n");
  const ok = method === "GET" || method === "HEAD";
  const status = ok ? "200 OK" : "405 Method Not Allowed";
  const bytes = new TextEncoder().encode(body);
  await sock.write(new TextEncoder().encode(
    `HTTP/1.0 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${bytes.byteLength}\r\nConnection: close\r\n\r\n`,
  ));
  if (method !== "HEAD") await sock.write(bytes);
  await sock.close();
}
