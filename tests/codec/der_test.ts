import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, fromHex, toHex } from "../../src/_bytes.ts";
import {
  BIT_STRING,
  BMP_STRING,
  BOOLEAN,
  contextTag,
  decodeString,
  derBitString,
  derInt,
  derNull,
  derOctets,
  derOid,
  derSeq,
  DerSequence,
  derTag,
  expect,
  explicit,
  GENERALIZED_TIME,
  hasTag,
  IA5_STRING,
  INTEGER,
  isContext,
  isStringTag,
  MAX_DEPTH,
  NULL,
  OCTET_STRING,
  OID,
  parseDer,
  parseOne,
  readBitString,
  readBitStringBytes,
  readBoolean,
  readInteger,
  readNull,
  readOctetString,
  readOid,
  readTime,
  readUint,
  readUnsigned,
  seq,
  SEQUENCE,
  SET,
  set,
  T61_STRING,
  UNIVERSAL_STRING,
  UTC_TIME,
  UTF8_STRING,
} from "../../src/codec/der.ts";
import { DecodeError } from "../../src/codec/reader.ts";

const hex = fromHex;

function rejects(input: Uint8Array, what?: RegExp): void {
  assert.throws(
    () => parseDer(input, "test"),
    (e: unknown) => e instanceof DecodeError && (what === undefined || what.test(e.message)),
    `expected a DecodeError for ${toHex(input)}`,
  );
}

function decodeFails(fn: () => unknown): void {
  assert.throws(fn, DecodeError);
}

/** A nested structure touching every length form and a context tag. */
const SAMPLE = derSeq(
  derInt(new Uint8Array([1])),
  derSeq(derOid("1.2.840.113549.1.1.11"), derNull()),
  derTag(contextTag(0), derOctets(new Uint8Array(200))),
  derTag(contextTag(1, false), new Uint8Array([0xaa, 0xbb])),
  derBitString(new Uint8Array(300)),
);

describe("DER reader: structure", () => {
  it("parses a tree and keeps views of the input", () => {
    const n = parseDer(SAMPLE);
    assert.equal(n.id, SEQUENCE);
    assert.equal(n.cls, 0);
    assert.equal(n.tag, 16);
    assert.equal(n.constructed, true);
    assert.equal(n.raw.byteLength, SAMPLE.byteLength);
    assert.equal(n.raw.buffer, SAMPLE.buffer);
    const [version, alg, ctx0, ctx1, bits] = n.children;
    assert.equal(readUint(version, "version"), 1);
    assert.equal(readOid(seq(alg, "alg")[0], "oid"), "1.2.840.113549.1.1.11");
    readNull(seq(alg, "alg")[1], "params");
    assert.ok(isContext(ctx0, 0) && ctx0.constructed);
    assert.equal(readOctetString(explicit(ctx0, "ctx0"), "inner").byteLength, 200);
    assert.ok(isContext(ctx1, 1) && !ctx1.constructed);
    assert.deepEqual(readOctetString(ctx1, "implicit", contextTag(1, false)), hex("aabb"));
    assert.equal(readBitStringBytes(bits, "bits").byteLength, 300);
  });

  it("refuses indefinite lengths", () => {
    rejects(hex("3080 0500 0000"), /indefinite/);
    rejects(hex("2480 0401aa 0000"), /indefinite/);
  });

  it("refuses lengths not in the fewest octets", () => {
    rejects(hex("0481 05 0102030405"), /non-minimal length/);
    rejects(hex("0482 0005 0102030405"), /non-minimal length/);
    rejects(hex("0482 0080" + "00".repeat(0x80)), /non-minimal length/);
    rejects(hex("0483 000100" + "00".repeat(0x100)), /non-minimal length/);
    // The shortest long forms are fine.
    assert.equal(parseDer(hex("0481 80" + "00".repeat(0x80))).content.byteLength, 0x80);
    assert.equal(parseDer(hex("0482 0100" + "00".repeat(0x100))).content.byteLength, 0x100);
  });

  it("refuses huge and reserved lengths without allocating", () => {
    rejects(hex("0484 ffffffff 00"), /truncated/);
    rejects(hex("0484 7fffffff"), /truncated/);
    rejects(hex("0485 0100000000 00"), /length too large/);
    rejects(hex("04ff 00"), /length too large/);
    rejects(hex("3084 01000000 0500"), /truncated/);
  });

  it("refuses truncation at every position", () => {
    for (let i = 0; i < SAMPLE.byteLength; i++) rejects(SAMPLE.subarray(0, i));
  });

  it("refuses an inner element that overruns its parent", () => {
    rejects(hex("3003 0402 aabb"), /truncated/);
    rejects(hex("3004 0402 aabb 00"), /trailing|truncated/);
  });

  it("refuses trailing bytes", () => {
    rejects(concat(SAMPLE, new Uint8Array([0])), /trailing/);
    rejects(hex("0500 0500"), /trailing/);
  });

  it("limits nesting depth", () => {
    let ok: Uint8Array = derNull();
    for (let i = 0; i < MAX_DEPTH; i++) ok = derSeq(ok);
    assert.equal(parseDer(ok).id, SEQUENCE); // MAX_DEPTH SEQUENCEs around a NULL
    rejects(derSeq(ok), /too deep/);
    let deep: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 2000; i++) deep = derSeq(deep);
    rejects(deep, /too deep/);
  });

  it("reads tag numbers from 31 in the fewest octets", () => {
    const n = parseDer(hex("9f1f 01 00"));
    assert.equal(n.cls, 2);
    assert.equal(n.tag, 31);
    assert.equal(n.id, 0x9f);
    assert.equal(parseDer(hex("bf8100 00")).tag, 128);
    assert.equal(parseDer(hex("1f8100 00")).children.length, 0);
    rejects(hex("9f1e 00"), /non-minimal tag/);
    rejects(hex("9f80 1f 00"), /non-minimal tag/);
    rejects(hex("9f8181818101 00"), /bad tag/);
    rejects(hex("9f81"), /bad tag|truncated/);
    // No constant matches a high tag number.
    assert.equal(hasTag(parseDer(hex("1f8100 00")), 0x1f), true);
    assert.equal(hasTag(parseDer(hex("1f8100 00")), NULL), false);
  });

  it("parses every child of a constructed element, even ones callers skip", () => {
    rejects(derSeq(derTag(contextTag(0), hex("0481 05 0102030405"))), /non-minimal/);
    // A primitive element's contents are not parsed.
    assert.equal(parseDer(derOctets(hex("3080"))).children.length, 0);
  });

  it("copies a view over shared memory before parsing", () => {
    const shared = new Uint8Array(new SharedArrayBuffer(2));
    shared.set([0x05, 0x00]);
    assert.equal(parseDer(shared).raw.buffer instanceof ArrayBuffer, true);
  });

  it("turns random damage into DecodeError and nothing else", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      const m = SAMPLE.slice();
      for (let k = 0; k <= rand(3); k++) m[rand(m.byteLength)] = rand(256);
      try {
        parseDer(m);
      } catch (e) {
        assert.ok(e instanceof DecodeError, String(e));
      }
    }
  });
});

describe("DER reader: element checks", () => {
  it("expect checks class, number and form", () => {
    const n = parseDer(derSeq());
    assert.equal(expect(n, SEQUENCE, "s"), n);
    assert.throws(() => expect(n, SET, "s"), /unexpected element/);
    assert.throws(() => expect(parseDer(hex("1000")), SEQUENCE, "s"), /wrong encoding form/);
    assert.throws(() => expect(undefined, SEQUENCE, "s"), /unexpected element/);
    assert.throws(() => parseOne(derNull(), SEQUENCE, "s"), DecodeError);
    assert.equal(set(parseDer(derTag(SET, derNull())), "set").length, 1);
    decodeFails(() => seq(parseDer(derTag(SET)), "set"));
  });

  it("explicit wants exactly one element, optionally of one type", () => {
    const one = parseDer(derTag(contextTag(2), derNull()));
    assert.equal(explicit(one, "x", NULL).id, NULL);
    decodeFails(() => explicit(one, "x", INTEGER));
    decodeFails(() => explicit(parseDer(derTag(contextTag(2), derNull(), derNull())), "x"));
    decodeFails(() => explicit(parseDer(derTag(contextTag(2))), "x"));
    decodeFails(() => explicit(parseDer(derTag(contextTag(2, false), derNull())), "x"));
  });

  it("contextTag builds identifier octets for [0] to [30]", () => {
    assert.equal(contextTag(0), 0xa0);
    assert.equal(contextTag(3, false), 0x83);
    assert.equal(contextTag(30), 0xbe);
    assert.throws(() => contextTag(31), RangeError);
  });

  it("INTEGER: minimal two's complement, magnitudes and bounds", () => {
    const int = (h: string) =>
      parseDer(hex(`02${(h.length / 2).toString(16).padStart(2, "0")}${h}`));
    assert.deepEqual(readInteger(int("ff"), "i"), hex("ff"));
    assert.deepEqual(readInteger(int("ff7f"), "i"), hex("ff7f"));
    decodeFails(() => readInteger(parseDer(hex("0200")), "i"));
    decodeFails(() => readInteger(int("0001"), "i"));
    decodeFails(() => readInteger(int("ff80"), "i"));
    assert.deepEqual(readUnsigned(int("0080"), "u"), hex("80"));
    assert.deepEqual(readUnsigned(int("00"), "u"), hex("00"));
    decodeFails(() => readUnsigned(int("80"), "u"));
    assert.equal(readUint(int("7fffffff"), "u", 0x7fffffff), 0x7fffffff);
    decodeFails(() => readUint(int("0080000000"), "u", 0x7fffffff));
    assert.equal(readUint(int("00ffffffffffff"), "u"), 2 ** 48 - 1);
    decodeFails(() => readUint(int("01000000000000"), "u"));
    assert.equal(readUint(int("1fffffffffffff"), "u", Number.MAX_SAFE_INTEGER), 2 ** 53 - 1);
    decodeFails(() => readUint(int("00ffffffffffffffff"), "u", Number.MAX_SAFE_INTEGER));
    decodeFails(() => readUint(parseDer(derOctets(hex("01"))), "u"));
  });

  it("BOOLEAN and NULL take only their DER forms", () => {
    assert.equal(readBoolean(parseDer(hex("0101ff")), "b"), true);
    assert.equal(readBoolean(parseDer(hex("010100")), "b"), false);
    decodeFails(() => readBoolean(parseDer(hex("010101")), "b"));
    decodeFails(() => readBoolean(parseDer(hex("0102ffff")), "b"));
    decodeFails(() => readBoolean(parseDer(hex("0100")), "b"));
    readNull(parseDer(hex("0500")), "n");
    decodeFails(() => readNull(parseDer(hex("050100")), "n"));
    decodeFails(() => readNull(parseDer(hex("2500")), "n"));
    assert.equal(BOOLEAN, 0x01);
  });

  it("BIT STRING: unused bits 0 to 7, none in an empty string", () => {
    assert.deepEqual(readBitString(parseDer(hex("030207 80")), "b"), {
      unused: 7,
      data: hex("80"),
    });
    assert.equal(readBitString(parseDer(hex("030100")), "b").data.byteLength, 0);
    decodeFails(() => readBitString(parseDer(hex("0300")), "b"));
    decodeFails(() => readBitString(parseDer(hex("030208 00")), "b"));
    decodeFails(() => readBitString(parseDer(hex("030101")), "b"));
    decodeFails(() => readBitStringBytes(parseDer(hex("030201 fe")), "b"));
    decodeFails(() => readBitString(parseDer(hex("2300")), "b"));
    assert.equal(BIT_STRING, 0x03);
  });

  it("OCTET STRING: primitive only, implicit tags accepted when named", () => {
    assert.deepEqual(readOctetString(parseDer(hex("0402aabb")), "o"), hex("aabb"));
    decodeFails(() => readOctetString(parseDer(hex("2404 0402aabb")), "o"));
    decodeFails(() => readOctetString(parseDer(hex("8002aabb")), "o"));
    assert.equal(readOctetString(parseDer(hex("8002aabb")), "o", contextTag(0, false)).length, 2);
    assert.equal(OCTET_STRING, 0x04);
  });

  it("OID: round trips, big arcs, minimal subidentifiers", () => {
    for (
      const oid of [
        "1.2.840.113549.1.1.11",
        "2.5.29.17",
        "0.9.2342.19200300.100.1.1",
        "1.3.6.1.4.1.311.60.2.1.3",
        "2.999.1",
        "0.0",
        "1.39",
        "2.25.329800735698586629295641978511506172918",
        "1.2.9007199254740993",
      ]
    ) {
      assert.equal(readOid(parseDer(derOid(oid)), "oid"), oid);
    }
    assert.deepEqual(derOid("1.2.840.113549"), hex("06062a864886f70d"));
    decodeFails(() => readOid(parseDer(hex("0600")), "oid"));
    decodeFails(() => readOid(parseDer(hex("0603 2a8001")), "oid"));
    decodeFails(() => readOid(parseDer(hex("0602 2a86")), "oid"));
    decodeFails(() => readOid(parseDer(hex("0602 802a")), "oid"));
    assert.equal(readOid(parseDer(hex("8801 2a")), "oid", contextTag(8, false)), "1.2");
    decodeFails(() => readOid(parseDer(hex("8801 2a")), "oid"));
    assert.equal(OID, 0x06);
  });

  it("times follow RFC 5280 §4.1.2.5", () => {
    const t = (id: number, s: string) =>
      readTime(parseDer(derTag(id, new TextEncoder().encode(s))), "t").toISOString();
    assert.equal(t(UTC_TIME, "491231235959Z"), "2049-12-31T23:59:59.000Z");
    assert.equal(t(UTC_TIME, "500101000000Z"), "1950-01-01T00:00:00.000Z");
    assert.equal(t(GENERALIZED_TIME, "20500101000000Z"), "2050-01-01T00:00:00.000Z");
    assert.equal(t(GENERALIZED_TIME, "20240229120000Z"), "2024-02-29T12:00:00.000Z");
    for (
      const [id, s] of [
        [UTC_TIME, "4912312359Z"], // no seconds
        [UTC_TIME, "491231235959"], // no Z
        [UTC_TIME, "491231235959+0100"],
        [GENERALIZED_TIME, "20500101000000.5Z"], // fraction
        [GENERALIZED_TIME, "20230229000000Z"], // no such day
        [GENERALIZED_TIME, "20501301000000Z"],
        [GENERALIZED_TIME, "20500101240000Z"],
        [UTF8_STRING, "20500101000000Z"], // not a time type
      ] as const
    ) {
      assert.throws(() => t(id, s), DecodeError, s);
    }
    decodeFails(() => readTime(undefined, "t"));
    decodeFails(() => readTime(parseDer(derTag(0x37, derNull())), "t")); // constructed
  });

  it("strings decode as OpenSSL does", () => {
    const s = (id: number, h: string) => decodeString(parseDer(derTag(id, hex(h))));
    assert.equal(s(UTF8_STRING, "c3a9"), "é");
    assert.equal(s(UTF8_STRING, "c3"), undefined);
    assert.equal(s(BMP_STRING, "00e9 0041"), "éA");
    assert.equal(s(BMP_STRING, "00"), undefined);
    assert.equal(s(UNIVERSAL_STRING, "0001f600"), "😀");
    assert.equal(s(UNIVERSAL_STRING, "00110000"), undefined);
    assert.equal(s(T61_STRING, "e9"), "é");
    assert.equal(s(IA5_STRING, "41"), "A");
    assert.equal(s(IA5_STRING, "e9"), undefined);
    assert.equal(isStringTag(parseDer(derTag(UTF8_STRING))), true);
    assert.equal(isStringTag(parseDer(derTag(0x2c))), false);
    assert.equal(isStringTag(parseDer(derOctets(hex("")))), false);
  });
});

describe("DerSequence", () => {
  const node = parseDer(
    derSeq(derInt(new Uint8Array([2])), derNull(), derTag(contextTag(1), derNull())),
  );

  it("walks fields with OPTIONAL ones", () => {
    const s = new DerSequence(node, "seq");
    assert.equal(s.peekTag(), INTEGER);
    assert.equal(readUint(s.next(INTEGER, "version"), "version"), 2);
    s.optionalNull("params");
    assert.equal(s.optional(contextTag(0)), undefined);
    assert.equal(s.optionalAny()?.id, contextTag(1));
    assert.equal(s.optionalAny(), undefined);
    assert.equal(s.peekTag(), undefined);
    s.end();
  });

  it("names what is missing, mistyped or left over", () => {
    assert.throws(() => new DerSequence(parseDer(derNull()), "n"), /not constructed/);
    const s = new DerSequence(node, "seq");
    assert.throws(() => s.next(NULL, "x"), /x has the wrong type/);
    assert.throws(() => s.end(), /unexpected fields/);
    s.next(INTEGER, "version");
    s.next(NULL, "null");
    s.next(contextTag(1), "ctx");
    assert.throws(() => s.next(NULL, "more"), /missing more/);
    const bad = new DerSequence(parseDer(derSeq(hex("050100"))), "seq");
    assert.throws(() => bad.optionalNull("params"), DecodeError);
  });
});

describe("DER writer", () => {
  it("encodes lengths in the fewest octets", () => {
    for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
      const der = derOctets(new Uint8Array(n));
      const lengthOctets = n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4;
      assert.equal(der.byteLength, 1 + lengthOctets + n, `length ${n}`);
      assert.equal(readOctetString(parseDer(der), "o").byteLength, n);
    }
  });

  it("encodes INTEGER magnitudes minimally", () => {
    const cases: [string, string][] = [
      ["", "020100"],
      ["00", "020100"],
      ["0000", "020100"],
      ["7f", "02017f"],
      ["80", "02020080"],
      ["000080", "02020080"],
      ["0100", "02020100"],
    ];
    for (const [m, der] of cases) assert.equal(toHex(derInt(hex(m))), der, m);
    const big = new Uint8Array(256).fill(0xff);
    assert.deepEqual(readUnsigned(parseDer(derInt(big)), "i"), big);
  });

  it("encodes BIT STRING, NULL, SEQUENCE and tags that read back", () => {
    assert.equal(toHex(derBitString(hex("aabb"))), "030300aabb");
    assert.equal(toHex(derNull()), "0500");
    assert.equal(toHex(derSeq()), "3000");
    assert.equal(toHex(derTag(contextTag(0, false), hex("01"))), "800101");
    const tree = derSeq(derSeq(derBitString(hex("01"))), derTag(contextTag(3), derNull()));
    assert.deepEqual(parseDer(tree).raw, tree);
  });

  it("refuses malformed OIDs, which are programming errors", () => {
    for (const bad of ["", "1", "3.1", "1.40", "0.39.", "1..2", "1.02", "a.b", "-1.2"]) {
      assert.throws(() => derOid(bad), RangeError, bad);
    }
  });
});
