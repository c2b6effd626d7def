#!/usr/bin/env node
// TLS echo client for webtls interop tests (node:tls / OpenSSL), run with Node.
//
// Usage: node node_client.mjs '<json options>'
// Options: host ("127.0.0.1"), port, servername ("localhost": SNI and the name verified),
// caFile, certFile/keyFile (client certificate), minVersion / maxVersion, alpn ([...]),
// text or bytes (N random bytes, default 1024), connections (default 1; later ones resume
// the previous session), timeoutMs (default 20000), groups (`ecdhCurve`). Bun runs it too.
//
// Each connection sends the payload, waits until the same number of bytes came back, then
// ends (close_notify) and waits for the server to close. Prints one JSON line like
// python_client.py; cleanClose is null because node:tls cannot tell a close_notify from a
// bare TCP FIN. Exit code 0 iff ok.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as tls from "node:tls";

const opts = JSON.parse(process.argv[2] ?? "{}");
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const payload = opts.text !== undefined
  ? Buffer.from(opts.text, "utf8")
  : randomBytes(Number(opts.bytes ?? 1024));
const timeoutMs = Number(opts.timeoutMs ?? 20000);

function oneConnection(session) {
  return new Promise((resolve, reject) => {
    let latestSession;
    const sock = tls.connect({
      host: opts.host ?? "127.0.0.1",
      port: Number(opts.port),
      servername: opts.servername ?? "localhost",
      ca: fs.readFileSync(opts.caFile),
      ...(opts.certFile ? { cert: fs.readFileSync(opts.certFile) } : {}),
      ...(opts.keyFile ? { key: fs.readFileSync(opts.keyFile) } : {}),
      ...(opts.minVersion ? { minVersion: opts.minVersion } : {}),
      ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
      ...(opts.alpn ? { ALPNProtocols: opts.alpn } : {}),
      ...(opts.groups ? { ecdhCurve: opts.groups } : {}),
      ...(session ? { session } : {}),
    });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("session", (s) => {
      latestSession = s;
    });
    const chunks = [];
    let received = 0;
    let info;
    sock.on("secureConnect", () => {
      info = {
        version: sock.getProtocol(),
        cipher: sock.getCipher()?.standardName ?? null,
        alpn: sock.alpnProtocol || null,
        sessionReused: sock.isSessionReused(),
      };
      sock.write(payload);
    });
    sock.on("data", (d) => {
      chunks.push(d);
      received += d.length;
      if (received >= payload.length) sock.end();
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      if (!info) return; // "error" already rejected
      const echoed = Buffer.concat(chunks);
      resolve({
        result: {
          ...info,
          bytesSent: payload.length,
          bytesEchoed: echoed.length,
          sha256Sent: sha256(payload),
          sha256Echoed: sha256(echoed),
          cleanClose: null,
        },
        session: latestSession ?? session,
      });
    });
  });
}

const connections = [];
try {
  let session;
  for (let i = 0; i < Number(opts.connections ?? 1); i++) {
    const r = await oneConnection(session);
    connections.push(r.result);
    session = r.session;
  }
} catch (e) {
  console.log(
    JSON.stringify({ ok: false, error: `${e.code ?? e.name}: ${e.message}`, connections }),
  );
  process.exit(1);
}
const ok = connections.every((c) => c.sha256Sent === c.sha256Echoed);
console.log(JSON.stringify({ ok, ...connections.at(-1), connections }));
process.exit(ok ? 0 : 1);
