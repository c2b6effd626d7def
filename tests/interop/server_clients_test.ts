// webtls's TLS 1.3 server against the TLS clients of the JavaScript runtimes — node:tls in
// Node (OpenSSL), node:tls in Bun (BoringSSL), Deno.connectTls (rustls) — and against webtls's
// own client on the runtime running the tests.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  CERT_REQUIRED,
  connect,
  PROTOCOL_TLS_CLIENT,
  SSLContext,
  type SSLSession,
  type SSLSocket,
} from "../../mod.ts";
import {
  type ClientResult,
  currentRuntime,
  makePki,
  PEERS_DIR,
  type Pki,
  runPeer,
  runtimeExecutable,
  type ScriptClientOptions,
  stopAllPeers,
} from "./_peers.ts";
import {
  readLine,
  startWebtlsServer,
  streamEcho,
  type WebtlsServer,
  writeText,
} from "./_webtls_server.ts";

const TIMEOUT = 60_000;

let pki: Pki;
const servers: WebtlsServer[] = [];

async function server(opts: Parameters<typeof startWebtlsServer>[1] = {}): Promise<WebtlsServer> {
  const s = await startWebtlsServer(pki, { handler: streamEcho, ...opts });
  servers.push(s);
  return s;
}

type ClientRuntime = "node" | "bun" | "deno";

/**
 * Runs an echo client script with a runtime's own TLS: peers/node_client.mjs under Node or
 * Bun (node:tls), peers/deno_client.ts under Deno (Deno.connectTls).
 */
async function runtimeClient(
  rt: ClientRuntime,
  opts: ScriptClientOptions,
): Promise<ClientResult & { stderr: string }> {
  const config = JSON.stringify({
    host: "127.0.0.1",
    servername: "localhost",
    caFile: pki.caFile,
    timeoutMs: 20_000,
    ...opts,
  });
  const args = rt === "deno"
    ? ["run", "-A", "--no-config", "--no-lock", path.join(PEERS_DIR, "deno_client.ts"), config]
    : [path.join(PEERS_DIR, "node_client.mjs"), config];
  const r = await runPeer(runtimeExecutable(rt), args, { timeoutMs: 40_000 });
  const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) throw new Error(`${rt} client printed no result (exit ${r.code})\n${r.stderr}`);
  return { ...(JSON.parse(line) as ClientResult), stderr: r.stderr };
}

function commonName(sock: SSLSocket): string | undefined {
  const cert = sock.getPeerCert();
  if (!cert || !("subject" in cert)) return undefined;
  return cert.subject.flat().find(([k]) => k === "commonName")?.[1];
}

const clientCert = () => ({
  certFile: pki.leaves.client.chainFile,
  keyFile: pki.leaves.client.keyFile,
});

describe("webtls server vs runtime TLS clients", { timeout: 300_000 }, () => {
  before(async () => {
    pki = await makePki();
  });
  after(async () => {
    for (const s of servers.splice(0)) await s.close();
    await stopAllPeers();
  });

  for (const rt of ["node", "bun", "deno"] as const) {
    it(`${rt}: handshake, ALPN and a checksummed echo`, { timeout: TIMEOUT }, async () => {
      const s = await server({ configure: (ctx) => ctx.setAlpnProtocols(["h2", "http/1.1"]) });
      const r = await runtimeClient(rt, { port: s.port, alpn: ["http/1.1"], bytes: 100_000 });
      assert.equal(r.ok, true, `${r.error}\n${r.stderr}`);
      assert.equal(r.alpn, "http/1.1");
      assert.equal(r.bytesEchoed, 100_000);
      assert.equal(r.sha256Echoed, r.sha256Sent);
      if (rt !== "deno") assert.equal(r.version, "TLSv1.3");
      const sock = await s.waitAccepted(1);
      assert.equal(sock.version(), "TLSv1.3");
      assert.equal(sock.serverName, "localhost");
    });

    it(`${rt}: client certificate`, { timeout: TIMEOUT }, async () => {
      const s = await server({
        trustClientCa: true,
        configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
      });
      const r = await runtimeClient(rt, { port: s.port, ...clientCert() });
      assert.equal(r.ok, true, `${r.error}\n${r.stderr}`);
      assert.equal(commonName(await s.waitAccepted(1)), "webtls test client");
    });
  }

  // Deno.connectTls has no session API; node:tls resumes with the `session` event's ticket.
  for (const rt of ["node", "bun"] as const) {
    it(`${rt}: resumes a session`, { timeout: TIMEOUT }, async () => {
      const s = await server();
      const r = await runtimeClient(rt, { port: s.port, connections: 2 });
      assert.equal(r.ok, true, `${r.error}\n${r.stderr}`);
      const reused = (r.connections ?? []).map((c) => c.sessionReused);
      assert.deepEqual(reused, [false, true]);
      assert.equal((await s.waitAccepted(2)).sessionReused, true);
      await s.handlersDone();
      assert.equal(s.context.sessionStats().hits, 1);
    });
  }
});

describe(`webtls server vs webtls client (${currentRuntime()})`, { timeout: 300_000 }, () => {
  before(async () => {
    pki = await makePki();
  });
  after(async () => {
    for (const s of servers.splice(0)) await s.close();
    await stopAllPeers();
  });

  async function clientContext(configure?: (ctx: SSLContext) => unknown): Promise<SSLContext> {
    const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
    await ctx.loadVerifyLocations({ cafile: pki.caFile });
    await configure?.(ctx);
    return ctx;
  }

  /** Sends a line, returns the echo; the caller closes. */
  async function roundTrip(sock: SSLSocket, text = "hello\n"): Promise<string> {
    await writeText(sock, text);
    return await readLine(sock);
  }

  it("handshake, ALPN, getPeerCert and echo", { timeout: TIMEOUT }, async () => {
    const s = await server({ configure: (ctx) => ctx.setAlpnProtocols(["h2", "http/1.1"]) });
    const ctx = await clientContext((c) => c.setAlpnProtocols(["http/1.1", "h2"]));
    const sock = await connect("127.0.0.1", s.port, { context: ctx, serverHostname: "localhost" });
    assert.equal(sock.version(), "TLSv1.3");
    assert.equal(sock.selectedAlpnProtocol(), "h2");
    assert.equal(commonName(sock), "localhost");
    assert.equal(await roundTrip(sock), "hello\n");
    await sock.close();
    const peer = await s.waitAccepted(1);
    assert.equal(peer.cipher()?.[0], sock.cipher()?.[0]);
    assert.equal(peer.serverName, "localhost");
  });

  it("each suite and group, and a HelloRetryRequest", { timeout: TIMEOUT }, async () => {
    const s = await server({ configure: (ctx) => ctx.setGroups(["P-256", "P-384", "x25519"]) });
    const cases: Array<[string, string[], string, boolean]> = [
      ["TLS_AES_128_GCM_SHA256", ["P-256"], "secp256r1", false],
      ["TLS_AES_256_GCM_SHA384", ["P-384"], "secp384r1", false],
      ["TLS_AES_128_GCM_SHA256", ["x25519"], "x25519", false],
      // The share sent (x25519) is not the server's first choice but spares a round trip.
      ["TLS_AES_256_GCM_SHA384", ["x25519", "P-256"], "x25519", false],
      // Its only share is for a group the server does not take: HelloRetryRequest.
      ["TLS_AES_128_GCM_SHA256", ["P-521", "P-384"], "secp384r1", true],
    ];
    let n = 0;
    for (const [suite, groups, expected, hrr] of cases) {
      const ctx = await clientContext((c) => {
        c.setCiphersuites(suite);
        c.setGroups(groups);
      });
      const sock = await connect("127.0.0.1", s.port, {
        context: ctx,
        serverHostname: "localhost",
      });
      assert.equal(await roundTrip(sock), "hello\n");
      await sock.close();
      const peer = await s.waitAccepted(++n);
      assert.deepEqual(
        [peer.cipher()?.[0], peer.group(), peer.helloRetryRequest],
        [suite, expected, hrr],
        `client ${suite} ${groups}`,
      );
    }
  });

  it("resumes with the session of an earlier connection", { timeout: TIMEOUT }, async () => {
    const s = await server();
    const ctx = await clientContext();
    let session: SSLSession | null = null;
    for (let i = 0; i < 3; i++) {
      const sock = await connect("127.0.0.1", s.port, {
        context: ctx,
        serverHostname: "localhost",
        session: session ?? undefined,
      });
      assert.equal(await roundTrip(sock), "hello\n");
      assert.equal(sock.sessionReused, i > 0);
      session = sock.session;
      assert.ok(session, "a ticket arrived before the echo");
      await sock.close();
    }
    await s.handlersDone();
    const stats = s.context.sessionStats();
    assert.deepEqual([stats.accept_good, stats.hits, stats.misses], [3, 2, 0]);
    assert.deepEqual([ctx.sessionStats().connect_good, ctx.sessionStats().hits], [3, 2]);
  });

  it("client certificate, post-handshake authentication and KeyUpdates", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => {
        ctx.verifyMode = CERT_REQUIRED;
        ctx.postHandshakeAuth = true;
      },
      handler: async (sock) => {
        const before = commonName(sock) ?? "none";
        await sock.verifyClientPostHandshake();
        await writeText(sock, `before: ${before}\n`);
        await readLine(sock);
        await sock.keyUpdate(true);
        await writeText(sock, `after: ${commonName(sock)}\n`);
        for (;;) {
          const line = await readLine(sock);
          if (line === "") break;
          await writeText(sock, line);
        }
        await sock.close();
      },
    });
    const ctx = await clientContext(async (c) => {
      c.postHandshakeAuth = true;
      await c.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
    });
    const sock = await connect("127.0.0.1", s.port, { context: ctx, serverHostname: "localhost" });
    assert.equal(await readLine(sock), "before: none\n");
    assert.equal(await roundTrip(sock, "go\n"), "after: webtls test client\n");
    await sock.keyUpdate(true);
    assert.equal(await roundTrip(sock, "still talking\n"), "still talking\n");
    await sock.keyUpdate(false);
    assert.equal(await roundTrip(sock, "and again\n"), "and again\n");
    await sock.close();
    await s.handlersDone();
    assert.deepEqual(s.handlerErrors, []);
  });
});
