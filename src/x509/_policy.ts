/**
 * Certificate policy processing (RFC 5280 §6.1.2–§6.1.5) with the valid policy tree reduced
 * to the set of its valid policies, no initial policy set (any-policy) and
 * initial-explicit-policy off: enough to honour requireExplicitPolicy, inhibitPolicyMapping,
 * inhibitAnyPolicy and policy mappings, which is what makes those extensions safe to accept
 * as critical.
 * @module
 */
import type { Certificate } from "./certificate.ts";
import { X509_V } from "./errors.ts";

const ANY_POLICY = "2.5.29.32.0";

/** A policy failure: code (42 or 43), depth and why. */
export interface PolicyFailure {
  /** `X509_V_ERR_INVALID_POLICY_EXTENSION` or `X509_V_ERR_NO_EXPLICIT_POLICY`. */
  code: number;
  /** Chain position (0 = leaf). */
  depth: number;
  /** Explanation. */
  detail: string;
}

/**
 * Runs policy processing over `path` (leaf first, trust anchor last; the anchor itself is
 * not processed, §6.1). Returns a failure when a mapping names anyPolicy (§4.2.1.5) or when
 * an explicit policy is required but no valid policy remains (§6.1.5 (g)).
 */
export function checkPolicies(path: readonly Certificate[]): PolicyFailure | undefined {
  const n = path.length - 1;
  if (n < 1) return undefined;
  // §6.1.2: with initial-explicit-policy and the inhibit inputs off, the counters start at n+1.
  let explicitPolicy = n + 1;
  let policyMapping = n + 1;
  let inhibitAny = n + 1;
  let valid: Set<string> | null = new Set([ANY_POLICY]);
  for (let k = 1; k <= n; k++) {
    const depth = n - k;
    const cert = path[depth];
    const last = k === n;
    const selfIssued = cert.selfIssued;
    // §6.1.3 (d)–(f): intersect with this certificate's policies.
    const policies = cert.certificatePolicies;
    if (policies && valid) {
      const ids = new Set(policies.map((p) => p.oid));
      const anyAllowed = ids.has(ANY_POLICY) && (inhibitAny > 0 || (!last && selfIssued));
      const next = new Set<string>();
      for (const p of ids) {
        if (p !== ANY_POLICY && (valid.has(ANY_POLICY) || valid.has(p))) next.add(p);
      }
      if (anyAllowed) { for (const p of valid) next.add(p); }
      valid = next.size ? next : null;
    } else valid = null;
    // §6.1.3 (f): the explicit policy requirement may already be due.
    if (explicitPolicy === 0 && !valid) {
      return { code: X509_V.ERR_NO_EXPLICIT_POLICY, depth, detail: "no valid policy" };
    }
    if (last) break;
    // §6.1.4 (a)–(b): policy mappings.
    for (const [from, to] of cert.policyMappings ?? []) {
      if (from === ANY_POLICY || to === ANY_POLICY) {
        return { code: X509_V.ERR_INVALID_POLICY_EXTENSION, depth, detail: "anyPolicy mapped" };
      }
      if (!valid || (!valid.has(from) && !valid.has(ANY_POLICY))) continue;
      // The set holds the policies the next certificate may assert (the tree's expected
      // policies): a mapping renames; with anyPolicy still valid the old name stays usable.
      if (policyMapping > 0) valid.add(to);
      if (policyMapping === 0 || !valid.has(ANY_POLICY)) valid.delete(from);
      if (valid.size === 0) valid = null;
    }
    // §6.1.4 (h)–(j): counters, then the constraints this certificate sets.
    if (!selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAny > 0) inhibitAny--;
    }
    const pc = cert.policyConstraints;
    if (pc?.requireExplicitPolicy !== undefined) {
      explicitPolicy = Math.min(explicitPolicy, pc.requireExplicitPolicy);
    }
    if (pc?.inhibitPolicyMapping !== undefined) {
      policyMapping = Math.min(policyMapping, pc.inhibitPolicyMapping);
    }
    if (cert.inhibitAnyPolicy !== undefined) {
      inhibitAny = Math.min(inhibitAny, cert.inhibitAnyPolicy);
    }
  }
  // §6.1.5 (a)–(b), (g): wrap-up for the leaf.
  const leaf = path[0];
  if (explicitPolicy > 0) explicitPolicy--;
  if (leaf.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;
  if (explicitPolicy === 0 && !valid) {
    return { code: X509_V.ERR_NO_EXPLICIT_POLICY, depth: 0, detail: "no valid policy" };
  }
  return undefined;
}
