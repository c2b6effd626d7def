import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat } from "../../src/_bytes.ts";
import { Alert, TLSAlertError } from "../../src/alert.ts";
import { CipherSuiteId, ContentType } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider as p } from "../../src/crypto/webcrypto.ts";
import { Deframer, RecordLimit, type TLSRecord } from "../../src/record/deframer.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import { xorNonce } from "../../src/record/_aead.ts";
import { simple1Rtt as V } from "../vectors/rfc8448.ts";

const suite = suiteById(CipherSuiteId.TLS_AES_128_GCM_SHA256)!;

function records(bytes: Bytes): TLSRecord[] {
  const d = new Deframer();
  d.maxFragment = RecordLimit.tls13;
  d.push(bytes);
  const out: TLSRecord[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(r);
  assert.equal(d.buffered, 0);
  return out;
}

function one(bytes: Bytes): TLSRecord {
  const rs = records(bytes);
  assert.equal(rs.length, 1);
  return rs[0];
}

const state = (key: Bytes, iv: Bytes) => RecordProtection13.create(p, suite, { key, iv });

function alertOf(alert: Alert) {
  return (e: unknown) => e instanceof TLSAlertError && e.alert === alert;
}

/** A record whose TLSInnerPlaintext is exactly `inner`, sealed at sequence 0. */
async function rawRecord(key: Bytes, iv: Bytes, inner: Bytes): Promise<Bytes> {
  const aead = await p.aead("AES-128-GCM", key);
  const len = inner.byteLength + 16;
  const header = new Uint8Array([23, 3, 3, len >> 8, len & 0xff]);
  const nonce = new Uint8Array(12);
  xorNonce(nonce, iv, 0);
  return concat(header, await aead.seal(nonce, header, inner));
}

describe("TLS 1.3 record protection against RFC 8448 §3", () => {
  it("opens the server's protected handshake record", async () => {
    const s = await state(V.serverHandshakeKey, V.serverHandshakeIv);
    const { type, data } = await s.open(one(V.serverHandshakeRecord));
    assert.equal(type, ContentType.handshake);
    assert.deepEqual(data, V.serverHandshakePlaintext);
    assert.deepEqual(
      data,
      concat(V.encryptedExtensions, V.certificate, V.certificateVerify, V.serverFinished),
    );
    assert.equal(s.recordCount, 1);
  });

  it("seals the same record byte for byte", async () => {
    const s = await state(V.serverHandshakeKey, V.serverHandshakeIv);
    assert.deepEqual(
      await s.seal(ContentType.handshake, V.serverHandshakePlaintext),
      V.serverHandshakeRecord,
    );
  });

  it("seals and opens the client Finished record", async () => {
    const w = await state(V.clientHandshakeKey, V.clientHandshakeIv);
    assert.deepEqual(await w.seal(ContentType.handshake, V.clientFinished), V.clientFinishedRecord);
    const r = await state(V.clientHandshakeKey, V.clientHandshakeIv);
    assert.deepEqual((await r.open(one(V.clientFinishedRecord))).data, V.clientFinished);
  });

  it("follows the sequence numbers through the application records", async () => {
    const server = await state(V.serverApplicationKey, V.serverApplicationIv);
    const client = await state(V.clientApplicationKey, V.clientApplicationIv);
    assert.deepEqual(
      await server.seal(ContentType.handshake, V.newSessionTicket),
      V.newSessionTicketRecord,
    );
    assert.deepEqual(
      await client.seal(ContentType.application_data, V.clientApplicationData),
      V.clientApplicationDataRecord,
    );
    assert.deepEqual(
      await server.seal(ContentType.application_data, V.serverApplicationData),
      V.serverApplicationDataRecord,
    );
    assert.deepEqual(
      await client.seal(ContentType.alert, new Uint8Array([1, 0])),
      V.clientAlertRecord,
    );
    assert.deepEqual(
      await server.seal(ContentType.alert, new Uint8Array([1, 0])),
      V.serverAlertRecord,
    );
    const reader = await state(V.serverApplicationKey, V.serverApplicationIv);
    // Several opens in flight: each takes its sequence number when called.
    const opened = await Promise.all(
      [V.newSessionTicketRecord, V.serverApplicationDataRecord, V.serverAlertRecord].map((b) =>
        reader.open(one(b))
      ),
    );
    assert.deepEqual(opened.map((o) => o.type), [22, 23, 21]);
    assert.deepEqual(opened[1].data, V.serverApplicationData);
  });
});

describe("TLS 1.3 record protection rules", () => {
  const key = V.serverApplicationKey, iv = V.serverApplicationIv;

  it("maps a tampered record to bad_record_mac", async () => {
    const rec = V.serverHandshakeRecord.slice();
    rec[100] ^= 0x40;
    const s = await state(V.serverHandshakeKey, V.serverHandshakeIv);
    await assert.rejects(s.open(one(rec)), alertOf(Alert.bad_record_mac));
    // The wrong sequence number fails too.
    const t = await state(V.serverHandshakeKey, V.serverHandshakeIv);
    await t.seal(ContentType.application_data, new Uint8Array(1));
    await assert.rejects(t.open(one(V.serverHandshakeRecord)), alertOf(Alert.bad_record_mac));
  });

  it("rejects an inner plaintext over 2^14 + 1 bytes with record_overflow", async () => {
    const inner = new Uint8Array(16384 + 2);
    inner[16384] = ContentType.application_data;
    const rec = await rawRecord(key, iv, inner);
    const s = await state(key, iv);
    await assert.rejects(s.open(one(rec)), alertOf(Alert.record_overflow));
    // Exactly 2^14 + 1 is fine.
    const ok = await rawRecord(key, iv, inner.subarray(0, 16385));
    assert.equal((await (await state(key, iv)).open(one(ok))).data.byteLength, 16384);
  });

  it("rejects an all-zero inner plaintext with unexpected_message", async () => {
    const rec = await rawRecord(key, iv, new Uint8Array(20));
    await assert.rejects((await state(key, iv)).open(one(rec)), alertOf(Alert.unexpected_message));
  });

  it("rejects a protected change_cipher_spec and empty handshake content", async () => {
    const ccs = await rawRecord(key, iv, new Uint8Array([1, ContentType.change_cipher_spec]));
    await assert.rejects((await state(key, iv)).open(one(ccs)), alertOf(Alert.unexpected_message));
    const empty = await rawRecord(key, iv, new Uint8Array([ContentType.handshake, 0, 0]));
    await assert.rejects(
      (await state(key, iv)).open(one(empty)),
      alertOf(Alert.unexpected_message),
    );
  });

  it("rejects an unprotected outer type", async () => {
    const s = await state(key, iv);
    const rec = one(V.serverHandshakeRecord);
    await assert.rejects(
      s.open({ ...rec, type: ContentType.handshake }),
      alertOf(Alert.unexpected_message),
    );
  });

  it("pads with zeros and strips the padding", async () => {
    const w = await state(key, iv);
    const rec = await w.seal(ContentType.application_data, new Uint8Array([1, 2, 3]), 100);
    assert.equal(rec.byteLength, 5 + 3 + 1 + 100 + 16);
    const out = await (await state(key, iv)).open(one(rec));
    assert.deepEqual(out, { type: ContentType.application_data, data: new Uint8Array([1, 2, 3]) });
    // Application data may be empty (RFC 8446 §5.1), and padding still applies.
    const empty = await (await state(key, iv)).seal(
      ContentType.application_data,
      new Uint8Array(0),
      7,
    );
    assert.equal(empty.byteLength, 5 + 1 + 7 + 16);
  });

  it("splits a large buffer into full records, in order", async () => {
    const data = p.random(3 * 16384 + 1000);
    const w = await state(key, iv);
    const sealed = await w.seal(ContentType.application_data, data);
    const recs = records(sealed);
    assert.equal(recs.length, 4);
    assert.deepEqual(recs.map((r) => r.fragment.byteLength), [16401, 16401, 16401, 1017]);
    assert.equal(w.recordCount, 4);
    const r = await state(key, iv);
    const opened = await Promise.all(recs.map((rec) => r.open(rec)));
    assert.deepEqual(concat(...opened.map((o) => o.data)), data);
  });

  it("splits with many records in flight and honours a smaller maxPlaintext", async () => {
    const data = p.random(100 * 1000);
    const w = await state(key, iv);
    w.maxPlaintext = 1000;
    const recs = records(await w.seal(ContentType.application_data, data, 10));
    assert.equal(recs.length, Math.ceil(data.byteLength / 990));
    const r = await state(key, iv);
    const opened = [];
    for (const rec of recs) opened.push((await r.open(rec)).data);
    assert.deepEqual(concat(...opened), data);
  });

  it("refuses empty handshake records and bad padding", async () => {
    const w = await state(key, iv);
    await assert.rejects(w.seal(ContentType.handshake, new Uint8Array(0)), RangeError);
    await assert.rejects(
      w.seal(ContentType.application_data, new Uint8Array(1), 16384),
      RangeError,
    );
    await assert.rejects(w.seal(ContentType.application_data, new Uint8Array(1), -1), RangeError);
  });

  it("counts records against the suite's AEAD limit (RFC 8446 §5.5)", async () => {
    const w = await state(key, iv);
    assert.equal(w.recordsLeft, Math.floor(2 ** 24.5));
    await w.seal(ContentType.application_data, new Uint8Array(1));
    assert.equal(w.recordsLeft, Math.floor(2 ** 24.5) - 1);
    assert.equal(w.maxFragment, 16384 + 256);
  });

  it("builds the nonce as iv XOR the 64-bit sequence number (RFC 8446 §5.3)", () => {
    const out = new Uint8Array(12);
    xorNonce(out, new Uint8Array(12).fill(0xff), 0x0102030405);
    assert.deepEqual(
      out,
      new Uint8Array([255, 255, 255, 255, 255, 255, 255, 254, 253, 252, 251, 250]),
    );
  });
});
