// webtls's TLS 1.3 client against Python's `ssl` server (OpenSSL underneath): verification,
// getPeerCert() compared field for field with Python's own getpeercert() for the same
// certificate, 16 MiB echoed each way through the Web Streams API with close_notify both ways,
// resumption and client certificates as the server reports them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  awaitServerEvents,
  makePki,
  type Pki,
  requireTool,
  runPeer,
  serverEvents,
  startPythonServer,
  stopAllPeers,
} from "./_peers.ts";
import {
  assertEchoed,
  BULK,
  clientContext,
  commonName,
  connectLocal,
  echoStreams,
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

// Python's own client: prints getpeercert() of the server as JSON (tuples become arrays).
const PY_GETPEERCERT = `
import json, socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
with socket.create_connection(("127.0.0.1", port)) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        print(json.dumps(s.getpeercert()))
        s.sendall(b"x")
        s.recv(1)
`;

async function pythonPeerCert(port: number): Promise<unknown> {
  const python = requireTool("python3", "apt-get install -y python3");
  const r = await runPeer(python, ["-c", PY_GETPEERCERT, String(port), pki.caFile]);
  assert.equal(r.code, 0, `python client failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe("webtls client against a Python ssl server", { timeout: TIMEOUT }, () => {
  it("echoes 16 MiB each way through readable/writable and closes cleanly", async () => {
    const srv = await startPythonServer(pki, { minVersion: "TLSv1.3" });
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      assert.equal(sock.version(), "TLSv1.3");
      assert.equal(commonName(sock.getPeerCert()), "localhost");
      assert.equal(sock.getVerifiedChain().length, 3);
      const data = payload(BULK, 11);
      // Closing the writable sends close_notify; Python then answers with its own, which
      // ends the readable.
      const echo = await echoStreams(sock, data, { close: true });
      await assertEchoed(data, echo);
      logThroughput("python ssl server, Web Streams", echo);
      await awaitServerEvents(srv.peer, "closed");
      const closed = serverEvents(srv.peer).find((e) => e.event === "closed")!;
      assert.deepEqual(closed, { event: "closed", bytes: BULK, cleanClose: true });
      const hs = serverEvents(srv.peer).find((e) => e.event === "handshake")!;
      assert.equal(hs.version, "TLSv1.3");
      assert.equal(hs.cipher, sock.cipher()![0]);
    } finally {
      await srv.peer.stop();
    }
  });

  for (const leaf of ["ecdsaP256", "ecdsaP384", "rsa2048", "ed25519"] as const) {
    it(`getPeerCert() equals Python's getpeercert() for the ${leaf} leaf`, async () => {
      const srv = await startPythonServer(pki, { leaf, minVersion: "TLSv1.3" });
      try {
        const expected = await pythonPeerCert(srv.port);
        const sock = await connectLocal(srv.port, await clientContext(pki));
        const ours = JSON.parse(JSON.stringify(sock.getPeerCert()));
        assert.deepEqual(ours, expected);
        await sock.close();
      } finally {
        await srv.peer.stop();
      }
    });
  }

  it("resumes a session the Python server issued", async () => {
    const srv = await startPythonServer(pki, { minVersion: "TLSv1.3", tickets: 2 });
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
    const srv = await startPythonServer(pki, { minVersion: "TLSv1.3", clientCert: "required" });
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
      assert.deepEqual(hs.peerCert, { commonName: "webtls test client" });
    } finally {
      await srv.peer.stop();
    }
  });

  it("answers the server's verify_client_post_handshake() with its certificate", async () => {
    const srv = await startPythonServer(pki, {
      minVersion: "TLSv1.3",
      clientCert: "required",
      pha: true,
    });
    try {
      const ctx = await clientContext(pki);
      ctx.postHandshakeAuth = true;
      await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
      const sock = await connectLocal(srv.port, ctx);
      // The request rides in front of the first echo; the certificate reaches the server's
      // next read, which the second message triggers.
      for (const line of ["before\n", "after\n"]) {
        await sock.write(enc.encode(line));
        await readUntil(sock, line);
      }
      await sock.close();
      await awaitServerEvents(srv.peer, "closed");
      const events = serverEvents(srv.peer);
      assert.equal(events.find((e) => e.event === "handshake")!.peerCert, null);
      const pha = events.find((e) => e.event === "pha");
      assert.deepEqual(pha?.peerCert, { commonName: "webtls test client" }, JSON.stringify(events));
      assert.equal(events.find((e) => e.event === "closed")!.cleanClose, true);
    } finally {
      await srv.peer.stop();
    }
  });
});
