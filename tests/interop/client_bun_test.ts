// webtls's TLS 1.3 client against Bun's TLS server (`Bun.listen({ tls })`, BoringSSL):
// verification, getPeerCert() fields, ALPN, client certificates, and 16 MiB echoed each way
// with read()/write().
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { awaitServerEvents, makePki, type Pki, startBunServer, stopAllPeers } from "./_peers.ts";
import {
  assertEchoed,
  BULK,
  clientContext,
  commonName,
  connectLocal,
  echoReadWrite,
  logThroughput,
  payload,
  readUntil,
} from "./_client.ts";

const TIMEOUT = 120_000;

let pki: Pki;

before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

describe("webtls client against a Bun TLS server", { timeout: TIMEOUT }, () => {
  it("verifies the server and echoes 16 MiB each way with read()/write()", async () => {
    const srv = await startBunServer(pki, { minVersion: "TLSv1.3", alpn: ["h2"] });
    try {
      const ctx = await clientContext(pki);
      ctx.setAlpnProtocols(["h2", "http/1.1"]);
      const sock = await connectLocal(srv.port, ctx);
      assert.equal(sock.version(), "TLSv1.3");
      assert.equal(sock.selectedAlpnProtocol(), "h2");
      const cert = sock.getPeerCert() as Record<string, unknown>;
      assert.equal(commonName(cert), "localhost");
      assert.deepEqual(cert.issuer, [[["commonName", "webtls Test Intermediate CA"]]]);
      assert.deepEqual(cert.subjectAltName, [["DNS", "localhost"], ["IP Address", "127.0.0.1"]]);
      const data = payload(BULK, 14);
      // 16 KiB writes: one record each.
      const echo = await echoReadWrite(sock, data, 16384);
      await assertEchoed(data, echo);
      logThroughput("Bun TLS server, read()/write()", echo);
      await sock.close();
      const hs = (await awaitServerEvents(srv.peer, "handshake")).find((e) =>
        e.event === "handshake"
      )!;
      assert.equal(hs.version, "TLSv1.3");
      assert.equal(hs.cipher, sock.cipher()![0]);
      assert.equal(hs.alpn, "h2");
    } finally {
      await srv.peer.stop();
    }
  });

  it("authenticates with a client certificate the server requires", async () => {
    const srv = await startBunServer(pki, { minVersion: "TLSv1.3", clientCert: "required" });
    try {
      const ctx = await clientContext(pki);
      await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
      const sock = await connectLocal(srv.port, ctx);
      await sock.write(new TextEncoder().encode("mtls\n"));
      await readUntil(sock, "mtls\n");
      await sock.close();
      const events = await awaitServerEvents(srv.peer, "closed");
      assert.equal(events.some((e) => e.event === "error"), false);
    } finally {
      await srv.peer.stop();
    }
  });
});
