import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat, toHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ContentType, ExtensionType as E, HandshakeType } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { Transcript } from "../../src/crypto/transcript.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import type { Tls13Ticket } from "../../src/engine/config.ts";
import { Connection, type EngineEvent, NOT_STARTED } from "../../src/engine/connection.ts";
import { newInfo } from "../../src/engine/info.ts";
import { SSLError } from "../../src/errors.ts";
import { decodeClientHello } from "../../src/messages/client_hello.ts";
import {
  bindersLength,
  type Extension,
  findExtension,
  parseExtension,
  readPreSharedKeyClient,
} from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import { decodeNewSessionTicket13 } from "../../src/messages/post_handshake.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import { startClient } from "../../src/tls13/client.ts";
import { resumed0Rtt as R, simple1Rtt as V } from "../vectors/rfc8448.ts";
import {
  connectedTraceClient,
  startTraceClient,
  TRACE_CERTIFICATE,
  TRACE_NOW,
  traceConfig,
  TraceProvider,
  withoutExtensions,
  x25519Share,
} from "./_replay.ts";

const suite = suiteById(0x1301)!;

/** The key log lines among `events`, label to secret, checking each names `clientHello`'s random. */
function keylog(events: EngineEvent[], clientHello: Bytes): Map<string, string> {
  const random = toHex(decodeClientHello(clientHello.subarray(4)).random);
  const out = new Map<string, string>();
  for (const e of events) {
    if (e.type !== "keylog") continue;
    const [label, clientRandom, secret] = e.line.split(" ");
    assert.equal(clientRandom, random);
    out.set(label, secret);
  }
  return out;
}

function byType(exts: readonly Extension[]): Map<number, Bytes> {
  return new Map(exts.map((e) => [e.type, e.data]));
}

describe("RFC 8448 §3 replayed through the TLS 1.3 client", () => {
  it("sends the trace's ClientHello field for field, short of two NSS extensions", async () => {
    const { clientHelloRecord } = await startTraceClient();
    // Record header: handshake, 0x0303 where the trace's NSS client wrote 0x0301 (RFC 8446
    // §5.1 allows either for an initial ClientHello).
    assert.equal(clientHelloRecord[0], ContentType.handshake);
    assert.equal((clientHelloRecord[1] << 8) | clientHelloRecord[2], 0x0303);
    assert.equal(V.clientHelloRecord[2], 0x01);
    const raw = clientHelloRecord.subarray(5);
    assert.equal(raw[0], HandshakeType.client_hello);
    const ours = decodeClientHello(raw.subarray(4));
    const trace = decodeClientHello(V.clientHello.subarray(4));
    assert.equal(ours.legacyVersion, trace.legacyVersion);
    assert.deepEqual(ours.random, trace.random);
    assert.deepEqual(ours.sessionId, trace.sessionId);
    assert.deepEqual(ours.cipherSuites, trace.cipherSuites);
    assert.deepEqual(ours.compressionMethods, trace.compressionMethods);
    // Every extension we send is byte-identical to the trace's of the same type, including
    // record_size_limit at 2^14+1 (RFC 8449 §4)…
    const traceExts = byType(trace.extensions);
    for (const e of ours.extensions) {
      assert.deepEqual(e.data, traceExts.get(e.type), `${E[e.type]} differs`);
    }
    // …the trace's client also sends renegotiation_info (RFC 5746, TLS 1.2 only) and
    // session_ticket (RFC 5077, TLS 1.2 only)…
    const ourTypes = ours.extensions.map((e) => e.type);
    assert.deepEqual(
      trace.extensions.map((e) => e.type).filter((t) => !ourTypes.includes(t)),
      [E.renegotiation_info, E.session_ticket],
    );
    // …and orders them as NSS does, key_share before supported_versions and
    // signature_algorithms; ours puts key_share last.
    assert.deepEqual(ourTypes, [
      E.server_name,
      E.supported_groups,
      E.signature_algorithms,
      E.record_size_limit,
      E.supported_versions,
      E.psk_key_exchange_modes,
      E.key_share,
    ]);
    assert.deepEqual(
      trace.extensions.map((e) => e.type).filter((t) => ourTypes.includes(t)),
      [
        E.server_name,
        E.supported_groups,
        E.key_share,
        E.supported_versions,
        E.signature_algorithms,
        E.psk_key_exchange_modes,
        E.record_size_limit,
      ],
    );
  });

  it("accepts the trace's server flight and sends the trace's Finished record byte for byte", async () => {
    const { conn, provider } = await startTraceClient();
    conn.receive(V.serverHelloRecord);
    await conn.process();
    assert.equal(conn.hasOutgoing, false);
    assert.equal(conn.handshakeComplete, false);
    // The handshake keys come from the trace's Transcript-Hash(ClientHello, ServerHello).
    const helloTranscript = provider.hashed.find((d) => d[0] === HandshakeType.client_hello)!;
    assert.deepEqual(await provider.hash("SHA-256", helloTranscript), V.helloHash);

    conn.receive(V.serverHandshakeRecord);
    await conn.process();
    assert.deepEqual(conn.takeOutgoing(), V.clientFinishedRecord);
    assert.equal(conn.handshakeComplete, true);
    assert.equal(conn.error, undefined);

    const events = conn.takeEvents();
    assert.deepEqual(events.filter((e) => e.type !== "keylog"), [{ type: "handshake-complete" }]);
    const secrets = keylog(events, V.clientHello);
    assert.deepEqual(
      [...secrets.entries()],
      [
        ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", toHex(V.clientHandshakeTrafficSecret)],
        ["SERVER_HANDSHAKE_TRAFFIC_SECRET", toHex(V.serverHandshakeTrafficSecret)],
        ["CLIENT_TRAFFIC_SECRET_0", toHex(V.clientApplicationTrafficSecret)],
        ["SERVER_TRAFFIC_SECRET_0", toHex(V.serverApplicationTrafficSecret)],
        ["EXPORTER_SECRET", toHex(V.exporterMasterSecret)],
      ],
    );

    const info = conn.info;
    assert.equal(info.version, 0x0304);
    assert.equal(info.cipherSuite, 0x1301);
    assert.equal(info.group, 0x001d);
    assert.equal(info.peerSignatureScheme, 0x0804);
    assert.equal(info.sessionReused, false);
    assert.equal(info.helloRetryRequest, false);
    assert.equal(info.alpn, null);
    assert.equal(info.serverName, "server");
    // The trace's EncryptedExtensions carries an empty server_name (RFC 6066 §3).
    assert.equal(info.serverNameAcknowledged, true);
    assert.deepEqual(info.peerCertificates, [TRACE_CERTIFICATE]);
    assert.deepEqual(info.serverRandom, V.serverHello.subarray(6, 38));
  });

  it("derives the trace's resumption PSK from its NewSessionTicket", async () => {
    const { conn } = await connectedTraceClient();
    conn.takeEvents();
    conn.receive(V.newSessionTicketRecord);
    await conn.process();
    const sessions = conn.takeEvents().filter((e) => e.type === "session");
    assert.equal(sessions.length, 1);
    const ticket = (sessions[0] as { session: Tls13Ticket }).session;
    const nst = decodeNewSessionTicket13(V.newSessionTicket.subarray(4));
    assert.deepEqual(ticket.psk, V.resumptionPsk);
    assert.deepEqual(ticket.ticket, nst.ticket);
    assert.equal(ticket.cipherSuite, 0x1301);
    assert.equal(ticket.ageAdd, 0xfad6aac5);
    assert.equal(ticket.lifetime, 30);
    assert.equal(ticket.maxEarlyData, 1024);
    assert.equal(ticket.receivedAt, TRACE_NOW);
    assert.equal(ticket.serverName, "server");
    assert.deepEqual(ticket.peerCertificates, [TRACE_CERTIFICATE]);
  });

  it("exchanges the trace's application data and close_notify records byte for byte", async () => {
    const { conn } = await connectedTraceClient();
    conn.receive(V.newSessionTicketRecord);
    await conn.process();
    await conn.write(V.clientApplicationData);
    assert.deepEqual(conn.takeOutgoing(), V.clientApplicationDataRecord);
    conn.receive(V.serverApplicationDataRecord);
    await conn.process();
    assert.deepEqual(conn.readApplicationData(), V.serverApplicationData);
    await conn.close();
    assert.deepEqual(conn.takeOutgoing(), V.clientAlertRecord);
    conn.receive(V.serverAlertRecord);
    await conn.process();
    assert.equal(conn.closeNotifyReceived, true);
    assert.equal(conn.error, undefined);
  });

  it("takes the server flight fed one byte at a time", async () => {
    const { conn } = await startTraceClient();
    for (const rec of [V.serverHelloRecord, V.serverHandshakeRecord]) {
      for (let i = 0; i < rec.byteLength; i++) {
        conn.receive(rec.subarray(i, i + 1));
        await conn.process();
      }
    }
    assert.deepEqual(conn.takeOutgoing(), V.clientFinishedRecord);
  });

  /**
   * A client given the trace's server flight with `certificateVerify` and `finished` in place
   * of the trace's (the record still authenticates: the change is made after decryption).
   */
  async function tamperedFlight(certificateVerify: Bytes, finished: Bytes): Promise<Connection> {
    const { conn, provider } = await startTraceClient();
    provider.bridgeDecrypted(
      V.serverHandshakePlaintext,
      concat(V.encryptedExtensions, V.certificate, certificateVerify, finished),
    );
    conn.receive(V.serverHelloRecord);
    conn.receive(V.serverHandshakeRecord);
    return conn;
  }

  /** Asserts the handshake fails with `reason` and the client sends `alert` (in plaintext). */
  async function refused(conn: Connection, reason: string, alert: Alert): Promise<void> {
    await assert.rejects(
      conn.process(),
      (e: unknown) => e instanceof SSLError && e.reason === reason,
    );
    assert.deepEqual(conn.takeOutgoing(), new Uint8Array([21, 3, 3, 0, 2, 2, alert]));
    assert.equal(conn.handshakeComplete, false);
  }

  it("refuses a server Finished that does not verify with decrypt_error", async () => {
    const finished = V.serverFinished.slice();
    finished[4] ^= 1;
    const conn = await tamperedFlight(V.certificateVerify, finished);
    await refused(conn, "DIGEST_CHECK_FAILED", Alert.decrypt_error);
  });

  it("refuses a CertificateVerify whose signature does not verify with decrypt_error", async () => {
    const cv = V.certificateVerify.slice();
    cv[cv.byteLength - 1] ^= 1;
    const conn = await tamperedFlight(cv, V.serverFinished);
    await refused(conn, "BAD_SIGNATURE", Alert.decrypt_error);
  });

  it("refuses a CertificateVerify with rsa_pkcs1_sha256 with illegal_parameter", async () => {
    // Offered in signature_algorithms, but RFC 8446 §4.4.3 keeps PKCS #1 v1.5 out of
    // CertificateVerify.
    const cv = V.certificateVerify.slice();
    cv.set([0x04, 0x01], 4);
    const conn = await tamperedFlight(cv, V.serverFinished);
    await refused(conn, "WRONG_SIGNATURE_TYPE", Alert.illegal_parameter);
  });

  it("refuses a tampered protected record with bad_record_mac", async () => {
    const { conn } = await startTraceClient();
    const broken = V.serverHandshakeRecord.slice();
    broken[broken.byteLength - 1] ^= 1;
    conn.receive(V.serverHelloRecord);
    conn.receive(broken);
    await assert.rejects(
      conn.process(),
      (e: unknown) => e instanceof SSLError && e.reason === "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
    );
  });
});

describe("RFC 8448 §4 replayed through the TLS 1.3 client", () => {
  /** The §3 ticket as the client stored it, replayed 6 ms later as the trace's age says. */
  async function ticketFromSection3(): Promise<Tls13Ticket> {
    const { conn } = await connectedTraceClient();
    conn.receive(V.newSessionTicketRecord);
    await conn.process();
    const ev = conn.takeEvents().find((e) => e.type === "session") as { session: Tls13Ticket };
    return ev.session;
  }

  /** A resuming client with §4's random and key, over `provider`. */
  async function resumingClient(provider: TraceProvider, ticket: Tls13Ticket) {
    const cfg = { ...traceConfig(provider, ticket.receivedAt + 6), resume: ticket };
    const conn = new Connection("client", NOT_STARTED, newInfo());
    await conn.start((cx) => startClient(cx, cfg));
    return { conn, clientHello: conn.takeOutgoing().subarray(5) };
  }

  async function provider4(): Promise<TraceProvider> {
    return new TraceProvider([decodeClientHello(R.clientHello.subarray(4)).random], [
      await x25519Share(R.clientPrivateKey, R.clientPublicKey),
    ]);
  }

  /**
   * Runs the client twice: once to learn its ClientHello up to the binders, then with that
   * prefix bridged to the trace's, so its binder is computed over the trace's prefix.
   */
  async function bridgedResumption() {
    const ticket = await ticketFromSection3();
    const first = await resumingClient(await provider4(), ticket);
    const prefix = first.clientHello.subarray(
      0,
      first.clientHello.byteLength - bindersLength([32]),
    );
    const provider = await provider4();
    provider.bridgeTranscript(prefix, R.clientHelloPrefix);
    const client = await resumingClient(provider, ticket);
    provider.bridgeTranscript(client.clientHello, R.clientHello);
    return { ...client, provider, prefix, unbridged: first.clientHello };
  }

  it("offers the §3 ticket with the trace's identity, obfuscated age and PSK binder", async () => {
    const { clientHello, provider, prefix } = await bridgedResumption();
    const ch = decodeClientHello(clientHello.subarray(4));
    assert.equal(ch.extensions[ch.extensions.length - 1].type, E.pre_shared_key);
    const offer = parseExtension(
      findExtension(ch.extensions, E.pre_shared_key)!,
      readPreSharedKeyClient,
    );
    const trace = decodeClientHello(R.clientHello.subarray(4));
    const traceOffer = parseExtension(
      findExtension(trace.extensions, E.pre_shared_key)!,
      readPreSharedKeyClient,
    );
    assert.deepEqual(offer, traceOffer);
    // Every other extension is the trace's too; the trace adds renegotiation_info, early_data
    // and padding.
    const traceExts = byType(trace.extensions);
    for (const e of ch.extensions) {
      if (e.type !== E.pre_shared_key) {
        assert.deepEqual(e.data, traceExts.get(e.type), `${E[e.type]} differs`);
      }
    }
    const ourTypes = ch.extensions.map((e) => e.type);
    assert.deepEqual(
      trace.extensions.map((e) => e.type).filter((t) => !ourTypes.includes(t)),
      [E.renegotiation_info, E.early_data, E.padding],
    );
    assert.deepEqual(offer.binders, [R.binder]);
    // The binder covered the client's own ClientHello up to the binders list (RFC 8446
    // §4.2.11.2), the only transcript it hashed before sending it.
    assert.deepEqual(provider.hashed.filter((d) => d.byteLength > 0), [prefix]);
    assert.deepEqual(clientHello.subarray(0, prefix.byteLength), prefix);
  });

  it("binds its own ClientHello with the trace's binder key when nothing is bridged", async () => {
    const { prefix, unbridged } = await bridgedResumption();
    const ch = decodeClientHello(unbridged.subarray(4));
    const offer = parseExtension(ch.extensions[ch.extensions.length - 1], readPreSharedKeyClient);
    // RFC 8446 §4.2.11.2: HMAC(finished_key(binder_key), Transcript-Hash(truncated ClientHello)).
    const hash = await defaultProvider.hash("SHA-256", prefix);
    const expected = await defaultProvider.hmac("SHA-256", R.binderFinishedKey, hash);
    assert.deepEqual(offer.binders, [expected]);
  });

  it("resumes on the trace's ServerHello and server flight, then matches its records", async () => {
    const { conn, provider } = await bridgedResumption();
    // The trace's EncryptedExtensions also accepts early_data, which our client did not offer.
    provider.bridgeDecrypted(
      R.encryptedExtensions,
      withoutExtensions(R.encryptedExtensions, [E.early_data]),
    );
    conn.receive(R.serverHelloRecord);
    conn.receive(R.serverHandshakeRecord);
    await conn.process();
    assert.equal(conn.handshakeComplete, true);
    assert.equal(conn.info.sessionReused, true);
    assert.deepEqual(conn.info.peerCertificates, [TRACE_CERTIFICATE]);
    // The secrets of RFC 8448 §4.
    assert.deepEqual(
      [...keylog(conn.takeEvents(), R.clientHello).entries()],
      [
        [
          "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
          "2faac08f851d35fea3604fcb4de82dc62c9b164a70974d0462e27f1ab278700f",
        ],
        [
          "SERVER_HANDSHAKE_TRAFFIC_SECRET",
          "fe927ae271312e8bf0275b581c54eef020450dc4ecffaa05a1a35d27518e7803",
        ],
        [
          "CLIENT_TRAFFIC_SECRET_0",
          "2abbf2b8e381d23dbebe1dd2a7d16a8bf484cb4950d23fb7fb7fa8547062d9a1",
        ],
        [
          "SERVER_TRAFFIC_SECRET_0",
          "cc21f1bf8feb7dd5fa505bd9c4b468a9984d554a993dc49e6d285598fb672691",
        ],
        ["EXPORTER_SECRET", "3fd93d4ffddc98e64b14dd107aedf8ee4add23f4510f58a4592d0b201bee56b4"],
      ],
    );

    // The trace's client sent EndOfEarlyData before its Finished, and that message is in the
    // Finished's transcript; ours sends no early data, so its Finished covers ClientHello..server
    // Finished. Sealed under the trace's client handshake key it is byte for byte what we sent.
    const t = new Transcript(defaultProvider, "SHA-256");
    for (const m of [R.clientHello, R.serverHello, R.encryptedExtensions, R.serverFinished]) {
      t.add(m);
    }
    const verifyData = await defaultProvider.hmac("SHA-256", R.clientFinishedKey, await t.hash());
    const writer = await RecordProtection13.create(defaultProvider, suite, {
      key: R.clientHandshakeKey,
      iv: R.clientHandshakeIv,
    });
    const expected = await writer.seal(
      ContentType.handshake,
      frameHandshake(HandshakeType.finished, verifyData).raw,
    );
    assert.deepEqual(conn.takeOutgoing(), expected);

    // The application traffic keys do not depend on EndOfEarlyData: the trace's records match.
    await conn.write(V.clientApplicationData);
    assert.deepEqual(conn.takeOutgoing(), R.clientApplicationDataRecord);
    conn.receive(R.serverApplicationDataRecord);
    await conn.process();
    assert.deepEqual(conn.readApplicationData(), V.serverApplicationData);
    await conn.close();
    assert.deepEqual(conn.takeOutgoing(), R.clientAlertRecord);
    conn.receive(R.serverAlertRecord);
    await conn.process();
    assert.equal(conn.closeNotifyReceived, true);
  });
});
