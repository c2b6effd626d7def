// TLS echo client for webtls interop tests with Deno.connectTls (rustls), run by Deno.
//
// Usage: deno run -A deno_client.ts '<json options>'
// Options: port, servername ("localhost": the host connected to, SNI and the name verified;
// Deno has no separate SNI option, and Happy Eyeballs falls back from ::1 to 127.0.0.1),
// caFile, certFile/keyFile (client certificate), alpn ([...]), bytes (N pseudo-random bytes,
// default 1024), connections (default 1), timeoutMs (default 20000).
//
// Each connection writes the payload while reading the echo, then closes its write side
// (close_notify) and reads until the server closes. Prints one JSON line like
// node_client.mjs: {"ok", "alpn", "bytesSent", "bytesEchoed", "sha256Sent", "sha256Echoed",
// "connections": [...]}. Deno.TlsConn reports neither version nor cipher nor resumption.
const opts = JSON.parse(Deno.args[0] ?? "{}");
const size = Number(opts.bytes ?? 1024);
const payload = new Uint8Array(size);
for (let off = 0; off < size; off += 65536) {
  crypto.getRandomValues(payload.subarray(off, Math.min(size, off + 65536)));
}
const hex = (b: ArrayBuffer) =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const sha256 = async (b: Uint8Array<ArrayBuffer>) => hex(await crypto.subtle.digest("SHA-256", b));

async function oneConnection(): Promise<Record<string, unknown>> {
  const conn = await Deno.connectTls({
    hostname: opts.servername ?? "localhost",
    port: Number(opts.port),
    caCerts: [await Deno.readTextFile(opts.caFile)],
    ...(opts.alpn ? { alpnProtocols: opts.alpn } : {}),
    ...(opts.certFile
      ? { cert: await Deno.readTextFile(opts.certFile), key: await Deno.readTextFile(opts.keyFile) }
      : {}),
  });
  const { alpnProtocol } = await conn.handshake();
  const writing = (async () => {
    for (let off = 0; off < size; off += 65536) {
      const part = payload.subarray(off, Math.min(size, off + 65536));
      for (let n = 0; n < part.byteLength;) n += await conn.write(part.subarray(n));
    }
    await conn.closeWrite();
  })();
  const echoed = new Uint8Array(size);
  let received = 0;
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    if (received + n > size) throw new Error("the server sent more than it was sent");
    echoed.set(buf.subarray(0, n), received);
    received += n;
  }
  await writing;
  conn.close();
  return {
    alpn: alpnProtocol,
    bytesSent: size,
    bytesEchoed: received,
    sha256Sent: await sha256(payload),
    sha256Echoed: await sha256(echoed.subarray(0, received)),
  };
}

const connections: Array<Record<string, unknown>> = [];
const timer = setTimeout(() => {
  console.log(
    JSON.stringify({ ok: false, error: `timed out after ${opts.timeoutMs ?? 20000} ms` }),
  );
  Deno.exit(1);
}, Number(opts.timeoutMs ?? 20000));
try {
  for (let i = 0; i < Number(opts.connections ?? 1); i++) connections.push(await oneConnection());
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e), connections }));
  Deno.exit(1);
}
clearTimeout(timer);
const ok = connections.every((c) => c.sha256Sent === c.sha256Echoed);
console.log(JSON.stringify({ ok, ...connections.at(-1), connections }));
Deno.exit(ok ? 0 : 1);
