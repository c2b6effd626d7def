// Hostile TLS 1.2 peers. Where a real peer can do the wrong thing, it does: a tampering proxy
// in front of `openssl s_server`/`s_client` rewrites one message, or GnuTLS is configured
// without the extended master secret or without secure renegotiation. Where only a peer
// built for the purpose can (a wrong Finished, a CertificateVerify that does not fit its
// certificate, a connection that carries on after its renegotiation is refused), the scripted
// peers of _tls12_scripted.ts do it. Each case checks the alert webtls sent on the wire and the
// SSLError it surfaced.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CERT_REQUIRED,
  OP_LEGACY_SERVER_CONNECT,
  OP_NO_TICKET,
  SSLError,
  TLSVersion,
} from "../../mod.ts";
import { type Bytes, concat, equal, fromHex, toHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import {
  CipherSuiteId,
  ContentType,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType as E,
  HandshakeType as H,
  NamedGroup,
  SignatureScheme,
} from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { decodeClientHello, encodeClientHello } from "../../src/messages/client_hello.ts";
import type { Extension } from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import { decodeServerHello, encodeServerHello } from "../../src/messages/server_hello.ts";
import { RecordProtection12 } from "../../src/record/protection12.ts";
import { MasterSecret12 } from "../../src/tls12/prf.ts";
import {
  currentRuntime,
  makePki,
  type Pki,
  requireTool,
  runPeer,
  stopAllPeers,
} from "../interop/_peers.ts";
import { sClient, startWebtlsServer, streamEcho } from "../interop/_webtls_server.ts";
import {
  clientContext12,
  connect12,
  echoLine,
  GNUTLS12,
  gnutlsServer,
  opensslServer,
  plaintextMessages,
} from "../interop/_tls12.ts";
import {
  type MitmConnection,
  type RawRecord,
  record,
  splitRecords,
  startMitm,
  type Tamper,
} from "./_mitm.ts";
import { credentials, drive12, Scripted12Client, Scripted12Server } from "./_tls12_scripted.ts";
import { tcpWire } from "./_wire.ts";

const TIMEOUT = 60_000;
const enc = new TextEncoder();

let pki: Pki;
before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

// ---------------------------------------------------------------------------------------
// Wire helpers

/** The plaintext alerts in one direction's bytes, before its ChangeCipherSpec. */
function plaintextAlerts(stream: readonly Uint8Array[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const rec of splitRecords(concat(...stream.map((c) => new Uint8Array(c))))) {
    if (rec.type === ContentType.change_cipher_spec) break;
    if (rec.type === ContentType.alert) out.push([rec.body[0], rec.body[1]]);
  }
  return out;
}

/**
 * Asserts one fatal `alert` in plaintext in `stream`, waiting a little for it: the proxy may
 * still be forwarding it when the sender has already given up.
 */
async function assertFatal(stream: readonly Uint8Array[], alert: Alert): Promise<void> {
  const deadline = Date.now() + 5000;
  while (plaintextAlerts(stream).length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(
    plaintextAlerts(stream).map(([l, d]) => `${l === 2 ? "fatal" : "warning"} ${Alert[d] ?? d}`),
    [`fatal ${Alert[alert]}`],
  );
}

/**
 * The alerts a client sent under its TLS 1.2 write keys (alert records after its
 * ChangeCipherSpec), opened with the master secret from its key log (RFC 5246 §6.3).
 */
async function protectedClientAlerts(
  conn: MitmConnection,
  keylog: readonly string[],
): Promise<Array<[number, number]>> {
  const recordsAfterCcs = () => {
    const recs = splitRecords(concat(...conn.fromClient.map((c) => new Uint8Array(c))));
    return recs.slice(recs.findIndex((r) => r.type === ContentType.change_cipher_spec) + 1);
  };
  const deadline = Date.now() + 5000;
  while (!recordsAfterCcs().some((r) => r.type === ContentType.alert) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const ch = plaintextMessages(conn.fromClient).find((m) => m.type === H.client_hello)!;
  const sh = decodeServerHello(
    plaintextMessages(conn.fromServer).find((m) => m.type === H.server_hello)!.body,
  );
  const clientRandom = ch.body.slice(2, 34);
  const line = keylog.find((l) => l.startsWith(`CLIENT_RANDOM ${toHex(clientRandom)} `));
  assert.ok(line, "the key log has the connection's master secret");
  const suite = suiteById(sh.cipherSuite)!;
  const master = new MasterSecret12(defaultProvider, suite.hash, fromHex(line.split(" ")[2]));
  const kb = await master.keyBlock(suite, clientRandom, sh.random);
  const reader = await RecordProtection12.create(defaultProvider, suite, {
    key: kb.clientKey,
    iv: kb.clientIv,
  });
  const alerts: Array<[number, number]> = [];
  for (const rec of recordsAfterCcs()) {
    const { type, data } = await reader.open({
      type: rec.type,
      version: rec.version,
      fragment: rec.body,
      header: rec.raw.subarray(0, 5),
    });
    if (type === ContentType.alert) alerts.push([data[0], data[1]]);
  }
  return alerts;
}

/**
 * Rewrites the handshake message of `type` inside a plaintext handshake record (which may hold
 * several whole messages); `undefined` when the record has none.
 */
function editMessage(
  rec: RawRecord,
  type: number,
  edit: (body: Bytes) => Uint8Array,
): Bytes | undefined {
  if (rec.type !== ContentType.handshake) return undefined;
  const msgs: Uint8Array[] = [];
  let found = false;
  for (let off = 0; off < rec.body.byteLength;) {
    const len = (rec.body[off + 1] << 16) | (rec.body[off + 2] << 8) | rec.body[off + 3];
    assert.ok(off + 4 + len <= rec.body.byteLength, "a handshake message split across records");
    const t = rec.body[off];
    const body = rec.body.slice(off + 4, off + 4 + len);
    if (t === type) found = true;
    msgs.push(t === type ? frameHandshake(t, edit(body)).raw : rec.body.slice(off, off + 4 + len));
    off += 4 + len;
  }
  return found ? record(ContentType.handshake, concat(...msgs)) : undefined;
}

/** Rewrites the extensions of the ServerHello in a record. */
function editServerHelloExtensions(
  rec: RawRecord,
  edit: (exts: Extension[]) => Extension[],
): Bytes | undefined {
  return editMessage(rec, H.server_hello, (body) => {
    const sh = decodeServerHello(body);
    sh.extensions = edit(sh.extensions);
    return encodeServerHello(sh);
  });
}

/** Rewrites the extensions of the ClientHello in a record. */
function editClientHelloExtensions(
  rec: RawRecord,
  edit: (exts: Extension[]) => Extension[],
): Bytes | undefined {
  return editMessage(rec, H.client_hello, (body) => {
    const ch = decodeClientHello(body);
    ch.extensions = edit(ch.extensions);
    return encodeClientHello(ch);
  });
}

const without = (type: number) => (exts: Extension[]) => exts.filter((e) => e.type !== type);

/**
 * A proxy in front of `upstreamPort` that tampers with connection number `id` only (every
 * connection when omitted), and only with the plaintext records of each direction: what
 * follows a ChangeCipherSpec is protected and passes untouched.
 */
function proxyFor(upstreamPort: number, tamper: Tamper, id?: number) {
  return startMitm({
    upstreamPort,
    tamper: (dir, rec, conn) => {
      if (rec.type === ContentType.change_cipher_spec) conn.state[dir] = true;
      if (conn.state[dir] || (id !== undefined && conn.id !== id)) return undefined;
      return tamper(dir, rec, conn);
    },
  });
}

/** Runs our client through `port` and returns the SSLError it fails with. */
async function clientFails(
  port: number,
  configure: (ctx: Awaited<ReturnType<typeof clientContext12>>["ctx"]) => void = () => {},
  session?: Parameters<typeof connect12>[2],
): Promise<SSLError> {
  const { ctx } = await clientContext12(pki);
  configure(ctx);
  const e = await connect12(port, ctx, session).then(
    async (sock) => {
      await sock.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  assert.ok(e instanceof SSLError, `expected an SSLError, got ${String(e)}`);
  assert.notEqual(e.reason, "INTERNAL_ERROR", String(e.cause));
  return e;
}

// ---------------------------------------------------------------------------------------
// webtls as the client

describe(`hostile TLS 1.2 servers against webtls's client (${currentRuntime()})`, {
  timeout: 600_000,
}, () => {
  it("refuses a TLS 1.3 server's downgrade sentinel with illegal_parameter (RFC 8446 §4.1.3)", {
    timeout: TIMEOUT,
  }, async () => {
    // Hiding supported_versions makes a real TLS 1.3 OpenSSL answer with TLS 1.2 and mark its
    // random with DOWNGRD\x01, as RFC 8446 §4.1.3 requires of it.
    const srv = await opensslServer(pki, [], { tls12: false });
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir === "toServer"
          ? editClientHelloExtensions(rec, without(E.supported_versions))
          : undefined,
    );
    try {
      const e = await clientFails(proxy.port);
      assert.equal(e.reason, "INAPPROPRIATE_FALLBACK");
      const conn = proxy.connections[0];
      const sh = plaintextMessages(conn.fromServer).find((m) => m.type === H.server_hello)!;
      assert.ok(equal(sh.body.subarray(2 + 24, 2 + 32), DOWNGRADE_TLS12), "OpenSSL's sentinel");
      await assertFatal(conn.fromClient, Alert.illegal_parameter);
      // A client that only speaks TLS 1.2 takes the same answer (RFC 8446 §4.1.3 asks TLS 1.2
      // clients to check the TLS 1.1 sentinel only).
      const { ctx } = await clientContext12(pki);
      ctx.maximumVersion = TLSVersion.TLSv1_2;
      const sock = await connect12(proxy.port, ctx);
      assert.equal(sock.version(), "TLSv1.2");
      await sock.close();
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  for (const leaf of ["ecdsaP256", "rsa2048"] as const) {
    it(`answers a ServerKeyExchange with a bad signature with decrypt_error (${leaf})`, {
      timeout: TIMEOUT,
    }, async () => {
      const srv = await opensslServer(pki, [], { leaf });
      const proxy = await proxyFor(
        srv.port,
        (dir, rec) =>
          dir === "toClient"
            ? editMessage(rec, H.server_key_exchange, (body) => {
              const b = body.slice();
              b[b.byteLength - 1] ^= 0x01;
              return b;
            })
            : undefined,
      );
      try {
        const e = await clientFails(proxy.port);
        assert.equal(e.reason, "BAD_SIGNATURE");
        await assertFatal(proxy.connections[0].fromClient, Alert.decrypt_error);
      } finally {
        await proxy.close();
        await srv.peer.stop();
      }
    });
  }

  it("answers a ServerKeyExchange for a group it did not offer with illegal_parameter", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, ["-groups", "X25519"]);
    // ECParameters: curve_type (1 byte), then the named group (RFC 8422 §5.4).
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir === "toClient"
          ? editMessage(rec, H.server_key_exchange, (body) => {
            const b = body.slice();
            b.set([NamedGroup.secp384r1 >> 8, NamedGroup.secp384r1 & 0xff], 1);
            return b;
          })
          : undefined,
    );
    try {
      const e = await clientFails(proxy.port, (ctx) => ctx.setGroups(["x25519", "P-256"]));
      assert.equal(e.reason, "WRONG_CURVE");
      await assertFatal(proxy.connections[0].fromClient, Alert.illegal_parameter);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("requires the extended master secret when asked (GnuTLS %NO_SESSION_HASH)", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await gnutlsServer(pki, `${GNUTLS12}:%NO_SESSION_HASH`);
    const proxy = await startMitm({ upstreamPort: srv.port });
    try {
      const e = await clientFails(proxy.port, (ctx) => (ctx.requireExtendedMasterSecret = true));
      assert.equal(e.reason, "EXTENDED_MASTER_SECRET_REQUIRED");
      await assertFatal(proxy.connections[0].fromClient, Alert.handshake_failure);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("aborts on a non-empty renegotiation_info in the initial ServerHello (RFC 5746 §3.4)", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, []);
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir === "toClient"
          ? editServerHelloExtensions(
            rec,
            (exts) =>
              exts.map((e) =>
                e.type === E.renegotiation_info
                  ? { type: e.type, data: concat(new Uint8Array([12]), new Uint8Array(12)) }
                  : e
              ),
          )
          : undefined,
    );
    try {
      const e = await clientFails(proxy.port);
      assert.equal(e.reason, "RENEGOTIATION_MISMATCH");
      await assertFatal(proxy.connections[0].fromClient, Alert.handshake_failure);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("refuses a server without renegotiation_info unless OP_LEGACY_SERVER_CONNECT", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await gnutlsServer(pki, `${GNUTLS12}:%DISABLE_SAFE_RENEGOTIATION`);
    const proxy = await startMitm({ upstreamPort: srv.port });
    try {
      const e = await clientFails(proxy.port);
      assert.equal(e.reason, "UNSAFE_LEGACY_RENEGOTIATION_DISABLED");
      await assertFatal(proxy.connections[0].fromClient, Alert.handshake_failure);
      const { ctx } = await clientContext12(pki);
      ctx.options |= OP_LEGACY_SERVER_CONNECT;
      const sock = await connect12(proxy.port, ctx);
      await echoLine(sock, "legacy server\n");
      await sock.close();
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  for (const mode of ["ticket", "session ID"] as const) {
    it(`aborts a resumption without the session's extended master secret (${mode})`, {
      timeout: TIMEOUT,
    }, async () => {
      const srv = await opensslServer(pki, mode === "ticket" ? [] : ["-no_ticket"]);
      // The second connection (the resumption) loses EMS from its ServerHello.
      const proxy = await proxyFor(
        srv.port,
        (dir, rec) =>
          dir === "toClient"
            ? editServerHelloExtensions(rec, without(E.extended_master_secret))
            : undefined,
        1,
      );
      try {
        const { ctx } = await clientContext12(pki);
        const first = await connect12(proxy.port, ctx);
        const session = first.session!;
        await first.close();
        const e = await clientFails(proxy.port, () => {}, session);
        assert.equal(e.reason, "INCONSISTENT_EXTMS");
        await assertFatal(proxy.connections[1].fromClient, Alert.handshake_failure);
      } finally {
        await proxy.close();
        await srv.peer.stop();
      }
    });
  }

  it("aborts a resumption that gains the extended master secret (RFC 7627 §5.3)", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await gnutlsServer(pki, `${GNUTLS12}:%NO_SESSION_HASH`);
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir === "toClient"
          ? editServerHelloExtensions(rec, (exts) => [
            ...exts,
            { type: E.extended_master_secret, data: new Uint8Array(0) },
          ])
          : undefined,
      1,
    );
    try {
      const { ctx } = await clientContext12(pki);
      const first = await connect12(proxy.port, ctx);
      await echoLine(first, "without EMS\n");
      const session = first.session!;
      await first.close();
      const e = await clientFails(proxy.port, () => {}, session);
      assert.equal(e.reason, "INCONSISTENT_EXTMS");
      await assertFatal(proxy.connections[1].fromClient, Alert.handshake_failure);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("answers a ChangeCipherSpec before the keys exist with unexpected_message", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, []);
    const ccs = record(ContentType.change_cipher_spec, new Uint8Array([1]));
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir === "toClient" && rec.type === ContentType.handshake && rec.body[0] === H.server_hello
          ? concat(rec.raw, ccs)
          : undefined,
    );
    try {
      const e = await clientFails(proxy.port);
      assert.equal(e.reason, "UNEXPECTED_CCS_MESSAGE");
      await assertFatal(proxy.connections[0].fromClient, Alert.unexpected_message);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("answers a certificate whose key does not fit the suite with illegal_parameter", {
    timeout: TIMEOUT,
  }, async () => {
    // An RSA certificate announced for an ECDHE_ECDSA suite (RFC 8422 §5.3, RFC 5246 §7.4.2).
    const srv = await opensslServer(pki, ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], {
      leaf: "rsa2048",
    });
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir === "toClient"
          ? editMessage(rec, H.server_hello, (body) => {
            const sh = decodeServerHello(body);
            sh.cipherSuite = CipherSuiteId.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
            return encodeServerHello(sh);
          })
          : undefined,
    );
    try {
      const e = await clientFails(proxy.port);
      assert.equal(e.reason, "WRONG_CERTIFICATE_TYPE");
      await assertFatal(proxy.connections[0].fromClient, Alert.illegal_parameter);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("refuses a HelloRequest with a no_renegotiation warning and carries on", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await Scripted12Server.create({ pki });
    const { ctx } = await clientContext12(pki);
    ctx.maximumVersion = TLSVersion.TLSv1_2;
    const { client, pump, deliver } = await drive12(ctx, srv);
    assert.equal(client.version(), "TLSv1.2");
    // RFC 5246 §7.4.1.1: HelloRequest is empty; then data follows on the same keys.
    deliver(
      await srv.seal(ContentType.handshake, frameHandshake(H.hello_request, new Uint8Array(0)).raw),
    );
    deliver(await srv.seal(ContentType.application_data, enc.encode("still there?")));
    assert.equal(new TextDecoder().decode(await client.read()), "still there?");
    await client.write(enc.encode("yes"));
    await pump();
    assert.deepEqual(srv.alerts, [{
      kind: "alert",
      level: 1,
      description: Alert.no_renegotiation,
      protected: true,
    }]);
    assert.deepEqual(srv.laterHandshakes, [], "no ClientHello: renegotiation was not started");
    assert.equal(new TextDecoder().decode(concat(...srv.received)), "yes");
  });

  it("ignores a HelloRequest that arrives during the handshake (RFC 5246 §7.4.1.1)", {
    timeout: TIMEOUT,
  }, async () => {
    const srv = await opensslServer(pki, []);
    const helloRequest = record(ContentType.handshake, new Uint8Array([H.hello_request, 0, 0, 0]));
    // One after the ServerHello, one before the server's ChangeCipherSpec; neither is hashed.
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir !== "toClient"
          ? undefined
          : rec.type === ContentType.handshake && rec.body[0] === H.server_hello
          ? concat(rec.raw, helloRequest)
          : rec.type === ContentType.handshake && rec.body[0] === H.new_session_ticket
          ? concat(helloRequest, rec.raw)
          : undefined,
    );
    try {
      const { ctx } = await clientContext12(pki);
      const sock = await connect12(proxy.port, ctx);
      await sock.write(enc.encode("after two HelloRequests\n"));
      await srv.peer.waitFor("after two HelloRequests\n");
      await sock.close();
      assert.deepEqual(plaintextAlerts(proxy.connections[0].fromClient), []);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  it("answers a missing NewSessionTicket that was promised with unexpected_message", {
    timeout: TIMEOUT,
  }, async () => {
    // RFC 5077 §3.3: the SessionTicket extension in the ServerHello promises the message.
    const srv = await opensslServer(pki, []);
    const proxy = await proxyFor(
      srv.port,
      (dir, rec) =>
        dir === "toClient" && rec.type === ContentType.handshake &&
          rec.body[0] === H.new_session_ticket
          ? new Uint8Array(0)
          : undefined,
    );
    try {
      const keylog: string[] = [];
      const e = await clientFails(proxy.port, (ctx) => (ctx.onKeylog = (l) => keylog.push(l)));
      assert.equal(e.reason, "UNEXPECTED_CCS_MESSAGE");
      // The client's keys are in use by then: its alert is protected.
      assert.deepEqual(await protectedClientAlerts(proxy.connections[0], keylog), [
        [2, Alert.unexpected_message],
      ]);
    } finally {
      await proxy.close();
      await srv.peer.stop();
    }
  });

  for (
    const [what, message, alert] of [
      [
        "a ClientHello",
        frameHandshake(H.client_hello, new Uint8Array(40)).raw,
        Alert.unexpected_message,
      ],
      [
        "a HelloRequest with a body",
        new Uint8Array([H.hello_request, 0, 0, 1, 0]),
        Alert.decode_error,
      ],
    ] as const
  ) {
    it(`answers ${what} from the server after the handshake with ${Alert[alert]}`, {
      timeout: TIMEOUT,
    }, async () => {
      const srv = await Scripted12Server.create({ pki });
      const { ctx } = await clientContext12(pki);
      ctx.maximumVersion = TLSVersion.TLSv1_2;
      const { client, pump, deliver } = await drive12(ctx, srv);
      deliver(await srv.seal(ContentType.handshake, message));
      await assert.rejects(client.read(), (e: unknown) => e instanceof SSLError);
      await pump();
      assert.deepEqual(srv.alerts, [{
        kind: "alert",
        level: 2,
        description: alert,
        protected: true,
      }]);
    });
  }
});

// ---------------------------------------------------------------------------------------
// webtls as the server

/** gnutls-cli with `priority` against 127.0.0.1:port, sending `hello`. */
async function gnutlsCli(port: number, priority: string): Promise<string> {
  const cli = requireTool("gnutls-cli", "apt-get install -y gnutls-bin");
  const r = await runPeer(cli, [
    ...["-p", String(port), "--x509cafile", pki.caFile, "--sni-hostname", "localhost"],
    ...["--verify-hostname", "localhost", "--priority", priority, "127.0.0.1"],
  ], { stdin: "hello\n", timeoutMs: 30_000 });
  return r.stdout + r.stderr;
}

/** The reason of the first handshake failure of `s`. */
async function serverFailure(s: { waitHandshakeErrors(n: number): Promise<unknown> }) {
  const e = await s.waitHandshakeErrors(1);
  assert.ok(e instanceof SSLError, String(e));
  assert.notEqual(e.reason, "INTERNAL_ERROR", String(e.cause));
  return e.reason;
}

describe(`hostile TLS 1.2 clients against webtls's server (${currentRuntime()})`, {
  timeout: 600_000,
}, () => {
  it("requires the extended master secret when asked (GnuTLS %NO_SESSION_HASH)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, {
      configure: (ctx) => (ctx.requireExtendedMasterSecret = true),
    });
    try {
      const out = await gnutlsCli(s.port, `${GNUTLS12}:%NO_SESSION_HASH`);
      assert.match(out, /Received alert \[40\]: Handshake failed/, out);
      assert.equal(await serverFailure(s), "EXTENDED_MASTER_SECRET_REQUIRED");
      // With EMS the same server is happy.
      assert.match(await gnutlsCli(s.port, GNUTLS12), /echo: hello/);
    } finally {
      await s.close();
    }
    // Not required (the default, as in OpenSSL): the legacy master secret is used.
    const lax = await startWebtlsServer(pki, {});
    try {
      const out = await gnutlsCli(lax.port, `${GNUTLS12}:%NO_SESSION_HASH`);
      assert.match(out, /echo: hello/);
      assert.doesNotMatch(out, /extended master secret/);
    } finally {
      await lax.close();
    }
  });

  it("refuses a fallback retry below its maximum with inappropriate_fallback (RFC 7507)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, {});
    const proxy = await startMitm({ upstreamPort: s.port });
    try {
      const r = await sClient(pki, proxy.port, ["-tls1_2", "-fallback_scsv"]);
      assert.match(r.out, /alert inappropriate fallback/);
      await assertFatal(proxy.connections[0].fromServer, Alert.inappropriate_fallback);
      assert.equal(await serverFailure(s), "INAPPROPRIATE_FALLBACK");
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  it("marks a downgrade to TLS 1.2 in its random, which a TLS 1.3 OpenSSL refuses", {
    timeout: TIMEOUT,
  }, async () => {
    // Hiding supported_versions makes a TLS 1.3 client look like a TLS 1.2 one to the server.
    const hide: Tamper = (dir, rec) =>
      dir === "toServer"
        ? editClientHelloExtensions(rec, without(E.supported_versions))
        : undefined;
    const s = await startWebtlsServer(pki, {});
    const proxy = await proxyFor(s.port, hide);
    try {
      const r = await sClient(pki, proxy.port, []);
      assert.match(r.out, /inappropriate fallback/, r.out);
      const sh = plaintextMessages(proxy.connections[0].fromServer)
        .find((m) => m.type === H.server_hello)!;
      // RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random are DOWNGRD\x01.
      assert.ok(equal(sh.body.subarray(2 + 24, 2 + 32), DOWNGRADE_TLS12));
      await assertFatal(proxy.connections[0].fromClient, Alert.illegal_parameter);
    } finally {
      await proxy.close();
      await s.close();
    }
    // A server whose maximum is TLS 1.2 has nothing to signal. (The handshake still fails:
    // the proxy's edit is in the client's transcript and not in the server's, so the extended
    // master secrets differ and the client's Finished does not decrypt.)
    const tls12 = await startWebtlsServer(pki, {
      configure: (ctx) => (ctx.maximumVersion = TLSVersion.TLSv1_2),
    });
    const proxy12 = await proxyFor(tls12.port, hide);
    try {
      const r = await sClient(pki, proxy12.port, []);
      assert.doesNotMatch(r.out, /inappropriate fallback/, r.out);
      const sh = plaintextMessages(proxy12.connections[0].fromServer)
        .find((m) => m.type === H.server_hello)!;
      const tail = sh.body.subarray(2 + 24, 2 + 32);
      assert.ok(!equal(tail, DOWNGRADE_TLS12) && !equal(tail, DOWNGRADE_TLS11));
      assert.equal(await serverFailure(tls12), "DECRYPTION_FAILED_OR_BAD_RECORD_MAC");
    } finally {
      await proxy12.close();
      await tls12.close();
    }
  });

  it("aborts on a non-empty renegotiation_info in the initial ClientHello (RFC 5746 §3.6)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, {});
    const proxy = await proxyFor(
      s.port,
      (dir, rec) =>
        dir === "toServer"
          // OpenSSL signals secure renegotiation with the SCSV: add the extension beside it.
          ? editClientHelloExtensions(rec, (exts) => [
            ...without(E.renegotiation_info)(exts),
            { type: E.renegotiation_info, data: concat(new Uint8Array([12]), new Uint8Array(12)) },
          ])
          : undefined,
    );
    try {
      const r = await sClient(pki, proxy.port, ["-tls1_2"]);
      assert.match(r.out, /alert handshake failure/);
      await assertFatal(proxy.connections[0].fromServer, Alert.handshake_failure);
      assert.equal(await serverFailure(s), "RENEGOTIATION_MISMATCH");
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  for (const mode of ["ticket", "session ID"] as const) {
    it(`aborts a resumption without the session's extended master secret (${mode})`, {
      timeout: TIMEOUT,
    }, async () => {
      const s = await startWebtlsServer(pki, {
        configure: (ctx) => {
          if (mode === "session ID") ctx.options |= OP_NO_TICKET;
        },
      });
      const proxy = await proxyFor(
        s.port,
        (dir, rec) =>
          dir === "toServer"
            ? editClientHelloExtensions(rec, without(E.extended_master_secret))
            : undefined,
      );
      const dir = fs.mkdtempSync(path.join(pki.dir, "ems-"));
      const sess = path.join(dir, "session.pem");
      try {
        const first = await sClient(pki, s.port, ["-tls1_2", "-sess_out", sess]);
        assert.match(first.out, /Extended master secret: yes/);
        const r = await sClient(pki, proxy.port, ["-tls1_2", "-sess_in", sess]);
        assert.match(r.out, /alert handshake failure/);
        await assertFatal(proxy.connections[0].fromServer, Alert.handshake_failure);
        assert.equal(await serverFailure(s), "INCONSISTENT_EXTMS");
      } finally {
        await proxy.close();
        await s.close();
      }
    });
  }

  it("answers a session without EMS offered with EMS by a full handshake (RFC 7627 §5.3)", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    try {
      const first = new Scripted12Client(await tcpWire(s.port));
      first.hello({ ems: false });
      const flight = await first.readServerFlight();
      assert.equal(flight.extensions.some((e) => e.type === E.extended_master_secret), false);
      await first.finish();
      await first.readServerFinish();
      await first.sendData(enc.encode("no EMS"));
      assert.equal(new TextDecoder().decode(await first.readData(6)), "no EMS");
      first.close();
      const again = new Scripted12Client(await tcpWire(s.port));
      again.hello({ ems: true, sessionId: flight.sessionId });
      const next = await again.readServerFlight();
      assert.ok(!equal(next.sessionId, flight.sessionId), "a new session, not a resumption");
      assert.ok(next.extensions.some((e) => e.type === E.extended_master_secret));
      await again.finish();
      await again.readServerFinish();
      again.close();
    } finally {
      await s.close();
    }
  });

  it("answers a ChangeCipherSpec before the keys exist with unexpected_message", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, {});
    const ccs = record(ContentType.change_cipher_spec, new Uint8Array([1]));
    const proxy = await proxyFor(
      s.port,
      (dir, rec) =>
        dir === "toServer" && rec.type === ContentType.handshake && rec.body[0] === H.client_hello
          ? concat(rec.raw, ccs)
          : undefined,
    );
    try {
      const r = await sClient(pki, proxy.port, ["-tls1_2"]);
      assert.match(r.out, /alert unexpected message/);
      await assertFatal(proxy.connections[0].fromServer, Alert.unexpected_message);
      assert.equal(await serverFailure(s), "UNEXPECTED_CCS_MESSAGE");
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  it("answers a wrong client Finished with decrypt_error", { timeout: TIMEOUT }, async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    const c = new Scripted12Client(await tcpWire(s.port));
    try {
      c.hello();
      await c.readServerFlight();
      await c.finish({
        verifyData: (vd) => {
          const b = vd.slice();
          b[0] ^= 0x80;
          return b;
        },
      });
      const alert = await c.readAlert();
      // The server's keys are not in use yet (its ChangeCipherSpec follows a good Finished).
      assert.deepEqual(alert, {
        kind: "alert",
        level: 2,
        description: Alert.decrypt_error,
        protected: false,
      });
      assert.equal(await serverFailure(s), "DIGEST_CHECK_FAILED");
    } finally {
      c.close();
      await s.close();
    }
  });

  for (
    const [leaf, signWith, announce] of [
      ["rsa2048", SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.ecdsa_secp256r1_sha256],
      ["client", SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256],
    ] as const
  ) {
    it(`refuses a ${leaf} client certificate verified as ${SignatureScheme[announce]}`, {
      timeout: TIMEOUT,
    }, async () => {
      const s = await startWebtlsServer(pki, {
        trustClientCa: true,
        configure: (ctx) => (ctx.verifyMode = CERT_REQUIRED),
      });
      const c = new Scripted12Client(await tcpWire(s.port));
      try {
        c.hello();
        const flight = await c.readServerFlight();
        assert.ok(flight.certificateRequest?.includes(announce), "the scheme was requested");
        await c.finish({
          auth: { creds: await credentials(pki, leaf), scheme: signWith, announce },
        });
        const alert = await c.readAlert();
        assert.equal(alert?.level, 2);
        assert.equal(Alert[alert!.description], Alert[Alert.illegal_parameter]);
        assert.equal(await serverFailure(s), "WRONG_SIGNATURE_TYPE");
      } finally {
        c.close();
        await s.close();
      }
    });
  }

  it("answers a HelloRequest from the client with unexpected_message", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    const c = new Scripted12Client(await tcpWire(s.port));
    try {
      c.hello();
      await c.readServerFlight();
      await c.finish();
      await c.readServerFinish();
      // RFC 5246 §7.4.1.1: only servers send HelloRequest.
      await c.sendProtectedHandshake(new Uint8Array([H.hello_request, 0, 0, 0]));
      assert.deepEqual(await c.readAlert(), {
        kind: "alert",
        level: 2,
        description: Alert.unexpected_message,
        protected: true,
      });
    } finally {
      c.close();
      await s.close();
    }
  });

  it("refuses a client's renegotiation with a no_renegotiation warning and carries on", {
    timeout: TIMEOUT,
  }, async () => {
    const s = await startWebtlsServer(pki, { handler: streamEcho });
    const c = new Scripted12Client(await tcpWire(s.port));
    try {
      c.hello();
      await c.readServerFlight();
      await c.finish();
      await c.readServerFinish();
      await c.sendData(enc.encode("one"));
      assert.equal(new TextDecoder().decode(await c.readData(3)), "one");
      // RFC 5746 §4.5 / RFC 5246 §7.2.2: a ClientHello on the established connection.
      await c.sendProtectedHandshake(c.renegotiationHello());
      assert.deepEqual(await c.readAlert(), {
        kind: "alert",
        level: 1,
        description: Alert.no_renegotiation,
        protected: true,
      });
      await c.sendData(enc.encode("two"));
      assert.equal(new TextDecoder().decode(await c.readData(3)), "two");
      assert.deepEqual(s.handshakeErrors, []);
    } finally {
      c.close();
      await s.close();
    }
  });
});
