/**
 * TLS 1.3 record protection for one direction and one traffic key (RFC 8446 §5.2–5.5).
 * The AEAD key is imported once; the per-record nonce is built in a reused buffer (WebCrypto
 * copies its inputs when called); sequence numbers are taken when a call starts, so several
 * records can be in flight while the results stay in order.
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

/** Record protection for one direction under one TLS 1.3 traffic secret. */
export class RecordProtection13 {
  readonly #aead: AeadKey;
  readonly #iv: Bytes;
  readonly #nonce: Bytes;
  readonly #aad: Bytes = new Uint8Array(RECORD_HEADER_LEN);
  readonly #limit: number;
  #seq = 0;
  /**
   * Largest TLSInnerPlaintext content per record; lowered by a peer's record_size_limit
   * (RFC 8449 §4, which counts the content type and padding too).
   */
  maxPlaintext: number = MAX_PLAINTEXT;

  private constructor(aead: AeadKey, iv: Bytes, limit: number) {
    this.#aead = aead;
    this.#iv = iv.slice();
    this.#nonce = new Uint8Array(iv.byteLength);
    this.#limit = limit;
  }

  /** Imports the traffic key once. `keys.iv` must be 12 bytes. */
  static async create(
    provider: CryptoProvider,
    suite: CipherSuite,
    keys: RecordKeys,
  ): Promise<RecordProtection13> {
    if (keys.iv.byteLength !== 12) throw new RangeError("TLS 1.3 IV must be 12 bytes");
    return new RecordProtection13(
      await provider.aead(suite.aead, keys.key),
      keys.iv,
      suite.recordLimit,
    );
  }

  /** Largest record body accepted on the wire: 2^14 + 256. RFC 8446 §5.2. */
  get maxFragment(): number {
    return RecordLimit.tls13;
  }

  /** The next sequence number, i.e. how many records this state has processed. */
  get recordCount(): number {
    return this.#seq;
  }

  /** Records this key may still seal before the suite's limit (RFC 8446 §5.5). */
  get recordsLeft(): number {
    return this.#limit - this.#seq;
  }

  #nextNonce(): Bytes {
    // RFC 8446 §5.3: the sequence number must not wrap; we stop long before.
    if (this.#seq >= MAX_SEQ) {
      throw new TLSAlertError(
        Alert.internal_error,
        "SEQUENCE_NUMBER_EXHAUSTED",
        "sequence number exhausted",
      );
    }
    xorNonce(this.#nonce, this.#iv, this.#seq++);
    return this.#nonce;
  }

  /**
   * Protects `data` of content type `type` as one or more complete TLSCiphertext records,
   * split at `maxPlaintext - padding` bytes, with `padding` zero bytes in each. Up to 32
   * records are encrypted concurrently; the output keeps their order. RFC 8446 §5.2, §5.4.
   */
  async seal(type: ContentType, data: Bytes, padding = 0): Promise<Bytes> {
    const room = this.maxPlaintext - padding;
    if (!Number.isInteger(padding) || padding < 0 || room < 1) {
      throw new RangeError("bad padding length");
    }
    if (data.byteLength === 0 && type !== ContentType.application_data) {
      // RFC 8446 §5.1: zero-length handshake and alert fragments are forbidden.
      throw new RangeError(`empty ${ContentType[type]} record`);
    }
    const count = Math.max(1, Math.ceil(data.byteLength / room));
    if (count > this.recordsLeft) {
      throw new RangeError("AEAD record limit reached: update the keys");
    }
    const inner = 1 + padding;
    const out = new Uint8Array(data.byteLength + count * (RECORD_HEADER_LEN + inner + TAG_LEN));
    // TLSInnerPlaintext = content || type || zeros, laid out where each record's body will go,
    // so the plaintext views need no buffer of their own.
    const plain = new Uint8Array(data.byteLength + count * inner);
    const jobs: Promise<Bytes>[] = [];
    let outOff = 0;
    for (let i = 0, src = 0, p = 0; i < count; i++) {
      const n = Math.min(room, data.byteLength - src);
      plain.set(data.subarray(src, src + n), p);
      plain[p + n] = type;
      const len = n + inner + TAG_LEN;
      // RFC 8446 §5.2: opaque_type application_data, legacy_record_version 0x0303.
      const header = out.subarray(outOff, outOff + RECORD_HEADER_LEN);
      header[0] = ContentType.application_data;
      header[1] = Version.TLS12 >> 8;
      header[2] = Version.TLS12 & 0xff;
      header[3] = len >> 8;
      header[4] = len & 0xff;
      jobs.push(this.#aead.seal(this.#nextNonce(), header, plain.subarray(p, p + n + inner)));
      src += n;
      p += n + inner;
      outOff += RECORD_HEADER_LEN + len;
      if (jobs.length === IN_FLIGHT) await flushSealed(jobs, out, outOff, RECORD_HEADER_LEN);
    }
    await flushSealed(jobs, out, outOff, RECORD_HEADER_LEN);
    return out;
  }

  /**
   * Removes protection from one record (outer type must be application_data) and returns its
   * true content type and content. Throws `TLSAlertError`: bad_record_mac when
   * authentication fails, record_overflow for an inner plaintext over 2^14 + 1 bytes,
   * unexpected_message when no content type is found. RFC 8446 §5.2, §5.4.
   */
  async open(record: TLSRecord): Promise<OpenedRecord> {
    return (await this.#open(record, false))!;
  }

  /**
   * As {@link open}, but a record that fails authentication gives undefined and leaves the
   * sequence number unchanged, so a server can skip the early data it declined (RFC 8446
   * §4.2.10). Not to be called while other records are being opened.
   */
  tryOpen(record: TLSRecord): Promise<OpenedRecord | undefined> {
    return this.#open(record, true);
  }

  async #open(record: TLSRecord, trial: boolean): Promise<OpenedRecord | undefined> {
    if (record.type !== ContentType.application_data) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_RECORD_TYPE",
        "unprotected record after keys changed",
      );
    }
    const body = record.fragment;
    if (body.byteLength > RecordLimit.tls13) {
      throw new TLSAlertError(
        Alert.record_overflow,
        "ENCRYPTED_LENGTH_TOO_LONG",
        "record too long",
      );
    }
    const aad = record.header?.byteLength === RECORD_HEADER_LEN
      ? record.header
      : this.#header(record);
    const plain = await this.#aead.open(this.#nextNonce(), aad, body);
    if (!plain && trial) {
      this.#seq--;
      return undefined;
    }
    if (!plain) {
      throw new TLSAlertError(
        Alert.bad_record_mac,
        "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
        "record authentication failed",
      );
    }
    // RFC 8446 §5.4: the encoded TLSInnerPlaintext must not exceed 2^14 + 1 bytes.
    if (plain.byteLength > MAX_PLAINTEXT + 1) {
      throw new TLSAlertError(
        Alert.record_overflow,
        "DATA_LENGTH_TOO_LONG",
        "inner plaintext too long",
      );
    }
    // RFC 8446 §5.4: the content type is the last non-zero byte; the rest is padding.
    let end = plain.byteLength - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (end < 0) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_RECORD_TYPE",
        "record has no content type",
      );
    }
    const type = plain[end];
    const data = plain.subarray(0, end);
    if (
      type !== ContentType.handshake && type !== ContentType.alert &&
      type !== ContentType.application_data
    ) {
      // RFC 8446 §5: a protected change_cipher_spec, or an unknown type.
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_RECORD_TYPE",
        `protected record of type ${type}`,
      );
    }
    if (data.byteLength === 0 && type !== ContentType.application_data) {
      // RFC 8446 §5.1: zero-length handshake and alert fragments are forbidden.
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_LENGTH",
        `empty ${ContentType[type]} record`,
      );
    }
    return { type, data };
  }

  #header(record: TLSRecord): Bytes {
    const h = this.#aad;
    h[0] = record.type;
    h[1] = record.version >> 8;
    h[2] = record.version & 0xff;
    h[3] = record.fragment.byteLength >> 8;
    h[4] = record.fragment.byteLength & 0xff;
    return h;
  }
}
