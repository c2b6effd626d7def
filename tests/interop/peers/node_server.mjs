#!/usr/bin/env node
// TLS echo server for webtls interop tests (node:tls / OpenSSL), run with Node.
//
// Usage: node node_server.mjs '<json options>'
// Options: host, port (0 = free), certFile (PEM chain, leaf first), keyFile, caFile,
// clientCert ("none"|"optional"|"required"), minVersion / maxVersion ("TLSv1.2"|"TLSv1.3"),
// alpn ([...]), ciphers (OpenSSL cipher string), groups (`ecdhCurve`, e.g. "X25519MLKEM768",
// which Bun's BoringSSL has). `tickets` is ignored (Node cannot set it). Bun runs it too.
//
// Prints "READY <port>", then one JSON line per event (same format as python_server.py):
//   {"event":"handshake",...} {"event":"closed","bytes":N,"cleanClose":null} {"event":"error",...}
// Echoes byte for byte until the client closes, then ends (close_notify). Node cannot tell a
// close_notify from a bare TCP FIN, so cleanClose is null here.
import * as fs from "node:fs";
import * as tls from "node:tls";

const opts = JSON.parse(process.argv[2] ?? "{}");
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const clientCert = opts.clientCert ?? "none";

const server = tls.createServer({
  cert: fs.readFileSync(opts.certFile),
  key: fs.readFileSync(opts.keyFile),
  ...(clientCert !== "none"
    ? {
      ca: fs.readFileSync(opts.caFile),
      requestCert: true,
      rejectUnauthorized: clientCert === "required",
    }
    : {}),
  minVersion: opts.minVersion ?? "TLSv1.2",
  ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
  ...(opts.alpn ? { ALPNProtocols: opts.alpn } : {}),
  ...(opts.ciphers ? { ciphers: opts.ciphers } : {}),
  ...(opts.groups ? { ecdhCurve: opts.groups } : {}),
});

server.on("secureConnection", (sock) => {
  const peer = sock.getPeerCertificate();
  emit({
    event: "handshake",
    version: sock.getProtocol(),
    cipher: sock.getCipher()?.standardName ?? null,
    alpn: sock.alpnProtocol || null,
    sessionReused: sock.isSessionReused(),
    peerCert: peer && peer.subject ? { ...peer.subject } : null,
  });
  let bytes = 0;
  sock.on("data", (d) => {
    bytes += d.length;
  });
  sock.on("error", (e) => emit({ event: "error", stage: "echo", error: String(e) }));
  sock.on("end", () => emit({ event: "closed", bytes, cleanClose: null }));
  sock.pipe(sock); // ends our side (close_notify) once the client has ended.
});
server.on("tlsClientError", (e) => emit({ event: "error", stage: "handshake", error: String(e) }));

server.listen(Number(opts.port ?? 0), opts.host ?? "127.0.0.1", () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
