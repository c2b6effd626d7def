// webtls's TLS 1.2 client against its own TLS 1.2 server in memory (SSLObject over MemoryBIO,
// no sockets, no peers): both ends must agree on everything the handshake derives, and the
// session machinery (tickets, the session-ID cache, EMS, client certificates on resumption)
// must behave on both sides as RFC 5246, RFC 5077 and RFC 7627 say.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CERT_REQUIRED,
  MemoryBIO,
  OP_NO_TICKET,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  SSLContext,
  type SSLObject,
  type SSLSession,
  SSLWantReadError,
  TLSVersion,
} from "../../mod.ts";
import { LruSessionCache } from "../../src/engine/session_cache.ts";
import type { TicketContents } from "../../src/engine/config.ts";
import { SSLSession as SessionClass } from "../../src/ssl/session.ts";
import { generateTestPki, type TestPki } from "./_pki.ts";

let pki: TestPki;
before(async () => {
  pki = await generateTestPki();
});

/** Runs a client and a server object against each other until both finished the handshake. */
async function handshake(client: SSLObject, server: SSLObject, c: Pipes, s: Pipes): Promise<void> {
  let clientDone = false;
  let serverDone = false;
  for (let i = 0; i < 16 && !(clientDone && serverDone); i++) {
    if (!clientDone) {
      try {
        await client.doHandshake();
        clientDone = true;
      } catch (e) {
        if (!(e instanceof SSLWantReadError)) throw e;
      }
    }
    s.incoming.write(c.outgoing.read());
    if (!serverDone) {
      try {
        await server.doHandshake();
        serverDone = true;
      } catch (e) {
        if (!(e instanceof SSLWantReadError)) throw e;
      }
    }
    c.incoming.write(s.outgoing.read());
  }
  assert.ok(clientDone && serverDone, "the handshake finished");
}

interface Pipes {
  incoming: MemoryBIO;
  outgoing: MemoryBIO;
}

/** One connection: client and server objects with their key logs. */
async function connectPair(
  clientCtx: SSLContext,
  serverCtx: SSLContext,
  session?: SSLSession,
): Promise<{ client: SSLObject; server: SSLObject }> {
  const c = { incoming: new MemoryBIO(), outgoing: new MemoryBIO() };
  const s = { incoming: new MemoryBIO(), outgoing: new MemoryBIO() };
  const client = clientCtx.wrapBio(c.incoming, c.outgoing, {
    serverHostname: "localhost",
    session,
  });
  const server = serverCtx.wrapBio(s.incoming, s.outgoing, { serverSide: true });
  await handshake(client, server, c, s);
  return { client, server };
}

/** A client and a server context where only TLS 1.2 is negotiable (the server's maximum). */
async function contexts(): Promise<
  { clientCtx: SSLContext; serverCtx: SSLContext; logs: { client: string[]; server: string[] } }
> {
  const clientCtx = new SSLContext(PROTOCOL_TLS_CLIENT);
  await clientCtx.loadVerifyLocations({ cadata: pki.caPem });
  const serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  await serverCtx.loadCertChain({ cert: pki.serverChainPem, key: pki.serverKeyPem });
  serverCtx.maximumVersion = TLSVersion.TLSv1_2;
  const logs = { client: [] as string[], server: [] as string[] };
  clientCtx.onKeylog = (l) => logs.client.push(l);
  serverCtx.onKeylog = (l) => logs.server.push(l);
  return { clientCtx, serverCtx, logs };
}

describe("TLS 1.2 between webtls's own client and server", () => {
  it("agrees on the version, suite, key log, tls-unique and exported keys", async () => {
    const { clientCtx, serverCtx, logs } = await contexts();
    const { client, server } = await connectPair(clientCtx, serverCtx);
    assert.equal(client.version(), "TLSv1.2");
    assert.deepEqual(client.cipher(), server.cipher());
    assert.equal(client.group(), "x25519");
    assert.deepEqual(logs.client, logs.server);
    assert.match(logs.client[0], /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    const unique = await client.getChannelBinding("tls-unique");
    assert.equal(unique?.byteLength, 12);
    assert.deepEqual(unique, await server.getChannelBinding("tls-unique"));
    assert.deepEqual(
      await client.getChannelBinding("tls-exporter"),
      await server.getChannelBinding("tls-exporter"),
    );
    for (const context of [undefined, new Uint8Array(0), new Uint8Array([1, 2, 3])]) {
      assert.deepEqual(
        await client.exportKeyingMaterial("EXPERIMENTAL-pair", 42, context),
        await server.exportKeyingMaterial("EXPERIMENTAL-pair", 42, context),
      );
    }
    // RFC 5705 §4: a context, even empty, changes the output.
    assert.notDeepEqual(
      await client.exportKeyingMaterial("EXPERIMENTAL-pair", 32),
      await client.exportKeyingMaterial("EXPERIMENTAL-pair", 32, new Uint8Array(0)),
    );
    await client.write(new TextEncoder().encode("ping"));
  });

  for (
    const [how, tweak] of [
      ["a ticket", () => {}],
      ["a session ID (server OP_NO_TICKET)", (_c: SSLContext, s: SSLContext) => {
        s.options |= OP_NO_TICKET;
      }],
      ["a session ID (client OP_NO_TICKET)", (c: SSLContext) => {
        c.options |= OP_NO_TICKET;
      }],
    ] as const
  ) {
    it(`resumes by ${how}, and tls-unique becomes the server's Finished`, async () => {
      const { clientCtx, serverCtx } = await contexts();
      tweak(clientCtx, serverCtx);
      const first = await connectPair(clientCtx, serverCtx);
      const session = first.client.session!;
      assert.equal(session.version, "TLSv1.2");
      assert.equal(session.hasTicket, how === "a ticket");
      const again = await connectPair(clientCtx, serverCtx, SessionClass.fromPem(session.toPem()));
      assert.equal(again.client.sessionReused, true);
      assert.equal(again.server.sessionReused, true);
      assert.deepEqual(
        await again.client.getChannelBinding("tls-unique"),
        await again.server.getChannelBinding("tls-unique"),
      );
      assert.notDeepEqual(
        await again.client.getChannelBinding("tls-unique"),
        await first.client.getChannelBinding("tls-unique"),
      );
      assert.equal(clientCtx.sessionStats().hits, 1);
      assert.equal(serverCtx.sessionStats().hits, 1);
      assert.equal(serverCtx.sessionStats().number, 1, "the full handshake's session, cached once");
    });
  }

  it("keeps a client certificate verified across resumption", async () => {
    const { clientCtx, serverCtx } = await contexts();
    await clientCtx.loadCertChain({ cert: pki.clientChainPem, key: pki.clientKeyPem });
    await serverCtx.loadVerifyLocations({ cadata: pki.caPem });
    serverCtx.verifyMode = CERT_REQUIRED;
    const first = await connectPair(clientCtx, serverCtx);
    const subject = (first.server.getPeerCert() as { subject: unknown }).subject;
    assert.ok(subject, "the full handshake verified the client");
    for (const noTicket of [false, true]) {
      if (noTicket) serverCtx.options |= OP_NO_TICKET;
      const fresh = await connectPair(clientCtx, serverCtx);
      const again = await connectPair(clientCtx, serverCtx, fresh.client.session!);
      assert.equal(again.server.sessionReused, true);
      assert.deepEqual((again.server.getPeerCert() as { subject: unknown }).subject, subject);
      assert.equal(again.server.getVerifiedChain().length, 3);
    }
  });

  it("requires the extended master secret on both sides when asked, and both have it", async () => {
    const { clientCtx, serverCtx } = await contexts();
    clientCtx.requireExtendedMasterSecret = true;
    serverCtx.requireExtendedMasterSecret = true;
    const { client } = await connectPair(clientCtx, serverCtx);
    assert.equal(client.version(), "TLSv1.2");
  });
});

describe("LruSessionCache (RFC 5246 §7.4.1.2 session IDs)", () => {
  const contents = (issuedAt: number, lifetime = 7200): TicketContents => ({
    version: 0x0303,
    cipherSuite: 0xc02b,
    psk: new Uint8Array(48),
    issuedAt,
    ageAdd: 0,
    lifetime,
    alpn: null,
    peerCertificates: [],
    extendedMasterSecret: true,
  });
  const id = (n: number) => new Uint8Array(32).fill(n);

  it("evicts the least recently used entry when full", () => {
    const cache = new LruSessionCache(2, () => 0);
    cache.put(id(1), contents(0));
    cache.put(id(2), contents(0));
    assert.ok(cache.get(id(1)), "touching 1 makes 2 the oldest");
    cache.put(id(3), contents(0));
    assert.equal(cache.size, 2);
    assert.equal(cache.get(id(2)), undefined);
    assert.ok(cache.get(id(1)) && cache.get(id(3)));
  });

  it("never returns an expired session", () => {
    let now = 0;
    const cache = new LruSessionCache(10, () => now);
    cache.put(id(7), contents(0, 60));
    now = 60_000;
    assert.ok(cache.get(id(7)));
    now = 60_001;
    assert.equal(cache.get(id(7)), undefined);
  });
});
