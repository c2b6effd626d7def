// TLS echo server for webtls interop tests: Bun.listen({ tls }) (BoringSSL), run with
// `bun bun_server.ts '<json options>'`.
//
// Options: host, port (0 = free), certFile (PEM chain, leaf first), keyFile, caFile,
// clientCert ("none"|"optional"|"required"), alpn ([...]), minVersion / maxVersion
// ("TLSv1.2"|"TLSv1.3", mapped to secureOptions). tickets and ciphers are ignored.
//
// Prints "READY <port>", then one JSON line per event (same format as python_server.py).
// Echoes byte for byte (queueing on partial writes) until the client closes, then ends.
// This file is copied, not compiled, into dist/npm by scripts/build_npm.ts; the minimal
// Bun types below let `deno check` and `deno lint` handle it without bun-types.
import * as fs from "node:fs";

interface BunSocket {
  data: { queue: Uint8Array[]; ended: boolean; bytes: number };
  write(data: Uint8Array): number;
  end(): void;
  alpnProtocol?: string | false | null;
  getTLSVersion?(): string;
  getCipher?(): { standardName?: string; name?: string };
  isSessionReused?(): boolean;
}
interface BunApi {
  listen(options: {
    hostname: string;
    port: number;
    tls: Record<string, unknown>;
    socket: {
      open(s: BunSocket): void;
      handshake(s: BunSocket, success: boolean, error: Error | null): void;
      data(s: BunSocket, data: Uint8Array): void;
      drain(s: BunSocket): void;
      end(s: BunSocket): void;
      error(s: BunSocket, error: Error): void;
    };
  }): { port: number };
}
const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;

interface Options {
  host?: string;
  port?: number;
  certFile: string;
  keyFile: string;
  caFile?: string;
  clientCert?: "none" | "optional" | "required";
  alpn?: string[];
  minVersion?: string;
  maxVersion?: string;
}

const opts: Options = JSON.parse(process.argv[2] ?? "{}");
const emit = (obj: unknown) => console.log(JSON.stringify(obj));

// OpenSSL/BoringSSL SSL_OP_NO_TLSv1_2 / SSL_OP_NO_TLSv1_3.
const NO_TLS1_2 = 0x08000000;
const NO_TLS1_3 = 0x20000000;
let secureOptions = 0;
if (opts.minVersion === "TLSv1.3") secureOptions |= NO_TLS1_2;
if (opts.maxVersion === "TLSv1.2") secureOptions |= NO_TLS1_3;

function alpnWire(list: string[]): string {
  return list.map((p) => String.fromCharCode(p.length) + p).join("");
}

const clientCert = opts.clientCert ?? "none";
const tlsOptions: Record<string, unknown> = {
  cert: fs.readFileSync(opts.certFile, "utf8"),
  key: fs.readFileSync(opts.keyFile, "utf8"),
  ...(secureOptions ? { secureOptions } : {}),
  ...(opts.alpn ? { ALPNProtocols: alpnWire(opts.alpn) } : {}),
  ...(clientCert !== "none" && opts.caFile
    ? {
      ca: fs.readFileSync(opts.caFile, "utf8"),
      requestCert: true,
      rejectUnauthorized: clientCert === "required",
    }
    : {}),
};

function flush(s: BunSocket): void {
  while (s.data.queue.length > 0) {
    const chunk = s.data.queue[0];
    const n = s.write(chunk);
    if (n < chunk.length) {
      s.data.queue[0] = chunk.subarray(Math.max(n, 0));
      return; // wait for drain
    }
    s.data.queue.shift();
  }
  if (s.data.ended) {
    emit({ event: "closed", bytes: s.data.bytes, cleanClose: null });
    s.end();
  }
}

const server = Bun.listen({
  hostname: opts.host ?? "127.0.0.1",
  port: opts.port ?? 0,
  tls: tlsOptions,
  socket: {
    open(s) {
      s.data = { queue: [], ended: false, bytes: 0 };
    },
    handshake(s, success, error) {
      if (!success) {
        emit({ event: "error", stage: "handshake", error: String(error) });
        return;
      }
      emit({
        event: "handshake",
        version: s.getTLSVersion?.() ?? null,
        cipher: s.getCipher?.()?.standardName ?? null,
        alpn: s.alpnProtocol || null,
        sessionReused: s.isSessionReused?.() ?? null,
        peerCert: null,
      });
    },
    data(s, data) {
      s.data.bytes += data.length;
      // Copy: the buffer may be reused once this callback returns.
      s.data.queue.push(new Uint8Array(data));
      flush(s);
    },
    drain(s) {
      flush(s);
    },
    end(s) {
      s.data.ended = true;
      flush(s);
    },
    error(_s, error) {
      emit({ event: "error", stage: "echo", error: String(error) });
    },
  },
});

console.log(`READY ${server.port}`);
