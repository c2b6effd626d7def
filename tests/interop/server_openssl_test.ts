// webtls's TLS 1.3 server against `openssl s_client` (OpenSSL 3.0): suites, groups,
// HelloRetryRequest, ALPN, SNI, client certificates, resumption, post-handshake
// authentication, KeyUpdate in both directions, tickets and session statistics.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ALERT_DESCRIPTION_UNRECOGNIZED_NAME,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  OP_NO_TICKET,
  type SSLContext,
  SSLError,
  type SSLSocket,
} from "../../mod.ts";
import {
  makePki,
  type Peer,
  type Pki,
  startOpenSSLServer,
  startPeer,
  stopAllPeers,
} from "./_peers.ts";
import { eventually } from "./_client.ts";
import {
  readLine,
  sClient,
  sClientArgs,
  serverContext,
  startWebtlsServer,
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

/** The subject line s_client prints for the server certificate. */
function subjectOf(out: string): string | undefined {
  return /^subject=(.*)$/m.exec(out)?.[1];
}

function ticketsIn(out: string): number {
  return out.split("Post-Handshake New Session Ticket arrived").length - 1;
}

/** The subject CN of the client certificate a server socket holds. */
function peerCommonName(sock: SSLSocket): string | undefined {
  const cert = sock.getPeerCert();
  if (!cert || !("subject" in cert)) return undefined;
  for (const rdn of cert.subject) {
    for (const [k, v] of rdn) if (k === "commonName") return v;
  }
  return undefined;
}

/** Whether a handshake error carries `reason` (an SSLError reason code). */
function hasReason(e: unknown, reason: string): boolean {
  return e instanceof SSLError && e.reason === reason;
}

describe("webtls server vs openssl s_client", { timeout: 300_000 }, () => {
  before(async () => {
    pki = await makePki();
  });
  after(async () => {
    for (const s of servers) await s.close();
    await stopAllPeers();
  });

  for (const suite of ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]) {
    it(`negotiates ${suite}`, { timeout: TIMEOUT }, async () => {
      const s = await server();
      const r = await sClient(pki, s.port, ["-ciphersuites", suite]);
      assert.match(r.out, new RegExp(`New, TLSv1\\.3, Cipher is ${suite}`));
      assert.match(r.out, /Verify return code: 0 \(ok\)/);
      assert.match(r.out, /echo: hello/);
      const sock = await s.waitAccepted(1);
      assert.equal(sock.version(), "TLSv1.3");
      assert.equal(sock.cipher()?.[0], suite);
    });
  }

  // ChaCha20-Poly1305 exists where the runtime's WebCrypto has it (Deno, Bun); elsewhere a
  // client offering nothing else must get handshake_failure.
  it("negotiates ChaCha20-Poly1305 where WebCrypto has it, else refuses it", {
    timeout: TIMEOUT,
  }, async () => {
    const suite = "TLS_CHACHA20_POLY1305_SHA256";
    const s = await server();
    const r = await sClient(pki, s.port, ["-ciphersuites", suite]);
    if (s.context.getCiphers().some((c) => c.name === suite)) {
      assert.match(r.out, new RegExp(`New, TLSv1\\.3, Cipher is ${suite}`));
      assert.match(r.out, /echo: hello/);
      assert.equal((await s.waitAccepted(1)).cipher()?.[0], suite);
    } else {
      assert.match(r.out, /alert handshake failure|alert number 40/);
      const e = await s.waitHandshakeErrors(1);
      assert.ok(hasReason(e, "NO_SHARED_CIPHER"), String(e));
    }
  });

  it("follows the server's suite order (OP_CIPHER_SERVER_PREFERENCE)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      configure: (ctx) => ctx.setCiphersuites("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"),
    });
    const r = await sClient(pki, s.port, [
      "-ciphersuites",
      "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
    ]);
    assert.match(r.out, /Cipher is TLS_AES_128_GCM_SHA256/);
  });

  const groups: Array<[string, RegExp, string]> = [
    ["X25519", /Server Temp Key: X25519/, "x25519"],
    ["P-256", /Server Temp Key: ECDH, prime256v1/, "secp256r1"],
    ["P-384", /Server Temp Key: ECDH, secp384r1/, "secp384r1"],
    ["P-521", /Server Temp Key: ECDH, secp521r1/, "secp521r1"],
  ];
  for (const [group, temp, name] of groups) {
    it(`agrees on ${group} without a HelloRetryRequest`, { timeout: TIMEOUT }, async () => {
      const s = await server();
      const r = await sClient(pki, s.port, ["-groups", group]);
      assert.match(r.out, temp);
      assert.match(r.out, /echo: hello/);
      const sock = await s.waitAccepted(1);
      assert.equal(sock.group(), name);
      assert.equal(sock.helloRetryRequest, false);
    });
  }

  it("sends a HelloRetryRequest when the client's first share is unusable", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const r = await sClient(pki, s.port, ["-groups", "ffdhe2048:X25519"]);
    assert.match(r.out, /Server Temp Key: X25519/);
    assert.match(r.out, /echo: hello/);
    const sock = await s.waitAccepted(1);
    assert.equal(sock.helloRetryRequest, true);
    assert.equal(sock.group(), "x25519");
  });

  it("refuses a client whose groups it does not support", { timeout: TIMEOUT }, async () => {
    const s = await server();
    const r = await sClient(pki, s.port, ["-groups", "ffdhe2048"]);
    assert.match(r.out, /alert handshake failure|alert number 40/);
    const e = await s.waitHandshakeErrors(1);
    assert.ok(hasReason(e, "NO_SUITABLE_KEY_SHARE"), String(e));
  });

  it("selects ALPN by the server's preference", { timeout: TIMEOUT }, async () => {
    const s = await server({ configure: (ctx) => ctx.setAlpnProtocols(["h2", "http/1.1"]) });
    const r = await sClient(pki, s.port, ["-alpn", "http/1.1,h2"]);
    assert.match(r.out, /ALPN protocol: h2/);
    assert.equal((await s.waitAccepted(1)).selectedAlpnProtocol(), "h2");
    const r2 = await sClient(pki, s.port, ["-alpn", "http/1.1"]);
    assert.match(r2.out, /ALPN protocol: http\/1\.1/);
    const r3 = await sClient(pki, s.port, []);
    assert.match(r3.out, /No ALPN negotiated/);
    assert.match(r3.out, /echo: hello/);
  });

  it("answers an ALPN mismatch with no_application_protocol", { timeout: TIMEOUT }, async () => {
    const s = await server({ configure: (ctx) => ctx.setAlpnProtocols(["h2"]) });
    const r = await sClient(pki, s.port, ["-alpn", "spdy/3"]);
    assert.match(r.out, /alert no application protocol|alert number 120/);
    const e = await s.waitHandshakeErrors(1);
    assert.ok(hasReason(e, "NO_APPLICATION_PROTOCOL"), String(e));
  });

  it("lets the SNI callback switch to a context with another certificate", {
    timeout: TIMEOUT,
  }, async () => {
    const other = await serverContext(pki, "wrongHost");
    const p384 = await serverContext(pki, "ecdsaP384");
    const seen: Array<string | null> = [];
    const s = await server({
      configure: (ctx) => {
        ctx.sniCallback = (obj, name) => {
          seen.push(name);
          const sock = obj as { context: SSLContext };
          if (name === "wrong.example") sock.context = other;
          if (name === "p384.localhost") sock.context = p384;
          return null;
        };
      },
    });
    const plain = await sClient(pki, s.port, []);
    assert.equal(subjectOf(plain.out), "CN = localhost");
    assert.match(plain.out, /Server public key is 256 bit/);
    const switched = await sClient(pki, s.port, ["-servername", "wrong.example"]);
    assert.equal(subjectOf(switched.out), "CN = wrong.example");
    assert.match(switched.out, /Verify return code: 0 \(ok\)/);
    assert.match(switched.out, /echo: hello/);
    const big = await sClient(pki, s.port, ["-servername", "p384.localhost"]);
    assert.match(big.out, /Server public key is 384 bit/);
    assert.match(big.out, /echo: hello/);
    assert.deepEqual(seen, ["localhost", "wrong.example", "p384.localhost"]);
    assert.equal((await s.waitAccepted(2)).context, other);
    assert.equal((await s.waitAccepted(2)).serverName, "wrong.example");
  });

  it("aborts with the SNI callback's alert", { timeout: TIMEOUT }, async () => {
    const s = await server({
      configure: (ctx) => {
        // As a Python callback refuses a name: by returning an alert description.
        ctx.sniCallback = (_obj, name) =>
          name === "localhost" ? null : ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
      },
    });
    const r = await sClient(pki, s.port, ["-servername", "unknown.example"]);
    assert.match(r.out, /alert unrecognized name|alert number 112/);
    await s.waitHandshakeErrors(1);
    assert.match((await sClient(pki, s.port, [])).out, /echo: hello/);
  });

  const clientCert = () => [
    "-cert",
    pki.leaves.client.certFile,
    "-key",
    pki.leaves.client.keyFile,
    "-cert_chain",
    pki.intFile,
  ];

  it("requires and verifies a client certificate (CERT_REQUIRED)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const r = await sClient(pki, s.port, clientCert());
    assert.match(r.out, /Acceptable client certificate CA names\n.*webtls Test Root CA/);
    assert.match(r.out, /echo: hello/);
    const sock = await s.waitAccepted(1);
    assert.equal(peerCommonName(sock), "webtls test client");
    assert.equal(sock.getVerifiedChain().length, 3);
  });

  it("sends certificate_required to a client without a certificate", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const r = await sClient(pki, s.port, []);
    assert.match(r.out, /alert certificate required|alert number 116/);
    const e = await s.waitHandshakeErrors(1);
    assert.ok(hasReason(e, "PEER_DID_NOT_RETURN_A_CERTIFICATE"), String(e));
  });

  it("rejects a client certificate from an unknown CA with unknown_ca", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const r = await sClient(pki, s.port, [
      "-cert",
      pki.leaves.unknownCa.certFile,
      "-key",
      pki.leaves.unknownCa.keyFile,
    ]);
    assert.match(r.out, /alert unknown ca|alert number 48/);
    const e = await s.waitHandshakeErrors(1);
    assert.ok(hasReason(e, "CERTIFICATE_VERIFY_FAILED"), String(e));
  });

  it("accepts clients with and without a certificate (CERT_OPTIONAL)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_OPTIONAL),
    });
    const without = await sClient(pki, s.port, []);
    assert.match(without.out, /echo: hello/);
    assert.equal((await s.waitAccepted(1)).getPeerCert(), null);
    const withCert = await sClient(pki, s.port, clientCert());
    assert.match(withCert.out, /echo: hello/);
    assert.equal(peerCommonName(await s.waitAccepted(2)), "webtls test client");
  });

  // RFC 8446 §4.2.10: the server never accepts 0-RTT; early data is skipped and the
  // handshake goes on. s_client sends it when its session allows early data, so the session
  // comes from an OpenSSL server that does; its ticket is unknown here (a full handshake).
  for (const hrr of [false, true]) {
    it(`skips the early data it declines${hrr ? ", after a HelloRetryRequest" : ""}`, {
      timeout: TIMEOUT,
    }, async () => {
      const issuer = await startOpenSSLServer(pki, ["-early_data"]);
      const dir = fs.mkdtempSync(path.join(pki.dir, "early-"));
      const sess = path.join(dir, "s.pem");
      const early = path.join(dir, "early.txt");
      fs.writeFileSync(early, "early\n");
      // s_client writes the session file when the ticket arrives (its stdout is buffered).
      const holder = await startPeer(
        "openssl",
        sClientArgs(pki, issuer.port, ["-sess_out", sess]),
        { name: "openssl s_client (session with early data)" },
      );
      await eventually(() => fs.existsSync(sess) && fs.statSync(sess).size > 0, "the session");
      await holder.stop();
      await issuer.peer.stop();
      const s = await server();
      // A first key share in a group the server lacks makes it ask again (HRR).
      const groups = hrr ? ["-groups", "ffdhe2048:X25519"] : [];
      const r = await sClient(pki, s.port, ["-sess_in", sess, "-early_data", early, ...groups]);
      assert.match(r.out, /Early data was rejected/);
      assert.match(r.out, /New, TLSv1\.3/);
      assert.match(r.out, /echo: hello/);
      assert.doesNotMatch(r.out, /echo: early/);
      assert.equal((await s.waitAccepted(1)).helloRetryRequest, hrr);
    });
  }

  it("resumes a session with -sess_out/-sess_in and counts it", { timeout: TIMEOUT }, async () => {
    const s = await server();
    const dir = fs.mkdtempSync(path.join(pki.dir, "sess-"));
    const sess = path.join(dir, "s.pem");
    const first = await sClient(pki, s.port, ["-sess_out", sess]);
    assert.match(first.out, /New, TLSv1\.3/);
    assert.equal(ticketsIn(first.out), 2);
    const second = await sClient(pki, s.port, ["-sess_in", sess]);
    assert.match(second.out, /Reused, TLSv1\.3/);
    assert.match(second.out, /echo: hello/);
    assert.equal((await s.waitAccepted(2)).sessionReused, true);
    // A ticket from another server (other ticket keys) falls back to a full handshake.
    const stranger = await server();
    const third = await sClient(pki, stranger.port, ["-sess_in", sess]);
    assert.match(third.out, /New, TLSv1\.3/);
    assert.match(third.out, /echo: hello/);
    await s.handlersDone();
    await stranger.handlersDone();
    const stats = s.context.sessionStats();
    assert.equal(stats.accept, 2);
    assert.equal(stats.accept_good, 2);
    assert.equal(stats.hits, 1);
    assert.equal(stats.misses, 0);
    const strangerStats = stranger.context.sessionStats();
    assert.deepEqual(
      [strangerStats.accept, strangerStats.accept_good, strangerStats.hits, strangerStats.misses],
      [1, 1, 0, 1],
    );
  });

  for (const leaf of ["rsa2048", "ed25519", "ecdsaP384"] as const) {
    it(`verifies a ${leaf} client certificate's signature`, { timeout: TIMEOUT }, async () => {
      const s = await server({
        trustClientCa: true,
        configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
      });
      const files = pki.leaves[leaf];
      const r = await sClient(pki, s.port, [
        ...["-cert", files.certFile, "-key", files.keyFile, "-cert_chain", pki.intFile],
      ]);
      assert.match(r.out, /echo: hello/);
      assert.equal(peerCommonName(await s.waitAccepted(1)), "localhost");
    });
  }

  it("reassembles a handshake sent in 512-byte records", { timeout: TIMEOUT }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const r = await sClient(pki, s.port, [...clientCert(), "-max_send_frag", "512"]);
    assert.match(r.out, /echo: hello/);
    assert.equal(peerCommonName(await s.waitAccepted(1)), "webtls test client");
  });

  it("picks the certificate the client's signature_algorithms allow", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      configure: async (ctx) => {
        const rsa = pki.leaves.rsa2048;
        await ctx.loadCertChain(rsa.chainFile, rsa.keyFile);
      },
    });
    const any = await sClient(pki, s.port, []);
    assert.match(any.out, /Peer signature type: ECDSA/);
    const rsaOnly = await sClient(pki, s.port, ["-sigalgs", "RSA-PSS+SHA256:RSA-PSS+SHA384"]);
    assert.match(rsaOnly.out, /Peer signature type: RSA-PSS/);
    assert.match(rsaOnly.out, /Server public key is 2048 bit/);
    assert.match(rsaOnly.out, /echo: hello/);
    const none = await sClient(pki, s.port, ["-sigalgs", "ed25519"]);
    assert.match(none.out, /alert handshake failure|alert number 40/);
    const e = await s.waitHandshakeErrors(1);
    assert.ok(hasReason(e, "NO_SUITABLE_SIGNATURE_ALGORITHM"), String(e));
  });

  it("resumes across a HelloRetryRequest (binder over the retried transcript)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const sess = path.join(fs.mkdtempSync(path.join(pki.dir, "sess-")), "s.pem");
    await sClient(pki, s.port, ["-sess_out", sess]);
    const r = await sClient(pki, s.port, ["-sess_in", sess, "-groups", "ffdhe2048:X25519"]);
    assert.match(r.out, /Reused, TLSv1\.3/);
    assert.match(r.out, /echo: hello/);
    const sock = await s.waitAccepted(2);
    assert.deepEqual([sock.sessionReused, sock.helloRetryRequest], [true, true]);
  });

  it("completes without middlebox compatibility (-no_middlebox)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server();
    const r = await sClient(pki, s.port, ["-no_middlebox"]);
    assert.match(r.out, /New, TLSv1\.3/);
    assert.match(r.out, /echo: hello/);
  });

  it("resumes a session whose ticket names the client certificate", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const sess = path.join(fs.mkdtempSync(path.join(pki.dir, "sess-")), "s.pem");
    await sClient(pki, s.port, [...clientCert(), "-sess_out", sess]);
    const r = await sClient(pki, s.port, [...clientCert(), "-sess_in", sess]);
    assert.match(r.out, /Reused, TLSv1\.3/);
    const sock = await s.waitAccepted(2);
    assert.equal(sock.sessionReused, true);
    assert.equal(peerCommonName(sock), "webtls test client");
  });

  for (const n of [0, 1, 3]) {
    it(`sends numTickets = ${n} tickets`, { timeout: TIMEOUT }, async () => {
      const s = await server({ configure: (ctx) => (ctx.numTickets = n) });
      const r = await sClient(pki, s.port, []);
      assert.match(r.out, /echo: hello/);
      assert.equal(ticketsIn(r.out), n);
    });
  }

  it("sends no ticket with OP_NO_TICKET, so nothing resumes", { timeout: TIMEOUT }, async () => {
    const s = await server({ configure: (ctx) => (ctx.options |= OP_NO_TICKET) });
    const sess = path.join(fs.mkdtempSync(path.join(pki.dir, "sess-")), "s.pem");
    const r = await sClient(pki, s.port, ["-sess_out", sess]);
    assert.match(r.out, /echo: hello/);
    assert.equal(ticketsIn(r.out), 0);
    // s_client writes -sess_out when a ticket arrives: none came, so there is nothing to resume.
    assert.equal(fs.existsSync(sess), false);
    // A ticket from a server that still issues them is not honoured either.
    const issuer = await server();
    await sClient(pki, issuer.port, ["-sess_out", sess]);
    const again = await sClient(pki, s.port, ["-sess_in", sess]);
    assert.match(again.out, /New, TLSv1\.3/);
    assert.match(again.out, /echo: hello/);
    await s.handlersDone();
    const stats = s.context.sessionStats();
    assert.deepEqual([stats.accept_good, stats.hits, stats.misses], [2, 0, 1]);
  });

  /** s_client with stdin left open: its `k`, `K` and `Q` commands work without -ign_eof. */
  async function interactive(port: number, extra: string[]): Promise<Peer> {
    return await startPeer("openssl", sClientArgs(pki, port, extra), {
      name: "openssl s_client",
      readyText: /Verify return code: 0 \(ok\)\n---/,
    });
  }

  /**
   * Echoes lines until the client closes; `please update\n` makes the server send a KeyUpdate
   * with update_requested. (A line starting with k, K, Q or R is an s_client command.)
   */
  async function lineLoop(sock: SSLSocket): Promise<void> {
    for (;;) {
      const line = await readLine(sock);
      if (line === "") break;
      if (line === "please update\n") {
        await sock.keyUpdate(true);
        await writeText(sock, "server updated its keys\n");
        continue;
      }
      await writeText(sock, `echo: ${line}`);
    }
    await sock.close();
  }

  it(
    "follows s_client's KeyUpdates (k and K) and sends its own",
    { timeout: TIMEOUT },
    async () => {
      const s = await server({ handler: lineLoop });
      const peer = await interactive(s.port, []);
      peer.write("one\n");
      await peer.waitFor("echo: one");
      // k: s_client updates its write keys; K: it also asks us to update ours.
      peer.write("k\n");
      await peer.waitFor("KEYUPDATE");
      peer.write("two\n");
      await peer.waitFor("echo: two");
      peer.write("K\n");
      await peer.waitFor(/KEYUPDATE[\s\S]*KEYUPDATE/);
      peer.write("three\n");
      await peer.waitFor("echo: three");
      // Our KeyUpdate with update_requested: the data that follows it must still flow both ways.
      peer.write("please update\n");
      await peer.waitFor("server updated its keys");
      peer.write("four\n");
      await peer.waitFor("echo: four");
      peer.write("Q\n");
      await peer.stop();
      assert.deepEqual(s.handlerErrors, []);
    },
  );

  it("requests a certificate after the handshake (-enable_pha)", { timeout: TIMEOUT }, async () => {
    let certBefore: unknown = "unset";
    let certAfter: string | undefined;
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => {
        ctx.verifyMode = CERT_REQUIRED;
        ctx.postHandshakeAuth = true;
      },
      handler: async (sock) => {
        certBefore = sock.getPeerCert();
        await sock.verifyClientPostHandshake();
        await writeText(sock, "certificate requested\n");
        const line = await readLine(sock);
        certAfter = peerCommonName(sock);
        await writeText(sock, `client ${certAfter ?? "none"} said ${line}`);
        await sock.close();
      },
    });
    const peer = await interactive(s.port, ["-enable_pha", ...clientCert()]);
    assert.doesNotMatch(peer.stdout, /Acceptable client certificate CA names/);
    await peer.waitFor("certificate requested");
    peer.write("hi\n");
    await peer.waitFor("client webtls test client said hi");
    await peer.stop();
    assert.equal(certBefore, null);
    assert.equal(certAfter, "webtls test client");
    assert.deepEqual(s.handlerErrors, []);
  });

  it("refuses post-handshake auth to a client that did not offer it", {
    timeout: TIMEOUT,
  }, async () => {
    let refusal: unknown;
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => {
        ctx.verifyMode = CERT_REQUIRED;
        ctx.postHandshakeAuth = true;
      },
      handler: async (sock) => {
        await sock.verifyClientPostHandshake().catch((e) => (refusal = e));
        await writeText(sock, "still here\n");
        await sock.close();
      },
    });
    const r = await sClient(pki, s.port, clientCert());
    assert.match(r.out, /still here/);
    assert.ok(hasReason(refusal, "EXTENSION_NOT_RECEIVED"), String(refusal));
  });
});
