/**
 * Certificate, CertificateRequest and CertificateVerify. RFC 8446 §4.4.2, §4.3.2, §4.4.3;
 * RFC 5246 §7.4.2, §7.4.4, §7.4.8 for the TLS 1.2 forms.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions.ts";

/** One certificate and its per-certificate extensions (TLS 1.3). */
export interface CertificateEntry {
  /** DER X.509 certificate, `opaque cert_data<1..2^24-1>`. */
  cert: Bytes;
  /** Extensions such as status_request or signed_certificate_timestamp (TLS 1.3 only). */
  extensions: Extension[];
}

/** A Certificate message. */
export interface CertificateMsg {
  /** `certificate_request_context<0..2^8-1>` (TLS 1.3; empty in TLS 1.2). */
  context: Bytes;
  /** The chain, end-entity first. */
  entries: CertificateEntry[];
}

/** Encodes a TLS 1.3 Certificate body. RFC 8446 §4.4.2. */
export function encodeCertificate13(msg: CertificateMsg): Bytes {
  const w = new Writer(2048);
  w.opaque8(msg.context);
  w.vec24((list) => {
    for (const e of msg.entries) {
      list.opaque24(e.cert);
      writeExtensions(list, e.extensions);
    }
  });
  return w.finish();
}

/** Decodes a TLS 1.3 Certificate body. */
export function decodeCertificate13(body: Bytes): CertificateMsg {
  const r = new Reader(body);
  const context = r.vec8("certificate_request_context");
  const list = r.sub24("certificate_list");
  const entries: CertificateEntry[] = [];
  while (list.remaining > 0) {
    const cert = list.vec24("cert_data", 1);
    entries.push({ cert, extensions: readExtensions(list) });
  }
  r.end("Certificate");
  return { context, entries };
}

/** Encodes a TLS 1.2 Certificate body (`ASN.1Cert certificate_list<0..2^24-1>`). */
export function encodeCertificate12(certs: readonly Bytes[]): Bytes {
  const w = new Writer(2048);
  w.vec24((list) => {
    for (const c of certs) list.opaque24(c);
  });
  return w.finish();
}

/** Decodes a TLS 1.2 Certificate body. RFC 5246 §7.4.2. */
export function decodeCertificate12(body: Bytes): Bytes[] {
  const r = new Reader(body);
  const list = r.sub24("certificate_list");
  const out: Bytes[] = [];
  while (list.remaining > 0) out.push(list.vec24("ASN.1Cert", 1));
  r.end("Certificate");
  return out;
}

/** A TLS 1.3 CertificateRequest. RFC 8446 §4.3.2. */
export interface CertificateRequest13 {
  /** `certificate_request_context<0..2^8-1>`: empty in the handshake, unique after it. */
  context: Bytes;
  /** Extensions; signature_algorithms is mandatory. */
  extensions: Extension[];
}

/** Encodes a TLS 1.3 CertificateRequest body. */
export function encodeCertificateRequest13(msg: CertificateRequest13): Bytes {
  const w = new Writer(256);
  w.opaque8(msg.context);
  writeExtensions(w, msg.extensions);
  return w.finish();
}

/** Decodes a TLS 1.3 CertificateRequest body. */
export function decodeCertificateRequest13(body: Bytes): CertificateRequest13 {
  const r = new Reader(body);
  const context = r.vec8("certificate_request_context");
  const extensions = readExtensions(r);
  r.end("CertificateRequest");
  return { context, extensions };
}

/** A TLS 1.2 CertificateRequest. RFC 5246 §7.4.4. */
export interface CertificateRequest12 {
  /** `ClientCertificateType certificate_types<1..2^8-1>`. */
  certificateTypes: number[];
  /** `SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>`. */
  signatureAlgorithms: number[];
  /** `DistinguishedName certificate_authorities<0..2^16-1>`. */
  authorities: Bytes[];
}

/** Encodes a TLS 1.2 CertificateRequest body. */
export function encodeCertificateRequest12(msg: CertificateRequest12): Bytes {
  const w = new Writer(256);
  w.vec8((l) => {
    for (const t of msg.certificateTypes) l.u8(t);
  });
  w.vec16((l) => {
    for (const s of msg.signatureAlgorithms) l.u16(s);
  });
  w.vec16((l) => {
    for (const a of msg.authorities) l.opaque16(a);
  });
  return w.finish();
}

/** Decodes a TLS 1.2 CertificateRequest body. */
export function decodeCertificateRequest12(body: Bytes): CertificateRequest12 {
  const r = new Reader(body);
  const certificateTypes = Array.from(r.vec8("certificate_types", 1));
  const sigs = r.sub16("supported_signature_algorithms", 2, 0xfffe);
  const signatureAlgorithms: number[] = [];
  while (sigs.remaining > 1) signatureAlgorithms.push(sigs.u16());
  sigs.end("supported_signature_algorithms");
  const cas = r.sub16("certificate_authorities");
  const authorities: Bytes[] = [];
  while (cas.remaining > 0) authorities.push(cas.vec16("distinguished name", 1));
  r.end("CertificateRequest");
  return { certificateTypes, signatureAlgorithms, authorities };
}

/** A CertificateVerify (and the `DigitallySigned` of a TLS 1.2 ServerKeyExchange). */
export interface CertificateVerify {
  /** The SignatureScheme. */
  scheme: number;
  /** `opaque signature<0..2^16-1>`. */
  signature: Bytes;
}

/** Encodes a CertificateVerify body. RFC 8446 §4.4.3. */
export function encodeCertificateVerify(cv: CertificateVerify): Bytes {
  return new Writer(cv.signature.byteLength + 4).u16(cv.scheme).opaque16(cv.signature).finish();
}

/** Reads a `DigitallySigned` / CertificateVerify from `r`. */
export function readDigitallySigned(r: Reader): CertificateVerify {
  const scheme = r.u16("signature scheme");
  const signature = r.vec16("signature");
  return { scheme, signature };
}

/** Decodes a CertificateVerify body. */
export function decodeCertificateVerify(body: Bytes): CertificateVerify {
  const r = new Reader(body);
  const cv = readDigitallySigned(r);
  r.end("CertificateVerify");
  return cv;
}
