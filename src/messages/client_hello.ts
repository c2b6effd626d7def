/**
 * ClientHello. RFC 8446 §4.1.2 (and RFC 5246 §7.4.1.2, whose layout is the same).
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import { Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { ExtensionType, HandshakeType } from "../constants.ts";
import {
  type Extension,
  findExtension,
  parseExtension,
  readExtensions,
  readServerName,
  writeExtensions,
} from "./extensions.ts";
import { frameHandshake, type HandshakeMessage } from "./handshake.ts";

/** A ClientHello. */
export interface ClientHello {
  /** `legacy_version` (0x0303 for TLS 1.2 and 1.3). */
  legacyVersion: number;
  /** 32 random bytes. */
  random: Bytes;
  /** `legacy_session_id<0..32>`. */
  sessionId: Bytes;
  /** Offered cipher suites in preference order. */
  cipherSuites: number[];
  /** `legacy_compression_methods<1..2^8-1>`. */
  compressionMethods: number[];
  /** Extensions in wire order. */
  extensions: Extension[];
}

/** Encodes a ClientHello body. */
export function encodeClientHello(ch: ClientHello): Bytes {
  const w = new Writer(512);
  w.u16(ch.legacyVersion).bytes(ch.random).opaque8(ch.sessionId);
  w.vec16((l) => {
    for (const s of ch.cipherSuites) l.u16(s);
  });
  w.vec8((l) => {
    for (const m of ch.compressionMethods) l.u8(m);
  });
  writeExtensions(w, ch.extensions);
  return w.finish();
}

/** Frames a ClientHello as a handshake message. */
export function clientHelloMessage(ch: ClientHello): HandshakeMessage {
  return frameHandshake(HandshakeType.client_hello, encodeClientHello(ch));
}

/**
 * Decodes a ClientHello body. A ClientHello without extensions is legal TLS 1.2 (RFC 5246
 * §7.4.1.2). RFC 8446 §4.2.11: pre_shared_key must be the last extension (illegal_parameter).
 */
export function decodeClientHello(body: Bytes): ClientHello {
  const r = new Reader(body);
  const legacyVersion = r.u16("legacy_version");
  const random = r.bytes(32, "random");
  const sessionId = r.vec8("legacy_session_id", 0, 32);
  const suites = r.sub16("cipher_suites", 2, 0xfffe);
  if (suites.remaining % 2 !== 0) {
    throw alertError(Alert.decode_error, "odd length cipher_suites");
  }
  const cipherSuites: number[] = [];
  while (suites.remaining > 0) cipherSuites.push(suites.u16());
  const compressionMethods = Array.from(r.vec8("legacy_compression_methods", 1));
  const extensions = r.remaining > 0 ? readExtensions(r) : [];
  r.end("ClientHello");
  const psk = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (psk >= 0 && psk !== extensions.length - 1) {
    throw alertError(Alert.illegal_parameter, "pre_shared_key is not the last extension");
  }
  return { legacyVersion, random, sessionId, cipherSuites, compressionMethods, extensions };
}

/**
 * The prefix of a framed ClientHello that PSK binders cover: everything up to, but not
 * including, the binders list. RFC 8446 §4.2.11.2.
 */
export function truncateForBinders(rawClientHello: Bytes, bindersLength: number): Bytes {
  return rawClientHello.subarray(0, rawClientHello.byteLength - bindersLength);
}

/** The ClientHello's SNI host name, if any. RFC 6066 §3. */
export function clientHelloServerName(hello: ClientHello): string | undefined {
  const ext = findExtension(hello.extensions, ExtensionType.server_name);
  return ext ? parseExtension(ext, readServerName) : undefined;
}
