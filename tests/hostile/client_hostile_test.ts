// Hostile input against the TLS 1.3 client, with a REAL peer: `openssl s_server` behind the
// tampering proxy of _mitm.ts, which rewrites, drops, injects or truncates records. Every case
// must end in a typed SSLError (never another exception, never a hang) and, where RFC 8446
// calls for one, in exactly the alert the RFC names, read from what the client sent (in
// plaintext, or decrypted with the client's own key log).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { concat } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import {
  ContentType,
  DOWNGRADE_TLS12,
  ExtensionType as E,
  NamedGroup,
} from "../../src/constants.ts";
import { SSLCertVerificationError, SSLEOFError, SSLError } from "../../src/errors.ts";
import { alertForVerifyCode } from "../../src/ssl/_verifier.ts";
import { TLSVersion } from "../../src/ssl/enums.ts";
import type { SSLSocket } from "../../src/ssl/socket.ts";
import { X509_V } from "../../src/x509/errors.ts";
import {
  type LeafName,
  makePki,
  type Pki,
  runPeer,
  type ServerHandle,
  startOpenSSLServer,
  stopAllPeers,
} from "../interop/_peers.ts";
import { assertSentAlert, clientAlerts, type SentAlert } from "./_alerts.ts";
import { type ClientSetup, clientSetup, connectTo, expectSSLError } from "./_harness.ts";
import {
  editServerHello,
  editServerHelloBytes,
  isServerHelloRecord,
  type MitmConnection,
  type RawRecord,
  record,
  serverHelloExtensionOffset,
  startMitm,
  type Tamper,
  type Verdict,
} from "./_mitm.ts";

const TIMEOUT = 120_000;

let pki: Pki;
let server: ServerHandle;
let hrrServer: ServerHandle;
const leafServers = new Map<LeafName, ServerHandle>();

before(async () => {
  pki = await makePki();
  server = await startOpenSSLServer(pki);
  // Only P-256 is acceptable to this one, so our x25519 key share draws a HelloRetryRequest.
  hrrServer = await startOpenSSLServer(pki, ["-groups", "P-256"]);
  for (const leaf of ["wrongHost", "unknownCa", "expired", "selfSigned"] as const) {
    leafServers.set(leaf, await startOpenSSLServer(pki, [], { leaf }));
  }
});
after(stopAllPeers);

interface RunOptions {
  port?: number;
  tamper?: Tamper;
  cutToClientAfter?: number;
  handshakeTimeout?: number;
  configure?: (s: ClientSetup) => void;
  /** What to do with the connection once the handshake succeeded. */
  afterHandshake?: (sock: SSLSocket) => Promise<unknown>;
  suppressRaggedEofs?: boolean;
}

interface RunResult {
  error: SSLError;
  alerts: SentAlert[];
  conn: MitmConnection;
  elapsedMs: number;
}

/**
 * Connects our client through a tampering proxy to an OpenSSL server; the connection must fail
 * with an SSLError. Returns that error and the alerts the client sent.
 */
async function runHostile(opts: RunOptions): Promise<RunResult> {
  const mitm = await startMitm({
    upstreamPort: opts.port ?? server.port,
    tamper: opts.tamper,
    cutToClientAfter: opts.cutToClientAfter,
  });
  try {
    const setup = await clientSetup(pki);
    opts.configure?.(setup);
    const started = Date.now();
    const op = (async () => {
      const sock = await connectTo(setup.ctx, mitm.port, {
        handshakeTimeout: opts.handshakeTimeout,
        suppressRaggedEofs: opts.suppressRaggedEofs,
      });
      try {
        await opts.afterHandshake?.(sock);
      } finally {
        await sock.close();
      }
    })();
    const error = await expectSSLError(op);
    const elapsedMs = Date.now() - started;
    const conn = await mitm.connection(0);
    // The client closed its transport when it failed; let the proxy see the last bytes.
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 5000))]);
    const alerts = await clientAlerts(conn.fromClient, conn.toClient, setup.keylog);
    return { error, alerts, conn, elapsedMs };
  } finally {
    await mitm.close();
  }
}

/** Tamper that rewrites the ServerHello record and forwards everything else. */
function onServerHello(edit: (rec: RawRecord) => Verdict): Tamper {
  return (dir, rec) => dir === "toClient" && isServerHelloRecord(rec) ? edit(rec) : undefined;
}

/** Tamper that calls `edit` on the n-th protected record the server sends (0-based). */
function onProtectedServerRecord(n: number, edit: (rec: RawRecord) => Verdict): Tamper {
  return (dir, rec, conn) => {
    if (dir !== "toClient" || rec.type !== ContentType.application_data) return undefined;
    const seen = (conn.state.protected as number | undefined) ?? 0;
    conn.state.protected = seen + 1;
    return seen === n ? edit(rec) : undefined;
  };
}

/**
 * Tamper that calls `edit` on the first record the server sends after the client's Finished
 * (the client's first protected record): OpenSSL's first NewSessionTicket. What the server
 * sends after it (a second ticket, the echo) is held back: a client that fails while such
 * bytes wait unread in its socket closes with a TCP reset, which may destroy its alert before
 * the proxy reads it.
 */
function afterClientFinished(edit: (rec: RawRecord) => Verdict): Tamper {
  return (dir, rec, conn) => {
    if (dir === "toServer") {
      if (rec.type === ContentType.application_data) conn.state.clientFinished = true;
      return undefined;
    }
    if (!conn.state.clientFinished) return undefined;
    if (conn.state.done) return "stall";
    conn.state.done = true;
    return edit(rec);
  };
}

function flipBit(rec: RawRecord, offsetFromEnd = 1): Uint8Array {
  const out = rec.raw.slice();
  out[out.byteLength - offsetFromEnd] ^= 0x01;
  return out;
}

/** A record with a body of `n` bytes of `type` (garbage content). */
function garbageRecord(type: number, n: number): Uint8Array {
  return record(type, new Uint8Array(n).fill(0xa5));
}

/** Writes a u16 at `off`. */
function setU16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >> 8;
  b[off + 1] = v & 0xff;
}

async function pingPong(sock: SSLSocket): Promise<void> {
  await sock.write(new TextEncoder().encode("ping\n"));
  let got = 0;
  while (got < 5) {
    const data = await sock.read();
    if (data.byteLength === 0) throw new Error("closed before the echo");
    got += data.byteLength;
  }
}

describe("hostile: the proxy itself", { timeout: TIMEOUT }, () => {
  it("forwards an untouched handshake and echo (control)", async () => {
    const mitm = await startMitm({ upstreamPort: server.port });
    try {
      const { ctx } = await clientSetup(pki);
      const sock = await connectTo(ctx, mitm.port);
      assert.equal(sock.version(), "TLSv1.3");
      await pingPong(sock);
      await sock.close();
    } finally {
      await mitm.close();
    }
  });

  it("forwards a HelloRetryRequest handshake untouched (control)", async () => {
    const mitm = await startMitm({ upstreamPort: hrrServer.port });
    try {
      const { ctx } = await clientSetup(pki);
      const sock = await connectTo(ctx, mitm.port);
      assert.equal(sock.helloRetryRequest, true);
      assert.equal(sock.group(), "secp256r1");
      await pingPong(sock);
      await sock.close();
    } finally {
      await mitm.close();
    }
  });
});

describe("hostile: ServerHello rewritten in flight", { timeout: TIMEOUT }, () => {
  const cases: Array<[string, (rec: RawRecord) => Uint8Array, Alert]> = [
    [
      "cipher_suite never offered (TLS_AES_128_CCM_SHA256) -> illegal_parameter",
      (rec) => editServerHello(rec, (sh) => void (sh.cipherSuite = 0x1304)),
      Alert.illegal_parameter,
    ],
    [
      "cipher_suite that is TLS 1.2 only (ECDHE-ECDSA-AES128-GCM-SHA256) -> illegal_parameter",
      (rec) => editServerHello(rec, (sh) => void (sh.cipherSuite = 0xc02b)),
      Alert.illegal_parameter,
    ],
    [
      "key_share in a group offered without a share (secp256r1) -> illegal_parameter",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          const off = serverHelloExtensionOffset(body, E.key_share);
          setU16(body, off + 4, NamedGroup.secp256r1);
          return body;
        }),
      Alert.illegal_parameter,
    ],
    [
      "key_share in a group never offered (0x7777) -> illegal_parameter",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          const off = serverHelloExtensionOffset(body, E.key_share);
          setU16(body, off + 4, 0x7777);
          return body;
        }),
      Alert.illegal_parameter,
    ],
    [
      "supported_versions selecting TLS 1.2 -> illegal_parameter",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          setU16(body, serverHelloExtensionOffset(body, E.supported_versions) + 4, 0x0303);
          return body;
        }),
      Alert.illegal_parameter,
    ],
    [
      "supported_versions selecting a version never offered (0x0305) -> illegal_parameter",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          setU16(body, serverHelloExtensionOffset(body, E.supported_versions) + 4, 0x0305);
          return body;
        }),
      Alert.illegal_parameter,
    ],
    [
      "x25519 key_exchange of all zeros (low-order point) -> illegal_parameter",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          const off = serverHelloExtensionOffset(body, E.key_share);
          body.fill(0, off + 8, off + 8 + 32);
          return body;
        }),
      Alert.illegal_parameter,
    ],
    [
      "legacy_session_id_echo changed -> illegal_parameter",
      (rec) => editServerHello(rec, (sh) => void (sh.sessionId[0] ^= 0xff)),
      Alert.illegal_parameter,
    ],
    [
      "legacy_compression_method 1 -> illegal_parameter",
      (rec) => editServerHello(rec, (sh) => void (sh.compressionMethod = 1)),
      Alert.illegal_parameter,
    ],
    [
      "legacy_version 0x0300 -> protocol_version",
      (rec) => editServerHello(rec, (sh) => void (sh.legacyVersion = 0x0300)),
      Alert.protocol_version,
    ],
    [
      "extensions block length one too long -> decode_error",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          const off = 2 + 32 + 1 + body[34] + 3;
          setU16(body, off, ((body[off] << 8) | body[off + 1]) + 1);
          return body;
        }),
      Alert.decode_error,
    ],
    [
      "key_share extension length overrunning its block -> decode_error",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          const off = serverHelloExtensionOffset(body, E.key_share);
          setU16(body, off + 2, ((body[off + 2] << 8) | body[off + 3]) + 7);
          return body;
        }),
      Alert.decode_error,
    ],
    [
      "key_exchange length one short inside key_share -> decode_error",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          const off = serverHelloExtensionOffset(body, E.key_share);
          setU16(body, off + 6, 31);
          return body;
        }),
      Alert.decode_error,
    ],
    [
      "supported_versions with three bytes of data -> decode_error",
      (rec) =>
        editServerHello(rec, (sh) => {
          const sv = sh.extensions.find((e) => e.type === E.supported_versions)!;
          sv.data = new Uint8Array([0x03, 0x04, 0x00]);
        }),
      Alert.decode_error,
    ],
    [
      "legacy_session_id_echo longer than 32 bytes -> decode_error",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          body[34] = 33;
          return body;
        }),
      Alert.decode_error,
    ],
    [
      "body cut short by one byte -> decode_error",
      (rec) => editServerHelloBytes(rec, (body) => body.subarray(0, body.byteLength - 1)),
      Alert.decode_error,
    ],
    [
      "an extension the client never offered (status_request) -> unsupported_extension",
      (rec) =>
        editServerHello(rec, (sh) => {
          sh.extensions.push({ type: E.status_request, data: new Uint8Array(0) });
        }),
      Alert.unsupported_extension,
    ],
    [
      "pre_shared_key selected though none was offered -> unsupported_extension",
      (rec) =>
        editServerHello(rec, (sh) => {
          sh.extensions.push({ type: E.pre_shared_key, data: new Uint8Array([0, 0]) });
        }),
      Alert.unsupported_extension,
    ],
    [
      "an offered extension not allowed in ServerHello (server_name) -> illegal_parameter",
      (rec) =>
        editServerHello(rec, (sh) => {
          sh.extensions.push({ type: E.server_name, data: new Uint8Array(0) });
        }),
      Alert.illegal_parameter,
    ],
    [
      "the same extension twice -> illegal_parameter",
      (rec) =>
        editServerHello(rec, (sh) => {
          sh.extensions.push(sh.extensions.find((e) => e.type === E.supported_versions)!);
        }),
      Alert.illegal_parameter,
    ],
    [
      "a TLS 1.2 ServerHello carrying the TLS 1.2 downgrade sentinel -> illegal_parameter",
      (rec) =>
        editServerHello(rec, (sh) => {
          sh.extensions = [];
          sh.random.set(DOWNGRADE_TLS12, 24);
        }),
      Alert.illegal_parameter,
    ],
    [
      "a suite we offered that the server did not pick -> bad_record_mac (keys differ)",
      (rec) =>
        editServerHello(rec, (sh) => {
          // OpenSSL picks TLS_AES_256_GCM_SHA384; claim TLS_AES_128_GCM_SHA256 instead.
          sh.cipherSuite = sh.cipherSuite === 0x1301 ? 0x1302 : 0x1301;
        }),
      Alert.bad_record_mac,
    ],
    [
      "ServerHello.random changed (transcript differs) -> bad_record_mac",
      (rec) => editServerHello(rec, (sh) => void (sh.random[0] ^= 1)),
      Alert.bad_record_mac,
    ],
  ];
  for (const [name, edit, alert] of cases) {
    it(name, async () => {
      const { error, alerts } = await runHostile({ tamper: onServerHello(edit) });
      assert.ok(!(error instanceof SSLEOFError), error.message);
      assertSentAlert(alerts, alert);
      assert.equal(alerts[0].protected, false);
    });
  }

  it("a TLS 1.2 ServerHello to a TLS 1.3-only client -> protocol_version", async () => {
    const { alerts } = await runHostile({
      configure: ({ ctx }) => void (ctx.minimumVersion = TLSVersion.TLSv1_3),
      tamper: onServerHello((rec) => editServerHello(rec, (sh) => void (sh.extensions = []))),
    });
    assertSentAlert(alerts, Alert.protocol_version);
  });
});

describe("hostile: HelloRetryRequest rewritten in flight", { timeout: TIMEOUT }, () => {
  const hrr = (edit: (rec: RawRecord) => Uint8Array): Tamper => (dir, rec, conn) => {
    if (dir !== "toClient" || !isServerHelloRecord(rec) || conn.state.hrrSeen) return undefined;
    conn.state.hrrSeen = true;
    return edit(rec);
  };
  const cases: Array<[string, (rec: RawRecord) => Uint8Array, Alert]> = [
    [
      "HelloRetryRequest asking for the group the client already sent (x25519) -> " +
      "illegal_parameter",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          setU16(body, serverHelloExtensionOffset(body, E.key_share) + 4, NamedGroup.x25519);
          return body;
        }),
      Alert.illegal_parameter,
    ],
    [
      "HelloRetryRequest asking for a group never offered (0x7777) -> illegal_parameter",
      (rec) =>
        editServerHelloBytes(rec, (body) => {
          setU16(body, serverHelloExtensionOffset(body, E.key_share) + 4, 0x7777);
          return body;
        }),
      Alert.illegal_parameter,
    ],
    [
      "HelloRetryRequest that would change nothing -> illegal_parameter",
      (rec) =>
        editServerHello(rec, (sh) => {
          sh.extensions = sh.extensions.filter((e) => e.type !== E.key_share);
        }),
      Alert.illegal_parameter,
    ],
    [
      "HelloRetryRequest with a suite never offered -> illegal_parameter",
      (rec) => editServerHello(rec, (sh) => void (sh.cipherSuite = 0x1304)),
      Alert.illegal_parameter,
    ],
  ];
  for (const [name, edit, alert] of cases) {
    it(name, async () => {
      const { alerts } = await runHostile({ port: hrrServer.port, tamper: hrr(edit) });
      assertSentAlert(alerts, alert);
    });
  }

  it("ServerHello after HelloRetryRequest with another suite -> illegal_parameter", async () => {
    const { alerts } = await runHostile({
      port: hrrServer.port,
      tamper: (dir, rec, conn) => {
        if (dir !== "toClient" || !isServerHelloRecord(rec)) return undefined;
        if (!conn.state.hrrSeen) {
          conn.state.hrrSeen = true;
          return undefined;
        }
        return editServerHello(rec, (sh) => {
          sh.cipherSuite = sh.cipherSuite === 0x1301 ? 0x1302 : 0x1301;
        });
      },
    });
    assertSentAlert(alerts, Alert.illegal_parameter);
  });
});

describe("hostile: records tampered, injected, replayed", { timeout: TIMEOUT }, () => {
  it("a bit flipped in the first protected record (EncryptedExtensions) -> bad_record_mac", async () => {
    const { alerts } = await runHostile({ tamper: onProtectedServerRecord(0, (r) => flipBit(r)) });
    assertSentAlert(alerts, Alert.bad_record_mac);
  });

  it("a bit flipped in the body of the certificate record -> bad_record_mac", async () => {
    const { alerts } = await runHostile({
      tamper: onProtectedServerRecord(1, (r) => flipBit(r, 100)),
    });
    assertSentAlert(alerts, Alert.bad_record_mac);
  });

  it("a bit flipped in the header of a protected record (its AAD) -> bad_record_mac", async () => {
    const { alerts } = await runHostile({
      tamper: onProtectedServerRecord(0, (r) => {
        const out = r.raw.slice();
        out[2] = 0x01; // legacy_record_version 0x0301: ignored, but authenticated
        return out;
      }),
    });
    assertSentAlert(alerts, Alert.bad_record_mac);
  });

  it("a protected record replayed -> bad_record_mac", async () => {
    const { alerts } = await runHostile({
      tamper: onProtectedServerRecord(0, (r) => concat(r.raw, r.raw)),
    });
    assertSentAlert(alerts, Alert.bad_record_mac);
  });

  it("two protected records swapped -> bad_record_mac", async () => {
    const { alerts } = await runHostile({
      tamper: (dir, rec, conn) => {
        if (dir !== "toClient" || rec.type !== ContentType.application_data) return undefined;
        if (!conn.state.held) {
          conn.state.held = rec.raw;
          return new Uint8Array(0);
        }
        if (conn.state.swapped) return undefined;
        conn.state.swapped = true;
        return concat(rec.raw, conn.state.held as Uint8Array);
      },
    });
    assertSentAlert(alerts, Alert.bad_record_mac);
  });

  it("a protected record dropped -> bad_record_mac", async () => {
    const { alerts } = await runHostile({
      tamper: onProtectedServerRecord(0, () => new Uint8Array(0)),
    });
    assertSentAlert(alerts, Alert.bad_record_mac);
  });

  it("a 2^14+257-byte record before the ServerHello -> record_overflow", async () => {
    const { alerts } = await runHostile({
      tamper: onServerHello((r) =>
        concat(garbageRecord(ContentType.handshake, 16384 + 257), r.raw)
      ),
    });
    assertSentAlert(alerts, Alert.record_overflow);
  });

  it("a 2^14+1-byte plaintext record (over TLSPlaintext's 2^14) -> record_overflow", async () => {
    const { alerts } = await runHostile({
      tamper: onServerHello((r) => concat(garbageRecord(ContentType.handshake, 16385), r.raw)),
    });
    assertSentAlert(alerts, Alert.record_overflow);
  });

  it("a 2^14+257-byte protected record in the handshake -> record_overflow", async () => {
    const { alerts } = await runHostile({
      tamper: onProtectedServerRecord(
        0,
        (r) => concat(garbageRecord(ContentType.application_data, 16384 + 257), r.raw),
      ),
    });
    assertSentAlert(alerts, Alert.record_overflow);
  });

  it("a 2^14+256-byte protected record (the limit) is read, and fails only its MAC", async () => {
    const { alerts } = await runHostile({
      tamper: onProtectedServerRecord(
        0,
        (r) => concat(garbageRecord(ContentType.application_data, 16384 + 256), r.raw),
      ),
    });
    assertSentAlert(alerts, Alert.bad_record_mac);
  });

  it("a 2^14+257-byte record after the handshake -> record_overflow (protected alert)", async () => {
    const { alerts } = await runHostile({
      tamper: afterClientFinished((r) =>
        concat(garbageRecord(ContentType.application_data, 16384 + 257), r.raw)
      ),
      afterHandshake: pingPong,
    });
    assertSentAlert(alerts, Alert.record_overflow);
    assert.equal(alerts[0].protected, true, "sent under the application traffic key");
  });

  it("a bit flipped in a NewSessionTicket record -> bad_record_mac (protected alert)", async () => {
    const { alerts } = await runHostile({
      tamper: afterClientFinished((r) => flipBit(r)),
      afterHandshake: pingPong,
    });
    assertSentAlert(alerts, Alert.bad_record_mac);
    assert.equal(alerts[0].protected, true, "sent under the application traffic key");
  });

  it("a record of unknown content type -> unexpected_message", async () => {
    const { alerts } = await runHostile({
      tamper: onServerHello((r) => concat(r.raw, record(0x42, new Uint8Array([1, 2, 3])))),
    });
    assertSentAlert(alerts, Alert.unexpected_message);
  });

  it("a plaintext handshake record after the ServerHello -> unexpected_message", async () => {
    const { alerts } = await runHostile({ tamper: onServerHello((r) => concat(r.raw, r.raw)) });
    assertSentAlert(alerts, Alert.unexpected_message);
  });

  it("a zero-length handshake record -> unexpected_message", async () => {
    const { alerts } = await runHostile({
      tamper: onServerHello((r) => concat(record(ContentType.handshake, new Uint8Array(0)), r.raw)),
    });
    assertSentAlert(alerts, Alert.unexpected_message);
  });

  it("a change_cipher_spec of value 2 -> unexpected_message", async () => {
    const { alerts } = await runHostile({
      tamper: onServerHello((r) =>
        concat(r.raw, record(ContentType.change_cipher_spec, new Uint8Array([2])))
      ),
    });
    assertSentAlert(alerts, Alert.unexpected_message);
  });

  it("a change_cipher_spec after the handshake -> unexpected_message", async () => {
    const { alerts } = await runHostile({
      tamper: afterClientFinished((r) =>
        concat(record(ContentType.change_cipher_spec, new Uint8Array([1])), r.raw)
      ),
      afterHandshake: pingPong,
    });
    assertSentAlert(alerts, Alert.unexpected_message);
  });

  it("a plaintext fatal alert from the 'server' surfaces as that alert, none sent back", async () => {
    const { error, alerts } = await runHostile({
      tamper: onServerHello(() =>
        record(ContentType.alert, new Uint8Array([2, Alert.handshake_failure]))
      ),
    });
    assert.equal(error.reason, "SSLV3_ALERT_HANDSHAKE_FAILURE");
    assert.deepEqual(alerts, []);
  });
});

describe("hostile: truncated streams", { timeout: TIMEOUT }, () => {
  const cuts: Array<[string, number]> = [
    ["in the middle of the ServerHello record header", 3],
    ["in the middle of the ServerHello", 40],
  ];
  for (const [name, n] of cuts) {
    it(`EOF ${name} -> SSLEOFError, no alert`, async () => {
      const { error, alerts } = await runHostile({ cutToClientAfter: n });
      assert.ok(error instanceof SSLEOFError, `${error.name}: ${error.message}`);
      assert.deepEqual(alerts, []);
    });
  }

  it("EOF right after the ServerHello record -> SSLEOFError", async () => {
    const { error } = await runHostile({
      tamper: onServerHello(() => "close"),
    });
    assert.ok(error instanceof SSLEOFError, `${error.name}: ${error.message}`);
  });

  it("EOF after a partial protected record -> SSLEOFError", async () => {
    const { error, alerts } = await runHostile({
      tamper: (dir, rec, conn) => {
        if (dir !== "toClient" || rec.type !== ContentType.application_data) return undefined;
        if (conn.state.cut) return "close";
        conn.state.cut = true;
        return rec.raw.subarray(0, rec.raw.byteLength - 5);
      },
    });
    assert.ok(error instanceof SSLEOFError, `${error.name}: ${error.message}`);
    assert.deepEqual(alerts, []);
  });

  it("EOF without close_notify after the handshake -> SSLEOFError on read", async () => {
    const { error, alerts } = await runHostile({
      tamper: afterClientFinished(() => "close"),
      // Only reads: a write could meet the closed socket first (an SSLSyscallError).
      afterHandshake: async (sock) => {
        for (;;) await sock.read();
      },
      suppressRaggedEofs: false,
    });
    assert.ok(error instanceof SSLEOFError, `${error.name}: ${error.message}`);
    assert.deepEqual(alerts, []);
  });
});

describe("hostile: a server that stops answering", { timeout: TIMEOUT }, () => {
  it("no answer at all -> the handshakeTimeout fires with an SSLError", async () => {
    const { error, elapsedMs } = await runHostile({
      tamper: (dir) => dir === "toClient" ? "stall" : undefined,
      handshakeTimeout: 500,
    });
    assert.equal(error.reason, "HANDSHAKE_TIMEOUT");
    assert.ok(elapsedMs < 5000, `took ${elapsedMs} ms`);
  });

  it("stops after the ServerHello -> the handshakeTimeout fires with an SSLError", async () => {
    const { error, elapsedMs } = await runHostile({
      tamper: (dir, rec) => dir === "toClient" && !isServerHelloRecord(rec) ? "stall" : undefined,
      handshakeTimeout: 500,
    });
    assert.equal(error.reason, "HANDSHAKE_TIMEOUT");
    assert.ok(elapsedMs < 5000, `took ${elapsedMs} ms`);
  });

  it("stops in the middle of a record -> the handshakeTimeout fires", async () => {
    const { error } = await runHostile({
      tamper: (dir, rec, conn) => {
        if (dir !== "toClient" || rec.type !== ContentType.application_data) return undefined;
        if (conn.state.cut) return "stall";
        conn.state.cut = true;
        return rec.raw.subarray(0, 10);
      },
      handshakeTimeout: 500,
    });
    assert.equal(error.reason, "HANDSHAKE_TIMEOUT");
  });
});

describe("hostile: certificates the client must refuse", { timeout: TIMEOUT }, () => {
  const cases: Array<[LeafName, number, string]> = [
    ["wrongHost", X509_V.ERR_HOSTNAME_MISMATCH, "hostname mismatch"],
    ["unknownCa", X509_V.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "unknown CA"],
    ["expired", X509_V.ERR_CERT_HAS_EXPIRED, "expired"],
    ["selfSigned", X509_V.ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed"],
  ];
  for (const [leaf, code, what] of cases) {
    it(`${what} (${code}) -> SSLCertVerificationError and OpenSSL's alert`, async () => {
      const port = leafServers.get(leaf)!.port;
      const { error, alerts } = await runHostile({ port });
      assert.ok(error instanceof SSLCertVerificationError, `${error.name}: ${error.message}`);
      assert.equal(error.verifyCode, code);
      assert.equal(error.reason, "CERTIFICATE_VERIFY_FAILED");
      assertSentAlert(alerts, alertForVerifyCode(code));

      // The oracle: OpenSSL's own client, refusing the same certificate through the same
      // kind of proxy, sends the same alert.
      const mitm = await startMitm({ upstreamPort: port });
      try {
        const keylogFile = `${pki.dir}/keylog-${leaf}.txt`;
        await runPeer("openssl", [
          "s_client",
          ...["-connect", `127.0.0.1:${mitm.port}`, "-servername", "localhost"],
          ...["-verify_hostname", "localhost", "-CAfile", pki.caFile, "-verify_return_error"],
          ...["-keylogfile", keylogFile],
        ], { timeoutMs: 15_000 });
        const conn = await mitm.connection(0);
        await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 5000))]);
        const lines = fs.readFileSync(keylogFile, "utf8").split("\n");
        const theirs = await clientAlerts(conn.fromClient, conn.toClient, lines);
        assertSentAlert(theirs, alertForVerifyCode(code));
      } finally {
        await mitm.close();
      }
    });
  }
});
