/**
 * A strict DER element tree with the readers X.509 needs (OIDs, integers, strings, times).
 * Every failure is a `CertificateDecodeError`.
 * @module
 */
import { asBytes, type Bytes, fromUtf8Strict } from "../_bytes.ts";
import { CertificateDecodeError } from "./errors.ts";

/** Tag classes (X.680 §8.1.2.2). */
export const UNIVERSAL = 0, CONTEXT = 2;

/** Universal tag numbers used by X.509. */
export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  ENUMERATED: 10,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  NUMERIC_STRING: 18,
  PRINTABLE_STRING: 19,
  T61_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  VISIBLE_STRING: 26,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

/** One decoded TLV. `tlv` and `content` are views into the decoded buffer. */
export interface DerNode {
  /** Tag class: 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  /** Tag number. */
  readonly tag: number;
  /** Constructed encoding. */
  readonly constructed: boolean;
  /** The whole encoding: identifier, length and contents. */
  readonly tlv: Bytes;
  /** The contents octets. */
  readonly content: Bytes;
  /** Child elements of a constructed encoding (empty for primitive ones). */
  readonly children: readonly DerNode[];
}

function fail(what: string): never {
  throw new CertificateDecodeError(what);
}

// A strict DER reader (X.690 §10): definite, minimal lengths; low tag numbers stay one byte.
// Written here rather than on asn1js, whose decoder costs ~40 µs per element (350 ms for a
// 78 KB certificate with 2048 names): too slow for handshakes and an easy denial of service.
function readNode(buf: Bytes, off: number, end: number, depth: number, what: string): DerNode {
  if (depth > 64) fail(`${what}: nesting too deep`);
  if (off + 2 > end) fail(`${what}: truncated element`);
  const id = buf[off];
  let p = off + 1;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0;; i++) {
      if (p >= end || i > 3) fail(`${what}: bad tag`);
      const b = buf[p++];
      if (i === 0 && b === 0x80) fail(`${what}: non-minimal tag`);
      tag = tag * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (tag < 0x1f) fail(`${what}: non-minimal tag`);
  }
  if (p >= end) fail(`${what}: truncated element`);
  let len = buf[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) fail(`${what}: indefinite length is not DER`);
    if (n > 4 || p + n > end) fail(`${what}: bad length`);
    if (buf[p] === 0) fail(`${what}: non-minimal length`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
    if (len < 0x80) fail(`${what}: non-minimal length`);
  }
  if (p + len > end) fail(`${what}: truncated element`);
  const constructed = (id & 0x20) !== 0;
  const children: DerNode[] = [];
  if (constructed) {
    for (let q = p; q < p + len;) {
      const child = readNode(buf, q, p + len, depth + 1, what);
      children.push(child);
      q = child.tlv.byteOffset - buf.byteOffset + child.tlv.byteLength;
    }
  }
  return {
    cls: id >> 6,
    tag,
    constructed,
    tlv: buf.subarray(off, p + len),
    content: buf.subarray(p, p + len),
    children,
  };
}

/**
 * Decodes exactly one DER element filling `der`; throws `CertificateDecodeError` on malformed
 * input, BER-only forms or trailing bytes.
 */
export function parseDer(der: Uint8Array, what = "DER"): DerNode {
  const bytes = asBytes(der);
  const node = readNode(bytes, 0, bytes.byteLength, 0, what);
  if (node.tlv.byteLength !== bytes.byteLength) fail(`${what}: trailing bytes`);
  return node;
}

/** True when `n` has the universal tag `tag`. */
export function isUniversal(n: DerNode | undefined, tag: number): boolean {
  return n !== undefined && n.cls === UNIVERSAL && n.tag === tag;
}

/** True when `n` is context-specific `[tag]`. */
export function isContext(n: DerNode | undefined, tag: number): boolean {
  return n !== undefined && n.cls === CONTEXT && n.tag === tag;
}

/** Asserts `n` has universal tag `tag` (and the right construction) and returns it. */
export function expect(n: DerNode | undefined, tag: number, what: string): DerNode {
  if (n === undefined || !isUniversal(n, tag)) fail(`${what}: unexpected element`);
  const constructed = tag === TAG.SEQUENCE || tag === TAG.SET;
  if (n.constructed !== constructed) fail(`${what}: wrong encoding form`);
  return n;
}

/** Children of a SEQUENCE, checked. */
export function seq(n: DerNode | undefined, what: string): readonly DerNode[] {
  return expect(n, TAG.SEQUENCE, what).children;
}

/** Dotted text of an OBJECT IDENTIFIER's contents (X.690 §8.19), strictly minimal. */
export function oidFromContent(c: Bytes, what: string): string {
  if (c.byteLength === 0) fail(`${what}: empty OID`);
  const arcs: string[] = [];
  let v = 0n;
  let first = true;
  let start = true;
  for (let i = 0; i < c.byteLength; i++) {
    const b = c[i];
    if (start && b === 0x80) fail(`${what}: non-minimal OID arc`);
    start = false;
    v = (v << 7n) | BigInt(b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      const x = v < 40n ? 0n : v < 80n ? 1n : 2n;
      arcs.push(x.toString(), (v - x * 40n).toString());
      first = false;
    } else arcs.push(v.toString());
    v = 0n;
    start = true;
  }
  if (!start) fail(`${what}: truncated OID`);
  return arcs.join(".");
}

/** Reads an OBJECT IDENTIFIER element. */
export function readOid(n: DerNode | undefined, what: string): string {
  return oidFromContent(expect(n, TAG.OID, what).content, what);
}

/** Contents of a DER INTEGER after checking minimal encoding. */
export function integerContent(n: DerNode | undefined, what: string): Bytes {
  const c = expect(n, TAG.INTEGER, what).content;
  if (c.byteLength === 0) fail(`${what}: empty INTEGER`);
  if (c.byteLength > 1 && ((c[0] === 0 && !(c[1] & 0x80)) || (c[0] === 0xff && c[1] & 0x80))) {
    fail(`${what}: non-minimal INTEGER`);
  }
  return c;
}

/** A small non-negative INTEGER as a number (throws above 2^31). */
export function readSmallInt(n: DerNode | undefined, what: string): number {
  const c = integerContent(n, what);
  if (c[0] & 0x80) fail(`${what}: negative`);
  if (c.byteLength > 5 || (c.byteLength === 5 && c[0] !== 0)) fail(`${what}: too large`);
  let v = 0;
  for (const b of c) v = v * 256 + b;
  if (v > 0x7fffffff) fail(`${what}: too large`);
  return v;
}

/** Reads a DER BOOLEAN (0x00 or 0xFF only). */
export function readBoolean(n: DerNode | undefined, what: string): boolean {
  const c = expect(n, TAG.BOOLEAN, what).content;
  if (c.byteLength !== 1 || (c[0] !== 0 && c[0] !== 0xff)) fail(`${what}: invalid BOOLEAN`);
  return c[0] === 0xff;
}

/** A BIT STRING's unused-bit count and data bytes. */
export function readBitString(
  n: DerNode | undefined,
  what: string,
): { unused: number; data: Bytes } {
  const c = expect(n, TAG.BIT_STRING, what).content;
  if (c.byteLength === 0 || c[0] > 7 || (c.byteLength === 1 && c[0] !== 0)) {
    fail(`${what}: invalid BIT STRING`);
  }
  return { unused: c[0], data: c.subarray(1) };
}

/** Reads an OCTET STRING's contents. */
export function readOctetString(n: DerNode | undefined, what: string): Bytes {
  return expect(n, TAG.OCTET_STRING, what).content;
}

/** True for the universal string types a DirectoryString or attribute value may use. */
export function isStringTag(n: DerNode): boolean {
  return n.cls === UNIVERSAL && !n.constructed && (n.tag === TAG.UTF8_STRING ||
    n.tag === TAG.PRINTABLE_STRING || n.tag === TAG.IA5_STRING || n.tag === TAG.T61_STRING ||
    n.tag === TAG.BMP_STRING || n.tag === TAG.UNIVERSAL_STRING ||
    n.tag === TAG.NUMERIC_STRING || n.tag === TAG.VISIBLE_STRING);
}

/**
 * Decodes a string element's contents to text the way OpenSSL's `ASN1_STRING_to_UTF8` does:
 * T61String as Latin-1, BMPString as UCS-2, UniversalString as UCS-4. Returns `undefined` for
 * invalid content.
 */
export function decodeString(n: DerNode): string | undefined {
  const c = n.content;
  switch (n.tag) {
    case TAG.UTF8_STRING:
      return fromUtf8Strict(c);
    case TAG.BMP_STRING: {
      if (c.byteLength % 2) return undefined;
      let s = "";
      for (let i = 0; i < c.byteLength; i += 2) s += String.fromCharCode((c[i] << 8) | c[i + 1]);
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      if (c.byteLength % 4) return undefined;
      let s = "";
      for (let i = 0; i < c.byteLength; i += 4) {
        const cp = ((c[i] << 24) >>> 0) + ((c[i + 1] << 16) | (c[i + 2] << 8) | c[i + 3]);
        if (cp > 0x10ffff) return undefined;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    case TAG.T61_STRING: {
      let s = "";
      for (const b of c) s += String.fromCharCode(b);
      return s;
    }
    default: {
      // PrintableString, IA5String, NumericString, VisibleString: ASCII only.
      let s = "";
      for (const b of c) {
        if (b > 0x7f) return undefined;
        s += String.fromCharCode(b);
      }
      return s;
    }
  }
}

/** IA5String (or [n] IMPLICIT IA5String) contents as ASCII text; `undefined` if not ASCII. */
export function ia5(c: Bytes): string | undefined {
  let s = "";
  for (const b of c) {
    if (b > 0x7f) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

/**
 * Reads a UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 profile (`YYMMDDHHMMSSZ`,
 * `YYYYMMDDHHMMSSZ`; UTCTime years 50–99 are 19xx) as a `Date`.
 */
export function readTime(n: DerNode | undefined, what: string): Date {
  if (!n || n.cls !== UNIVERSAL || n.constructed) fail(`${what}: missing time`);
  const s = ia5(n.content) ?? "";
  let m: RegExpMatchArray | null;
  let year: number;
  if (n.tag === TAG.UTC_TIME) {
    m = s.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    if (!m) fail(`${what}: malformed UTCTime`);
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (n.tag === TAG.GENERALIZED_TIME) {
    m = s.match(/^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    if (!m) fail(`${what}: malformed GeneralizedTime`);
    year = Number(m[1]);
  } else fail(`${what}: not a time`);
  const [mo, d, h, mi, sec] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) {
    fail(`${what}: time out of range`);
  }
  const t = Date.UTC(year, mo - 1, d, h, mi, sec);
  if (new Date(t).getUTCDate() !== d) fail(`${what}: no such day`);
  return new Date(t);
}
