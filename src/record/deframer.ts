/**
 * Splits the incoming byte stream into records and checks each header before its body is
 * touched. Sans-IO: bytes are pushed in, records pulled out. Incoming chunks are kept as views
 * (never copied); only a record that straddles chunks is copied, into a buffer of at most one
 * record, so the deframer's own memory is bounded by one record plus one header.
 * RFC 8446 §5.1, RFC 5246 §6.2.1.
 * @module
 */
import { asBytes, type Bytes } from "../_bytes.ts";
import { Alert, TLSAlertError } from "../alert.ts";
import { SSLError } from "../errors.ts";
import {
  ContentType,
  MAX_CIPHERTEXT_TLS12,
  MAX_CIPHERTEXT_TLS13,
  MAX_PLAINTEXT,
  RECORD_HEADER_LEN,
} from "../constants.ts";

/** One record as read from the wire. */
export interface TLSRecord {
  /** The content type (for TLS 1.3 protected records, the outer `application_data`). */
  type: ContentType;
  /** legacy_record_version. */
  version: number;
  /** The record body (a view; not copied when it arrived in one chunk). */
  fragment: Bytes;
  /** The 5-byte header: TLS 1.3's additional data (RFC 8446 §5.2). */
  header: Bytes;
}

/** Largest `length` field per record-layer state. RFC 8446 §5.1–5.2, RFC 5246 §6.2.3. */
export const RecordLimit = {
  /** TLSPlaintext: 2^14. */
  plaintext: MAX_PLAINTEXT,
  /** TLS 1.3 TLSCiphertext: 2^14 + 256. */
  tls13: MAX_CIPHERTEXT_TLS13,
  /** TLS 1.2 TLSCiphertext: 2^14 + 2048. */
  tls12: MAX_CIPHERTEXT_TLS12,
} as const;

const KNOWN_TYPES: ReadonlySet<number> = new Set([
  ContentType.change_cipher_spec,
  ContentType.alert,
  ContentType.handshake,
  ContentType.application_data,
]);

// The request lines OpenSSL recognises in the first five bytes (ssl3_get_record).
const HTTP_METHODS = ["GET ", "POST ", "HEAD ", "PUT "];
const PROXY_METHOD = "CONNE";

/** Yields complete records from pushed bytes. */
export class Deframer {
  /**
   * Largest accepted `length` field; the engine raises it when protection starts
   * ({@link RecordLimit}). RFC 8446 §5.1: longer is record_overflow.
   */
  maxFragment: number = RecordLimit.plaintext;
  /**
   * When set, every record's legacy_record_version must equal it (0x0303 once the version is
   * negotiated). Before that only the major version 3 is required (RFC 8446 §5.1 lets the
   * first ClientHello record carry 0x0301 and asks receivers to ignore the field).
   */
  expectedVersion?: number;

  #chunks: Bytes[] = [];
  #head = 0;
  #offset = 0;
  #buffered = 0;
  #first = true;

  /** Bytes received and not yet returned as records. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Queues received bytes. The view is kept, so the caller must not modify it afterwards. */
  push(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.#chunks.push(asBytes(data));
    this.#buffered += data.byteLength;
  }

  /**
   * Removes and returns every byte not yet returned as a record (what follows a
   * close_notify, for `unwrap()`).
   */
  take(): Bytes {
    const out = this.#buffered ? this.#take(this.#buffered) : new Uint8Array(0);
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    return out;
  }

  /**
   * The next complete record, or `undefined` until one has fully arrived. Throws
   * `TLSAlertError` for a header that is not acceptable in the current state, and `SSLError`
   * (no alert) for a stream that does not start like TLS.
   */
  next(): TLSRecord | undefined {
    if (this.#buffered < RECORD_HEADER_LEN) {
      // Judge a short non-TLS preamble (an HTTP request line) as early as possible.
      if (this.#first && this.#buffered > 0) this.#sniff(this.#peek(this.#buffered));
      return undefined;
    }
    const header = this.#peek(RECORD_HEADER_LEN);
    const type = header[0];
    const version = (header[1] << 8) | header[2];
    const length = (header[3] << 8) | header[4];
    this.#checkHeader(header, type, version, length);
    if (this.#buffered < RECORD_HEADER_LEN + length) return undefined;
    const record = this.#take(RECORD_HEADER_LEN + length);
    this.#first = false;
    return {
      type,
      version,
      header: record.subarray(0, RECORD_HEADER_LEN),
      fragment: record.subarray(RECORD_HEADER_LEN),
    };
  }

  #checkHeader(header: Bytes, type: number, version: number, length: number): void {
    if (this.#first) this.#sniff(header);
    // RFC 8446 §5.1: the major version is always 3; OpenSSL reports WRONG_VERSION_NUMBER.
    if (
      version >> 8 !== 3 || (this.expectedVersion !== undefined && version !== this.expectedVersion)
    ) {
      throw new TLSAlertError(
        Alert.protocol_version,
        "WRONG_VERSION_NUMBER",
        `record version 0x${version.toString(16).padStart(4, "0")} not acceptable`,
      );
    }
    // RFC 8446 §5: an unknown record type is unexpected_message.
    if (!KNOWN_TYPES.has(type)) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_RECORD_TYPE",
        `unknown record type ${type}`,
      );
    }
    // RFC 8446 §5.1, §5.2; RFC 5246 §6.2.1–6.2.3.
    if (length > this.maxFragment) {
      throw new TLSAlertError(
        Alert.record_overflow,
        "PACKET_LENGTH_TOO_LONG",
        `record of ${length} bytes exceeds ${this.maxFragment}`,
      );
    }
    // RFC 8446 §5.1, RFC 5246 §6.2.1: no zero-length handshake, alert or CCS fragments.
    if (length === 0 && type !== ContentType.application_data) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "BAD_LENGTH",
        `empty ${ContentType[type]} record`,
      );
    }
  }

  /**
   * Recognises what is clearly not TLS at the start of the stream as OpenSSL does
   * (`ssl3_get_record`): a first record whose major version is not 3 is an HTTP request
   * (`HTTP_REQUEST`), a proxy request (`HTTPS_PROXY_REQUEST`) or else `WRONG_VERSION_NUMBER`,
   * and is answered without an alert (a peer that does not speak TLS could not read one).
   * Thrown as a plain `SSLError`, which the engine surfaces without sending anything. A first
   * record with major version 3 is TLS-shaped and gets the ordinary header checks, so an
   * unknown content type there is unexpected_message as anywhere else (RFC 8446 §5).
   */
  #sniff(start: Bytes): void {
    // One byte cannot tell a request line from a record with an unknown content type.
    if (start.byteLength < 2 || start[1] === 3) return;
    const text = String.fromCharCode(...start.subarray(0, RECORD_HEADER_LEN));
    if (HTTP_METHODS.some((m) => text.startsWith(m))) {
      throw new SSLError("HTTP_REQUEST", "received an HTTP request");
    }
    if (text.startsWith(PROXY_METHOD)) {
      throw new SSLError("HTTPS_PROXY_REQUEST", "received an HTTP proxy request");
    }
    // Fewer than five bytes that may still grow into a request line: wait for more.
    if ([...HTTP_METHODS, PROXY_METHOD].some((m) => m.startsWith(text))) return;
    throw new SSLError("WRONG_VERSION_NUMBER", "not a TLS record");
  }

  /** The first `n` buffered bytes (a view when they lie in one chunk, else a copy). */
  #peek(n: number): Bytes {
    const c = this.#chunks[this.#head];
    if (c.byteLength - this.#offset >= n) return c.subarray(this.#offset, this.#offset + n);
    const out = new Uint8Array(n);
    let got = 0;
    for (let i = this.#head, off = this.#offset; got < n; i++, off = 0) {
      const part = this.#chunks[i].subarray(off, off + n - got);
      out.set(part, got);
      got += part.byteLength;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered bytes (a view when possible). */
  #take(n: number): Bytes {
    const c = this.#chunks[this.#head];
    let out: Bytes;
    if (c.byteLength - this.#offset >= n) {
      out = c.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
    } else {
      // The record straddles chunks: the only copy the deframer makes, one record at most.
      out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const chunk = this.#chunks[this.#head];
        const part = chunk.subarray(this.#offset, this.#offset + n - got);
        out.set(part, got);
        got += part.byteLength;
        this.#offset += part.byteLength;
        if (this.#offset === chunk.byteLength) this.#advance();
      }
    }
    if (this.#head < this.#chunks.length && this.#offset === this.#chunks[this.#head].byteLength) {
      this.#advance();
    }
    this.#buffered -= n;
    return out;
  }

  #advance(): void {
    this.#head++;
    this.#offset = 0;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 64) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
