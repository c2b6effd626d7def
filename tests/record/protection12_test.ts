import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat, utf8 } from "../../src/_bytes.ts";
import { Alert, TLSAlertError } from "../../src/alert.ts";
import { CipherSuiteId, ContentType } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider as p } from "../../src/crypto/webcrypto.ts";
import { Deframer, RecordLimit, type TLSRecord } from "../../src/record/deframer.ts";
import { RecordProtection12 } from "../../src/record/protection12.ts";

const GCM128 = suiteById(CipherSuiteId.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)!;
const GCM256 = suiteById(CipherSuiteId.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)!;
const CHACHA = suiteById(CipherSuiteId.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)!;

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const SALT = new Uint8Array([0xca, 0xfe, 0xba, 0xbe]);
const IV12 = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);

function records(bytes: Bytes): TLSRecord[] {
  const d = new Deframer();
  d.maxFragment = RecordLimit.tls12;
  d.push(bytes);
  const out: TLSRecord[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(r);
  return out;
}

const seq8 = (n: number) => new Uint8Array([0, 0, 0, 0, 0, 0, n >> 8, n & 0xff]);

function alertOf(alert: Alert) {
  return (e: unknown) => e instanceof TLSAlertError && e.alert === alert;
}

describe("TLS 1.2 AES-GCM record protection (RFC 5288 §3)", () => {
  it("lays out nonce, explicit nonce and additional data as RFC 5288 and RFC 5246 say", async () => {
    const key = KEY.subarray(0, 16);
    const w = await RecordProtection12.create(p, GCM128, { key, iv: SALT });
    const data = utf8("GET / HTTP/1.1\r\n\r\n");
    await w.seal(ContentType.application_data, utf8("first"));
    const rec = await w.seal(ContentType.application_data, data);
    // Independent computation at sequence number 1.
    const aead = await p.aead("AES-128-GCM", key);
    const nonce = concat(SALT, seq8(1));
    const aad = concat(seq8(1), new Uint8Array([23, 3, 3, 0, data.byteLength]));
    const ct = await aead.seal(nonce, aad, data);
    const len = 8 + ct.byteLength;
    assert.deepEqual(rec, concat(new Uint8Array([23, 3, 3, len >> 8, len & 0xff]), seq8(1), ct));
  });

  for (const suite of [GCM128, GCM256]) {
    it(`${suite.opensslName}: round trips every content type`, async () => {
      const key = KEY.subarray(0, suite.keyLength);
      const w = await RecordProtection12.create(p, suite, { key, iv: SALT });
      const r = await RecordProtection12.create(p, suite, { key, iv: SALT });
      for (const type of [ContentType.handshake, ContentType.alert, ContentType.application_data]) {
        const data = p.random(100);
        const [rec] = records(await w.seal(type, data));
        assert.equal(rec.type, type);
        assert.deepEqual(await r.open(rec), { type, data });
      }
      assert.equal(w.recordCount, 3);
      assert.equal(r.recordCount, 3);
    });
  }

  it("uses the peer's explicit nonce, whatever it is", async () => {
    const key = KEY.subarray(0, 16);
    const aead = await p.aead("AES-128-GCM", key);
    const explicit = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]);
    const data = utf8("hello");
    const ct = await aead.seal(
      concat(SALT, explicit),
      concat(seq8(0), new Uint8Array([23, 3, 3, 0, 5])),
      data,
    );
    const body = concat(explicit, ct);
    const wire = concat(new Uint8Array([23, 3, 3, 0, body.byteLength]), body);
    const r = await RecordProtection12.create(p, GCM128, { key, iv: SALT });
    assert.deepEqual((await r.open(records(wire)[0])).data, data);
  });

  it("maps tampering, wrong sequence, wrong type and short records to bad_record_mac", async () => {
    const key = KEY.subarray(0, 16);
    const w = await RecordProtection12.create(p, GCM128, { key, iv: SALT });
    const wire = await w.seal(ContentType.application_data, utf8("payload"));
    const flipped = wire.slice();
    flipped[wire.byteLength - 1] ^= 1;
    const fresh = () => RecordProtection12.create(p, GCM128, { key, iv: SALT });
    await assert.rejects((await fresh()).open(records(flipped)[0]), alertOf(Alert.bad_record_mac));
    // The type is authenticated through the additional data.
    const retyped = wire.slice();
    retyped[0] = ContentType.handshake;
    await assert.rejects((await fresh()).open(records(retyped)[0]), alertOf(Alert.bad_record_mac));
    // So is the sequence number.
    const late = await fresh();
    await late.seal(ContentType.application_data, utf8("x"));
    await assert.rejects(late.open(records(wire)[0]), alertOf(Alert.bad_record_mac));
    const short = concat(new Uint8Array([23, 3, 3, 0, 20]), new Uint8Array(20));
    await assert.rejects((await fresh()).open(records(short)[0]), alertOf(Alert.bad_record_mac));
  });

  it("rejects plaintext over 2^14 bytes with record_overflow", async () => {
    const r = await RecordProtection12.create(p, GCM128, { key: KEY.subarray(0, 16), iv: SALT });
    const body = new Uint8Array(8 + 16385 + 16);
    const rec = {
      type: ContentType.application_data,
      version: 0x0303,
      fragment: body,
      header: new Uint8Array(5),
    };
    await assert.rejects(r.open(rec), alertOf(Alert.record_overflow));
  });

  it("splits large writes at 2^14 and keeps order with records in flight", async () => {
    const key = KEY.subarray(0, 16);
    const w = await RecordProtection12.create(p, GCM128, { key, iv: SALT });
    const data = p.random(5 * 16384 + 3);
    const recs = records(await w.seal(ContentType.application_data, data));
    assert.deepEqual(recs.map((r) => r.fragment.byteLength), [...Array(5).fill(16384 + 24), 27]);
    const r = await RecordProtection12.create(p, GCM128, { key, iv: SALT });
    const opened = await Promise.all(recs.map((rec) => r.open(rec)));
    assert.deepEqual(concat(...opened.map((o) => o.data)), data);
  });

  it("refuses an IV of the wrong size and empty handshake records", async () => {
    await assert.rejects(
      RecordProtection12.create(p, GCM128, { key: KEY.subarray(0, 16), iv: IV12 }),
      RangeError,
    );
    const w = await RecordProtection12.create(p, GCM128, { key: KEY.subarray(0, 16), iv: SALT });
    await assert.rejects(w.seal(ContentType.handshake, new Uint8Array(0)), RangeError);
    assert.equal(w.maxFragment, 16384 + 2048);
  });
});

describe("TLS 1.2 ChaCha20-Poly1305 record protection (RFC 7905 §2)", () => {
  it("uses iv XOR seq as nonce, no explicit nonce, when the runtime has ChaCha20", async () => {
    await p.ready();
    if (!p.supportsAead("CHACHA20-POLY1305")) return;
    const w = await RecordProtection12.create(p, CHACHA, { key: KEY, iv: IV12 });
    const data = utf8("chacha record");
    await w.seal(ContentType.application_data, utf8("first"));
    const rec = await w.seal(ContentType.application_data, data);
    const aead = await p.aead("CHACHA20-POLY1305", KEY);
    const nonce = IV12.slice();
    nonce[11] ^= 1;
    const ct = await aead.seal(
      nonce,
      concat(seq8(1), new Uint8Array([23, 3, 3, 0, data.byteLength])),
      data,
    );
    assert.deepEqual(rec, concat(new Uint8Array([23, 3, 3, 0, ct.byteLength]), ct));
    const r = await RecordProtection12.create(p, CHACHA, { key: KEY, iv: IV12 });
    const both = records(
      concat(
        await (await RecordProtection12.create(p, CHACHA, { key: KEY, iv: IV12 })).seal(
          23,
          utf8("first"),
        ),
        rec,
      ),
    );
    assert.deepEqual((await r.open(both[0])).data, utf8("first"));
    assert.deepEqual((await r.open(both[1])).data, data);
  });
});
