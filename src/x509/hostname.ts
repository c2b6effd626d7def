/**
 * Service identity checks (RFC 6125 §6): a DNS reference identifier against dNSName SANs
 * (one whole-label wildcard, left-most only), an IP address against iPAddress SANs (exact
 * bytes), and the IP text forms of RFC 4291 §2.2 (input) and RFC 5952 §4 (output).
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import type { Certificate } from "./certificate.ts";
import { isPublicSuffix } from "./_public_suffix.ts";

/**
 * Parses an IPv4 dotted quad or an IPv6 address (RFC 4291 §2.2, with an optional trailing
 * dotted quad) into 4 or 16 bytes; `undefined` when `text` is not an address.
 *
 * @example
 * ```ts
 * import { parseIp } from "./hostname.ts";
 * console.log(parseIp("::1")?.length, parseIp("127.0.0.1")); // 16 Uint8Array(4) [127, 0, 0, 1]
 * ```
 */
export function parseIp(text: string): Bytes | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Bytes | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Decimal only, no leading zeros (RFC 3986 §3.2.2 dec-octet), so "010" is not octal-ambiguous.
    if (!/^(0|[1-9]\d{0,2})$/.test(parts[i])) return undefined;
    const v = Number(parts[i]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(text: string): Bytes | undefined {
  let s = text;
  let tail: number[] = [];
  const last = s.lastIndexOf(":");
  if (s.slice(last + 1).includes(".")) {
    const v4 = parseIpv4(s.slice(last + 1));
    if (!v4) return undefined;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    s = s.slice(0, last + 1);
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string) => h === "" ? [] : h.split(":");
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  for (const g of [...head, ...rest]) if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
  const total = head.length + rest.length + tail.length;
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const all = [
    ...head.map((g) => parseInt(g, 16)),
    ...new Array<number>(8 - total).fill(0),
    ...rest.map((g) => parseInt(g, 16)),
    ...tail,
  ];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * Text of a 4- or 16-byte address: dotted quad, or IPv6 in RFC 5952 §4 form (lower case,
 * no leading zeros, the first longest run of two or more zero groups as `::`).
 *
 * @example
 * ```ts
 * import { formatIp, parseIp } from "./hostname.ts";
 * console.log(formatIp(parseIp("2001:DB8:0:0:1:0:0:1")!)); // 2001:db8::1:0:0:1
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.byteLength === 4) return Array.from(bytes).join(".");
  if (bytes.byteLength !== 16) return `<invalid ${bytes.byteLength}-byte address>`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i] << 8) | bytes[i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) (best = i, bestLen = j - i);
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Options of {@link isDnsName}. */
export interface DnsNameOptions {
  /** Accept `*.` as the whole left-most label. */
  wildcard?: boolean;
  /** Accept `_` in labels (seen in the wild, outside RFC 1034 §3.5 preferred syntax). */
  underscore?: boolean;
}

/**
 * True for a name in RFC 1034 §3.5 / RFC 1123 §2.1 preferred syntax: LDH labels of 1–63
 * characters, not starting or ending with `-`, at most 253 characters, no trailing dot.
 */
export function isDnsName(name: string, options: DnsNameOptions = {}): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  const label = options.underscore
    ? /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/
    : /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  for (let i = 0; i < labels.length; i++) {
    if (i === 0 && options.wildcard && labels[0] === "*" && labels.length > 1) continue;
    if (!label.test(labels[i])) return false;
  }
  return true;
}

/**
 * The reference identifier as compared: ASCII lower case, one trailing dot removed, an
 * internationalized name converted to A-labels (UTS #46 through the URL parser). `undefined`
 * when it is not a usable DNS name.
 */
export function normalizeHostname(host: string, underscore = true): string | undefined {
  let h = host.endsWith(".") ? host.slice(0, -1) : host;
  if (/[\u0080-\u{10ffff}]/u.test(h)) {
    // The URL parser drops tabs and newlines and splits at URL delimiters: refuse them first.
    for (const ch of h) if (ch.charCodeAt(0) <= 0x20 || "/\\?#@:%[]".includes(ch)) return undefined;
    try {
      h = new URL(`http://${h}/`).hostname;
    } catch {
      return undefined;
    }
  }
  h = h.toLowerCase();
  return isDnsName(h, { underscore }) ? h : undefined;
}

/** Options for matching a certificate against a host name. */
export interface HostnameMatchOptions {
  /** Fall back to the subject CN when the certificate has no dNSName SAN. */
  commonNameFallback?: boolean;
  /** Refuse `_` in presented names (RFC 5280 §4.2.1.6 preferred name syntax). */
  strict?: boolean;
}

/**
 * True when the presented identifier `pattern` (a dNSName SAN or a CN) matches the normalized
 * reference `host`. RFC 6125 §6.4.1: label by label, case-insensitively; §6.4.3: `*` only as
 * the entire left-most label, matching exactly one label, and never a wildcard whose
 * remainder is a public suffix (CABF BR §3.2.2.6).
 *
 * @example
 * ```ts
 * import { matchesDnsPattern } from "./hostname.ts";
 * console.log(matchesDnsPattern("*.example.com", "www.example.com")); // true
 * console.log(matchesDnsPattern("*.example.com", "a.b.example.com")); // false
 * ```
 */
export function matchesDnsPattern(pattern: string, host: string, strict = false): boolean {
  let p = pattern.endsWith(".") ? pattern.slice(0, -1) : pattern;
  if (!isDnsName(p, { wildcard: true, underscore: !strict })) return false;
  p = p.toLowerCase();
  if (!p.startsWith("*.")) return p === host;
  const rest = p.slice(2);
  if (!rest.includes(".") || isPublicSuffix(rest)) return false;
  const dot = host.indexOf(".");
  return dot > 0 && host.slice(dot + 1) === rest;
}

/**
 * True when `cert` is valid for the DNS name `host` (RFC 6125 §6.4): against its dNSName
 * SANs, or — only with `commonNameFallback` and when it has no dNSName SAN — its subject CNs.
 */
export function certificateMatchesHostname(
  cert: Certificate,
  host: string,
  options: HostnameMatchOptions = {},
): boolean {
  const ref = normalizeHostname(host, !options.strict);
  if (ref === undefined) return false;
  const dns = cert.dnsNames;
  for (const name of dns) if (matchesDnsPattern(name, ref, options.strict)) return true;
  if (dns.length === 0 && options.commonNameFallback) {
    for (const cn of cert.subject.commonNames) {
      if (matchesDnsPattern(cn, ref, options.strict)) return true;
    }
  }
  return false;
}

/** True when `cert` has an iPAddress SAN equal to `ip` (4 or 16 bytes); never the CN. */
export function certificateMatchesIp(cert: Certificate, ip: Uint8Array): boolean {
  for (const n of cert.subjectAltName?.names ?? []) {
    if (n.type !== "IP" || n.bytes.byteLength !== ip.byteLength) continue;
    if (n.bytes.every((b, i) => b === ip[i])) return true;
  }
  return false;
}
