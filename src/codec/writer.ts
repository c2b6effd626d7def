/**
 * A growable writer with length-prefixed blocks, the mirror of {@link Reader}.
 * @module
 */
import type { Bytes } from "../_bytes.ts";

/** Appends big-endian integers, raw bytes and length-prefixed blocks. */
export class Writer {
  #buf: Bytes;
  #len = 0;

  /** @param capacity initial capacity in bytes; the buffer grows as needed */
  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.byteLength) return;
    let cap = this.#buf.byteLength * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Appends one byte. */
  u8(v: number): this {
    this.#reserve(1);
    this.#buf[this.#len++] = v;
    return this;
  }

  /** Appends a 16-bit big-endian integer. */
  u16(v: number): this {
    this.#reserve(2);
    this.#buf[this.#len++] = v >>> 8;
    this.#buf[this.#len++] = v;
    return this;
  }

  /** Appends a 24-bit big-endian integer. */
  u24(v: number): this {
    this.#reserve(3);
    this.#buf[this.#len++] = v >>> 16;
    this.#buf[this.#len++] = v >>> 8;
    this.#buf[this.#len++] = v;
    return this;
  }

  /** Appends a 32-bit big-endian integer. */
  u32(v: number): this {
    this.#reserve(4);
    this.#buf[this.#len++] = v >>> 24;
    this.#buf[this.#len++] = v >>> 16;
    this.#buf[this.#len++] = v >>> 8;
    this.#buf[this.#len++] = v;
    return this;
  }

  /** Appends a 64-bit big-endian integer. */
  u64(v: bigint): this {
    this.u32(Number((v >> 32n) & 0xffffffffn));
    return this.u32(Number(v & 0xffffffffn));
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): this {
    this.#reserve(b.byteLength);
    this.#buf.set(b, this.#len);
    this.#len += b.byteLength;
    return this;
  }

  #block(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const max = lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff;
    this.#reserve(lenBytes);
    const at = this.#len;
    this.#len += lenBytes;
    body(this);
    const n = this.#len - at - lenBytes;
    // A block that overflows its length prefix is a bug in the caller, never a wire condition.
    if (n > max) throw new RangeError(`block of ${n} bytes exceeds its ${lenBytes}-byte length`);
    for (let i = lenBytes - 1; i >= 0; i--) this.#buf[at + lenBytes - 1 - i] = n >>> (8 * i);
    return this;
  }

  /** Appends a block with a one-byte length prefix written by `body`. */
  vec8(body: (w: this) => void): this {
    return this.#block(1, body);
  }

  /** Appends a block with a two-byte length prefix written by `body`. */
  vec16(body: (w: this) => void): this {
    return this.#block(2, body);
  }

  /** Appends a block with a three-byte length prefix written by `body`. */
  vec24(body: (w: this) => void): this {
    return this.#block(3, body);
  }

  /** Appends `opaque<..>` with a one-byte length. */
  opaque8(b: Uint8Array): this {
    return this.vec8((w) => w.bytes(b));
  }

  /** Appends `opaque<..>` with a two-byte length. */
  opaque16(b: Uint8Array): this {
    return this.vec16((w) => w.bytes(b));
  }

  /** Appends `opaque<..>` with a three-byte length. */
  opaque24(b: Uint8Array): this {
    return this.vec24((w) => w.bytes(b));
  }

  /** The bytes written, as an exact-size copy. */
  finish(): Bytes {
    return this.#buf.slice(0, this.#len);
  }
}
