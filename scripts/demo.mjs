#!/usr/bin/env node
/**
 * The webtls demo (`npm run demo`): needs only Node and `npm ci`.
 *
 *  1. builds the npm package into dist/npm/ when it is missing or older than the sources;
 *  2. makes a CA and a `localhost` certificate with webtls's own generator (pkijs + WebCrypto);
 *  3. starts a `node:tls` HTTPS server on 127.0.0.1 with that certificate;
 *  4. runs the webtls CLI against it (`webtls connect … --send "GET / …"`), as a user would;
 *  5. connects with the library, keeps the session, connects again and resumes it ("Reused");
 *  6. connects with a host name the certificate is not for, and shows the error a user gets.
 *
 * Exits 0 when every step behaved as expected; removes its temporary files and stops the
 * server in all cases.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import * as tls from "node:tls";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(ROOT, "dist", "npm");
const DENO = path.join(ROOT, "node_modules", ".bin", "deno");

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (n, title) => console.log(`\n${bold(`── ${n}. ${title}`)}`);
const indent = (text) => text.replace(/\r/g, "").replace(/\n$/, "").replace(/^/gm, "   ");

/** Newest modification time of the files that go into dist/npm. */
function newestSource() {
  let newest = 0;
  const visit = (p) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) { for (const e of fs.readdirSync(p)) visit(path.join(p, e)); }
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ["mod.ts", "deno.json", "src"]) visit(path.join(ROOT, p));
  return newest;
}

function ensureBuilt() {
  const marker = path.join(DIST, "mod.js");
  const cli = path.join(DIST, "src", "cli.js");
  const fresh = fs.existsSync(marker) && fs.existsSync(cli) &&
    fs.statSync(marker).mtimeMs >= newestSource();
  if (fresh) return;
  if (!fs.existsSync(DENO)) {
    throw new Error(`${DENO} is missing: run \`npm ci\` first`);
  }
  console.log("building dist/npm (the npm package) with scripts/build_npm.ts …");
  const r = spawnSync(DENO, ["run", "-A", "scripts/build_npm.ts"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
  });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`the build failed (exit ${r.status ?? r.error})`);
  }
}

/** A tiny HTTPS server: answers each request with a small page, then closes. */
function startServer(cert, key) {
  const server = tls.createServer({ cert, key, minVersion: "TLSv1.2" }, (socket) => {
    let request = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      request += chunk;
      if (!request.includes("\r\n\r\n")) return;
      const body =
        "<!doctype html><title>webtls demo</title><p>Hello over TLS from node:tls!</p>\n";
      socket.end(
        "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n" +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    socket.on("error", () => {});
  });
  // A client that rejects our certificate aborts its handshake: expected in step 6.
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/** Collapses the PEM block of the CLI report into one line. */
function shortenPem(report) {
  return report.replace(
    /-----BEGIN CERTIFICATE-----\n([\s\S]*?)-----END CERTIFICATE-----\n/,
    (_, body) =>
      `-----BEGIN CERTIFICATE----- (${body.length} base64 characters) -----END CERTIFICATE-----\n`,
  );
}

async function main() {
  ensureBuilt();
  const webtls = await import(pathToFileURL(path.join(DIST, "mod.js")).href);
  const gen = await import(pathToFileURL(path.join(DIST, "src", "x509", "generate.js")).href);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "webtls-demo-"));
  let server;
  try {
    step(1, "A CA and a certificate for localhost, made by webtls (pkijs + WebCrypto)");
    const ca = await gen.generateCertificateAuthority({ commonName: "webtls demo CA" });
    const leaf = await gen.issueCertificate(ca, {
      commonName: "localhost",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
    const caFile = path.join(tmp, "ca.pem");
    fs.writeFileSync(caFile, ca.certPem);
    console.log(
      indent(
        `CA certificate:   ${caFile}\nserver cert:      CN=localhost, SAN DNS:localhost IP:127.0.0.1, ECDSA P-256`,
      ),
    );

    step(2, "A node:tls HTTPS server with that certificate");
    server = await startServer(leaf.certPem, leaf.keyPem);
    const { port } = server.address();
    console.log(indent(`listening on 127.0.0.1:${port}`));

    step(3, "webtls connect: the command-line client (an s_client-style report)");
    const args = [
      "connect",
      `127.0.0.1:${port}`,
      "--cafile",
      caFile,
      "--servername",
      "localhost",
      "--send",
      "GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n",
    ];
    console.log(indent(`$ webtls ${args.map((a) => (/[\s\\]/.test(a) ? `'${a}'` : a)).join(" ")}`));
    const cli = await runAsync(process.execPath, [path.join(DIST, "src", "cli.js"), ...args]);
    if (cli.code !== 0) throw new Error(`the CLI failed (exit ${cli.code}):\n${cli.stderr}`);
    console.log(indent(shortenPem(cli.stdout)));

    step(4, "Session resumption with the library (TLS 1.3 ticket)");
    const ctx = await webtls.createDefaultContext(webtls.Purpose.SERVER_AUTH, { cafile: caFile });
    const request = new TextEncoder().encode("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
    const fetchPage = async (session) => {
      const sock = await webtls.connect("127.0.0.1", port, {
        context: ctx,
        serverHostname: "localhost",
        session,
      });
      await sock.write(request);
      let page = "";
      for await (const chunk of sock.readable) page += new TextDecoder().decode(chunk);
      const line = `${sock.sessionReused ? "Reused" : "New"}, ${sock.version()}, ` +
        `Cipher is ${sock.cipher()[0]}, ${page.split("\r\n")[0]}`;
      return { line, session: sock.session, reused: sock.sessionReused };
    };
    const first = await fetchPage(undefined);
    console.log(indent(`first connection:  ${first.line}`));
    if (!first.session) throw new Error("the server sent no session ticket");
    const second = await fetchPage(first.session);
    console.log(indent(`second connection: ${second.line}`));
    if (!second.reused) throw new Error("the session was not resumed");

    step(5, "The wrong host name: verification fails, and this is what the caller gets");
    console.log(indent(`connect("127.0.0.1", ${port}, { serverHostname: "example.com" })`));
    try {
      const sock = await webtls.connect("127.0.0.1", port, {
        context: ctx,
        serverHostname: "example.com",
      });
      await sock.close();
      throw new Error("the connection to the wrong name was accepted");
    } catch (e) {
      if (!(e instanceof webtls.SSLCertVerificationError)) throw e;
      console.log(indent(
        `throws ${e.name} (an SSLError)\n` +
          `  message:       ${e.message}\n` +
          `  reason:        ${e.reason}\n` +
          `  verifyCode:    ${e.verifyCode}\n` +
          `  verifyMessage: ${e.verifyMessage}`,
      ));
    }
    console.log(`\n${bold("demo complete:")} webtls ${webtls.VERSION}, Node ${process.version}`);
  } finally {
    if (server) await new Promise((r) => server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs a command without blocking the event loop (the server lives in this process). */
async function runAsync(cmd, argv) {
  const { spawn } = await import("node:child_process");
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`\ndemo failed: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
