/**
 * A strict DER reader and writer (X.690 §10) for the small structures of key files: definite
 * minimal lengths and one-byte tags only. BER's freedoms (indefinite lengths, constructed
 * strings) are refused, so one key has one encoding. Unlike `_der.ts` (the certificate
 * reader) it also encodes, which normalizing keys to PKCS#8 needs. Failures throw
 * `DecodeError`, which the callers turn into the `SSLError` that fits their context.
 * @module
 */
import { type Bytes, concat } from "../_bytes.ts";
import { DecodeError } from "../codec/reader.ts";

/** INTEGER tag (X.690 §8.3). */
export const INTEGER = 0x02;
/** BIT STRING tag (X.690 §8.6). */
export const BIT_STRING = 0x03;
/** OCTET STRING tag (X.690 §8.7). */
export const OCTET_STRING = 0x04;
/** NULL tag (X.690 §8.8). */
export const NULL = 0x05;
/** OBJECT IDENTIFIER tag (X.690 §8.19). */
export const OID = 0x06;
/** SEQUENCE tag, constructed (X.690 §8.9). */
export const SEQUENCE = 0x30;

/** One DER element: its tag byte, its contents, and its whole encoding. */
export interface Tlv {
  /** The identifier octet. */
  readonly tag: number;
  /** The contents octets. */
  readonly body: Bytes;
  /** Identifier, length and contents. */
  readonly raw: Bytes;
}

/** Reads one element at `offset`; every length is checked before anything is sliced. */
export function readTlv(buf: Bytes, offset: number, what: string): Tlv {
  let i = offset;
  const need = (n: number) => {
    if (i + n > buf.byteLength) throw new DecodeError(`truncated ${what}`);
  };
  need(2);
  const tag = buf[i++];
  if ((tag & 0x1f) === 0x1f) throw new DecodeError(`${what}: multi-byte tag`);
  let len = buf[i++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DecodeError(`${what}: indefinite length`);
    if (n > 3) throw new DecodeError(`${what}: length too large`);
    need(n);
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + buf[i++];
    // X.690 §10.1: the definite form in the fewest octets.
    if (len < 0x80 || (n > 1 && len < 256 ** (n - 1))) {
      throw new DecodeError(`${what}: non-DER length`);
    }
  }
  need(len);
  return { tag, body: buf.subarray(i, i + len), raw: buf.subarray(offset, i + len) };
}

/** Parses `buf` as exactly one element with tag `tag`, nothing after it. */
export function parseOne(buf: Bytes, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, 0, what);
  if (tlv.tag !== tag) throw new DecodeError(`${what}: unexpected tag 0x${tlv.tag.toString(16)}`);
  if (tlv.raw.byteLength !== buf.byteLength) throw new DecodeError(`trailing bytes after ${what}`);
  return tlv;
}

/** Walks the children of a constructed element in order. */
export class DerSequence {
  #body: Bytes;
  #off = 0;
  #what: string;

  /**
   * @param tlv a constructed element (SEQUENCE, SET or a constructed context tag)
   * @param what its name for error messages
   */
  constructor(tlv: Tlv, what: string) {
    if ((tlv.tag & 0x20) === 0) throw new DecodeError(`${what}: not constructed`);
    this.#body = tlv.body;
    this.#what = what;
  }

  /** The tag of the next child, or `undefined` at the end. */
  peekTag(): number | undefined {
    return this.#off < this.#body.byteLength ? this.#body[this.#off] : undefined;
  }

  /** Reads the next child, which must have tag `tag`. */
  next(tag: number, what: string): Tlv {
    if (this.peekTag() === undefined) throw new DecodeError(`${this.#what}: missing ${what}`);
    const tlv = readTlv(this.#body, this.#off, what);
    if (tlv.tag !== tag) throw new DecodeError(`${this.#what}: ${what} has the wrong type`);
    this.#off += tlv.raw.byteLength;
    return tlv;
  }

  /** Reads the next child if its tag is `tag` (an OPTIONAL or DEFAULT field). */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next(tag, `[0x${tag.toString(16)}]`) : undefined;
  }

  /** Reads the next child whatever its tag (an ANY or CHOICE field), if there is one. */
  optionalAny(): Tlv | undefined {
    const tag = this.peekTag();
    return tag === undefined ? undefined : this.next(tag, "element");
  }

  /** Throws unless every child has been read. */
  end(): void {
    if (this.#off !== this.#body.byteLength) {
      throw new DecodeError(`${this.#what}: unexpected fields`);
    }
  }
}

/** The single element inside an EXPLICIT context tag, optionally of tag `tag`. */
export function explicit(tlv: Tlv, tag: number | undefined, what: string): Tlv {
  const inner = readTlv(tlv.body, 0, what);
  if (inner.raw.byteLength !== tlv.body.byteLength || (tag !== undefined && inner.tag !== tag)) {
    throw new DecodeError(`${what}: malformed`);
  }
  return inner;
}

/** Reads optional NULL parameters, then the end: both forms occur for hashes and RSA. */
export function optionalNull(s: DerSequence, what: string): void {
  const n = s.optional(NULL);
  if (n !== undefined && n.body.byteLength !== 0) throw new DecodeError(`${what}: bad NULL`);
  s.end();
}

/** A non-negative INTEGER's magnitude without the sign octet (X.690 §8.3). */
export function positiveInteger(tlv: Tlv, what: string): Bytes {
  const b = tlv.body;
  if (b.byteLength === 0 || (b[0] & 0x80) !== 0) throw new DecodeError(`${what} is not positive`);
  if (b.byteLength > 1 && b[0] === 0 && (b[1] & 0x80) === 0) {
    throw new DecodeError(`${what} is not minimally encoded`);
  }
  return b[0] === 0 && b.byteLength > 1 ? b.subarray(1) : b;
}

/** A non-negative INTEGER that fits in 48 bits. */
export function smallUint(tlv: Tlv, what: string): number {
  const m = positiveInteger(tlv, what);
  if (m.byteLength > 6) throw new DecodeError(`${what} is too large`);
  let v = 0;
  for (const byte of m) v = v * 256 + byte;
  return v;
}

/** A BIT STRING's bytes; keys are whole octets, so unused bits are refused. */
export function bitStringBody(tlv: Tlv, what: string): Bytes {
  if (tlv.body.byteLength === 0 || tlv.body[0] !== 0) {
    throw new DecodeError(`${what}: BIT STRING has unused bits`);
  }
  return tlv.body.subarray(1);
}

/** Dotted form of an OBJECT IDENTIFIER (X.690 §8.19). */
export function oidString(tlv: Tlv): string {
  const b = tlv.body;
  if (b.byteLength === 0 || b[b.byteLength - 1] & 0x80) {
    throw new DecodeError("bad OBJECT IDENTIFIER");
  }
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.byteLength; i++) {
    if (v === 0 && b[i] === 0x80) throw new DecodeError("bad OBJECT IDENTIFIER");
    v = v * 128 + (b[i] & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new DecodeError("OBJECT IDENTIFIER arc too large");
    if ((b[i] & 0x80) === 0) {
      // X.690 §8.19.4: the first subidentifier packs the first two arcs.
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join(".");
}

function derLength(n: number): Bytes {
  if (n < 0x80) return new Uint8Array([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return new Uint8Array([0x80 | bytes.length, ...bytes]);
}

/** Encodes an element with tag `tag` whose contents are `parts` concatenated. */
export function derTag(tag: number, ...parts: Uint8Array[]): Bytes {
  const body = concat(...parts);
  return concat(new Uint8Array([tag]), derLength(body.byteLength), body);
}

/** Encodes a SEQUENCE of already encoded elements. */
export function derSeq(...parts: Uint8Array[]): Bytes {
  return derTag(SEQUENCE, ...parts);
}

/** Encodes an INTEGER from a non-negative magnitude (leading zeros are dropped). */
export function derInt(magnitude: Uint8Array): Bytes {
  let i = 0;
  while (i < magnitude.byteLength - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return m.byteLength === 0 || m[0] & 0x80
    ? derTag(INTEGER, new Uint8Array([0]), m)
    : derTag(INTEGER, m);
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

/** Encodes an OBJECT IDENTIFIER from its dotted form. */
export function derOid(dotted: string): Bytes {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const group = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      group.unshift(0x80 | (v & 0x7f));
    }
    out.push(...group);
  }
  return derTag(OID, new Uint8Array(out));
}
