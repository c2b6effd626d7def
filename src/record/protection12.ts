/**
 * TLS 1.2 AEAD record protection for one direction (RFC 5246 §6.2.3.3). AES-GCM per RFC 5288
 * §3: nonce = 4-byte implicit salt || 8-byte explicit nonce, which we take from the sequence
 * number and send in front of the ciphertext. ChaCha20-Poly1305 per RFC 7905 §2: nonce = IV
 * XOR sequence number, nothing explicit. Additional data is seq_num || type || version ||
 * plaintext length.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, TLSAlertError } from "../alert.ts";
import { ContentType, MAX_PLAINTEXT, RECORD_HEADER_LEN, Version } from "../constants.ts";
import type { AeadKey, CryptoProvider } from "../crypto/provider.ts";
import type { CipherSuite } from "../crypto/suites.ts";
import { RecordLimit, type TLSRecord } from "./deframer.ts";
import {
  flushSealed,
  IN_FLIGHT,
  MAX_SEQ,
  type OpenedRecord,
  type RecordKeys,
  TAG_LEN,
  xorNonce,
} from "./_aead.ts";

export type { OpenedRecord, RecordKeys };

const AAD_LEN = 13;

/** Writes the 8-byte big-endian sequence number at `out[off]`. */
function putSeq(out: Bytes, off: number, seq: number): void {
  const hi = Math.floor(seq / 0x100000000);
  const lo = seq >>> 0;
  out[off] = hi >>> 24;
  out[off + 1] = hi >>> 16;
  out[off + 2] = hi >>> 8;
  out[off + 3] = hi;
  out[off + 4] = lo >>> 24;
  out[off + 5] = lo >>> 16;
  out[off + 6] = lo >>> 8;
  out[off + 7] = lo;
}

/** Record protection for one direction under one TLS 1.2 key block half. */
export class RecordProtection12 {
  readonly #aead: AeadKey;
  readonly #iv: Bytes;
  readonly #explicit: number;
  readonly #nonce: Bytes = new Uint8Array(12);
  readonly #aad: Bytes = new Uint8Array(AAD_LEN);
  readonly #limit: number;
  #seq = 0;
  /** Record version to write: 0x0303. */
  readonly recordVersion: number = Version.TLS12;
  /** Largest plaintext per record; lowered by a peer's record_size_limit (RFC 8449 §4). */
  maxPlaintext: number = MAX_PLAINTEXT;

  private constructor(aead: AeadKey, iv: Bytes, explicit: number, limit: number) {
    this.#aead = aead;
    this.#iv = iv.slice();
    this.#explicit = explicit;
    this.#limit = limit;
  }

  /**
   * Imports the write key once. `keys.iv` is the 4-byte salt for AES-GCM, the 12-byte IV for
   * ChaCha20-Poly1305 (the suite's `ivLength`).
   */
  static async create(
    provider: CryptoProvider,
    suite: CipherSuite,
    keys: RecordKeys,
  ): Promise<RecordProtection12> {
    if (keys.iv.byteLength !== suite.ivLength) {
      throw new RangeError("IV length does not fit the suite");
    }
    const explicit = suite.aead === "CHACHA20-POLY1305" ? 0 : 8;
    const aead = await provider.aead(suite.aead, keys.key);
    return new RecordProtection12(aead, keys.iv, explicit, suite.recordLimit);
  }

  /** Largest record body accepted on the wire: 2^14 + 2048. RFC 5246 §6.2.3. */
  get maxFragment(): number {
    return RecordLimit.tls12;
  }

  /** The next sequence number, i.e. how many records this state has processed. */
  get recordCount(): number {
    return this.#seq;
  }

  /** Records this key may still seal before the suite's limit. */
  get recordsLeft(): number {
    return this.#limit - this.#seq;
  }

  /** Takes the next sequence number and fills the nonce and additional data for it. */
  #prepare(type: number, version: number, plainLen: number): number {
    // RFC 5246 §6.1: the sequence number must not wrap; we stop long before.
    if (this.#seq >= MAX_SEQ) {
      throw new TLSAlertError(
        Alert.internal_error,
        "SEQUENCE_NUMBER_EXHAUSTED",
        "sequence number exhausted",
      );
    }
    const seq = this.#seq++;
    if (this.#explicit) {
      // RFC 5288 §3: salt || nonce_explicit, the explicit part being our sequence number.
      this.#nonce.set(this.#iv);
      putSeq(this.#nonce, 4, seq);
    } else {
      xorNonce(this.#nonce, this.#iv, seq);
    }
    // RFC 5246 §6.2.3.3: additional_data = seq_num + type + version + length.
    const a = this.#aad;
    putSeq(a, 0, seq);
    a[8] = type;
    a[9] = version >> 8;
    a[10] = version & 0xff;
    a[11] = plainLen >> 8;
    a[12] = plainLen & 0xff;
    return seq;
  }

  /**
   * Protects `data` as one or more complete records of type `type`, split at `maxPlaintext`
   * bytes, several encrypted concurrently, output in order.
   */
  async seal(type: ContentType, data: Bytes): Promise<Bytes> {
    if (data.byteLength === 0 && type !== ContentType.application_data) {
      // RFC 5246 §6.2.1: zero-length handshake, alert and CCS fragments are forbidden.
      throw new RangeError(`empty ${ContentType[type]} record`);
    }
    const room = this.maxPlaintext;
    const count = Math.max(1, Math.ceil(data.byteLength / room));
    if (count > this.recordsLeft) throw new RangeError("AEAD record limit reached");
    const prefix = RECORD_HEADER_LEN + this.#explicit;
    const out = new Uint8Array(data.byteLength + count * (prefix + TAG_LEN));
    const jobs: Promise<Bytes>[] = [];
    let off = 0;
    for (let i = 0, src = 0; i < count; i++) {
      const n = Math.min(room, data.byteLength - src);
      const seq = this.#prepare(type, this.recordVersion, n);
      const len = this.#explicit + n + TAG_LEN;
      out[off] = type;
      out[off + 1] = this.recordVersion >> 8;
      out[off + 2] = this.recordVersion & 0xff;
      out[off + 3] = len >> 8;
      out[off + 4] = len & 0xff;
      if (this.#explicit) putSeq(out, off + RECORD_HEADER_LEN, seq);
      jobs.push(this.#aead.seal(this.#nonce, this.#aad, data.subarray(src, src + n)));
      src += n;
      off += RECORD_HEADER_LEN + len;
      if (jobs.length === IN_FLIGHT) await flushSealed(jobs, out, off, prefix);
    }
    await flushSealed(jobs, out, off, prefix);
    return out;
  }

  /**
   * Decrypts one record. Throws `TLSAlertError`: bad_record_mac when authentication fails or
   * the body is too short, record_overflow for a plaintext over 2^14 bytes. RFC 5246 §6.2.3.
   */
  async open(record: TLSRecord): Promise<OpenedRecord> {
    const { type, fragment } = record;
    if (
      type !== ContentType.handshake && type !== ContentType.alert &&
      type !== ContentType.application_data
    ) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_RECORD_TYPE",
        `protected record of type ${type}`,
      );
    }
    const plainLen = fragment.byteLength - this.#explicit - TAG_LEN;
    if (plainLen < 0) {
      throw new TLSAlertError(
        Alert.bad_record_mac,
        "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
        "record too short",
      );
    }
    // RFC 5246 §6.2.1 (no compression): plaintext fragments are at most 2^14 bytes.
    if (plainLen > MAX_PLAINTEXT) {
      throw new TLSAlertError(
        Alert.record_overflow,
        "DATA_LENGTH_TOO_LONG",
        "record plaintext too long",
      );
    }
    this.#prepare(type, record.version, plainLen);
    // GCM: the nonce's last 8 bytes are whatever the sender put in front (RFC 5288 §3).
    if (this.#explicit) this.#nonce.set(fragment.subarray(0, 8), 4);
    const data = await this.#aead.open(this.#nonce, this.#aad, fragment.subarray(this.#explicit));
    if (!data) {
      throw new TLSAlertError(
        Alert.bad_record_mac,
        "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
        "record authentication failed",
      );
    }
    if (data.byteLength === 0 && type !== ContentType.application_data) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_LENGTH",
        `empty ${ContentType[type]} record`,
      );
    }
    return { type, data };
  }
}
