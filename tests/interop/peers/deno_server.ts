// TLS echo server for webtls interop tests: Deno.listenTls (rustls), run with
// `deno run --no-config -A deno_server.ts '<json options>'`.
//
// Options: host, port (0 = free), certFile (PEM chain, leaf first), keyFile, alpn ([...]).
// Deno.listenTls has no protocol version limits and no client certificates, so minVersion,
// maxVersion, clientCert, tickets and ciphers are ignored (a warning goes to stderr).
//
// Prints "READY <port>", then one JSON line per event (same format as python_server.py).
// Echoes byte for byte until the client closes, then sends close_notify (closeWrite).
// This file is copied, not compiled, into dist/npm by scripts/build_npm.ts.

interface Options {
  host?: string;
  port?: number;
  certFile: string;
  keyFile: string;
  alpn?: string[];
  minVersion?: string;
  maxVersion?: string;
  clientCert?: string;
  tickets?: number;
  ciphers?: string;
}

const opts: Options = JSON.parse(Deno.args[0] ?? "{}");
const emit = (obj: unknown) => console.log(JSON.stringify(obj));

for (const key of ["minVersion", "maxVersion", "tickets", "ciphers"] as const) {
  if (opts[key] !== undefined) {
    console.error(`deno_server: option ${key} is not supported, ignored`);
  }
}
if (opts.clientCert && opts.clientCert !== "none") {
  console.error("deno_server: client certificates are not supported, ignored");
}

const listener = Deno.listenTls({
  hostname: opts.host ?? "127.0.0.1",
  port: opts.port ?? 0,
  cert: Deno.readTextFileSync(opts.certFile),
  key: Deno.readTextFileSync(opts.keyFile),
  ...(opts.alpn ? { alpnProtocols: opts.alpn } : {}),
});

async function serve(conn: Deno.TlsConn): Promise<void> {
  let bytes = 0;
  try {
    const hs = await conn.handshake();
    emit({ event: "handshake", version: null, cipher: null, alpn: hs.alpnProtocol ?? null });
  } catch (e) {
    emit({ event: "error", stage: "handshake", error: String(e) });
    conn.close();
    return;
  }
  let clean = false;
  try {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) {
        clean = true;
        break;
      }
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
      bytes += n;
    }
    await conn.closeWrite();
  } catch (e) {
    emit({ event: "error", stage: "echo", error: String(e) });
  }
  emit({ event: "closed", bytes, cleanClose: clean });
  try {
    conn.close();
  } catch {
    // already closed
  }
}

console.log(`READY ${(listener.addr as Deno.NetAddr).port}`);
for await (const conn of listener) serve(conn);
