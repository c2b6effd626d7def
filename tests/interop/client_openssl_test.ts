// webtls's TLS 1.3 client against `openssl s_server` (OpenSSL 3.0) on 127.0.0.1, through the
// public API only: suites, groups, HelloRetryRequest, every leaf key type, chains, ALPN,
// ticket resumption, KeyUpdate both ways, client certificates, the NSS key log (compared
// with the server's and used to decrypt captured records), SSLObject over MemoryBIO, unwrap().
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { X509Certificate } from "node:crypto";
import {
  connect,
  MemoryBIO,
  OP_ENABLE_MIDDLEBOX_COMPAT,
  SSLCertVerificationError,
  SSLError,
  SSLSession,
  type SSLSocket,
  SSLWantReadError,
  type Transport,
} from "../../mod.ts";
import {
  freePort,
  type LeafName,
  makePki,
  type Peer,
  type Pki,
  type ServerHandle,
  startOpenSSLServer,
  startPeer,
  stopAllPeers,
} from "./_peers.ts";
import {
  clientContext,
  commonName,
  connectLocal,
  eventually,
  readUntil,
  tcpTransport,
  waitForCount,
} from "./_client.ts";

const TIMEOUT = 60_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

let pki: Pki;

before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

/** Runs `fn` against an echoing `s_server -tls1_3 <args>`, stopping the server afterwards. */
async function withServer(
  args: string[],
  fn: (srv: ServerHandle) => Promise<void>,
  leaf: LeafName = "ecdsaP256",
): Promise<void> {
  const srv = await startOpenSSLServer(pki, ["-tls1_3", ...args], { leaf });
  try {
    await fn(srv);
  } finally {
    await srv.peer.stop();
  }
}

/**
 * An `s_server` in its interactive mode: received data and, with `-msg`, every protocol
 * message go to its stdout; lines written to its stdin are sent to the client, except the
 * commands `K` (KeyUpdate, update requested) and `k` (not requested).
 */
async function interactiveServer(args: string[]): Promise<{ port: number; peer: Peer }> {
  const port = await freePort();
  const leaf = pki.leaves.ecdsaP256;
  const peer = await startPeer("openssl", [
    "s_server",
    ...["-accept", `127.0.0.1:${port}`, "-cert", leaf.certFile, "-key", leaf.keyFile],
    ...["-cert_chain", pki.intFile, "-tls1_3"],
    ...args,
  ], { name: "openssl s_server (interactive)", readyText: "ACCEPT" });
  return { port, peer };
}

/** One more line each way once all updates are done: both directions still work. */
async function echoAfterUpdate(sock: SSLSocket, peer: Peer): Promise<void> {
  await sock.write(enc.encode("client: last line\n"));
  await waitForCount(peer, "client: last line\n", 1);
  peer.write("server: last line\n");
  await readUntil(sock, "server: last line\n");
}

/** Sends a line and reads it back. */
async function echoLine(sock: SSLSocket, line: string): Promise<void> {
  await sock.write(enc.encode(line));
  assert.equal(await readUntil(sock, line), line);
}

function subjects(ders: Uint8Array[]): string[] {
  return ders.map((d) => new X509Certificate(d).subject);
}

describe("webtls client against openssl s_server", { timeout: TIMEOUT }, () => {
  it("negotiates the suite the client chooses with setCiphersuites() or setCiphers()", async () => {
    await withServer([], async ({ port }) => {
      for (
        const [suite, bits, how] of [
          ["TLS_AES_128_GCM_SHA256", 128, "setCiphersuites"],
          ["TLS_AES_256_GCM_SHA384", 256, "setCiphersuites"],
          ["TLS_AES_128_GCM_SHA256", 128, "setCiphers"],
          ["TLS_AES_256_GCM_SHA384", 256, "setCiphers"],
        ] as const
      ) {
        const ctx = await clientContext(pki);
        if (how === "setCiphers") ctx.setCiphers(suite);
        else ctx.setCiphersuites(suite);
        const sock = await connectLocal(port, ctx);
        assert.deepEqual(sock.cipher(), [suite, "TLSv1.3", bits], how);
        assert.equal(sock.version(), "TLSv1.3");
        await echoLine(sock, `${how} ${suite}\n`);
        await sock.close();
      }
    });
  });

  for (
    const suite of [
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
    ]
  ) {
    it(`negotiates ${suite} when the server allows only that suite`, async () => {
      await withServer(["-ciphersuites", suite], async ({ port }) => {
        const ctx = await clientContext(pki);
        // ChaCha20-Poly1305 is offered only where WebCrypto has it (Deno, Bun; not Node 20).
        if (!ctx.getCiphers().some((c) => c.name === suite)) {
          await assert.rejects(
            connectLocal(port, ctx),
            (e: unknown) => e instanceof SSLError && e.reason === "SSLV3_ALERT_HANDSHAKE_FAILURE",
          );
          return;
        }
        const sock = await connectLocal(port, ctx);
        assert.equal(sock.cipher()?.[0], suite);
        await echoLine(sock, `${suite}\n`);
        await sock.close();
      });
    });
  }

  for (
    const [group, name] of [["X25519", "x25519"], ["P-256", "secp256r1"], [
      "P-384",
      "secp384r1",
    ]] as const
  ) {
    it(`exchanges keys over ${group} without a HelloRetryRequest`, async () => {
      await withServer(["-groups", group], async ({ port }) => {
        const ctx = await clientContext(pki);
        ctx.setGroups([group]);
        const sock = await connectLocal(port, ctx);
        assert.equal(sock.group(), name);
        assert.equal(sock.helloRetryRequest, false);
        await echoLine(sock, `${group}\n`);
        await sock.close();
      });
    });
  }

  for (const [group, name] of [["P-384", "secp384r1"], ["P-256", "secp256r1"]] as const) {
    it(`completes a HelloRetryRequest for ${group} (server -groups ${group})`, async () => {
      await withServer(["-groups", group], async ({ port }) => {
        // The default key share is X25519's, which this server does not accept.
        const sock = await connectLocal(port, await clientContext(pki));
        assert.equal(sock.helloRetryRequest, true);
        assert.equal(sock.group(), name);
        assert.equal(sock.version(), "TLSv1.3");
        await echoLine(sock, "after HRR\n");
        await sock.close();
      });
    });
  }

  for (
    const [args, name] of [
      [["-stateless"], "x25519"],
      [["-stateless", "-groups", "P-384"], "secp384r1"],
    ] as const
  ) {
    it(`completes a HelloRetryRequest with a cookie (s_server ${args.join(" ")})`, async () => {
      // `-stateless` answers every first ClientHello with a HelloRetryRequest carrying a
      // cookie (RFC 8446 §4.2.2), here with no group change when X25519 is acceptable. OpenSSL
      // 3.0 rejects the compatibility ChangeCipherSpec that RFC 8446 §D.4 puts before the
      // second ClientHello (its own s_client fails the same way), so compatibility mode is
      // turned off for this server.
      await withServer([...args], async ({ port }) => {
        const ctx = await clientContext(pki);
        ctx.options &= ~OP_ENABLE_MIDDLEBOX_COMPAT;
        const sock = await connectLocal(port, ctx);
        assert.equal(sock.helloRetryRequest, true);
        assert.equal(sock.group(), name);
        await echoLine(sock, "after a stateless HRR\n");
        await sock.close();
      });
    });
  }

  for (const leaf of ["ecdsaP256", "ecdsaP384", "rsa2048", "ed25519"] as const) {
    it(`verifies a ${leaf} leaf with its intermediate`, async () => {
      // RSA keys sign TLS 1.3 handshakes with RSA-PSS (rsa_pss_rsae_*): pin the scheme.
      const args = leaf === "rsa2048" ? ["-sigalgs", "rsa_pss_rsae_sha256"] : [];
      await withServer(args, async ({ port }) => {
        const sock = await connectLocal(port, await clientContext(pki));
        const cert = sock.getPeerCert();
        assert.equal(commonName(cert), "localhost");
        assert.deepEqual(
          (cert as { subjectAltName?: unknown }).subjectAltName,
          [["DNS", "localhost"], ["IP Address", "127.0.0.1"]],
        );
        const der = sock.getPeerCert(true)!;
        assert.equal(
          new X509Certificate(der).fingerprint256,
          new X509Certificate(
            fs.readFileSync(pki.leaves[leaf].certFile),
          ).fingerprint256,
        );
        assert.deepEqual(subjects(sock.getVerifiedChain()), [
          "CN=localhost",
          "CN=webtls Test Intermediate CA",
          "CN=webtls Test Root CA",
        ]);
        assert.deepEqual(subjects(sock.getUnverifiedChain()), [
          "CN=localhost",
          "CN=webtls Test Intermediate CA",
        ]);
        await echoLine(sock, `${leaf}\n`);
        await sock.close();
      }, leaf);
    });
  }

  it("verifies an IP address against the certificate's iPAddress SAN", async () => {
    await withServer([], async ({ port }) => {
      // No serverHostname: connect() checks the host connected to, and sends no SNI for an
      // IP literal (RFC 6066 §3).
      const sock = await connect("127.0.0.1", port, { context: await clientContext(pki) });
      assert.equal(sock.serverHostname, "127.0.0.1");
      assert.equal(sock.getVerifiedChain().length, 3);
      await echoLine(sock, "by address\n");
      await sock.close();
    });
  });

  // The alert is the one OpenSSL's own s_client sends for the same certificate (RFC 8446
  // §6.2: bad_certificate 42, certificate_expired 45, unknown_ca 48).
  for (
    const [leaf, code, host, alert] of [
      ["wrongHost", 62, "localhost", 42],
      ["ecdsaP256", 62, "other.example", 42],
      ["expired", 10, "localhost", 45],
      ["unknownCa", 20, "localhost", 48],
      ["selfSigned", 18, "localhost", 48],
    ] as const
  ) {
    it(`refuses a ${leaf} certificate for ${host} with verify code ${code}`, async () => {
      await withServer([], async ({ port, peer }) => {
        await assert.rejects(
          connectLocal(port, await clientContext(pki), { serverHostname: host }),
          (e: unknown) =>
            e instanceof SSLCertVerificationError && e.verifyCode === code &&
            e.reason === "CERTIFICATE_VERIFY_FAILED",
        );
        await eventually(
          () => peer.stderr.includes(`SSL alert number ${alert}`),
          `alert ${alert} at the server`,
        );
      }, leaf);
    });
  }

  it("selects the server's ALPN protocol and reports none when nothing was offered", async () => {
    await withServer(["-alpn", "h2"], async ({ port }) => {
      const ctx = await clientContext(pki);
      ctx.setAlpnProtocols(["h2", "http/1.1"]);
      const sock = await connectLocal(port, ctx);
      assert.equal(sock.selectedAlpnProtocol(), "h2");
      await echoLine(sock, "h2\n");
      await sock.close();
      const plain = await connectLocal(port, await clientContext(pki));
      assert.equal(plain.selectedAlpnProtocol(), null);
      await plain.close();
    });
    await withServer(["-alpn", "http/1.1"], async ({ port }) => {
      const ctx = await clientContext(pki);
      ctx.setAlpnProtocols(["h2", "http/1.1"]);
      const sock = await connectLocal(port, ctx);
      assert.equal(sock.selectedAlpnProtocol(), "http/1.1");
      await sock.close();
    });
    await withServer([], async ({ port }) => {
      const ctx = await clientContext(pki);
      ctx.setAlpnProtocols(["h2"]);
      const sock = await connectLocal(port, ctx);
      assert.equal(sock.selectedAlpnProtocol(), null, "a server without ALPN ignores the offer");
      await sock.close();
    });
  });

  it("fails with no_application_protocol when the ALPN lists do not meet", async () => {
    await withServer(["-alpn", "h2"], async ({ port }) => {
      const ctx = await clientContext(pki);
      ctx.setAlpnProtocols(["http/1.1"]);
      // OpenSSL 3.0's s_server answers a disjoint list with a fatal no_application_protocol
      // alert (RFC 7301 §3.2).
      await assert.rejects(
        connectLocal(port, ctx),
        (e: unknown) => e instanceof SSLError && e.reason === "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
      );
    });
  });

  it("resumes with a ticket, directly and through SSLSession.toPem()/fromPem()", async () => {
    await withServer([], async ({ port }) => {
      const ctx = await clientContext(pki);
      const first = await connectLocal(port, ctx);
      assert.equal(first.sessionReused, false);
      // TLS 1.3 tickets follow the handshake: they are processed by the reads of the echo.
      await echoLine(first, "first\n");
      await eventually(() => first.session !== null, "a session ticket");
      const session = first.session!;
      assert.equal(session.hasTicket, true);
      assert.ok(session.timeout > 0);
      const cert = first.getPeerCert();
      const cipher = first.cipher();
      await first.close();

      const second = await connectLocal(port, ctx, { session });
      assert.equal(second.sessionReused, true);
      assert.deepEqual(second.cipher(), cipher);
      assert.deepEqual(second.getPeerCert(), cert, "the certificate comes from the session");
      assert.equal(second.getVerifiedChain().length, 3);
      await echoLine(second, "second\n");
      await second.close();

      const pem = session.toPem();
      assert.match(pem, /^-----BEGIN [A-Z ]+-----\n/);
      const restored = SSLSession.fromPem(pem);
      // A fresh context: nothing but the PEM text carries the session over.
      const third = await connectLocal(port, await clientContext(pki), { session: restored });
      assert.equal(third.sessionReused, true);
      await echoLine(third, "third\n");
      await third.close();
      assert.ok(ctx.sessionStats().hits >= 1);
    });
  });

  it("falls back to a full handshake when the server refuses the ticket", async () => {
    let session: SSLSession;
    await withServer([], async ({ port }) => {
      const first = await connectLocal(port, await clientContext(pki));
      await echoLine(first, "ticket\n");
      await eventually(() => first.session !== null, "a session ticket");
      session = first.session!;
      await first.close();
    });
    // A new s_server process has new ticket keys: the ticket cannot be decrypted.
    await withServer([], async ({ port }) => {
      const sock = await connectLocal(port, await clientContext(pki), { session });
      assert.equal(sock.sessionReused, false);
      assert.equal(commonName(sock.getPeerCert()), "localhost");
      await echoLine(sock, "full handshake\n");
      await sock.close();
    });
  });

  it("follows KeyUpdates from the server and sends its own, in both directions", async () => {
    const { port, peer } = await interactiveServer(["-msg"]);
    // With -msg, s_server prints every handshake message it sends (>>>) and receives (<<<).
    const sent = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate";
    const received = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate";
    const count = (s: string) => peer.stdout.split(s).length - 1;
    try {
      const sock = await connectLocal(port, await clientContext(pki));
      await waitForCount(peer, "CIPHER is", 1);
      let serverUpdates = 0;
      let clientUpdates = 0;
      for (let round = 1; round <= 3; round++) {
        // K: the server updates its keys and requests ours (RFC 8446 §4.6.3).
        peer.write("K\n");
        await waitForCount(peer, sent, ++serverUpdates);
        peer.write(`server line ${round} after K\n`);
        await readUntil(sock, `server line ${round} after K\n`);
        await sock.write(enc.encode(`client line ${round} after K\n`));
        await waitForCount(peer, `client line ${round} after K\n`, 1);
        // Our answering KeyUpdate (update_not_requested) reached the server first.
        assert.equal(count(received), ++clientUpdates, "the client answered the request");
        assert.ok(peer.stdout.includes("    18 00 00 01 00"), "answer is update_not_requested");

        // k: the server updates its keys only; we must not answer.
        peer.write("k\n");
        await waitForCount(peer, sent, ++serverUpdates);
        peer.write(`server line ${round} after k\n`);
        await readUntil(sock, `server line ${round} after k\n`);
        await sock.write(enc.encode(`client line ${round} after k\n`));
        await waitForCount(peer, `client line ${round} after k\n`, 1);
        assert.equal(count(received), clientUpdates, "no answer to update_not_requested");
      }
      // Our own KeyUpdate, requesting the server's: both directions move to new keys.
      await sock.keyUpdate(true);
      await sock.write(enc.encode("client line after our KeyUpdate\n"));
      await waitForCount(peer, "client line after our KeyUpdate\n", 1);
      assert.equal(count(received), ++clientUpdates);
      // OpenSSL sends the requested KeyUpdate with its next write.
      peer.write("server line after our KeyUpdate\n");
      await readUntil(sock, "server line after our KeyUpdate\n");
      await waitForCount(peer, sent, ++serverUpdates);
      await echoAfterUpdate(sock, peer);
      await sock.close();
    } finally {
      await peer.stop();
    }
  });

  it("presents a client certificate when the server requires one (-Verify 1)", async () => {
    await withServer(["-Verify", "1", "-CAfile", pki.caFile], async ({ port }) => {
      const ctx = await clientContext(pki);
      await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
      const sock = await connectLocal(port, ctx);
      // The server verified the certificate before it echoes anything.
      await echoLine(sock, "with a client certificate\n");
      await sock.close();
    });
  });

  it("reports the server's certificate_required alert when it has no certificate", async () => {
    await withServer(["-Verify", "1", "-CAfile", pki.caFile], async ({ port }) => {
      // TLS 1.3: the client's handshake completes before the server judges its (empty)
      // Certificate, so the alert surfaces on the first read.
      const sock = await connectLocal(port, await clientContext(pki));
      await sock.write(enc.encode("no certificate\n")).catch(() => {});
      await assert.rejects(
        sock.read(),
        (e: unknown) => e instanceof SSLError && e.reason === "TLSV13_ALERT_CERTIFICATE_REQUIRED",
      );
      await sock.close();
    });
  });

  it("sends the client certificate to a server that asks optionally (-verify 1)", async () => {
    const { port, peer } = await interactiveServer(["-verify", "1", "-CAfile", pki.caFile]);
    try {
      const ctx = await clientContext(pki);
      await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
      const sock = await connectLocal(port, ctx);
      await sock.write(enc.encode("hello\n"));
      await waitForCount(peer, "hello\n", 1);
      assert.match(peer.stdout, /^subject=CN = webtls test client$/m);
      assert.match(peer.stdout, /^Peer signature type: ECDSA$/m);
      await sock.close();
    } finally {
      await peer.stop();
    }
  });

  it("writes NSS key log lines equal to the server's, which decrypt the records", async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, "keylog-"));
    const ours = path.join(dir, "client.keys");
    const theirs = path.join(dir, "server.keys");
    await withServer(["-keylogfile", theirs], async ({ port }) => {
      const ctx = await clientContext(pki);
      ctx.setCiphersuites("TLS_AES_128_GCM_SHA256");
      ctx.keylogFilename = ours;
      const callbackLines: string[] = [];
      ctx.onKeylog = (line) => callbackLines.push(line);
      // Capture the bytes from the server to decrypt them with the logged secrets.
      const tcp = await tcpTransport(port);
      const captured: Uint8Array[] = [];
      const tapped: Transport = {
        readable: tcp.readable.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, c) {
              captured.push(chunk.slice());
              c.enqueue(chunk);
            },
          }),
        ),
        writable: tcp.writable,
        close: tcp.close,
      };
      const sock = await ctx.wrapSocket(tapped, { serverHostname: "localhost" });
      // OpenSSL starts its file with a "#" comment line, which NSS key logs allow.
      const read = (f: string) =>
        fs.existsSync(f)
          ? fs.readFileSync(f, "utf8").split("\n").filter((l) => l && !l.startsWith("#"))
          : [];
      // The lines are in the file by the time the handshake resolves (as with OpenSSL).
      assert.equal(read(ours).length, 5, "all key log lines written when the handshake ends");
      await echoLine(sock, "decrypt me\n");
      await sock.close();

      const labels = [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
      ];
      await eventually(() => read(theirs).length >= labels.length, "the server's key log");
      const lines = read(ours);
      for (const line of lines) {
        assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/, "NSS key log format");
      }
      assert.deepEqual(lines.map((l) => l.split(" ")[0]).sort(), [...labels].sort());
      assert.deepEqual([...lines].sort(), read(theirs).sort(), "same secrets as OpenSSL");
      assert.deepEqual(callbackLines, lines, "onKeylog saw the same lines, in order");

      const secrets = new Map(lines.map((l) => [l.split(" ")[0], l.split(" ")[2]]));
      const plain = await decryptServerRecords(
        concatBytes(captured),
        hex(secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET")!),
        hex(secrets.get("SERVER_TRAFFIC_SECRET_0")!),
      );
      // RFC 8446 §4: the first protected handshake message is EncryptedExtensions (8); the
      // application keys carry NewSessionTicket (4) and our echoed line.
      assert.equal(plain.handshake[0]?.[0], 8, "EncryptedExtensions under the handshake key");
      assert.ok(plain.application.some((r) => r.type === 22 && r.data[0] === 4), "a ticket");
      assert.ok(
        plain.application.some((r) => r.type === 23 && dec.decode(r.data) === "decrypt me\n"),
        "the echoed line decrypts with SERVER_TRAFFIC_SECRET_0",
      );
    });
  });

  it("runs the handshake through SSLObject and MemoryBIO, pumped by hand", async () => {
    await withServer([], async ({ port }) => {
      const ctx = await clientContext(pki);
      const incoming = new MemoryBIO();
      const outgoing = new MemoryBIO();
      const obj = ctx.wrapBio(incoming, outgoing, { serverHostname: "localhost" });
      const tcp = await tcpTransport(port);
      const reader = tcp.readable.getReader();
      const writer = tcp.writable.getWriter();
      const flush = async () => {
        if (outgoing.pending) await writer.write(outgoing.read());
      };
      const receive = async () => {
        const { done, value } = await reader.read();
        if (done) incoming.writeEof();
        else incoming.write(value);
      };
      let wants = 0;
      for (;;) {
        try {
          await obj.doHandshake();
          break;
        } catch (e) {
          if (!(e instanceof SSLWantReadError)) throw e;
          wants++;
          await flush();
          await receive();
        }
      }
      await flush();
      assert.ok(wants >= 1, "doHandshake() raised SSLWantReadError before completing");
      assert.equal(obj.version(), "TLSv1.3");
      assert.equal(commonName(obj.getPeerCert()), "localhost");
      assert.equal(obj.getVerifiedChain().length, 3);

      await obj.write(enc.encode("through memory BIOs\n"));
      await flush();
      let text = "";
      while (!text.includes("through memory BIOs\n")) {
        try {
          text += dec.decode(await obj.read(4096));
        } catch (e) {
          if (!(e instanceof SSLWantReadError)) throw e;
          await receive();
        }
      }
      assert.equal(text, "through memory BIOs\n");

      // unwrap(): our close_notify out, the server's back (s_server shuts down on ours).
      for (;;) {
        try {
          await obj.unwrap();
          break;
        } catch (e) {
          if (!(e instanceof SSLWantReadError)) throw e;
          await flush();
          await receive();
        }
      }
      await flush();
      reader.releaseLock();
      writer.releaseLock();
      tcp.close();
    });
  });

  it("unwrap() exchanges close_notify with s_server and returns the transport", async () => {
    await withServer([], async ({ port }) => {
      const sock = await connectLocal(port, await clientContext(pki));
      await echoLine(sock, "before unwrap\n");
      const transport = await sock.unwrap();
      // s_server answers close_notify with its own and closes the TCP connection.
      const reader = transport.readable.getReader();
      const { done } = await reader.read();
      assert.equal(done, true, "nothing but EOF after the server's close_notify");
      reader.releaseLock();
      await transport.close?.();
      await assert.rejects(sock.write(enc.encode("x")), SSLError);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Independent record decryption (RFC 8446 §7.1 HKDF-Expand-Label, §7.3 keys, §5.2 records),
// written here with WebCrypto directly so that it shares no code with the library.

function hex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** HKDF-Expand-Label(secret, label, "", length) for SHA-256, length ≤ 32 (one HMAC block). */
async function expandLabel(secret: Uint8Array, label: string, length: number): Promise<Uint8Array> {
  const full = enc.encode(`tls13 ${label}`);
  const info = new Uint8Array([length >> 8, length & 0xff, full.length, ...full, 0, 1]);
  const key = await crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, info)).subarray(0, length);
}

interface RecordKey {
  key: CryptoKey;
  iv: Uint8Array;
  seq: number;
}

async function recordKey(secret: Uint8Array): Promise<RecordKey> {
  const raw = await expandLabel(secret, "key", 16);
  const key = await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    "AES-GCM",
    false,
    ["decrypt"],
  );
  return { key, iv: await expandLabel(secret, "iv", 12), seq: 0 };
}

async function open(
  k: RecordKey,
  header: Uint8Array,
  body: Uint8Array,
): Promise<{ type: number; data: Uint8Array } | undefined> {
  const nonce = k.iv.slice();
  for (let i = 0, s = k.seq; i < 8; i++, s = Math.floor(s / 256)) nonce[11 - i] ^= s & 0xff;
  try {
    const plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: nonce, additionalData: header as Uint8Array<ArrayBuffer> },
        k.key,
        body as Uint8Array<ArrayBuffer>,
      ),
    );
    k.seq++;
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    return { type: plain[end], data: plain.subarray(0, end) };
  } catch {
    return undefined;
  }
}

/** Decrypts the server's protected records: first under the handshake key, then the app key. */
async function decryptServerRecords(
  wire: Uint8Array,
  handshakeSecret: Uint8Array,
  appSecret: Uint8Array,
): Promise<{ handshake: Uint8Array[]; application: Array<{ type: number; data: Uint8Array }> }> {
  const hs = await recordKey(handshakeSecret);
  const app = await recordKey(appSecret);
  const handshake: Uint8Array[] = [];
  const application: Array<{ type: number; data: Uint8Array }> = [];
  let inApp = false;
  for (let off = 0; off + 5 <= wire.length;) {
    const len = (wire[off + 3] << 8) | wire[off + 4];
    const header = wire.subarray(off, off + 5);
    const body = wire.subarray(off + 5, off + 5 + len);
    off += 5 + len;
    if (header[0] !== 23) continue; // ServerHello, compatibility CCS
    if (!inApp) {
      const r = await open(hs, header, body);
      if (r) {
        handshake.push(r.data);
        continue;
      }
      inApp = true;
    }
    const r = await open(app, header, body);
    assert.ok(r, `server record ${app.seq} does not decrypt under SERVER_TRAFFIC_SECRET_0`);
    application.push(r);
  }
  return { handshake, application };
}
