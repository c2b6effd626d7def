#!/usr/bin/env -S deno run -A
/**
 * The `webtls` command line: `connect` opens a TLS connection and prints what
 * `openssl s_client` users look for.
 *
 * ```sh
 * deno run -A src/cli.ts connect example.com:443
 * bun src/cli.ts connect 127.0.0.1:8443 --cafile ca.pem --servername localhost --json
 * npx webtls connect example.com:443 --alpn h2,http/1.1
 * ```
 * @module
 */
import {
  CERT_NONE,
  createDefaultContext,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
  SSLSession,
  TLSVersion,
  type Transport,
  VERSION,
} from "../mod.ts";
import { realpathSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { serve, type ServeOptions } from "./cli/serve.ts";
import { openTcp } from "./net/tcp.ts";
import { Certificate } from "./x509/certificate.ts";
import { attributeShortName } from "./x509/name.ts";
import { pemEncode } from "./x509/pem.ts";

const USAGE = `webtls ${VERSION} — TLS 1.3/1.2 in TypeScript

Usage:
  webtls connect HOST:PORT [options]
  webtls serve --port N [options]

connect options:
  --cafile F          trust the CA certificates in PEM file F (default: system roots)
  --servername N      name to send as SNI and to verify (default: HOST)
  --alpn a,b          offer these ALPN protocols
  --insecure          do not verify the certificate or the host name
  --tls1.3            TLS 1.3 only
  --tls1.2            TLS 1.2 only
  --groups LIST       key exchange groups, e.g. X25519MLKEM768,x25519,P-256 (first gets the key share)
  --ciphers LIST      cipher suites (TLS 1.3 names, or an OpenSSL cipher string for TLS 1.2)
  --sess-out F        write the session for resumption to F
  --sess-in F         resume the session in F
  --keylog F          append NSS key log lines to F (for Wireshark); contains secrets
  --send TEXT         send TEXT (\\r\\n escapes allowed), then print what arrives until close
  --timeout MS        handshake timeout (default 10000)
  --json              print one JSON object instead of the s_client-style report

serve options:
  --host A            address to bind (default 127.0.0.1)
  --port N            port to listen on (0: any free port)
  --cert F --key F    certificate chain and key (PEM); without them an ephemeral ECDSA P-256
                      certificate for localhost/127.0.0.1 is generated and its CA written out
  --password P        password of an encrypted key
  --cafile F          CA certificates to verify client certificates with
  --verify-client M   none (default), optional or required
  --alpn LIST         ALPN protocols to accept, in preference order
  --tls1.3            TLS 1.3 only
  --tls1.2            TLS 1.2 only
  --num-tickets N     session tickets per connection (default 2)
  --keylog F          append NSS key log lines to F; contains secrets
  --www               answer HTTP GET with the connection's facts (default)
  --echo              echo what clients send
`;

interface Args {
  command?: string;
  target?: string;
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  "--host",
  "--port",
  "--cert",
  "--key",
  "--password",
  "--verify-client",
  "--num-tickets",
  "--cafile",
  "--servername",
  "--alpn",
  "--groups",
  "--ciphers",
  "--sess-out",
  "--sess-in",
  "--keylog",
  "--send",
  "--timeout",
]);
const BOOL_FLAGS = new Set([
  "--insecure",
  "--tls1.3",
  "--tls1.2",
  "--json",
  "--help",
  "-h",
  "--www",
  "--echo",
]);

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS.has(name)) {
      const v = eq > 0 && a.startsWith("--") ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      flags.set(name, v);
    } else if (BOOL_FLAGS.has(a)) {
      flags.set(a, true);
    } else if (a.startsWith("-")) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  return { command: positional[0], target: positional[1], flags };
}

function str(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

/** Splits HOST:PORT, accepting `[v6]:port`. */
function splitTarget(target: string | undefined): { host: string; port: number } {
  const m = target?.match(/^\[([^\]]+)\]:(\d+)$/) ?? target?.match(/^([^:]+):(\d+)$/);
  if (!m) throw new UsageError("connect needs HOST:PORT, e.g. example.com:443");
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`invalid port ${m[2]}`);
  return { host: m[1], port };
}

/** Counts the bytes crossing a transport, for the s_client-style summary. */
function counting(
  t: Transport,
): { transport: Transport; read: () => number; written: () => number } {
  let read = 0, written = 0;
  const readable = t.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        read += chunk.byteLength;
        c.enqueue(chunk);
      },
    }),
  );
  const inner = t.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      written += chunk.byteLength;
      await inner.write(chunk);
    },
    close: () => inner.close(),
    abort: (r) => inner.abort(r),
  });
  return {
    transport: { readable, writable, close: t.close?.bind(t) },
    read: () => read,
    written: () => written,
  };
}

function opensslName(cert: Certificate, which: "subject" | "issuer"): string {
  return cert[which].rdns.map((rdn) =>
    rdn.map((a) => `${attributeShortName(a.oid)} = ${a.value}`).join(" + ")
  ).join(", ");
}

function keyDescription(cert: Certificate): string {
  const k = cert.publicKey;
  switch (k.type) {
    case "rsa":
      return `rsaEncryption, ${k.bits} (bit)`;
    case "rsa-pss":
      return `RSASSA-PSS, ${k.bits} (bit)`;
    case "ecdsa":
      return `id-ecPublicKey, ${k.bits} (bit)`;
    case "ed25519":
      return "ED25519, 253 (bit)";
    default:
      return k.type;
  }
}

const GROUP_LABEL: Record<string, string> = {
  x25519: "X25519, 253 bits",
  secp256r1: "ECDH, prime256v1, 256 bits",
  secp384r1: "ECDH, secp384r1, 384 bits",
  secp521r1: "ECDH, secp521r1, 521 bits",
};

function unescape(text: string): string {
  return text.replace(/\\r/g, "\r").replace(/\\n/g, "\n").replace(/\\t/g, "\t");
}

async function buildContext(args: Args): Promise<SSLContext> {
  const cafile = str(args, "--cafile");
  const ctx = cafile
    ? await createDefaultContext(undefined, { cafile })
    : await createDefaultContext();
  if (args.flags.has("--insecure")) {
    ctx.checkHostname = false;
    ctx.verifyMode = CERT_NONE;
  }
  if (args.flags.has("--tls1.3")) ctx.minimumVersion = TLSVersion.TLSv1_3;
  if (args.flags.has("--tls1.2")) ctx.maximumVersion = TLSVersion.TLSv1_2;
  const alpn = str(args, "--alpn");
  if (alpn) ctx.setAlpnProtocols(alpn.split(",").filter(Boolean));
  const groups = str(args, "--groups");
  if (groups) ctx.setGroups(groups.split(",").filter(Boolean));
  const ciphers = str(args, "--ciphers");
  if (ciphers) ctx.setCiphers(ciphers);
  const keylog = str(args, "--keylog");
  if (keylog) ctx.keylogFilename = keylog;
  return ctx;
}

async function connectCommand(args: Args, out: (s: string) => void): Promise<number> {
  const { host, port } = splitTarget(args.target);
  const json = args.flags.has("--json");
  const serverName = str(args, "--servername") ?? host;
  const ctx = await buildContext(args);
  const fs = await import("node:fs/promises");
  const sessIn = str(args, "--sess-in");
  const session = sessIn ? SSLSession.fromPem(await fs.readFile(sessIn, "utf8")) : undefined;
  const timeout = Number(str(args, "--timeout") ?? 10000);
  const tcp = counting(await openTcp(host, port));
  if (!json) out(`CONNECTED(${host}:${port})\n`);
  const sock = await ctx.wrapSocket(tcp.transport, {
    serverHostname: serverName,
    session,
    handshakeTimeout: timeout,
  });
  // As s_client: the bytes of the handshake itself, not of what --send exchanges later.
  const handshakeRead = tcp.read(), handshakeWritten = tcp.written();
  const send = str(args, "--send");
  let received = "";
  const decoder = new TextDecoder();
  if (send !== undefined) {
    await sock.write(new TextEncoder().encode(unescape(send)));
    for (;;) {
      const chunk = await sock.read();
      if (chunk.byteLength === 0) break;
      received += decoder.decode(chunk, { stream: true });
    }
    received += decoder.decode();
  } else if (str(args, "--sess-out") && sock.version() === "TLSv1.3") {
    // TLS 1.3 tickets follow the handshake: give the server a moment to send them.
    await Promise.race([sock.read(), new Promise((r) => setTimeout(r, 500))]);
  }
  const sessOut = str(args, "--sess-out");
  if (sessOut && sock.session) await fs.writeFile(sessOut, sock.session.toPem(), { mode: 0o600 });
  const chainDer = sock.getVerifiedChain();
  const peerChain = sock.getUnverifiedChain().map((d) => Certificate.fromDer(d));
  const verified = chainDer.length > 0;
  const cipher = sock.cipher()!;
  if (json) {
    out(
      JSON.stringify({
        version: sock.version(),
        cipher,
        group: sock.group(),
        alpn: sock.selectedAlpnProtocol(),
        serverHostname: serverName,
        sessionReused: sock.sessionReused,
        helloRetryRequest: sock.helloRetryRequest,
        verified,
        peerCert: verified ? sock.getPeerCert() : null,
        chain: chainDer.map((d) => Certificate.fromDer(d).subject.toString()),
        received,
      }) + "\n",
    );
  } else {
    out("---\nCertificate chain\n");
    peerChain.forEach((c, i) => {
      out(` ${i} s:${opensslName(c, "subject")}\n   i:${opensslName(c, "issuer")}\n`);
      out(`   a:PKEY: ${keyDescription(c)}\n`);
      out(`   v:NotBefore: ${c.notBefore.toUTCString()}; NotAfter: ${c.notAfter.toUTCString()}\n`);
    });
    if (peerChain.length) {
      const leaf = peerChain[0];
      out("---\nServer certificate\n" + pemEncode(leaf.der, "CERTIFICATE"));
      out(`subject=${opensslName(leaf, "subject")}\nissuer=${opensslName(leaf, "issuer")}\n`);
    }
    const group = sock.group();
    out("---\n");
    if (group) out(`Server Temp Key: ${GROUP_LABEL[group] ?? group}\n`);
    out("---\n");
    out(`SSL handshake has read ${handshakeRead} bytes and written ${handshakeWritten} bytes\n`);
    out(`Verification: ${verified ? "OK" : "not performed (--insecure)"}\n---\n`);
    out(`${sock.sessionReused ? "Reused" : "New"}, ${sock.version()}, Cipher is ${cipher[0]}\n`);
    const keyBits = peerChain[0]?.publicKey.bits;
    if (keyBits) out(`Server public key is ${keyBits} bit\n`);
    out("Compression: NONE\nExpansion: NONE\n");
    out(`ALPN protocol: ${sock.selectedAlpnProtocol() ?? "none (no ALPN negotiated)"}\n`);
    out(`Verify return code: ${verified ? "0 (ok)" : "not verified"}\n---\n`);
    if (sock.session) out(`Session ticket received (lifetime ${sock.session.timeout} s)\n---\n`);
    if (send !== undefined) out(received);
  }
  await sock.close();
  return 0;
}

function serveOptions(args: Args): ServeOptions {
  const port = Number(str(args, "--port"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError("serve needs --port N (0 to 65535)");
  }
  const verify = str(args, "--verify-client") ?? "none";
  if (verify !== "none" && verify !== "optional" && verify !== "required") {
    throw new UsageError("--verify-client takes none, optional or required");
  }
  if (args.flags.has("--www") && args.flags.has("--echo")) {
    throw new UsageError("--www and --echo exclude each other");
  }
  const tickets = str(args, "--num-tickets");
  return {
    host: str(args, "--host") ?? "127.0.0.1",
    port,
    cert: str(args, "--cert"),
    key: str(args, "--key"),
    password: str(args, "--password"),
    cafile: str(args, "--cafile"),
    verifyClient: verify,
    alpn: (str(args, "--alpn") ?? "").split(",").filter(Boolean),
    tls13Only: args.flags.has("--tls1.3"),
    tls12Only: args.flags.has("--tls1.2"),
    numTickets: tickets === undefined ? undefined : Number(tickets),
    keylog: str(args, "--keylog"),
    mode: args.flags.has("--echo") ? "echo" : "www",
  };
}

/** Advice for the common failures, in the words of someone fixing them. */
function advice(e: SSLError): string {
  if (e instanceof SSLCertVerificationError) {
    switch (e.verifyCode) {
      case 20:
      case 19:
      case 18:
      case 2:
        return "The server's certificate does not chain to a trusted CA: pass --cafile with the CA that issued it, or --insecure to skip verification.";
      case 10:
        return "The server's certificate has expired: renew it on the server.";
      case 62:
      case 64:
        return "The certificate is for another name: check HOST or pass --servername with the name it was issued for.";
    }
    return "Pass --cafile with the right CA, or --insecure to skip verification.";
  }
  if (e.reason.startsWith("TLSV1_ALERT_PROTOCOL_VERSION") || e.reason === "UNSUPPORTED_PROTOCOL") {
    return "The server and this client share no protocol version.";
  }
  if (e.reason === "SSLV3_ALERT_HANDSHAKE_FAILURE") {
    return "The server rejected the offer: check --ciphers, --groups and --alpn.";
  }
  return "";
}

/** Runs the command line with `argv` (without the program name); resolves to the exit status. */
export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
    if (args.flags.has("--help") || args.flags.has("-h") || !args.command) {
      out(USAGE);
      return args.command ? 0 : 2;
    }
    if (args.command !== "connect" && args.command !== "serve") {
      throw new UsageError(`unknown command '${args.command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`webtls: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  const json = args.flags.has("--json");
  try {
    if (args.command === "serve") return await serve(serveOptions(args), (l) => err(l + "\n"));
    return await connectCommand(args, out);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`webtls: ${e.message}\n`);
      return 2;
    }
    const name = e instanceof Error ? e.name : "Error";
    const report: Record<string, unknown> = { error: name };
    if (e instanceof SSLError) {
      report.reason = e.reason;
      if (e instanceof SSLCertVerificationError) {
        report.verifyCode = e.verifyCode;
        report.verifyMessage = e.verifyMessage;
      }
    }
    report.message = e instanceof Error ? e.message : String(e);
    if (json) out(JSON.stringify(report) + "\n");
    else {
      const hint = e instanceof SSLError ? advice(e) : "";
      err(`webtls: ${name}: ${report.message}\n${hint ? hint + "\n" : ""}`);
    }
    return 1;
  }
}

if (import.meta.main ?? isNodeMain()) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

/** Node 20 has no `import.meta.main`: compare the entry script with this module's file. */
function isNodeMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
