// webtls's TLS 1.3 client against a `node:tls` server (OpenSSL in Node): verification,
// getPeerCert() fields, 16 MiB echoed each way with read()/write(), ALPN, resumption and
// client certificates as the server reports them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  awaitServerEvents,
  makePki,
  type Pki,
  serverEvents,
  startNodeServer,
  stopAllPeers,
} from "./_peers.ts";
import {
  assertEchoed,
  BULK,
  clientContext,
  connectLocal,
  echoReadWrite,
  eventually,
  logThroughput,
  payload,
  readUntil,
} from "./_client.ts";

const TIMEOUT = 120_000;
const enc = new TextEncoder();

let pki: Pki;

before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

describe("webtls client against a node:tls server", { timeout: TIMEOUT }, () => {
  it("verifies the server and echoes 16 MiB each way with read()/write()", async () => {
    const srv = await startNodeServer(pki, { minVersion: "TLSv1.3" });
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      assert.equal(sock.version(), "TLSv1.3");
      const cert = sock.getPeerCert() as Record<string, unknown>;
      assert.deepEqual(cert.subject, [[["commonName", "localhost"]]]);
      assert.deepEqual(cert.issuer, [[["commonName", "webtls Test Intermediate CA"]]]);
      assert.equal(cert.version, 3);
      assert.deepEqual(cert.subjectAltName, [["DNS", "localhost"], ["IP Address", "127.0.0.1"]]);
      assert.match(String(cert.notAfter), /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/);
      assert.match(String(cert.serialNumber), /^[0-9A-F]+$/);
      const data = payload(BULK, 12);
      const echo = await echoReadWrite(sock, data);
      await assertEchoed(data, echo);
      logThroughput("node:tls server, read()/write()", echo);
      await sock.close();
      await awaitServerEvents(srv.peer, "closed");
      const closed = serverEvents(srv.peer).find((e) => e.event === "closed")!;
      assert.equal(closed.bytes, BULK);
      assert.equal(serverEvents(srv.peer).some((e) => e.event === "error"), false);
    } finally {
      await srv.peer.stop();
    }
  });

  it("negotiates ALPN with the server's preference", async () => {
    const srv = await startNodeServer(pki, { minVersion: "TLSv1.3", alpn: ["http/1.1", "h2"] });
    try {
      const ctx = await clientContext(pki);
      ctx.setAlpnProtocols(["h2", "http/1.1"]);
      const sock = await connectLocal(srv.port, ctx);
      assert.equal(sock.selectedAlpnProtocol(), "http/1.1");
      await sock.close();
      await awaitServerEvents(srv.peer, "handshake");
      const hs = serverEvents(srv.peer).find((e) => e.event === "handshake")!;
      assert.equal(hs.alpn, "http/1.1");
    } finally {
      await srv.peer.stop();
    }
  });

  it("resumes a session the Node server issued", async () => {
    const srv = await startNodeServer(pki, { minVersion: "TLSv1.3" });
    try {
      const ctx = await clientContext(pki);
      const first = await connectLocal(srv.port, ctx);
      await first.write(enc.encode("first\n"));
      await readUntil(first, "first\n");
      await eventually(() => first.session !== null, "a session ticket");
      const session = first.session!;
      await first.close();
      const second = await connectLocal(srv.port, ctx, { session });
      assert.equal(second.sessionReused, true);
      await second.write(enc.encode("second\n"));
      await readUntil(second, "second\n");
      await second.close();
      const reused = (await awaitServerEvents(srv.peer, "handshake", 2)).filter((e) =>
        e.event === "handshake"
      ).map((e) => e.sessionReused);
      assert.deepEqual(reused, [false, true], "what the server saw");
    } finally {
      await srv.peer.stop();
    }
  });

  it("authenticates with a client certificate the server requires", async () => {
    const srv = await startNodeServer(pki, { minVersion: "TLSv1.3", clientCert: "required" });
    try {
      const ctx = await clientContext(pki);
      await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
      const sock = await connectLocal(srv.port, ctx);
      await sock.write(enc.encode("mtls\n"));
      await readUntil(sock, "mtls\n");
      await sock.close();
      const hs = (await awaitServerEvents(srv.peer, "handshake")).find((e) =>
        e.event === "handshake"
      )!;
      assert.deepEqual(hs.peerCert, { CN: "webtls test client" });
    } finally {
      await srv.peer.stop();
    }
  });
});
