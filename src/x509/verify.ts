/**
 * Certificate path validation: build a path from the peer's certificate to a trust anchor
 * (depth-first over name-matching issuers, bounded), then check it as RFC 5280 §6 and the web
 * PKI (CA/Browser Forum Baseline Requirements) require. Failures carry OpenSSL 3's verify
 * codes, and when several problems exist the code OpenSSL would report first wins.
 * @module
 */
import { equal, toHex } from "../_bytes.ts";
import { checkNameConstraints, type ConstraintBudget } from "./_name_constraints.ts";
import { signatureAlgorithm, SignatureVerifier } from "./_signature.ts";
import { Certificate } from "./certificate.ts";
import { checkRevocation, Crl } from "./crl.ts";
import { CertificateDecodeError, CertVerifyError, X509_V } from "./errors.ts";
import { EKU, KU } from "./extensions.ts";
import { certificateMatchesHostname, certificateMatchesIp, formatIp, parseIp } from "./hostname.ts";
import type { TrustStore } from "./trust_store.ts";

/** What the peer's certificate must be good for. */
export type Purpose = "serverAuth" | "clientAuth";

/** The identity the peer must prove: a DNS name or an IP address (text). */
export interface ExpectedName {
  /** `DNS` for a host name, `IP` for an IPv4/IPv6 address. */
  kind: "DNS" | "IP";
  /** The name or address as text. */
  value: string;
}

/** Verification flags, after Python's `VERIFY_*`. */
export interface VerifyFlags {
  /** `VERIFY_X509_PARTIAL_CHAIN`: any trusted certificate ends a path, not only roots. */
  partialChain?: boolean;
  /** `VERIFY_X509_STRICT`: also enforce the RFC 5280 profile (see the README of x509). */
  strict?: boolean;
  /** Enforce the CA/Browser Forum profile too (CN within SAN, leaf EKU required, …). */
  webpki?: boolean;
  /** `VERIFY_CRL_CHECK_LEAF`: the leaf needs a current CRL from its issuer. */
  crlCheckLeaf?: boolean;
  /** `VERIFY_CRL_CHECK_CHAIN`: every certificate but the anchor needs one. */
  crlCheckChain?: boolean;
}

/** Input of {@link verifyChain}. */
export interface VerifyInput {
  /** The peer's certificate. */
  leaf: Uint8Array | Certificate;
  /** The other certificates the peer sent, in any order; unparseable ones are ignored. */
  intermediates?: readonly (Uint8Array | Certificate)[];
  /** Trust anchors (and CRLs). */
  trustStore: TrustStore;
  /** Required purpose (default `serverAuth`). */
  purpose?: Purpose;
  /** The identity to check, when `checkHostname`. */
  expectedName?: ExpectedName;
  /** Check `expectedName` (default true when it is given). */
  checkHostname?: boolean;
  /** Match a DNS name against the subject CN when there is no dNSName SAN (default false). */
  hostnameChecksCommonName?: boolean;
  /** Validation time (default now); compared at one-second granularity. */
  time?: Date;
  /** Most intermediates (self-issued ones not counted) a path may have (default 100). */
  maxDepth?: number;
  /** Flags. */
  flags?: VerifyFlags;
  /** CRLs besides the trust store's. */
  crls?: readonly (Uint8Array | Crl)[];
}

/** A verified path. */
export interface VerifiedChain {
  /** Leaf first, trust anchor last. */
  chain: Certificate[];
  /** The trust anchor (`chain` at its end). */
  anchor: Certificate;
}

// Work bounds for hostile inputs (x509-limbo pathological::*): signature checks per call,
// issuer candidates considered, certificates in one path, name constraint comparisons.
const MAX_SIGNATURE_CHECKS = 200;
const MAX_CANDIDATES = 2000;
const MAX_PATH_LENGTH = 64;
const MAX_CONSTRAINT_WORK = 1 << 18;

interface Failure {
  code: number;
  depth: number;
  detail?: string;
  message?: string;
}

/** What a link's check found (undefined: the signature holds). */
type LinkFailure = Failure | undefined;

function fail(code: number, depth: number, detail?: string): Failure {
  return { code, depth, detail };
}

interface Options {
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
 * Verifies `input.leaf` up to a trust anchor of `input.trustStore`; resolves with the path or
 * rejects with {@link CertVerifyError} (OpenSSL code and text). A leaf that is not DER of a
 * certificate rejects with `CertificateDecodeError`.
 *
 * @example
 * ```ts
 * import { TrustStore } from "./trust_store.ts";
 * import { verifyChain } from "./verify.ts";
 * declare const rootPem: string, leafDer: Uint8Array, intermediateDer: Uint8Array;
 * const trustStore = new TrustStore();
 * trustStore.addPem(rootPem);
 * const { chain } = await verifyChain({
 *   leaf: leafDer,
 *   intermediates: [intermediateDer],
 *   trustStore,
 *   expectedName: { kind: "DNS", value: "example.com" },
 *   flags: { partialChain: true, strict: true },
 * });
 * console.log(chain.map((c) => c.subject.toString()));
 * ```
 */
export async function verifyChain(input: VerifyInput): Promise<VerifiedChain> {
  const leaf = input.leaf instanceof Certificate ? input.leaf : Certificate.fromDer(input.leaf);
  const flags = input.flags ?? {};
  const crls = [...input.trustStore.crls()];
  for (const c of input.crls ?? []) {
    try {
      crls.push(c instanceof Crl ? c : Crl.fromDer(c));
    } catch (e) {
      if (!(e instanceof CertificateDecodeError)) throw e;
    }
  }
  const opts: Options = {
    purpose: input.purpose ?? "serverAuth",
    // RFC 5280 §4.1.2.5 times have one-second granularity: compare the floor of `time`.
    time: Math.floor((input.time ?? new Date()).getTime() / 1000) * 1000,
    maxDepth: input.maxDepth ?? 100,
    strict: flags.strict ?? false,
    webpki: flags.webpki ?? false,
    partialChain: flags.partialChain ?? false,
    crlDepth: flags.crlCheckChain ? Infinity : flags.crlCheckLeaf ? 1 : 0,
    crls,
    expected: (input.checkHostname ?? true) ? input.expectedName : undefined,
    commonName: input.hostnameChecksCommonName ?? false,
  };
  const pool: Certificate[] = [];
  for (const c of input.intermediates ?? []) {
    try {
      const cert = c instanceof Certificate ? c : Certificate.fromDer(c);
      if (!equal(cert.der, leaf.der) && !pool.some((p) => equal(p.der, cert.der))) pool.push(cert);
    } catch (e) {
      if (!(e instanceof CertificateDecodeError)) throw e;
    }
  }
  const builder = new PathBuilder(input.trustStore, pool, opts);
  const chain = await builder.build(leaf);
  if (chain) return { chain, anchor: chain[chain.length - 1] };
  const f = builder.failure;
  throw new CertVerifyError(f.code, f.message, { depth: f.depth, detail: f.detail });
}

/** Identity for loop detection: the same subject with the same key is the same CA. */
function identity(c: Certificate): string {
  return `${c.subject.key}|${toHex(c.spki)}`;
}

function akiMatches(child: Certificate, issuer: Certificate): boolean | undefined {
  const kid = child.authorityKeyIdentifier?.keyId;
  const ski = issuer.subjectKeyIdentifier;
  if (!kid || !ski) return undefined;
  return equal(kid, ski);
}

/** RFC 5280 §3.2 self-signed, as OpenSSL's `X509_self_signed(cert, 0)`: names and key ids. */
function looksSelfSigned(c: Certificate): boolean {
  return c.selfIssued && akiMatches(c, c) !== false;
}

function validAt(c: Certificate, t: number): boolean {
  return c.notBefore.getTime() <= t && t <= c.notAfter.getTime();
}

class PathBuilder {
  #store: TrustStore;
  #pool: Map<string, Certificate[]>;
  #opts: Options;
  #verifier = new SignatureVerifier();
  #links = new Map<Certificate, Map<Certificate, Promise<LinkFailure>>>();
  #candidates = 0;
  #exhausted = false;
  #best: { rank: number; failure: Failure } = {
    rank: -1,
    failure: fail(X509_V.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0),
  };

  constructor(store: TrustStore, pool: Certificate[], opts: Options) {
    this.#store = store;
    this.#opts = opts;
    this.#pool = new Map();
    for (const c of pool) {
      const list = this.#pool.get(c.subject.key);
      if (list) list.push(c);
      else this.#pool.set(c.subject.key, [c]);
    }
  }

  /** The failure to report when no path validated. */
  get failure(): Failure {
    const f = this.#best.failure;
    if (this.#exhausted && this.#best.rank < 2) {
      return { ...f, detail: "path building gave up: too many candidate issuers" };
    }
    return f;
  }

  #record(rank: number, failure: Failure): void {
    // Higher ranks say more (a path that reached an anchor beats "no issuer"); within a rank
    // the first failure wins, as the first path OpenSSL would build.
    if (rank > this.#best.rank) this.#best = { rank, failure };
  }

  #anchorUsable(c: Certificate): boolean {
    return this.#opts.partialChain || c.selfIssued;
  }

  async build(leaf: Certificate): Promise<Certificate[] | undefined> {
    const trustedLeaf = this.#store.get(leaf.der);
    if (trustedLeaf && this.#anchorUsable(trustedLeaf)) {
      const f = await this.#validate([leaf]);
      if (!f) return [leaf];
      this.#record(3, f);
    }
    const found = await this.#extend([leaf], new Set([identity(leaf)]));
    if (found) return found;
    if (this.#best.rank <= 0 && looksSelfSigned(leaf)) {
      this.#record(1, fail(X509_V.ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0));
    }
    return undefined;
  }

  #issuersOf(c: Certificate): { cert: Certificate; trusted: boolean }[] {
    const t = this.#opts.time;
    const order = (list: readonly Certificate[]) =>
      [...list].sort((a, b) => {
        const ka = (akiMatches(c, a) === true ? 0 : 2) + (validAt(a, t) ? 0 : 1);
        const kb = (akiMatches(c, b) === true ? 0 : 2) + (validAt(b, t) ? 0 : 1);
        return ka - kb;
      });
    const out: { cert: Certificate; trusted: boolean }[] = [];
    for (const cert of order(this.#store.findIssuers(c))) out.push({ cert, trusted: true });
    for (const cert of order(this.#pool.get(c.issuer.key) ?? [])) {
      if (!this.#store.has(cert)) out.push({ cert, trusted: false });
    }
    // OpenSSL's X509_check_akid: a key identifier that names another key rules it out.
    return out.filter((x) => akiMatches(c, x.cert) !== false);
  }

  async #extend(path: Certificate[], seen: Set<string>): Promise<Certificate[] | undefined> {
    const cur = path[path.length - 1];
    const depth = path.length - 1;
    const candidates = this.#issuersOf(cur);
    if (candidates.length === 0) {
      const trusted = this.#store.has(cur);
      this.#record(
        0,
        fail(
          trusted
            ? X509_V.ERR_UNABLE_TO_GET_ISSUER_CERT
            : X509_V.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
          depth,
        ),
      );
      return undefined;
    }
    for (const { cert, trusted } of candidates) {
      if (this.#exhausted) return undefined;
      if (++this.#candidates > MAX_CANDIDATES || this.#verifier.count > MAX_SIGNATURE_CHECKS) {
        this.#exhausted = true;
        return undefined;
      }
      const id = identity(cert);
      if (seen.has(id)) continue;
      const next = [...path, cert];
      if (next.length > MAX_PATH_LENGTH || logicalIntermediates(next) > this.#opts.maxDepth) {
        this.#record(1, fail(X509_V.ERR_CERT_CHAIN_TOO_LONG, depth + 1));
        continue;
      }
      const linkFailure = await this.#link(cur, cert, depth);
      if (linkFailure) {
        this.#record(2, linkFailure);
        continue;
      }
      if (trusted && this.#anchorUsable(cert)) {
        const f = await this.#validate(next);
        if (!f) return next;
        this.#record(3, f);
        continue;
      }
      if (looksSelfSigned(cert)) {
        // An untrusted root: this path cannot reach an anchor.
        this.#record(1, fail(X509_V.ERR_SELF_SIGNED_CERT_IN_CHAIN, depth + 1));
        continue;
      }
      seen.add(id);
      const found = await this.#extend(next, seen);
      seen.delete(id);
      if (found) return found;
    }
    return undefined;
  }

  /** Checks that `issuer`'s key signed `child`; results are cached per pair. */
  #link(child: Certificate, issuer: Certificate, depth: number): Promise<LinkFailure> {
    let byIssuer = this.#links.get(child);
    if (!byIssuer) this.#links.set(child, byIssuer = new Map());
    let p = byIssuer.get(issuer);
    if (!p) {
      p = this.#checkLink(child, issuer, depth);
      byIssuer.set(issuer, p);
    }
    return p;
  }

  async #checkLink(child: Certificate, issuer: Certificate, depth: number): Promise<LinkFailure> {
    const alg = signatureAlgorithm(child.signatureAlgorithm);
    if ("unusable" in alg) {
      return alg.unusable === "weak"
        ? fail(X509_V.ERR_CA_MD_TOO_WEAK, depth, `${alg.name} signature`)
        : fail(X509_V.ERR_UNSUPPORTED_SIGNATURE_ALGORITHM, depth, `algorithm ${alg.name}`);
    }
    const weak = keyWeakness(issuer);
    if (weak) {
      return {
        ...weak,
        code: weak.code === 66 ? X509_V.ERR_CA_KEY_TOO_SMALL : weak.code,
        depth: depth + 1,
      };
    }
    const r = await this.#verifier.verify(
      issuer.publicKey,
      issuer.spki,
      alg,
      child.tbs,
      child.signature,
    );
    switch (r) {
      case "ok":
        return undefined;
      case "bad":
        return fail(X509_V.ERR_CERT_SIGNATURE_FAILURE, depth);
      case "key-mismatch":
        return fail(X509_V.ERR_SIGNATURE_ALGORITHM_MISMATCH, depth);
      case "bad-key":
        return fail(X509_V.ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, depth);
    }
  }

  /** Every check of a complete path, in OpenSSL's order; the first failure is returned. */
  async #validate(path: Certificate[]): Promise<Failure | undefined> {
    const o = this.#opts;
    return checkExtensions(path, o) ?? checkKeys(path) ?? checkIdentity(path[0], o) ??
      await this.#checkRevocation(path) ?? checkTimes(path, o.time) ??
      checkConstraints(path);
  }

  async #checkRevocation(path: Certificate[]): Promise<Failure | undefined> {
    const last = Math.min(this.#opts.crlDepth, path.length - 1);
    for (let i = 0; i < last; i++) {
      const f = await checkRevocation(
        path[i],
        path[i + 1],
        this.#opts.crls,
        this.#opts.time,
        this.#verifier,
      );
      if (f) return fail(f.code, i, f.detail);
    }
    return undefined;
  }
}

/**
 * Intermediates of `path` if its last certificate were the anchor; self-issued ones do not
 * count (RFC 5280 §6.1.4 (l) treats them so for path length, and x509-limbo for depth).
 */
function logicalIntermediates(path: Certificate[]): number {
  let n = 0;
  for (let i = 1; i < path.length - 1; i++) if (!path[i].selfIssued) n++;
  return n;
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
function checkExtensions(path: Certificate[], o: Options): Failure | undefined {
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
  if (eku && !eku.includes(want) && !eku.includes(EKU.any)) {
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
function keyWeakness(c: Certificate): Failure | undefined {
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
function checkKeys(path: Certificate[]): Failure | undefined {
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
function checkIdentity(leaf: Certificate, o: Options): Failure | undefined {
  const e = o.expected;
  if (!e) return undefined;
  if (e.kind === "IP") {
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
function checkTimes(path: Certificate[], t: number): Failure | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path[i];
    if (c.notBefore.getTime() > t) return fail(X509_V.ERR_CERT_NOT_YET_VALID, i);
    if (c.notAfter.getTime() < t) return fail(X509_V.ERR_CERT_HAS_EXPIRED, i);
  }
  return undefined;
}

/** Name constraints of every CA over the certificates below it (RFC 5280 §6.1.3 (b)–(c)). */
function checkConstraints(path: Certificate[]): Failure | undefined {
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
