/**
 * A parsed X.509 certificate (RFC 5280 §4.1): the fields and extensions a verifier and
 * Python's `getpeercert()` need, read once from DER.
 * @module
 */
import { asBytes, type Bytes, toHex } from "../_bytes.ts";
import {
  type DerNode,
  expect,
  explicit,
  hasTag,
  isContext,
  OID,
  parseDer,
  readBitString,
  readBitStringBytes,
  readInteger,
  readOid,
  readTime,
  readUint,
  seq,
  SEQUENCE,
} from "../codec/der.ts";
import { CertificateDecodeError, isDecodeError, toCertificateDecodeError } from "./errors.ts";
import {
  type AccessDescription,
  AD_CA_ISSUERS,
  AD_OCSP,
  type AuthorityKeyIdentifier,
  type BasicConstraints,
  type DistributionPoint,
  EXT,
  type Extension,
  type GeneralName,
  KU,
  type NameConstraints,
  parseAuthorityInfoAccess,
  parseAuthorityKeyIdentifier,
  parseBasicConstraints,
  parseCertificatePolicies,
  parseCrlDistributionPoints,
  parseExtension,
  parseExtKeyUsage,
  parseInhibitAnyPolicy,
  parseKeyUsage,
  parseNameConstraints,
  parsePolicyConstraints,
  parsePolicyMappings,
  parseSubjectAltName,
  parseSubjectKeyIdentifier,
  type PolicyConstraints,
  type PolicyInformation,
} from "./extensions.ts";
import { type Name, parseName } from "./name.ts";

/** An AlgorithmIdentifier (RFC 5280 §4.1.1.2). */
export interface AlgorithmIdentifier {
  /** The algorithm OID, dotted. */
  readonly oid: string;
  /** The parameters element, when present. */
  readonly params: DerNode | undefined;
  /** The whole AlgorithmIdentifier encoding (compared for §4.1.1.2 consistency). */
  readonly der: Bytes;
}

/** Public key families; anything else is `unsupported`. */
/** Field sizes of the named curves, as OpenSSL reports key sizes. */
const CURVE_BITS: Record<string, number> = { "P-256": 256, "P-384": 384, "P-521": 521 };

export type KeyType = "rsa" | "rsa-pss" | "ecdsa" | "ed25519" | "ed448" | "dsa" | "unsupported";

/** What the SubjectPublicKeyInfo holds. */
export interface PublicKeyInfo {
  /** The key family. */
  readonly type: KeyType;
  /** Key size in bits: RSA modulus, DSA prime, or the curve's field size (EC, Ed25519). */
  readonly bits?: number;
  /** EC curve: `P-256`, `P-384`, `P-521`, `P-192`, or the curve OID for others. */
  readonly curve?: string;
  /** EC key given with explicit curve parameters (forbidden: RFC 5480 §2.1.1, CABF). */
  readonly explicitCurve?: boolean;
  /** The SPKI algorithm OID. */
  readonly algorithmOid: string;
  /** For RSA: the RSAPublicKey encoding (the BIT STRING contents). */
  readonly rsaPublicKey?: Bytes;
  /** WebCrypto can verify with it: RSA, RSA-PSS, ECDSA P-256/384/521 or Ed25519. */
  readonly supported: boolean;
}

const CURVES: Record<string, string> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
  "1.2.840.10045.3.1.1": "P-192",
  "1.3.132.0.33": "P-224",
  "1.3.132.0.10": "secp256k1",
};

const SIGNATURE_NAMES: Record<string, string> = {
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.10": "rsassaPss",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.3.101.112": "ED25519",
  "1.3.101.113": "ED448",
  "1.2.840.10040.4.3": "dsa_with_SHA1",
  "2.16.840.1.101.3.4.3.2": "dsa_with_SHA256",
};

// Extensions whose critical flag this verifier honours, as OpenSSL's
// X509_supported_extension(): any other critical extension fails path validation (§4.2).
const HANDLED_CRITICAL = new Set<string>([
  EXT.basicConstraints,
  EXT.keyUsage,
  EXT.extKeyUsage,
  EXT.subjectAltName,
  EXT.nameConstraints,
  EXT.certificatePolicies,
  EXT.policyConstraints,
  EXT.policyMappings,
  EXT.inhibitAnyPolicy,
]);

/** Parses an AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }. */
export function parseAlgorithmIdentifier(
  n: DerNode | undefined,
  what: string,
): AlgorithmIdentifier {
  const node = expect(n, SEQUENCE, what);
  const [id, params, extra] = node.children;
  if (extra) throw new CertificateDecodeError(`${what}: trailing elements`);
  return { oid: readOid(id, what), params, der: node.raw };
}

/** The SIGNED envelope of a certificate or CRL (RFC 5280 §4.1.1, §5.1.1). */
export interface Signed {
  /** The to-be-signed element (TBSCertificate or TBSCertList). */
  readonly tbs: DerNode;
  /** signatureAlgorithm. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** signatureValue's bits, whole octets. */
  readonly signature: Bytes;
}

/**
 * Parses `der` as SEQUENCE { tbs SEQUENCE, signatureAlgorithm, signatureValue BIT STRING };
 * `what` names the structure and `tbsWhat` its to-be-signed part in error messages.
 */
export function parseSigned(der: Bytes, what: string, tbsWhat: string): Signed {
  const [tbs, algorithm, signature, extra] = seq(parseDer(der, what), what);
  if (extra) throw new CertificateDecodeError(`${what}: trailing elements`);
  return {
    tbs: expect(tbs, SEQUENCE, tbsWhat),
    signatureAlgorithm: parseAlgorithmIdentifier(algorithm, `${what} signatureAlgorithm`),
    signature: readBitStringBytes(signature, `${what} signatureValue`),
  };
}

function bitLength(magnitude: Bytes): number {
  let i = 0;
  while (i < magnitude.byteLength && magnitude[i] === 0) i++;
  if (i === magnitude.byteLength) return 0;
  return (magnitude.byteLength - i - 1) * 8 + (32 - Math.clz32(magnitude[i]));
}

function publicKeyInfo(spki: DerNode): PublicKeyInfo {
  const [algNode, keyNode, extra] = seq(spki, "SubjectPublicKeyInfo");
  if (extra) throw new CertificateDecodeError("SubjectPublicKeyInfo: trailing elements");
  const alg = parseAlgorithmIdentifier(algNode, "SubjectPublicKeyInfo algorithm");
  const { unused, data } = readBitString(keyNode, "subjectPublicKey");
  const algorithmOid = alg.oid;
  try {
    switch (alg.oid) {
      case "1.2.840.113549.1.1.1": // rsaEncryption, RFC 8017 §A.1.1
      case "1.2.840.113549.1.1.10": { // id-RSASSA-PSS, RFC 4055 §1.2
        if (unused !== 0) break;
        const [n, e, more] = seq(parseDer(data, "RSAPublicKey"), "RSAPublicKey");
        const mod = readInteger(n, "modulus");
        readInteger(e, "publicExponent");
        if (more || mod[0] & 0x80) break;
        const type = alg.oid.endsWith(".10") ? "rsa-pss" : "rsa";
        return { type, bits: bitLength(mod), algorithmOid, rsaPublicKey: data, supported: true };
      }
      case "1.2.840.10045.2.1": { // id-ecPublicKey, RFC 5480 §2.1.1
        if (hasTag(alg.params, OID)) {
          const oid = readOid(alg.params, "namedCurve");
          const curve = CURVES[oid] ?? oid;
          const supported = curve === "P-256" || curve === "P-384" || curve === "P-521";
          const bits = CURVE_BITS[curve];
          return { type: "ecdsa", curve, ...(bits ? { bits } : {}), algorithmOid, supported };
        }
        return { type: "ecdsa", explicitCurve: true, algorithmOid, supported: false };
      }
      case "1.3.101.112":
        return { type: "ed25519", bits: 253, algorithmOid, supported: true };
      case "1.3.101.113":
        return { type: "ed448", algorithmOid, supported: false };
      case "1.2.840.10040.4.1": { // id-dsa, RFC 3279 §2.3.2
        const [p] = seq(alg.params, "Dss-Parms");
        const bits = bitLength(readInteger(p, "p"));
        return { type: "dsa", bits, algorithmOid, supported: false };
      }
    }
  } catch (e) {
    if (!isDecodeError(e)) throw e;
  }
  return { type: "unsupported", algorithmOid, supported: false };
}

/** Subject alternative names, with the extension's critical flag. */
export interface SubjectAltName {
  /** The names, in order (may be empty: strict mode rejects that). */
  readonly names: readonly GeneralName[];
  /** Critical flag. */
  readonly critical: boolean;
}

/**
 * A parsed certificate. Construction parses the TBSCertificate fully and throws
 * {@link CertificateDecodeError} on malformed structure; a malformed *extension* value is
 * recorded in {@link Certificate.extensionErrors} instead, so the certificate can still be
 * shown, while path validation rejects it.
 *
 * @example
 * ```ts
 * import { Certificate } from "./certificate.ts";
 * import { pemDecode } from "./pem.ts";
 * declare const pemText: string;
 * const cert = Certificate.fromDer(pemDecode(pemText, "CERTIFICATE")[0]);
 * console.log(cert.subject.toString(), cert.notAfter.toISOString());
 * ```
 */
export class Certificate {
  /** The whole certificate encoding. */
  readonly der: Bytes;
  /** The TBSCertificate encoding (what the signature covers). */
  readonly tbs: Bytes;
  /** X.509 version: 1, 2 or 3. */
  readonly version: 1 | 2 | 3;
  /** serialNumber contents (two's complement, as encoded). */
  readonly serialBytes: Bytes;
  /** serialNumber as Python prints it: upper-case hex of the magnitude, `-` when negative. */
  readonly serial: string;
  /** The issuer Name. */
  readonly issuer: Name;
  /** The subject Name. */
  readonly subject: Name;
  /** Start of the validity period. */
  readonly notBefore: Date;
  /** End of the validity period (inclusive, RFC 5280 §4.1.2.5). */
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo encoding. */
  readonly spki: Bytes;
  /** What the public key is. */
  readonly publicKey: PublicKeyInfo;
  /** The outer signatureAlgorithm. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** TBSCertificate's signature field (RFC 5280 §4.1.2.3: must equal the outer one). */
  readonly tbsSignatureAlgorithm: AlgorithmIdentifier;
  /** signatureValue bits. */
  readonly signature: Bytes;
  /** issuerUniqueID or subjectUniqueID present (v2/v3 only). */
  readonly hasUniqueIds: boolean;
  /** Every extension, in order. */
  readonly extensions: readonly Extension[];
  /** OIDs of critical extensions this verifier does not process (RFC 5280 §4.2). */
  readonly unhandledCritical: readonly string[];
  /** Malformed or repeated extensions (RFC 5280 §4.2: at most one instance of each). */
  readonly extensionErrors: readonly string[];
  /** basicConstraints, when present. */
  readonly basicConstraints?: BasicConstraints & { critical: boolean };
  /** keyUsage mask (see `KU`), when present. */
  readonly keyUsage?: number;
  /** extKeyUsage OIDs, when present. */
  readonly extKeyUsage?: readonly string[];
  /** subjectAltName, when present. */
  readonly subjectAltName?: SubjectAltName;
  /** nameConstraints, when present. */
  readonly nameConstraints?: NameConstraints;
  /** authorityKeyIdentifier, when present. */
  readonly authorityKeyIdentifier?: AuthorityKeyIdentifier;
  /** subjectKeyIdentifier, when present. */
  readonly subjectKeyIdentifier?: Bytes;
  /** certificatePolicies, when present. */
  readonly certificatePolicies?: readonly PolicyInformation[];
  /** policyConstraints, when present. */
  readonly policyConstraints?: PolicyConstraints;
  /** policyMappings (issuerDomainPolicy, subjectDomainPolicy), when present. */
  readonly policyMappings?: readonly [string, string][];
  /** inhibitAnyPolicy skipCerts, when present. */
  readonly inhibitAnyPolicy?: number;
  /** cRLDistributionPoints, when present. */
  readonly crlDistributionPoints?: readonly DistributionPoint[];
  /** authorityInfoAccess, when present. */
  readonly authorityInfoAccess?: readonly AccessDescription[];

  private constructor(der: Bytes) {
    this.der = der;
    const { tbs, signatureAlgorithm, signature } = parseSigned(
      der,
      "Certificate",
      "TBSCertificate",
    );
    this.tbs = tbs.raw;
    this.signatureAlgorithm = signatureAlgorithm;
    this.signature = signature;

    const f = tbs.children;
    let i = 0;
    let version = 1;
    if (isContext(f[i], 0)) {
      version = readUint(explicit(f[i++], "version"), "version") + 1;
      if (version > 3) throw new CertificateDecodeError("version: unknown");
    }
    this.version = version as 1 | 2 | 3;
    this.serialBytes = readInteger(f[i++], "serialNumber");
    this.serial = serialText(this.serialBytes);
    this.tbsSignatureAlgorithm = parseAlgorithmIdentifier(f[i++], "signature");
    this.issuer = parseName(f[i++], "issuer");
    const [nb, na, vx] = seq(f[i++], "validity");
    if (vx) throw new CertificateDecodeError("validity: trailing elements");
    this.notBefore = readTime(nb, "notBefore");
    this.notAfter = readTime(na, "notAfter");
    this.subject = parseName(f[i++], "subject");
    const spkiNode = expect(f[i++], SEQUENCE, "SubjectPublicKeyInfo");
    this.spki = spkiNode.raw;
    this.publicKey = publicKeyInfo(spkiNode);
    let uniqueIds = false;
    if (isContext(f[i], 1)) (i++, uniqueIds = true);
    if (isContext(f[i], 2)) (i++, uniqueIds = true);
    if (uniqueIds && this.version === 1) {
      throw new CertificateDecodeError("unique identifiers need version 2 or 3");
    }
    this.hasUniqueIds = uniqueIds;

    const extensions: Extension[] = [];
    if (isContext(f[i], 3)) {
      const list = seq(explicit(f[i++], "extensions"), "Extensions");
      // RFC 5280 §4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
      if (list.length === 0) throw new CertificateDecodeError("Extensions: empty");
      for (const e of list) extensions.push(parseExtension(e));
    }
    if (i !== f.length) throw new CertificateDecodeError("TBSCertificate: trailing elements");
    this.extensions = extensions;

    const errors: string[] = [];
    const unhandled: string[] = [];
    const seen = new Set<string>();
    for (const ext of extensions) {
      if (seen.has(ext.oid)) errors.push(`duplicate extension ${ext.oid}`);
      seen.add(ext.oid);
      if (ext.critical && !HANDLED_CRITICAL.has(ext.oid)) unhandled.push(ext.oid);
      try {
        this.#parseExtension(ext);
      } catch (e) {
        if (!isDecodeError(e)) throw e;
        errors.push(`${ext.oid}: ${e.message}`);
      }
    }
    this.unhandledCritical = unhandled;
    this.extensionErrors = errors;
  }

  #parseExtension(ext: Extension): void {
    // Assigning readonly fields once, during construction.
    const self = this as { -readonly [K in keyof Certificate]: Certificate[K] };
    const v = ext.value;
    switch (ext.oid) {
      case EXT.basicConstraints:
        self.basicConstraints = { ...parseBasicConstraints(v), critical: ext.critical };
        break;
      case EXT.keyUsage:
        self.keyUsage = parseKeyUsage(v);
        break;
      case EXT.extKeyUsage:
        self.extKeyUsage = parseExtKeyUsage(v);
        break;
      case EXT.subjectAltName:
        self.subjectAltName = { names: parseSubjectAltName(v), critical: ext.critical };
        break;
      case EXT.nameConstraints:
        self.nameConstraints = parseNameConstraints(v);
        break;
      case EXT.authorityKeyIdentifier:
        self.authorityKeyIdentifier = parseAuthorityKeyIdentifier(v);
        break;
      case EXT.subjectKeyIdentifier:
        self.subjectKeyIdentifier = parseSubjectKeyIdentifier(v);
        break;
      case EXT.certificatePolicies:
        self.certificatePolicies = parseCertificatePolicies(v);
        break;
      case EXT.policyConstraints:
        self.policyConstraints = parsePolicyConstraints(v);
        break;
      case EXT.policyMappings:
        self.policyMappings = parsePolicyMappings(v);
        break;
      case EXT.inhibitAnyPolicy:
        self.inhibitAnyPolicy = parseInhibitAnyPolicy(v);
        break;
      case EXT.crlDistributionPoints:
        self.crlDistributionPoints = parseCrlDistributionPoints(v);
        break;
      case EXT.authorityInfoAccess:
        self.authorityInfoAccess = parseAuthorityInfoAccess(v);
        break;
    }
  }

  /**
   * Parses a DER certificate; throws {@link CertificateDecodeError} when it is malformed.
   *
   * @example
   * ```ts
   * import { Certificate } from "./certificate.ts";
   * declare const der: Uint8Array;
   * console.log(Certificate.fromDer(der).serial);
   * ```
   */
  static fromDer(der: Uint8Array): Certificate {
    try {
      return new Certificate(asBytes(der));
    } catch (e) {
      throw toCertificateDecodeError(e, "Certificate");
    }
  }

  /** The extension with `oid`, if present. */
  extension(oid: string): Extension | undefined {
    return this.extensions.find((e) => e.oid === oid);
  }

  /** OpenSSL's name of the signature algorithm (`sha256WithRSAEncryption`, …), else its OID. */
  get signatureAlgorithmName(): string {
    return SIGNATURE_NAMES[this.signatureAlgorithm.oid] ?? this.signatureAlgorithm.oid;
  }

  /** True when the certificate asserts basicConstraints cA=TRUE. */
  get isCA(): boolean {
    return this.basicConstraints?.ca === true;
  }

  /** Issuer and subject names match (RFC 5280 §3.2 "self-issued"). */
  get selfIssued(): boolean {
    return this.issuer.equals(this.subject);
  }

  /** dNSName entries of the SAN, in order. */
  get dnsNames(): string[] {
    const out: string[] = [];
    for (const n of this.subjectAltName?.names ?? []) if (n.type === "DNS") out.push(n.value);
    return out;
  }

  /** OCSP responder URIs from authorityInfoAccess. */
  get ocspUris(): string[] {
    return accessUris(this.authorityInfoAccess, AD_OCSP);
  }

  /** caIssuers URIs from authorityInfoAccess. */
  get caIssuerUris(): string[] {
    return accessUris(this.authorityInfoAccess, AD_CA_ISSUERS);
  }

  /** URIs of every distribution point's fullName. */
  get crlUris(): string[] {
    const out: string[] = [];
    for (const dp of this.crlDistributionPoints ?? []) {
      for (const n of dp.fullName ?? []) if (n.type === "URI") out.push(n.value);
    }
    return out;
  }

  /**
   * Python's `X509_check_ca()` idea of a CA certificate (for `cert_store_stats()` and
   * `get_ca_certs()`): cA=TRUE, or a v1 self-signed certificate, or keyCertSign without
   * basicConstraints.
   */
  get looksLikeCA(): boolean {
    if (this.keyUsage !== undefined && !(this.keyUsage & KU.keyCertSign)) return false;
    if (this.basicConstraints) return this.basicConstraints.ca;
    if (this.version === 1 && this.selfIssued) return true;
    return this.keyUsage !== undefined;
  }

  /**
   * Digest of the DER encoding through WebCrypto (default SHA-256).
   *
   * @example
   * ```ts
   * import { Certificate } from "./certificate.ts";
   * declare const cert: Certificate;
   * console.log(await cert.fingerprint()); // "3a:7f:…" lower-case, colon-separated
   * ```
   */
  async fingerprint(hash: "SHA-256" | "SHA-384" | "SHA-512" = "SHA-256"): Promise<string> {
    const d = new Uint8Array(await crypto.subtle.digest(hash, this.der));
    return toHex(d).replace(/(..)(?!$)/g, "$1:");
  }
}

function accessUris(aia: readonly AccessDescription[] | undefined, method: string): string[] {
  const out: string[] = [];
  for (const ad of aia ?? []) {
    if (ad.method === method && ad.location.type === "URI") out.push(ad.location.value);
  }
  return out;
}

function serialText(b: Bytes): string {
  if (!(b[0] & 0x80)) {
    const hex = toHex(b[0] === 0 && b.byteLength > 1 ? b.subarray(1) : b).toUpperCase();
    return hex;
  }
  // Negative: two's complement magnitude, as OpenSSL's i2a_ASN1_INTEGER prints it.
  const mag = new Uint8Array(b.byteLength);
  let carry = 1;
  for (let i = b.byteLength - 1; i >= 0; i--) {
    const v = (~b[i] & 0xff) + carry;
    mag[i] = v & 0xff;
    carry = v >> 8;
  }
  let s = 0;
  while (s < mag.byteLength - 1 && mag[s] === 0) s++;
  return "-" + toHex(mag.subarray(s)).toUpperCase();
}
