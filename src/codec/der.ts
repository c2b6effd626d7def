/**
 * Strict DER (X.690 §10) for the PKIX structures webtls reads and writes: certificates, CRLs,
 * keys, signatures. One reader serves every layer so that hostile input meets one set of checks:
 * definite lengths in the fewest octets (§10.1), tag numbers in the fewest octets (§8.1.2.4), at
 * most four length octets, at most {@link MAX_DEPTH} levels of nesting, no trailing bytes. The
 * whole tree is checked when it is parsed, so a malformed element is refused even where the
 * caller would skip it. Failures throw {@link DecodeError}; the layers above turn it into their
 * own errors.
 *
 * Tags are identifier octets (X.690 §8.1.2), as they appear on the wire: {@link SEQUENCE} is
 * 0x30, `[0]` EXPLICIT is `contextTag(0)` (0xa0), `[1]` IMPLICIT over a primitive type is
 * `contextTag(1, false)` (0x81). The primitive readers take such an implicit tag in place of
 * their universal one.
 *
 * Written here rather than on asn1js, whose decoder costs ~40 µs per element (350 ms for a 78 KB
 * certificate with 2048 names): too slow for handshakes and an easy denial of service.
 * @module
 */
import { asBytes, type Bytes, concat, fromUtf8Strict } from "../_bytes.ts";
import { DecodeError } from "./reader.ts";

/** BOOLEAN (X.690 §8.2). */
export const BOOLEAN = 0x01;
/** INTEGER (X.690 §8.3). */
export const INTEGER = 0x02;
/** BIT STRING, primitive (X.690 §8.6; DER forbids the constructed form). */
export const BIT_STRING = 0x03;
/** OCTET STRING, primitive (X.690 §8.7). */
export const OCTET_STRING = 0x04;
/** NULL (X.690 §8.8). */
export const NULL = 0x05;
/** OBJECT IDENTIFIER (X.690 §8.19). */
export const OID = 0x06;
/** UTF8String. */
export const UTF8_STRING = 0x0c;
/** SEQUENCE and SEQUENCE OF, constructed (X.690 §8.9). */
export const SEQUENCE = 0x30;
/** SET and SET OF, constructed (X.690 §8.11). */
export const SET = 0x31;
/** NumericString. */
export const NUMERIC_STRING = 0x12;
/** PrintableString. */
export const PRINTABLE_STRING = 0x13;
/** TeletexString (T61String). */
export const T61_STRING = 0x14;
/** IA5String. */
export const IA5_STRING = 0x16;
/** UTCTime. */
export const UTC_TIME = 0x17;
/** GeneralizedTime. */
export const GENERALIZED_TIME = 0x18;
/** VisibleString. */
export const VISIBLE_STRING = 0x1a;
/** UniversalString (UCS-4). */
export const UNIVERSAL_STRING = 0x1c;
/** BMPString (UCS-2). */
export const BMP_STRING = 0x1e;

/** Deepest nesting accepted: PKIX needs about ten levels; recursion stays far from the stack. */
export const MAX_DEPTH = 64;

/**
 * The identifier octet of context-specific tag `[n]` (n below 31): constructed for EXPLICIT
 * tags and for IMPLICIT tags over constructed types, primitive for IMPLICIT over primitive ones.
 */
export function contextTag(n: number, constructed = true): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag [${n}]`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One decoded element. `raw` and `content` are views into the parsed buffer (no copies). */
export interface DerNode {
  /**
   * The first identifier octet: class, form and (below 31) tag number, comparable with the
   * constants of this module. Tag numbers from 31 leave 0x1f in the low bits, which no
   * constant has.
   */
  readonly id: number;
  /** Tag class: 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  /** Tag number. */
  readonly tag: number;
  /** Constructed encoding. */
  readonly constructed: boolean;
  /** The whole encoding: identifier, length and contents. */
  readonly raw: Bytes;
  /** The contents octets. */
  readonly content: Bytes;
  /** The elements inside a constructed encoding (empty for a primitive one). */
  readonly children: readonly DerNode[];
}

function fail(what: string, problem: string): never {
  throw new DecodeError(`${what}: ${problem}`);
}

/** Reads the element at `off`, which must end by `end`, and everything inside it. */
function readNode(buf: Bytes, off: number, end: number, depth: number, what: string): DerNode {
  if (depth > MAX_DEPTH) fail(what, "nesting too deep");
  if (end - off < 2) fail(what, "truncated element");
  const id = buf[off];
  let p = off + 1;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    // X.690 §8.1.2.4: base 128, no leading 0x80, and only for numbers that need it.
    tag = 0;
    for (let i = 0;; i++) {
      if (p >= end || i > 3) fail(what, "bad tag");
      const b = buf[p++];
      if (i === 0 && b === 0x80) fail(what, "non-minimal tag");
      tag = tag * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (tag < 0x1f) fail(what, "non-minimal tag");
  }
  if (p >= end) fail(what, "truncated element");
  let len = buf[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) fail(what, "indefinite length is not DER");
    if (n > 4) fail(what, "length too large");
    if (end - p < n) fail(what, "truncated length");
    // X.690 §10.1: the definite form in the fewest octets.
    if (buf[p] === 0) fail(what, "non-minimal length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
    if (len < 0x80) fail(what, "non-minimal length");
  }
  if (len > end - p) fail(what, "truncated element");
  const stop = p + len;
  const constructed = (id & 0x20) !== 0;
  const children: DerNode[] = [];
  if (constructed) {
    for (let q = p; q < stop;) {
      const child = readNode(buf, q, stop, depth + 1, what);
      children.push(child);
      q += child.raw.byteLength;
    }
  }
  return {
    id,
    cls: id >> 6,
    tag,
    constructed,
    raw: buf.subarray(off, stop),
    content: buf.subarray(p, stop),
    children,
  };
}

/** Decodes exactly one element filling `der` (`what` names it in error messages). */
export function parseDer(der: Uint8Array, what = "DER"): DerNode {
  const bytes = asBytes(der);
  const node = readNode(bytes, 0, bytes.byteLength, 0, what);
  if (node.raw.byteLength !== bytes.byteLength) fail(what, "trailing bytes");
  return node;
}

/** Decodes exactly one element with identifier `id` filling `der`. */
export function parseOne(der: Uint8Array, id: number, what: string): DerNode {
  return expect(parseDer(der, what), id, what);
}

// Plain booleans rather than type predicates: on a `DerNode` a false predicate would narrow it to
// `never` in the caller's else branch.

/** True when `n` has `id`'s class and tag number, in either form. */
export function hasTag(n: DerNode | undefined, id: number): boolean {
  return n !== undefined && (n.id & 0xdf) === (id & 0xdf);
}

/** True when `n` is context-specific `[tag]`, in either form. */
export function isContext(n: DerNode | undefined, tag: number): boolean {
  return n !== undefined && n.cls === 2 && n.tag === tag;
}

/** Returns `n` after checking that its identifier is `id` (class, form and number). */
export function expect(n: DerNode | undefined, id: number, what: string): DerNode {
  if (n === undefined || !hasTag(n, id)) fail(what, "unexpected element");
  if (n.id !== id) fail(what, "wrong encoding form");
  return n;
}

/** The elements of a SEQUENCE (or SEQUENCE OF). */
export function seq(n: DerNode | undefined, what: string): readonly DerNode[] {
  return expect(n, SEQUENCE, what).children;
}

/** The elements of a SET (or SET OF). */
export function set(n: DerNode | undefined, what: string): readonly DerNode[] {
  return expect(n, SET, what).children;
}

/**
 * The one element inside an EXPLICIT tag `n` (X.690 §8.14.3), checked against `id` when given.
 * The caller has matched `n`'s own tag.
 */
export function explicit(n: DerNode, what: string, id?: number): DerNode {
  if (!n.constructed || n.children.length !== 1) fail(what, "malformed explicit tag");
  const inner = n.children[0];
  return id === undefined ? inner : expect(inner, id, what);
}

/**
 * Reads the elements of a constructed encoding in order, for structures with OPTIONAL and
 * DEFAULT fields: each read names the identifier it expects.
 */
export class DerSequence {
  readonly #items: readonly DerNode[];
  readonly #what: string;
  #next = 0;

  /**
   * @param node a constructed element (SEQUENCE, SET or a constructed context tag)
   * @param what its name for error messages
   */
  constructor(node: DerNode, what: string) {
    if (!node.constructed) fail(what, "not constructed");
    this.#items = node.children;
    this.#what = what;
  }

  /** The identifier of the next element, or `undefined` at the end. */
  peekTag(): number | undefined {
    return this.#items[this.#next]?.id;
  }

  /** Reads the next element, which must have identifier `id`. */
  next(id: number, what: string): DerNode {
    const n = this.#items[this.#next];
    if (n === undefined) fail(this.#what, `missing ${what}`);
    if (n.id !== id) fail(this.#what, `${what} has the wrong type`);
    this.#next++;
    return n;
  }

  /** Reads the next element if its identifier is `id` (an OPTIONAL or DEFAULT field). */
  optional(id: number): DerNode | undefined {
    return this.peekTag() === id ? this.#items[this.#next++] : undefined;
  }

  /** Reads the next element if it is a NULL: parameters that may be NULL or absent. */
  optionalNull(what: string): void {
    const n = this.optional(NULL);
    if (n !== undefined) readNull(n, what);
  }

  /** Reads the next element whatever its identifier (an ANY or CHOICE field), if any. */
  optionalAny(): DerNode | undefined {
    return this.#items[this.#next] === undefined ? undefined : this.#items[this.#next++];
  }

  /** Throws unless every element has been read. */
  end(): void {
    if (this.#next !== this.#items.length) fail(this.#what, "unexpected fields");
  }
}

/** A BOOLEAN; DER allows only 0x00 and 0xff (X.690 §11.1). */
export function readBoolean(n: DerNode | undefined, what: string, id = BOOLEAN): boolean {
  const c = expect(n, id, what).content;
  if (c.byteLength !== 1 || (c[0] !== 0 && c[0] !== 0xff)) fail(what, "invalid BOOLEAN");
  return c[0] === 0xff;
}

/** A NULL, whose contents must be empty (X.690 §8.8.2). */
export function readNull(n: DerNode | undefined, what: string): void {
  if (expect(n, NULL, what).content.byteLength !== 0) fail(what, "invalid NULL");
}

/** An INTEGER's contents: two's complement in the fewest octets (X.690 §8.3.2). */
export function readInteger(n: DerNode | undefined, what: string, id = INTEGER): Bytes {
  const c = expect(n, id, what).content;
  if (c.byteLength === 0) fail(what, "empty INTEGER");
  if (c.byteLength > 1 && ((c[0] === 0 && !(c[1] & 0x80)) || (c[0] === 0xff && c[1] & 0x80))) {
    fail(what, "non-minimal INTEGER");
  }
  return c;
}

/** A non-negative INTEGER's magnitude, without the octet that keeps the sign bit clear. */
export function readUnsigned(n: DerNode | undefined, what: string, id = INTEGER): Bytes {
  const c = readInteger(n, what, id);
  if (c[0] & 0x80) fail(what, "negative INTEGER");
  return c[0] === 0 && c.byteLength > 1 ? c.subarray(1) : c;
}

/**
 * A non-negative INTEGER as a number no larger than `max` (at most 2^53 − 1; by default
 * 2^48 − 1, six octets, which every count and size in a key file fits).
 */
export function readUint(
  n: DerNode | undefined,
  what: string,
  max = 2 ** 48 - 1,
  id = INTEGER,
): number {
  const m = readUnsigned(n, what, id);
  if (m.byteLength > 7) fail(what, "INTEGER too large");
  let v = 0;
  for (const b of m) v = v * 256 + b;
  if (v > max) fail(what, "INTEGER too large");
  return v;
}

/** A BIT STRING's unused-bit count (X.690 §8.6.2.2) and data octets. */
export function readBitString(
  n: DerNode | undefined,
  what: string,
  id = BIT_STRING,
): { unused: number; data: Bytes } {
  const c = expect(n, id, what).content;
  if (c.byteLength === 0 || c[0] > 7 || (c.byteLength === 1 && c[0] !== 0)) {
    fail(what, "invalid BIT STRING");
  }
  return { unused: c[0], data: c.subarray(1) };
}

/** A BIT STRING of whole octets (keys, signatures), as those octets. */
export function readBitStringBytes(n: DerNode | undefined, what: string, id = BIT_STRING): Bytes {
  const { unused, data } = readBitString(n, what, id);
  if (unused !== 0) fail(what, "BIT STRING has unused bits");
  return data;
}

/** An OCTET STRING's contents. */
export function readOctetString(n: DerNode | undefined, what: string, id = OCTET_STRING): Bytes {
  return expect(n, id, what).content;
}

// A subidentifier is exact in a double while below 2^53; past 2^46 (one more base-128 digit
// would overflow) it continues as a bigint. UUID arcs (2.25.x) are 128 bits.
const EXACT_ARC = 2 ** 46;

/** An OBJECT IDENTIFIER in dotted form; every subidentifier minimal (X.690 §8.19.2). */
export function readOid(n: DerNode | undefined, what: string, id = OID): string {
  const c = expect(n, id, what).content;
  if (c.byteLength === 0) fail(what, "empty OID");
  let out = "";
  let v = 0;
  let big: bigint | undefined;
  let start = true;
  for (let i = 0; i < c.byteLength; i++) {
    const b = c[i];
    if (start && b === 0x80) fail(what, "non-minimal OID arc");
    start = false;
    if (big !== undefined) big = (big << 7n) | BigInt(b & 0x7f);
    else if (v >= EXACT_ARC) big = (BigInt(v) << 7n) | BigInt(b & 0x7f);
    else v = v * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (out === "") {
      // X.690 §8.19.4: the first subidentifier packs the first two arcs as 40 * x + y.
      out = big !== undefined
        ? `2.${big - 80n}`
        : v < 40
        ? `0.${v}`
        : v < 80
        ? `1.${v - 40}`
        : `2.${v - 80}`;
    } else out += `.${big ?? v}`;
    v = 0;
    big = undefined;
    start = true;
  }
  if (!start) fail(what, "truncated OID");
  return out;
}

const STRING_TAGS: ReadonlySet<number> = new Set([
  UTF8_STRING,
  PRINTABLE_STRING,
  IA5_STRING,
  T61_STRING,
  BMP_STRING,
  UNIVERSAL_STRING,
  NUMERIC_STRING,
  VISIBLE_STRING,
]);

/** True for a primitive universal string type a DirectoryString or attribute value may use. */
export function isStringTag(n: DerNode): boolean {
  return STRING_TAGS.has(n.id);
}

/** Contents as ASCII text (IA5String and its subsets); `undefined` for a byte above 0x7f. */
export function ia5(c: Bytes): string | undefined {
  let s = "";
  for (const b of c) {
    if (b > 0x7f) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

/**
 * A string element's text, decoded as OpenSSL's `ASN1_STRING_to_UTF8` does: T61String as
 * Latin-1, BMPString as UCS-2, UniversalString as UCS-4, the ASCII types as ASCII. Returns
 * `undefined` for invalid contents.
 */
export function decodeString(n: DerNode): string | undefined {
  const c = n.content;
  // Universal string identifiers equal their tag numbers, so the constants serve either way.
  switch (n.tag) {
    case UTF8_STRING:
      return fromUtf8Strict(c);
    case BMP_STRING: {
      if (c.byteLength % 2) return undefined;
      let s = "";
      for (let i = 0; i < c.byteLength; i += 2) s += String.fromCharCode((c[i] << 8) | c[i + 1]);
      return s;
    }
    case UNIVERSAL_STRING: {
      if (c.byteLength % 4) return undefined;
      let s = "";
      for (let i = 0; i < c.byteLength; i += 4) {
        const cp = ((c[i] << 24) >>> 0) + ((c[i + 1] << 16) | (c[i + 2] << 8) | c[i + 3]);
        if (cp > 0x10ffff) return undefined;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    case T61_STRING: {
      let s = "";
      for (const b of c) s += String.fromCharCode(b);
      return s;
    }
    default:
      return ia5(c);
  }
}

/**
 * A UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 profile: `YYMMDDHHMMSSZ` or
 * `YYYYMMDDHHMMSSZ`, seconds present, no fraction, UTC; UTCTime years 50–99 are 19xx.
 */
export function readTime(n: DerNode | undefined, what: string): Date {
  if (!n || n.cls !== 0 || n.constructed) fail(what, "missing time");
  const s = ia5(n.content) ?? "";
  let m: RegExpMatchArray | null;
  let year: number;
  if (n.tag === UTC_TIME) {
    m = s.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    if (!m) fail(what, "malformed UTCTime");
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (n.tag === GENERALIZED_TIME) {
    m = s.match(/^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    if (!m) fail(what, "malformed GeneralizedTime");
    year = Number(m[1]);
  } else fail(what, "not a time");
  const [mo, d, h, mi, sec] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) {
    fail(what, "time out of range");
  }
  const t = Date.UTC(year, mo - 1, d, h, mi, sec);
  if (new Date(t).getUTCDate() !== d) fail(what, "no such day");
  return new Date(t);
}

// ---------------------------------------------------------------------------------------
// Writing. Inputs come from this library, not the wire: a bad argument is a RangeError.

function derLength(n: number): Bytes {
  if (n < 0x80) return new Uint8Array([n]);
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v & 0xff);
  return new Uint8Array([0x80 | octets.length, ...octets]);
}

/** Encodes an element with identifier `id` whose contents are `parts` concatenated. */
export function derTag(id: number, ...parts: Uint8Array[]): Bytes {
  const body = concat(...parts);
  return concat(new Uint8Array([id]), derLength(body.byteLength), body);
}

/** Encodes a SEQUENCE of already encoded elements. */
export function derSeq(...parts: Uint8Array[]): Bytes {
  return derTag(SEQUENCE, ...parts);
}

/** Encodes a non-negative INTEGER from its big-endian magnitude (leading zeros are dropped). */
export function derInt(magnitude: Uint8Array): Bytes {
  let i = 0;
  while (i < magnitude.byteLength - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return m.byteLength === 0 || m[0] & 0x80
    ? derTag(INTEGER, new Uint8Array([0]), m)
    : derTag(INTEGER, m);
}

/** Encodes an OBJECT IDENTIFIER from its dotted form (X.690 §8.19). */
export function derOid(dotted: string): Bytes {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`bad OID ${dotted}`);
  const arcs = dotted.split(".").map(BigInt);
  if (arcs[0] < 2n && arcs[1] >= 40n) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [arcs[0] * 40n + arcs[1], ...arcs.slice(2)]) {
    const group = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(0x80 | Number(v & 0x7fn));
    out.push(...group);
  }
  return derTag(OID, new Uint8Array(out));
}

/** Encodes an OCTET STRING. */
export function derOctets(b: Uint8Array): Bytes {
  return derTag(OCTET_STRING, b);
}

/** Encodes a BIT STRING of whole octets. */
export function derBitString(b: Uint8Array): Bytes {
  return derTag(BIT_STRING, new Uint8Array([0]), b);
}

/** Encodes NULL. */
export function derNull(): Bytes {
  return new Uint8Array([NULL, 0]);
}
