/**
 * Certificate and CRL signatures through WebCrypto: which algorithm an AlgorithmIdentifier
 * names (RFC 4055, RFC 5758, RFC 8410), and verification with imported keys cached per run.
 * @module
 */
import { type Bytes, toHex } from "../_bytes.ts";
import { type DerNode, hasTag, NULL, readInteger, readOid, seq } from "../codec/der.ts";
import { ecdsaDerToRaw } from "../crypto/_ecdsa.ts";
import { rsaEncryptionSpki } from "../crypto/_keys.ts";
import type { AlgorithmIdentifier, PublicKeyInfo } from "./certificate.ts";
import { isDecodeError } from "./errors.ts";

/** Hashes WebCrypto can verify with. */
export type SigHash = "SHA-256" | "SHA-384" | "SHA-512";

/** A signature algorithm this verifier can run. */
export type SignatureAlgorithm =
  | { kind: "rsa-pkcs1"; hash: SigHash }
  | { kind: "rsa-pss"; hash: SigHash; saltLength: number }
  | { kind: "ecdsa"; hash: SigHash }
  | { kind: "ed25519" };

/** Why an AlgorithmIdentifier cannot be used. */
export type UnusableAlgorithm = { unusable: "weak" | "unknown"; name: string };

const HASH_OIDS: Record<string, SigHash> = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const RSA_PKCS1: Record<string, SigHash> = {
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};

const ECDSA: Record<string, SigHash> = {
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};

// MD5 and SHA-1 signatures are refused as the web PKI does (CABF BR §7.1.3.2).
const WEAK: Record<string, string> = {
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10040.4.3": "dsa-with-SHA1",
  "1.3.14.3.2.29": "sha1WithRSA",
};

function isNull(n: DerNode | undefined): boolean {
  return hasTag(n, NULL) && n!.content.byteLength === 0;
}

function hashAlgorithm(n: DerNode | undefined): SigHash | undefined {
  const [id, params, extra] = seq(n, "hashAlgorithm");
  if (extra || (params && !isNull(params))) return undefined;
  return HASH_OIDS[readOid(id, "hashAlgorithm")];
}

// RSASSA-PSS-params (RFC 4055 §3.1); only MGF1 with the same hash and trailerField 1.
function pssParams(n: DerNode | undefined): SignatureAlgorithm | undefined {
  let hash: SigHash | undefined;
  let mgfHash: SigHash | undefined;
  let saltLength = 20;
  for (const p of seq(n, "RSASSA-PSS-params")) {
    if (p.cls !== 2 || !p.constructed || p.children.length !== 1) return undefined;
    const v = p.children[0];
    if (p.tag === 0) hash = hashAlgorithm(v);
    else if (p.tag === 1) {
      const [id, h, extra] = seq(v, "maskGenAlgorithm");
      if (extra || readOid(id, "maskGenAlgorithm") !== "1.2.840.113549.1.1.8") return undefined;
      mgfHash = hashAlgorithm(h);
    } else if (p.tag === 2) {
      const c = readInteger(v, "saltLength");
      if (c.byteLength > 2 || c[0] & 0x80) return undefined;
      saltLength = c.byteLength === 2 ? (c[0] << 8) | c[1] : c[0];
    } else if (p.tag === 3) {
      const c = readInteger(v, "trailerField");
      if (c.byteLength !== 1 || c[0] !== 1) return undefined;
    } else return undefined;
  }
  // Absent hash means SHA-1, which is refused.
  if (!hash || mgfHash !== hash) return undefined;
  return { kind: "rsa-pss", hash, saltLength };
}

/**
 * The signature algorithm an AlgorithmIdentifier names, or why it cannot be used. Parameter
 * encodings follow RFC 4055 §5 (NULL or absent for PKCS #1 v1.5), RFC 5758 §3.2 (absent for
 * ECDSA) and RFC 8410 §3 (absent for Ed25519).
 */
export function signatureAlgorithm(
  alg: AlgorithmIdentifier,
): SignatureAlgorithm | UnusableAlgorithm {
  const unknown: UnusableAlgorithm = { unusable: "unknown", name: alg.oid };
  if (WEAK[alg.oid]) return { unusable: "weak", name: WEAK[alg.oid] };
  try {
    if (RSA_PKCS1[alg.oid]) {
      return alg.params === undefined || isNull(alg.params)
        ? { kind: "rsa-pkcs1", hash: RSA_PKCS1[alg.oid] }
        : unknown;
    }
    if (ECDSA[alg.oid]) {
      return alg.params === undefined ? { kind: "ecdsa", hash: ECDSA[alg.oid] } : unknown;
    }
    if (alg.oid === "1.3.101.112") return alg.params === undefined ? { kind: "ed25519" } : unknown;
    if (alg.oid === "1.2.840.113549.1.1.10") return pssParams(alg.params) ?? unknown;
  } catch (e) {
    if (!isDecodeError(e)) throw e;
  }
  return unknown;
}

const CURVE_SIZE: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** Outcome of one signature check. */
export type SignatureResult = "ok" | "bad" | "key-mismatch" | "bad-key";

/**
 * Verifies signatures with WebCrypto, importing each (key, algorithm) pair once. One
 * instance serves one path validation, so a hostile chain that reuses a key costs one import.
 */
export class SignatureVerifier {
  #keys = new Map<string, Promise<CryptoKey | null>>();
  /** Signature verifications performed (the path builder's budget counts these). */
  count = 0;

  #importKey(key: PublicKeyInfo, spki: Bytes, alg: SignatureAlgorithm): Promise<CryptoKey | null> {
    let params: RsaHashedImportParams | EcKeyImportParams | Algorithm;
    let der = spki;
    switch (alg.kind) {
      case "rsa-pkcs1":
      case "rsa-pss":
        params = { name: alg.kind === "rsa-pss" ? "RSA-PSS" : "RSASSA-PKCS1-v1_5", hash: alg.hash };
        // WebCrypto imports RSA keys only under rsaEncryption (RFC 8017 §A.1), so an
        // id-RSASSA-PSS key is re-wrapped; the RSAPublicKey inside is the same.
        der = rsaEncryptionSpki(key.rsaPublicKey!);
        break;
      case "ecdsa":
        params = { name: "ECDSA", namedCurve: key.curve! };
        break;
      case "ed25519":
        params = { name: "Ed25519" };
        break;
    }
    const id = `${JSON.stringify(params)}|${toHex(der)}`;
    let p = this.#keys.get(id);
    if (!p) {
      p = crypto.subtle.importKey("spki", der, params, false, ["verify"]).catch(() => null);
      this.#keys.set(id, p);
    }
    return p;
  }

  /** Checks `signature` over `data` by `key` (`spki` is its SubjectPublicKeyInfo). */
  async verify(
    key: PublicKeyInfo,
    spki: Bytes,
    alg: SignatureAlgorithm,
    data: Bytes,
    signature: Bytes,
  ): Promise<SignatureResult> {
    const fits = alg.kind === "rsa-pkcs1"
      ? key.type === "rsa"
      : alg.kind === "rsa-pss"
      ? key.type === "rsa" || key.type === "rsa-pss"
      : alg.kind === "ecdsa"
      ? key.type === "ecdsa" && CURVE_SIZE[key.curve ?? ""] !== undefined
      : key.type === "ed25519";
    if (!fits) return "key-mismatch";
    const cryptoKey = await this.#importKey(key, spki, alg);
    if (!cryptoKey) return "bad-key";
    let sig = signature;
    let params: Algorithm | RsaPssParams | EcdsaParams = { name: cryptoKey.algorithm.name };
    if (alg.kind === "ecdsa") {
      // Ecdsa-Sig-Value (RFC 5758 §3.2) to WebCrypto's fixed-width r || s.
      const raw = ecdsaDerToRaw(signature, CURVE_SIZE[key.curve!]);
      if (!raw) return "bad";
      sig = raw;
      params = { name: "ECDSA", hash: alg.hash };
    } else if (alg.kind === "rsa-pss") {
      params = { name: "RSA-PSS", saltLength: alg.saltLength };
    }
    this.count++;
    try {
      return await crypto.subtle.verify(params, cryptoKey, sig, data) ? "ok" : "bad";
    } catch {
      return "bad";
    }
  }
}
