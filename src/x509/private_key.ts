/**
 * Private keys as files hold them, normalized to one PKCS#8 form that WebCrypto imports.
 *
 * Accepted: PKCS#8 (RFC 5958), PKCS#8 encrypted with PBES2 (RFC 8018 §6.2: PBKDF2 with
 * HMAC-SHA-1/256/384/512 and AES-CBC), PKCS#1 `RSA PRIVATE KEY` (RFC 8017 §A.1.2), SEC1
 * `EC PRIVATE KEY` (RFC 5915), Ed25519 (RFC 8410) and RSASSA-PSS keys (RFC 8017 §A.2.3), as PEM
 * or DER. Key material never appears in an error message.
 * @module
 */
import { type Bytes, concat, equal, fromBase64, fromUtf8, utf8 } from "../_bytes.ts";
import { DecodeError } from "../codec/reader.ts";
import { SSLError } from "../errors.ts";
import {
  contextTag,
  derBitString,
  derInt,
  type DerNode,
  derOctets,
  derOid,
  derSeq,
  DerSequence,
  derTag,
  explicit,
  INTEGER,
  OCTET_STRING,
  OID,
  parseOne,
  readBitStringBytes,
  readOid,
  readUint,
  readUnsigned,
  SEQUENCE,
} from "../codec/der.ts";
import { KEY_OID, RSA_ENCRYPTION_ALGORITHM, rsaEncryptionSpki } from "../crypto/_keys.ts";
import { CONVERT_HINT, decryptPkcs8 } from "./_pbes2.ts";
import { looksLikePem, type PemBlock, pemDecodeAll } from "./pem.ts";

/** The elliptic curves a TLS key may use here (the ones WebCrypto implements). */
export type EcCurve = "P-256" | "P-384" | "P-521";

/** Hash functions named in RSASSA-PSS key parameters. */
export type PssHash = "SHA-1" | "SHA-224" | "SHA-256" | "SHA-384" | "SHA-512";

/** The restrictions an RSASSA-PSS key carries (RFC 8017 §A.2.3, RFC 4055 §3.1). */
export interface RsaPssParameters {
  /** Message digest the key may be used with. */
  readonly hash: PssHash;
  /** Digest of the MGF1 mask generation function. */
  readonly mgf1Hash: PssHash;
  /** Minimum salt length in bytes. */
  readonly saltLength: number;
}

/** How the key was stored before normalization. */
export type PrivateKeyFormat = "pkcs8" | "encrypted-pkcs8" | "pkcs1" | "sec1";

/** The fields every {@link PrivateKeyInfo} has. */
export interface PrivateKeyInfoBase {
  /**
   * The key as unencrypted PKCS#8 (RFC 5958 version 1, DER). Not enumerable, so logging the
   * object does not print the key.
   */
  readonly pkcs8: Bytes;
  /** SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, DER) of the matching public key. */
  readonly spki: Bytes;
  /** The form the key was read from. */
  readonly format: PrivateKeyFormat;
}

/** An RSA key (rsaEncryption), usable with PKCS#1 v1.5 and PSS signatures. */
export interface RsaPrivateKeyInfo extends PrivateKeyInfoBase {
  /** Key family. */
  readonly type: "rsa";
  /** Modulus length in bits. */
  readonly bits: number;
}

/**
 * An RSA key restricted to RSASSA-PSS (id-RSASSA-PSS). Its `pkcs8` keeps that algorithm
 * identifier, which WebCrypto does not import: replace it with rsaEncryption (the
 * RSAPrivateKey inside is the same) before `importKey`.
 */
export interface RsaPssPrivateKeyInfo extends PrivateKeyInfoBase {
  /** Key family. */
  readonly type: "rsa-pss";
  /** Modulus length in bits. */
  readonly bits: number;
  /** The key's parameter restrictions; absent when the key has none. */
  readonly pss?: RsaPssParameters;
}

/** An ECDSA key on a named curve. */
export interface EcPrivateKeyInfo extends PrivateKeyInfoBase {
  /** Key family. */
  readonly type: "ec";
  /** The curve. */
  readonly curve: EcCurve;
}

/** An Ed25519 key (RFC 8410). */
export interface Ed25519PrivateKeyInfo extends PrivateKeyInfoBase {
  /** Key family. */
  readonly type: "ed25519";
}

/** A parsed private key: its family, normalized PKCS#8 and public key. */
export type PrivateKeyInfo =
  | RsaPrivateKeyInfo
  | RsaPssPrivateKeyInfo
  | EcPrivateKeyInfo
  | Ed25519PrivateKeyInfo;

/** A password, or a function returning one (called only when the key is encrypted). */
export type PasswordSource =
  | string
  | Uint8Array
  | (() => string | Uint8Array | Promise<string | Uint8Array>);

/**
 * Reads a private key from PEM text or DER bytes and normalizes it to PKCS#8.
 *
 * PEM input may hold other blocks (certificates, `EC PARAMETERS`); the first private key is
 * used. `password` is needed only for `ENCRYPTED PRIVATE KEY`; a string is UTF-8 encoded, and
 * a function is called only when the key is encrypted (as Python's `load_cert_chain`).
 *
 * Throws `SSLError`: `[PEM: BAD_DECRYPT]` (`EVP` for DER input) for a wrong password,
 * `[PEM: BAD_PASSWORD_READ]` when a password is needed and none was given,
 * `[PEM: UNSUPPORTED_ENCRYPTION]` for legacy `Proc-Type: 4,ENCRYPTED` PEM,
 * `[EVP: UNSUPPORTED_PRIVATE_KEY_ALGORITHM]` for DSA, X448, Ed448, secp256k1, brainpool…,
 * `[PEM: NO_START_LINE]` when no key is found and `[ASN1: DECODE_ERROR]` for malformed keys.
 * Throws `TypeError` when `password` (or what its function returns) is not a string or bytes,
 * and whatever the password function itself throws.
 *
 * @example
 * ```ts
 * import { parsePrivateKey } from "./private_key.ts";
 * const key = await parsePrivateKey(Deno.readTextFileSync("key.pem"), "secret");
 * console.log(key.type, key.type === "ec" ? key.curve : ""); // ec P-256
 * ```
 */
export async function parsePrivateKey(
  data: Uint8Array | string,
  password?: PasswordSource,
): Promise<PrivateKeyInfo> {
  const found = locateKey(data);
  switch (found.kind) {
    case "encrypted-pkcs8": {
      // Resolved outside the guard: a TypeError or the callback's own error must reach the
      // caller unchanged, as in Python.
      const secret = await resolvePassword(password);
      return await guard(async () =>
        fromPkcs8(await decryptPkcs8(found.der, secret, found.library), "encrypted-pkcs8")
      );
    }
    case "pkcs8":
      return await guard(() => fromPkcs8(found.der, "pkcs8"));
    case "pkcs1":
      return await guard(() => fromRsaPrivateKey(found.der, "pkcs1"));
    case "sec1":
      return await guard(() => fromEcPrivateKey(found.der, undefined, "sec1"));
  }
}

/** Runs `parse`, turning a `DecodeError` or a WebCrypto rejection into an `SSLError`. */
async function guard<T>(parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (e) {
    if (e instanceof SSLError) throw e;
    if (e instanceof DecodeError) throw malformed(e.message, e);
    throw malformed("the key was rejected", e);
  }
}

// ---------------------------------------------------------------------------------------
// Errors. OpenSSL's library/reason mnemonics, so Python users recognise them; never key bytes.

function malformed(detail: string, cause?: unknown): SSLError {
  return new SSLError("DECODE_ERROR", `malformed private key: ${detail}`, {
    library: "ASN1",
    cause,
  });
}

const SUPPORTED = "supported: RSA, RSA-PSS, ECDSA P-256/P-384/P-521, Ed25519";

function unsupported(what: string): SSLError {
  return new SSLError(
    "UNSUPPORTED_PRIVATE_KEY_ALGORITHM",
    `unsupported private key type: ${what} (${SUPPORTED})`,
    { library: "EVP" },
  );
}

// ---------------------------------------------------------------------------------------
// Finding the key: PEM labels (RFC 7468 §10, §11, and OpenSSL's traditional labels) or the
// shape of the DER.

type KeyKind = "pkcs8" | "encrypted-pkcs8" | "pkcs1" | "sec1";

interface FoundKey {
  kind: KeyKind;
  der: Bytes;
  /** Library named by decryption errors: PEM for PEM input, EVP for DER (as OpenSSL). */
  library: "PEM" | "EVP";
}

const PEM_KINDS: Record<string, KeyKind> = {
  "PRIVATE KEY": "pkcs8",
  "ENCRYPTED PRIVATE KEY": "encrypted-pkcs8",
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
};

function locateKey(data: Uint8Array | string): FoundKey {
  if (typeof data !== "string" && !looksLikePem(data)) {
    if (data.byteLength === 0) throw malformed("empty input");
    const der = new Uint8Array(data);
    try {
      return { kind: sniffDer(der), der, library: "EVP" };
    } catch (e) {
      if (e instanceof DecodeError) {
        throw malformed(`neither PEM nor a DER private key (${e.message})`, e);
      }
      throw e;
    }
  }
  const text = typeof data === "string" ? data : fromUtf8(data);
  let blocks: PemBlock[];
  try {
    blocks = pemDecodeAll(text);
  } catch (e) {
    throw new SSLError("BAD_BASE64_DECODE", "a PEM block is not valid base64", {
      library: "PEM",
      cause: e,
    });
  }
  const block = blocks.find((b) => b.label.endsWith("PRIVATE KEY"));
  if (block === undefined) {
    throw new SSLError(
      "NO_START_LINE",
      "no private key found (expected -----BEGIN PRIVATE KEY----- or a similar PEM block)",
      { library: "PEM" },
    );
  }
  // RFC 1421 §4.6.1.1: OpenSSL's legacy encryption derives the key with EVP_BytesToKey over
  // MD5, which WebCrypto does not offer.
  if (/ENCRYPTED/i.test(block.headers["Proc-Type"] ?? "")) {
    const cipher = (block.headers["DEK-Info"] ?? "").split(",")[0];
    throw new SSLError(
      "UNSUPPORTED_ENCRYPTION",
      `legacy OpenSSL-encrypted PEM keys (Proc-Type: 4,ENCRYPTED${
        cipher ? `, DEK-Info: ${cipher}` : ""
      }) are not supported because their key derivation uses MD5, which WebCrypto lacks; ` +
        CONVERT_HINT,
      { library: "PEM" },
    );
  }
  const kind = PEM_KINDS[block.label];
  if (kind === undefined) {
    if (block.label === "DSA PRIVATE KEY") throw unsupported("DSA");
    throw unsupported(`PEM block "${block.label}"`);
  }
  if (block.der.byteLength === 0) throw malformed(`empty ${block.label} block`);
  return { kind, der: block.der, library: "PEM" };
}

/** Tells the DER structures apart by their first fields. */
function sniffDer(der: Bytes): KeyKind {
  const top = new DerSequence(parseOne(der, SEQUENCE, "private key"), "private key");
  const first = top.peekTag();
  if (first === SEQUENCE) return "encrypted-pkcs8"; // RFC 5958 §3: AlgorithmIdentifier first
  top.next(INTEGER, "version");
  const second = top.peekTag();
  if (second === SEQUENCE) return "pkcs8"; // RFC 5958 §2: version, AlgorithmIdentifier
  if (second === INTEGER) return "pkcs1"; // RFC 8017 §A.1.2: version, modulus
  if (second === OCTET_STRING) return "sec1"; // RFC 5915 §3: version, privateKey
  throw malformed("not a PKCS#8, PKCS#1 or SEC1 private key");
}

// ---------------------------------------------------------------------------------------
// Passwords (Python's load_cert_chain: str is UTF-8 encoded; a callable is called lazily).

async function resolvePassword(password: PasswordSource | undefined): Promise<Bytes> {
  if (password === undefined || password === null) {
    throw new SSLError(
      "BAD_PASSWORD_READ",
      "the private key is encrypted: a password is needed to decrypt it",
      { library: "PEM" },
    );
  }
  const value = typeof password === "function" ? await password() : password;
  if (typeof value === "string") return utf8(value);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw new TypeError(
    typeof password === "function"
      ? "password callback must return a string or bytes"
      : "password should be a string or bytes",
  );
}

// ---------------------------------------------------------------------------------------
// OneAsymmetricKey (RFC 5958 §2).

const CURVES: Record<string, { name: EcCurve; size: number }> = {
  "1.2.840.10045.3.1.7": { name: "P-256", size: 32 },
  "1.3.132.0.34": { name: "P-384", size: 48 },
  "1.3.132.0.35": { name: "P-521", size: 66 },
};

const UNSUPPORTED_CURVES: Record<string, string> = {
  "1.3.132.0.10": "secp256k1",
  "1.3.132.0.33": "secp224r1 (P-224)",
  "1.2.840.10045.3.1.1": "prime192v1 (P-192)",
  "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
  "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
  "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
  "1.2.156.10197.1.301": "SM2",
};

const UNSUPPORTED_ALGORITHMS: Record<string, string> = {
  "1.2.840.10040.4.1": "DSA",
  "1.2.840.113549.1.3.1": "DH",
  "1.2.840.10046.2.1": "X9.42 DH",
  "1.3.101.110": "X25519 (a key-agreement key that cannot sign)",
  "1.3.101.111": "X448 (a key-agreement key that cannot sign)",
  "1.3.101.113": "Ed448",
  "1.3.132.1.12": "EC key restricted to ECDH (id-ecDH)",
  "1.2.156.10197.1.301": "SM2",
  "1.2.643.7.1.1.1.1": "GOST R 34.10-2012 (256-bit)",
  "1.2.643.7.1.1.1.2": "GOST R 34.10-2012 (512-bit)",
};

const ZERO: Bytes = new Uint8Array([0]);
const ONE: Bytes = new Uint8Array([1]);

/** OneAsymmetricKey's attributes [0] and publicKey [1] IMPLICIT BIT STRING (v2 only). */
const ATTRIBUTES = contextTag(0);
const PUBLIC_KEY = contextTag(1, false);

async function fromPkcs8(der: Bytes, format: PrivateKeyFormat): Promise<PrivateKeyInfo> {
  const top = new DerSequence(parseOne(der, SEQUENCE, "PrivateKeyInfo"), "PrivateKeyInfo");
  const version = readUint(top.next(INTEGER, "version"), "version");
  if (version > 1) throw malformed(`unknown PKCS#8 version ${version}`);
  const algNode = top.next(SEQUENCE, "privateKeyAlgorithm");
  const privateKey = top.next(OCTET_STRING, "privateKey").content;
  top.optional(ATTRIBUTES); // nothing here uses them (RFC 5958 §2)
  const publicKeyNode = top.optional(PUBLIC_KEY);
  top.end();
  if (publicKeyNode !== undefined && version !== 1) {
    throw malformed("PKCS#8 version 1 structure carries a public key");
  }
  const alg = new DerSequence(algNode, "privateKeyAlgorithm");
  const oid = readOid(alg.next(OID, "algorithm"), "algorithm");
  switch (oid) {
    case KEY_OID.rsaEncryption:
      alg.optionalNull("rsaEncryption parameters"); // RFC 8017 §A.1: NULL
      alg.end();
      return await fromRsaPrivateKey(privateKey, format);
    case KEY_OID.rsassaPss: {
      const params = alg.optional(SEQUENCE);
      alg.end();
      const pss = params === undefined ? undefined : parsePssParams(params);
      return await fromRsaPrivateKey(privateKey, format, { algorithm: algNode.raw, pss });
    }
    case KEY_OID.ecPublicKey: {
      const curve = curveOf(alg.optionalAny(), "EC key parameters");
      alg.end();
      return await fromEcPrivateKey(privateKey, curve, format);
    }
    case KEY_OID.ed25519: {
      alg.end(); // RFC 8410 §3: parameters MUST be absent
      const publicKey = publicKeyNode === undefined
        ? undefined
        : readBitStringBytes(publicKeyNode, "publicKey", PUBLIC_KEY);
      return await fromEd25519(privateKey, publicKey, format);
    }
    default:
      throw unsupported(UNSUPPORTED_ALGORITHMS[oid] ?? `algorithm ${oid}`);
  }
}

// ---------------------------------------------------------------------------------------
// RSA: RSAPrivateKey (RFC 8017 §A.1.2) and RSASSA-PSS-params (RFC 8017 §A.2.3).

/**
 * Builds the info for an RSAPrivateKey; `restricted` carries the id-RSASSA-PSS algorithm
 * identifier (verbatim) and its parsed parameters for an RSA-PSS key.
 */
async function fromRsaPrivateKey(
  der: Bytes,
  format: PrivateKeyFormat,
  restricted?: { algorithm: Bytes; pss: RsaPssParameters | undefined },
): Promise<RsaPrivateKeyInfo | RsaPssPrivateKeyInfo> {
  const s = new DerSequence(parseOne(der, SEQUENCE, "RSAPrivateKey"), "RSAPrivateKey");
  const version = readUint(s.next(INTEGER, "version"), "version");
  if (version === 1) throw unsupported("multi-prime RSA");
  if (version !== 0) throw malformed(`unknown RSAPrivateKey version ${version}`);
  const ints = [
    "modulus",
    "publicExponent",
    "privateExponent",
    "prime1",
    "prime2",
    "exponent1",
    "exponent2",
    "coefficient",
  ].map((name) => readUnsigned(s.next(INTEGER, name), name));
  s.end();
  const [n, e] = ints;
  const bits = bitLength(n);
  if (bits < 512) throw malformed(`RSA modulus of ${bits} bits`);
  // Re-encoded so BER or non-minimal input comes out as DER.
  const rsaPrivateKey = derOctets(derSeq(derInt(ZERO), ...ints.map(derInt)));
  const plain = derSeq(derInt(ZERO), RSA_ENCRYPTION_ALGORITHM, rsaPrivateKey);
  // Import once so a key WebCrypto cannot use fails now, not at the first handshake. WebCrypto
  // imports only rsaEncryption, whatever the key's restriction.
  await crypto.subtle.importKey(
    "pkcs8",
    plain,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const rsaPublicKey = derSeq(derInt(n), derInt(e)); // RFC 8017 §A.1.1
  if (restricted === undefined) {
    const spki = rsaEncryptionSpki(rsaPublicKey);
    return hidePkcs8({ type: "rsa", bits, pkcs8: plain, spki, format });
  }
  // RFC 4055 §1.2: an id-RSASSA-PSS public key carries the key's algorithm identifier.
  const pkcs8 = derSeq(derInt(ZERO), restricted.algorithm, rsaPrivateKey);
  const spki = derSeq(restricted.algorithm, derBitString(rsaPublicKey));
  const { pss } = restricted;
  return hidePkcs8({ type: "rsa-pss", bits, pkcs8, spki, format, ...(pss ? { pss } : {}) });
}

const HASHES: Record<string, PssHash> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.4": "SHA-224",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};
const MGF1 = "1.2.840.113549.1.1.8";

function hashOf(node: DerNode, what: string): PssHash {
  const alg = new DerSequence(node, what);
  const oid = readOid(alg.next(OID, what), what);
  alg.optionalNull(what);
  alg.end();
  const hash = HASHES[oid];
  if (hash === undefined) throw unsupported(`RSA-PSS key with ${what} ${oid}`);
  return hash;
}

/** RSASSA-PSS-params with their DEFAULTs (RFC 8017 §A.2.3): SHA-1, MGF1-SHA-1, 20, 1. */
function parsePssParams(node: DerNode): RsaPssParameters {
  const s = new DerSequence(node, "RSASSA-PSS-params");
  let hash: PssHash = "SHA-1";
  let mgf1Hash: PssHash = "SHA-1";
  let saltLength = 20;
  const h = s.optional(contextTag(0));
  if (h !== undefined) hash = hashOf(explicit(h, "hashAlgorithm", SEQUENCE), "hash");
  const m = s.optional(contextTag(1));
  if (m !== undefined) {
    const mgf = new DerSequence(explicit(m, "maskGenAlgorithm", SEQUENCE), "maskGenAlgorithm");
    if (readOid(mgf.next(OID, "maskGenAlgorithm"), "maskGenAlgorithm") !== MGF1) {
      throw unsupported("RSA-PSS key with a mask generation function other than MGF1");
    }
    mgf1Hash = hashOf(mgf.next(SEQUENCE, "MGF1 hash"), "MGF1 hash");
    mgf.end();
  }
  const salt = s.optional(contextTag(2));
  if (salt !== undefined) saltLength = readUint(explicit(salt, "saltLength", INTEGER), "salt");
  const trailer = s.optional(contextTag(3));
  if (trailer !== undefined && readUint(explicit(trailer, "trailer", INTEGER), "trailer") !== 1) {
    throw malformed("RSA-PSS trailerField is not 1");
  }
  s.end();
  return { hash, mgf1Hash, saltLength };
}

// ---------------------------------------------------------------------------------------
// EC: ECPrivateKey (RFC 5915 §3) inside PKCS#8 (RFC 5915 §2, RFC 5480 §2.1.1 for the curve).

/** Reads ECParameters: only namedCurve is allowed (RFC 5480 §2.1.1). */
function curveOf(
  node: DerNode | undefined,
  what: string,
): { oid: string; name: EcCurve; size: number } {
  if (node === undefined) throw malformed(`${what}: no curve`);
  if (node.id === SEQUENCE) throw unsupported("EC key with explicit curve parameters");
  if (node.id !== OID) throw malformed(`${what}: not a named curve`);
  const oid = readOid(node, what);
  const curve = CURVES[oid];
  if (curve === undefined) throw unsupported(`EC curve ${UNSUPPORTED_CURVES[oid] ?? oid}`);
  return { oid, ...curve };
}

async function fromEcPrivateKey(
  der: Bytes,
  outerCurve: { oid: string; name: EcCurve; size: number } | undefined,
  format: PrivateKeyFormat,
): Promise<EcPrivateKeyInfo> {
  const s = new DerSequence(parseOne(der, SEQUENCE, "ECPrivateKey"), "ECPrivateKey");
  if (readUint(s.next(INTEGER, "version"), "version") !== 1) {
    throw malformed("ECPrivateKey version is not 1"); // RFC 5915 §3: ecPrivkeyVer1
  }
  const secret = s.next(OCTET_STRING, "privateKey").content;
  const params = s.optional(contextTag(0));
  const pub = s.optional(contextTag(1));
  s.end();
  const innerCurve = params === undefined
    ? undefined
    : curveOf(explicit(params, "parameters"), "ECPrivateKey parameters");
  const curve = outerCurve ?? innerCurve;
  if (curve === undefined) throw malformed("EC private key names no curve");
  if (innerCurve !== undefined && innerCurve.oid !== curve.oid) {
    throw malformed("ECPrivateKey curve differs from the PKCS#8 algorithm's curve");
  }
  // RFC 5915 §3: privateKey is ceiling(log2(n)/8) octets; some encoders drop leading zeros.
  let first = 0;
  while (first < secret.byteLength - 1 && secret[first] === 0) first++;
  const d = secret.subarray(first);
  if (d.byteLength > curve.size || (d.byteLength === 1 && d[0] === 0)) {
    throw malformed("EC private scalar out of range");
  }
  const scalar = new Uint8Array(curve.size);
  scalar.set(d, curve.size - d.byteLength);

  const alg = derSeq(derOid(KEY_OID.ecPublicKey), derOid(curve.oid));
  // Derive the public point from the scalar alone (import without it, export JWK), so an
  // embedded public key that does not belong to the scalar is caught.
  const bare = derSeq(
    derInt(ZERO),
    alg,
    derOctets(derSeq(derInt(ONE), derOctets(scalar))),
  );
  const key = await crypto.subtle.importKey(
    "pkcs8",
    bare,
    { name: "ECDSA", namedCurve: curve.name },
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const x = fixedBase64url(jwk.x, curve.size);
  const y = fixedBase64url(jwk.y, curve.size);
  const point = concat(new Uint8Array([4]), x, y);
  if (pub !== undefined) {
    const embedded = readBitStringBytes(explicit(pub, "publicKey"), "publicKey");
    if (!samePoint(embedded, x, y)) {
      throw new SSLError(
        "INVALID_PRIVATE_KEY",
        "the EC private key's embedded public key does not belong to it",
        { library: "EC" },
      );
    }
  }
  // OpenSSL's PKCS#8 form: no inner parameters (the outer ones name the curve), public key kept.
  const pkcs8 = derSeq(
    derInt(ZERO),
    alg,
    derOctets(
      derSeq(derInt(ONE), derOctets(scalar), derTag(contextTag(1), derBitString(point))),
    ),
  );
  const spki = derSeq(alg, derBitString(point)); // RFC 5480 §2.2: uncompressed point
  return hidePkcs8({ type: "ec", curve: curve.name, pkcs8, spki, format });
}

/** SEC1 §2.3.3/§2.3.4 point forms: 04||x||y, or 02/03||x with y's parity in the prefix. */
function samePoint(encoded: Bytes, x: Bytes, y: Bytes): boolean {
  if (encoded.byteLength === 1 + 2 * x.byteLength && encoded[0] === 4) {
    return equal(encoded.subarray(1), concat(x, y));
  }
  if (encoded.byteLength === 1 + x.byteLength && (encoded[0] === 2 || encoded[0] === 3)) {
    return (encoded[0] & 1) === (y[y.byteLength - 1] & 1) && equal(encoded.subarray(1), x);
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Ed25519 (RFC 8410 §7): privateKey holds CurvePrivateKey ::= OCTET STRING (32 bytes).

async function fromEd25519(
  privateKey: Bytes,
  embeddedPublic: Bytes | undefined,
  format: PrivateKeyFormat,
): Promise<Ed25519PrivateKeyInfo> {
  const seed = parseOne(privateKey, OCTET_STRING, "CurvePrivateKey").content;
  if (seed.byteLength !== 32) throw malformed("Ed25519 private key is not 32 bytes");
  const alg = derSeq(derOid(KEY_OID.ed25519));
  // Version 1 without the public key: every runtime's WebCrypto imports that form.
  const pkcs8 = derSeq(derInt(ZERO), alg, derOctets(derOctets(seed)));
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const publicKey = fixedBase64url(jwk.x, 32);
  if (embeddedPublic !== undefined && !equal(embeddedPublic, publicKey)) {
    throw new SSLError(
      "INVALID_PRIVATE_KEY",
      "the Ed25519 private key's embedded public key does not belong to it",
      { library: "EVP" },
    );
  }
  const spki = derSeq(alg, derBitString(publicKey)); // RFC 8410 §4
  return hidePkcs8({ type: "ed25519", pkcs8, spki, format });
}

// ---------------------------------------------------------------------------------------
// Small helpers.

function hidePkcs8<T extends PrivateKeyInfo>(info: T): T {
  Object.defineProperty(info, "pkcs8", { enumerable: false });
  return info;
}

function fixedBase64url(text: string | undefined, size: number): Bytes {
  if (text === undefined) throw malformed("WebCrypto did not return the public key");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = fromBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  if (raw.byteLength > size) throw malformed("public key coordinate too long");
  const out = new Uint8Array(size);
  out.set(raw, size - raw.byteLength);
  return out;
}

function bitLength(magnitude: Bytes): number {
  return magnitude.byteLength === 0
    ? 0
    : (magnitude.byteLength - 1) * 8 + (32 - Math.clz32(magnitude[0]));
}
