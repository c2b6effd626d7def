import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/_bytes.ts";
import { Reader } from "../../src/codec/reader.ts";
import { Writer } from "../../src/codec/writer.ts";

describe("Writer", () => {
  it("writes big-endian integers", () => {
    const w = new Writer(1);
    w.u8(0x01).u16(0x0203).u24(0x040506).u32(0xfffffffe).u64(0x0b0c0d0e0f101112n);
    assert.equal(toHex(w.finish()), "010203040506fffffffe0b0c0d0e0f101112");
    assert.equal(w.length, 18);
  });

  it("grows past its initial capacity", () => {
    const w = new Writer(2);
    const big = new Uint8Array(1000).fill(7);
    w.bytes(big).u8(9);
    const out = w.finish();
    assert.equal(out.byteLength, 1001);
    assert.equal(out[999], 7);
    assert.equal(out[1000], 9);
  });

  it("finish() returns an exact-size copy", () => {
    const w = new Writer(64);
    w.u8(1);
    const a = w.finish();
    w.u8(2);
    assert.deepEqual(a, fromHex("01"));
    assert.deepEqual(w.finish(), fromHex("0102"));
    assert.equal(a.buffer.byteLength, 1);
  });

  it("writes length-prefixed blocks, nested", () => {
    const w = new Writer();
    w.vec16((b) => b.u8(0xaa).vec8((c) => c.bytes(fromHex("bbcc"))).opaque24(fromHex("dd")));
    assert.equal(toHex(w.finish()), "0008aa02bbcc000001dd");
    assert.equal(toHex(new Writer().opaque8(new Uint8Array(0)).finish()), "00");
    assert.equal(toHex(new Writer().opaque16(fromHex("ee")).finish()), "0001ee");
  });

  it("fills each prefix to its maximum and refuses one byte more", () => {
    const at = (n: number) => new Uint8Array(n);
    assert.equal(new Writer().opaque8(at(0xff)).length, 1 + 0xff);
    assert.equal(new Writer().opaque16(at(0xffff)).length, 2 + 0xffff);
    assert.throws(() => new Writer().opaque8(at(0x100)), RangeError);
    assert.throws(() => new Writer().opaque16(at(0x10000)), RangeError);
    assert.throws(() => new Writer().vec24((w) => w.bytes(at(0x1000000))), RangeError);
    // The overflow is caught however the block's bytes were written.
    assert.throws(() => new Writer().vec8((w) => w.u64(0n).bytes(at(0xf8))), RangeError);
  });

  it("round-trips through Reader", () => {
    const w = new Writer();
    w.u16(0x0303).opaque8(fromHex("0102")).vec16((b) => b.u24(5).opaque16(fromHex("ff")));
    const r = new Reader(w.finish());
    assert.equal(r.u16(), 0x0303);
    assert.deepEqual(r.vec8(), fromHex("0102"));
    const sub = r.sub16();
    assert.equal(sub.u24(), 5);
    assert.deepEqual(sub.vec16(), fromHex("ff"));
    sub.end();
    r.end();
  });
});
