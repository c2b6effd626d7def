/**
 * Extension blocks and the codecs of each extension's `extension_data`. RFC 8446 §4.2,
 * RFC 6066, RFC 7301, RFC 7627, RFC 5746, RFC 8422, RFC 5077.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import { DecodeError, Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { ExtensionType, MAX_PLAINTEXT } from "../constants.ts";

/** One extension as on the wire. */
export interface Extension {
  /** The extension type. */
  type: number;
  /** Its `extension_data`. */
  data: Bytes;
}

/**
 * Reads `Extension extensions<0..2^16-1>`. A repeated type is rejected: RFC 8446 §4.2 allows
 * one extension of a type per block, and OpenSSL answers a duplicate with illegal_parameter.
 */
export function readExtensions(r: Reader): Extension[] {
  const block = r.sub16("extensions");
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16("extension type");
    const data = block.vec16("extension data");
    if (seen.has(type)) {
      throw alertError(
        Alert.illegal_parameter,
        `duplicate ${extensionName(type)} extension`,
        "BAD_EXTENSION",
      );
    }
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/** Writes an extension block. */
export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  w.vec16((b) => {
    for (const e of exts) b.u16(e.type).opaque16(e.data);
  });
}

/** The extension of `type` in `exts`, if present. */
export function findExtension(exts: readonly Extension[], type: number): Extension | undefined {
  return exts.find((e) => e.type === type);
}

/** The registry name of an extension type, for messages. */
export function extensionName(type: number): string {
  return ExtensionType[type] ?? `extension ${type}`;
}

/**
 * Decodes `data` with `decode`, requiring every byte consumed; wire errors become decode_error
 * naming the extension.
 */
export function parseExtension<T>(ext: Extension, decode: (r: Reader) => T): T {
  const r = new Reader(ext.data);
  try {
    const v = decode(r);
    r.end(extensionName(ext.type));
    return v;
  } catch (e) {
    if (e instanceof DecodeError) {
      throw alertError(
        Alert.decode_error,
        `malformed ${extensionName(ext.type)} extension: ${e.message}`,
      );
    }
    throw e;
  }
}

function build(type: number, body: (w: Writer) => void): Extension {
  const w = new Writer(64);
  body(w);
  return { type, data: w.finish() };
}

function readU16List(r: Reader, what: string, min: number): number[] {
  const block = r.sub16(what, min);
  if (block.remaining % 2 !== 0) throw new DecodeError(`odd length ${what}`);
  const out: number[] = [];
  while (block.remaining > 0) out.push(block.u16());
  return out;
}

function u16List(type: number, values: readonly number[]): Extension {
  return build(type, (w) =>
    w.vec16((b) => {
      for (const v of values) b.u16(v);
    }));
}

// --- server_name: RFC 6066 §3 -----------------------------------------------------------

/** ClientHello server_name with one host_name entry. */
export function serverNameExtension(hostname: string): Extension {
  const name = new TextEncoder().encode(hostname);
  return build(ExtensionType.server_name, (w) =>
    w.vec16((list) => {
      list.u8(0).opaque16(name);
    }));
}

/**
 * The host_name of a ClientHello server_name extension. RFC 6066 §3: at most one name of each
 * type; the name is ASCII without a trailing dot.
 */
export function readServerName(r: Reader): string | undefined {
  const list = r.sub16("server_name list", 1);
  let host: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.u8("name type");
    const name = list.vec16("host name", 1);
    if (nameType !== 0) continue;
    if (host !== undefined) {
      throw alertError(Alert.illegal_parameter, "two host names in server_name", "BAD_EXTENSION");
    }
    for (const c of name) {
      if (c < 0x21 || c > 0x7e) {
        throw alertError(Alert.illegal_parameter, "server_name is not ASCII", "BAD_EXTENSION");
      }
    }
    host = String.fromCharCode(...name);
    if (host.endsWith(".")) {
      throw alertError(Alert.illegal_parameter, "server_name ends with a dot", "BAD_EXTENSION");
    }
  }
  return host;
}

// --- supported_groups: RFC 8446 §4.2.7 ----------------------------------------------------

/** supported_groups with `groups` in preference order. */
export function supportedGroupsExtension(groups: readonly number[]): Extension {
  return u16List(ExtensionType.supported_groups, groups);
}

/** Reads `NamedGroup named_group_list<2..2^16-1>`. */
export function readSupportedGroups(r: Reader): number[] {
  return readU16List(r, "named_group_list", 2);
}

// --- signature_algorithms(_cert): RFC 8446 §4.2.3 ------------------------------------------

/** signature_algorithms (or `_cert` with `type`) listing `schemes`. */
export function signatureAlgorithmsExtension(
  schemes: readonly number[],
  type: number = ExtensionType.signature_algorithms,
): Extension {
  return u16List(type, schemes);
}

/** Reads `SignatureScheme supported_signature_algorithms<2..2^16-2>`. */
export function readSignatureAlgorithms(r: Reader): number[] {
  return readU16List(r, "supported_signature_algorithms", 2);
}

// --- ALPN: RFC 7301 §3.1 -------------------------------------------------------------------

/** application_layer_protocol_negotiation listing `protocols`. */
export function alpnExtension(protocols: readonly string[]): Extension {
  const enc = new TextEncoder();
  return build(ExtensionType.application_layer_protocol_negotiation, (w) =>
    w.vec16((list) => {
      for (const p of protocols) list.opaque8(enc.encode(p));
    }));
}

/** Reads `ProtocolName protocol_name_list<2..2^16-1>`; names are `opaque<1..2^8-1>`. */
export function readAlpn(r: Reader): string[] {
  const list = r.sub16("protocol_name_list", 2);
  const out: string[] = [];
  while (list.remaining > 0) out.push(latin1(list.vec8("protocol name", 1)));
  return out;
}

function latin1(b: Bytes): string {
  return String.fromCharCode(...b);
}

// --- supported_versions: RFC 8446 §4.2.1 ---------------------------------------------------

/** ClientHello supported_versions. */
export function supportedVersionsClientExtension(versions: readonly number[]): Extension {
  return build(ExtensionType.supported_versions, (w) =>
    w.vec8((list) => {
      for (const v of versions) list.u16(v);
    }));
}

/** Reads `ProtocolVersion versions<2..254>`. */
export function readSupportedVersionsClient(r: Reader): number[] {
  const list = r.sub8("versions", 2, 254);
  if (list.remaining % 2 !== 0) throw new DecodeError("odd length versions");
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16());
  return out;
}

/** ServerHello/HelloRetryRequest supported_versions. */
export function supportedVersionsServerExtension(version: number): Extension {
  return build(ExtensionType.supported_versions, (w) => w.u16(version));
}

// --- key_share: RFC 8446 §4.2.8 ------------------------------------------------------------

/** One offered or selected key share. */
export interface KeyShareEntry {
  /** Named group. */
  group: number;
  /** `key_exchange<1..2^16-1>`. */
  keyExchange: Bytes;
}

/** ClientHello key_share. */
export function keyShareClientExtension(entries: readonly KeyShareEntry[]): Extension {
  return build(ExtensionType.key_share, (w) =>
    w.vec16((list) => {
      for (const e of entries) list.u16(e.group).opaque16(e.keyExchange);
    }));
}

/**
 * Reads `KeyShareEntry client_shares<0..2^16-1>`. RFC 8446 §4.2.8: one share per group at
 * most (illegal_parameter otherwise).
 */
export function readKeyShareClient(r: Reader): KeyShareEntry[] {
  const list = r.sub16("client_shares");
  const out: KeyShareEntry[] = [];
  while (list.remaining > 0) {
    const entry = readKeyShareEntry(list);
    if (out.some((e) => e.group === entry.group)) {
      throw alertError(Alert.illegal_parameter, "two key shares for one group", "BAD_KEY_SHARE");
    }
    out.push(entry);
  }
  return out;
}

/** Reads one `KeyShareEntry`. */
export function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16("key share group");
  const keyExchange = r.vec16("key_exchange", 1);
  return { group, keyExchange };
}

/** ServerHello key_share. */
export function keyShareServerExtension(entry: KeyShareEntry): Extension {
  return build(ExtensionType.key_share, (w) => w.u16(entry.group).opaque16(entry.keyExchange));
}

/** HelloRetryRequest key_share: the selected group. */
export function keyShareHrrExtension(group: number): Extension {
  return build(ExtensionType.key_share, (w) => w.u16(group));
}

// --- psk_key_exchange_modes: RFC 8446 §4.2.9 ----------------------------------------------

/** psk_key_exchange_modes. */
export function pskModesExtension(modes: readonly number[]): Extension {
  return build(ExtensionType.psk_key_exchange_modes, (w) =>
    w.vec8((list) => {
      for (const m of modes) list.u8(m);
    }));
}

/** Reads `PskKeyExchangeMode ke_modes<1..255>`. */
export function readPskModes(r: Reader): number[] {
  return Array.from(r.vec8("ke_modes", 1));
}

// --- cookie: RFC 8446 §4.2.2 ---------------------------------------------------------------

/** cookie. */
export function cookieExtension(cookie: Bytes): Extension {
  return build(ExtensionType.cookie, (w) => w.opaque16(cookie));
}

/** Reads `opaque cookie<1..2^16-1>`. */
export function readCookie(r: Reader): Bytes {
  return r.vec16("cookie", 1);
}

// --- pre_shared_key: RFC 8446 §4.2.11 -------------------------------------------------------

/** One offered PSK identity. */
export interface PskIdentity {
  /** The ticket or external identity, `opaque<1..2^16-1>`. */
  identity: Bytes;
  /** The obfuscated ticket age. */
  obfuscatedTicketAge: number;
}

/** ClientHello pre_shared_key contents. */
export interface OfferedPsks {
  /** Identities in order. */
  identities: PskIdentity[];
  /** One binder per identity, `opaque PskBinderEntry<32..255>`. */
  binders: Bytes[];
}

/** Length of the binders list encoding (2-byte length + entries), for binder computation. */
export function bindersLength(binderLengths: readonly number[]): number {
  return 2 + binderLengths.reduce((n, l) => n + 1 + l, 0);
}

/** ClientHello pre_shared_key. */
export function preSharedKeyClientExtension(offer: OfferedPsks): Extension {
  return build(ExtensionType.pre_shared_key, (w) => {
    w.vec16((ids) => {
      for (const id of offer.identities) ids.opaque16(id.identity).u32(id.obfuscatedTicketAge);
    });
    w.vec16((bs) => {
      for (const b of offer.binders) bs.opaque8(b);
    });
  });
}

/** Reads ClientHello `OfferedPsks`; identities and binders must pair up (RFC 8446 §4.2.11). */
export function readPreSharedKeyClient(r: Reader): OfferedPsks {
  const ids = r.sub16("identities", 7);
  const identities: PskIdentity[] = [];
  while (ids.remaining > 0) {
    const identity = ids.vec16("identity", 1);
    identities.push({ identity, obfuscatedTicketAge: ids.u32("obfuscated_ticket_age") });
  }
  const bs = r.sub16("binders", 33);
  const binders: Bytes[] = [];
  while (bs.remaining > 0) binders.push(bs.vec8("binder", 32, 255));
  if (binders.length !== identities.length) {
    throw alertError(Alert.illegal_parameter, "PSK identities and binders differ in number");
  }
  return { identities, binders };
}

/** ServerHello pre_shared_key: the selected identity index. */
export function preSharedKeyServerExtension(selected: number): Extension {
  return build(ExtensionType.pre_shared_key, (w) => w.u16(selected));
}

// --- certificate_authorities: RFC 8446 §4.2.4 ----------------------------------------------

/** certificate_authorities with DER-encoded distinguished names. */
export function certificateAuthoritiesExtension(names: readonly Bytes[]): Extension {
  return build(ExtensionType.certificate_authorities, (w) =>
    w.vec16((list) => {
      for (const n of names) list.opaque16(n);
    }));
}

/** Reads `DistinguishedName authorities<3..2^16-1>`. */
export function readCertificateAuthorities(r: Reader): Bytes[] {
  const list = r.sub16("authorities", 3);
  const out: Bytes[] = [];
  while (list.remaining > 0) out.push(list.vec16("distinguished name", 1));
  return out;
}

// --- early_data: RFC 8446 §4.2.10 -----------------------------------------------------------

/** Reads NewSessionTicket early_data: `uint32 max_early_data_size`. */
export function readMaxEarlyData(r: Reader): number {
  return r.u32("max_early_data_size");
}

// --- TLS 1.2 extensions ------------------------------------------------------------------

/** An extension with empty `extension_data` (post_handshake_auth, extended_master_secret, …). */
export function emptyExtension(type: number): Extension {
  return { type, data: new Uint8Array(0) };
}

/** renegotiation_info carrying `renegotiated_connection`. RFC 5746 §3.2. */
export function renegotiationInfoExtension(verifyData: Bytes): Extension {
  return build(ExtensionType.renegotiation_info, (w) => w.opaque8(verifyData));
}

/** Reads `opaque renegotiated_connection<0..255>`. RFC 5746 §3.2. */
export function readRenegotiationInfo(r: Reader): Bytes {
  return r.vec8("renegotiated_connection");
}

/** ec_point_formats listing only `uncompressed`. RFC 8422 §5.1.2. */
export function ecPointFormatsExtension(): Extension {
  return build(ExtensionType.ec_point_formats, (w) => w.vec8((l) => l.u8(0)));
}

/** Reads `ECPointFormat ec_point_format_list<1..2^8-1>`. RFC 8422 §5.1.2. */
export function readEcPointFormats(r: Reader): number[] {
  return Array.from(r.vec8("ec_point_format_list", 1));
}

/**
 * record_size_limit with the largest record we accept, in the terms of the version it is
 * sent for: 2^14+1 in TLS 1.3 (content type and padding included), 2^14 in TLS 1.2. RFC 8449
 * §4.
 */
export function recordSizeLimitExtension(tls13: boolean): Extension {
  return build(ExtensionType.record_size_limit, (w) => w.u16(MAX_PLAINTEXT + (tls13 ? 1 : 0)));
}

/** Reads record_size_limit; RFC 8449 §4: a value below 64 is illegal_parameter. */
export function readRecordSizeLimit(r: Reader): number {
  const limit = r.u16("record_size_limit");
  if (limit < 64) {
    throw alertError(Alert.illegal_parameter, `record_size_limit of ${limit}`, "BAD_EXTENSION");
  }
  return limit;
}
