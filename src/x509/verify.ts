/**
 * Certificate path validation: build a path from the peer's certificate to a trust anchor
 * (depth-first over name-matching issuers, bounded), then check it as RFC 5280 §6 and the web
 * PKI (CA/Browser Forum Baseline Requirements) require. Failures carry OpenSSL 3's verify
 * codes, and when several problems exist the code OpenSSL would report first wins.
 * @module
 */
import { equal, toHex } from "../_bytes.ts";
import {
  checkConstraints,
  checkExtensions,
  checkIdentity,
  checkKeys,
  checkTimes,
  type ExpectedName,
  fail,
  type Failure,
  keyWeakness,
  type Options,
  type Purpose,
} from "./_path_checks.ts";
import { checkPolicies } from "./_policy.ts";
import { signatureAlgorithm, SignatureVerifier } from "./_signature.ts";
import { Certificate } from "./certificate.ts";
import { checkRevocation, Crl } from "./crl.ts";
import { CertificateDecodeError, CertVerifyError, X509_V } from "./errors.ts";
import type { TrustStore } from "./trust_store.ts";

export type { ExpectedName, Purpose } from "./_path_checks.ts";

/** Verification flags, after Python's `VERIFY_*`. */
export interface VerifyFlags {
  /** `VERIFY_X509_PARTIAL_CHAIN`: any trusted certificate ends a path, not only roots. */
  partialChain?: boolean;
  /**
   * `VERIFY_X509_STRICT`: also enforce the RFC 5280 profile as OpenSSL's strict mode does
   * (critical basicConstraints and keyUsage in CAs, no keyCertSign or pathLen outside CAs,
   * non-empty names and SAN, equal signature algorithm fields, AKI/SKI present and
   * non-critical, extensions only in v3), plus positive serial numbers of at most 20 octets,
   * nameConstraints only in CAs, critical policyConstraints and no `_` in host names.
   */
  strict?: boolean;
  /**
   * Also enforce the CA/Browser Forum Baseline Requirements (the web PKI profile): a v3 leaf
   * whose EKU is present, non-critical and without anyExtendedKeyUsage, a SAN marked critical
   * only with an empty subject, subject CNs copied from the SAN; roots without EKU whose AKI,
   * if any, holds only a keyIdentifier equal to the SKI. Off by default: several private
   * PKIs and five roots of Mozilla's store do not meet it.
   */
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
// issuer candidates considered, certificates in one path.
const MAX_SIGNATURE_CHECKS = 200;
const MAX_CANDIDATES = 2000;
const MAX_PATH_LENGTH = 64;

/** What a link's check found (undefined: the signature holds). */
type LinkFailure = Failure | undefined;

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
      checkConstraints(path) ?? checkPolicies(path);
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
