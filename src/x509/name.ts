/**
 * X.501 distinguished names: parsed attributes, the one-line text OpenSSL prints, Python's
 * tuple-of-RDNs shape, and comparison after RFC 5280 §7.1 normalization.
 * @module
 */
import { type Bytes, toHex } from "../_bytes.ts";
import { decodeString, type DerNode, isStringTag, readOid, seq, set } from "../codec/der.ts";
import { CertificateDecodeError } from "./errors.ts";

/** One attribute of a relative distinguished name. */
export interface NameAttribute {
  /** Attribute type OID, dotted. */
  readonly oid: string;
  /** The value as text (strings decoded as OpenSSL's `ASN1_STRING_to_UTF8`; others `#hex`). */
  readonly value: string;
  /** Universal tag of the value (`12` UTF8String, `19` PrintableString, …). */
  readonly tag: number;
}

// OpenSSL's short name (one-line text) and long name (Python's getpeercert keys).
const ATTRS: Record<string, [short: string, long: string]> = {
  "2.5.4.3": ["CN", "commonName"],
  "2.5.4.4": ["SN", "surname"],
  "2.5.4.5": ["serialNumber", "serialNumber"],
  "2.5.4.6": ["C", "countryName"],
  "2.5.4.7": ["L", "localityName"],
  "2.5.4.8": ["ST", "stateOrProvinceName"],
  "2.5.4.9": ["street", "streetAddress"],
  "2.5.4.10": ["O", "organizationName"],
  "2.5.4.11": ["OU", "organizationalUnitName"],
  "2.5.4.12": ["title", "title"],
  "2.5.4.13": ["description", "description"],
  "2.5.4.15": ["businessCategory", "businessCategory"],
  "2.5.4.16": ["postalAddress", "postalAddress"],
  "2.5.4.17": ["postalCode", "postalCode"],
  "2.5.4.18": ["postOfficeBox", "postOfficeBox"],
  "2.5.4.20": ["telephoneNumber", "telephoneNumber"],
  "2.5.4.41": ["name", "name"],
  "2.5.4.42": ["GN", "givenName"],
  "2.5.4.43": ["initials", "initials"],
  "2.5.4.44": ["generationQualifier", "generationQualifier"],
  "2.5.4.45": ["x500UniqueIdentifier", "x500UniqueIdentifier"],
  "2.5.4.46": ["dnQualifier", "dnQualifier"],
  "2.5.4.65": ["pseudonym", "pseudonym"],
  "2.5.4.72": ["role", "role"],
  "2.5.4.97": ["organizationIdentifier", "organizationIdentifier"],
  "0.9.2342.19200300.100.1.1": ["UID", "userId"],
  "0.9.2342.19200300.100.1.3": ["mail", "rfc822Mailbox"],
  "0.9.2342.19200300.100.1.25": ["DC", "domainComponent"],
  "1.2.840.113549.1.9.1": ["emailAddress", "emailAddress"],
  "1.2.840.113549.1.9.2": ["unstructuredName", "unstructuredName"],
  "1.3.6.1.4.1.311.60.2.1.1": ["jurisdictionL", "jurisdictionLocalityName"],
  "1.3.6.1.4.1.311.60.2.1.2": ["jurisdictionST", "jurisdictionStateOrProvinceName"],
  "1.3.6.1.4.1.311.60.2.1.3": ["jurisdictionC", "jurisdictionCountryName"],
};

/** OID of commonName. */
export const OID_COMMON_NAME = "2.5.4.3";
/** OID of the PKCS#9 emailAddress attribute. */
export const OID_EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

/** OpenSSL's long name for an attribute type (Python's `getpeercert()` key), else the OID. */
export function attributeLongName(oid: string): string {
  return ATTRS[oid]?.[1] ?? oid;
}

/** OpenSSL's short name for an attribute type (`CN`, `O`, …), else the OID. */
export function attributeShortName(oid: string): string {
  return ATTRS[oid]?.[0] ?? oid;
}

// RFC 4514 §2.4 escaping for the one-line form.
function escapeValue(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (s.startsWith("#") || s.startsWith(" ")) s = `\\${s}`;
  if (s.endsWith(" ") && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

// RFC 5280 §7.1 (via RFC 4518): compare strings after case folding and whitespace folding.
// Like OpenSSL's canonical encoding, only ASCII letters are folded. Values that are not strings
// are `#` and lower-case hex, which this leaves as they are.
function normalizeValue(a: NameAttribute): string {
  return a.value.trim().replace(/\s+/g, " ").replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * A distinguished name (RFC 5280 §4.1.2.4): an ordered list of RDNs, each a set of attributes.
 *
 * @example
 * ```ts
 * import { Certificate } from "./certificate.ts";
 * declare const cert: Certificate;
 * console.log(cert.subject.toString()); // CN=localhost, O=Example
 * ```
 */
export class Name {
  /** The Name's DER encoding. */
  readonly der: Bytes;
  /** The RDNs in encoded order, each with its attributes. */
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** Comparison key: equal keys mean the names match under RFC 5280 §7.1. */
  readonly key: string;

  /**
   * @param der the Name's encoding
   * @param rdns its parsed RDNs
   */
  constructor(der: Bytes, rdns: readonly (readonly NameAttribute[])[]) {
    this.der = der;
    this.rdns = rdns;
    this.key = JSON.stringify(rdns.map(rdnKey));
  }

  /** True for the empty SEQUENCE. */
  get isEmpty(): boolean {
    return this.rdns.length === 0;
  }

  /** Values of every attribute of type `oid`, in order. */
  values(oid: string): string[] {
    const out: string[] = [];
    for (const rdn of this.rdns) for (const a of rdn) if (a.oid === oid) out.push(a.value);
    return out;
  }

  /** The commonName values, in order. */
  get commonNames(): string[] {
    return this.values(OID_COMMON_NAME);
  }

  /** True when both names match after RFC 5280 §7.1 normalization. */
  equals(other: Name): boolean {
    return this.key === other.key;
  }

  /**
   * True when `base`'s RDNs are a prefix of this name's (RFC 5280 §4.2.1.10 directoryName
   * subtrees).
   */
  isWithin(base: Name): boolean {
    if (base.rdns.length > this.rdns.length) return false;
    for (let i = 0; i < base.rdns.length; i++) {
      if (rdnKey(base.rdns[i]) !== rdnKey(this.rdns[i])) return false;
    }
    return true;
  }

  /** Python's shape: `[[["commonName", "localhost"]], [["organizationName", "Example"]]]`. */
  toPython(): [string, string][][] {
    return this.rdns.map((rdn) => rdn.map((a) => [attributeLongName(a.oid), a.value]));
  }

  /** One line in encoded order, OpenSSL short names: `CN=localhost, O=Example`. */
  toString(): string {
    return this.rdns.map((rdn) =>
      rdn.map((a) => `${attributeShortName(a.oid)}=${escapeValue(a.value)}`).join(" + ")
    ).join(", ");
  }
}

function rdnKey(rdn: readonly NameAttribute[]): string {
  return JSON.stringify(rdn.map((a) => `${a.oid}=${normalizeValue(a)}`).sort());
}

/** Parses a Name (RFC 5280 §4.1.2.4): SEQUENCE OF SET OF AttributeTypeAndValue. */
export function parseName(node: DerNode | undefined, what: string): Name {
  const rdns: NameAttribute[][] = [];
  for (const rdnNode of seq(node, what)) {
    const atvs = set(rdnNode, what);
    if (atvs.length === 0) throw new CertificateDecodeError(`${what}: empty RDN`);
    const rdn: NameAttribute[] = [];
    for (const atv of atvs) {
      const [type, value, extra] = seq(atv, what);
      if (!value || extra) throw new CertificateDecodeError(`${what}: malformed attribute`);
      const oid = readOid(type, what);
      let text: string | undefined;
      if (isStringTag(value)) {
        text = decodeString(value);
        if (text === undefined) throw new CertificateDecodeError(`${what}: invalid string`);
      } else {
        text = `#${toHex(value.raw)}`;
      }
      rdn.push({ oid, value: text, tag: value.tag });
    }
    rdns.push(rdn);
  }
  return new Name((node as DerNode).raw, rdns);
}
