// 64 MiB echoed through webtls's TLS 1.3 server and checksummed in each direction, with
// `openssl s_client`, node:tls and webtls's own client on the other end. Prints MB/s
// (10^6 bytes per second of payload in each direction) for the runtime running the tests;
// these are smoke figures, the benchmarks live in bench/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, PROTOCOL_TLS_CLIENT, SSLContext } from "../../mod.ts";
import { currentRuntime, makePki, type Pki, runNodeClient, stopAllPeers } from "./_peers.ts";
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

const SIZE = 64 * 1024 * 1024;
const TIMEOUT = 180_000;

let pki: Pki;
let payload: Uint8Array;
let payloadSha: string;
const servers: WebtlsServer[] = [];

function report(peer: string, ms: number): void {
  console.log(
    `[throughput] ${currentRuntime()} server <-> ${peer}: 64 MiB each way in ${ms} ms = ` +
      `${mbps(SIZE, ms)} MB/s per direction`,
  );
}

describe(`webtls server echoes 64 MiB (${currentRuntime()})`, { timeout: 600_000 }, () => {
  before(async () => {
    pki = await makePki();
    payload = pseudoRandom(SIZE);
    payloadSha = sha256Hex(payload);
  });
  after(async () => {
    for (const s of servers.splice(0)) await s.close();
    await stopAllPeers();
  });

  it("to openssl s_client", { timeout: TIMEOUT }, async () => {
    // s_client -quiet writes exactly the bytes it receives to stdout and never closes first,
    // so the server closes after echoing all of them.
    const s = await startWebtlsServer(pki, { handler: countedEcho(SIZE) });
    servers.push(s);
    const r = await pipeThrough("openssl", sClientArgs(pki, s.port, ["-quiet"]), payload);
    await s.handlersDone();
    assert.deepEqual(s.handlerErrors, []);
    assert.equal(r.bytes, SIZE, r.stderr);
    assert.equal(r.sha256, payloadSha);
    report("openssl s_client", r.ms);
  });

  it("to node:tls", { timeout: TIMEOUT }, async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    servers.push(s);
    const started = Date.now();
    const r = await runNodeClient(pki, { port: s.port, bytes: SIZE, timeoutMs: 150_000 });
    const ms = Date.now() - started;
    assert.equal(r.ok, true, `${r.error}\n${r.stderr}`);
    assert.equal(r.bytesEchoed, SIZE);
    assert.equal(r.sha256Echoed, r.sha256Sent);
    report("node:tls (Node)", ms);
  });

  it("to webtls's client in the same process", { timeout: TIMEOUT }, async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    servers.push(s);
    const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
    await ctx.loadVerifyLocations({ cafile: pki.caFile });
    const started = Date.now();
    const sock = await connect("127.0.0.1", s.port, { context: ctx, serverHostname: "localhost" });
    const writing = (async () => {
      const chunk = 256 * 1024;
      for (let off = 0; off < SIZE; off += chunk) {
        await sock.write(payload.subarray(off, off + chunk));
      }
      await sock.shutdownWrite();
    })();
    const echoed = new Uint8Array(SIZE);
    let received = 0;
    for (;;) {
      const data = await sock.read(1 << 20);
      if (data.byteLength === 0) break;
      assert.ok(received + data.byteLength <= SIZE, "more bytes came back than were sent");
      echoed.set(data, received);
      received += data.byteLength;
    }
    await writing;
    await sock.close();
    const ms = Date.now() - started;
    assert.equal(received, SIZE);
    assert.equal(sha256Hex(echoed), payloadSha);
    await s.handlersDone();
    assert.deepEqual(s.handlerErrors, []);
    report("webtls client", ms);
  });
});
