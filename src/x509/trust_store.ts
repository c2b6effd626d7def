/**
 * The trust anchors (and CRLs) a context verifies against, as Python's `SSLContext` keeps
 * them: loaded from DER or PEM text, deduplicated, found by subject name.
 * @module
 */
import { type Bytes, toHex } from "../_bytes.ts";
import { Certificate } from "./certificate.ts";
import { Crl } from "./crl.ts";
import { pemDecodeAll } from "./pem.ts";

/** Counts as Python's `SSLContext.cert_store_stats()` reports them. */
export interface CertStoreStats {
  /** Certificates. */
  x509: number;
  /** Certificates that look like CAs (OpenSSL's `X509_check_ca()`). */
  x509_ca: number;
  /** CRLs. */
  crl: number;
}

/**
 * A set of trusted certificates and CRLs. No file I/O: callers read files and pass bytes.
 *
 * @example
 * ```ts
 * import { TrustStore } from "./trust_store.ts";
 * declare const caPem: string;
 * const store = new TrustStore();
 * store.addPem(caPem);
 * console.log(store.stats()); // { x509: 1, x509_ca: 1, crl: 0 }
 * ```
 */
export class TrustStore {
  #certs: Certificate[] = [];
  #byDer = new Map<string, Certificate>();
  #bySubject = new Map<string, Certificate[]>();
  #crls: Crl[] = [];
  #crlDers = new Set<string>();

  /**
   * Adds one certificate (DER or parsed); returns false when it was already present.
   * Throws `CertificateDecodeError` for malformed DER.
   */
  add(cert: Certificate | Uint8Array): boolean {
    const c = cert instanceof Certificate ? cert : Certificate.fromDer(cert);
    const key = toHex(c.der);
    if (this.#byDer.has(key)) return false;
    this.#byDer.set(key, c);
    this.#certs.push(c);
    const list = this.#bySubject.get(c.subject.key);
    if (list) list.push(c);
    else this.#bySubject.set(c.subject.key, [c]);
    return true;
  }

  /**
   * Adds every `CERTIFICATE` (and `X509 CRL`) block of PEM text; returns how many
   * certificates were read (duplicates included), as Python counts for `cadata`.
   */
  addPem(text: string): number {
    let n = 0;
    for (const block of pemDecodeAll(text)) {
      if (block.label === "CERTIFICATE" || block.label === "TRUSTED CERTIFICATE") {
        this.add(block.der);
        n++;
      } else if (block.label === "X509 CRL") this.addCrl(block.der);
    }
    return n;
  }

  /** Adds a CRL (DER or parsed); returns false when it was already present. */
  addCrl(crl: Crl | Uint8Array): boolean {
    const c = crl instanceof Crl ? crl : Crl.fromDer(crl);
    const key = toHex(c.der);
    if (this.#crlDers.has(key)) return false;
    this.#crlDers.add(key);
    this.#crls.push(c);
    return true;
  }

  /** Every certificate, in insertion order. */
  certificates(): readonly Certificate[] {
    return this.#certs;
  }

  /** Every CRL, in insertion order. */
  crls(): readonly Crl[] {
    return this.#crls;
  }

  /** Number of certificates. */
  get size(): number {
    return this.#certs.length;
  }

  /** True when this exact certificate (same DER) is in the store. */
  has(cert: Certificate | Bytes): boolean {
    return this.#byDer.has(toHex(cert instanceof Certificate ? cert.der : cert));
  }

  /** The stored certificate with exactly this DER, if any. */
  get(der: Bytes): Certificate | undefined {
    return this.#byDer.get(toHex(der));
  }

  /** Certificates whose subject matches `cert`'s issuer (RFC 5280 §7.1 comparison). */
  findIssuers(cert: Certificate): readonly Certificate[] {
    return this.#bySubject.get(cert.issuer.key) ?? [];
  }

  /** Python's `cert_store_stats()`. */
  stats(): CertStoreStats {
    let ca = 0;
    for (const c of this.#certs) if (c.looksLikeCA) ca++;
    return { x509: this.#certs.length, x509_ca: ca, crl: this.#crls.length };
  }

  /** The CA certificates, for Python's `get_ca_certs()`. */
  caCertificates(): Certificate[] {
    return this.#certs.filter((c) => c.looksLikeCA);
  }
}
