// webtls's TLS 1.3 client against `gnutls-serv` (GnuTLS 3.7) with a TLS 1.3-only priority:
// verification of every leaf type, getPeerCert() fields, a HelloRetryRequest, 16 MiB echoed
// each way, KeyUpdate requested by the server, client certificates in the handshake and
// after it (post-handshake authentication).
//
// `gnutls-serv --echo` handles data as C strings (a NUL byte truncates it) and treats lines
// starting with `**` as commands, so the bulk echo sends 16 MiB of printable ASCII lines
// (64 characters and a newline, never starting with `*`) and checks length and SHA-256 of
// what comes back. The server never closes an echo connection, so reads stop at 16 MiB.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { TLSVersion } from "../../mod.ts";
import { protectedRecordSizes, startMitm } from "../hostile/_mitm.ts";
import { makePki, type Pki, startGnutlsServer, stopAllPeers } from "./_peers.ts";
import {
  assertEchoed,
  BULK,
  clientContext,
  commonName,
  connectLocal,
  echoReadWrite,
  eventually,
  logThroughput,
  payload,
  readUntil,
  sha256,
} from "./_client.ts";

const TIMEOUT = 120_000;
const TLS13_ONLY = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
const enc = new TextEncoder();

let pki: Pki;

before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

describe("webtls client against gnutls-serv", { timeout: TIMEOUT }, () => {
  it("verifies the server and echoes 16 MiB of text lines each way", async () => {
    const srv = await startGnutlsServer(pki, ["--priority", TLS13_ONLY], { echo: true });
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      assert.equal(sock.version(), "TLSv1.3");
      assert.equal(sock.group(), "x25519");
      const cert = sock.getPeerCert() as Record<string, unknown>;
      assert.deepEqual(cert.subject, [[["commonName", "localhost"]]]);
      assert.deepEqual(cert.issuer, [[["commonName", "webtls Test Intermediate CA"]]]);
      assert.deepEqual(cert.subjectAltName, [["DNS", "localhost"], ["IP Address", "127.0.0.1"]]);
      assert.equal(sock.getVerifiedChain().length, 3);
      const data = payload(BULK, 15, true);
      const echo = await echoReadWrite(sock, data);
      await assertEchoed(data, echo);
      logThroughput("gnutls-serv --echo (text), read()/write()", echo);
      await sock.close();
    } finally {
      await srv.peer.stop();
    }
  });

  for (const leaf of ["ecdsaP384", "rsa2048", "ed25519"] as const) {
    it(`verifies a ${leaf} leaf served by GnuTLS`, async () => {
      const srv = await startGnutlsServer(pki, ["--priority", TLS13_ONLY], { echo: true, leaf });
      try {
        const sock = await connectLocal(srv.port, await clientContext(pki));
        assert.equal(commonName(sock.getPeerCert()), "localhost");
        await sock.write(enc.encode(`${leaf}\n`));
        assert.equal(await readUntil(sock, `${leaf}\n`), `${leaf}\n`);
        await sock.close();
      } finally {
        await srv.peer.stop();
      }
    });
  }

  it("completes a HelloRetryRequest when GnuTLS accepts only P-384", async () => {
    const srv = await startGnutlsServer(pki, [
      "--priority",
      `${TLS13_ONLY}:-GROUP-ALL:+GROUP-SECP384R1`,
    ], { echo: true });
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      assert.equal(sock.helloRetryRequest, true);
      assert.equal(sock.group(), "secp384r1");
      await sock.write(enc.encode("after HRR\n"));
      assert.equal(await readUntil(sock, "after HRR\n"), "after HRR\n");
      await sock.close();
    } finally {
      await srv.peer.stop();
    }
  });

  it("answers the server's KeyUpdate requests and keeps both directions working", async () => {
    // -d 4 makes GnuTLS log key updates sent and received on stderr.
    const srv = await startGnutlsServer(pki, ["--priority", TLS13_ONLY, "-d", "4"], {
      echo: true,
    });
    const ours = "received TLS 1.3 key update (0)";
    const theirs = "sending key update (1)";
    const count = (s: string) => srv.peer.stderr.split(s).length - 1;
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      for (let round = 1; round <= 3; round++) {
        // Under TLS 1.3, gnutls_rehandshake() sends KeyUpdate(update_requested).
        await sock.write(enc.encode("**REHANDSHAKE**\n"));
        await readUntil(sock, "Successfully executed command\n");
        await eventually(() => count(theirs) === round, `KeyUpdate ${round} logged by GnuTLS`);
        const line = `line ${round} after the server's KeyUpdate\n`;
        await sock.write(enc.encode(line));
        assert.equal(await readUntil(sock, line), line);
        // Our KeyUpdate(update_not_requested) answer reached the server.
        await eventually(() => count(ours) === round, `answer ${round} logged by GnuTLS`);
      }
      await sock.close();
    } finally {
      await srv.peer.stop();
    }
  });

  it("keeps a bulk echo intact while the server updates its keys again and again", async () => {
    const srv = await startGnutlsServer(pki, ["--priority", TLS13_ONLY, "-d", "4"], {
      echo: true,
    });
    try {
      const sock = await connectLocal(srv.port, await clientContext(pki));
      // 4 MiB of text in 64 KiB writes, with **REHANDSHAKE** in a record of its own after every
      // 640 KiB (GnuTLS refuses more than 8 KeyUpdates a second): GnuTLS answers each with a
      // KeyUpdate(update_requested) and a status line, and sends the echo that follows under
      // its new keys, so records under old and new keys arrive back to back (RFC 8446 §4.6.3).
      const chunk = 65536;
      const data = payload(4 << 20, 16, true);
      const command = enc.encode("**REHANDSHAKE**\n");
      const answer = enc.encode("Successfully executed command\n");
      const expected: Uint8Array[] = [];
      let updates = 0;
      const writing = (async () => {
        for (let off = 0; off < data.byteLength; off += chunk) {
          await sock.write(data.subarray(off, off + chunk));
          expected.push(data.subarray(off, off + chunk));
          if ((off / chunk) % 10 === 9) {
            await sock.write(command);
            expected.push(answer);
            updates++;
          }
        }
      })();
      const total = data.byteLength + 6 * answer.byteLength;
      const received = new Uint8Array(total);
      let got = 0;
      while (got < total) {
        const piece = await sock.read(total - got);
        assert.ok(piece.byteLength > 0, `connection ended after ${got} of ${total} bytes`);
        received.set(piece, got);
        got += piece.byteLength;
      }
      await writing;
      assert.equal(updates, 6);
      const want = new Uint8Array(total);
      let off = 0;
      for (const part of expected) {
        want.set(part, off);
        off += part.byteLength;
      }
      assert.equal(await sha256(received), await sha256(want), "echo intact across KeyUpdates");
      await eventually(
        () => srv.peer.stderr.split("received TLS 1.3 key update (0)").length - 1 === updates,
        "every KeyUpdate answered",
      );
      await sock.close();
    } finally {
      await srv.peer.stop();
    }
  });

  it("sends a client certificate the server requires in the handshake", async () => {
    const srv = await startGnutlsServer(pki, [
      "--priority",
      TLS13_ONLY,
      "--x509cafile",
      pki.caFile,
      "--require-client-cert",
      "--verify-client-cert",
    ], { echo: true });
    try {
      const ctx = await clientContext(pki);
      await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
      const sock = await connectLocal(srv.port, ctx);
      await sock.write(enc.encode("mtls\n"));
      assert.equal(await readUntil(sock, "mtls\n"), "mtls\n");
      await sock.close();
      // gnutls-serv's report reaches us on its own schedule, maybe after the echo.
      await srv.peer.waitFor(/Subject: CN=webtls test client/);
      await srv.peer.waitFor(/Client Signature: ECDSA-SECP256R1-SHA256/);
    } finally {
      await srv.peer.stop();
    }
  });

  it("authenticates after the handshake when the server asks (post_handshake_auth)", async () => {
    // -d 4 logs every handshake message GnuTLS receives.
    const srv = await startGnutlsServer(pki, [
      "--priority",
      TLS13_ONLY,
      "--x509cafile",
      pki.caFile,
      "--verify-client-cert",
      "-d",
      "4",
    ], { echo: true });
    try {
      const ctx = await clientContext(pki);
      ctx.postHandshakeAuth = true;
      await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
      const sock = await connectLocal(srv.port, ctx);
      await sock.write(enc.encode("before\n"));
      await readUntil(sock, "before\n");
      const mark = srv.peer.stderr.length;
      // **REAUTH** makes gnutls-serv send a CertificateRequest (RFC 8446 §4.6.2) and wait for
      // the answer before anything else: the read processes the request and sends it. The
      // command succeeds only once Certificate, CertificateVerify and Finished verified.
      await sock.write(enc.encode("**REAUTH**\n"));
      await readUntil(sock, "Successfully executed command\n");
      const log = srv.peer.stderr.slice(mark);
      assert.match(log, /Sending re-auth request/);
      for (const msg of ["CERTIFICATE (11)", "CERTIFICATE VERIFY (15)", "FINISHED (20)"]) {
        assert.ok(log.includes(`${msg} was received`), `GnuTLS received ${msg} after REAUTH`);
      }
      assert.doesNotMatch(log, /reauth:/, "gnutls_reauth() reported no error");
      await sock.write(enc.encode("after\n"));
      assert.equal(await readUntil(sock, "after\n"), "after\n");
      await sock.close();
    } finally {
      await srv.peer.stop();
    }
  });

  // RFC 8449 §4, seen on the wire through a recording proxy (GnuTLS takes larger records than
  // it asks for): gnutls-serv --recordsize 512 asks for 513 in TLS 1.3 (the content type
  // counts) and 512 in TLS 1.2; a protected record adds the tag, in TLS 1.2 also the nonce.
  for (
    const [version, priority, limit, overhead] of [
      ["1.3", TLS13_ONLY, 513, 16],
      ["1.2", "NORMAL:-VERS-ALL:+VERS-TLS1.2", 512, 8 + 16],
    ] as const
  ) {
    it(`keeps its records within gnutls-serv's record_size_limit (TLS ${version})`, async () => {
      const srv = await startGnutlsServer(pki, ["--priority", priority, "--recordsize", "512"], {
        echo: true,
      });
      const mitm = await startMitm({ upstreamPort: srv.port });
      try {
        // Offering both versions: the record_size_limit sent is TLS 1.3's 2^14+1.
        const ctx = await clientContext(pki);
        ctx.minimumVersion = TLSVersion.TLSv1_2;
        const sock = await connectLocal(mitm.port, ctx);
        assert.equal(sock.version(), `TLSv${version}`);
        const line = `${"0123456789".repeat(2000)}\n`;
        await sock.write(enc.encode(line));
        assert.equal(await readUntil(sock, line), line);
        await sock.close();
        const conn = await mitm.connection(0);
        const sizes = protectedRecordSizes(conn.fromClient);
        assert.ok(sizes.length > line.length / limit, `${sizes.length} records`);
        assert.ok(Math.max(...sizes) <= limit + overhead, `records of ${Math.max(...sizes)} bytes`);
      } finally {
        await mitm.close();
      }
    });
  }
});
