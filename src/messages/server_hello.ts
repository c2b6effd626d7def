/**
 * ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4), and EncryptedExtensions
 * (§4.3.1).
 * @module
 */
import { type Bytes, equal } from "../_bytes.ts";
import { Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { HandshakeType, HRR_RANDOM } from "../constants.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions.ts";
import { frameHandshake, type HandshakeMessage } from "./handshake.ts";

/** A ServerHello (or HelloRetryRequest, told apart by `random`). */
export interface ServerHello {
  /** `legacy_version`; the real version is in supported_versions for TLS 1.3. */
  legacyVersion: number;
  /** 32 bytes; equals `HRR_RANDOM` in a HelloRetryRequest. */
  random: Bytes;
  /** `legacy_session_id_echo<0..32>`. */
  sessionId: Bytes;
  /** The selected suite. */
  cipherSuite: number;
  /** `legacy_compression_method`. */
  compressionMethod: number;
  /** Extensions in wire order (absent entirely in some TLS 1.2 ServerHellos). */
  extensions: Extension[];
}

/** True when `sh` is a HelloRetryRequest. RFC 8446 §4.1.3. */
export function isHelloRetryRequest(sh: ServerHello): boolean {
  return equal(sh.random, HRR_RANDOM);
}

/** Encodes a ServerHello body. */
export function encodeServerHello(sh: ServerHello): Bytes {
  const w = new Writer(128);
  w.u16(sh.legacyVersion).bytes(sh.random).opaque8(sh.sessionId);
  w.u16(sh.cipherSuite).u8(sh.compressionMethod);
  writeExtensions(w, sh.extensions);
  return w.finish();
}

/** Frames a ServerHello as a handshake message. */
export function serverHelloMessage(sh: ServerHello): HandshakeMessage {
  return frameHandshake(HandshakeType.server_hello, encodeServerHello(sh));
}

/** Decodes a ServerHello body. RFC 5246 §7.4.1.3 allows the extensions block to be absent. */
export function decodeServerHello(body: Bytes): ServerHello {
  const r = new Reader(body);
  const legacyVersion = r.u16("legacy_version");
  const random = r.bytes(32, "random");
  const sessionId = r.vec8("legacy_session_id_echo", 0, 32);
  const cipherSuite = r.u16("cipher_suite");
  const compressionMethod = r.u8("legacy_compression_method");
  const extensions = r.remaining > 0 ? readExtensions(r) : [];
  r.end("ServerHello");
  return { legacyVersion, random, sessionId, cipherSuite, compressionMethod, extensions };
}

/** Encodes an EncryptedExtensions body. RFC 8446 §4.3.1. */
export function encodeEncryptedExtensions(exts: readonly Extension[]): Bytes {
  const w = new Writer(64);
  writeExtensions(w, exts);
  return w.finish();
}

/** Decodes an EncryptedExtensions body. */
export function decodeEncryptedExtensions(body: Bytes): Extension[] {
  const r = new Reader(body);
  const exts = readExtensions(r);
  r.end("EncryptedExtensions");
  return exts;
}
