/**
 * Handshake message framing: `Handshake { msg_type; uint24 length; body }` (RFC 8446 §4), and
 * reassembly of messages that span records or share one.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import { HandshakeType } from "../constants.ts";

/** One complete handshake message; `raw` (header + body) is what the transcript hashes. */
export interface HandshakeMessage {
  /** The message type. */
  type: HandshakeType;
  /** The body without the 4-byte header. */
  body: Bytes;
  /** Header and body, exactly as on the wire. */
  raw: Bytes;
}

/** Frames `body` as a handshake message of `type`. */
export function frameHandshake(type: HandshakeType, body: Uint8Array): HandshakeMessage {
  const raw = new Uint8Array(4 + body.byteLength);
  raw[0] = type;
  raw[1] = body.byteLength >>> 16;
  raw[2] = body.byteLength >>> 8;
  raw[3] = body.byteLength;
  raw.set(body, 4);
  return { type, body: raw.subarray(4), raw };
}

/** Default cap on one handshake message (certificate chains are the largest). */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 128 * 1024;

/**
 * Collects handshake record fragments and yields whole messages. Holds at most one partial
 * message, whose announced length is checked against `maxMessage` as soon as its header is in.
 * RFC 8446 §5.1 lets a message span any number of records, down to one byte each: fragments
 * are kept as views and joined once their message is complete, so that costs linear, not
 * quadratic, copying.
 */
export class HandshakeReassembler {
  #parts: Bytes[] = [];
  #buffered = 0;
  /** Body length announced by the buffered message's header; -1 until its 4 bytes are in. */
  #announced = -1;
  #maxMessage: number;

  /** @param maxMessage the largest handshake message accepted */
  constructor(maxMessage: number = DEFAULT_MAX_HANDSHAKE_MESSAGE) {
    this.#maxMessage = maxMessage;
  }

  /** True while part of a message is buffered (RFC 8446 §5.1 forbids that at a key change). */
  get hasPartial(): boolean {
    return this.#buffered > 0;
  }

  /** Adds the payload of one handshake record. */
  push(fragment: Bytes): void {
    if (fragment.byteLength === 0) return;
    this.#parts.push(fragment);
    this.#buffered += fragment.byteLength;
    if (this.#announced < 0) this.#readHeader();
  }

  #readHeader(): void {
    if (this.#buffered < 4) return;
    // Joining here happens at most once per message: only while its header is incomplete.
    if (this.#parts[0].byteLength < 4) this.#join();
    const head = this.#parts[0];
    const len = (head[1] << 16) | (head[2] << 8) | head[3];
    // OpenSSL answers an excessive message length with illegal_parameter.
    if (len > this.#maxMessage) {
      throw alertError(
        Alert.illegal_parameter,
        `handshake message of ${len} bytes exceeds the limit of ${this.#maxMessage}`,
        "EXCESSIVE_MESSAGE_SIZE",
      );
    }
    this.#announced = len;
  }

  /**
   * Joins the buffered fragments into one buffer. A loop, not `concat(...parts)`: a message
   * sent in 1-byte records has more fragments than a call may take arguments.
   */
  #join(): void {
    const out = new Uint8Array(this.#buffered);
    let off = 0;
    for (const p of this.#parts) {
      out.set(p, off);
      off += p.byteLength;
    }
    this.#parts = [out];
  }

  /** The next complete message, or `undefined` when more bytes are needed. */
  next(): HandshakeMessage | undefined {
    if (this.#announced < 0 || this.#buffered < 4 + this.#announced) return undefined;
    if (this.#parts.length > 1) this.#join();
    const buf = this.#parts[0];
    const raw = buf.subarray(0, 4 + this.#announced);
    const rest = buf.subarray(4 + this.#announced);
    this.#parts = rest.byteLength ? [rest] : [];
    this.#buffered = rest.byteLength;
    this.#announced = -1;
    this.#readHeader();
    return { type: raw[0], body: raw.subarray(4), raw };
  }
}
