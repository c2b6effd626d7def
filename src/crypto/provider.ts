/**
 * The cryptography the protocol needs, behind one interface. The default implementation is
 * WebCrypto (`webcrypto.ts`); another provider (a native binding, or one adding
 * ChaCha20-Poly1305) can replace it per `SSLContext`.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import type { NamedGroup, SignatureScheme } from "../constants.ts";

/** Hash functions the protocol uses. */
export type HashAlgorithm = "SHA-256" | "SHA-384" | "SHA-512";

/** Output length in bytes of each hash (Hash.length in RFC 8446). */
export const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
};

/** AEAD algorithms the record layer uses. */
export type AeadAlgorithm = "AES-128-GCM" | "AES-256-GCM" | "CHACHA20-POLY1305";

/** An AEAD key imported once per traffic secret. */
export interface AeadKey {
  /** Encrypts `plaintext`; returns ciphertext followed by the 16-byte tag. */
  seal(nonce: Bytes, aad: Bytes, plaintext: Bytes): Promise<Bytes>;
  /** Decrypts and authenticates; returns `null` when authentication fails. */
  open(nonce: Bytes, aad: Bytes, ciphertext: Bytes): Promise<Bytes | null>;
}

/** One side's ephemeral key for a named group. */
export interface KeyShare {
  /** The group. */
  readonly group: NamedGroup;
  /** The public value as sent in key_share / ServerKeyExchange. */
  readonly publicKey: Bytes;
  /**
   * Computes the shared secret with the peer's public value. Throws `InvalidPeerKeyError` when
   * the peer's value is malformed or not on the curve (the caller sends illegal_parameter).
   */
  agree(peerPublicKey: Bytes): Promise<Bytes>;
}

/** A private key ready to sign handshake messages. */
export interface SigningKey {
  /** Key family. */
  readonly type: "rsa" | "rsa-pss" | "ecdsa" | "ed25519";
  /** For ECDSA: the curve. */
  readonly curve?: "P-256" | "P-384" | "P-521";
  /** For RSA: modulus length in bits. */
  readonly bits?: number;
  /** The signature schemes this key can produce, in preference order. */
  readonly schemes: readonly SignatureScheme[];
  /** SubjectPublicKeyInfo (DER) of the matching public key. */
  readonly spki: Bytes;
}

/** Options of `CryptoProvider.verify`. */
export interface VerifyOptions {
  /**
   * Accept an ECDSA scheme whatever the key's curve, as TLS 1.2 does (its schemes name only
   * the hash, RFC 5246 §7.4.1.4.1); TLS 1.3 binds the curve (RFC 8446 §4.2.3).
   */
  anyCurve?: boolean;
}

/** Thrown by `KeyShare.agree` for a malformed or invalid peer public value. */
export class InvalidPeerKeyError extends Error {
  /** @param message what was wrong */
  constructor(message: string) {
    super(message);
    this.name = "InvalidPeerKeyError";
  }
}

/** The cryptographic operations of TLS 1.2 and 1.3. All randomness comes from `random`. */
export interface CryptoProvider {
  /** Resolves once optional algorithms have been detected (some need an async probe). */
  ready?(): Promise<void>;
  /** `n` bytes from a cryptographically secure generator. */
  random(n: number): Bytes;
  /** Digest of `data`. */
  hash(alg: HashAlgorithm, data: Bytes): Promise<Bytes>;
  /** HMAC of `data` under `key` (an empty key is allowed and means HashLen zero bytes). */
  hmac(alg: HashAlgorithm, key: Bytes, data: Bytes): Promise<Bytes>;
  /** HKDF-Extract. RFC 5869 §2.2. */
  hkdfExtract(alg: HashAlgorithm, salt: Bytes, ikm: Bytes): Promise<Bytes>;
  /** HKDF-Expand. RFC 5869 §2.3. */
  hkdfExpand(alg: HashAlgorithm, prk: Bytes, info: Bytes, length: number): Promise<Bytes>;
  /** Imports a traffic key. */
  aead(alg: AeadAlgorithm, key: Bytes): Promise<AeadKey>;
  /** The AEAD algorithms this provider can run. */
  supportsAead(alg: AeadAlgorithm): boolean;
  /** The groups this provider can run, in no particular order. */
  supportedGroups(): readonly NamedGroup[];
  /** Generates an ephemeral key for `group` (the client's side of a key share). */
  generateKeyShare(group: NamedGroup): Promise<KeyShare>;
  /**
   * The server's side of a TLS 1.3 key share: its reply to the client's `peerShare` and the
   * shared secret. For Diffie-Hellman groups a fresh key pair and the agreement; for KEM
   * hybrids (X25519MLKEM768) an encapsulation to the client's key. Throws
   * `InvalidPeerKeyError` for a malformed share.
   */
  acceptKeyShare(group: NamedGroup, peerShare: Bytes): Promise<{ publicKey: Bytes; secret: Bytes }>;
  /**
   * Verifies a handshake signature made with `scheme` by the key in `spki` (DER
   * SubjectPublicKeyInfo). ECDSA signatures are DER-encoded as on the wire. Returns false for
   * a bad signature or a key that does not fit the scheme.
   */
  verify(
    scheme: SignatureScheme,
    spki: Bytes,
    message: Bytes,
    signature: Bytes,
    options?: VerifyOptions,
  ): Promise<boolean>;
  /** Imports a PKCS#8 private key for signing. Throws for an unsupported key type. */
  importSigningKey(pkcs8: Bytes): Promise<SigningKey>;
  /** Signs `message` with `key` under `scheme` (ECDSA output DER-encoded, as on the wire). */
  sign(scheme: SignatureScheme, key: SigningKey, message: Bytes): Promise<Bytes>;
}
