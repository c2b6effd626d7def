/**
 * Assertions shared by the message codec tests: which alert a malformed input earns, and the
 * robustness sweep (truncation and corruption at every byte never throw anything else).
 * @module
 */
import assert from "node:assert/strict";
import { Alert, TLSAlertError } from "../../src/alert.ts";
import { DecodeError } from "../../src/codec/reader.ts";

/**
 * The alert the engine would send for `e`: a `DecodeError` becomes decode_error (as
 * `Connection` maps it), a `TLSAlertError` carries its own; anything else is not a wire error.
 */
export function alertOf(e: unknown): Alert | undefined {
  if (e instanceof DecodeError) return Alert.decode_error;
  if (e instanceof TLSAlertError) return e.alert;
  return undefined;
}

/** Asserts that `fn` throws a wire error that earns `alert`. */
export function assertAlert(fn: () => unknown, alert: Alert, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    const got = alertOf(e);
    assert.equal(
      got === undefined ? `non-wire error ${e}` : Alert[got],
      Alert[alert],
      `expected ${Alert[alert]}, got ${e}`,
    );
    if (message) assert.match((e as Error).message, message);
    return true;
  });
}

/**
 * Decodes every proper prefix of `bytes`, and `bytes` with each byte replaced by 0x00 and by
 * 0xff: each attempt must either succeed or throw a `DecodeError`/`TLSAlertError`. A
 * `RangeError`, `TypeError` or an endless loop here would be a crash a peer could trigger.
 * Returns the lengths of the proper prefixes that decoded (most formats accept none).
 */
export function assertRobust(
  decode: (b: Uint8Array<ArrayBuffer>) => unknown,
  bytes: Uint8Array,
): number[] {
  const acceptedPrefixes: number[] = [];
  const attempt = (input: Uint8Array<ArrayBuffer>, what: string): boolean => {
    try {
      decode(input);
      return true;
    } catch (e) {
      if (alertOf(e) === undefined) assert.fail(`${what}: ${e}`);
      return false;
    }
  };
  for (let n = 0; n < bytes.byteLength; n++) {
    if (attempt(bytes.slice(0, n), `prefix of ${n} bytes`)) acceptedPrefixes.push(n);
  }
  for (let i = 0; i < bytes.byteLength; i++) {
    for (const v of [0x00, 0xff]) {
      const mutated = bytes.slice();
      mutated[i] = v;
      attempt(mutated, `byte ${i} set to ${v}`);
    }
  }
  return acceptedPrefixes;
}
