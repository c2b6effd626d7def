// Hostile input against the TLS 1.3 client at the engine level: a scripted server
// (_scripted_server.ts) runs the real handshake math with the library's own codecs and key
// schedule but alters one message, and our client (SSLObject over MemoryBIO) must answer with
// the alert RFC 8446 names and a typed SSLError.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat, EMPTY, utf8 } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import {
  ContentType,
  ExtensionType as E,
  HandshakeType as H,
  NamedGroup,
  SignatureScheme,
} from "../../src/constants.ts";
import { SSLEOFError, SSLError } from "../../src/errors.ts";
import { Writer } from "../../src/codec/writer.ts";
import {
  alpnExtension,
  cookieExtension,
  emptyExtension,
  type Extension,
  findExtension,
  keyShareServerExtension,
  parseExtension,
  readCookie,
} from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import { encodeNewSessionTicket13 } from "../../src/messages/post_handshake.ts";
import { makePki, type Pki, stopAllPeers } from "../interop/_peers.ts";
import { assertSentAlert } from "./_alerts.ts";
import { type ClientSetup, clientSetup, expectSSLError } from "./_harness.ts";
import { record } from "./_mitm.ts";
import {
  driveClient,
  type DriveResult,
  helloRetry,
  ScriptedServer,
  type ScriptedServerOptions,
} from "./_scripted_server.ts";

const TIMEOUT = 60_000;

let pki: Pki;
before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

/** Runs the client against a scripted server; returns how it ended. */
async function run(
  opts: Omit<ScriptedServerOptions, "pki">,
  configure?: (s: ClientSetup) => void,
): Promise<DriveResult & { srv: ScriptedServer }> {
  const setup = await clientSetup(pki);
  configure?.(setup);
  const srv = await ScriptedServer.create({ pki, ...opts });
  const result = await driveClient(setup.ctx, setup.keylog, srv);
  return { ...result, srv };
}

/** Runs a case that must fail with an SSLError (in bounded time) and one fatal `alert`. */
async function fails(
  opts: Omit<ScriptedServerOptions, "pki">,
  alert: Alert,
  configure?: (s: ClientSetup) => void,
): Promise<SSLError> {
  const outcome = run(opts, configure);
  const error = await expectSSLError(
    outcome.then((r) => {
      if (r.error) throw r.error;
    }),
    10_000,
  );
  assertSentAlert((await outcome).alerts, alert);
  return error;
}

/** `alter` that replaces the body of messages of `type` with `edit(body)`. */
function alterOne(type: H, edit: (body: Bytes) => Uint8Array): ScriptedServerOptions["alter"] {
  return (t, body) => t === type ? new Uint8Array(edit(body.slice())) : body;
}

/** An extension block with raw bytes. */
function rawExtensions(exts: Extension[]): Bytes {
  const w = new Writer(64);
  w.vec16((b) => {
    for (const e of exts) b.u16(e.type).opaque16(e.data);
  });
  return w.finish();
}

/** A NewSessionTicket body. */
function ticket(lifetime: number, extensions: Extension[] = []): Bytes {
  return encodeNewSessionTicket13({
    lifetime,
    ageAdd: 1,
    nonce: new Uint8Array([0]),
    ticket: new Uint8Array(16).fill(7),
    extensions,
  });
}

/** Fails with the client's error, if it had one. */
function assertNoError(r: DriveResult): void {
  if (r.error) assert.fail(`the client failed: ${r.error.message}`);
}

/** afterHandshake that sends one protected handshake message. */
function sendAfter(type: number, body: Uint8Array) {
  return (srv: ScriptedServer) => srv.sealHandshake(type, body);
}

describe("scripted server: controls (the script itself is a correct server)", {
  timeout: TIMEOUT,
}, () => {
  it("completes a handshake and delivers application data", async () => {
    const r = await run({
      afterHandshake: (srv) => srv.seal(ContentType.application_data, utf8("hello")),
    });
    assertNoError(r);
    assert.ok(r.completed);
    assert.equal(r.client.version(), "TLSv1.3");
    assert.deepEqual(r.alerts, []);
  });

  it("completes after a HelloRetryRequest for secp256r1", async () => {
    const r = await run({ helloRetries: [helloRetry({ group: NamedGroup.secp256r1 })] });
    assertNoError(r);
    assert.equal(r.client.group(), "secp256r1");
    assert.equal(r.client.helloRetryRequest, true);
  });

  it("completes after a HelloRetryRequest with only a cookie, echoing it", async () => {
    const cookie = utf8("a stateless cookie");
    const r = await run({ helloRetries: [helloRetry({ cookie })] });
    assertNoError(r);
    const ch2 = r.srv.clientHellos[1];
    const echoed = findExtension(ch2.extensions, E.cookie);
    assert.ok(echoed, "the second ClientHello carries the cookie");
    assert.deepEqual(parseExtension(echoed, readCookie), cookie);
  });

  it("accepts a flight split across records and a message split across two", async () => {
    const r = await run({
      flight: async (srv, msgs) => {
        const all = concat(...msgs.map((m) => m.raw));
        return concat(
          await srv.seal(ContentType.handshake, all.subarray(0, 3)),
          await srv.seal(ContentType.handshake, all.subarray(3)),
        );
      },
    });
    assertNoError(r);
  });

  it("accepts the whole protected flight in 1-byte records", async () => {
    const r = await run({
      flight: async (srv, msgs) => {
        const all = concat(...msgs.map((m) => m.raw));
        const out: Bytes[] = [];
        for (let i = 0; i < all.byteLength; i++) {
          out.push(await srv.seal(ContentType.handshake, all.subarray(i, i + 1)));
        }
        return concat(...out);
      },
    });
    assertNoError(r);
  });

  it("accepts a NewSessionTicket of exactly 7 days", async () => {
    const r = await run({ afterHandshake: sendAfter(H.new_session_ticket, ticket(604800)) });
    assertNoError(r);
    assert.ok(r.client.session, "the ticket became a session");
  });

  it("answers KeyUpdate(update_requested) and reads data under the new key", async () => {
    const r = await run({
      afterHandshake: async (srv) => {
        const ku = await srv.sealHandshake(H.key_update, new Uint8Array([1]));
        await srv.updateWriteKeys();
        return concat(ku, await srv.seal(ContentType.application_data, utf8("after")));
      },
    });
    assertNoError(r);
    assert.equal(r.srv.clientKeyUpdates, 1, "the client answered with its own KeyUpdate");
  });
});

describe("scripted server: EncryptedExtensions", { timeout: TIMEOUT }, () => {
  it("extensions length overrunning the message -> decode_error", async () => {
    await fails(
      { alter: alterOne(H.encrypted_extensions, () => new Uint8Array([0, 4, 0, 0])) },
      Alert.decode_error,
    );
  });

  it("a trailing byte after the extensions -> decode_error", async () => {
    await fails(
      { alter: alterOne(H.encrypted_extensions, (b) => concat(b, new Uint8Array([0]))) },
      Alert.decode_error,
    );
  });

  it("an empty body (no extensions block) -> decode_error", async () => {
    await fails({ alter: alterOne(H.encrypted_extensions, () => EMPTY) }, Alert.decode_error);
  });

  it("an extension length overrunning the block -> decode_error", async () => {
    await fails({
      alter: alterOne(H.encrypted_extensions, () => new Uint8Array([0, 4, 0, 16, 0, 9])),
    }, Alert.decode_error);
  });

  it("unsolicited ALPN (none offered) -> unsupported_extension", async () => {
    await fails({ encryptedExtensions: [alpnExtension(["h2"])] }, Alert.unsupported_extension);
  });

  it("unsolicited early_data -> unsupported_extension", async () => {
    await fails(
      { encryptedExtensions: [emptyExtension(E.early_data)] },
      Alert.unsupported_extension,
    );
  });

  it("key_share (offered, but not allowed in EE) -> illegal_parameter", async () => {
    await fails({
      encryptedExtensions: [
        keyShareServerExtension({ group: NamedGroup.x25519, keyExchange: new Uint8Array(32) }),
      ],
    }, Alert.illegal_parameter);
  });

  it("supported_versions (not allowed in EE) -> illegal_parameter", async () => {
    await fails({
      encryptedExtensions: [{ type: E.supported_versions, data: new Uint8Array([3, 4]) }],
    }, Alert.illegal_parameter);
  });

  it("ALPN naming a protocol not offered -> illegal_parameter", async () => {
    await fails(
      { encryptedExtensions: [alpnExtension(["spdy/1"])] },
      Alert.illegal_parameter,
      ({ ctx }) => ctx.setAlpnProtocols(["h2", "http/1.1"]),
    );
  });

  it("ALPN naming two protocols -> illegal_parameter", async () => {
    await fails(
      { encryptedExtensions: [alpnExtension(["h2", "http/1.1"])] },
      Alert.illegal_parameter,
      ({ ctx }) => ctx.setAlpnProtocols(["h2", "http/1.1"]),
    );
  });

  it("ALPN with an empty protocol list -> decode_error", async () => {
    await fails(
      {
        encryptedExtensions: [{
          type: E.application_layer_protocol_negotiation,
          data: new Uint8Array([0, 0]),
        }],
      },
      Alert.decode_error,
      ({ ctx }) => ctx.setAlpnProtocols(["h2"]),
    );
  });

  it("a record_size_limit below 64 -> illegal_parameter (RFC 8449 §4)", async () => {
    await fails(
      { encryptedExtensions: [{ type: E.record_size_limit, data: new Uint8Array([0, 63]) }] },
      Alert.illegal_parameter,
    );
  });

  it("a record_size_limit of the wrong length -> decode_error", async () => {
    await fails(
      { encryptedExtensions: [{ type: E.record_size_limit, data: new Uint8Array([64]) }] },
      Alert.decode_error,
    );
  });

  it("a non-empty server_name -> decode_error", async () => {
    await fails(
      { encryptedExtensions: [{ type: E.server_name, data: new Uint8Array([0, 0]) }] },
      Alert.decode_error,
    );
  });

  it("the same extension twice -> illegal_parameter", async () => {
    await fails({
      alter: alterOne(
        H.encrypted_extensions,
        () => rawExtensions([emptyExtension(E.server_name), emptyExtension(E.server_name)]),
      ),
    }, Alert.illegal_parameter);
  });
});

describe("scripted server: Certificate", { timeout: TIMEOUT }, () => {
  it("an empty certificate_list -> decode_error", async () => {
    await fails(
      { alter: alterOne(H.certificate, () => new Uint8Array([0, 0, 0, 0])) },
      Alert.decode_error,
    );
  });

  it("a non-empty certificate_request_context -> illegal_parameter", async () => {
    await fails({
      alter: alterOne(H.certificate, (b) => concat(new Uint8Array([1, 9]), b.subarray(1))),
    }, Alert.illegal_parameter);
  });

  it("certificate_list length overrunning the message -> decode_error", async () => {
    await fails({
      alter: alterOne(H.certificate, (b) => {
        b[3] += 1;
        return b;
      }),
    }, Alert.decode_error);
  });

  it("a certificate that is not DER -> bad_certificate", async () => {
    await fails({
      alter: alterOne(H.certificate, () => {
        const w = new Writer(32);
        w.u8(0).vec24((l) => {
          l.opaque24(new Uint8Array([0x30, 0x03, 1, 2, 3]));
          l.u16(0);
        });
        return w.finish();
      }),
    }, Alert.bad_certificate);
  });

  it("an empty cert_data entry -> decode_error", async () => {
    await fails({
      alter: alterOne(H.certificate, () => new Uint8Array([0, 0, 0, 5, 0, 0, 0, 0, 0])),
    }, Alert.decode_error);
  });

  it("the intermediate repeated 300 times: a bounded, typed outcome", async () => {
    const started = Date.now();
    const r = await run({
      alter: alterOne(H.certificate, (b) => {
        const leafLen = (b[4] << 16) | (b[5] << 8) | b[6];
        const leafEntry = b.subarray(4, 4 + 3 + leafLen + 2);
        const intEntry = b.subarray(4 + leafEntry.byteLength);
        const list = concat(leafEntry, ...new Array<Uint8Array>(300).fill(intEntry));
        const w = new Writer(list.byteLength + 8);
        w.u8(0).opaque24(list);
        return w.finish();
      }),
    });
    assert.ok(Date.now() - started < 10_000, "chain building must stay bounded");
    if (r.error) assert.notEqual(r.error.reason, "INTERNAL_ERROR", r.error.message);
  });

  it("an unsolicited extension on a certificate entry -> unsupported_extension", async () => {
    await fails({
      alter: alterOne(H.certificate, (b) => {
        // Context (1 byte), list length (3), first cert length (3) + cert, then its
        // extensions block: give it status_request, which the client never offered.
        const certLen = (b[4] << 16) | (b[5] << 8) | b[6];
        const extOff = 7 + certLen;
        const entryExt = new Uint8Array([0, 4, 0, E.status_request, 0, 0]);
        const out = concat(b.subarray(0, extOff), entryExt, b.subarray(extOff + 2));
        const listLen = out.byteLength - 4;
        out.set([listLen >> 16, listLen >> 8, listLen], 1);
        return out;
      }),
    }, Alert.unsupported_extension);
  });
});

describe("scripted server: CertificateRequest in the handshake", { timeout: TIMEOUT }, () => {
  /** A flight with a CertificateRequest (of `body`) between EE and Certificate. */
  const withRequest = (body: Uint8Array): Omit<ScriptedServerOptions, "pki"> => ({
    flight: (srv, msgs) =>
      srv.seal(
        ContentType.handshake,
        concat(msgs[0].raw, frameHandshake(H.certificate_request, body).raw, msgs[1].raw),
      ),
  });
  const sigAlgs = { type: E.signature_algorithms, data: new Uint8Array([0, 2, 4, 3]) };

  it("without signature_algorithms -> missing_extension", async () => {
    await fails(
      withRequest(concat(new Uint8Array([0]), rawExtensions([]))),
      Alert.missing_extension,
    );
  });

  it("with a non-empty certificate_request_context -> illegal_parameter", async () => {
    await fails(
      withRequest(concat(new Uint8Array([1, 7]), rawExtensions([sigAlgs]))),
      Alert.illegal_parameter,
    );
  });

  it("with a truncated extensions block -> decode_error", async () => {
    await fails(withRequest(new Uint8Array([0, 0, 9, 0, 13])), Alert.decode_error);
  });

  it("a second CertificateRequest -> unexpected_message", async () => {
    const cr = frameHandshake(
      H.certificate_request,
      concat(new Uint8Array([0]), rawExtensions([sigAlgs])),
    ).raw;
    await fails({
      flight: (srv, msgs) =>
        srv.seal(ContentType.handshake, concat(msgs[0].raw, cr, cr, msgs[1].raw)),
    }, Alert.unexpected_message);
  });
});

describe("scripted server: CertificateVerify", { timeout: TIMEOUT }, () => {
  it("a signature with one bit flipped -> decrypt_error", async () => {
    await fails({
      alter: alterOne(H.certificate_verify, (b) => {
        b[b.byteLength - 3] ^= 0x10;
        return b;
      }),
    }, Alert.decrypt_error);
  });

  it("a valid signature over the wrong content -> decrypt_error", async () => {
    await fails({
      alter: alterOne(H.certificate_verify, (b) => {
        // The real signature of another handshake would do; swap in a well-formed DER
        // ECDSA signature of (1, 1).
        const sig = new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]);
        return concat(b.subarray(0, 2), new Uint8Array([0, sig.byteLength]), sig);
      }),
    }, Alert.decrypt_error);
  });

  it("a scheme the client did not offer (ed448) -> illegal_parameter", async () => {
    await fails({
      alter: alterOne(H.certificate_verify, (b) => {
        b.set([SignatureScheme.ed448 >> 8, SignatureScheme.ed448 & 0xff], 0);
        return b;
      }),
    }, Alert.illegal_parameter);
  });

  it("rsa_pkcs1_sha256, offered for certificates only -> illegal_parameter", async () => {
    await fails({
      alter: alterOne(H.certificate_verify, (b) => {
        b.set([SignatureScheme.rsa_pkcs1_sha256 >> 8, SignatureScheme.rsa_pkcs1_sha256 & 0xff], 0);
        return b;
      }),
    }, Alert.illegal_parameter);
  });

  it("a trailing byte -> decode_error", async () => {
    await fails(
      { alter: alterOne(H.certificate_verify, (b) => concat(b, new Uint8Array([0]))) },
      Alert.decode_error,
    );
  });

  it("CertificateVerify missing (Finished after Certificate) -> unexpected_message", async () => {
    await fails({
      flight: (srv, msgs) =>
        srv.seal(
          ContentType.handshake,
          concat(...msgs.filter((m) => m.type !== H.certificate_verify).map((m) => m.raw)),
        ),
    }, Alert.unexpected_message);
  });
});

describe("scripted server: Finished and message order", { timeout: TIMEOUT }, () => {
  it("verify_data with one bit flipped -> decrypt_error", async () => {
    await fails({
      alter: alterOne(H.finished, (b) => {
        b[0] ^= 1;
        return b;
      }),
    }, Alert.decrypt_error);
  });

  it("verify_data one byte short -> decode_error", async () => {
    await fails({ alter: alterOne(H.finished, (b) => b.subarray(1)) }, Alert.decode_error);
  });

  it("Certificate before EncryptedExtensions -> unexpected_message", async () => {
    await fails({
      flight: (srv, msgs) =>
        srv.seal(ContentType.handshake, concat(msgs[1].raw, msgs[0].raw, msgs[2].raw, msgs[3].raw)),
    }, Alert.unexpected_message);
  });

  it("Finished right after EncryptedExtensions (no certificate) -> unexpected_message", async () => {
    await fails({
      flight: (srv, msgs) => srv.seal(ContentType.handshake, concat(msgs[0].raw, msgs[3].raw)),
    }, Alert.unexpected_message);
  });

  it("a second ServerHello inside the protected flight -> unexpected_message", async () => {
    await fails({
      flight: (srv, msgs) =>
        srv.seal(
          ContentType.handshake,
          concat(frameHandshake(H.server_hello, new Uint8Array(40)).raw, ...msgs.map((m) => m.raw)),
        ),
    }, Alert.unexpected_message);
  });

  it("a NewSessionTicket in the same record as the server Finished -> unexpected_message", async () => {
    await fails({
      flight: (srv, msgs) =>
        srv.seal(
          ContentType.handshake,
          concat(...msgs.map((m) => m.raw), frameHandshake(H.new_session_ticket, ticket(60)).raw),
        ),
    }, Alert.unexpected_message);
  });

  it("application data before the server Finished -> unexpected_message", async () => {
    await fails({
      flight: async (srv, msgs) =>
        concat(
          await srv.seal(ContentType.application_data, utf8("early")),
          await srv.seal(ContentType.handshake, concat(...msgs.map((m) => m.raw))),
        ),
    }, Alert.unexpected_message);
  });

  it("a handshake message header announcing 2^24-1 bytes -> refused before buffering", async () => {
    await fails({
      flight: (srv) =>
        srv.seal(ContentType.handshake, new Uint8Array([H.certificate, 0xff, 0xff, 0xff])),
    }, Alert.illegal_parameter);
  });
});

describe("scripted server: protected records", { timeout: TIMEOUT }, () => {
  it("an all-zero inner plaintext (no content type) -> unexpected_message", async () => {
    await fails({
      flight: async (srv, msgs) =>
        concat(
          await srv.seal(0, new Uint8Array([0]), 5),
          await srv.seal(ContentType.handshake, concat(...msgs.map((m) => m.raw))),
        ),
    }, Alert.unexpected_message);
  });

  it("a protected change_cipher_spec -> unexpected_message", async () => {
    await fails({
      flight: async (srv, msgs) =>
        concat(
          await srv.seal(ContentType.change_cipher_spec, new Uint8Array([1])),
          await srv.seal(ContentType.handshake, concat(...msgs.map((m) => m.raw))),
        ),
    }, Alert.unexpected_message);
  });

  it("an unknown inner content type -> unexpected_message", async () => {
    await fails({
      flight: (srv) => srv.seal(0x42, new Uint8Array([1, 2, 3])),
    }, Alert.unexpected_message);
  });

  it("a zero-length protected handshake record -> unexpected_message", async () => {
    await fails({
      flight: (srv) => srv.seal(0, new Uint8Array([ContentType.handshake])),
    }, Alert.unexpected_message);
  });

  it("an inner plaintext of 2^14+2 bytes -> record_overflow", async () => {
    await fails({
      flight: (srv) => {
        srv.writeProtection.maxPlaintext = 20000;
        return srv.seal(ContentType.handshake, new Uint8Array(16385).fill(1));
      },
    }, Alert.record_overflow);
  });

  it("a plaintext record where a protected one is due -> unexpected_message", async () => {
    await fails({
      flight: (_srv, msgs) => Promise.resolve(record(ContentType.handshake, msgs[0].raw)),
    }, Alert.unexpected_message);
  });

  it("a change_cipher_spec between the records of a split message -> unexpected_message", async () => {
    await fails({
      flight: async (srv, msgs) => {
        const all = concat(...msgs.map((m) => m.raw));
        return concat(
          await srv.seal(ContentType.handshake, all.subarray(0, 2)),
          record(ContentType.change_cipher_spec, new Uint8Array([1])),
          await srv.seal(ContentType.handshake, all.subarray(2)),
        );
      },
    }, Alert.unexpected_message);
  });

  it("application data between the records of a split ticket -> unexpected_message", async () => {
    await fails({
      afterHandshake: async (srv) => {
        const nst = frameHandshake(H.new_session_ticket, ticket(60)).raw;
        return concat(
          await srv.seal(ContentType.handshake, nst.subarray(0, 6)),
          await srv.seal(ContentType.application_data, utf8("between")),
          await srv.seal(ContentType.handshake, nst.subarray(6)),
        );
      },
    }, Alert.unexpected_message);
  });

  it("a protected fatal alert from the server surfaces, none is sent back", async () => {
    const r = await run({
      flight: (srv) => srv.seal(ContentType.alert, new Uint8Array([2, Alert.handshake_failure])),
    });
    assert.ok(r.error instanceof SSLError);
    assert.equal(r.error.reason, "SSLV3_ALERT_HANDSHAKE_FAILURE");
    assert.deepEqual(r.alerts, []);
  });

  it("a warning-level handshake_failure is fatal in TLS 1.3, none is sent back", async () => {
    const r = await run({
      flight: (srv) => srv.seal(ContentType.alert, new Uint8Array([1, Alert.handshake_failure])),
    });
    assert.ok(r.error instanceof SSLError);
    assert.equal(r.error.reason, "SSLV3_ALERT_HANDSHAKE_FAILURE");
    assert.deepEqual(r.alerts, []);
  });

  it("a protected alert of three bytes -> decode_error", async () => {
    await fails({
      flight: (srv) => srv.seal(ContentType.alert, new Uint8Array([2, 40, 0])),
    }, Alert.decode_error);
  });

  it("close_notify in the middle of the handshake -> SSLEOFError", async () => {
    const r = await run({
      flight: (srv) => srv.seal(ContentType.alert, new Uint8Array([1, Alert.close_notify])),
    });
    assert.ok(r.error instanceof SSLEOFError, String(r.error));
  });
});

describe("scripted server: HelloRetryRequest", { timeout: TIMEOUT }, () => {
  it("one that would change nothing -> illegal_parameter", async () => {
    await fails({ helloRetries: [helloRetry({})] }, Alert.illegal_parameter);
  });

  it("one asking for the group already sent (x25519) -> illegal_parameter", async () => {
    await fails(
      { helloRetries: [helloRetry({ group: NamedGroup.x25519 })] },
      Alert.illegal_parameter,
    );
  });

  it("one asking for a group not in supported_groups -> illegal_parameter", async () => {
    await fails(
      { helloRetries: [helloRetry({ group: NamedGroup.x448 })] },
      Alert.illegal_parameter,
    );
  });

  it("a second HelloRetryRequest -> unexpected_message", async () => {
    await fails({
      helloRetries: [
        helloRetry({ group: NamedGroup.secp256r1 }),
        helloRetry({ group: NamedGroup.secp384r1 }),
      ],
    }, Alert.unexpected_message);
  });

  it("an empty cookie -> decode_error", async () => {
    await fails({
      helloRetries: [(ch, suite) => {
        const hrr = helloRetry({ group: NamedGroup.secp256r1 })(ch, suite);
        hrr.extensions.push({ type: E.cookie, data: new Uint8Array([0, 0]) });
        return hrr;
      }],
    }, Alert.decode_error);
  });

  it("an extension never offered (0x7777) -> unsupported_extension", async () => {
    await fails({
      helloRetries: [(ch, suite) => {
        const hrr = helloRetry({ group: NamedGroup.secp256r1 })(ch, suite);
        hrr.extensions.push({ type: 0x7777, data: EMPTY });
        return hrr;
      }],
    }, Alert.unsupported_extension);
  });

  it("an offered extension not allowed in HelloRetryRequest (server_name) -> illegal_parameter", async () => {
    await fails({
      helloRetries: [(ch, suite) => {
        const hrr = helloRetry({ group: NamedGroup.secp256r1 })(ch, suite);
        hrr.extensions.push(emptyExtension(E.server_name));
        return hrr;
      }],
    }, Alert.illegal_parameter);
  });

  it("a ServerHello whose share is not in the group the HRR chose -> illegal_parameter", async () => {
    await fails({
      helloRetries: [helloRetry({ group: NamedGroup.secp256r1 })],
      serverHello: (sh) => {
        sh.extensions = sh.extensions.map((e) =>
          e.type === E.key_share
            ? keyShareServerExtension({
              group: NamedGroup.x25519,
              keyExchange: new Uint8Array(32).fill(9),
            })
            : e
        );
      },
    }, Alert.illegal_parameter);
  });

  it("a ServerHello carrying the HRR's cookie -> illegal_parameter", async () => {
    await fails({
      helloRetries: [helloRetry({ group: NamedGroup.secp256r1, cookie: utf8("c") })],
      serverHello: (sh) => void sh.extensions.push(cookieExtension(utf8("c"))),
    }, Alert.illegal_parameter);
  });

  it("a TLS 1.2 ServerHello after a HelloRetryRequest -> illegal_parameter", async () => {
    await fails({
      helloRetries: [helloRetry({ group: NamedGroup.secp256r1 })],
      serverHello: (sh) => void (sh.extensions = []),
    }, Alert.illegal_parameter);
  });

  it("an invalid P-256 point in the ServerHello after HRR -> illegal_parameter", async () => {
    await fails({
      helloRetries: [helloRetry({ group: NamedGroup.secp256r1 })],
      serverHello: (sh) => {
        const bad = new Uint8Array(65).fill(1);
        bad[0] = 4;
        sh.extensions = sh.extensions.map((e) =>
          e.type === E.key_share
            ? keyShareServerExtension({ group: NamedGroup.secp256r1, keyExchange: bad })
            : e
        );
      },
    }, Alert.illegal_parameter);
  });
});

describe("scripted server: after the handshake", { timeout: TIMEOUT }, () => {
  it("a NewSessionTicket lifetime over 7 days -> illegal_parameter", async () => {
    await fails(
      { afterHandshake: sendAfter(H.new_session_ticket, ticket(604801)) },
      Alert.illegal_parameter,
    );
  });

  it("a NewSessionTicket with an empty ticket -> decode_error", async () => {
    await fails({
      afterHandshake: sendAfter(
        H.new_session_ticket,
        new Uint8Array([0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 0, 0]),
      ),
    }, Alert.decode_error);
  });

  it("a NewSessionTicket whose nonce overruns it -> decode_error", async () => {
    await fails({
      afterHandshake: sendAfter(
        H.new_session_ticket,
        new Uint8Array([0, 0, 0, 60, 0, 0, 0, 1, 200, 1]),
      ),
    }, Alert.decode_error);
  });

  it("a NewSessionTicket with key_share (not allowed in NST) -> illegal_parameter", async () => {
    await fails({
      afterHandshake: sendAfter(
        H.new_session_ticket,
        ticket(60, [
          keyShareServerExtension({ group: NamedGroup.x25519, keyExchange: new Uint8Array(32) }),
        ]),
      ),
    }, Alert.illegal_parameter);
  });

  it("a NewSessionTicket early_data of three bytes -> decode_error", async () => {
    await fails({
      afterHandshake: sendAfter(
        H.new_session_ticket,
        ticket(60, [{ type: E.early_data, data: new Uint8Array([0, 0, 1]) }]),
      ),
    }, Alert.decode_error);
  });

  it("a KeyUpdate with request_update 2 -> illegal_parameter", async () => {
    await fails(
      { afterHandshake: sendAfter(H.key_update, new Uint8Array([2])) },
      Alert.illegal_parameter,
    );
  });

  it("a KeyUpdate of two bytes -> decode_error", async () => {
    await fails(
      { afterHandshake: sendAfter(H.key_update, new Uint8Array([0, 0])) },
      Alert.decode_error,
    );
  });

  it("a KeyUpdate followed by more handshake data in its record -> unexpected_message", async () => {
    await fails({
      afterHandshake: (srv) =>
        srv.seal(
          ContentType.handshake,
          concat(
            frameHandshake(H.key_update, new Uint8Array([0])).raw,
            frameHandshake(H.new_session_ticket, ticket(60)).raw,
          ),
        ),
    }, Alert.unexpected_message);
  });

  it("data under the old key after a KeyUpdate -> bad_record_mac", async () => {
    await fails({
      afterHandshake: async (srv) =>
        concat(
          await srv.sealHandshake(H.key_update, new Uint8Array([0])),
          await srv.seal(ContentType.application_data, utf8("stale key")),
        ),
    }, Alert.bad_record_mac);
  });

  it("a CertificateRequest without post_handshake_auth offered -> unexpected_message", async () => {
    const w = new Writer(32);
    w.opaque8(new Uint8Array([1]));
    w.vec16((b) => b.u16(E.signature_algorithms).opaque16(new Uint8Array([0, 2, 4, 3])));
    await fails(
      { afterHandshake: sendAfter(H.certificate_request, w.finish()) },
      Alert.unexpected_message,
    );
  });

  it("a ServerHello after the handshake -> unexpected_message", async () => {
    await fails(
      { afterHandshake: sendAfter(H.server_hello, new Uint8Array(40)) },
      Alert.unexpected_message,
    );
  });

  it("a Finished after the handshake -> unexpected_message", async () => {
    await fails(
      { afterHandshake: sendAfter(H.finished, new Uint8Array(32)) },
      Alert.unexpected_message,
    );
  });

  it("an unknown handshake type after the handshake -> unexpected_message", async () => {
    await fails({ afterHandshake: sendAfter(99, new Uint8Array(4)) }, Alert.unexpected_message);
  });

  it("a flood of KeyUpdates without data between -> refused (unexpected_message)", async () => {
    await fails({
      afterHandshake: async (srv) => {
        const out: Bytes[] = [];
        for (let i = 0; i < 40; i++) {
          out.push(await srv.sealHandshake(H.key_update, new Uint8Array([0])));
          await srv.updateWriteKeys();
        }
        return concat(...out);
      },
    }, Alert.unexpected_message);
  });

  it("a flood of empty application-data records -> refused (unexpected_message)", async () => {
    await fails({
      afterHandshake: async (srv) => {
        const out: Bytes[] = [];
        for (let i = 0; i < 40; i++) out.push(await srv.seal(ContentType.application_data, EMPTY));
        return concat(...out);
      },
    }, Alert.unexpected_message);
  });
});
