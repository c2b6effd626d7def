/**
 * ECDSA signatures between their DER form (TLS and X.509: Ecdsa-Sig-Value, RFC 3279 §2.2.3,
 * RFC 5758 §3.2) and WebCrypto's fixed-width r || s.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { DecodeError } from "../codec/reader.ts";
import { derInt, derSeq, parseOne, readUnsigned, SEQUENCE } from "../codec/der.ts";

/**
 * Converts a DER Ecdsa-Sig-Value to r || s with `n` bytes each. Returns `undefined` for anything
 * but a strict DER encoding of two positive integers that fit.
 */
export function ecdsaDerToRaw(der: Bytes, n: number): Bytes | undefined {
  try {
    const parts = parseOne(der, SEQUENCE, "Ecdsa-Sig-Value").children;
    if (parts.length !== 2) return undefined;
    const out = new Uint8Array(2 * n);
    for (let i = 0; i < 2; i++) {
      const v = readUnsigned(parts[i], "ECDSA integer");
      // Zero is never a valid r or s (FIPS 186-5 §6.4.2).
      if (v.byteLength > n || (v.byteLength === 1 && v[0] === 0)) return undefined;
      out.set(v, (i + 1) * n - v.byteLength);
    }
    return out;
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

/** Converts WebCrypto's r || s (equal halves) to a DER Ecdsa-Sig-Value. */
export function ecdsaRawToDer(raw: Bytes): Bytes {
  const n = raw.byteLength / 2;
  return derSeq(derInt(raw.subarray(0, n)), derInt(raw.subarray(n)));
}
