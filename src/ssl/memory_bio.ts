/**
 * `MemoryBIO`: an in-memory byte queue between an `SSLObject` and whatever moves bytes.
 * @module
 */
import { type Bytes, concat, copyBytes } from "../_bytes.ts";
import { SSLError } from "../errors.ts";

/**
 * A memory buffer passing bytes between application code and an `SSLObject` (Python's
 * `ssl.MemoryBIO`).
 *
 * @example
 * ```ts
 * import { MemoryBIO } from "@webtls/webtls";
 * const bio = new MemoryBIO();
 * bio.write(new Uint8Array([1, 2, 3]));
 * console.log(bio.pending, bio.read(2), bio.pending); // 3 Uint8Array(2) [1, 2] 1
 * ```
 */
export class MemoryBIO {
  #chunks: Bytes[] = [];
  #pending = 0;
  #eofWritten = false;

  /** Number of bytes buffered. */
  get pending(): number {
    return this.#pending;
  }

  /** True once `writeEof()` was called and every buffered byte was read. */
  get eof(): boolean {
    return this.#eofWritten && this.#pending === 0;
  }

  /** Reads up to `n` bytes (all when `n` is negative or omitted). */
  read(n = -1): Bytes {
    const want = n < 0 || n > this.#pending ? this.#pending : n;
    if (want === 0) return new Uint8Array(0);
    if (this.#chunks[0].byteLength < want) this.#chunks = [concat(...this.#chunks)];
    const out = this.#chunks[0].subarray(0, want);
    const rest = this.#chunks[0].subarray(want);
    if (rest.byteLength) this.#chunks[0] = rest;
    else this.#chunks.shift();
    this.#pending -= want;
    return out;
  }

  /** Appends a copy of `buf`; returns its length. Throws after `writeEof()`. */
  write(buf: Uint8Array): number {
    if (this.#eofWritten) throw new SSLError("EOF_WRITTEN", "cannot write() after write_eof()");
    if (buf.byteLength === 0) return 0;
    this.#chunks.push(copyBytes(buf));
    this.#pending += buf.byteLength;
    return buf.byteLength;
  }

  /** Marks the end of the stream: no more writes; `eof` turns true once drained. */
  writeEof(): void {
    this.#eofWritten = true;
  }
}
