// webtls's TLS 1.3 server against Python's `ssl` (OpenSSL underneath) as the client:
// getpeercert(), resumption with `session=`, client certificates, and post-handshake
// authentication requested by our server from a client with `post_handshake_auth = True`.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { CERT_REQUIRED, type SSLSocket } from "../../mod.ts";
import {
  makePki,
  PEERS_DIR,
  type Pki,
  requireTool,
  runPeer,
  runPythonClient,
  stopAllPeers,
} from "./_peers.ts";
import {
  lineEcho,
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
  const s = await startWebtlsServer(pki, opts);
  servers.push(s);
  return s;
}

interface ProbeConnection {
  version: string;
  cipher: string;
  alpn: string | null;
  sessionReused: boolean;
  peerCert: { subject?: Array<Array<[string, string]>>; subjectAltName?: Array<[string, string]> };
  received: string;
  cleanClose: boolean;
}

interface ProbeOptions {
  certFile?: string;
  keyFile?: string;
  alpn?: string[];
  pha?: boolean;
  connections?: number;
  steps?: Array<{ send: string } | { expect: string }>;
}

/** Runs peers/python_probe.py against the server and returns its connections. */
async function probe(port: number, opts: ProbeOptions): Promise<ProbeConnection[]> {
  const python = requireTool("python3", "apt-get install -y python3");
  const r = await runPeer(python, [
    path.join(PEERS_DIR, "python_probe.py"),
    JSON.stringify({ port, caFile: pki.caFile, ...opts }),
  ]);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  let result: { ok: boolean; error?: string; connections: ProbeConnection[] };
  try {
    result = JSON.parse(line);
  } catch {
    throw new Error(`python_probe.py printed no result (exit ${r.code})\n${r.stderr}`);
  }
  if (!result.ok) throw new Error(`python_probe.py: ${result.error}\n${r.stderr}`);
  return result.connections;
}

function commonName(sock: SSLSocket): string | undefined {
  const cert = sock.getPeerCert();
  if (!cert || !("subject" in cert)) return undefined;
  return cert.subject.flat().find(([k]) => k === "commonName")?.[1];
}

const hello = [{ send: "hello\n" }];

describe("webtls server vs Python ssl clients", { timeout: 300_000 }, () => {
  before(async () => {
    pki = await makePki();
  });
  after(async () => {
    for (const s of servers) await s.close();
    await stopAllPeers();
  });

  it("completes a handshake that getpeercert() reports as verified", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const [c] = await probe(s.port, { steps: hello });
    assert.equal(c.version, "TLSv1.3");
    assert.equal(c.cipher, "TLS_AES_256_GCM_SHA384");
    assert.deepEqual(c.peerCert.subject, [[["commonName", "localhost"]]]);
    assert.deepEqual(c.peerCert.subjectAltName, [["DNS", "localhost"], [
      "IP Address",
      "127.0.0.1",
    ]]);
    assert.equal(c.received, "echo: hello\n");
    assert.equal(c.cleanClose, true);
  });

  it("negotiates ALPN", { timeout: TIMEOUT }, async () => {
    const s = await server({ configure: (ctx) => ctx.setAlpnProtocols(["http/1.1", "h2"]) });
    const [c] = await probe(s.port, { alpn: ["h2", "http/1.1"], steps: hello });
    assert.equal(c.alpn, "http/1.1");
    assert.equal((await s.waitAccepted(1)).selectedAlpnProtocol(), "http/1.1");
  });

  it("resumes with session= and counts hits", { timeout: TIMEOUT }, async () => {
    const s = await server();
    const conns = await probe(s.port, { connections: 3, steps: hello });
    assert.deepEqual(conns.map((c) => c.sessionReused), [false, true, true]);
    assert.ok(conns.every((c) => c.received === "echo: hello\n"));
    // A resumption sends no certificate: Python reports the one of the original handshake.
    assert.deepEqual(conns[2].peerCert.subject, [[["commonName", "localhost"]]]);
    await s.handlersDone();
    const stats = s.context.sessionStats();
    assert.deepEqual([stats.accept, stats.accept_good, stats.hits, stats.misses], [3, 3, 2, 0]);
  });

  it("verifies a client certificate, also after resumption", { timeout: TIMEOUT }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const conns = await probe(s.port, {
      certFile: pki.leaves.client.chainFile,
      keyFile: pki.leaves.client.keyFile,
      connections: 2,
      steps: hello,
    });
    assert.deepEqual(conns.map((c) => c.sessionReused), [false, true]);
    assert.equal(commonName(await s.waitAccepted(1)), "webtls test client");
    const resumed = await s.waitAccepted(2);
    assert.equal(resumed.sessionReused, true);
    assert.equal(commonName(resumed), "webtls test client");
    assert.equal(resumed.getVerifiedChain().length, 3);
  });

  it("asks a post_handshake_auth client for its certificate after the handshake", {
    timeout: TIMEOUT,
  }, async () => {
    const seen: Array<string | undefined> = [];
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => {
        ctx.verifyMode = CERT_REQUIRED;
        ctx.postHandshakeAuth = true;
      },
      handler: async (sock) => {
        seen.push(commonName(sock));
        await sock.verifyClientPostHandshake();
        await writeText(sock, "certificate requested\n");
        const line = await readLine(sock);
        seen.push(commonName(sock));
        await writeText(sock, `client ${commonName(sock)} said ${line}`);
        await sock.close();
      },
    });
    const [c] = await probe(s.port, {
      certFile: pki.leaves.client.chainFile,
      keyFile: pki.leaves.client.keyFile,
      pha: true,
      steps: [
        { expect: "certificate requested\n" },
        { send: "hi\n" },
        { expect: "said hi\n" },
      ],
    });
    assert.equal(c.received, "certificate requested\nclient webtls test client said hi\n");
    assert.deepEqual(seen, [undefined, "webtls test client"]);
    assert.equal(c.cleanClose, true);
  });

  it("sends certificate_required when a post-handshake request gets no certificate", {
    timeout: TIMEOUT,
  }, async () => {
    let failure: unknown;
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => {
        ctx.verifyMode = CERT_REQUIRED;
        ctx.postHandshakeAuth = true;
      },
      handler: async (sock) => {
        await sock.verifyClientPostHandshake();
        await writeText(sock, "certificate requested\n");
        try {
          await readLine(sock);
        } catch (e) {
          failure = e;
        }
        await sock.close();
      },
    });
    // Offers post-handshake auth but has no certificate: it answers with an empty one.
    await assert.rejects(
      probe(s.port, {
        pha: true,
        steps: [{ expect: "certificate requested\n" }, { send: "hi\n" }, { expect: "never" }],
      }),
      /CERTIFICATE_REQUIRED|certificate required/i,
    );
    await s.handlersDone();
    assert.match(String(failure), /PEER_DID_NOT_RETURN_A_CERTIFICATE/);
  });

  it("echoes 256 KiB to python_client.py and closes cleanly both ways", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({ handler: streamEcho });
    const r = await runPythonClient(pki, { port: s.port, bytes: 256 * 1024, connections: 2 });
    assert.equal(r.ok, true, r.error ?? r.stderr);
    assert.equal(r.sha256Echoed, r.sha256Sent);
    assert.equal(r.cleanClose, true);
    assert.equal(r.sessionReused, true);
  });

  it("serves many Python clients at once", { timeout: TIMEOUT }, async () => {
    const s = await server({ handler: lineEcho });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => probe(s.port, { steps: hello })),
    );
    for (const [c] of results) assert.equal(c.received, "echo: hello\n");
    await s.handlersDone();
    assert.equal(s.context.sessionStats().accept_good, 8);
  });
});
