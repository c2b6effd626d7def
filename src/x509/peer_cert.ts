/**
 * Python's certificate helpers: the `getpeercert()` dict, `cert_time_to_seconds()`,
 * `DER_cert_to_PEM_cert()` and `PEM_cert_to_DER_cert()`.
 * @module
 */
import { type Bytes, fromBase64, toBase64 } from "../_bytes.ts";
import { decodeString, hasTag, IA5_STRING, parseDer, UTF8_STRING } from "../codec/der.ts";
import type { Certificate } from "./certificate.ts";
import { ValueError } from "./errors.ts";
import type { GeneralName } from "./extensions.ts";
import type { Name } from "./name.ts";

/** One RDN as Python shows it: `[["commonName", "localhost"]]`. */
export type PythonRdn = [string, string][];

/** A subjectAltName entry as Python shows it: `["DNS", "localhost"]`, `["DirName", name]`. */
export type PythonAltName = [string, string] | ["DirName", PythonRdn[]];

/** Python's `SSLSocket.getpeercert()` dict (tuples as arrays). */
export interface PeerCertDict {
  /** Subject RDNs. */
  subject: PythonRdn[];
  /** Issuer RDNs. */
  issuer: PythonRdn[];
  /** X.509 version (3 for v3). */
  version: number;
  /** Serial number, upper-case hex. */
  serialNumber: string;
  /** `'Jan  5 09:34:43 2018 GMT'`. */
  notBefore: string;
  /** `'Jan  5 09:34:43 2018 GMT'`. */
  notAfter: string;
  /** Present when the certificate has a SAN extension. */
  subjectAltName?: PythonAltName[];
  /** OCSP responder URIs (authorityInfoAccess), when any. */
  OCSP?: string[];
  /** CA issuer URIs (authorityInfoAccess), when any. */
  caIssuers?: string[];
  /** CRL distribution point URIs, when any. */
  crlDistributionPoints?: string[];
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** OpenSSL's `ASN1_TIME_print()` format: `Jan  5 09:34:43 2018 GMT`. */
export function opensslTime(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ` +
    `${d.getUTCFullYear()} GMT`;
}

// Python's _ssl.c formats iPAddress itself: dotted quad, or eight upper-case hex groups
// without compression; any other length is "<invalid>".
function pythonIp(b: Bytes): string {
  if (b.byteLength === 4) return Array.from(b).join(".");
  if (b.byteLength !== 16) return "<invalid>";
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16).toUpperCase());
  return g.join(":");
}

// OpenSSL 3's GENERAL_NAME_print() spells out these otherName forms (UTF8String values, an
// IA5String for SRVName); Python shows what it prints.
const OTHER_NAMES: Record<string, string> = {
  "1.3.6.1.5.5.7.8.9": "SmtpUTF8Mailbox",
  "1.3.6.1.5.5.7.8.5": "XmppAddr",
  "1.3.6.1.5.5.7.8.7": "SRVName",
  "1.3.6.1.4.1.311.20.2.3": "UPN",
  "1.3.6.1.5.5.7.8.8": "NAIRealm",
};

function otherName(oid: string, der: Bytes): string {
  const label = OTHER_NAMES[oid];
  if (!label) return "<unsupported>";
  try {
    const value = parseDer(der, "otherName").children[1]?.children[0];
    const want = label === "SRVName" ? IA5_STRING : UTF8_STRING;
    if (!hasTag(value, want)) return "<unsupported>";
    const text = decodeString(value);
    return text === undefined ? "<unsupported>" : `${label}:${text}`;
  } catch {
    return "<unsupported>";
  }
}

function altName(n: GeneralName): PythonAltName {
  switch (n.type) {
    case "DNS":
      return ["DNS", n.value];
    case "email":
      return ["email", n.value];
    case "URI":
      return ["URI", n.value];
    case "IP":
      return ["IP Address", pythonIp(n.bytes)];
    case "dirName":
      return ["DirName", (n.name as Name).toPython()];
    case "registeredID":
      return ["Registered ID", n.oid];
    case "otherName":
      return ["othername", otherName(n.oid, n.der)];
    case "x400Address":
      return ["X400Name", "<unsupported>"];
    case "ediPartyName":
      return ["EdiPartyName", "<unsupported>"];
  }
}

/**
 * The dict Python's `getpeercert()` returns for `cert`.
 *
 * @example
 * ```ts
 * import { Certificate } from "./certificate.ts";
 * import { peerCertDict } from "./peer_cert.ts";
 * declare const cert: Certificate;
 * const d = peerCertDict(cert);
 * console.log(d.subject); // [[["commonName", "localhost"]]]
 * console.log(d.subjectAltName); // [["DNS", "localhost"], ["IP Address", "127.0.0.1"]]
 * ```
 */
export function peerCertDict(cert: Certificate): PeerCertDict {
  const out: PeerCertDict = {
    subject: cert.subject.toPython(),
    issuer: cert.issuer.toPython(),
    version: cert.version,
    serialNumber: cert.serial,
    notBefore: opensslTime(cert.notBefore),
    notAfter: opensslTime(cert.notAfter),
  };
  if (cert.subjectAltName) out.subjectAltName = cert.subjectAltName.names.map(altName);
  const ocsp = cert.ocspUris;
  if (ocsp.length) out.OCSP = ocsp;
  const ca = cert.caIssuerUris;
  if (ca.length) out.caIssuers = ca;
  const crl = cert.crlUris;
  if (crl.length) out.crlDistributionPoints = crl;
  return out;
}

/**
 * Python's `ssl.cert_time_to_seconds()`: seconds since the epoch of a `"%b %d %H:%M:%S %Y GMT"`
 * time such as `"Jan  5 09:34:43 2018 GMT"`. Throws {@link ValueError} when malformed.
 *
 * @example
 * ```ts
 * import { certTimeToSeconds } from "./peer_cert.ts";
 * console.log(certTimeToSeconds("Jan  5 09:34:43 2018 GMT")); // 1515144883
 * ```
 */
export function certTimeToSeconds(certTime: string): number {
  const month = MONTHS.findIndex((m) => m.toLowerCase() === certTime.slice(0, 3).toLowerCase());
  if (month < 0) {
    throw new ValueError(
      `time data '${certTime}' does not match format "%b %d %H:%M:%S %Y GMT"`,
    );
  }
  const m = certTime.slice(3).match(
    /^\s*(\d{1,2})\s+(\d{1,2}):(\d{1,2}):(\d{1,2})\s+(\d{4})\s+GMT$/,
  );
  const [d, h, mi, s, y] = m ? m.slice(1).map(Number) : [];
  if (!m || d < 1 || d > 31 || h > 23 || mi > 59 || s > 61) {
    throw new ValueError(
      `time data '${certTime.slice(3)}' does not match format ' %d %H:%M:%S %Y GMT'`,
    );
  }
  return Date.UTC(y, month, d, h, mi, s) / 1000;
}

const PEM_HEADER = "-----BEGIN CERTIFICATE-----";
const PEM_FOOTER = "-----END CERTIFICATE-----";

/**
 * Python's `ssl.DER_cert_to_PEM_cert()`: base64 in 64-column lines between the markers.
 *
 * @example
 * ```ts
 * import { derToPem } from "./peer_cert.ts";
 * declare const der: Uint8Array;
 * console.log(derToPem(der).startsWith("-----BEGIN CERTIFICATE-----\n")); // true
 * ```
 */
export function derToPem(der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines = [PEM_HEADER];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(PEM_FOOTER + "\n");
  return lines.join("\n");
}

/**
 * Python's `ssl.PEM_cert_to_DER_cert()`: the DER between the markers of one PEM certificate.
 * Throws {@link ValueError} when the text does not start and end with the markers or is not
 * base64.
 *
 * @example
 * ```ts
 * import { derToPem, pemToDer } from "./peer_cert.ts";
 * declare const der: Uint8Array;
 * console.log(pemToDer(derToPem(der)).length === der.length); // true
 * ```
 */
export function pemToDer(pem: string): Bytes {
  if (!pem.startsWith(PEM_HEADER)) {
    throw new ValueError(`Invalid PEM encoding; must start with ${PEM_HEADER}`);
  }
  const body = pem.trim();
  if (!body.endsWith(PEM_FOOTER)) {
    throw new ValueError(`Invalid PEM encoding; must end with ${PEM_FOOTER}`);
  }
  try {
    return fromBase64(body.slice(PEM_HEADER.length, -PEM_FOOTER.length));
  } catch {
    throw new ValueError("Invalid base64-encoded string");
  }
}
