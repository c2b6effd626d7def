// webtls's client, offering TLS 1.2 and 1.3 as `createDefaultContext` does, against servers
// that speak TLS 1.2 only: `openssl s_server -tls1_2`, `gnutls-serv` with
// NORMAL:-VERS-ALL:+VERS-TLS1.2, Python `ssl` with maximum_version=TLSv1_2, node:tls with
// maxVersion "TLSv1.2" and Bun. Each suite, each group, ECDSA and RSA certificates (and which
// signature scheme each server signs its ServerKeyExchange with), resumption by ticket and by
// session ID, client certificates, the extended master secret, a refused renegotiation, the
// key log against openssl's, tls-unique against Python's and GnuTLS's, exporters against
// openssl's and GnuTLS's.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { OP_NO_TICKET, SignatureScheme, SSLError, SSLSession } from "../../mod.ts";
import {
  currentRuntime,
  type LeafName,
  makePki,
  type Pki,
  startBunServer,
  startNodeServer,
  stopAllPeers,
} from "./_peers.ts";
import {
  clientContext12,
  clientRandomLines,
  connect12,
  echoLine,
  enc,
  GNUTLS12,
  gnutlsFacts,
  gnutlsServer,
  GROUPS12,
  hex,
  opensslKeyingMaterial,
  opensslServer,
  pythonServers,
  readKeylogFile,
  readText,
  recorder,
  serverHelloExtensionTypes,
  serverKeyExchangeScheme,
  SUITES12,
  until,
} from "./_tls12.ts";

const TIMEOUT = 120_000;
const EMS = 0x0017;
const RENEGOTIATION_INFO = 0xff01;

let pki: Pki;
before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

const kinds: Array<{ kind: "ecdsa" | "rsa"; leaf: LeafName }> = [
  { kind: "ecdsa", leaf: "ecdsaP256" },
  { kind: "rsa", leaf: "rsa2048" },
];

/** Bits of secret of a suite name, as `cipher()` reports them. */
function bits(suite: string): number {
  return suite.includes("AES128") ? 128 : 256;
}

describe(`webtls client reaches TLS 1.2-only servers (${currentRuntime()})`, {
  timeout: 600_000,
}, () => {
  // The server picks the group. With TLS 1.2, supported_groups also limits the curve of an
  // ECDSA certificate (RFC 8422 §5.3): a client offering only X25519 cannot reach a P-256
  // certificate, OpenSSL's own client no more than webtls.
  for (const { kind, leaf } of kinds) {
    for (const suite of SUITES12[kind]) {
      it(`openssl s_server -tls1_2 -cipher ${suite}: each group`, {
        timeout: TIMEOUT,
      }, async () => {
        for (const g of GROUPS12) {
          const srv = await opensslServer(pki, ["-cipher", suite, "-groups", g.openssl], { leaf });
          try {
            const { ctx } = await clientContext12(pki);
            const sock = await connect12(srv.port, ctx);
            assert.equal(sock.version(), "TLSv1.2");
            assert.deepEqual(sock.cipher(), [suite, "TLSv1.2", bits(suite)]);
            assert.equal(sock.group(), g.printed);
            await sock.write(enc.encode(`${g.name} ${suite}\n`));
            await srv.peer.waitFor(`${g.name} ${suite}\n`);
            srv.peer.write(`back ${g.name}\n`);
            await readText(sock, `back ${g.name}\n`);
            await sock.close();
            assert.match(srv.peer.stdout, new RegExp(`CIPHER is ${suite}`));
          } finally {
            await srv.peer.stop();
          }
        }
      });
    }
  }

  for (const { kind, leaf } of kinds) {
    for (const suite of SUITES12[kind]) {
      const cipher = suite.includes("AES128") ? "AES-128-GCM" : "AES-256-GCM";
      it(`gnutls-serv TLS 1.2 ${cipher} with ${leaf}: each group, tls-unique, tls-exporter`, {
        timeout: TIMEOUT,
      }, async () => {
        for (const g of GROUPS12) {
          const srv = await gnutlsServer(
            pki,
            `${GNUTLS12}:-CIPHER-ALL:+${cipher}:-GROUP-ALL:+${g.gnutls}`,
            { leaf },
          );
          try {
            const { ctx } = await clientContext12(pki);
            const sock = await connect12(srv.port, ctx);
            assert.equal(sock.version(), "TLSv1.2");
            assert.equal(sock.cipher()?.[0], suite);
            assert.equal(sock.group(), g.printed);
            await echoLine(sock, `gnutls ${g.name}\n`);
            await until(
              () => gnutlsFacts(srv.peer.stdout).tlsExporter !== undefined,
              () => srv.peer.stdout,
            );
            const facts = gnutlsFacts(srv.peer.stdout);
            assert.match(facts.description!, /^\(TLS1\.2-X\.509\)/);
            assert.match(facts.options!, /extended master secret/);
            assert.equal(hex(await sock.getChannelBinding("tls-unique")), facts.tlsUnique);
            assert.equal(hex(await sock.getChannelBinding("tls-exporter")), facts.tlsExporter);
            await sock.close();
          } finally {
            await srv.peer.stop();
          }
        }
      });
    }
  }

  for (const { kind, leaf } of kinds) {
    it(`Python ssl (maximum_version=TLSv1_2) with ${leaf}: suites, groups, tls-unique`, {
      timeout: TIMEOUT,
    }, async () => {
      const name = (suite: string, group: string) => `${suite} ${group}`;
      const py = await pythonServers(
        pki,
        SUITES12[kind].flatMap((suite) =>
          GROUPS12.map((g) => ({
            name: name(suite, g.name),
            maximumVersion: "TLSv1_2",
            ciphers: suite,
            ecdhCurve: g.python,
          }))
        ),
        leaf,
      );
      try {
        let seen = 0;
        for (const suite of SUITES12[kind]) {
          for (const g of GROUPS12) {
            const { ctx } = await clientContext12(pki);
            const sock = await connect12(py.ports[name(suite, g.name)], ctx);
            assert.deepEqual(sock.cipher(), [suite, "TLSv1.2", bits(suite)]);
            assert.equal(sock.group(), g.printed);
            await echoLine(sock, `python ${suite} ${g.name}\n`);
            seen++;
            await until(() => py.events().length >= seen, () => py.peer.stdout);
            const ev = py.events()[seen - 1];
            assert.equal(ev.event, "handshake", String(ev.error));
            assert.equal(ev.version, "TLSv1.2");
            assert.equal(ev.cipher, suite);
            // RFC 5929 §3.1: both ends see the same first Finished.
            const unique = await sock.getChannelBinding("tls-unique");
            assert.equal(unique?.byteLength, 12);
            assert.equal(hex(unique), ev.tlsUnique);
            await sock.close();
          }
        }
      } finally {
        await py.peer.stop();
      }
    });
  }

  for (const { kind, leaf } of kinds) {
    it(`node:tls (maxVersion TLSv1.2) with ${leaf}: each suite`, { timeout: TIMEOUT }, async () => {
      for (const suite of SUITES12[kind]) {
        const srv = await startNodeServer(pki, { leaf, maxVersion: "TLSv1.2", ciphers: suite });
        try {
          const { ctx } = await clientContext12(pki);
          const sock = await connect12(srv.port, ctx);
          assert.deepEqual(sock.cipher(), [suite, "TLSv1.2", bits(suite)]);
          await echoLine(sock, `node ${suite}\n`);
          await sock.close();
        } finally {
          await srv.peer.stop();
        }
      }
    });
  }

  it("Bun (TLS 1.3 disabled): each suite and group", { timeout: TIMEOUT }, async () => {
    for (const { kind, leaf } of kinds) {
      const srv = await startBunServer(pki, { leaf, maxVersion: "TLSv1.2" });
      try {
        for (const suite of SUITES12[kind]) {
          // bun_server.ts cannot restrict its groups: the client offers one at a time, and
          // P-256 too for the ECDSA P-256 certificate (RFC 8422 §5.3).
          for (const g of GROUPS12) {
            const { ctx } = await clientContext12(pki);
            ctx.setCiphers(suite);
            ctx.setGroups(kind === "rsa" ? [g.name] : [...new Set([g.name, "P-256"])]);
            const sock = await connect12(srv.port, ctx);
            assert.deepEqual(sock.cipher(), [suite, "TLSv1.2", bits(suite)]);
            if (kind === "rsa") assert.equal(sock.group(), g.printed);
            await echoLine(sock, `bun ${suite} ${g.name}\n`);
            await sock.close();
          }
        }
      } finally {
        await srv.peer.stop();
      }
    }
  });
});

describe(`which signature scheme each TLS 1.2 server picks for webtls (${currentRuntime()})`, {
  timeout: 300_000,
}, () => {
  const S = SignatureScheme;
  // What each server signs its ServerKeyExchange with, read off the wire. webtls offers
  // ECDSA, Ed25519, RSA-PSS (pss, then rsae) and PKCS#1 in that order (as OpenSSL does).
  const cases: Array<{
    peer: string;
    leaf: LeafName;
    start: () => Promise<{ port: number; peer: { stop(): Promise<unknown> } }>;
    expect: number;
  }> = [
    {
      peer: "openssl",
      leaf: "ecdsaP256",
      start: () => opensslServer(pki, [], { leaf: "ecdsaP256" }),
      expect: S.ecdsa_secp256r1_sha256,
    },
    {
      peer: "openssl",
      leaf: "ecdsaP384",
      start: () => opensslServer(pki, [], { leaf: "ecdsaP384" }),
      // TLS 1.2 does not bind the curve to the hash: the client's first ECDSA scheme.
      expect: S.ecdsa_secp256r1_sha256,
    },
    {
      peer: "openssl",
      leaf: "rsa2048",
      start: () => opensslServer(pki, [], { leaf: "rsa2048" }),
      expect: S.rsa_pss_rsae_sha256,
    },
    {
      peer: "openssl -sigalgs RSA+SHA256",
      leaf: "rsa2048",
      start: () => opensslServer(pki, ["-sigalgs", "RSA+SHA256"], { leaf: "rsa2048" }),
      expect: S.rsa_pkcs1_sha256,
    },
    {
      peer: "gnutls-serv",
      leaf: "rsa2048",
      start: () => gnutlsServer(pki, GNUTLS12, { leaf: "rsa2048" }),
      expect: S.rsa_pss_rsae_sha256,
    },
    {
      peer: "gnutls-serv",
      leaf: "ecdsaP256",
      start: () => gnutlsServer(pki, GNUTLS12, { leaf: "ecdsaP256" }),
      expect: S.ecdsa_secp256r1_sha256,
    },
    {
      peer: "node:tls",
      leaf: "rsa2048",
      start: () => startNodeServer(pki, { leaf: "rsa2048", maxVersion: "TLSv1.2" }),
      expect: S.rsa_pss_rsae_sha256,
    },
    {
      peer: "Bun",
      leaf: "rsa2048",
      start: () => startBunServer(pki, { leaf: "rsa2048", maxVersion: "TLSv1.2" }),
      expect: S.rsa_pss_rsae_sha256,
    },
    {
      peer: "Bun",
      leaf: "ecdsaP384",
      start: () => startBunServer(pki, { leaf: "ecdsaP384", maxVersion: "TLSv1.2" }),
      expect: S.ecdsa_secp256r1_sha256,
    },
  ];
  for (const c of cases) {
    it(`${c.peer} with ${c.leaf} signs with ${SignatureScheme[c.expect]}`, {
      timeout: TIMEOUT,
    }, async () => {
      const srv = await c.start();
      const proxy = await recorder(srv.port);
      try {
        const { ctx } = await clientContext12(pki);
        const sock = await connect12(proxy.port, ctx);
        assert.equal(sock.version(), "TLSv1.2");
        await sock.close();
        const scheme = serverKeyExchangeScheme(proxy.connections[0].fromServer);
        assert.equal(SignatureScheme[scheme!] ?? scheme, SignatureScheme[c.expect]);
      } finally {
        await proxy.close();
        await srv.peer.stop();
      }
    });
  }
});

describe(`webtls client: TLS 1.2 sessions, certificates and secrets (${currentRuntime()})`, {
  timeout: 600_000,
}, () => {
  for (const mode of ["ticket", "session ID"] as const) {
    it(`resumes with openssl s_server -tls1_2 by ${mode}`, { timeout: TIMEOUT }, async () => {
      const srv = await opensslServer(pki, mode === "ticket" ? [] : ["-no_ticket"]);
      try {
        const { ctx } = await clientContext12(pki);
        const first = await connect12(srv.port, ctx);
        assert.equal(first.sessionReused, false);
        const session = first.session;
        assert.ok(session, "a TLS 1.2 session is available right after the handshake");
        assert.equal(session.version, "TLSv1.2");
        assert.equal(session.hasTicket, mode === "ticket");
        await first.close();
        // A session exported and imported again resumes just as well.
        for (const s of [session, SSLSession.fromPem(session.toPem())]) {
          const again = await connect12(srv.port, ctx, s);
          assert.equal(again.sessionReused, true);
          assert.equal(again.version(), "TLSv1.2");
          assert.equal(again.group(), null, "no key exchange in an abbreviated handshake");
          await again.write(enc.encode("resumed\n"));
          await srv.peer.waitFor("resumed\n");
          await again.close();
        }
        await until(
          () => srv.peer.stdout.split("Reused session-id").length === 3,
          () => srv.peer.stdout,
        );
        const stats = ctx.sessionStats();
        assert.equal(stats.hits, 2);
        assert.equal(stats.connect_good, 3);
      } finally {
        await srv.peer.stop();
      }
    });
  }

  it("resumes with Python, GnuTLS, node:tls and Bun (ticket and session ID)", {
    timeout: TIMEOUT,
  }, async () => {
    const py = await pythonServers(pki, [
      { name: "ticket", maximumVersion: "TLSv1_2" },
      { name: "id", maximumVersion: "TLSv1_2", options: ["OP_NO_TICKET"] },
    ]);
    const gnutls = await gnutlsServer(pki, GNUTLS12);
    const gnutlsNoTicket = await gnutlsServer(pki, `${GNUTLS12}:%NO_TICKETS`);
    const node = await startNodeServer(pki, { maxVersion: "TLSv1.2" });
    const bun = await startBunServer(pki, { maxVersion: "TLSv1.2" });
    try {
      const targets: Array<[string, number, boolean]> = [
        ["python ticket", py.ports.ticket, true],
        ["python session id", py.ports.id, false],
        ["gnutls ticket", gnutls.port, true],
        ["gnutls session id", gnutlsNoTicket.port, false],
        ["node", node.port, true],
        ["bun", bun.port, true],
      ];
      for (const [name, port, ticket] of targets) {
        const { ctx } = await clientContext12(pki);
        const first = await connect12(port, ctx);
        await echoLine(first, `${name} 1\n`);
        const session = first.session!;
        assert.equal(session.hasTicket, ticket, name);
        await first.close();
        const again = await connect12(port, ctx, session);
        assert.equal(again.sessionReused, true, name);
        await echoLine(again, `${name} 2\n`);
        await again.close();
        assert.equal(ctx.sessionStats().hits, 1, name);
      }
    } finally {
      await Promise.all([py, gnutls, gnutlsNoTicket, node, bun].map((s) => s.peer.stop()));
    }
  });

  it("offers the OP_NO_TICKET session ID to openssl and resumes by it", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, []);
    try {
      const { ctx } = await clientContext12(pki);
      ctx.options |= OP_NO_TICKET;
      const first = await connect12(srv.port, ctx);
      const session = first.session!;
      assert.equal(session.hasTicket, false);
      assert.equal(session.id.byteLength, 32);
      await first.close();
      const again = await connect12(srv.port, ctx, session);
      assert.equal(again.sessionReused, true);
      await again.close();
    } finally {
      await srv.peer.stop();
    }
  });

  for (const leaf of ["ecdsaP256", "rsa2048"] as const) {
    it(`sends its client certificate to openssl s_server -Verify 1 (${leaf} server)`, {
      timeout: TIMEOUT,
    }, async () => {
      const srv = await opensslServer(pki, ["-Verify", "1", "-CAfile", pki.caFile], { leaf });
      try {
        const { ctx } = await clientContext12(pki);
        await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
        const sock = await connect12(srv.port, ctx);
        assert.equal(sock.version(), "TLSv1.2");
        await sock.write(enc.encode("with a certificate\n"));
        await srv.peer.waitFor("with a certificate\n");
        assert.match(srv.peer.stdout, /subject=CN = webtls test client/);
        assert.doesNotMatch(srv.peer.stderr, /verify error/);
        await sock.close();
      } finally {
        await srv.peer.stop();
      }
    });
  }

  it("sends its client certificate to gnutls-serv and Python", { timeout: TIMEOUT }, async () => {
    const gnutls = await gnutlsServer(pki, GNUTLS12, {
      args: ["--require-client-cert", "--verify-client-cert", "--x509cafile", pki.caFile],
    });
    const py = await pythonServers(pki, [
      { name: "mtls", maximumVersion: "TLSv1_2", clientCert: "required" },
    ]);
    try {
      for (const port of [gnutls.port, py.ports.mtls]) {
        const { ctx } = await clientContext12(pki);
        await ctx.loadCertChain(pki.leaves.client.chainFile, pki.leaves.client.keyFile);
        const sock = await connect12(port, ctx);
        await echoLine(sock, "mtls\n");
        await sock.close();
      }
      // What the servers print reaches us on its own schedule, after the echo.
      await until(() => py.events().length >= 1, () => py.peer.stdout);
      assert.equal(py.events()[0].peerCert?.commonName, "webtls test client");
      await gnutls.peer.waitFor(/webtls test client/);
    } finally {
      await gnutls.peer.stop();
      await py.peer.stop();
    }
  });

  it("without a client certificate, openssl -Verify 1 refuses the handshake", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, ["-Verify", "1", "-CAfile", pki.caFile]);
    try {
      const { ctx } = await clientContext12(pki);
      // The server's alert may arrive during the handshake or with the first read.
      await assert.rejects(async () => {
        const sock = await connect12(srv.port, ctx);
        await sock.read();
      }, (e: unknown) => e instanceof SSLError && /HANDSHAKE_FAILURE/.test(e.reason));
    } finally {
      await srv.peer.stop();
    }
  });

  it("negotiates the extended master secret and secure renegotiation with openssl", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, []);
    const proxy = await recorder(srv.port);
    try {
      const { ctx } = await clientContext12(pki);
      const sock = await connect12(proxy.port, ctx);
      await sock.close();
      const types = serverHelloExtensionTypes(proxy.connections[0].fromServer);
      assert.ok(types.includes(EMS), "extended_master_secret in the ServerHello");
      assert.ok(types.includes(RENEGOTIATION_INFO), "renegotiation_info in the ServerHello");
      // s_server prints its summary after the handshake, on its own schedule.
      await srv.peer.waitFor(/Secure Renegotiation IS supported/);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("works with a server without the extended master secret (gnutls %NO_SESSION_HASH)", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await gnutlsServer(pki, `${GNUTLS12}:%NO_SESSION_HASH`);
    const proxy = await recorder(srv.port);
    try {
      const { ctx } = await clientContext12(pki);
      const sock = await connect12(proxy.port, ctx);
      await echoLine(sock, "legacy master secret\n");
      await until(
        () => gnutlsFacts(srv.peer.stdout).tlsUnique !== undefined,
        () => srv.peer.stdout,
      );
      const facts = gnutlsFacts(srv.peer.stdout);
      assert.doesNotMatch(facts.options!, /extended master secret/);
      assert.equal(hex(await sock.getChannelBinding("tls-unique")), facts.tlsUnique);
      // RFC 7627 §5.4: tls-unique is unsafe without EMS, but both sides still agree on it.
      assert.ok(!serverHelloExtensionTypes(proxy.connections[0].fromServer).includes(EMS));
      // A session without EMS resumes without EMS.
      const session = sock.session!;
      await sock.close();
      const again = await connect12(proxy.port, ctx, session);
      assert.equal(again.sessionReused, true);
      await echoLine(again, "legacy resumed\n");
      await again.close();
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("answers openssl's HelloRequest with a no_renegotiation warning", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, ["-msg"]);
    try {
      const { ctx } = await clientContext12(pki);
      const sock = await connect12(srv.port, ctx);
      await sock.write(enc.encode("before\n"));
      await srv.peer.waitFor("before\n");
      srv.peer.write("r\n");
      await srv.peer.waitFor("HelloRequest");
      const reading = sock.read().then(() => undefined, (e: unknown) => e);
      await srv.peer.waitFor("warning no_renegotiation");
      // OpenSSL itself ends the connection when its renegotiation is refused (it turns the
      // warning into a fatal handshake_failure, ssl/record/rec_layer_s3.c); the scripted
      // server of tests/hostile/tls12_hostile_test.ts shows the connection stays usable.
      await srv.peer.waitFor("fatal handshake_failure");
      const e = await reading;
      assert.ok(e instanceof SSLError && e.reason === "SSLV3_ALERT_HANDSHAKE_FAILURE", String(e));
      // The only ClientHello the server received is the first one.
      assert.equal(srv.peer.stdout.match(/<<< [^\n]*ClientHello/g)?.length, 1);
    } finally {
      await srv.peer.stop();
    }
  });

  it("logs the same CLIENT_RANDOM lines as openssl s_server -keylogfile", {
    timeout: TIMEOUT,
  }, async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, "keylog-"));
    const file = path.join(dir, "server.keylog");
    const srv = await opensslServer(pki, ["-keylogfile", file]);
    try {
      const { ctx, keylog } = await clientContext12(pki);
      const sock = await connect12(srv.port, ctx);
      const session = sock.session!;
      await sock.close();
      const again = await connect12(srv.port, ctx, session);
      assert.equal(again.sessionReused, true);
      await again.close();
      const theirs = await readKeylogFile(file, 2);
      assert.equal(keylog.length, 2);
      assert.deepEqual(
        clientRandomLines(keylog),
        theirs,
      );
    } finally {
      await srv.peer.stop();
    }
  });

  it("exports the same keying material as openssl s_server -keymatexport", {
    timeout: TIMEOUT,
  }, async () => {
    const label = "EXPERIMENTAL-webtls";
    const srv = await opensslServer(pki, ["-keymatexport", label, "-keymatexportlen", "32"]);
    try {
      const { ctx } = await clientContext12(pki);
      const sock = await connect12(srv.port, ctx);
      const ours = hex(await sock.exportKeyingMaterial(label, 32));
      await sock.write(enc.encode("export\n"));
      await srv.peer.waitFor("export\n");
      assert.equal(ours, opensslKeyingMaterial(srv.peer.stdout));
      // RFC 5705 §4: an empty context is not the same as none.
      assert.notEqual(hex(await sock.exportKeyingMaterial(label, 32, new Uint8Array(0))), ours);
      // A resumed session exports from the same master secret but new randoms.
      const session = sock.session!;
      await sock.close();
      const again = await connect12(srv.port, ctx, session);
      const resumed = hex(await again.exportKeyingMaterial(label, 32));
      await again.write(enc.encode("export again\n"));
      await srv.peer.waitFor("export again\n");
      assert.equal(resumed, opensslKeyingMaterial(srv.peer.stdout, 1));
      assert.notEqual(resumed, ours);
      await again.close();
    } finally {
      await srv.peer.stop();
    }
  });
});
