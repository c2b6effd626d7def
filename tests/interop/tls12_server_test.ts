// webtls's server (TLS 1.2 and 1.3 enabled, ECDSA P-256 and RSA-2048 certificates loaded)
// against clients limited to TLS 1.2: `openssl s_client -tls1_2`, `gnutls-cli` with
// NORMAL:-VERS-ALL:+VERS-TLS1.2, Python `ssl` (maximum_version=TLSv1_2), node:tls and Bun
// (maxVersion "TLSv1.2"). Each suite and group, the signature scheme each client gets,
// resumption by ticket and by session ID, client certificates, the extended master secret,
// a refused renegotiation, the key log, exporters and tls-unique against the client's.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CERT_REQUIRED,
  OP_NO_TICKET,
  SignatureScheme,
  SSLError,
  type SSLSocket,
} from "../../mod.ts";
import {
  currentRuntime,
  makePki,
  PEERS_DIR,
  type Pki,
  requireTool,
  runNodeClient,
  runPeer,
  runtimeExecutable,
  startPeer,
  stopAllPeers,
} from "./_peers.ts";
import {
  type Handler,
  lineEcho,
  sClient,
  sClientArgs,
  startWebtlsServer,
  streamEcho,
  type WebtlsServer,
} from "./_webtls_server.ts";
import {
  certificateVerifyScheme,
  clientRandomLines,
  GNUTLS12,
  GROUPS12,
  hex,
  opensslKeyingMaterial,
  pythonConnect,
  readKeylogFile,
  recorder,
  serverKeyExchangeScheme,
  SUITES12,
} from "./_tls12.ts";

const TIMEOUT = 120_000;

let pki: Pki;
const servers: WebtlsServer[] = [];

before(async () => {
  pki = await makePki();
});
after(async () => {
  for (const s of servers.splice(0)) await s.close();
  await stopAllPeers();
});

/** A webtls server with both the ECDSA P-256 and the RSA-2048 leaf, key log collected. */
async function server(
  opts: {
    handler?: Handler;
    rsa?: boolean;
    configure?: (ctx: WebtlsServer["context"]) => unknown;
    trustClientCa?: boolean;
  } = {},
): Promise<WebtlsServer & { keylog: string[] }> {
  const keylog: string[] = [];
  const s = await startWebtlsServer(pki, {
    handler: opts.handler,
    trustClientCa: opts.trustClientCa,
    configure: async (ctx) => {
      if (opts.rsa !== false) {
        await ctx.loadCertChain(pki.leaves.rsa2048.chainFile, pki.leaves.rsa2048.keyFile);
      }
      ctx.onKeylog = (line) => keylog.push(line);
      await opts.configure?.(ctx);
    },
  });
  servers.push(s);
  return Object.assign(s, { keylog });
}

/** `openssl s_client -tls1_2 <extra>` sending `hello`, then waiting for the server to close. */
function sClient12(port: number, extra: string[] = [], stdin?: string) {
  return sClient(pki, port, ["-tls1_2", ...extra], stdin);
}

/** gnutls-cli limited by `priority`, sending stdin and closing at its EOF. */
async function gnutlsCli(
  port: number,
  priority: string,
  extra: string[] = [],
  stdin = "hello\n",
): Promise<{ out: string; code: number | null }> {
  const cli = requireTool("gnutls-cli", "apt-get install -y gnutls-bin");
  const r = await runPeer(cli, [
    ...["-p", String(port), "--x509cafile", pki.caFile, "--sni-hostname", "localhost"],
    ...["--verify-hostname", "localhost", "--priority", priority],
    ...extra,
    "127.0.0.1",
  ], { stdin, timeoutMs: 30_000 });
  return { out: r.stdout + r.stderr, code: r.code };
}

/** The subject CN of the client certificate a server socket holds. */
function peerCommonName(sock: SSLSocket): string | undefined {
  const cert = sock.getPeerCert();
  if (!cert || !("subject" in cert)) return undefined;
  return cert.subject.flat().find(([k]) => k === "commonName")?.[1];
}

/** The `Server Temp Key` line s_client prints for each group. */
const TEMP_KEY: Record<string, RegExp> = {
  x25519: /Server Temp Key: X25519, 253 bits/,
  "P-256": /Server Temp Key: ECDH, prime256v1, 256 bits/,
  "P-384": /Server Temp Key: ECDH, secp384r1, 384 bits/,
};

describe(`webtls server with TLS 1.2 clients (${currentRuntime()})`, { timeout: 900_000 }, () => {
  for (const kind of ["ecdsa", "rsa"] as const) {
    for (const suite of SUITES12[kind]) {
      it(`openssl s_client -tls1_2 -cipher ${suite}: each group`, {
        timeout: TIMEOUT,
      }, async () => {
        for (const g of GROUPS12) {
          // The server picks the group (its own order): restrict it to one.
          const s = await server({ configure: (ctx) => ctx.setGroups([g.name]) });
          const r = await sClient12(s.port, ["-cipher", suite]);
          assert.match(r.out, new RegExp(`New, TLSv1\\.2, Cipher is ${suite}`), r.out);
          assert.match(r.out, TEMP_KEY[g.name]);
          assert.match(r.out, /Verify return code: 0 \(ok\)/);
          assert.match(r.out, /Extended master secret: yes/);
          assert.match(r.out, /Secure Renegotiation IS supported/);
          assert.match(
            r.out,
            kind === "rsa" ? /Peer signature type: RSA-PSS/ : /Peer signature type: ECDSA/,
          );
          assert.match(r.out, /echo: hello/);
          const sock = await s.waitAccepted(1);
          assert.equal(sock.version(), "TLSv1.2");
          assert.equal(sock.cipher()?.[0], suite);
          assert.equal(sock.group(), g.printed);
        }
      });
    }
  }

  it("refuses an ECDSA certificate on a curve the client did not name (RFC 8422 §5.3)", {
    timeout: TIMEOUT,
  }, async () => {
    // With the RSA certificate too, the server falls back to an ECDHE_RSA suite.
    const both = await server();
    const r = await sClient12(both.port, ["-groups", "X25519"]);
    assert.match(r.out, /New, TLSv1\.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384/, r.out);
    // With the P-256 certificate alone there is nothing it may use.
    const ecdsaOnly = await server({ rsa: false });
    const refused = await sClient12(ecdsaOnly.port, ["-groups", "X25519"]);
    assert.match(refused.out, /alert handshake failure/, refused.out);
    const e = await ecdsaOnly.waitHandshakeErrors(1);
    assert.ok(e instanceof SSLError && e.reason === "NO_SHARED_CIPHER", String(e));
    // Naming P-256 alongside X25519 is enough.
    const ok = await sClient12(ecdsaOnly.port, ["-groups", "X25519:P-256"]);
    assert.match(ok.out, /Cipher is ECDHE-ECDSA-AES256-GCM-SHA384/);
    assert.match(ok.out, TEMP_KEY.x25519);
  });

  for (const kind of ["ecdsa", "rsa"] as const) {
    for (const suite of SUITES12[kind]) {
      const cipher = suite.includes("AES128") ? "AES-128-GCM" : "AES-256-GCM";
      it(`gnutls-cli TLS 1.2 ${cipher} ${kind}: each group`, { timeout: TIMEOUT }, async () => {
        const kx = kind === "rsa" ? "ECDHE-RSA" : "ECDHE-ECDSA";
        for (const g of GROUPS12) {
          const s = await server({
            handler: streamEcho,
            configure: (ctx) => ctx.setGroups([g.name]),
          });
          // The ECDSA P-256 certificate needs P-256 among the client's groups (RFC 8422 §5.3).
          const groups = kind === "rsa" || g.name === "P-256"
            ? `+${g.gnutls}`
            : `+${g.gnutls}:+GROUP-SECP256R1`;
          const r = await gnutlsCli(
            s.port,
            `${GNUTLS12}:-CIPHER-ALL:+${cipher}:-GROUP-ALL:${groups}:-KX-ALL:+${kx}`,
          );
          const group = g.gnutls.replace("GROUP-", "");
          // GnuTLS lists PKCS#1 before RSA-PSS for TLS 1.2; the server takes the client's order.
          const sig = kind === "rsa" ? "RSA-SHA256" : "ECDSA-SHA256";
          assert.ok(
            r.out.includes(`(TLS1.2-X.509)-(ECDHE-${group})-(${sig})-(${cipher})`),
            r.out,
          );
          assert.match(r.out, /- Options: extended master secret, safe renegotiation/);
          assert.match(r.out, /^hello$/m);
          assert.equal((await s.waitAccepted(1)).group(), g.printed);
        }
      });
    }
  }

  it("Python, node:tls and Bun clients limited to TLS 1.2, with resumption", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({ handler: streamEcho });
    const py = await pythonConnect(pki, [
      { port: s.port, maximumVersion: "TLSv1_2", send: "python 1\n" },
      { port: s.port, maximumVersion: "TLSv1_2", send: "python 2\n", resume: true },
    ]);
    for (const r of py) {
      assert.equal(r.ok, true, String(r.error));
      assert.equal(r.version, "TLSv1.2");
      assert.equal(r.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
    }
    assert.equal(py[1].sessionReused, true);
    const node = await runNodeClient(pki, { port: s.port, maxVersion: "TLSv1.2", connections: 2 });
    assert.equal(node.ok, true, `${node.error}\n${node.stderr}`);
    assert.equal(node.version, "TLSv1.2");
    assert.equal(node.sessionReused, true);
    // node_client.mjs run by Bun: BoringSSL's client.
    const bun = await runPeer(runtimeExecutable("bun"), [
      path.join(PEERS_DIR, "node_client.mjs"),
      JSON.stringify({
        host: "127.0.0.1",
        port: s.port,
        servername: "localhost",
        caFile: pki.caFile,
        maxVersion: "TLSv1.2",
        bytes: 4096,
        connections: 2,
      }),
    ], { timeoutMs: 30_000 });
    const result = JSON.parse(bun.stdout.trim().split("\n").pop() ?? "{}");
    assert.equal(result.ok, true, bun.stdout + bun.stderr);
    assert.equal(result.version, "TLSv1.2");
    await s.handlersDone();
    assert.deepEqual(s.handlerErrors, []);
    const stats = s.context.sessionStats();
    assert.ok(stats.hits >= 2, JSON.stringify(stats));
  });

  it("agrees with Python on tls-unique for full and resumed handshakes", {
    timeout: TIMEOUT,
  }, async () => {
    for (const noTicket of [false, true]) {
      const s = await server({
        handler: streamEcho,
        configure: (ctx) => {
          if (noTicket) ctx.options |= OP_NO_TICKET;
        },
      });
      const py = await pythonConnect(pki, [
        { port: s.port, maximumVersion: "TLSv1_2", send: "one\n" },
        { port: s.port, maximumVersion: "TLSv1_2", send: "two\n", resume: true },
      ]);
      assert.deepEqual(py.map((r) => r.sessionReused), [false, true], JSON.stringify(py));
      for (const [i, r] of py.entries()) {
        const sock = await s.waitAccepted(i + 1);
        // RFC 5929 §3.1: the client's Finished, or the server's in an abbreviated handshake.
        assert.equal(hex(await sock.getChannelBinding("tls-unique")), r.tlsUnique);
      }
    }
  });

  it("signs with the scheme each client prefers (RSA-PSS, or PKCS#1 when asked)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const proxy = await recorder(s.port);
    try {
      const cases: Array<[string[], RegExp, number]> = [
        [
          ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
          /Peer signature type: RSA-PSS/,
          SignatureScheme.rsa_pss_rsae_sha256,
        ],
        [
          ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-sigalgs", "RSA+SHA256:RSA-PSS+SHA256"],
          /Peer signature type: RSA\n/,
          SignatureScheme.rsa_pkcs1_sha256,
        ],
        [
          ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-sigalgs", "RSA+SHA384"],
          /Peer signing digest: SHA384\nPeer signature type: RSA\n/,
          SignatureScheme.rsa_pkcs1_sha384,
        ],
        [
          ["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
          /Peer signature type: ECDSA/,
          SignatureScheme.ecdsa_secp256r1_sha256,
        ],
      ];
      for (const [i, [args, printed, scheme]] of cases.entries()) {
        const r = await sClient12(proxy.port, args);
        assert.match(r.out, printed, r.out);
        const seen = serverKeyExchangeScheme(proxy.connections[i].fromServer);
        assert.equal(SignatureScheme[seen!], SignatureScheme[scheme]);
      }
    } finally {
      await proxy.close();
    }
  });

  for (const mode of ["ticket", "session ID"] as const) {
    it(`resumes openssl s_client's session by ${mode} (Reused, TLSv1.2)`, {
      timeout: TIMEOUT,
    }, async () => {
      const s = await server();
      const dir = fs.mkdtempSync(path.join(pki.dir, "sess-"));
      const sess = path.join(dir, "session.pem");
      const noTicket = mode === "ticket" ? [] : ["-no_ticket"];
      const first = await sClient12(s.port, ["-sess_out", sess, ...noTicket]);
      assert.match(first.out, /New, TLSv1\.2/);
      assert.match(
        first.out,
        mode === "ticket" ? /TLS session ticket lifetime hint: 7200/ : /Session-ID: [0-9A-F]{64}/,
      );
      const second = await sClient12(s.port, ["-sess_in", sess, ...noTicket]);
      assert.match(second.out, /Reused, TLSv1\.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384/);
      assert.match(second.out, /Extended master secret: yes/);
      assert.match(second.out, /echo: hello/);
      const resumed = await s.waitAccepted(2);
      assert.equal(resumed.sessionReused, true);
      await s.handlersDone();
      const stats = s.context.sessionStats();
      assert.deepEqual([stats.accept_good, stats.hits], [2, 1]);
      assert.equal(stats.number, 1, "the full handshake's session is in the session-ID cache");
    });
  }

  it("resumes gnutls-cli --resume with TLS 1.2 (ticket and session ID)", {
    timeout: TIMEOUT,
  }, async () => {
    for (const priority of [GNUTLS12, `${GNUTLS12}:%NO_TICKETS`]) {
      const s = await server();
      const r = await gnutlsCli(s.port, priority, ["--resume"]);
      assert.match(r.out, /This is a resumed session/, r.out);
      assert.equal((await s.waitAccepted(2)).sessionReused, true);
    }
  });

  it("verifies client certificates of openssl, gnutls-cli and Python", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const proxy = await recorder(s.port);
    try {
      const client = pki.leaves.client;
      const r = await sClient12(proxy.port, [
        ...["-cert", client.certFile, "-key", client.keyFile, "-cert_chain", pki.intFile],
      ]);
      assert.match(r.out, /echo: hello/);
      assert.equal(peerCommonName(await s.waitAccepted(1)), "webtls test client");
      // OpenSSL signs its CertificateVerify with the first of our schemes its key fits.
      const cv = certificateVerifyScheme(proxy.connections[0].fromClient);
      assert.equal(SignatureScheme[cv!], "ecdsa_secp256r1_sha256");
      const g = await gnutlsCli(s.port, GNUTLS12, [
        ...["--x509certfile", client.chainFile, "--x509keyfile", client.keyFile],
      ]);
      assert.match(g.out, /echo: hello/);
      assert.equal(peerCommonName(await s.waitAccepted(2)), "webtls test client");
      const py = await pythonConnect(pki, [{
        port: s.port,
        maximumVersion: "TLSv1_2",
        certFile: client.chainFile,
        keyFile: client.keyFile,
        send: "python\n",
      }]);
      assert.equal(py[0].ok, true, String(py[0].error));
      assert.equal(peerCommonName(await s.waitAccepted(3)), "webtls test client");
      // Without a certificate: handshake_failure (RFC 5246 §7.4.6).
      const refused = await sClient12(s.port);
      assert.match(refused.out, /alert handshake failure/);
      const e = await s.waitHandshakeErrors(1);
      assert.ok(e instanceof SSLError && e.reason === "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    } finally {
      await proxy.close();
    }
  });

  it("answers openssl s_client's renegotiation with a no_renegotiation warning", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({ handler: streamEcho });
    const peer = await startPeer("openssl", sClientArgs(pki, s.port, ["-tls1_2", "-msg"]), {
      name: "openssl s_client -msg",
      readyText: "Verify return code: 0",
    });
    peer.write("first\n");
    await peer.waitFor(/^first$/m);
    // `R` alone on a line: s_client starts a renegotiation (a new ClientHello, encrypted).
    peer.write("R\n");
    await peer.waitFor("<<< TLS 1.2, Alert [length 0002], warning no_renegotiation");
    // OpenSSL's reaction to the refusal is its own: a fatal handshake_failure
    // (ssl/record/rec_layer_s3.c); tests/hostile/tls12_hostile_test.ts shows the connection
    // stays usable with a peer that carries on.
    await peer.waitFor(">>> TLS 1.2, Alert [length 0002], fatal handshake_failure");
    await peer.stop();
    await s.handlersDone();
    const e = s.handlerErrors[0];
    assert.ok(e instanceof SSLError && e.reason === "SSLV3_ALERT_HANDSHAKE_FAILURE", String(e));
  });

  it("logs the same CLIENT_RANDOM lines as openssl s_client -keylogfile", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const dir = fs.mkdtempSync(path.join(pki.dir, "keylog-"));
    const file = path.join(dir, "client.keylog");
    const sess = path.join(dir, "session.pem");
    await sClient12(s.port, ["-keylogfile", file, "-sess_out", sess]);
    const resumed = await sClient12(s.port, ["-keylogfile", file, "-sess_in", sess]);
    assert.match(resumed.out, /Reused, TLSv1\.2/);
    const theirs = await readKeylogFile(file, 2);
    assert.deepEqual(clientRandomLines(s.keylog), theirs);
  });

  it("exports the same keying material as openssl s_client -keymatexport", {
    timeout: TIMEOUT,
  }, async () => {
    const label = "EXPERIMENTAL-webtls";
    const exported: string[] = [];
    const s = await server({
      handler: async (sock) => {
        exported.push(hex(await sock.exportKeyingMaterial(label, 32))!);
        await lineEcho(sock);
      },
    });
    const dir = fs.mkdtempSync(path.join(pki.dir, "ekm-"));
    const sess = path.join(dir, "session.pem");
    const args = ["-keymatexport", label, "-keymatexportlen", "32"];
    const first = await sClient12(s.port, [...args, "-sess_out", sess]);
    const second = await sClient12(s.port, [...args, "-sess_in", sess]);
    assert.match(second.out, /Reused, TLSv1\.2/);
    await s.handlersDone();
    assert.deepEqual(exported, [
      opensslKeyingMaterial(first.out),
      opensslKeyingMaterial(second.out),
    ]);
    assert.notEqual(exported[0], exported[1]);
  });

  it("refuses a TLS 1.2 fallback retry when it could do TLS 1.3 (RFC 7507)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const r = await sClient12(s.port, ["-fallback_scsv"]);
    assert.match(r.out, /tlsv1 alert inappropriate fallback/);
    const e = await s.waitHandshakeErrors(1);
    assert.ok(e instanceof SSLError && e.reason === "INAPPROPRIATE_FALLBACK", String(e));
    // A server whose maximum is TLS 1.2 accepts the same ClientHello.
    const tls12Only = await server({ configure: (ctx) => (ctx.maximumVersion = 0x0303) });
    const ok = await sClient12(tls12Only.port, ["-fallback_scsv"]);
    assert.match(ok.out, /New, TLSv1\.2/);
    assert.match(ok.out, /echo: hello/);
  });

  it("counts TLS 1.2 handshakes, hits and misses in sessionStats()", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const dir = fs.mkdtempSync(path.join(pki.dir, "stats-"));
    const byId = path.join(dir, "id.pem");
    const byTicket = path.join(dir, "ticket.pem");
    await sClient12(s.port, ["-sess_out", byId, "-no_ticket"]);
    assert.match((await sClient12(s.port, ["-sess_in", byId, "-no_ticket"])).out, /Reused/);
    await sClient12(s.port, ["-sess_out", byTicket]);
    assert.match((await sClient12(s.port, ["-sess_in", byTicket])).out, /Reused/);
    // Another server knows neither: a miss, and a full handshake.
    const other = await server();
    assert.match((await sClient12(other.port, ["-sess_in", byTicket])).out, /New, TLSv1\.2/);
    await s.handlersDone();
    await other.handlersDone();
    const stats = s.context.sessionStats();
    assert.deepEqual(
      [stats.accept, stats.accept_good, stats.hits, stats.misses, stats.number],
      [4, 4, 2, 0, 2],
      JSON.stringify(stats),
    );
    const o = other.context.sessionStats();
    assert.deepEqual([o.accept_good, o.hits, o.misses], [1, 0, 1], JSON.stringify(o));
  });
});
