/**
 * The little DER the WebCrypto provider needs: reading SubjectPublicKeyInfo, PKCS#8 and
 * RSASSA-PSS parameters, converting ECDSA signatures between DER and WebCrypto's raw r||s,
 * and rewriting id-RSASSA-PSS keys as rsaEncryption keys that WebCrypto can import.
 * Strict by design: indefinite or non-minimal lengths and trailing bytes are rejected.
 * @module
 */
import { type Bytes, concat, equal, fromHex } from "../_bytes.ts";
import type { HashAlgorithm } from "./provider.ts";

/** One DER TLV. */
export interface DerNode {
  /** The identifier octet (only single-octet tags are accepted). */
  tag: number;
  /** The contents octets. */
  value: Bytes;
  /** The whole encoding, tag and length included. */
  raw: Bytes;
}

/** Thrown for DER that does not parse; callers map it to a false verification or a TypeError. */
export class DerError extends Error {
  /** @param message what did not parse */
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** DER tags used here. X.690 §8. */
export const Tag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  CTX0: 0xa0,
  CTX1: 0xa1,
  CTX2: 0xa2,
  CTX3: 0xa3,
} as const;

/** Reads one TLV at `off`; X.690 §10.1 (definite, minimal lengths only). */
export function readNode(buf: Bytes, off: number): { node: DerNode; next: number } {
  if (off + 2 > buf.byteLength) throw new DerError("truncated DER");
  const tag = buf[off];
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte DER tag");
  let len = buf[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new DerError("unsupported DER length");
    if (p + n > buf.byteLength) throw new DerError("truncated DER length");
    if (buf[p] === 0) throw new DerError("non-minimal DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    if (len < 0x80) throw new DerError("non-minimal DER length");
    p += n;
  }
  if (p + len > buf.byteLength) throw new DerError("truncated DER value");
  return {
    node: { tag, value: buf.subarray(p, p + len), raw: buf.subarray(off, p + len) },
    next: p + len,
  };
}

/** Parses `buf` as exactly one TLV with tag `tag`. */
export function parseOne(buf: Bytes, tag: number): DerNode {
  const { node, next } = readNode(buf, 0);
  if (node.tag !== tag) throw new DerError("unexpected DER tag");
  if (next !== buf.byteLength) throw new DerError("trailing DER bytes");
  return node;
}

/** The children of a constructed node. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let off = 0;
  while (off < node.value.byteLength) {
    const r = readNode(node.value, off);
    out.push(r.node);
    off = r.next;
  }
  return out;
}

function encodeLength(n: number): Bytes {
  if (n < 0x80) return new Uint8Array([n]);
  if (n < 0x100) return new Uint8Array([0x81, n]);
  if (n < 0x10000) return new Uint8Array([0x82, n >> 8, n & 0xff]);
  return new Uint8Array([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
}

/** Encodes one TLV. */
export function tlv(tag: number, ...content: Uint8Array[]): Bytes {
  const body = concat(...content);
  return concat(new Uint8Array([tag]), encodeLength(body.byteLength), body);
}

/** Object identifiers (contents octets) used by the provider. */
export const Oid = {
  rsaEncryption: fromHex("2a864886f70d010101"),
  rsassaPss: fromHex("2a864886f70d01010a"),
  mgf1: fromHex("2a864886f70d010108"),
  sha256: fromHex("608648016503040201"),
  sha384: fromHex("608648016503040202"),
  sha512: fromHex("608648016503040203"),
  ecPublicKey: fromHex("2a8648ce3d0201"),
  p256: fromHex("2a8648ce3d030107"),
  p384: fromHex("2b81040022"),
  p521: fromHex("2b81040023"),
  ed25519: fromHex("2b6570"),
} as const;

/** A parsed AlgorithmIdentifier. RFC 5280 §4.1.1.2. */
export interface AlgorithmIdentifier {
  /** The algorithm OID's contents octets. */
  oid: Bytes;
  /** The parameters, if present. */
  params?: DerNode;
  /** The whole AlgorithmIdentifier encoding. */
  raw: Bytes;
}

function parseAlgorithm(node: DerNode): AlgorithmIdentifier {
  if (node.tag !== Tag.SEQUENCE) throw new DerError("AlgorithmIdentifier is not a SEQUENCE");
  const parts = children(node);
  if (parts.length < 1 || parts.length > 2 || parts[0].tag !== Tag.OID) {
    throw new DerError("malformed AlgorithmIdentifier");
  }
  return parts.length === 2
    ? { oid: parts[0].value, params: parts[1], raw: node.raw }
    : { oid: parts[0].value, raw: node.raw };
}

/** A parsed SubjectPublicKeyInfo. RFC 5280 §4.1.2.7. */
export interface Spki {
  /** The algorithm. */
  algorithm: AlgorithmIdentifier;
  /** The subjectPublicKey BIT STRING contents, unused-bits octet included. */
  bitString: Bytes;
  /** The key bytes (BIT STRING without its unused-bits octet). */
  key: Bytes;
}

/** Parses a DER SubjectPublicKeyInfo. */
export function parseSpki(der: Bytes): Spki {
  const parts = children(parseOne(der, Tag.SEQUENCE));
  if (parts.length !== 2 || parts[1].tag !== Tag.BIT_STRING) throw new DerError("malformed SPKI");
  const bits = parts[1].value;
  if (bits.byteLength < 1 || bits[0] !== 0) throw new DerError("malformed SPKI key");
  return { algorithm: parseAlgorithm(parts[0]), bitString: bits, key: bits.subarray(1) };
}

/** A parsed PKCS#8 PrivateKeyInfo / OneAsymmetricKey. RFC 5958 §2. */
export interface Pkcs8 {
  /** The version INTEGER's encoding. */
  version: Bytes;
  /** The algorithm. */
  algorithm: AlgorithmIdentifier;
  /** Every field after the AlgorithmIdentifier (privateKey and optional fields), re-encoded. */
  tail: Bytes;
}

/** Parses a DER PKCS#8 private key. */
export function parsePkcs8(der: Bytes): Pkcs8 {
  const parts = children(parseOne(der, Tag.SEQUENCE));
  if (
    parts.length < 3 || parts[0].tag !== Tag.INTEGER || parts[0].value.byteLength !== 1 ||
    parts[0].value[0] > 1 || parts[2].tag !== Tag.OCTET_STRING
  ) {
    throw new DerError("malformed PKCS#8");
  }
  return {
    version: parts[0].raw,
    algorithm: parseAlgorithm(parts[1]),
    tail: concat(...parts.slice(2).map((p) => p.raw)),
  };
}

const RSA_ENCRYPTION_ALG: Bytes = tlv(Tag.SEQUENCE, tlv(Tag.OID, Oid.rsaEncryption), tlv(Tag.NULL));

/** The SPKI of the same RSA key under rsaEncryption, for WebCrypto import. RFC 4055 §1.2. */
export function rsaSpkiFromPss(spki: Spki): Bytes {
  return tlv(Tag.SEQUENCE, RSA_ENCRYPTION_ALG, tlv(Tag.BIT_STRING, spki.bitString));
}

/** The SPKI of an RSA key under the given AlgorithmIdentifier (e.g. id-RSASSA-PSS). */
export function spkiWithAlgorithm(algorithmRaw: Bytes, rsaEncryptionSpki: Bytes): Bytes {
  return tlv(
    Tag.SEQUENCE,
    algorithmRaw,
    tlv(Tag.BIT_STRING, parseSpki(rsaEncryptionSpki).bitString),
  );
}

/** The PKCS#8 of the same RSA key under rsaEncryption, for WebCrypto import. */
export function rsaPkcs8FromPss(p: Pkcs8): Bytes {
  return tlv(Tag.SEQUENCE, p.version, RSA_ENCRYPTION_ALG, p.tail);
}

/** The constraints of an id-RSASSA-PSS key. RFC 4055 §3.1. */
export interface PssParams {
  /** The only hash the key may be used with; undefined when unrestricted (absent parameters). */
  hash?: HashAlgorithm;
  /** The minimum salt length. */
  saltLength: number;
}

function hashFromAlgorithm(node: DerNode): HashAlgorithm | undefined {
  const alg = parseAlgorithm(node);
  // RFC 4055 §2.1: the hash parameters are NULL or absent.
  if (alg.params && (alg.params.tag !== Tag.NULL || alg.params.value.byteLength !== 0)) {
    return undefined;
  }
  if (equal(alg.oid, Oid.sha256)) return "SHA-256";
  if (equal(alg.oid, Oid.sha384)) return "SHA-384";
  if (equal(alg.oid, Oid.sha512)) return "SHA-512";
  return undefined;
}

function smallInteger(node: DerNode): number {
  const v = node.value;
  if (node.tag !== Tag.INTEGER || v.byteLength < 1 || v.byteLength > 3 || v[0] & 0x80) {
    throw new DerError("bad INTEGER");
  }
  if (v.byteLength > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError("non-minimal INTEGER");
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/**
 * Reads RSASSA-PSS-params. Returns `undefined` for parameters this library cannot honour in
 * TLS (a SHA-1 default, an MGF other than MGF1 with the same hash, a trailer field other than 1).
 * RFC 4055 §3.1; RFC 8446 §4.2.3 requires MGF1 with the signature's hash.
 */
export function parsePssParams(params: DerNode | undefined): PssParams | undefined {
  if (!params) return { saltLength: 0 };
  if (params.tag !== Tag.SEQUENCE) throw new DerError("malformed RSASSA-PSS-params");
  let hash: HashAlgorithm | undefined;
  let mgfHash: HashAlgorithm | undefined;
  let saltLength = 20;
  let lastTag = 0;
  for (const f of children(params)) {
    if (f.tag <= lastTag) throw new DerError("RSASSA-PSS-params out of order");
    lastTag = f.tag;
    const inner = children(f);
    if (inner.length !== 1) throw new DerError("malformed RSASSA-PSS-params field");
    switch (f.tag) {
      case Tag.CTX0:
        hash = hashFromAlgorithm(inner[0]);
        if (!hash) return undefined;
        break;
      case Tag.CTX1: {
        const mgf = parseAlgorithm(inner[0]);
        if (!equal(mgf.oid, Oid.mgf1) || !mgf.params) return undefined;
        mgfHash = hashFromAlgorithm(mgf.params);
        if (!mgfHash) return undefined;
        break;
      }
      case Tag.CTX2:
        saltLength = smallInteger(inner[0]);
        break;
      case Tag.CTX3:
        if (smallInteger(inner[0]) !== 1) return undefined;
        break;
      default:
        throw new DerError("unknown RSASSA-PSS-params field");
    }
  }
  // Present parameters without a hash default to SHA-1 (RFC 4055 §3.1), which TLS 1.3 never uses.
  if (!hash || mgfHash !== hash) return undefined;
  return { hash, saltLength };
}

/**
 * Converts a DER ECDSA-Sig-Value to WebCrypto's fixed-width r||s (`n` bytes each). Returns
 * `undefined` for anything but a strict DER encoding of two positive integers that fit.
 * RFC 3279 §2.2.3, X.690 §8.3.
 */
export function ecdsaDerToRaw(der: Bytes, n: number): Bytes | undefined {
  try {
    const parts = children(parseOne(der, Tag.SEQUENCE));
    if (parts.length !== 2) return undefined;
    const out = new Uint8Array(2 * n);
    for (let i = 0; i < 2; i++) {
      const { tag, value } = parts[i];
      if (tag !== Tag.INTEGER || value.byteLength === 0 || value[0] & 0x80) return undefined;
      let v = value;
      if (v[0] === 0) {
        // X.690 §8.3.2: a leading zero is allowed only to keep the sign bit clear.
        if (v.byteLength === 1 || !(v[1] & 0x80)) return undefined;
        v = v.subarray(1);
      }
      if (v.byteLength > n) return undefined;
      out.set(v, (i + 1) * n - v.byteLength);
    }
    return out;
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

function derUnsigned(b: Bytes): Bytes {
  let i = 0;
  while (i < b.byteLength - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return v[0] & 0x80 ? tlv(Tag.INTEGER, new Uint8Array([0]), v) : tlv(Tag.INTEGER, v);
}

/** Converts WebCrypto's raw r||s to a DER ECDSA-Sig-Value. RFC 3279 §2.2.3. */
export function ecdsaRawToDer(raw: Bytes): Bytes {
  const n = raw.byteLength / 2;
  return tlv(Tag.SEQUENCE, derUnsigned(raw.subarray(0, n)), derUnsigned(raw.subarray(n)));
}
