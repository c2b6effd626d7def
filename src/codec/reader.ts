/**
 * A bounds-checked reader over wire bytes. Every length read from the wire is checked against
 * the bytes that remain and against the protocol's limits before anything is sliced, so a
 * hostile length can never allocate or read out of bounds.
 * @module
 */
import type { Bytes } from "../_bytes.ts";

/** Thrown when wire bytes do not parse; the engine answers it with a `decode_error` alert. */
export class DecodeError extends Error {
  /** @param message what did not parse (never includes secret material) */
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** Reads big-endian integers and length-prefixed vectors from a byte buffer. */
export class Reader {
  #buf: Bytes;
  #off = 0;

  /** @param buf the bytes to read; never copied */
  constructor(buf: Bytes) {
    this.#buf = buf;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#buf.byteLength - this.#off;
  }

  /** Offset of the next byte to read. */
  get offset(): number {
    return this.#off;
  }

  #need(n: number, what: string): void {
    if (n > this.remaining) throw new DecodeError(`truncated ${what}`);
  }

  /** Reads one byte. */
  u8(what = "u8"): number {
    this.#need(1, what);
    return this.#buf[this.#off++];
  }

  /** Reads a 16-bit big-endian integer. */
  u16(what = "u16"): number {
    this.#need(2, what);
    const b = this.#buf, o = this.#off;
    this.#off += 2;
    return (b[o] << 8) | b[o + 1];
  }

  /** Reads a 24-bit big-endian integer. */
  u24(what = "u24"): number {
    this.#need(3, what);
    const b = this.#buf, o = this.#off;
    this.#off += 3;
    return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  }

  /** Reads a 32-bit big-endian integer. */
  u32(what = "u32"): number {
    this.#need(4, what);
    const b = this.#buf, o = this.#off;
    this.#off += 4;
    return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  /** Reads a 64-bit big-endian integer as a bigint. */
  u64(what = "u64"): bigint {
    const hi = this.u32(what);
    const lo = this.u32(what);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Returns the next `n` bytes as a view (no copy). */
  bytes(n: number, what = "bytes"): Bytes {
    this.#need(n, what);
    const out = this.#buf.subarray(this.#off, this.#off + n);
    this.#off += n;
    return out;
  }

  /** Returns every byte not yet read. */
  rest(): Bytes {
    return this.bytes(this.remaining);
  }

  #vec(lenBytes: 1 | 2 | 3, min: number, max: number, what: string): Bytes {
    const n = lenBytes === 1 ? this.u8(what) : lenBytes === 2 ? this.u16(what) : this.u24(what);
    if (n < min || n > max) throw new DecodeError(`${what}: length ${n} outside ${min}..${max}`);
    return this.bytes(n, what);
  }

  /** Reads `opaque x<min..max>` with a one-byte length. */
  vec8(what = "vector", min = 0, max = 0xff): Bytes {
    return this.#vec(1, min, max, what);
  }

  /** Reads `opaque x<min..max>` with a two-byte length. */
  vec16(what = "vector", min = 0, max = 0xffff): Bytes {
    return this.#vec(2, min, max, what);
  }

  /** Reads `opaque x<min..max>` with a three-byte length. */
  vec24(what = "vector", min = 0, max = 0xffffff): Bytes {
    return this.#vec(3, min, max, what);
  }

  /** A reader over a one-byte-length-prefixed block. */
  sub8(what = "block", min = 0, max = 0xff): Reader {
    return new Reader(this.vec8(what, min, max));
  }

  /** A reader over a two-byte-length-prefixed block. */
  sub16(what = "block", min = 0, max = 0xffff): Reader {
    return new Reader(this.vec16(what, min, max));
  }

  /** A reader over a three-byte-length-prefixed block. */
  sub24(what = "block", min = 0, max = 0xffffff): Reader {
    return new Reader(this.vec24(what, min, max));
  }

  /** Throws unless every byte has been read (trailing data is a decode error). */
  end(what = "message"): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes in ${what}`);
  }
}
