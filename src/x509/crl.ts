/**
 * Certificate revocation lists (RFC 5280 §5): parsing, and the revocation check of one
 * certificate against the CRLs its issuer signed (§6.3, complete CRLs only: no delta CRLs,
 * indirect CRLs or partitions by reason).
 * @module
 */
import { asBytes, type Bytes, toHex } from "../_bytes.ts";
import {
  GENERALIZED_TIME,
  hasTag,
  INTEGER,
  isContext,
  parseDer,
  readInteger,
  readTime,
  readUint,
  seq,
  SEQUENCE,
  UTC_TIME,
} from "../codec/der.ts";
import { signatureAlgorithm, type SignatureVerifier } from "./_signature.ts";
import {
  type AlgorithmIdentifier,
  type Certificate,
  parseAlgorithmIdentifier,
  parseSigned,
} from "./certificate.ts";
import { CertificateDecodeError, toCertificateDecodeError, X509_V } from "./errors.ts";
import { type Extension, KU, parseExtension } from "./extensions.ts";
import { type Name, parseName } from "./name.ts";

const CRL_NUMBER = "2.5.29.20";
const ISSUING_DISTRIBUTION_POINT = "2.5.29.28";
// CRL extensions that may be critical here (§5.2); a critical deltaCRLIndicator or any
// unknown critical extension makes the CRL unusable.
const KNOWN_CRL_EXTENSIONS = new Set([
  "2.5.29.35", // authorityKeyIdentifier
  "2.5.29.18", // issuerAltName
  CRL_NUMBER,
  ISSUING_DISTRIBUTION_POINT,
  "2.5.29.46", // freshestCRL
  "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
]);
// CRL entry extensions (§5.3); certificateIssuer (indirect CRLs) is not supported.
const KNOWN_ENTRY_EXTENSIONS = new Set(["2.5.29.21", "2.5.29.24"]);

/** What an issuingDistributionPoint restricts the CRL to. */
interface Scope {
  onlyUser: boolean;
  onlyCA: boolean;
  unsupported: boolean;
}

/**
 * A parsed CRL.
 *
 * @example
 * ```ts
 * import { Crl } from "./crl.ts";
 * declare const der: Uint8Array;
 * const crl = Crl.fromDer(der);
 * console.log(crl.issuer.toString(), crl.thisUpdate, crl.revokedSerials.size);
 * ```
 */
export class Crl {
  /** The whole encoding. */
  readonly der: Bytes;
  /** TBSCertList encoding (what the signature covers). */
  readonly tbs: Bytes;
  /** signatureAlgorithm. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** TBSCertList's signature field. */
  readonly tbsSignatureAlgorithm: AlgorithmIdentifier;
  /** signatureValue bits. */
  readonly signature: Bytes;
  /** The issuer. */
  readonly issuer: Name;
  /** thisUpdate. */
  readonly thisUpdate: Date;
  /** nextUpdate, when present. */
  readonly nextUpdate: Date | undefined;
  /** Revoked serial numbers (hex of the INTEGER contents) with their critical entry OIDs. */
  readonly revokedSerials: ReadonlyMap<string, readonly string[]>;
  /** crlExtensions. */
  readonly extensions: readonly Extension[];
  /** cRLNumber contents, when present. */
  readonly crlNumber: Bytes | undefined;

  private constructor(der: Bytes) {
    this.der = der;
    const { tbs, signatureAlgorithm, signature } = parseSigned(der, "CRL", "TBSCertList");
    this.tbs = tbs.raw;
    this.signatureAlgorithm = signatureAlgorithm;
    this.signature = signature;
    const f = tbs.children;
    let i = 0;
    if (hasTag(f[i], INTEGER) && readUint(f[i++], "CRL version") !== 1) {
      throw new CertificateDecodeError("CRL version is not v2");
    }
    this.tbsSignatureAlgorithm = parseAlgorithmIdentifier(f[i++], "TBSCertList signature");
    this.issuer = parseName(f[i++], "CRL issuer");
    this.thisUpdate = readTime(f[i++], "thisUpdate");
    this.nextUpdate = hasTag(f[i], UTC_TIME) || hasTag(f[i], GENERALIZED_TIME)
      ? readTime(f[i++], "nextUpdate")
      : undefined;
    const revoked = new Map<string, string[]>();
    if (hasTag(f[i], SEQUENCE)) {
      for (const entry of seq(f[i++], "revokedCertificates")) {
        const [serial, date, exts, more] = seq(entry, "revokedCertificate");
        if (more) throw new CertificateDecodeError("revokedCertificate: trailing elements");
        readTime(date, "revocationDate");
        const critical: string[] = [];
        if (exts) {
          for (const e of seq(exts, "crlEntryExtensions").map(parseExtension)) {
            if (e.critical) critical.push(e.oid);
          }
        }
        revoked.set(toHex(readInteger(serial, "userCertificate")), critical);
      }
    }
    this.revokedSerials = revoked;
    const exts: Extension[] = [];
    if (isContext(f[i], 0)) {
      exts.push(...seq(f[i++].children[0], "crlExtensions").map(parseExtension));
    }
    if (i !== f.length) throw new CertificateDecodeError("TBSCertList: trailing elements");
    this.extensions = exts;
    const num = exts.find((e) => e.oid === CRL_NUMBER);
    this.crlNumber = num ? readInteger(parseDer(num.value, "cRLNumber"), "cRLNumber") : undefined;
  }

  /** Parses a DER CRL; throws {@link CertificateDecodeError} when malformed. */
  static fromDer(der: Uint8Array): Crl {
    try {
      return new Crl(asBytes(der));
    } catch (e) {
      throw toCertificateDecodeError(e, "CRL");
    }
  }

  /** issuingDistributionPoint scope (§5.2.5). */
  scope(): Scope {
    const idp = this.extensions.find((e) => e.oid === ISSUING_DISTRIBUTION_POINT);
    const out: Scope = { onlyUser: false, onlyCA: false, unsupported: false };
    if (!idp) return out;
    for (const p of seq(parseDer(idp.value, "issuingDistributionPoint"), "IDP")) {
      if (p.cls !== 2) out.unsupported = true;
      else if (p.tag === 1) out.onlyUser = p.content[0] === 0xff;
      else if (p.tag === 2) out.onlyCA = p.content[0] === 0xff;
      else if (p.tag !== 0) out.unsupported = true; // reasons, indirect, attribute certs
    }
    return out;
  }
}

/** A revocation failure: OpenSSL code and why. */
export interface RevocationFailure {
  /** 3, 8, 11, 12, 23, 35, 36 or 44. */
  code: number;
  /** Explanation. */
  detail: string;
}

/**
 * Checks `cert` (issued by `issuer`) against `crls` at `time` (§6.3.3): a CRL of the same
 * issuer, signed by the issuer's key, current, without unhandled critical extensions and with
 * a non-critical cRLNumber (§5.2.3) must exist, and must not list the serial number.
 */
export async function checkRevocation(
  cert: Certificate,
  issuer: Certificate,
  crls: readonly Crl[],
  time: number,
  verifier: SignatureVerifier,
): Promise<RevocationFailure | undefined> {
  let failure: RevocationFailure = {
    code: X509_V.ERR_UNABLE_TO_GET_CRL,
    detail: `no CRL from ${cert.issuer.toString()}`,
  };
  for (const crl of crls) {
    if (!crl.issuer.equals(cert.issuer)) continue;
    const why = await usable(crl, cert, issuer, time, verifier);
    if (why) {
      failure = why;
      continue;
    }
    const entry = crl.revokedSerials.get(toHex(cert.serialBytes));
    if (entry === undefined) return undefined;
    if (entry.some((oid) => !KNOWN_ENTRY_EXTENSIONS.has(oid))) {
      return {
        code: X509_V.ERR_UNHANDLED_CRITICAL_CRL_EXTENSION,
        detail: "critical CRL entry extension",
      };
    }
    return { code: X509_V.ERR_CERT_REVOKED, detail: `serial ${cert.serial} is revoked` };
  }
  return failure;
}

async function usable(
  crl: Crl,
  cert: Certificate,
  issuer: Certificate,
  time: number,
  verifier: SignatureVerifier,
): Promise<RevocationFailure | undefined> {
  for (const e of crl.extensions) {
    if (e.critical && (!KNOWN_CRL_EXTENSIONS.has(e.oid) || e.oid === CRL_NUMBER)) {
      return { code: X509_V.ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, detail: `critical ${e.oid}` };
    }
  }
  if (!crl.crlNumber) {
    return {
      code: X509_V.ERR_UNABLE_TO_GET_CRL,
      detail: "CRL without cRLNumber (RFC 5280 §5.2.3)",
    };
  }
  let scope: Scope;
  try {
    scope = crl.scope();
  } catch {
    return { code: X509_V.ERR_UNABLE_TO_GET_CRL, detail: "malformed issuingDistributionPoint" };
  }
  if (scope.unsupported || (scope.onlyCA && !cert.isCA) || (scope.onlyUser && cert.isCA)) {
    return {
      code: X509_V.ERR_DIFFERENT_CRL_SCOPE,
      detail: "CRL scope does not cover the certificate",
    };
  }
  // §6.3.3 (f): a keyUsage in the CRL issuer's certificate must assert cRLSign.
  if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KU.cRLSign)) {
    return { code: X509_V.ERR_KEYUSAGE_NO_CRL_SIGN, detail: "issuer lacks cRLSign" };
  }
  const alg = signatureAlgorithm(crl.signatureAlgorithm);
  if (
    "unusable" in alg || toHex(crl.signatureAlgorithm.der) !== toHex(crl.tbsSignatureAlgorithm.der)
  ) {
    return { code: X509_V.ERR_CRL_SIGNATURE_FAILURE, detail: "CRL signature algorithm" };
  }
  const ok = await verifier.verify(issuer.publicKey, issuer.spki, alg, crl.tbs, crl.signature);
  if (ok !== "ok") return { code: X509_V.ERR_CRL_SIGNATURE_FAILURE, detail: "bad CRL signature" };
  if (crl.thisUpdate.getTime() > time) {
    return { code: X509_V.ERR_CRL_NOT_YET_VALID, detail: "CRL thisUpdate is in the future" };
  }
  if (crl.nextUpdate && crl.nextUpdate.getTime() < time) {
    return { code: X509_V.ERR_CRL_HAS_EXPIRED, detail: "CRL nextUpdate has passed" };
  }
  return undefined;
}
