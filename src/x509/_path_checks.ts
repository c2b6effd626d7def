/**
 * The checks of a complete certification path, in the order OpenSSL's `verify_chain()` makes
 * them: extensions and profiles (RFC 5280 §4.2, §6.1.4; the web PKI), key strength, the
 * peer's identity (RFC 6125), validity periods (§6.1.3 (a)(2)), name constraints (§6.1.3
 * (b)–(c)). Each returns the first failure or `undefined`.
 * @module
 */
import { equal } from "../_bytes.ts";
import { checkNameConstraints, type ConstraintBudget } from "./_name_constraints.ts";
import type { Certificate } from "./certificate.ts";
import type { Crl } from "./crl.ts";
import { X509_V } from "./errors.ts";
import { EKU, KU } from "./extensions.ts";
import { certificateMatchesHostname, certificateMatchesIp, formatIp, parseIp } from "./hostname.ts";

/** What the peer's certificate must be good for. */
export type Purpose = "serverAuth" | "clientAuth";

/** The identity the peer must prove: a DNS name or an IP address (text). */
export interface ExpectedName {
  /** `DNS` for a host name, `IP` for an IPv4/IPv6 address. */
  kind: "DNS" | "IP";
  /** The name or address as text. */
  value: string;
}

// Name × constraint comparisons allowed per path (x509-limbo pathological::nc-dos-*).
const MAX_CONSTRAINT_WORK = 1 << 18;

/** A failed check: OpenSSL code, chain position, and why. */
export interface Failure {
  code: number;
  depth: number;
  detail?: string;
  message?: string;
}

/** Builds a {@link Failure}. */
export function fail(code: number, depth: number, detail?: string): Failure {
  return { code, depth, detail };
}

/** The settings of one verification, resolved from `VerifyInput`. */
export interface Options {
  purpose: Purpose;
  time: number;
  maxDepth: number;
  strict: boolean;
  webpki: boolean;
  partialChain: boolean;
  crlDepth: number;
  crls: Crl[];
  expected?: ExpectedName;
  commonName: boolean;
}

/**
 * OpenSSL's `X509_check_ca()`: 1 cA=TRUE; 3 v1 self-issued; 4 keyCertSign without
 * basicConstraints; 0 not a CA.
 */
function caKind(c: Certificate): number {
  if (c.keyUsage !== undefined && !(c.keyUsage & KU.keyCertSign)) return 0;
  if (c.basicConstraints) return c.basicConstraints.ca ? 1 : 0;
  if (c.version === 1 && c.selfIssued) return 3;
  return c.keyUsage !== undefined ? 4 : 0;
}

const PURPOSE_OID: Record<Purpose, string> = {
  serverAuth: EKU.serverAuth,
  clientAuth: EKU.clientAuth,
};

/** check_extensions() of OpenSSL plus the RFC 5280 and web PKI profile checks. */
export function checkExtensions(path: Certificate[], o: Options): Failure | undefined {
  const n = path.length;
  for (let i = 0; i < n; i++) {
    const c = path[i];
    const isAnchor = i === n - 1;
    if (c.extensionErrors.length) {
      return fail(X509_V.ERR_INVALID_EXTENSION, i, c.extensionErrors[0]);
    }
    // RFC 5280 §4.2: a critical extension that is not processed fails validation.
    if (c.unhandledCritical.length) {
      return fail(X509_V.ERR_UNHANDLED_CRITICAL_EXTENSION, i, c.unhandledCritical[0]);
    }
    const ca = caKind(c);
    if (i > 0) {
      // RFC 5280 §6.1.4 (k): issuers must be CAs; only a legacy anchor may lack cA=TRUE.
      if (ca === 0 || ((!isAnchor || o.strict) && ca !== 1)) {
        return fail(X509_V.ERR_INVALID_CA, i);
      }
    } else if (n > 1) {
      // A lone trusted leaf is pinned: the user trusts exactly this certificate.
      if (o.strict && ca !== 0 && ca !== 1) return fail(X509_V.ERR_INVALID_CA, i);
      // CABF BR §7.1.2.7.8: a subscriber certificate is not a CA.
      if (o.purpose === "serverAuth" && c.isCA) {
        return fail(
          X509_V.ERR_INVALID_NON_CA,
          i,
          "CA certificate used as a TLS server certificate",
        );
      }
    }
    if (c.publicKey.explicitCurve) return fail(X509_V.ERR_EC_KEY_EXPLICIT_PARAMS, i);
    if (o.strict && n > 1) {
      const f = strictChecks(c, i, n);
      if (f) return f;
    }
    if (o.webpki) {
      const f = webpkiChecks(c, i, n, o);
      if (f) return f;
    }
    const f = checkPurpose(c, i, o);
    if (f) return f;
  }
  // RFC 5280 §4.2.1.9: pathLenConstraint counts the non-self-issued intermediates below.
  let plen = 0;
  for (let i = 1; i < n; i++) {
    const pathLen = path[i].basicConstraints?.pathLen;
    if (i > 1 && pathLen !== undefined && plen > pathLen) {
      return fail(X509_V.ERR_PATH_LENGTH_EXCEEDED, i);
    }
    if (!path[i].selfIssued) plen++;
  }
  return undefined;
}

/** The RFC 5280 profile, as OpenSSL's `X509_V_FLAG_X509_STRICT` plus serial numbers. */
function strictChecks(c: Certificate, i: number, n: number): Failure | undefined {
  const bc = c.basicConstraints;
  const ku = c.keyUsage;
  if (bc?.pathLen !== undefined) {
    if (!bc.ca) return fail(X509_V.ERR_PATHLEN_INVALID_FOR_NON_CA, i);
    if (ku === undefined || !(ku & KU.keyCertSign)) {
      return fail(X509_V.ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN, i);
    }
  }
  // §4.2.1.9: basicConstraints MUST be critical in CA certificates.
  if (bc?.ca && !bc.critical) return fail(X509_V.ERR_CA_BCONS_NOT_CRITICAL, i);
  // §4.2.1.3: CA certificates carry keyUsage (an anchor is exempt: §6.1 does not process its
  // extensions, and x509-limbo crl::issuer-no-keyusage-extension trusts such a root);
  // keyCertSign only in CA certificates.
  if (bc?.ca && ku === undefined && i + 1 < n) {
    return fail(X509_V.ERR_CA_CERT_MISSING_KEY_USAGE, i);
  }
  if (!bc?.ca && ku !== undefined && ku & KU.keyCertSign) {
    return fail(X509_V.ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA, i);
  }
  // §4.1.2.4, §4.1.2.6: names.
  if (c.issuer.isEmpty) return fail(X509_V.ERR_ISSUER_NAME_EMPTY, i);
  const san = c.subjectAltName;
  if (c.subject.isEmpty && (bc?.ca || (ku !== undefined && ku & KU.cRLSign) || !san)) {
    return fail(X509_V.ERR_SUBJECT_NAME_EMPTY, i);
  }
  if (c.subject.isEmpty && san && !san.critical) {
    return fail(X509_V.ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL, i);
  }
  if (san && san.names.length === 0) return fail(X509_V.ERR_EMPTY_SUBJECT_ALT_NAME, i);
  // §4.1.1.2: signatureAlgorithm MUST equal TBSCertificate.signature.
  if (!equal(c.signatureAlgorithm.der, c.tbsSignatureAlgorithm.der)) {
    return fail(X509_V.ERR_SIGNATURE_ALGORITHM_INCONSISTENCY, i);
  }
  // §4.2.1.1, §4.2.1.2: key identifiers non-critical; AKI in all but self-signed
  // certificates; SKI in CA certificates.
  if (c.extension("2.5.29.35")?.critical) {
    return fail(X509_V.ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL, i);
  }
  if (c.extension("2.5.29.14")?.critical) {
    return fail(X509_V.ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL, i);
  }
  if (c.version === 3) {
    const needsAki = i + 1 < n || !c.selfIssued;
    if (needsAki && !c.authorityKeyIdentifier?.keyId) {
      return fail(X509_V.ERR_MISSING_AUTHORITY_KEY_IDENTIFIER, i);
    }
    if (bc?.ca && !c.subjectKeyIdentifier) {
      return fail(X509_V.ERR_MISSING_SUBJECT_KEY_IDENTIFIER, i);
    }
  } else if (c.extensions.length) return fail(X509_V.ERR_EXTENSIONS_REQUIRE_VERSION_3, i);
  // §4.1.2.2: serialNumber is positive and at most 20 octets (roots issued before the rule
  // exist, and an anchor's fields are not validated).
  const s = c.serialBytes;
  if (i + 1 < n && (s[0] & 0x80 || (s.byteLength === 1 && s[0] === 0))) {
    return fail(X509_V.ERR_UNSPECIFIED, i, "serial number is not positive (RFC 5280 §4.1.2.2)");
  }
  if (i + 1 < n && (s.byteLength > 21 || (s.byteLength === 21 && s[0] !== 0))) {
    return fail(
      X509_V.ERR_UNSPECIFIED,
      i,
      "serial number longer than 20 octets (RFC 5280 §4.1.2.2)",
    );
  }
  // §4.2.1.10: name constraints only in CA certificates; §4.2.1.11: policyConstraints critical.
  if (c.extension("2.5.29.30") && !bc?.ca) {
    return fail(X509_V.ERR_INVALID_EXTENSION, i, "nameConstraints in a non-CA certificate");
  }
  const pc = c.extension("2.5.29.36");
  if (pc && !pc.critical) {
    return fail(X509_V.ERR_INVALID_POLICY_EXTENSION, i, "policyConstraints not critical");
  }
  return undefined;
}

/** CA/Browser Forum Baseline Requirements checks (the web PKI profile). */
function webpkiChecks(c: Certificate, i: number, n: number, o: Options): Failure | undefined {
  const isAnchor = i === n - 1 && n > 1;
  if (i === 0) {
    // §7.1.1: v3 only.
    if (c.version !== 3) return fail(X509_V.ERR_UNSPECIFIED, i, "not an X.509 v3 certificate");
    if (o.purpose === "serverAuth") {
      // §7.1.2.7.10: EKU present, non-critical, without anyExtendedKeyUsage.
      const eku = c.extKeyUsage;
      if (!eku) return fail(X509_V.ERR_INVALID_PURPOSE, i, "no extKeyUsage");
      if (eku.includes(EKU.any)) return fail(X509_V.ERR_INVALID_PURPOSE, i, "anyExtendedKeyUsage");
      if (c.extension("2.5.29.37")?.critical) {
        return fail(X509_V.ERR_INVALID_EXTENSION, i, "critical extKeyUsage");
      }
    }
    // §7.1.2.7.12: SAN critical only when the subject is empty.
    const san = c.subjectAltName;
    if (san?.critical && !c.subject.isEmpty) {
      return fail(X509_V.ERR_INVALID_EXTENSION, i, "critical subjectAltName with a subject");
    }
    // §7.1.4.3 (TLS server certificates): a CN is a character-for-character copy of a SAN.
    for (const cn of o.purpose === "serverAuth" ? c.subject.commonNames : []) {
      const copies = (san?.names ?? []).some((g) =>
        (g.type === "DNS" && g.value === cn) ||
        (g.type === "IP" && formatIp(g.bytes) === cn)
      );
      if (!copies) return fail(X509_V.ERR_UNSPECIFIED, i, `CN "${cn}" is not one of the SANs`);
    }
  }
  if (isAnchor && c.selfIssued) {
    // §7.1.2.1.2: no EKU in a root; §7.1.2.1.3: its AKI holds only keyIdentifier = SKI.
    if (c.extKeyUsage) return fail(X509_V.ERR_INVALID_PURPOSE, i, "extKeyUsage in a root");
    const aki = c.authorityKeyIdentifier;
    if (aki) {
      if (!aki.keyId || aki.issuer || aki.serial) {
        return fail(X509_V.ERR_INVALID_EXTENSION, i, "root authorityKeyIdentifier fields");
      }
      if (c.subjectKeyIdentifier && !equal(aki.keyId, c.subjectKeyIdentifier)) {
        return fail(X509_V.ERR_AKID_SKID_MISMATCH, i);
      }
    }
  }
  return undefined;
}

/** OpenSSL's check_purpose(): EKU and keyUsage fit the purpose (RFC 5280 §4.2.1.12). */
function checkPurpose(c: Certificate, i: number, o: Options): Failure | undefined {
  const want = PURPOSE_OID[o.purpose];
  const eku = c.extKeyUsage;
  // The leaf must name the purpose (anyExtendedKeyUsage alone does not do, as in OpenSSL and
  // CABF BR §7.1.2.7.10); a CA's EKU constrains, and anyExtendedKeyUsage leaves it open.
  if (eku && !eku.includes(want) && (i === 0 || !eku.includes(EKU.any))) {
    return fail(X509_V.ERR_INVALID_PURPOSE, i);
  }
  if (i === 0 && c.keyUsage !== undefined) {
    // RFC 5246 §7.4.2, RFC 8446 §4.4.2.2: the key signs or (TLS 1.2 RSA/ECDH) agrees/decrypts.
    const tls = KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement;
    if (!(c.keyUsage & tls)) return fail(X509_V.ERR_INVALID_PURPOSE, i, "keyUsage");
  }
  return undefined;
}

/** Web PKI key rules (CABF BR §6.1.5, §6.1.6); undefined when the key is acceptable. */
export function keyWeakness(c: Certificate): Failure | undefined {
  const k = c.publicKey;
  const weak = (detail: string) => fail(X509_V.ERR_EE_KEY_TOO_SMALL, 0, detail);
  switch (k.type) {
    case "rsa":
    case "rsa-pss":
      if (!k.bits || k.bits < 2048) return weak(`RSA key of ${k.bits} bits`);
      if (k.bits % 8 !== 0) return weak(`RSA modulus of ${k.bits} bits (not a multiple of 8)`);
      if (k.bits > 16384) return weak(`RSA key of ${k.bits} bits`);
      return undefined;
    case "ecdsa":
      if (k.explicitCurve) return fail(X509_V.ERR_EC_KEY_EXPLICIT_PARAMS, 0);
      return k.curve === "P-256" || k.curve === "P-384" || k.curve === "P-521"
        ? undefined
        : weak(`EC curve ${k.curve}`);
    case "ed25519":
      return undefined;
    default:
      return weak(`${k.type} key`);
  }
}

/** check_auth_level(): every key of the path is acceptable (66 leaf, 67 CA). */
export function checkKeys(path: Certificate[]): Failure | undefined {
  for (let i = 0; i < path.length; i++) {
    const f = keyWeakness(path[i]);
    if (f) {
      const code = f.code === X509_V.ERR_EE_KEY_TOO_SMALL && i > 0
        ? X509_V.ERR_CA_KEY_TOO_SMALL
        : f.code;
      return { ...f, code, depth: i };
    }
  }
  return undefined;
}

/** check_id(): the expected host name or IP address (RFC 6125 §6). */
export function checkIdentity(leaf: Certificate, o: Options): Failure | undefined {
  const e = o.expected;
  if (!e) return undefined;
  // An address given as a host name is still an address: RFC 6125 §6.2 never compares it with
  // dNSName entries (a dNSName "8.8.8.8" is misissuance).
  if (e.kind === "IP" || parseIp(e.value)) {
    const ip = parseIp(e.value);
    if (!ip || !certificateMatchesIp(leaf, ip)) {
      return {
        code: X509_V.ERR_IP_ADDRESS_MISMATCH,
        depth: 0,
        message: `IP address mismatch, certificate is not valid for '${e.value}'.`,
      };
    }
    return undefined;
  }
  const ok = certificateMatchesHostname(leaf, e.value, {
    commonNameFallback: o.commonName,
    strict: o.strict,
  });
  if (ok) return undefined;
  return {
    code: X509_V.ERR_HOSTNAME_MISMATCH,
    depth: 0,
    message: `Hostname mismatch, certificate is not valid for '${e.value}'.`,
  };
}

/** internal_verify()'s time checks, from the anchor down (RFC 5280 §6.1.3 (a)(2)). */
export function checkTimes(path: Certificate[], t: number): Failure | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path[i];
    if (c.notBefore.getTime() > t) return fail(X509_V.ERR_CERT_NOT_YET_VALID, i);
    if (c.notAfter.getTime() < t) return fail(X509_V.ERR_CERT_HAS_EXPIRED, i);
  }
  return undefined;
}

/** Name constraints of every CA over the certificates below it (RFC 5280 §6.1.3 (b)–(c)). */
export function checkConstraints(path: Certificate[]): Failure | undefined {
  const budget: ConstraintBudget = { remaining: MAX_CONSTRAINT_WORK };
  for (let i = path.length - 1; i > 0; i--) {
    const nc = path[i].nameConstraints;
    if (!nc) continue;
    for (let j = i - 1; j >= 0; j--) {
      // Self-issued intermediates are exempt; the leaf never is.
      if (j > 0 && path[j].selfIssued) continue;
      const f = checkNameConstraints(nc, path[j], j === 0, budget);
      if (f) return fail(f.code, j, f.detail);
    }
  }
  return undefined;
}
