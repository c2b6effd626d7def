/**
 * Point validation for the NIST prime curves, which not every runtime's WebCrypto import does
 * (Deno 2.9 accepts off-curve points). SEC 1 §3.2.2.1; curve constants from FIPS 186-4 §D.1.2.
 * @module
 */
import { toHex } from "../_bytes.ts";

/** The WebCrypto names of the NIST curves. */
export type NistCurve = "P-256" | "P-384" | "P-521";

/** Short-Weierstrass y² = x³ − 3x + b over GF(p). */
const CURVES: Record<NistCurve, { p: bigint; b: bigint }> = {
  "P-256": {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  "P-384": {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  "P-521": {
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
};

/**
 * Whether (x, y), given as big-endian field elements, is a point of `curve`: both coordinates
 * below p and the curve equation holds. The point at infinity has no affine form, so it fails.
 */
export function isOnCurve(curve: NistCurve, x: Uint8Array, y: Uint8Array): boolean {
  const { p, b } = CURVES[curve];
  const X = BigInt("0x" + (toHex(x) || "0"));
  const Y = BigInt("0x" + (toHex(y) || "0"));
  if (X >= p || Y >= p) return false;
  const rhs = ((X * X % p) * X - 3n * X + b) % p;
  return (Y * Y - rhs) % p === 0n;
}
