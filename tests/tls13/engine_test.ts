/**
 * `Connection` rules that sit between the record layer and the handshake: ChangeCipherSpec,
 * alerts, empty records, application data out of place, EOF. Driven by the RFC 8448 §3 replay
 * (`_replay.ts`), with extra server records sealed under the trace's server keys.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ContentType } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { Connection, NOT_STARTED } from "../../src/engine/connection.ts";
import { newInfo } from "../../src/engine/info.ts";
import { SSLEOFError, SSLError, SSLZeroReturnError } from "../../src/errors.ts";
import { Deframer } from "../../src/record/deframer.ts";
import { frameRecords } from "../../src/record/fragmenter.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import { simple1Rtt as V } from "../vectors/rfc8448.ts";
import { connectedTraceClient, startTraceClient } from "./_replay.ts";

const suite = suiteById(0x1301)!;

/** A plaintext record of `type` carrying `bytes`. */
function plain(type: ContentType, ...bytes: number[]): Bytes {
  return frameRecords(type, new Uint8Array(bytes));
}

/** The trace's server, sealing records under its handshake or application keys. */
function serverSealer(keys: "handshake" | "application"): Promise<RecordProtection13> {
  return RecordProtection13.create(
    defaultProvider,
    suite,
    keys === "handshake"
      ? { key: V.serverHandshakeKey, iv: V.serverHandshakeIv }
      : { key: V.serverApplicationKey, iv: V.serverApplicationIv },
  );
}

/**
 * The alert the client sent in `out`: in plaintext before it has write keys, else sealed under
 * the trace's client application keys (sequence 0: the client sent nothing else under them).
 */
async function sentAlert(out: Bytes): Promise<[number, number]> {
  const d = new Deframer();
  d.maxFragment = 16384 + 256;
  d.push(out);
  const rec = d.next()!;
  assert.equal(d.next(), undefined, "one record");
  if (rec.type === ContentType.alert) return [rec.fragment[0], rec.fragment[1]];
  const reader = await RecordProtection13.create(defaultProvider, suite, {
    key: V.clientApplicationKey,
    iv: V.clientApplicationIv,
  });
  const { type, data } = await reader.open(rec);
  assert.equal(type, ContentType.alert);
  return [data[0], data[1]];
}

/** Asserts `conn.process()` fails with `reason` and the client sends a fatal `alert`. */
async function failsWith(conn: Connection, reason: string, alert?: Alert): Promise<SSLError> {
  let caught: unknown;
  await conn.process().catch((e) => caught = e);
  assert.ok(caught instanceof SSLError, `expected an SSLError, got ${caught}`);
  assert.equal(caught.reason, reason);
  if (alert === undefined) {
    // A failure announced by the peer is not answered.
    assert.equal(conn.takeOutgoing().byteLength, 0);
  } else {
    assert.deepEqual(await sentAlert(conn.takeOutgoing()), [2, alert]);
  }
  assert.equal(conn.error, caught);
  // The engine stays failed: every later call rejects with the same error.
  await assert.rejects(conn.process(), (e: unknown) => e === caught);
  return caught;
}

describe("Connection: ChangeCipherSpec in TLS 1.3 (RFC 8446 §5)", () => {
  const compatCcs = plain(ContentType.change_cipher_spec, 1);

  it("drops a compatibility CCS before and after the ServerHello", async () => {
    const { conn } = await startTraceClient();
    conn.receive(concat(compatCcs, V.serverHelloRecord, compatCcs, V.serverHandshakeRecord));
    await conn.process();
    assert.deepEqual(conn.takeOutgoing(), V.clientFinishedRecord);
    assert.equal(conn.handshakeComplete, true);
  });

  it("drops a CCS arriving between encrypted handshake records", async () => {
    // The server flight split in two records: EncryptedExtensions, then the rest.
    const { conn } = await startTraceClient();
    const sealer = await serverSealer("handshake");
    const ee = V.serverHandshakePlaintext.subarray(0, V.encryptedExtensions.byteLength);
    const rest = V.serverHandshakePlaintext.subarray(V.encryptedExtensions.byteLength);
    conn.receive(V.serverHelloRecord);
    conn.receive(await sealer.seal(ContentType.handshake, ee));
    conn.receive(compatCcs);
    conn.receive(await sealer.seal(ContentType.handshake, rest));
    await conn.process();
    assert.deepEqual(conn.takeOutgoing(), V.clientFinishedRecord);
  });

  it("refuses a CCS whose byte is not 1 with unexpected_message", async () => {
    const { conn } = await startTraceClient();
    conn.receive(plain(ContentType.change_cipher_spec, 2));
    await failsWith(conn, "UNEXPECTED_CCS_MESSAGE", Alert.unexpected_message);
  });

  it("refuses a CCS of two bytes with unexpected_message", async () => {
    const { conn } = await startTraceClient();
    conn.receive(V.serverHelloRecord);
    conn.receive(plain(ContentType.change_cipher_spec, 1, 1));
    await failsWith(conn, "UNEXPECTED_CCS_MESSAGE", Alert.unexpected_message);
  });

  it("refuses a protected CCS with unexpected_message", async () => {
    const { conn } = await startTraceClient();
    conn.receive(V.serverHelloRecord);
    conn.receive(
      await (await serverSealer("handshake")).seal(
        ContentType.change_cipher_spec,
        new Uint8Array([1]),
      ),
    );
    await failsWith(conn, "BAD_RECORD_TYPE", Alert.unexpected_message);
  });

  it("refuses a CCS after the handshake with unexpected_message", async () => {
    const { conn } = await connectedTraceClient();
    conn.receive(compatCcs);
    await failsWith(conn, "UNEXPECTED_CCS_MESSAGE", Alert.unexpected_message);
  });

  it("refuses a flood of compatibility CCS records past the limit", async () => {
    const { conn } = await startTraceClient({ limits: { maxCompatCcs: 2 } });
    conn.receive(concat(compatCcs, compatCcs));
    await conn.process();
    conn.receive(compatCcs);
    await failsWith(conn, "UNEXPECTED_CCS_MESSAGE", Alert.unexpected_message);
  });
});

describe("Connection: alerts (RFC 8446 §6)", () => {
  it("ends reads at close_notify and leaves what follows unprocessed", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    const data = new Uint8Array([1, 2, 3]);
    conn.receive(await server.seal(ContentType.application_data, data));
    conn.receive(await server.seal(ContentType.alert, new Uint8Array([1, Alert.close_notify])));
    const after = await server.seal(ContentType.application_data, data);
    conn.receive(after);
    await conn.process();
    assert.equal(conn.closeNotifyReceived, true);
    assert.equal(conn.error, undefined);
    assert.deepEqual(conn.readApplicationData(), data);
    assert.equal(conn.readApplicationData(), undefined);
    // The bytes after close_notify are left for `unwrap()`.
    assert.deepEqual(conn.takeUnprocessed(), after);
    // Writing still works until we close too (a half-closed connection).
    await conn.write(new Uint8Array([9]));
    assert.ok(conn.takeOutgoing().byteLength > 0);
    await conn.close();
    assert.equal(conn.closeNotifySent, true);
    await assert.rejects(conn.write(new Uint8Array([9])), SSLZeroReturnError);
  });

  it("treats close_notify during the handshake as an unexpected EOF", async () => {
    const { conn } = await startTraceClient();
    conn.receive(plain(ContentType.alert, 1, Alert.close_notify));
    const e = await failsWith(conn, "UNEXPECTED_EOF_WHILE_READING");
    assert.ok(e instanceof SSLEOFError);
  });

  it("surfaces a fatal handshake_failure as SSLV3_ALERT_HANDSHAKE_FAILURE", async () => {
    const { conn } = await startTraceClient();
    conn.receive(plain(ContentType.alert, 2, Alert.handshake_failure));
    await failsWith(conn, "SSLV3_ALERT_HANDSHAKE_FAILURE");
  });

  it("surfaces an encrypted unknown_ca after the ServerHello as TLSV1_ALERT_UNKNOWN_CA", async () => {
    const { conn } = await startTraceClient();
    conn.receive(V.serverHelloRecord);
    conn.receive(
      await (await serverSealer("handshake")).seal(
        ContentType.alert,
        new Uint8Array([2, Alert.unknown_ca]),
      ),
    );
    await failsWith(conn, "TLSV1_ALERT_UNKNOWN_CA");
  });

  it("surfaces a fatal alert after the handshake", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    conn.receive(await server.seal(ContentType.alert, new Uint8Array([2, Alert.internal_error])));
    await failsWith(conn, "TLSV1_ALERT_INTERNAL_ERROR");
  });

  it("treats a warning-level alert other than close_notify or user_canceled as fatal", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    conn.receive(
      await server.seal(ContentType.alert, new Uint8Array([1, Alert.certificate_expired])),
    );
    await failsWith(conn, "SSLV3_ALERT_CERTIFICATE_EXPIRED");
  });

  it("ignores a warning before the ServerHello, when the version is not yet settled", async () => {
    // A TLS 1.2 server warns unrecognized_name before its ServerHello (OpenSSL's s_server with
    // -servername does); OpenSSL's client carries on, and so must a client offering TLS 1.2.
    const { conn } = await startTraceClient();
    conn.receive(plain(ContentType.alert, 1, Alert.unrecognized_name));
    conn.receive(V.serverHelloRecord);
    conn.receive(V.serverHandshakeRecord);
    await conn.process();
    assert.deepEqual(conn.takeOutgoing(), V.clientFinishedRecord);
  });

  it("ignores a warning-level user_canceled", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    conn.receive(await server.seal(ContentType.alert, new Uint8Array([1, Alert.user_canceled])));
    conn.receive(await server.seal(ContentType.application_data, new Uint8Array([7])));
    await conn.process();
    assert.equal(conn.error, undefined);
    assert.deepEqual(conn.readApplicationData(), new Uint8Array([7]));
  });

  it("refuses an alert record of 3 bytes with decode_error", async () => {
    const { conn } = await startTraceClient();
    conn.receive(plain(ContentType.alert, 2, Alert.handshake_failure, 0));
    await failsWith(conn, "BAD_ALERT", Alert.decode_error);
  });

  it("refuses an encrypted alert record of 1 byte, or of two coalesced alerts, with decode_error", async () => {
    for (const body of [[2], [1, 0, 1, 0]]) {
      const { conn } = await connectedTraceClient();
      const server = await serverSealer("application");
      conn.receive(await server.seal(ContentType.alert, new Uint8Array(body)));
      await failsWith(conn, "BAD_ALERT", Alert.decode_error);
    }
  });
});

describe("Connection: application data out of place", () => {
  it("refuses a plaintext application-data record before the handshake", async () => {
    const { conn } = await startTraceClient();
    conn.receive(plain(ContentType.application_data, 1, 2, 3));
    await failsWith(conn, "UNEXPECTED_RECORD", Alert.unexpected_message);
  });

  it("refuses application data under the server's handshake keys", async () => {
    const { conn } = await startTraceClient();
    conn.receive(V.serverHelloRecord);
    conn.receive(
      await (await serverSealer("handshake")).seal(
        ContentType.application_data,
        new Uint8Array([1]),
      ),
    );
    await failsWith(conn, "UNEXPECTED_RECORD", Alert.unexpected_message);
  });

  it("refuses a plaintext record once keys are in use", async () => {
    const { conn } = await startTraceClient();
    conn.receive(V.serverHelloRecord);
    conn.receive(plain(ContentType.handshake, 20, 0, 0, 0));
    await failsWith(conn, "BAD_RECORD_TYPE", Alert.unexpected_message);
  });

  it("refuses a handshake message before start() with unexpected_message", async () => {
    const conn = new Connection("client", NOT_STARTED, newInfo());
    conn.receive(V.serverHelloRecord);
    await failsWith(conn, "UNEXPECTED_MESSAGE", Alert.unexpected_message);
  });

  it("refuses write() before the handshake completes", async () => {
    const { conn } = await startTraceClient();
    await assert.rejects(
      conn.write(new Uint8Array([1])),
      (e: unknown) => e instanceof SSLError && e.reason === "HANDSHAKE_NOT_COMPLETE",
    );
  });
});

describe("Connection: handshake messages and record boundaries (RFC 8446 §5.1)", () => {
  it("refuses a handshake message that continues past a key change", async () => {
    // ServerHello and the first bytes of EncryptedExtensions in one plaintext record.
    const { conn } = await startTraceClient();
    conn.receive(
      frameRecords(
        ContentType.handshake,
        concat(V.serverHello, V.encryptedExtensions.subarray(0, 6)),
      ),
    );
    await failsWith(conn, "UNEXPECTED_MESSAGE", Alert.unexpected_message);
  });

  it("refuses a whole message sent in plaintext after the ServerHello's key change", async () => {
    // An EncryptedExtensions that is not encrypted must not be taken as one.
    const { conn } = await startTraceClient();
    conn.receive(frameRecords(ContentType.handshake, concat(V.serverHello, V.encryptedExtensions)));
    await failsWith(conn, "UNEXPECTED_MESSAGE", Alert.unexpected_message);
  });

  it("refuses application data between the fragments of a handshake message", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    const nst = V.newSessionTicket;
    conn.receive(await server.seal(ContentType.handshake, nst.subarray(0, 10)));
    conn.receive(await server.seal(ContentType.application_data, new Uint8Array([1])));
    conn.receive(await server.seal(ContentType.handshake, nst.subarray(10)));
    await failsWith(conn, "UNEXPECTED_RECORD", Alert.unexpected_message);
  });

  it("lets an alert between the fragments through, so the peer's abort is what surfaces", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    conn.receive(await server.seal(ContentType.handshake, V.newSessionTicket.subarray(0, 10)));
    conn.receive(await server.seal(ContentType.alert, new Uint8Array([2, Alert.internal_error])));
    await failsWith(conn, "TLSV1_ALERT_INTERNAL_ERROR");
  });

  it("reassembles a post-handshake message split over records", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    const nst = V.newSessionTicket;
    for (const [from, to] of [[0, 1], [1, 5], [5, 100], [100, nst.byteLength]]) {
      conn.receive(await server.seal(ContentType.handshake, nst.subarray(from, to)));
    }
    await conn.process();
    assert.equal(conn.takeEvents().filter((e) => e.type === "session").length, 1);
  });
});

describe("Connection: empty application-data records (RFC 8446 §5.4)", () => {
  it("tolerates empty records up to the limit, counting only consecutive ones", async () => {
    const { conn } = await connectedTraceClient({ maxEmptyRecords: 3 });
    const server = await serverSealer("application");
    const empty = () => server.seal(ContentType.application_data, new Uint8Array(0));
    for (let i = 0; i < 3; i++) conn.receive(await empty());
    conn.receive(await server.seal(ContentType.application_data, new Uint8Array([5])));
    for (let i = 0; i < 3; i++) conn.receive(await empty());
    await conn.process();
    assert.equal(conn.error, undefined);
    assert.deepEqual(conn.readApplicationData(), new Uint8Array([5]));
    conn.receive(await empty());
    await failsWith(conn, "RECORD_TOO_SMALL", Alert.unexpected_message);
  });

  it("refuses the 33rd empty record in a row by default", async () => {
    const { conn } = await connectedTraceClient();
    const server = await serverSealer("application");
    for (let i = 0; i < 32; i++) {
      conn.receive(await server.seal(ContentType.application_data, new Uint8Array(0)));
    }
    await conn.process();
    assert.equal(conn.error, undefined);
    conn.receive(await server.seal(ContentType.application_data, new Uint8Array(0)));
    await failsWith(conn, "RECORD_TOO_SMALL", Alert.unexpected_message);
  });
});

describe("Connection: transport EOF", () => {
  it("is an unexpected EOF during the handshake", async () => {
    const { conn } = await startTraceClient();
    conn.receive(V.serverHelloRecord);
    conn.receiveEof();
    const e = await failsWith(conn, "UNEXPECTED_EOF_WHILE_READING");
    assert.ok(e instanceof SSLEOFError);
  });

  it("is an unexpected EOF in the middle of a record after the handshake", async () => {
    const { conn } = await connectedTraceClient();
    conn.receive(V.newSessionTicketRecord.subarray(0, 10));
    conn.receiveEof();
    await failsWith(conn, "UNEXPECTED_EOF_WHILE_READING");
  });

  it("is left to the caller on a record boundary after the handshake", async () => {
    const { conn } = await connectedTraceClient();
    conn.receiveEof();
    await conn.process();
    assert.equal(conn.error, undefined);
    assert.equal(conn.closeNotifyReceived, false);
  });
});
