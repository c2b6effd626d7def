// webtls's TLS 1.3 client against `Deno.listenTls` (rustls): verification, getPeerCert()
// fields, ALPN, and 16 MiB echoed each way through the Web Streams API, closed with
// close_notify in both directions.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  awaitServerEvents,
  makePki,
  type Pki,
  serverEvents,
  startDenoServer,
  stopAllPeers,
} from "./_peers.ts";
import {
  assertEchoed,
  BULK,
  clientContext,
  commonName,
  connectLocal,
  echoStreams,
  logThroughput,
  payload,
} from "./_client.ts";

const TIMEOUT = 120_000;

let pki: Pki;

before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

describe("webtls client against a Deno.listenTls server", { timeout: TIMEOUT }, () => {
  it("verifies the server and echoes 16 MiB each way through readable/writable", async () => {
    const srv = await startDenoServer(pki, { alpn: ["h2", "http/1.1"] });
    try {
      const ctx = await clientContext(pki);
      ctx.setAlpnProtocols(["http/1.1"]);
      const sock = await connectLocal(srv.port, ctx);
      assert.equal(sock.version(), "TLSv1.3");
      assert.equal(sock.selectedAlpnProtocol(), "http/1.1");
      assert.equal(commonName(sock.getPeerCert()), "localhost");
      assert.equal(sock.getVerifiedChain().length, 3);
      const data = payload(BULK, 13);
      // rustls answers our close_notify with its own (closeWrite), which ends the readable.
      const echo = await echoStreams(sock, data, { close: true });
      await assertEchoed(data, echo);
      logThroughput("Deno.listenTls server, Web Streams", echo);
      await awaitServerEvents(srv.peer, "closed");
      assert.deepEqual(
        serverEvents(srv.peer).find((e) => e.event === "closed"),
        { event: "closed", bytes: BULK, cleanClose: true },
      );
      const hs = serverEvents(srv.peer).find((e) => e.event === "handshake")!;
      assert.equal(hs.alpn, "http/1.1");
    } finally {
      await srv.peer.stop();
    }
  });

  for (const leaf of ["ecdsaP384", "rsa2048", "ed25519"] as const) {
    it(`verifies a ${leaf} leaf served by rustls`, async () => {
      const srv = await startDenoServer(pki, { leaf });
      try {
        const sock = await connectLocal(srv.port, await clientContext(pki));
        assert.equal(commonName(sock.getPeerCert()), "localhost");
        await sock.write(new TextEncoder().encode("ping"));
        assert.equal(new TextDecoder().decode(await sock.read()), "ping");
        await sock.close();
      } finally {
        await srv.peer.stop();
      }
    });
  }
});
