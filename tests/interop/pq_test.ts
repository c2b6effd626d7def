// The post-quantum hybrid X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem) against BoringSSL, the
// one implementation of it on this machine (Bun's node:tls; OpenSSL 3.0 and GnuTLS 3.7 lack
// it): webtls's default client and server negotiate it where the runtime's WebCrypto has
// ML-KEM (Deno, Bun). With OpenSSL 3.0 the default client's second key share (X25519) spares
// a HelloRetryRequest. Node's WebCrypto has no ML-KEM: there the hybrid cases are skipped.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { NamedGroup } from "../../src/constants.ts";
import {
  makePki,
  type Pki,
  runNodeClient,
  startNodeServer,
  startOpenSSLServer,
  stopAllPeers,
} from "./_peers.ts";
import { clientContext, connectLocal, readUntil } from "./_client.ts";
import { startWebtlsServer, streamEcho, type WebtlsServer } from "./_webtls_server.ts";

const TIMEOUT = 60_000;
const enc = new TextEncoder();

let pki: Pki;
let hybrid: boolean;
const servers: WebtlsServer[] = [];

before(async () => {
  pki = await makePki();
  await defaultProvider.ready();
  hybrid = defaultProvider.supportedGroups().includes(NamedGroup.X25519MLKEM768);
});
after(async () => {
  for (const s of servers) await s.close();
  await stopAllPeers();
});

/** Skips a hybrid case where this runtime's WebCrypto has no ML-KEM. */
function needsMlKem(t: { skip(why: string): void }): boolean {
  if (!hybrid) t.skip("no ML-KEM in this runtime's WebCrypto");
  return hybrid;
}

describe("X25519MLKEM768", { timeout: TIMEOUT }, () => {
  it("the default client negotiates it with BoringSSL (Bun's node:tls server)", async (t) => {
    if (!needsMlKem(t)) return;
    const srv = await startNodeServer(pki, { groups: "X25519MLKEM768" }, "bun");
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      assert.equal(sock.group(), "X25519MLKEM768");
      assert.equal(sock.helloRetryRequest, false);
      await sock.write(enc.encode("pq\n"));
      await readUntil(sock, "pq\n");
      await sock.close();
    } finally {
      await srv.peer.stop();
    }
  });

  it("the default server negotiates it with a BoringSSL client (Bun's node:tls)", async (t) => {
    if (!needsMlKem(t)) return;
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    servers.push(s);
    const r = await runNodeClient(pki, { port: s.port, groups: "X25519MLKEM768" }, "bun");
    assert.equal(r.ok, true, r.error ?? r.stderr);
    assert.equal(r.sha256Echoed, r.sha256Sent);
    const sock = await s.waitAccepted(1);
    assert.equal(sock.group(), "X25519MLKEM768");
  });

  it("the server picks the hybrid when the client sent both shares, else X25519", async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    servers.push(s);
    // BoringSSL lists X25519 first but sends a share for each of the two groups.
    const r = await runNodeClient(pki, { port: s.port, groups: "X25519:X25519MLKEM768" }, "bun");
    assert.equal(r.ok, true, r.error ?? r.stderr);
    const sock = await s.waitAccepted(1);
    assert.equal(sock.group(), hybrid ? "X25519MLKEM768" : "x25519");
    assert.equal(sock.helloRetryRequest, false);
  });

  it("the default client meets OpenSSL 3.0 (no hybrid) on X25519 without a HelloRetryRequest", async () => {
    const srv = await startOpenSSLServer(pki);
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      assert.equal(sock.group(), "x25519");
      assert.equal(sock.helloRetryRequest, false);
      await sock.write(enc.encode("classic\n"));
      await readUntil(sock, "classic\n");
      await sock.close();
    } finally {
      await srv.peer.stop();
    }
  });
});
