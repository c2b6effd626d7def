/**
 * Byte helpers shared by every layer. All buffers are `Uint8Array<ArrayBuffer>` because
 * WebCrypto rejects views over `SharedArrayBuffer` (TypeScript 5.7+ types the default wider).
 * @module
 */

/** A byte buffer backed by a plain `ArrayBuffer`. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** An empty byte buffer. */
export const EMPTY: Bytes = new Uint8Array(0);

/** Allocates `n` zero bytes. */
export function alloc(n: number): Bytes {
  return new Uint8Array(n);
}

/** Copies any byte view into a fresh `Bytes` of its own. */
export function copyBytes(b: Uint8Array): Bytes {
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}

/** Returns `b` unchanged when it is already a plain `Bytes`, else a copy. */
export function asBytes(b: Uint8Array): Bytes {
  return b.buffer instanceof ArrayBuffer ? b as Bytes : copyBytes(b);
}

/** Concatenates byte views into one new buffer. */
export function concat(...parts: Uint8Array[]): Bytes {
  return concatAll(parts);
}

/** Concatenates a list of byte views (of any length: no argument spreading). */
export function concatAll(parts: readonly Uint8Array[]): Bytes {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Byte equality; not constant-time (use {@link constantTimeEqual} for secrets). */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equality whose running time depends only on the lengths, for MACs and Finished values. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let d = 0;
  for (let i = 0; i < a.byteLength; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lower-case hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.byteLength; i++) s += HEX[b[i]];
  return s;
}

/** Parses hex (whitespace ignored); throws `TypeError` on odd length or a non-hex digit. */
export function fromHex(hex: string): Bytes {
  const s = hex.replace(/\s+/g, "");
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new TypeError("invalid hex string");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 encodes a string. */
export function utf8(s: string): Bytes {
  return encoder.encode(s) as Bytes;
}

/** Decodes UTF-8 (replacement characters for invalid sequences). */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

/** Strict UTF-8 decoding; returns `undefined` when `b` is not valid UTF-8. */
export function fromUtf8Strict(b: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

/** Standard base64 of `b`. */
export function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.byteLength; i += 0x8000) {
    s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Decodes standard base64 (whitespace ignored); throws `TypeError` when malformed. */
export function fromBase64(text: string): Bytes {
  let bin: string;
  try {
    bin = atob(text.replace(/\s+/g, ""));
  } catch {
    throw new TypeError("invalid base64 data");
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Writes `value` big-endian into `n` bytes. */
export function uintBE(value: number, n: number): Bytes {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = value & 0xff;
    value = Math.floor(value / 256);
  }
  return out;
}
