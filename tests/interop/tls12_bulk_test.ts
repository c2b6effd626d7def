// 64 MiB over TLS 1.2 in each direction, checksummed: webtls's client with `openssl s_server
// -tls1_2` and node:tls (maxVersion TLSv1.2) echoing, and webtls's server echoing to
// `openssl s_client -tls1_2` and node:tls. Prints MB/s (10^6 bytes of payload per second in
// each direction) for the runtime running the tests; the benchmarks live in bench/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  currentRuntime,
  makePki,
  type Pki,
  runNodeClient,
  startNodeServer,
  startOpenSSLServer,
  stopAllPeers,
} from "./_peers.ts";
import {
  countedEcho,
  mbps,
  pipeThrough,
  pseudoRandom,
  sClientArgs,
  sha256Hex,
  startWebtlsServer,
  streamEcho,
  type WebtlsServer,
} from "./_webtls_server.ts";
import { echoReadWrite } from "./_client.ts";
import { clientContext12, connect12 } from "./_tls12.ts";

const SIZE = 64 * 1024 * 1024;
const TIMEOUT = 240_000;

let pki: Pki;
let payload: Uint8Array;
let payloadSha: string;
const servers: WebtlsServer[] = [];

function report(what: string, ms: number): void {
  console.log(
    `[throughput] ${currentRuntime()} TLS 1.2 ${what}: 64 MiB each way in ${Math.round(ms)} ms ` +
      `= ${mbps(SIZE, ms)} MB/s per direction`,
  );
}

describe(`64 MiB each way over TLS 1.2 (${currentRuntime()})`, { timeout: 900_000 }, () => {
  before(async () => {
    pki = await makePki();
    payload = pseudoRandom(SIZE, 0x12);
    payloadSha = sha256Hex(payload);
  });
  after(async () => {
    for (const s of servers.splice(0)) await s.close();
    await stopAllPeers();
  });

  for (const suite of ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"]) {
    it(`webtls client <-> openssl s_server -tls1_2 (${suite})`, {
      timeout: TIMEOUT,
    }, async () => {
      const srv = await startOpenSSLServer(pki, ["-tls1_2", "-cipher", suite]);
      try {
        const { ctx } = await clientContext12(pki);
        const sock = await connect12(srv.port, ctx);
        assert.equal(sock.cipher()?.[0], suite);
        const echo = await echoReadWrite(sock, payload, 1 << 20);
        await sock.close();
        assert.equal(echo.received.byteLength, SIZE);
        assert.equal(sha256Hex(echo.received), payloadSha);
        report(`client <-> openssl s_server (${suite})`, echo.ms);
      } finally {
        await srv.peer.stop();
      }
    });
  }

  it("webtls client <-> node:tls server (maxVersion TLSv1.2)", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await startNodeServer(pki, { maxVersion: "TLSv1.2" });
    try {
      const { ctx } = await clientContext12(pki);
      const sock = await connect12(srv.port, ctx);
      assert.equal(sock.version(), "TLSv1.2");
      const echo = await echoReadWrite(sock, payload, 1 << 20);
      await sock.close();
      assert.equal(echo.received.byteLength, SIZE);
      assert.equal(sha256Hex(echo.received), payloadSha);
      report("client <-> node:tls server", echo.ms);
    } finally {
      await srv.peer.stop();
    }
  });

  it("webtls server <-> openssl s_client -tls1_2", { timeout: TIMEOUT }, async () => {
    // s_client -quiet writes exactly what it receives to stdout and never closes first.
    const s = await startWebtlsServer(pki, { handler: countedEcho(SIZE) });
    servers.push(s);
    const r = await pipeThrough(
      "openssl",
      sClientArgs(pki, s.port, ["-quiet", "-tls1_2"]),
      payload,
      TIMEOUT - 20_000,
    );
    await s.handlersDone();
    assert.deepEqual(s.handlerErrors, []);
    assert.equal(s.accepted[0].version(), "TLSv1.2");
    assert.equal(r.bytes, SIZE, r.stderr);
    assert.equal(r.sha256, payloadSha);
    report("server <-> openssl s_client", r.ms);
  });

  it("webtls server <-> node:tls client (maxVersion TLSv1.2)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    servers.push(s);
    const started = performance.now();
    const r = await runNodeClient(pki, {
      port: s.port,
      maxVersion: "TLSv1.2",
      bytes: SIZE,
      timeoutMs: TIMEOUT - 30_000,
    });
    const ms = performance.now() - started;
    assert.equal(r.ok, true, `${r.error}\n${r.stderr}`);
    assert.equal(r.version, "TLSv1.2");
    assert.equal(r.bytesEchoed, SIZE);
    assert.equal(r.sha256Echoed, r.sha256Sent);
    report("server <-> node:tls client", ms);
  });
});
