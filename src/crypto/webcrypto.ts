/**
 * The default {@link CryptoProvider}: everything through WebCrypto (`crypto.subtle`), identical
 * under Deno, Bun and Node 20. ChaCha20-Poly1305 is detected at run time (Deno and Bun have it,
 * Node 20 does not). Hybrid post-quantum groups are not offered: a KEM's server share depends on
 * the client's, which the `KeyShare` shape (generate, then agree) cannot express.
 * @module
 */
import { type Bytes, concat, EMPTY } from "../_bytes.ts";
import { NamedGroup, SignatureScheme } from "../constants.ts";
import {
  type AeadAlgorithm,
  type AeadKey,
  type CryptoProvider,
  HASH_LENGTH,
  type HashAlgorithm,
  InvalidPeerKeyError,
  type KeyShare,
  type SigningKey,
  type VerifyOptions,
} from "./provider.ts";
import { DecodeError } from "../codec/reader.ts";
import { type DerNode, OID, readOid } from "../codec/der.ts";
import { ecdsaDerToRaw, ecdsaRawToDer } from "./_ecdsa.ts";
import {
  CURVE_OIDS,
  KEY_OID,
  parsePkcs8,
  parsePssParams,
  parseSpki,
  type PssParams,
  rsaEncryptionSpki,
  rsaPkcs8FromPss,
  type Spki,
  spkiWithAlgorithm,
} from "./_keys.ts";
import { isOnCurve, type NistCurve } from "./_ec.ts";

const subtle = globalThis.crypto.subtle;

/** Byte length of a field element (and of r or s) per NIST curve. */
const FIELD_LEN: Record<NistCurve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

const NIST_GROUPS: ReadonlyMap<NamedGroup, NistCurve> = new Map([
  [NamedGroup.secp256r1, "P-256"],
  [NamedGroup.secp384r1, "P-384"],
  [NamedGroup.secp521r1, "P-521"],
]);

const GROUPS: readonly NamedGroup[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
];

type RsaFamily = "RSA-PSS" | "RSASSA-PKCS1-v1_5";

/** What a signature scheme asks of the key and of WebCrypto. RFC 8446 §4.2.3. */
type SchemeInfo =
  | { kind: "ecdsa"; hash: HashAlgorithm; curve: NistCurve }
  | { kind: "rsa"; family: RsaFamily; hash: HashAlgorithm; pssOid: boolean }
  | { kind: "ed25519" };

const SCHEMES: ReadonlyMap<SignatureScheme, SchemeInfo> = new Map<SignatureScheme, SchemeInfo>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { kind: "ecdsa", hash: "SHA-256", curve: "P-256" }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { kind: "ecdsa", hash: "SHA-384", curve: "P-384" }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { kind: "ecdsa", hash: "SHA-512", curve: "P-521" }],
  [SignatureScheme.rsa_pss_rsae_sha256, rsa("RSA-PSS", "SHA-256", false)],
  [SignatureScheme.rsa_pss_rsae_sha384, rsa("RSA-PSS", "SHA-384", false)],
  [SignatureScheme.rsa_pss_rsae_sha512, rsa("RSA-PSS", "SHA-512", false)],
  [SignatureScheme.rsa_pss_pss_sha256, rsa("RSA-PSS", "SHA-256", true)],
  [SignatureScheme.rsa_pss_pss_sha384, rsa("RSA-PSS", "SHA-384", true)],
  [SignatureScheme.rsa_pss_pss_sha512, rsa("RSA-PSS", "SHA-512", true)],
  [SignatureScheme.rsa_pkcs1_sha256, rsa("RSASSA-PKCS1-v1_5", "SHA-256", false)],
  [SignatureScheme.rsa_pkcs1_sha384, rsa("RSASSA-PKCS1-v1_5", "SHA-384", false)],
  [SignatureScheme.rsa_pkcs1_sha512, rsa("RSASSA-PKCS1-v1_5", "SHA-512", false)],
  [SignatureScheme.ed25519, { kind: "ed25519" }],
]);

function rsa(family: RsaFamily, hash: HashAlgorithm, pssOid: boolean): SchemeInfo {
  return { kind: "rsa", family, hash, pssOid };
}

const ECDSA_SCHEME: Record<NistCurve, SignatureScheme> = {
  "P-256": SignatureScheme.ecdsa_secp256r1_sha256,
  "P-384": SignatureScheme.ecdsa_secp384r1_sha384,
  "P-521": SignatureScheme.ecdsa_secp521r1_sha512,
};

/** Preference order of the RSA schemes a key offers: PSS first (RFC 8446 §4.2.3), then PKCS#1. */
const RSAE_ORDER: readonly SignatureScheme[] = [
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];
const PSS_ORDER: readonly SignatureScheme[] = [
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
];

/** The curve an id-ecPublicKey's parameters name (RFC 5480 §2.1.1: a namedCurve OID only). */
function curveOf(params: DerNode | undefined): NistCurve | undefined {
  return params?.id === OID ? CURVE_OIDS[readOid(params, "namedCurve")] : undefined;
}

/** HMAC keys cannot be empty in WebCrypto; RFC 5869 §2.2 pads an absent salt to HashLen zeros. */
/**
 * Imported HMAC keys by the identity of their key bytes: the key schedule expands one secret
 * several times (Derive-Secret, key and iv), and each import is a WebCrypto round trip. A
 * WeakMap keeps no secret alive and copies none.
 */
const hmacKeys = new WeakMap<Bytes, Map<HashAlgorithm, Promise<CryptoKey>>>();

function hmacKey(alg: HashAlgorithm, key: Bytes): Promise<CryptoKey> {
  let byAlg = hmacKeys.get(key);
  if (!byAlg) hmacKeys.set(key, byAlg = new Map());
  let k = byAlg.get(alg);
  if (!k) {
    const raw = key.byteLength === 0 ? new Uint8Array(HASH_LENGTH[alg]) : key;
    k = subtle.importKey("raw", raw, { name: "HMAC", hash: alg }, false, ["sign"]);
    byAlg.set(alg, k);
  }
  return k;
}

class WebCryptoAead implements AeadKey {
  readonly #key: CryptoKey;
  readonly #name: string;

  constructor(key: CryptoKey, name: string) {
    this.#key = key;
    this.#name = name;
  }

  async seal(nonce: Bytes, aad: Bytes, plaintext: Bytes): Promise<Bytes> {
    const params = { name: this.#name, iv: nonce, additionalData: aad };
    return new Uint8Array(await subtle.encrypt(params, this.#key, plaintext));
  }

  async open(nonce: Bytes, aad: Bytes, ciphertext: Bytes): Promise<Bytes | null> {
    try {
      const params = { name: this.#name, iv: nonce, additionalData: aad };
      return new Uint8Array(await subtle.decrypt(params, this.#key, ciphertext));
    } catch {
      return null;
    }
  }
}

class X25519Share implements KeyShare {
  readonly group = NamedGroup.x25519;
  readonly publicKey: Bytes;
  readonly #priv: CryptoKey;

  constructor(priv: CryptoKey, pub: Bytes) {
    this.#priv = priv;
    this.publicKey = pub;
  }

  async agree(peer: Bytes): Promise<Bytes> {
    // RFC 8446 §4.2.8.2: X25519 key_exchange is exactly 32 bytes.
    if (peer.byteLength !== 32) throw new InvalidPeerKeyError("X25519 share is not 32 bytes");
    let secret: Bytes;
    try {
      const pub = await subtle.importKey("raw", peer, { name: "X25519" }, false, []);
      secret = new Uint8Array(
        await subtle.deriveBits({ name: "X25519", public: pub }, this.#priv, 256),
      );
    } catch {
      // Every runtime refuses small-order points inside deriveBits.
      throw new InvalidPeerKeyError("X25519 share rejected");
    }
    // RFC 7748 §6.1, RFC 8446 §7.4.2: an all-zero shared secret must be refused.
    let acc = 0;
    for (const b of secret) acc |= b;
    if (acc === 0) throw new InvalidPeerKeyError("X25519 shared secret is zero");
    return secret;
  }
}

/** ML-KEM-768 sizes (FIPS 203): encapsulation key and ciphertext. */
const MLKEM768_EK = 1184;
const MLKEM768_CT = 1088;
const MLKEM768 = { name: "ML-KEM-768" };
/** KEM key usages (WICG "modern algorithms"), not yet in the DOM types' `KeyUsage`. */
const DECAPSULATE = ["decapsulateBits"] as unknown as KeyUsage[];
const ENCAPSULATE = ["encapsulateBits"] as unknown as KeyUsage[];

/** WICG "modern algorithms" KEM calls, typed here until the DOM types have them. */
interface KemSubtle {
  encapsulateBits(
    alg: { name: string },
    key: CryptoKey,
  ): Promise<{ sharedKey: ArrayBuffer; ciphertext: ArrayBuffer }>;
  decapsulateBits(alg: { name: string }, key: CryptoKey, ciphertext: Bytes): Promise<ArrayBuffer>;
}
const kem = subtle as unknown as KemSubtle;

/**
 * The client's X25519MLKEM768 share (draft-ietf-tls-ecdhe-mlkem §3): the ML-KEM-768
 * encapsulation key then the X25519 public key; the secret is the ML-KEM shared secret then
 * the X25519 one.
 */
class HybridShare implements KeyShare {
  readonly group = NamedGroup.X25519MLKEM768;
  readonly publicKey: Bytes;
  readonly #dk: CryptoKey;
  readonly #x25519: X25519Share;

  constructor(dk: CryptoKey, ek: Bytes, x25519: X25519Share) {
    this.#dk = dk;
    this.#x25519 = x25519;
    this.publicKey = concat(ek, x25519.publicKey);
  }

  async agree(peer: Bytes): Promise<Bytes> {
    if (peer.byteLength !== MLKEM768_CT + 32) {
      throw new InvalidPeerKeyError("X25519MLKEM768 server share has the wrong length");
    }
    let ss: Bytes;
    try {
      ss = new Uint8Array(
        await kem.decapsulateBits(MLKEM768, this.#dk, peer.subarray(0, MLKEM768_CT)),
      );
    } catch {
      throw new InvalidPeerKeyError("ML-KEM ciphertext rejected");
    }
    return concat(ss, await this.#x25519.agree(peer.subarray(MLKEM768_CT)));
  }
}

class EcdhShare implements KeyShare {
  readonly group: NamedGroup;
  readonly publicKey: Bytes;
  readonly #priv: CryptoKey;
  readonly #curve: NistCurve;

  constructor(group: NamedGroup, curve: NistCurve, priv: CryptoKey, pub: Bytes) {
    this.group = group;
    this.#curve = curve;
    this.#priv = priv;
    this.publicKey = pub;
  }

  async agree(peer: Bytes): Promise<Bytes> {
    const n = FIELD_LEN[this.#curve];
    // RFC 8446 §4.2.8.2: UncompressedPointRepresentation only, exact length.
    if (peer.byteLength !== 1 + 2 * n || peer[0] !== 0x04) {
      throw new InvalidPeerKeyError("EC share is not an uncompressed point");
    }
    // Deno's import accepts off-curve points, so check here (RFC 8446 §4.2.8.2 validation).
    if (!isOnCurve(this.#curve, peer.subarray(1, 1 + n), peer.subarray(1 + n))) {
      throw new InvalidPeerKeyError("EC share is not on the curve");
    }
    const alg = { name: "ECDH", namedCurve: this.#curve };
    try {
      const pub = await subtle.importKey("raw", peer, alg, false, []);
      // RFC 8446 §7.4.2: the shared secret is the x-coordinate, padded to the field length.
      const bits = await subtle.deriveBits({ name: "ECDH", public: pub }, this.#priv, 8 * n);
      return new Uint8Array(bits);
    } catch {
      throw new InvalidPeerKeyError("EC share rejected");
    }
  }
}

type SchemeKeys = ReadonlyMap<SignatureScheme, CryptoKey>;

/** The provider's signing key: the CryptoKeys stay in private fields. */
class WebCryptoSigningKey implements SigningKey {
  readonly type: SigningKey["type"];
  readonly curve?: NistCurve;
  readonly bits?: number;
  readonly schemes: readonly SignatureScheme[];
  readonly spki: Bytes;
  readonly #keys: SchemeKeys;

  constructor(
    init: Omit<SigningKey, "schemes"> & { curve?: NistCurve },
    keys: SchemeKeys,
  ) {
    this.type = init.type;
    if (init.curve) this.curve = init.curve;
    if (init.bits) this.bits = init.bits;
    this.spki = init.spki;
    this.schemes = [...keys.keys()];
    this.#keys = keys;
  }

  key(scheme: SignatureScheme): CryptoKey | undefined {
    return this.#keys.get(scheme);
  }

  toJSON(): object {
    return { type: this.type, curve: this.curve, bits: this.bits, schemes: this.schemes };
  }
}

function signParams(info: SchemeInfo): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  switch (info.kind) {
    case "ecdsa":
      return { name: "ECDSA", hash: info.hash };
    case "ed25519":
      return { name: "Ed25519" };
    case "rsa":
      // RFC 8446 §4.2.3: the PSS salt is as long as the digest.
      return info.family === "RSA-PSS"
        ? { name: "RSA-PSS", saltLength: HASH_LENGTH[info.hash] }
        : { name: info.family };
  }
}

/** Public JWK members of a private JWK (the private members dropped). */
function publicJwk(jwk: JsonWebKey): JsonWebKey {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined),
  ) as JsonWebKey;
}

/** The WebCrypto implementation of {@link CryptoProvider}. */
export class WebCryptoProvider implements CryptoProvider {
  #chacha = false;
  #groups: readonly NamedGroup[] = GROUPS;
  readonly #ready: Promise<void>;

  /** Starts feature detection; never throws. Await {@link ready} before relying on it. */
  constructor() {
    this.#ready = this.#detect();
  }

  /** Resolves once optional algorithms (ChaCha20-Poly1305) have been probed. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async #detect(): Promise<void> {
    try {
      const key = await this.#importChaCha(new Uint8Array(32));
      const params = { name: "ChaCha20-Poly1305", iv: new Uint8Array(12) };
      this.#chacha = (await subtle.encrypt(params, key, EMPTY)).byteLength === 16;
    } catch {
      this.#chacha = false;
    }
    try {
      // ML-KEM-768 (FIPS 203) is in Deno's and Bun's WebCrypto, not yet in Node's.
      await subtle.generateKey(MLKEM768, false, DECAPSULATE);
      this.#groups = [...GROUPS, NamedGroup.X25519MLKEM768];
    } catch {
      this.#groups = GROUPS;
    }
  }

  #importChaCha(key: Bytes): Promise<CryptoKey> {
    // WICG "modern algorithms": ChaCha20-Poly1305 keys import only in the "raw-secret" format.
    return subtle.importKey(
      "raw-secret" as "raw",
      key,
      { name: "ChaCha20-Poly1305" },
      false,
      ["encrypt", "decrypt"],
    );
  }

  /** `n` bytes from `crypto.getRandomValues` (in 64 KiB calls, its per-call limit). */
  random(n: number): Bytes {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
    return out;
  }

  /** Digest of `data`. */
  async hash(alg: HashAlgorithm, data: Bytes): Promise<Bytes> {
    return new Uint8Array(await subtle.digest(alg, data));
  }

  /** HMAC of `data` under `key`; an empty key means HashLen zero bytes (RFC 5869 §2.2). */
  async hmac(alg: HashAlgorithm, key: Bytes, data: Bytes): Promise<Bytes> {
    const k = await hmacKey(alg, key);
    return new Uint8Array(await subtle.sign("HMAC", k, data));
  }

  /** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM). RFC 5869 §2.2. */
  hkdfExtract(alg: HashAlgorithm, salt: Bytes, ikm: Bytes): Promise<Bytes> {
    return this.hmac(alg, salt, ikm);
  }

  /** HKDF-Expand(PRK, info, L): T(i) = HMAC(PRK, T(i-1) | info | i). RFC 5869 §2.3. */
  async hkdfExpand(alg: HashAlgorithm, prk: Bytes, info: Bytes, length: number): Promise<Bytes> {
    const hashLen = HASH_LENGTH[alg];
    if (length < 0 || length > 255 * hashLen) throw new RangeError("HKDF-Expand length too long");
    const key = await hmacKey(alg, prk);
    const blocks = Math.ceil(length / hashLen);
    const out = new Uint8Array(blocks * hashLen);
    let prev: Bytes = EMPTY;
    for (let i = 1; i <= blocks; i++) {
      prev = new Uint8Array(
        await subtle.sign("HMAC", key, concat(prev, info, new Uint8Array([i]))),
      );
      out.set(prev, (i - 1) * hashLen);
    }
    return out.byteLength === length ? out : out.slice(0, length);
  }

  /** Imports a traffic key once; the returned object seals and opens records with it. */
  async aead(alg: AeadAlgorithm, key: Bytes): Promise<AeadKey> {
    if (alg === "CHACHA20-POLY1305") {
      if (key.byteLength !== 32) throw new RangeError("ChaCha20-Poly1305 key must be 32 bytes");
      return new WebCryptoAead(await this.#importChaCha(key), "ChaCha20-Poly1305");
    }
    if (key.byteLength !== (alg === "AES-128-GCM" ? 16 : 32)) {
      throw new RangeError(`${alg} key has the wrong length`);
    }
    const k = await subtle.importKey("raw", key, { name: "AES-GCM" }, false, [
      "encrypt",
      "decrypt",
    ]);
    return new WebCryptoAead(k, "AES-GCM");
  }

  /** AES-GCM always; ChaCha20-Poly1305 once {@link ready} has found it. */
  supportsAead(alg: AeadAlgorithm): boolean {
    return alg === "CHACHA20-POLY1305" ? this.#chacha : true;
  }

  /** x25519, secp256r1, secp384r1, secp521r1, and X25519MLKEM768 where WebCrypto has ML-KEM. */
  supportedGroups(): readonly NamedGroup[] {
    return this.#groups;
  }

  /** Generates an ephemeral key pair; the private key is not extractable. */
  async generateKeyShare(group: NamedGroup): Promise<KeyShare> {
    if (group === NamedGroup.X25519MLKEM768) {
      const [kp, x25519] = await Promise.all([
        subtle.generateKey(MLKEM768, false, DECAPSULATE) as Promise<CryptoKeyPair>,
        this.generateKeyShare(NamedGroup.x25519) as Promise<X25519Share>,
      ]);
      const ek = new Uint8Array(await subtle.exportKey("raw-public" as "raw", kp.publicKey));
      return new HybridShare(kp.privateKey, ek, x25519);
    }
    if (group === NamedGroup.x25519) {
      const kp = await subtle.generateKey({ name: "X25519" }, false, [
        "deriveBits",
      ]) as CryptoKeyPair;
      const pub = new Uint8Array(await subtle.exportKey("raw", kp.publicKey));
      return new X25519Share(kp.privateKey, pub);
    }
    const curve = NIST_GROUPS.get(group);
    if (!curve) throw new RangeError(`unsupported group 0x${group.toString(16)}`);
    const kp = await subtle.generateKey({ name: "ECDH", namedCurve: curve }, false, ["deriveBits"]);
    // WebCrypto's raw EC export is the uncompressed point, as RFC 8446 §4.2.8.2 requires.
    const pub = new Uint8Array(await subtle.exportKey("raw", kp.publicKey));
    return new EcdhShare(group, curve, kp.privateKey, pub);
  }

  /** The server's side of a key share: encapsulation for the hybrid, else DH. */
  async acceptKeyShare(
    group: NamedGroup,
    peerShare: Bytes,
  ): Promise<{ publicKey: Bytes; secret: Bytes }> {
    if (group !== NamedGroup.X25519MLKEM768) {
      const own = await this.generateKeyShare(group);
      return { publicKey: own.publicKey, secret: await own.agree(peerShare) };
    }
    // draft-ietf-tls-ecdhe-mlkem §3: the client sends ek || X25519 share, the server answers
    // ciphertext || X25519 share, and the secret is the ML-KEM one then the X25519 one.
    if (peerShare.byteLength !== MLKEM768_EK + 32) {
      throw new InvalidPeerKeyError("X25519MLKEM768 client share has the wrong length");
    }
    let encapsulated: { sharedKey: ArrayBuffer; ciphertext: ArrayBuffer };
    try {
      const ek = await subtle.importKey(
        "raw-public" as "raw",
        peerShare.subarray(0, MLKEM768_EK),
        MLKEM768,
        false,
        ENCAPSULATE,
      );
      encapsulated = await kem.encapsulateBits(MLKEM768, ek);
    } catch {
      throw new InvalidPeerKeyError("ML-KEM encapsulation key rejected");
    }
    const x25519 = await this.generateKeyShare(NamedGroup.x25519);
    const x25519Secret = await x25519.agree(peerShare.subarray(MLKEM768_EK));
    return {
      publicKey: concat(new Uint8Array(encapsulated.ciphertext), x25519.publicKey),
      secret: concat(new Uint8Array(encapsulated.sharedKey), x25519Secret),
    };
  }

  /**
   * Verifies `signature` over `message` by the key in `spki` under `scheme`. Returns false for a
   * bad signature, malformed DER, or a key that does not fit the scheme (RFC 8446 §4.2.3).
   */
  async verify(
    scheme: SignatureScheme,
    spki: Bytes,
    message: Bytes,
    signature: Bytes,
    options: VerifyOptions = {},
  ): Promise<boolean> {
    const info = SCHEMES.get(scheme);
    if (!info) return false;
    let parsed: Spki;
    try {
      parsed = parseSpki(spki);
    } catch (e) {
      if (e instanceof DecodeError) return false;
      throw e;
    }
    try {
      const prepared = this.#prepareVerify(info, parsed, spki, signature, options);
      if (!prepared) return false;
      const key = await subtle.importKey("spki", prepared.keyData, prepared.alg, false, ["verify"]);
      return await subtle.verify(signParams(info), key, prepared.sig, message);
    } catch {
      // A key WebCrypto refuses (bad encoding, unsupported size) does not fit the scheme.
      return false;
    }
  }

  /**
   * Decides whether the key may verify under the scheme, how WebCrypto should import it, and
   * the signature in WebCrypto's form; `undefined` when the key or signature cannot fit.
   */
  #prepareVerify(
    info: SchemeInfo,
    parsed: Spki,
    spki: Bytes,
    signature: Bytes,
    options: VerifyOptions,
  ):
    | { keyData: Bytes; alg: Algorithm | EcKeyImportParams | RsaHashedImportParams; sig: Bytes }
    | undefined {
    const { oid, params } = parsed.algorithm;
    switch (info.kind) {
      case "ed25519":
        // RFC 8410 §3: absent parameters; RFC 8032 §5.1.6: signatures are 64 bytes.
        if (oid !== KEY_OID.ed25519 || params || signature.byteLength !== 64) return undefined;
        return { keyData: spki, alg: { name: "Ed25519" }, sig: signature };
      case "ecdsa": {
        if (oid !== KEY_OID.ecPublicKey) return undefined;
        const curve = curveOf(params);
        if (!curve || (!options.anyCurve && curve !== info.curve)) return undefined;
        // The wire carries a DER ECDSA-Sig-Value (RFC 8446 §4.2.3); WebCrypto wants r || s.
        const sig = ecdsaDerToRaw(signature, FIELD_LEN[curve]);
        return sig && { keyData: spki, alg: { name: "ECDSA", namedCurve: curve }, sig };
      }
      case "rsa": {
        const alg = { name: info.family, hash: info.hash };
        if (!info.pssOid) {
          // RFC 8446 §4.2.3: rsae and pkcs1 schemes take rsaEncryption keys only.
          return oid === KEY_OID.rsaEncryption ? { keyData: spki, alg, sig: signature } : undefined;
        }
        // rsa_pss_pss: an id-RSASSA-PSS key whose parameters allow this hash and salt length,
        // imported as rsaEncryption because WebCrypto does not know the PSS OID.
        if (oid !== KEY_OID.rsassaPss) return undefined;
        if (!pssAllows(parsePssParams(params), info.hash)) return undefined;
        return { keyData: rsaEncryptionSpki(parsed.key), alg, sig: signature };
      }
    }
  }

  /**
   * Imports a PKCS#8 private key (RSA, RSASSA-PSS, EC P-256/384/521 or Ed25519). Throws
   * `TypeError` for an unsupported or malformed key.
   */
  async importSigningKey(pkcs8: Bytes): Promise<SigningKey> {
    let parsed;
    try {
      parsed = parsePkcs8(pkcs8);
    } catch (e) {
      if (e instanceof DecodeError) throw new TypeError("malformed PKCS#8 private key");
      throw e;
    }
    const { oid, params } = parsed.algorithm;
    try {
      if (oid === KEY_OID.ed25519) {
        const spki = await publicSpki(pkcs8, { name: "Ed25519" });
        const key = await subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
        return new WebCryptoSigningKey(
          { type: "ed25519", spki },
          new Map([[SignatureScheme.ed25519, key]]),
        );
      }
      if (oid === KEY_OID.ecPublicKey) {
        const curve = curveOf(params);
        if (!curve) throw new TypeError("unsupported EC curve");
        const alg = { name: "ECDSA", namedCurve: curve };
        const spki = await publicSpki(pkcs8, alg);
        const key = await subtle.importKey("pkcs8", pkcs8, alg, false, ["sign"]);
        return new WebCryptoSigningKey(
          { type: "ecdsa", curve, spki },
          new Map([[ECDSA_SCHEME[curve], key]]),
        );
      }
      if (oid === KEY_OID.rsaEncryption) return await importRsa(pkcs8, RSAE_ORDER, undefined);
      if (oid === KEY_OID.rsassaPss) {
        const pss = parsePssParams(params);
        if (!pss) throw new TypeError("RSASSA-PSS key parameters unusable in TLS");
        return await importRsa(rsaPkcs8FromPss(parsed), PSS_ORDER, {
          raw: parsed.algorithm.raw,
          pss,
        });
      }
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw new TypeError("private key rejected by WebCrypto");
    }
    throw new TypeError("unsupported private key algorithm");
  }

  /** Signs `message` under `scheme` with a key from {@link importSigningKey}; ECDSA as DER. */
  async sign(scheme: SignatureScheme, key: SigningKey, message: Bytes): Promise<Bytes> {
    if (!(key instanceof WebCryptoSigningKey)) throw new TypeError("key is not from this provider");
    const info = SCHEMES.get(scheme);
    const cryptoKey = key.key(scheme);
    if (!info || !cryptoKey) throw new TypeError("signature scheme does not fit the key");
    const sig = new Uint8Array(await subtle.sign(signParams(info), cryptoKey, message));
    return info.kind === "ecdsa" ? ecdsaRawToDer(sig) : sig;
  }
}

/** Whether an id-RSASSA-PSS key's parameters allow signing with `hash` (salt = hash length). */
function pssAllows(pss: PssParams | undefined, hash: HashAlgorithm): boolean {
  // RFC 4055 §3.1: the key's hash binds; its saltLength is the minimum the signer may use.
  return !!pss && (pss.hash === undefined || pss.hash === hash) &&
    pss.saltLength <= HASH_LENGTH[hash];
}

/** The SPKI of the public half of a PKCS#8 key, through a throwaway extractable import. */
async function publicSpki(
  pkcs8: Bytes,
  alg: Algorithm | EcKeyImportParams | RsaHashedImportParams,
): Promise<Bytes> {
  const priv = await subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]);
  const jwk = await subtle.exportKey("jwk", priv);
  const pub = await subtle.importKey("jwk", publicJwk(jwk), alg, true, ["verify"]);
  return new Uint8Array(await subtle.exportKey("spki", pub));
}

async function importRsa(
  pkcs8: Bytes,
  order: readonly SignatureScheme[],
  pssKey: { raw: Bytes; pss: PssParams } | undefined,
): Promise<SigningKey> {
  const probe = { name: "RSA-PSS", hash: "SHA-256" };
  const rsaSpki = await publicSpki(pkcs8, probe);
  const imported = await subtle.importKey("spki", rsaSpki, probe, false, ["verify"]);
  const bits = (imported.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  const emLen = Math.ceil((bits - 1) / 8);
  const usable = order.filter((s) => {
    const info = SCHEMES.get(s) as Extract<SchemeInfo, { kind: "rsa" }>;
    if (pssKey && !pssAllows(pssKey.pss, info.hash)) return false;
    // RFC 8017 §9.1.1: PSS needs emLen >= hLen + sLen + 2, with sLen = hLen here.
    return info.family !== "RSA-PSS" || emLen >= 2 * HASH_LENGTH[info.hash] + 2;
  });
  const keys = await Promise.all(usable.map((s) => {
    const info = SCHEMES.get(s) as Extract<SchemeInfo, { kind: "rsa" }>;
    return subtle.importKey("pkcs8", pkcs8, { name: info.family, hash: info.hash }, false, [
      "sign",
    ]);
  }));
  const spki = pssKey ? spkiWithAlgorithm(pssKey.raw, rsaSpki) : rsaSpki;
  return new WebCryptoSigningKey(
    { type: pssKey ? "rsa-pss" : "rsa", bits, spki },
    new Map(usable.map((s, i) => [s, keys[i]])),
  );
}

/** The shared default provider. */
export const defaultProvider: WebCryptoProvider = new WebCryptoProvider();
