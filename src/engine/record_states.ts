/**
 * The record-layer states the engine switches between: plaintext at the start, then the
 * protected states of the negotiated version (`RecordProtection13`/`12`, which have the same
 * shape).
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, TLSAlertError } from "../alert.ts";
import { ContentType, Version } from "../constants.ts";
import { RecordLimit, type TLSRecord } from "../record/deframer.ts";
import { frameRecords } from "../record/fragmenter.ts";

/** Opens records of one direction and epoch. */
export interface RecordReader {
  /** Largest record body this state accepts on the wire. */
  readonly maxFragment: number;
  /** Removes protection; throws `TLSAlertError` (bad_record_mac, record_overflow, …). */
  open(rec: TLSRecord): Promise<{ type: ContentType; data: Bytes }>;
  /**
   * As `open`, but a record that fails authentication gives undefined and leaves the
   * sequence number unchanged (a server skipping declined early data, RFC 8446 §4.2.10).
   * Call it for one record at a time.
   */
  tryOpen?(rec: TLSRecord): Promise<{ type: ContentType; data: Bytes } | undefined>;
}

/** Seals records of one direction and epoch. */
export interface RecordWriter {
  /** Records sealed so far under this state. */
  readonly recordCount: number;
  /** Records this state may still seal (RFC 8446 §5.5 AEAD limits). */
  readonly recordsLeft: number;
  /** Frames (and protects) `data` as one or more complete records of at most 2^14 bytes each. */
  seal(type: ContentType, data: Bytes): Promise<Bytes>;
  /**
   * Largest content per protected record, lowered by the peer's record_size_limit (RFC 8449
   * §4); absent where records are not protected, which that limit does not cover.
   */
  maxPlaintext?: number;
}

/** The initial, unprotected read state. RFC 8446 §5.1. */
export class PlaintextReader implements RecordReader {
  /** Plaintext records carry at most 2^14 bytes. */
  readonly maxFragment: number = RecordLimit.plaintext;

  /** Returns the fragment as is; application data cannot be unprotected. */
  open(rec: TLSRecord): Promise<{ type: ContentType; data: Bytes }> {
    if (rec.type === ContentType.application_data) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "UNEXPECTED_RECORD",
        "application data before the keys were established",
      );
    }
    return Promise.resolve({ type: rec.type, data: rec.fragment });
  }
}

/** The initial, unprotected write state. */
export class PlaintextWriter implements RecordWriter {
  #count = 0;
  /**
   * `legacy_record_version`: RFC 8446 §5.1 allows 0x0301 for an initial ClientHello for
   * compatibility; 0x0303 everywhere else.
   */
  recordVersion: number = Version.TLS12;

  /** Records framed so far. */
  get recordCount(): number {
    return this.#count;
  }

  /** Unlimited: nothing is encrypted. */
  get recordsLeft(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  /** Frames `data` as plaintext records. */
  seal(type: ContentType, data: Bytes): Promise<Bytes> {
    this.#count++;
    return Promise.resolve(frameRecords(type, data, this.recordVersion));
  }
}
