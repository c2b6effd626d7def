// webtls's TLS 1.3 server against `gnutls-cli` (GnuTLS 3.7): certificate types, groups, ALPN,
// client certificates, resumption and KeyUpdate (gnutls-cli's ^rekey^ inline commands).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CERT_REQUIRED, type SSLSocket } from "../../mod.ts";
import { concat } from "../../src/_bytes.ts";
import { ExtensionType } from "../../src/constants.ts";
import { decodeClientHello } from "../../src/messages/client_hello.ts";
import { findExtension } from "../../src/messages/extensions.ts";
import { protectedRecordSizes, splitRecords, startMitm } from "../hostile/_mitm.ts";
import { type LeafName, makePki, type Pki, requireTool, runPeer, stopAllPeers } from "./_peers.ts";
import {
  readLine,
  startWebtlsServer,
  streamEcho,
  type WebtlsServer,
  writeText,
} from "./_webtls_server.ts";

const TIMEOUT = 60_000;
const TLS13 = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
const TLS12 = "NORMAL:-VERS-ALL:+VERS-TLS1.2";

let pki: Pki;
const servers: WebtlsServer[] = [];

async function server(opts: Parameters<typeof startWebtlsServer>[1] = {}): Promise<WebtlsServer> {
  const s = await startWebtlsServer(pki, opts);
  servers.push(s);
  return s;
}

/**
 * Runs gnutls-cli against 127.0.0.1:port as `localhost` (SNI and verified name), sends stdin
 * and waits for it to finish (it sends close_notify at EOF of stdin and waits for the peer's).
 */
async function gnutlsCli(
  port: number,
  extra: string[] = [],
  stdin = "hello\n",
): Promise<{ out: string; code: number | null }> {
  const cli = requireTool("gnutls-cli", "apt-get install -y gnutls-bin");
  const r = await runPeer(cli, [
    "-p",
    String(port),
    "--x509cafile",
    pki.caFile,
    "--sni-hostname",
    "localhost",
    "--verify-hostname",
    "localhost",
    "--priority",
    TLS13,
    ...extra,
    "127.0.0.1",
  ], { stdin, timeoutMs: 30_000 });
  return { out: r.stdout + r.stderr, code: r.code };
}

function commonName(sock: SSLSocket): string | undefined {
  const cert = sock.getPeerCert();
  if (!cert || !("subject" in cert)) return undefined;
  return cert.subject.flat().find(([k]) => k === "commonName")?.[1];
}

describe("webtls server vs gnutls-cli", { timeout: 300_000 }, () => {
  before(async () => {
    pki = await makePki();
  });
  after(async () => {
    for (const s of servers) await s.close();
    await stopAllPeers();
  });

  const leaves: Array<[LeafName, string]> = [
    ["ecdsaP256", "(ECDSA-SECP256R1-SHA256)"],
    ["ecdsaP384", "(ECDSA-SECP384R1-SHA384)"],
    ["rsa2048", "(RSA-PSS-RSAE-SHA256)"],
    ["ed25519", "(EdDSA-Ed25519)"],
  ];
  for (const [leaf, sig] of leaves) {
    it(`authenticates with a ${leaf} certificate`, { timeout: TIMEOUT }, async () => {
      const s = await server({ leaf });
      const r = await gnutlsCli(s.port);
      assert.match(r.out, /The certificate is trusted/);
      assert.ok(r.out.includes(`(TLS1.3-X.509)-(ECDHE-X25519)-${sig}-(AES-256-GCM)`), r.out);
      assert.match(r.out, /echo: hello/);
      assert.equal(r.code, 0);
    });
  }

  for (
    const [group, shown] of [["SECP256R1", "ECDHE-SECP256R1"], ["SECP384R1", "ECDHE-SECP384R1"]]
  ) {
    it(`agrees on ${group}`, { timeout: TIMEOUT }, async () => {
      const s = await server();
      const r = await gnutlsCli(s.port, ["--priority", `${TLS13}:-GROUP-ALL:+GROUP-${group}`]);
      assert.ok(r.out.includes(`(${shown})`), r.out);
      assert.match(r.out, /echo: hello/);
    });
  }

  it("negotiates ALPN", { timeout: TIMEOUT }, async () => {
    const s = await server({ configure: (ctx) => ctx.setAlpnProtocols(["h2", "http/1.1"]) });
    const r = await gnutlsCli(s.port, ["--alpn", "http/1.1"]);
    assert.match(r.out, /Application protocol: http\/1\.1/);
    assert.match(r.out, /echo: hello/);
  });

  it("verifies a client certificate (--x509certfile/--x509keyfile)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({
      trustClientCa: true,
      configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
    });
    const r = await gnutlsCli(s.port, [
      "--x509certfile",
      pki.leaves.client.chainFile,
      "--x509keyfile",
      pki.leaves.client.keyFile,
    ]);
    assert.match(r.out, /echo: hello/);
    assert.equal(commonName(await s.waitAccepted(1)), "webtls test client");
    // Without a certificate the handshake fails with certificate_required.
    const refused = await gnutlsCli(s.port, []);
    assert.doesNotMatch(refused.out, /echo: hello/);
    assert.match(refused.out, /Received alert \[116\]: Certificate is required/);
    await s.waitHandshakeErrors(1);
  });

  it("resumes a session (--resume)", { timeout: TIMEOUT }, async () => {
    const s = await server();
    // --waitresumption: wait for our NewSessionTicket before the first connection ends, or a
    // quick disconnect races it (RFC 8446 §4.6.1 tickets follow the handshake).
    const r = await gnutlsCli(s.port, ["--resume", "--waitresumption"]);
    assert.match(r.out, /This is a resumed session/);
    assert.match(r.out, /echo: hello/);
    const resumed = await s.waitAccepted(2);
    assert.equal(resumed.sessionReused, true);
    // A resumption still runs an (EC)DHE exchange: psk_dhe_ke only (RFC 8446 §4.2.9).
    assert.equal(resumed.group(), "x25519");
    await s.handlersDone();
    const stats = s.context.sessionStats();
    assert.deepEqual([stats.accept_good, stats.hits, stats.misses], [2, 1, 0]);
  });

  // RFC 8449 §4: GnuTLS accepts larger records than it asks for, so what our server sent is
  // read off the wire by a recording proxy. The limit counts the plaintext (in TLS 1.3 with its
  // content type: GnuTLS asks for 513 there); a protected record adds the AEAD tag, and in
  // TLS 1.2 the explicit nonce.
  for (
    const [version, priority, overhead] of [["1.3", TLS13, 16], ["1.2", TLS12, 8 + 16]] as const
  ) {
    it(
      `keeps its records within gnutls-cli's record_size_limit (--recordsize 512, TLS ${version})`,
      {
        timeout: TIMEOUT,
      },
      async () => {
        const answer = "0123456789".repeat(2000);
        const s = await server({
          handler: async (sock) => {
            await readLine(sock);
            await writeText(sock, `${answer}\n`);
            await sock.close();
          },
        });
        const mitm = await startMitm({ upstreamPort: s.port });
        try {
          const r = await gnutlsCli(mitm.port, ["--priority", priority, "--recordsize", "512"]);
          assert.ok(r.out.includes(answer), r.out.slice(-2000));
          const conn = await mitm.connection(0);
          const hello = splitRecords(concat(...conn.fromClient))[0].body;
          const rsl = findExtension(
            decodeClientHello(hello.subarray(4)).extensions,
            ExtensionType.record_size_limit,
          )!;
          const limit = (rsl.data[0] << 8) | rsl.data[1];
          assert.ok(limit <= 513, `gnutls-cli asks for ${limit}`);
          const sizes = protectedRecordSizes(conn.fromServer);
          assert.ok(sizes.length > answer.length / limit, `${sizes.length} records`);
          assert.ok(
            Math.max(...sizes) <= limit + overhead,
            `records of ${Math.max(...sizes)} bytes`,
          );
        } finally {
          await mitm.close();
        }
        await s.handlersDone();
        assert.deepEqual(s.handlerErrors, []);
      },
    );
  }

  it("follows gnutls-cli's KeyUpdates (^rekey^ asks us to update too)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await server({ handler: streamEcho });
    const r = await gnutlsCli(
      s.port,
      ["--inline-commands"],
      "one\n^rekey^\ntwo\n^rekey1^\nthree\n",
    );
    assert.equal(r.out.split("Rekey was completed").length - 1, 2, r.out);
    for (const word of ["one", "two", "three"]) assert.match(r.out, new RegExp(`^${word}$`, "m"));
    await s.handlersDone();
    assert.deepEqual(s.handlerErrors, []);
  });
});
