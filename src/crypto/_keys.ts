/**
 * The key structures the WebCrypto provider reads: SubjectPublicKeyInfo, PKCS#8 and
 * RSASSA-PSS parameters, and the rewrite of id-RSASSA-PSS keys as rsaEncryption keys, the only
 * RSA form WebCrypto imports (the RSA key inside is the same, RFC 4055 §1.2). Malformed DER
 * throws `DecodeError`.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import {
  contextTag,
  derBitString,
  type DerNode,
  derNull,
  derOid,
  derSeq,
  explicit,
  NULL,
  OCTET_STRING,
  parseOne,
  readBitStringBytes,
  readOid,
  readUint,
  seq,
  SEQUENCE,
} from "../codec/der.ts";
import { DecodeError } from "../codec/reader.ts";
import type { NistCurve } from "./_ec.ts";
import type { HashAlgorithm } from "./provider.ts";

/** Key algorithm OIDs (RFC 8017 §A.1, RFC 4055 §1.2, RFC 5480 §2.1.1, RFC 8410 §3). */
export const KEY_OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
} as const;

/** namedCurve OIDs of the curves WebCrypto implements (RFC 5480 §2.1.1.1). */
export const CURVE_OIDS: Readonly<Record<string, NistCurve>> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

const MGF1 = "1.2.840.113549.1.1.8";
const HASH_OIDS: Readonly<Record<string, HashAlgorithm>> = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

/** A parsed AlgorithmIdentifier (RFC 5280 §4.1.1.2). */
export interface AlgorithmIdentifier {
  /** The algorithm OID, dotted. */
  oid: string;
  /** The parameters, if present. */
  params?: DerNode;
  /** The whole AlgorithmIdentifier encoding. */
  raw: Bytes;
}

function parseAlgorithm(node: DerNode): AlgorithmIdentifier {
  const parts = seq(node, "AlgorithmIdentifier");
  if (parts.length < 1 || parts.length > 2) {
    throw new DecodeError("AlgorithmIdentifier: malformed");
  }
  const oid = readOid(parts[0], "AlgorithmIdentifier");
  return parts.length === 2 ? { oid, params: parts[1], raw: node.raw } : { oid, raw: node.raw };
}

/** A parsed SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
export interface Spki {
  /** The algorithm. */
  algorithm: AlgorithmIdentifier;
  /** The key bytes (the subjectPublicKey BIT STRING's octets). */
  key: Bytes;
}

/** Parses a DER SubjectPublicKeyInfo. */
export function parseSpki(der: Bytes): Spki {
  const parts = parseOne(der, SEQUENCE, "SubjectPublicKeyInfo").children;
  if (parts.length !== 2) throw new DecodeError("SubjectPublicKeyInfo: malformed");
  return {
    algorithm: parseAlgorithm(parts[0]),
    key: readBitStringBytes(parts[1], "subjectPublicKey"),
  };
}

/** A parsed PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958 §2). */
export interface Pkcs8 {
  /** The version INTEGER's encoding. */
  version: Bytes;
  /** The algorithm. */
  algorithm: AlgorithmIdentifier;
  /** Every field after the AlgorithmIdentifier (privateKey and optional fields), encoded. */
  tail: Bytes[];
}

/** Parses a DER PKCS#8 private key. */
export function parsePkcs8(der: Bytes): Pkcs8 {
  const parts = parseOne(der, SEQUENCE, "PrivateKeyInfo").children;
  if (parts.length < 3 || parts[2].id !== OCTET_STRING) {
    throw new DecodeError("PrivateKeyInfo: malformed");
  }
  readUint(parts[0], "PrivateKeyInfo version", 1); // v1 or v2
  return {
    version: parts[0].raw,
    algorithm: parseAlgorithm(parts[1]),
    tail: parts.slice(2).map((p) => p.raw),
  };
}

/** AlgorithmIdentifier { rsaEncryption, NULL } (RFC 8017 §A.1). */
export const RSA_ENCRYPTION_ALGORITHM: Bytes = derSeq(derOid(KEY_OID.rsaEncryption), derNull());

/** The SubjectPublicKeyInfo of an RSAPublicKey (RFC 8017 §A.1.1) under rsaEncryption. */
export function rsaEncryptionSpki(rsaPublicKey: Uint8Array): Bytes {
  return derSeq(RSA_ENCRYPTION_ALGORITHM, derBitString(rsaPublicKey));
}

/** The SPKI of an RSA key under the given AlgorithmIdentifier encoding (id-RSASSA-PSS). */
export function spkiWithAlgorithm(algorithmRaw: Bytes, rsaEncryptionSpki: Bytes): Bytes {
  return derSeq(algorithmRaw, derBitString(parseSpki(rsaEncryptionSpki).key));
}

/** The PKCS#8 of the same RSA key under rsaEncryption. */
export function rsaPkcs8FromPss(p: Pkcs8): Bytes {
  return derSeq(p.version, RSA_ENCRYPTION_ALGORITHM, ...p.tail);
}

/** The constraints of an id-RSASSA-PSS key (RFC 4055 §3.1). */
export interface PssParams {
  /** The only hash the key may be used with; undefined when unrestricted (absent parameters). */
  hash?: HashAlgorithm;
  /** The minimum salt length. */
  saltLength: number;
}

function hashFromAlgorithm(node: DerNode): HashAlgorithm | undefined {
  const alg = parseAlgorithm(node);
  // RFC 4055 §2.1: the hash parameters are NULL or absent.
  if (alg.params && (alg.params.id !== NULL || alg.params.content.byteLength !== 0)) {
    return undefined;
  }
  return HASH_OIDS[alg.oid];
}

const HASH_FIELD = contextTag(0);
const MGF_FIELD = contextTag(1);
const SALT_FIELD = contextTag(2);
const TRAILER_FIELD = contextTag(3);

/**
 * Reads RSASSA-PSS-params. Returns `undefined` for parameters this library cannot honour in
 * TLS (a SHA-1 default, an MGF other than MGF1 with the same hash, a trailer field other than 1).
 * RFC 4055 §3.1; RFC 8446 §4.2.3 requires MGF1 with the signature's hash.
 */
export function parsePssParams(params: DerNode | undefined): PssParams | undefined {
  if (!params) return { saltLength: 0 };
  let hash: HashAlgorithm | undefined;
  let mgfHash: HashAlgorithm | undefined;
  let saltLength = 20;
  let lastTag = 0;
  for (const f of seq(params, "RSASSA-PSS-params")) {
    // DER orders a SEQUENCE's fields as defined, each at most once.
    if (f.id <= lastTag) throw new DecodeError("RSASSA-PSS-params: fields out of order");
    lastTag = f.id;
    switch (f.id) {
      case HASH_FIELD:
        hash = hashFromAlgorithm(explicit(f, "hashAlgorithm"));
        if (!hash) return undefined;
        break;
      case MGF_FIELD: {
        const mgf = parseAlgorithm(explicit(f, "maskGenAlgorithm"));
        if (mgf.oid !== MGF1 || !mgf.params) return undefined;
        mgfHash = hashFromAlgorithm(mgf.params);
        if (!mgfHash) return undefined;
        break;
      }
      case SALT_FIELD:
        saltLength = readUint(explicit(f, "saltLength"), "saltLength", 0x7fffff);
        break;
      case TRAILER_FIELD:
        if (readUint(explicit(f, "trailerField"), "trailerField", 0x7fffff) !== 1) {
          return undefined;
        }
        break;
      default:
        throw new DecodeError("RSASSA-PSS-params: unknown field");
    }
  }
  // Present parameters without a hash default to SHA-1 (RFC 4055 §3.1), which TLS 1.3 never uses.
  if (!hash || mgfHash !== hash) return undefined;
  return { hash, saltLength };
}
