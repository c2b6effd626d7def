/**
 * What the TLS 1.3 and TLS 1.2 AEAD record protections share: key shapes, the nonce XOR, and
 * reassembly of concurrently sealed records.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import type { ContentType } from "../constants.ts";

/** AEAD tag length of every suite here (AES-GCM, ChaCha20-Poly1305). */
export const TAG_LEN = 16;
/** Records one seal call encrypts concurrently. */
export const IN_FLIGHT = 32;
/** Sequence numbers are JS numbers; stopping at 2^53 is well before the 2^64 wrap. */
export const MAX_SEQ: number = Number.MAX_SAFE_INTEGER;

/** A record key and IV, as the key schedule derives them (RFC 8446 §7.3). */
export interface RecordKeys {
  /** The AEAD key. */
  key: Bytes;
  /** The IV: 12 bytes for TLS 1.3, the implicit salt (or full IV) for TLS 1.2. */
  iv: Bytes;
}

/** A decrypted record. */
export interface OpenedRecord {
  /** The true content type. */
  type: ContentType;
  /** The content, padding removed. */
  data: Bytes;
}

/** Writes nonce = iv XOR (0^32 || seq as 64 bits) into `out`. RFC 8446 §5.3, RFC 7905 §2. */
export function xorNonce(out: Bytes, iv: Bytes, seq: number): void {
  out.set(iv);
  const n = out.byteLength;
  const hi = Math.floor(seq / 0x100000000);
  const lo = seq >>> 0;
  out[n - 8] ^= hi >>> 24;
  out[n - 7] ^= hi >>> 16;
  out[n - 6] ^= hi >>> 8;
  out[n - 5] ^= hi;
  out[n - 4] ^= lo >>> 24;
  out[n - 3] ^= lo >>> 16;
  out[n - 2] ^= lo >>> 8;
  out[n - 1] ^= lo;
}

/**
 * Awaits the queued seals and copies each ciphertext into `out` behind its `prefix` bytes
 * (header, and for TLS 1.2 GCM the explicit nonce); the last one ends at `end`.
 */
export async function flushSealed(
  jobs: Promise<Bytes>[],
  out: Bytes,
  end: number,
  prefix: number,
): Promise<void> {
  const sealed = await Promise.all(jobs);
  jobs.length = 0;
  let off = end;
  for (let i = sealed.length - 1; i >= 0; i--) {
    off -= sealed[i].byteLength;
    out.set(sealed[i], off);
    off -= prefix;
  }
}
