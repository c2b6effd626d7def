/**
 * Finished, NewSessionTicket and KeyUpdate. RFC 8446 §4.4.4, §4.6.1, §4.6.3; RFC 5077 §3.3 for
 * the TLS 1.2 ticket.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import { Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { KeyUpdateRequest } from "../constants.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions.ts";

/** Decodes a Finished body: exactly `expectedLength` bytes of verify_data. */
export function decodeFinished(body: Bytes, expectedLength: number): Bytes {
  // RFC 8446 §4.4.4: verify_data is Hash.length bytes; anything else does not parse.
  if (body.byteLength !== expectedLength) {
    throw alertError(Alert.decode_error, `Finished of ${body.byteLength} bytes`);
  }
  return body;
}

/** A TLS 1.3 NewSessionTicket. RFC 8446 §4.6.1. */
export interface NewSessionTicket13 {
  /** Lifetime in seconds; at most 604800 (7 days). */
  lifetime: number;
  /** Added to the ticket age the client reports. */
  ageAdd: number;
  /** `ticket_nonce<0..255>`. */
  nonce: Bytes;
  /** `ticket<1..2^16-1>`, opaque to the client. */
  ticket: Bytes;
  /** Extensions (early_data). */
  extensions: Extension[];
}

/** Encodes a TLS 1.3 NewSessionTicket body. */
export function encodeNewSessionTicket13(t: NewSessionTicket13): Bytes {
  const w = new Writer(t.ticket.byteLength + 32);
  w.u32(t.lifetime).u32(t.ageAdd).opaque8(t.nonce).opaque16(t.ticket);
  writeExtensions(w, t.extensions);
  return w.finish();
}

/** Decodes a TLS 1.3 NewSessionTicket body. */
export function decodeNewSessionTicket13(body: Bytes): NewSessionTicket13 {
  const r = new Reader(body);
  const lifetime = r.u32("ticket_lifetime");
  const ageAdd = r.u32("ticket_age_add");
  const nonce = r.vec8("ticket_nonce");
  const ticket = r.vec16("ticket", 1);
  const extensions = readExtensions(r);
  r.end("NewSessionTicket");
  // RFC 8446 §4.6.1: servers MUST NOT use any value greater than 604800 seconds.
  if (lifetime > 604800) {
    throw alertError(Alert.illegal_parameter, "ticket lifetime over 7 days");
  }
  return { lifetime, ageAdd, nonce, ticket, extensions };
}

/** A TLS 1.2 NewSessionTicket. RFC 5077 §3.3. */
export interface NewSessionTicket12 {
  /** Lifetime hint in seconds (0: unspecified). */
  lifetimeHint: number;
  /** `opaque ticket<0..2^16-1>`. */
  ticket: Bytes;
}

/** Encodes a TLS 1.2 NewSessionTicket body. */
export function encodeNewSessionTicket12(t: NewSessionTicket12): Bytes {
  return new Writer(t.ticket.byteLength + 8).u32(t.lifetimeHint).opaque16(t.ticket).finish();
}

/** Decodes a TLS 1.2 NewSessionTicket body. */
export function decodeNewSessionTicket12(body: Bytes): NewSessionTicket12 {
  const r = new Reader(body);
  const lifetimeHint = r.u32("ticket_lifetime_hint");
  const ticket = r.vec16("ticket");
  r.end("NewSessionTicket");
  return { lifetimeHint, ticket };
}

/** Encodes a KeyUpdate body. RFC 8446 §4.6.3. */
export function encodeKeyUpdate(request: KeyUpdateRequest): Bytes {
  return new Uint8Array([request]);
}

/** Decodes a KeyUpdate body; a value other than 0 or 1 is illegal_parameter (§4.6.3). */
export function decodeKeyUpdate(body: Bytes): KeyUpdateRequest {
  const r = new Reader(body);
  const v = r.u8("request_update");
  r.end("KeyUpdate");
  if (v !== KeyUpdateRequest.update_not_requested && v !== KeyUpdateRequest.update_requested) {
    throw alertError(Alert.illegal_parameter, `KeyUpdate request_update of ${v}`);
  }
  return v;
}
