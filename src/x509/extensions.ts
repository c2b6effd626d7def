/**
 * Certificate extensions (RFC 5280 §4.2): the parsed forms of the ones a verifier acts on, and
 * the GeneralName CHOICE they share. Parsers throw `DecodeError` or `CertificateDecodeError`;
 * the certificate records the failure so that verification reports "invalid or inconsistent
 * certificate extension" while the rest of the certificate stays readable.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import {
  BOOLEAN,
  contextTag,
  type DerNode,
  hasTag,
  ia5,
  isContext,
  parseDer,
  readBitString,
  readBoolean,
  readOctetString,
  readOid,
  readUint,
  seq,
} from "../codec/der.ts";
import { CertificateDecodeError } from "./errors.ts";
import { type Name, parseName } from "./name.ts";

/** Extension OIDs. */
export const EXT = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  issuerAltName: "2.5.29.18",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  crlDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  policyMappings: "2.5.29.33",
  authorityKeyIdentifier: "2.5.29.35",
  policyConstraints: "2.5.29.36",
  extKeyUsage: "2.5.29.37",
  freshestCRL: "2.5.29.46",
  inhibitAnyPolicy: "2.5.29.54",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
} as const;

/** Extended key usage OIDs (RFC 5280 §4.2.1.12). */
export const EKU = {
  any: "2.5.29.37.0",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

/** Key usage bits (RFC 5280 §4.2.1.3), as masks: bit n of the BIT STRING is `1 << n`. */
export const KU = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** One GeneralName (RFC 5280 §4.2.1.6). */
export type GeneralName =
  | { type: "DNS"; value: string }
  | { type: "IP"; bytes: Bytes }
  | { type: "email"; value: string }
  | { type: "URI"; value: string }
  | { type: "dirName"; name: Name }
  | { type: "otherName"; oid: string; der: Bytes }
  | { type: "registeredID"; oid: string }
  | { type: "x400Address"; der: Bytes }
  | { type: "ediPartyName"; der: Bytes };

/** An extension as encoded. */
export interface Extension {
  /** extnID, dotted. */
  readonly oid: string;
  /** The critical flag. */
  readonly critical: boolean;
  /** extnValue's contents (the DER of the extension's own structure). */
  readonly value: Bytes;
}

/** basicConstraints (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  /** cA. */
  ca: boolean;
  /** pathLenConstraint, when present. */
  pathLen?: number;
}

/** nameConstraints (RFC 5280 §4.2.1.10); each subtree keeps only its base name. */
export interface NameConstraints {
  /** permittedSubtrees bases. */
  permitted: GeneralName[];
  /** excludedSubtrees bases. */
  excluded: GeneralName[];
}

/** authorityKeyIdentifier (RFC 5280 §4.2.1.1). */
export interface AuthorityKeyIdentifier {
  /** keyIdentifier. */
  keyId?: Bytes;
  /** authorityCertIssuer. */
  issuer?: GeneralName[];
  /** authorityCertSerialNumber contents. */
  serial?: Bytes;
}

/** One PolicyInformation (RFC 5280 §4.2.1.4). */
export interface PolicyInformation {
  /** policyIdentifier. */
  oid: string;
  /** DER of policyQualifiers, when present. */
  qualifiers?: Bytes;
}

/** policyConstraints (RFC 5280 §4.2.1.11). */
export interface PolicyConstraints {
  /** requireExplicitPolicy. */
  requireExplicitPolicy?: number;
  /** inhibitPolicyMapping. */
  inhibitPolicyMapping?: number;
}

/** One DistributionPoint (RFC 5280 §4.2.1.13). */
export interface DistributionPoint {
  /** distributionPoint fullName. */
  fullName?: GeneralName[];
  /** distributionPoint nameRelativeToCRLIssuer, as DER. */
  relativeName?: Bytes;
  /** reasons, when present, as a mask (bit n = `1 << n`). */
  reasons?: number;
  /** cRLIssuer. */
  crlIssuer?: GeneralName[];
}

/** One AccessDescription (RFC 5280 §4.2.2.1). */
export interface AccessDescription {
  /** accessMethod: `1.3.6.1.5.5.7.48.1` OCSP, `1.3.6.1.5.5.7.48.2` caIssuers. */
  method: string;
  /** accessLocation. */
  location: GeneralName;
}

/** OID of the OCSP access method. */
export const AD_OCSP = "1.3.6.1.5.5.7.48.1";
/** OID of the caIssuers access method. */
export const AD_CA_ISSUERS = "1.3.6.1.5.5.7.48.2";

// Counts (pathLenConstraint, SkipCerts) past what an OpenSSL `int` holds are malformed.
const INT_MAX = 0x7fffffff;

function bad(what: string): never {
  throw new CertificateDecodeError(what);
}

/** Parses one GeneralName element. */
export function parseGeneralName(n: DerNode): GeneralName {
  if (n.cls !== 2) bad("GeneralName: not context-tagged");
  const text = (what: string) => {
    if (n.constructed) bad(`${what}: constructed`);
    return ia5(n.content) ?? bad(`${what}: not IA5`);
  };
  switch (n.tag) {
    case 0: {
      const [type, value, extra] = n.children;
      if (!n.constructed || !isContext(value, 0) || extra) bad("otherName: malformed");
      return { type: "otherName", oid: readOid(type, "otherName"), der: n.raw };
    }
    case 1:
      return { type: "email", value: text("rfc822Name") };
    case 2:
      return { type: "DNS", value: text("dNSName") };
    case 3:
      return { type: "x400Address", der: n.raw };
    case 4: {
      if (!n.constructed || n.children.length !== 1) bad("directoryName: malformed");
      return { type: "dirName", name: parseName(n.children[0], "directoryName") };
    }
    case 5:
      return { type: "ediPartyName", der: n.raw };
    case 6:
      return { type: "URI", value: text("uniformResourceIdentifier") };
    case 7:
      if (n.constructed) bad("iPAddress: constructed");
      return { type: "IP", bytes: n.content };
    case 8:
      return { type: "registeredID", oid: readOid(n, "registeredID", contextTag(8, false)) };
    default:
      bad("GeneralName: unknown choice");
  }
}

/** GeneralNames: SEQUENCE SIZE (1..MAX) OF GeneralName, from an element's children. */
function generalNames(items: readonly DerNode[], what: string, allowEmpty = false): GeneralName[] {
  if (items.length === 0 && !allowEmpty) bad(`${what}: empty`);
  return items.map(parseGeneralName);
}

/** Parses one Extension element (RFC 5280 §4.1). */
export function parseExtension(n: DerNode): Extension {
  const parts = seq(n, "Extension");
  const oid = readOid(parts[0], "extnID");
  let i = 1;
  let critical = false;
  if (hasTag(parts[i], BOOLEAN)) critical = readBoolean(parts[i++], "critical");
  const value = readOctetString(parts[i++], "extnValue");
  if (parts.length !== i) bad("Extension: trailing elements");
  return { oid, critical, value };
}

/** basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
export function parseBasicConstraints(v: Bytes): BasicConstraints {
  const parts = seq(parseDer(v, "basicConstraints"), "basicConstraints");
  let i = 0;
  let ca = false;
  if (hasTag(parts[i], BOOLEAN)) ca = readBoolean(parts[i++], "cA");
  const out: BasicConstraints = { ca };
  if (parts[i]) out.pathLen = readUint(parts[i++], "pathLenConstraint", INT_MAX);
  if (parts.length !== i) bad("basicConstraints: trailing elements");
  return out;
}

/** keyUsage ::= BIT STRING; returns the mask. At least one bit MUST be set (§4.2.1.3). */
export function parseKeyUsage(v: Bytes): number {
  const { unused, data } = readBitString(parseDer(v, "keyUsage"), "keyUsage");
  let mask = 0;
  for (let bit = 0; bit < data.byteLength * 8 - unused; bit++) {
    if (data[bit >> 3] & (0x80 >> (bit & 7))) mask |= 1 << bit;
  }
  if (mask === 0) bad("keyUsage: no bit set");
  return mask;
}

/** extKeyUsage ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
export function parseExtKeyUsage(v: Bytes): string[] {
  const items = seq(parseDer(v, "extKeyUsage"), "extKeyUsage");
  if (items.length === 0) bad("extKeyUsage: empty");
  return items.map((o) => readOid(o, "KeyPurposeId"));
}

/** subjectAltName ::= GeneralNames (an empty list is kept so strict mode can name it). */
export function parseSubjectAltName(v: Bytes): GeneralName[] {
  return generalNames(seq(parseDer(v, "subjectAltName"), "subjectAltName"), "SAN", true);
}

function subtrees(n: DerNode, what: string): GeneralName[] {
  if (!n.constructed || n.children.length === 0) bad(`${what}: empty or malformed`);
  return n.children.map((st) => {
    const [base, ...rest] = seq(st, "GeneralSubtree");
    if (!base) bad("GeneralSubtree: no base");
    for (const r of rest) {
      // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
      if (isContext(r, 0) && r.content.byteLength === 1 && r.content[0] === 0) continue;
      bad("GeneralSubtree: minimum/maximum not supported");
    }
    return parseGeneralName(base);
  });
}

/** nameConstraints; at least one of the two subtree lists MUST be present (§4.2.1.10). */
export function parseNameConstraints(v: Bytes): NameConstraints {
  const parts = seq(parseDer(v, "nameConstraints"), "nameConstraints");
  const out: NameConstraints = { permitted: [], excluded: [] };
  let i = 0;
  if (isContext(parts[i], 0)) out.permitted = subtrees(parts[i++], "permittedSubtrees");
  if (isContext(parts[i], 1)) out.excluded = subtrees(parts[i++], "excludedSubtrees");
  if (parts.length !== i || i === 0) bad("nameConstraints: malformed or empty");
  return out;
}

/** authorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier, [1] issuer, [2] serial } */
export function parseAuthorityKeyIdentifier(v: Bytes): AuthorityKeyIdentifier {
  const parts = seq(parseDer(v, "authorityKeyIdentifier"), "authorityKeyIdentifier");
  const out: AuthorityKeyIdentifier = {};
  let i = 0;
  if (isContext(parts[i], 0) && !parts[i].constructed) out.keyId = parts[i++].content;
  if (isContext(parts[i], 1)) out.issuer = generalNames(parts[i++].children, "authorityCertIssuer");
  if (isContext(parts[i], 2) && !parts[i].constructed) out.serial = parts[i++].content;
  if (parts.length !== i) bad("authorityKeyIdentifier: malformed");
  return out;
}

/** subjectKeyIdentifier ::= OCTET STRING */
export function parseSubjectKeyIdentifier(v: Bytes): Bytes {
  return readOctetString(parseDer(v, "subjectKeyIdentifier"), "subjectKeyIdentifier");
}

/** certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation; no OID twice. */
export function parseCertificatePolicies(v: Bytes): PolicyInformation[] {
  const items = seq(parseDer(v, "certificatePolicies"), "certificatePolicies");
  if (items.length === 0) bad("certificatePolicies: empty");
  const seen = new Set<string>();
  return items.map((p) => {
    const [id, quals, extra] = seq(p, "PolicyInformation");
    const oid = readOid(id, "policyIdentifier");
    if (seen.has(oid) || extra) bad("certificatePolicies: duplicate policy or trailing data");
    seen.add(oid);
    if (quals) seq(quals, "policyQualifiers");
    return quals ? { oid, qualifiers: quals.raw } : { oid };
  });
}

/** policyConstraints; MUST NOT be an empty sequence (§4.2.1.11). */
export function parsePolicyConstraints(v: Bytes): PolicyConstraints {
  const parts = seq(parseDer(v, "policyConstraints"), "policyConstraints");
  const out: PolicyConstraints = {};
  const num = (n: DerNode, what: string) => {
    if (n.constructed || n.content.byteLength === 0 || n.content.byteLength > 4) bad(what);
    if (n.content[0] & 0x80) bad(what);
    let x = 0;
    for (const b of n.content) x = x * 256 + b;
    return x;
  };
  let i = 0;
  if (isContext(parts[i], 0)) out.requireExplicitPolicy = num(parts[i++], "requireExplicitPolicy");
  if (isContext(parts[i], 1)) out.inhibitPolicyMapping = num(parts[i++], "inhibitPolicyMapping");
  if (parts.length !== i || i === 0) bad("policyConstraints: malformed or empty");
  return out;
}

/** policyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { issuer OID, subject OID } */
export function parsePolicyMappings(v: Bytes): [string, string][] {
  const items = seq(parseDer(v, "policyMappings"), "policyMappings");
  if (items.length === 0) bad("policyMappings: empty");
  return items.map((m) => {
    const [a, b, extra] = seq(m, "PolicyMapping");
    if (extra) bad("PolicyMapping: trailing data");
    return [readOid(a, "issuerDomainPolicy"), readOid(b, "subjectDomainPolicy")];
  });
}

/** inhibitAnyPolicy ::= SkipCerts (INTEGER 0..MAX) */
export function parseInhibitAnyPolicy(v: Bytes): number {
  return readUint(parseDer(v, "inhibitAnyPolicy"), "inhibitAnyPolicy", INT_MAX);
}

/** cRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint */
export function parseCrlDistributionPoints(v: Bytes): DistributionPoint[] {
  const items = seq(parseDer(v, "cRLDistributionPoints"), "cRLDistributionPoints");
  if (items.length === 0) bad("cRLDistributionPoints: empty");
  return items.map((dp) => {
    const out: DistributionPoint = {};
    const parts = seq(dp, "DistributionPoint");
    let i = 0;
    if (isContext(parts[i], 0)) {
      const name = parts[i++].children[0];
      if (isContext(name, 0)) out.fullName = generalNames(name.children, "fullName");
      else if (isContext(name, 1)) out.relativeName = name.raw;
      else bad("DistributionPointName: malformed");
    }
    if (isContext(parts[i], 1)) {
      const bits = parts[i++].content;
      let mask = 0;
      for (let bit = 0; bit < (bits.byteLength - 1) * 8; bit++) {
        if (bits[1 + (bit >> 3)] & (0x80 >> (bit & 7))) mask |= 1 << bit;
      }
      out.reasons = mask;
    }
    if (isContext(parts[i], 2)) out.crlIssuer = generalNames(parts[i++].children, "cRLIssuer");
    if (parts.length !== i || i === 0) bad("DistributionPoint: malformed");
    return out;
  });
}

/** authorityInfoAccess ::= SEQUENCE SIZE (1..MAX) OF AccessDescription */
export function parseAuthorityInfoAccess(v: Bytes): AccessDescription[] {
  const items = seq(parseDer(v, "authorityInfoAccess"), "authorityInfoAccess");
  if (items.length === 0) bad("authorityInfoAccess: empty");
  return items.map((ad) => {
    const [m, loc, extra] = seq(ad, "AccessDescription");
    if (!loc || extra) bad("AccessDescription: malformed");
    return { method: readOid(m, "accessMethod"), location: parseGeneralName(loc) };
  });
}
