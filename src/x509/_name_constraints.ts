/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)–(c)) applied to one certificate's names:
 * dNSName, iPAddress, rfc822Name, directoryName and URI forms; any other constrained form
 * present in the certificate is refused, as the RFC requires of names it cannot process.
 * @module
 */
import type { Certificate } from "./certificate.ts";
import { X509_V } from "./errors.ts";
import type { GeneralName, NameConstraints } from "./extensions.ts";
import { isDnsName, parseIp } from "./hostname.ts";
import { type Name, OID_EMAIL_ADDRESS } from "./name.ts";

/** A failed check: OpenSSL code and what failed. */
export interface NameConstraintFailure {
  /** `X509_V_ERR_*` code (47, 48, 51, 52, 53 or 1 for the work budget). */
  code: number;
  /** Explanation. */
  detail: string;
}

/** Shared work budget across one path (pathological inputs, x509-limbo `nc-dos-*`). */
export interface ConstraintBudget {
  /** Name × constraint comparisons still allowed. */
  remaining: number;
}

type Form = "DNS" | "IP" | "email" | "dirName" | "URI";

/** The names of `cert` that constraints of each form apply to. */
function namesOf(cert: Certificate, isLeaf: boolean): Map<Form | "other", GeneralName[]> {
  const out = new Map<Form | "other", GeneralName[]>();
  const add = (form: Form | "other", n: GeneralName) => {
    const list = out.get(form);
    if (list) list.push(n);
    else out.set(form, [n]);
  };
  for (const n of cert.subjectAltName?.names ?? []) {
    if (n.type === "DNS" || n.type === "IP" || n.type === "email" || n.type === "URI") {
      add(n.type, n);
    } else if (n.type === "dirName") add("dirName", n);
    else add("other", n);
  }
  // §4.2.1.10: directoryName constraints apply to a non-empty subject; emailAddress
  // attributes of the subject are rfc822Name constraint targets.
  if (!cert.subject.isEmpty) add("dirName", { type: "dirName", name: cert.subject });
  for (const e of cert.subject.values(OID_EMAIL_ADDRESS)) add("email", { type: "email", value: e });
  // A leaf without dNSName SANs may be matched by its CN (hostname fallback), so a CN that
  // looks like a host name is constrained like a dNSName (as OpenSSL does).
  if (isLeaf && !out.has("DNS")) {
    for (const cn of cert.subject.commonNames) {
      if (isDnsName(cn, { wildcard: true }) && !parseIp(cn)) add("DNS", { type: "DNS", value: cn });
    }
  }
  return out;
}

function formOf(n: GeneralName): Form | "other" {
  return n.type === "DNS" || n.type === "IP" || n.type === "email" || n.type === "URI" ||
      n.type === "dirName"
    ? n.type
    : "other";
}

const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function dnsWithin(name: string, base: string): boolean {
  return base === "" || name === base || name.endsWith("." + base);
}

// --- dNSName ---------------------------------------------------------------------------------

function validDnsConstraint(c: string): boolean {
  // "host.example.com" only: no wildcard, no leading period (§4.2.1.10); empty matches all.
  return c === "" || isDnsName(c);
}

/** Does the (possibly wildcard) SAN fall inside `base` entirely / touch it at all? */
function dnsRelation(san: string, base: string): { inside: boolean; overlaps: boolean } {
  if (!san.startsWith("*.")) {
    const inside = dnsWithin(san, base);
    return { inside, overlaps: inside };
  }
  // `*.rest` stands for every `x.rest`: inside when rest is within base; overlapping also
  // when base is itself one such `x.rest` (CVE-2025-61727).
  const rest = san.slice(2);
  const inside = dnsWithin(rest, base);
  const dot = base.indexOf(".");
  return { inside, overlaps: inside || (dot > 0 && base.slice(dot + 1) === rest) };
}

// --- iPAddress -------------------------------------------------------------------------------

function validIpConstraint(b: Uint8Array): boolean {
  if (b.byteLength !== 8 && b.byteLength !== 32) return false;
  const mask = b.subarray(b.byteLength / 2);
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && seenZero) return false; // §4.2.1.10: CIDR prefix masks only
      if (!one) seenZero = true;
    }
  }
  return true;
}

function ipWithin(ip: Uint8Array, c: Uint8Array): boolean {
  const n = c.byteLength / 2;
  if (ip.byteLength !== n) return false;
  for (let i = 0; i < n; i++) if ((ip[i] & c[n + i]) !== (c[i] & c[n + i])) return false;
  return true;
}

// --- rfc822Name ------------------------------------------------------------------------------

function splitMailbox(m: string): [string, string] | undefined {
  const at = m.indexOf("@");
  if (at <= 0 || at !== m.lastIndexOf("@")) return undefined;
  const domain = m.slice(at + 1);
  return isDnsName(domain) ? [m.slice(0, at), lower(domain)] : undefined;
}

function validEmailConstraint(c: string): boolean {
  if (c.includes("@")) return splitMailbox(c) !== undefined;
  const host = c.startsWith(".") ? c.slice(1) : c;
  return isDnsName(host);
}

function emailWithin(mailbox: [string, string], c: string): boolean {
  if (c.includes("@")) {
    // A whole mailbox: local part compared exactly (an asterisk is a literal character).
    const [local, domain] = splitMailbox(c)!;
    return mailbox[0] === local && mailbox[1] === domain;
  }
  const lc = lower(c);
  return lc.startsWith(".") ? mailbox[1].endsWith(lc) : mailbox[1] === lc;
}

// --- URI -------------------------------------------------------------------------------------

function uriHost(uri: string): string | undefined {
  const m = uri.match(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^:/?#]*)/);
  if (!m || !isDnsName(m[1])) return undefined;
  return lower(m[1]);
}

function validUriConstraint(c: string): boolean {
  return isDnsName(c.startsWith(".") ? c.slice(1) : c);
}

function uriWithin(host: string, c: string): boolean {
  const lc = lower(c);
  return lc.startsWith(".") ? host.endsWith(lc) : host === lc;
}

// --- driver ----------------------------------------------------------------------------------

function validConstraint(c: GeneralName): boolean {
  switch (c.type) {
    case "DNS":
      return validDnsConstraint(c.value);
    case "IP":
      return validIpConstraint(c.bytes);
    case "email":
      return validEmailConstraint(c.value);
    case "URI":
      return validUriConstraint(c.value);
    default:
      return true;
  }
}

/** For one name: does it lie inside the subtree `c` (`inside`), or touch it (`overlaps`)? */
type Relation = { inside: boolean; overlaps: boolean } | "invalid-name";

function relate(n: GeneralName, c: GeneralName): Relation {
  const both = (x: boolean) => ({ inside: x, overlaps: x });
  if (n.type === "DNS" && c.type === "DNS") {
    const v = lower(n.value.endsWith(".") ? n.value.slice(0, -1) : n.value);
    if (!isDnsName(v, { wildcard: true })) return "invalid-name";
    return dnsRelation(v, lower(c.value));
  }
  if (n.type === "IP" && c.type === "IP") {
    if (n.bytes.byteLength !== 4 && n.bytes.byteLength !== 16) return "invalid-name";
    return both(ipWithin(n.bytes, c.bytes));
  }
  if (n.type === "email" && c.type === "email") {
    const mb = splitMailbox(n.value);
    return mb ? both(emailWithin(mb, c.value)) : "invalid-name";
  }
  if (n.type === "URI" && c.type === "URI") {
    const host = uriHost(n.value);
    return host ? both(uriWithin(host, c.value)) : "invalid-name";
  }
  if (n.type === "dirName" && c.type === "dirName") return both(n.name.isWithin(c.name));
  return both(false);
}

function describe(n: GeneralName): string {
  switch (n.type) {
    case "DNS":
    case "email":
    case "URI":
      return `${n.type}:${n.value}`;
    case "dirName":
      return `dirName:${(n.name as Name).toString()}`;
    default:
      return n.type;
  }
}

/**
 * Applies one CA's name constraints to `cert` (§6.1.3 (b)–(c)). Returns the first violation,
 * or `undefined` when every name of a constrained form is permitted and none is excluded.
 */
export function checkNameConstraints(
  nc: NameConstraints,
  cert: Certificate,
  isLeaf: boolean,
  budget: ConstraintBudget,
): NameConstraintFailure | undefined {
  for (const c of [...nc.permitted, ...nc.excluded]) {
    if (!validConstraint(c)) {
      return { code: X509_V.ERR_UNSUPPORTED_CONSTRAINT_SYNTAX, detail: `invalid ${describe(c)}` };
    }
  }
  const names = namesOf(cert, isLeaf);
  let work = 0;
  for (const list of names.values()) work += list.length;
  budget.remaining -= work * (nc.permitted.length + nc.excluded.length);
  if (budget.remaining < 0) {
    return {
      code: X509_V.ERR_UNSPECIFIED,
      detail: "name constraint checks exceed the work budget",
    };
  }
  for (const [form, list] of names) {
    const permitted = nc.permitted.filter((c) => formOf(c) === form);
    const excluded = nc.excluded.filter((c) => formOf(c) === form);
    if (form === "other") {
      // otherName, x400Address, ediPartyName, registeredID: constrained forms we cannot match.
      for (const n of list) {
        if ([...nc.permitted, ...nc.excluded].some((c) => c.type === n.type)) {
          return { code: X509_V.ERR_UNSUPPORTED_CONSTRAINT_TYPE, detail: `${n.type} constrained` };
        }
      }
      continue;
    }
    if (permitted.length === 0 && excluded.length === 0) continue;
    for (const n of list) {
      for (const c of excluded) {
        const r = relate(n, c);
        if (r === "invalid-name") {
          return { code: X509_V.ERR_UNSUPPORTED_NAME_SYNTAX, detail: `invalid ${describe(n)}` };
        }
        if (r.overlaps) {
          return { code: X509_V.ERR_EXCLUDED_VIOLATION, detail: `${describe(n)} is excluded` };
        }
      }
      if (permitted.length === 0) continue;
      let ok = false;
      for (const c of permitted) {
        const r = relate(n, c);
        if (r === "invalid-name") {
          return { code: X509_V.ERR_UNSUPPORTED_NAME_SYNTAX, detail: `invalid ${describe(n)}` };
        }
        if (r.inside) ok = true;
      }
      if (!ok) {
        return { code: X509_V.ERR_PERMITTED_VIOLATION, detail: `${describe(n)} is not permitted` };
      }
    }
  }
  return undefined;
}
