/**
 * The TLS 1.2 PRF and what is derived with it: master secret (RFC 5246 §8.1), extended master
 * secret (RFC 7627 §4), key block (RFC 5246 §6.3), Finished verify_data (RFC 5246 §7.4.9) and
 * exporters (RFC 5705 §4).
 * @module
 */
import { type Bytes, concat, uintBE, utf8 } from "../_bytes.ts";
import { type CryptoProvider, HASH_LENGTH, type HashAlgorithm } from "../crypto/provider.ts";
import type { CipherSuite } from "../crypto/suites.ts";

/**
 * P_hash(secret, seed): A(0) = seed, A(i) = HMAC(secret, A(i-1)), output the concatenation of
 * HMAC(secret, A(i) + seed), truncated to `length`. RFC 5246 §5.
 */
export async function pHash(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Bytes,
  seed: Bytes,
  length: number,
): Promise<Bytes> {
  const n = Math.ceil(length / HASH_LENGTH[hash]);
  const blocks: Promise<Bytes>[] = [];
  let a = seed;
  for (let i = 0; i < n; i++) {
    a = await provider.hmac(hash, secret, a);
    // The output block needs only A(i): let it run while the chain computes A(i+1).
    blocks.push(provider.hmac(hash, secret, concat(a, seed)));
  }
  const out = concat(...await Promise.all(blocks));
  return out.byteLength === length ? out : out.slice(0, length);
}

/** PRF(secret, label, seed) = P_<hash>(secret, label + seed). RFC 5246 §5. */
export function prf(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Bytes,
  label: string,
  seed: Bytes,
  length: number,
): Promise<Bytes> {
  return pHash(provider, hash, secret, concat(utf8(label), seed), length);
}

/** The record keys of both directions, for an AEAD suite (no MAC keys). RFC 5246 §6.3. */
export interface KeyBlock {
  /** client_write_key */
  clientKey: Bytes;
  /** server_write_key */
  serverKey: Bytes;
  /** client_write_IV (the implicit salt for AES-GCM, RFC 5288 §3) */
  clientIv: Bytes;
  /** server_write_IV */
  serverIv: Bytes;
}

let reveal: (s: MasterSecret12) => Bytes;

/** A TLS 1.2 master secret. Its bytes stay out of `toString()` and JSON. */
export class MasterSecret12 {
  /** The provider that derived it. */
  readonly provider: CryptoProvider;
  /** The suite's PRF hash. */
  readonly hash: HashAlgorithm;
  readonly #bytes: Bytes;

  static {
    reveal = (s) => s.#bytes;
  }

  /**
   * @param provider the provider for later derivations
   * @param hash the suite's PRF hash
   * @param bytes the 48-byte master secret (from a session, or derived)
   */
  constructor(provider: CryptoProvider, hash: HashAlgorithm, bytes: Bytes) {
    if (bytes.byteLength !== 48) throw new RangeError("master secret must be 48 bytes");
    this.provider = provider;
    this.hash = hash;
    this.#bytes = bytes;
  }

  /**
   * master_secret = PRF(pre_master_secret, "master secret", client_random + server_random).
   * RFC 5246 §8.1.
   */
  static async derive(
    provider: CryptoProvider,
    hash: HashAlgorithm,
    preMasterSecret: Bytes,
    clientRandom: Bytes,
    serverRandom: Bytes,
  ): Promise<MasterSecret12> {
    const seed = concat(clientRandom, serverRandom);
    const ms = await prf(provider, hash, preMasterSecret, "master secret", seed, 48);
    return new MasterSecret12(provider, hash, ms);
  }

  /**
   * master_secret = PRF(pre_master_secret, "extended master secret", session_hash), where
   * session_hash hashes the handshake up to and including ClientKeyExchange. RFC 7627 §4.
   */
  static async deriveExtended(
    provider: CryptoProvider,
    hash: HashAlgorithm,
    preMasterSecret: Bytes,
    sessionHash: Bytes,
  ): Promise<MasterSecret12> {
    const ms = await prf(
      provider,
      hash,
      preMasterSecret,
      "extended master secret",
      sessionHash,
      48,
    );
    return new MasterSecret12(provider, hash, ms);
  }

  /**
   * key_block = PRF(master_secret, "key expansion", server_random + client_random), split
   * into the write keys and IVs of an AEAD suite. RFC 5246 §6.3.
   */
  async keyBlock(suite: CipherSuite, clientRandom: Bytes, serverRandom: Bytes): Promise<KeyBlock> {
    if (suite.hash !== this.hash) throw new Error("suite hash does not match the master secret");
    const k = suite.keyLength, v = suite.ivLength;
    const seed = concat(serverRandom, clientRandom);
    const b = await prf(this.provider, this.hash, this.#bytes, "key expansion", seed, 2 * (k + v));
    return {
      clientKey: b.slice(0, k),
      serverKey: b.slice(k, 2 * k),
      clientIv: b.slice(2 * k, 2 * k + v),
      serverIv: b.slice(2 * k + v, 2 * (k + v)),
    };
  }

  /**
   * verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11].
   * RFC 5246 §7.4.9.
   */
  finishedVerifyData(sender: "client" | "server", handshakeHash: Bytes): Promise<Bytes> {
    const label = sender === "client" ? "client finished" : "server finished";
    return prf(this.provider, this.hash, this.#bytes, label, handshakeHash, 12);
  }

  /**
   * Keying material exporter: PRF(master_secret, label, client_random + server_random
   * [+ context_value_length + context_value]). RFC 5705 §4: no context differs from an empty
   * one.
   */
  export(
    label: string,
    context: Bytes | undefined,
    length: number,
    clientRandom: Bytes,
    serverRandom: Bytes,
  ): Promise<Bytes> {
    if (context && context.byteLength > 0xffff) throw new RangeError("exporter context too long");
    const seed = context === undefined
      ? concat(clientRandom, serverRandom)
      : concat(clientRandom, serverRandom, uintBE(context.byteLength, 2), context);
    return prf(this.provider, this.hash, this.#bytes, label, seed, length);
  }

  /** Never the bytes. */
  toString(): string {
    return "[MasterSecret12]";
  }

  /** Never the bytes. */
  toJSON(): string {
    return this.toString();
  }
}

/** The raw master secret, for session serialisation and the opt-in key log (`CLIENT_RANDOM`). */
export function exposeMasterSecret(s: MasterSecret12): Bytes {
  return reveal(s);
}
