// Smoke test of the interop harness itself (tests/interop/_peers.ts): the PKI, every kind of
// reference server, the peer clients, and process-group cleanup. Uses node:tls as the client,
// so it exercises the native TLS stack of whichever runtime runs it (OpenSSL in Node, rustls
// in Deno, BoringSSL in Bun).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as tls from "node:tls";
import {
  canConnect,
  currentRuntime,
  freePort,
  livePeerCount,
  makePki,
  type Peer,
  type Pki,
  processGroupMembers,
  requireTool,
  runNodeClient,
  runPeer,
  runPythonClient,
  serverEvents,
  type ServerHandle,
  startBunServer,
  startDenoServer,
  startGnutlsServer,
  startNodeServer,
  startOpenSSLServer,
  startPeer,
  startPythonServer,
  stopAllPeers,
} from "./_peers.ts";

const TIMEOUT = 60_000;

interface EchoOptions {
  servername?: string;
  ca?: string;
  alpn?: string[];
  maxVersion?: tls.SecureVersion;
}

interface EchoResult {
  received: Uint8Array;
  protocol: string | null;
  alpn: string | false | null | undefined;
}

/** Connect with node:tls, send `payload`, read back as many bytes, close, return what came. */
function tlsEcho(
  port: number,
  pki: Pki,
  payload: Uint8Array,
  opts: EchoOptions = {},
): Promise<EchoResult> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let received = 0;
    let protocol: string | null = null;
    let alpn: string | false | null | undefined;
    const sock = tls.connect({
      host: "127.0.0.1",
      port,
      servername: opts.servername ?? "localhost",
      ca: opts.ca ?? pki.caPem,
      ...(opts.alpn ? { ALPNProtocols: opts.alpn } : {}),
      ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
    });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`echo on port ${port}: timed out after ${received} bytes`));
    }, 15_000);
    sock.on("secureConnect", () => {
      protocol = sock.getProtocol();
      alpn = sock.alpnProtocol;
      sock.write(payload);
    });
    sock.on("data", (d: Uint8Array) => {
      chunks.push(d);
      received += d.length;
      if (received >= payload.length) sock.end();
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      const out = new Uint8Array(received);
      let off = 0;
      for (const c of chunks) {
        out.set(c, off);
        off += c.length;
      }
      resolve({ received: out, protocol, alpn });
    });
  });
}

/** Connect with node:tls and expect the handshake to fail; returns the error. */
function tlsExpectFailure(port: number, pki: Pki, servername = "localhost"): Promise<Error> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: "127.0.0.1", port, servername, ca: pki.caPem });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`port ${port}: neither connected nor failed within 15 s`));
    }, 15_000);
    sock.on("secureConnect", () => {
      clearTimeout(timer);
      sock.destroy();
      reject(new Error(`port ${port}: handshake succeeded but should have failed`));
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(e);
    });
  });
}

function randomPayload(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function textPayload(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 64 === 63 ? 10 : 97 + (i % 26);
  return out;
}

const decoder = new TextDecoder();
const started: Peer[] = [];

function track(h: ServerHandle): ServerHandle {
  started.push(h.peer);
  return h;
}

describe("interop harness (_peers.ts)", { timeout: 180_000 }, () => {
  let pki: Pki;

  before(async () => {
    pki = await makePki();
  });

  after(async () => {
    await stopAllPeers();
  });

  it("makes a PKI whose chains verify with openssl", { timeout: TIMEOUT }, async () => {
    assert.equal(await makePki(), pki, "memoized per process");
    assert.match(pki.caPem, /BEGIN CERTIFICATE/);
    for (const [name, leaf] of Object.entries(pki.leaves)) {
      for (const f of [leaf.certFile, leaf.keyFile, leaf.chainFile]) {
        assert.ok(fs.existsSync(f), `${name}: ${f} exists`);
      }
      assert.equal(leaf.certPem, fs.readFileSync(leaf.certFile, "utf8"));
      assert.match(leaf.keyPem, /BEGIN PRIVATE KEY/);
      assert.ok(leaf.chainPem.startsWith(leaf.certPem), `${name}: chain starts with the leaf`);
    }
    const verify = (name: string, purpose: string) =>
      runPeer("openssl", [
        "verify",
        "-CAfile",
        pki.caFile,
        "-untrusted",
        pki.intFile,
        "-purpose",
        purpose,
        pki.leaves[name as keyof Pki["leaves"]].certFile,
      ]);
    for (const name of ["ecdsaP256", "ecdsaP384", "rsa2048", "ed25519", "wrongHost"]) {
      const r = await verify(name, "sslserver");
      assert.equal(r.code, 0, `${name} verifies: ${r.stdout}${r.stderr}`);
    }
    const client = await verify("client", "sslclient");
    assert.equal(client.code, 0, `client verifies: ${client.stderr}`);
    const expired = await verify("expired", "sslserver");
    assert.notEqual(expired.code, 0);
    assert.match(expired.stdout + expired.stderr, /certificate has expired/);
    const dates = await runPeer("openssl", [
      "x509",
      "-noout",
      "-startdate",
      "-enddate",
      "-in",
      pki.leaves.expired.certFile,
    ]);
    assert.match(dates.stdout, /notBefore=Jan {2}1 00:00:00 2020 GMT/);
    assert.match(dates.stdout, /notAfter=Jan {2}2 00:00:00 2020 GMT/);
    for (const name of ["unknownCa", "selfSigned"]) {
      const r = await verify(name, "sslserver");
      assert.notEqual(r.code, 0, `${name} must not verify`);
    }
    const text = await runPeer("openssl", [
      "x509",
      "-noout",
      "-text",
      "-in",
      pki.leaves.rsa2048.certFile,
    ]);
    assert.match(text.stdout, /DNS:localhost, IP Address:127\.0\.0\.1/);
    assert.match(text.stdout, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text.stdout, /Public-Key: \(2048 bit\)/);
    const ed = await runPeer("openssl", [
      "x509",
      "-noout",
      "-text",
      "-in",
      pki.leaves.ed25519.certFile,
    ]);
    assert.match(ed.stdout, /ED25519/);
  });

  it("openssl s_server echo mode echoes bytes exactly, for every leaf type", {
    timeout: TIMEOUT,
  }, async () => {
    for (const leaf of ["ecdsaP256", "ecdsaP384", "rsa2048", "ed25519"] as const) {
      const { port } = track(await startOpenSSLServer(pki, [], { mode: "echo", leaf }));
      for (let i = 0; i < 2; i++) {
        const payload = randomPayload(5000 + i);
        const r = await tlsEcho(port, pki, payload);
        assert.deepEqual(r.received, payload, `${leaf} connection ${i}`);
        assert.equal(r.protocol, "TLSv1.3");
      }
    }
    const { port } = track(await startOpenSSLServer(pki, ["-tls1_2"], { mode: "echo" }));
    const payload = randomPayload(3000);
    const r = await tlsEcho(port, pki, payload);
    assert.deepEqual(r.received, payload);
    assert.equal(r.protocol, "TLSv1.2");
  });

  it("openssl s_server www and rev modes", { timeout: TIMEOUT }, async () => {
    const www = track(await startOpenSSLServer(pki, [], { mode: "www" }));
    const page = await tlsEchoUntilClose(www.port, pki, "GET / HTTP/1.0\r\n\r\n");
    assert.match(page, /^HTTP\/1\.0 200 ok/);
    assert.match(page, /Ciphers supported in s_server binary/);
    const rev = track(await startOpenSSLServer(pki, [], { mode: "rev" }));
    const r = await tlsEcho(rev.port, pki, new TextEncoder().encode("hello\n"));
    assert.equal(decoder.decode(r.received), "olleh\n");
  });

  it("gnutls-serv echo (text) and http modes", { timeout: TIMEOUT }, async () => {
    const echo = track(await startGnutlsServer(pki, [], { echo: true }));
    const payload = textPayload(4096);
    for (let i = 0; i < 2; i++) {
      const r = await tlsEcho(echo.port, pki, payload);
      assert.deepEqual(r.received, payload);
      assert.equal(r.protocol, "TLSv1.3");
    }
    const tls12 = await tlsEcho(echo.port, pki, payload, { maxVersion: "TLSv1.2" });
    assert.deepEqual(tls12.received, payload);
    assert.equal(tls12.protocol, "TLSv1.2");
    const http = track(await startGnutlsServer(pki, [], { echo: false, leaf: "rsa2048" }));
    const page = await tlsEchoUntilClose(http.port, pki, "GET / HTTP/1.0\r\n\r\n");
    assert.match(page, /^HTTP\/1\.0 200 OK/);
  });

  const scriptServers: Array<[string, (pki: Pki) => Promise<ServerHandle>]> = [
    ["python", (p) => startPythonServer(p, { alpn: ["h2", "http/1.1"] })],
    ["node", (p) => startNodeServer(p, { alpn: ["h2", "http/1.1"] })],
    ["deno", (p) => startDenoServer(p, { alpn: ["h2", "http/1.1"] })],
    ["bun", (p) => startBunServer(p, { alpn: ["h2", "http/1.1"] })],
  ];
  for (const [name, start] of scriptServers) {
    it(`${name} echo server: concurrent byte-exact echo, ALPN`, { timeout: TIMEOUT }, async () => {
      const { port, peer } = track(await start(pki));
      const payloads = [randomPayload(64 * 1024), randomPayload(100_000), textPayload(10)];
      const results = await Promise.all(
        payloads.map((p) => tlsEcho(port, pki, p, { alpn: ["http/1.1"] })),
      );
      results.forEach((r, i) => {
        assert.deepEqual(r.received, payloads[i], `connection ${i}`);
        assert.equal(r.alpn, "http/1.1");
      });
      const big = randomPayload(1 << 20);
      assert.deepEqual((await tlsEcho(port, pki, big)).received, big, "1 MiB echo");
      await peer.waitFor(/"event": ?"closed"/);
      const handshakes = serverEvents(peer).filter((e) => e.event === "handshake");
      assert.ok(handshakes.length >= 4, `${name}: handshake events ${peer.stdout}`);
    });
  }

  it("python and node servers honour version limits and client certificates", {
    timeout: TIMEOUT,
  }, async () => {
    for (const start of [startPythonServer, startNodeServer]) {
      const v12 = track(await start(pki, { maxVersion: "TLSv1.2" }));
      const r = await tlsEcho(v12.port, pki, textPayload(100));
      assert.equal(r.protocol, "TLSv1.2");
      const mtls = track(await start(pki, { clientCert: "required" }));
      const withCert = await runPythonClient(pki, {
        port: mtls.port,
        certFile: pki.leaves.client.chainFile,
        keyFile: pki.leaves.client.keyFile,
      });
      assert.equal(withCert.ok, true, withCert.error ?? withCert.stderr);
      const withoutCert = await runPythonClient(pki, { port: mtls.port });
      assert.equal(withoutCert.ok, false);
      await mtls.peer.waitFor(/webtls test client/);
    }
  });

  it("peer clients: python_client.py and node_client.mjs, with resumption", {
    timeout: TIMEOUT,
  }, async () => {
    const py = track(await startPythonServer(pki, { tickets: 2, alpn: ["h2"] }));
    const a = await runPythonClient(pki, {
      port: py.port,
      bytes: 50_000,
      connections: 2,
      alpn: ["h2"],
    });
    assert.equal(a.ok, true, a.error ?? a.stderr);
    assert.equal(a.version, "TLSv1.3");
    assert.equal(a.alpn, "h2");
    assert.equal(a.bytesEchoed, 50_000);
    assert.equal(a.sha256Echoed, a.sha256Sent);
    assert.equal(a.cleanClose, true);
    assert.equal(a.connections?.[0].sessionReused, false);
    assert.equal(a.sessionReused, true);
    await py.peer.waitFor(/"cleanClose": true/);

    const nd = track(await startNodeServer(pki));
    const b = await runNodeClient(pki, { port: nd.port, text: "hello from node", connections: 2 });
    assert.equal(b.ok, true, b.error ?? b.stderr);
    assert.equal(b.bytesEchoed, 15);
    assert.equal(b.sessionReused, true);

    const c = await runNodeClient(pki, { port: py.port, maxVersion: "TLSv1.2" });
    assert.equal(c.ok, true, c.error ?? c.stderr);
    assert.equal(c.version, "TLSv1.2");
    const d = await runPythonClient(pki, { port: nd.port, servername: "127.0.0.1" });
    assert.equal(d.ok, true, d.error ?? d.stderr);
    const e = await runPythonClient(pki, { port: nd.port, servername: "other.example" });
    assert.equal(e.ok, false);
    assert.match(e.error ?? "", /CERTIFICATE_VERIFY_FAILED|hostname/i);
  });

  // Error codes differ by runtime: Deno reports an expired leaf as
  // UNABLE_TO_VERIFY_LEAF_SIGNATURE, Bun reports a self-signed one the same way.
  const badLeaves: Array<["expired" | "wrongHost" | "unknownCa" | "selfSigned", RegExp]> = [
    ["expired", /^(CERT_HAS_EXPIRED|UNABLE_TO_VERIFY_LEAF_SIGNATURE) /],
    ["wrongHost", /^ERR_TLS_CERT_ALTNAME_INVALID .*wrong\.example/],
    ["unknownCa", /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY) /],
    ["selfSigned", /^(DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE) /],
  ];
  for (const [leaf, pattern] of badLeaves) {
    it(`native verification rejects the ${leaf} certificate`, { timeout: TIMEOUT }, async () => {
      const { port } = track(await startPythonServer(pki, { leaf }));
      const err = await tlsExpectFailure(port, pki);
      const code = (err as { code?: string }).code ?? "";
      assert.match(
        `${code} ${err.message}`,
        pattern,
        `${currentRuntime()}: ${code} ${err.message}`,
      );
      // The same certificate is accepted once its own trust anchor is used (proves the reason).
      if (leaf === "unknownCa" || leaf === "selfSigned") {
        const ca = leaf === "unknownCa" ? pki.otherCaPem : pki.leaves.selfSigned.certPem;
        const ok = await tlsEcho(port, pki, textPayload(32), { ca });
        assert.equal(ok.received.length, 32);
      }
    });
  }

  it("startPeer reports early exits and timeouts with the peer's stderr", {
    timeout: TIMEOUT,
  }, async () => {
    await assert.rejects(
      startPeer("sh", ["-c", "echo 'bad option -zz' >&2; exit 3"], { readyText: "never" }),
      (e: Error) => /exited with code 3/.test(e.message) && /bad option -zz/.test(e.message),
    );
    const port = await freePort();
    await assert.rejects(
      startPeer("sh", ["-c", "echo waiting >&2; sleep 30"], {
        readyPort: port,
        readyTimeoutMs: 500,
      }),
      (e: Error) => /did not accept connections/.test(e.message) && /waiting/.test(e.message),
    );
    await assert.rejects(
      runPeer("sh", ["-c", "echo slow; sleep 30"], { timeoutMs: 300 }),
      /timed out after 300 ms[\s\S]*slow/,
    );
    const r = await runPeer("sh", ["-c", "cat; echo err >&2; exit 4"], { stdin: "in\n" });
    assert.deepEqual([r.code, r.stdout, r.stderr], [4, "in\n", "err\n"]);
    assert.throws(
      () => requireTool("webtls-no-such-tool", "apt-get install -y webtls-no-such-tool"),
      /webtls-no-such-tool is not installed: run `apt-get install -y webtls-no-such-tool`/,
    );
  });

  it("stop() kills the whole process group; stdin and text readiness work", {
    timeout: TIMEOUT,
  }, async () => {
    const peer = await startPeer(
      "sh",
      ["-c", 'sleep 300 & sleep 301 & echo started; read line; echo "got $line"; wait'],
      { readyText: "started" },
    );
    started.push(peer);
    assert.ok(processGroupMembers(peer.pid).length >= 3, "sh and two sleeps");
    peer.write("ping\n");
    await peer.waitFor("got ping");
    await peer.stop();
    assert.equal(peer.running, false);
    assert.deepEqual(processGroupMembers(peer.pid), []);
    assert.equal(await canConnect(await freePort()), false);
  });

  it("leaves no processes behind", { timeout: TIMEOUT }, async () => {
    await stopAllPeers();
    assert.equal(livePeerCount(), 0);
    for (const peer of started) {
      assert.equal(peer.running, false, `${peer.name} stopped`);
      assert.deepEqual(processGroupMembers(peer.pid), [], `${peer.name} group is empty`);
    }
  });
});

/** Send `request`, read until the server closes, return the text. */
function tlsEchoUntilClose(port: number, pki: Pki, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const sock = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca: pki.caPem });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(text);
    }, 5_000);
    sock.setEncoding("utf8");
    sock.on("secureConnect", () => sock.write(request));
    sock.on("data", (d: string) => {
      text += d;
      // gnutls-serv keeps HTTP/1.0 connections open: stop at the end of the page.
      if (/<\/html>\s*$/i.test(text)) sock.end();
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}
