import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromHex } from "../../src/_bytes.ts";
import { DecodeError, Reader } from "../../src/codec/reader.ts";

const hex = fromHex;

describe("Reader", () => {
  it("reads big-endian integers and tracks its position", () => {
    const r = new Reader(hex("01 0203 040506 0708090a 0b0c0d0e0f101112 ff"));
    assert.equal(r.u8(), 0x01);
    assert.equal(r.u16(), 0x0203);
    assert.equal(r.u24(), 0x040506);
    assert.equal(r.offset, 6);
    assert.equal(r.u32(), 0x0708090a);
    assert.equal(r.u64(), 0x0b0c0d0e0f101112n);
    assert.equal(r.remaining, 1);
    assert.equal(r.u8(), 0xff);
    r.end();
  });

  it("reads the full unsigned range", () => {
    assert.equal(new Reader(hex("ffffffff")).u32(), 0xffffffff);
    assert.equal(new Reader(hex("ffffff")).u24(), 0xffffff);
    assert.equal(new Reader(hex("ffffffffffffffff")).u64(), 0xffffffffffffffffn);
  });

  it("refuses every read past the end, naming the field", () => {
    const reads: [number, (r: Reader) => unknown][] = [
      [1, (r) => r.u8("a")],
      [2, (r) => r.u16("a")],
      [3, (r) => r.u24("a")],
      [4, (r) => r.u32("a")],
      [8, (r) => r.u64("a")],
      [5, (r) => r.bytes(5, "a")],
    ];
    for (const [size, read] of reads) {
      for (let have = 0; have < size; have++) {
        assert.throws(() => read(new Reader(new Uint8Array(have))), (e: unknown) => {
          return e instanceof DecodeError && /truncated a/.test(e.message);
        });
      }
      read(new Reader(new Uint8Array(size)));
    }
  });

  it("returns views, not copies", () => {
    const buf = hex("00112233");
    const r = new Reader(buf);
    r.u8();
    const view = r.bytes(2);
    assert.equal(view.buffer, buf.buffer);
    assert.equal(view.byteOffset, 1);
    assert.deepEqual(r.rest(), hex("33"));
    assert.equal(r.rest().byteLength, 0);
  });

  it("reads vectors with 1-, 2- and 3-byte lengths within their limits", () => {
    const r = new Reader(hex("02aabb 0003ccddee 000001ff"));
    assert.deepEqual(r.vec8("v8", 1, 2), hex("aabb"));
    assert.deepEqual(r.vec16("v16", 3, 3), hex("ccddee"));
    assert.deepEqual(r.vec24("v24"), hex("ff"));
    r.end();
  });

  it("refuses vector lengths outside min..max before reading them", () => {
    assert.throws(() => new Reader(hex("02aabb")).vec8("v", 3), /v: length 2 outside 3\.\.255/);
    assert.throws(() => new Reader(hex("02aabb")).vec8("v", 0, 1), /outside 0\.\.1/);
    assert.throws(() => new Reader(hex("0000")).vec16("v", 1), DecodeError);
    assert.throws(() => new Reader(hex("000004 00")).vec24("v", 0, 3), DecodeError);
  });

  it("refuses vector lengths beyond the buffer", () => {
    assert.throws(() => new Reader(hex("05aabb")).vec8("v"), /truncated v/);
    assert.throws(() => new Reader(hex("ffff")).vec16("v"), /truncated v/);
    assert.throws(() => new Reader(hex("ffffff00")).vec24("v"), /truncated v/);
    assert.throws(() => new Reader(hex("00")).vec16("v"), /truncated v/);
  });

  it("sub-readers see only their block", () => {
    const r = new Reader(hex("0002 aabb cc"));
    const sub = r.sub16("block");
    assert.equal(sub.remaining, 2);
    assert.equal(sub.u16(), 0xaabb);
    assert.throws(() => sub.u8("inner"), /truncated inner/);
    assert.equal(r.u8(), 0xcc);
    assert.deepEqual(new Reader(hex("01ff")).sub8().rest(), hex("ff"));
    assert.deepEqual(new Reader(hex("000001ff")).sub24().rest(), hex("ff"));
    assert.throws(() => new Reader(hex("03ff")).sub8("b"), /truncated b/);
    assert.throws(() => new Reader(hex("01ff")).sub8("b", 2), DecodeError);
  });

  it("end() refuses trailing bytes", () => {
    const r = new Reader(hex("0102"));
    r.u8();
    assert.throws(() => r.end("hello"), /1 trailing bytes in hello/);
    r.u8();
    r.end("hello");
  });
});
