// `webtls serve` (src/cli.ts) run as a subprocess by the runtime running the tests, facing
// `openssl s_client`, curl and Python: the --www page of facts with a close_notify, --echo,
// the ephemeral certificate whose CA clients can trust, client certificates, ALPN, tickets,
// the key log, and one log line per connection.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  makePki,
  type Peer,
  type Pki,
  requireTool,
  runPeer,
  runPythonClient,
  startPeer,
  stopAllPeers,
} from "./_peers.ts";
import { cliCommand, sClient } from "./_webtls_server.ts";

const TIMEOUT = 90_000;

let pki: Pki;

interface Served {
  peer: Peer;
  port: number;
}

/** Starts `webtls serve --port 0 ...args` and waits for its "listening on" line. */
async function serve(args: string[]): Promise<Served> {
  const { cmd, args: base } = cliCommand();
  const peer = await startPeer(cmd, [...base, "serve", "--port", "0", ...args], {
    name: "webtls serve",
    readyText: /listening on 127\.0\.0\.1:\d+/,
    readyTimeoutMs: 30_000,
  });
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(peer.stderr)![1]);
  return { peer, port };
}

const leafArgs = () => [
  "--cert",
  pki.leaves.ecdsaP256.chainFile,
  "--key",
  pki.leaves.ecdsaP256.keyFile,
];

const GET = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";

describe("webtls serve (CLI)", { timeout: 600_000 }, () => {
  before(async () => {
    pki = await makePki();
  });
  after(stopAllPeers);

  it("--www answers s_client's GET with the facts and a close_notify", {
    timeout: TIMEOUT,
  }, async () => {
    const { peer, port } = await serve([...leafArgs(), "--www"]);
    const r = await sClient(pki, port, ["-ciphersuites", "TLS_AES_128_GCM_SHA256"], GET);
    assert.match(r.out, /HTTP\/1\.0 200 OK/);
    assert.match(r.out, /Protocol: TLSv1\.3/);
    assert.match(r.out, /Cipher: TLS_AES_128_GCM_SHA256 \(128 bits\)/);
    assert.match(r.out, /SNI: localhost/);
    assert.match(r.out, /Request: GET \//);
    // s_client prints "closed" when the server's close_notify arrives (not on a bare FIN).
    assert.match(r.stdout, /^closed$/m);
    assert.equal(r.code, 0);
    // One log line for the connection: peer address, version, suite, group, new/reused.
    await peer.waitFor(/127\.0\.0\.1:\d+ TLSv1\.3 TLS_AES_128_GCM_SHA256 x25519 new/);
    await peer.stop();
  });

  it("--www answers curl, which sees the close_notify", { timeout: TIMEOUT }, async () => {
    const curl = requireTool("curl", "apt-get install -y curl");
    const { peer, port } = await serve([...leafArgs(), "--alpn", "h2,http/1.1"]);
    const r = await runPeer(curl, [
      "-sS",
      "-v",
      "--http1.1",
      "--cacert",
      pki.caFile,
      "--resolve",
      `localhost:${port}:127.0.0.1`,
      `https://localhost:${port}/hello`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^webtls serve$/m);
    assert.match(r.stdout, /ALPN: http\/1\.1/);
    assert.match(r.stdout, /Request: GET \/hello/);
    assert.match(r.stderr, /SSL connection using TLSv1\.3/);
    assert.match(r.stderr, /TLS alert, close notify/);
    await peer.waitFor(/TLSv1\.3 \S+ x25519 new alpn=http\/1\.1/);
    await peer.stop();
  });

  it("--echo echoes for Python and resumes its session", { timeout: TIMEOUT }, async () => {
    const { peer, port } = await serve([...leafArgs(), "--echo"]);
    const r = await runPythonClient(pki, { port, bytes: 200_000, connections: 2 });
    assert.equal(r.ok, true, r.error ?? r.stderr);
    assert.equal(r.sha256Echoed, r.sha256Sent);
    assert.equal(r.cleanClose, true);
    assert.equal(r.sessionReused, true);
    await peer.waitFor(/TLSv1\.3 \S+ x25519 reused/);
    await peer.stop();
  });

  it("without --cert generates a certificate whose CA clients can trust", {
    timeout: TIMEOUT,
  }, async () => {
    const { peer, port } = await serve(["--echo"]);
    const m = /trust its CA with: --cafile (\S+)/.exec(peer.stderr);
    assert.ok(m, peer.stderr);
    const caFile = m[1];
    assert.ok(fs.existsSync(caFile));
    const r = await runPythonClient(pki, { port, caFile, text: "over the ephemeral CA" });
    assert.equal(r.ok, true, r.error ?? r.stderr);
    // The same certificate fails against the test PKI's root: the CA really is its own.
    const wrong = await runPythonClient(pki, { port, text: "x" });
    assert.equal(wrong.ok, false);
    assert.match(wrong.error ?? "", /CERTIFICATE_VERIFY_FAILED/);
    await peer.waitFor(/handshake failed/);
    await peer.stop();
  });

  it("--verify-client required with --cafile shows the client certificate", {
    timeout: TIMEOUT,
  }, async () => {
    const { peer, port } = await serve([
      ...leafArgs(),
      "--cafile",
      pki.caFile,
      "--verify-client",
      "required",
    ]);
    const withCert = await sClient(pki, port, [
      "-cert",
      pki.leaves.client.certFile,
      "-key",
      pki.leaves.client.keyFile,
      "-cert_chain",
      pki.intFile,
    ], GET);
    assert.match(withCert.out, /Client certificate: CN=webtls test client/);
    const without = await sClient(pki, port, [], GET);
    assert.match(without.out, /alert certificate required|alert number 116/);
    await peer.waitFor(/handshake failed: .*PEER_DID_NOT_RETURN_A_CERTIFICATE/);
    await peer.stop();
  });

  it("--num-tickets and --keylog", { timeout: TIMEOUT }, async () => {
    const keylog = path.join(fs.mkdtempSync(path.join(pki.dir, "keylog-")), "keys.txt");
    const { peer, port } = await serve([...leafArgs(), "--num-tickets", "3", "--keylog", keylog]);
    const r = await sClient(pki, port, [], GET);
    assert.equal(r.out.split("Post-Handshake New Session Ticket arrived").length - 1, 3);
    await peer.stop();
    const lines = fs.readFileSync(keylog, "utf8").trim().split("\n");
    const labels = lines.map((l) => l.split(" ")[0]).sort();
    assert.deepEqual(labels, [
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "CLIENT_TRAFFIC_SECRET_0",
      "EXPORTER_SECRET",
      "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "SERVER_TRAFFIC_SECRET_0",
    ]);
    // Lines are "LABEL <client random hex> <secret hex>", the random being s_client's.
    for (const l of lines) assert.match(l, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
  });

  it("--tls1.3 refuses a TLS 1.2 client with protocol_version", { timeout: TIMEOUT }, async () => {
    const { peer, port } = await serve([...leafArgs(), "--tls1.3"]);
    const r = await sClient(pki, port, ["-tls1_2"], GET);
    assert.match(r.out, /alert protocol version|alert number 70/);
    await peer.waitFor(/handshake failed/);
    await peer.stop();
  });
});
