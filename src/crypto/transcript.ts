/**
 * The handshake transcript. WebCrypto has no incremental hash, so the message bytes are kept
 * in one growing buffer and hashed on demand; the last digest is cached until a message is
 * added. RFC 8446 §4.4.1, RFC 5246 §7.4.9.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { HandshakeType } from "../constants.ts";
import { type CryptoProvider, HASH_LENGTH, type HashAlgorithm } from "./provider.ts";

/**
 * The running transcript of one handshake. The hash may be chosen after messages were added
 * (a client adds its ClientHello before the server picks the suite).
 */
export class Transcript {
  readonly #provider: CryptoProvider;
  #alg?: HashAlgorithm;
  #buf: Bytes = new Uint8Array(4096);
  #len = 0;
  #count = 0;
  #cache?: { len: number; digest: Promise<Bytes> };
  #released = false;

  /**
   * @param provider where the digests come from
   * @param hash the transcript hash, when already known
   */
  constructor(provider: CryptoProvider, hash?: HashAlgorithm) {
    this.#provider = provider;
    if (hash) this.#alg = hash;
  }

  /** The hash, once chosen. */
  get hashAlgorithm(): HashAlgorithm | undefined {
    return this.#alg;
  }

  /** Chooses the hash (the negotiated suite's). Choosing a different one later is a bug. */
  setHash(alg: HashAlgorithm): void {
    if (this.#alg !== undefined && this.#alg !== alg) {
      throw new Error("transcript hash already chosen");
    }
    this.#alg = alg;
  }

  /** Number of handshake messages added. */
  get messageCount(): number {
    return this.#count;
  }

  /** Total bytes of the messages added. */
  get length(): number {
    return this.#len;
  }

  /** Appends one complete handshake message (header included), copying its bytes. */
  add(message: Uint8Array): void {
    if (this.#released) throw new Error("transcript already released");
    if (this.#len + message.byteLength > this.#buf.byteLength) {
      let cap = Math.max(256, this.#buf.byteLength * 2);
      while (cap < this.#len + message.byteLength) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(message, this.#len);
    this.#len += message.byteLength;
    this.#count++;
  }

  /**
   * A copy of every message so far, concatenated (TLS 1.2 CertificateVerify signs these bytes,
   * RFC 5246 §7.4.8).
   */
  messages(): Bytes {
    if (this.#released) throw new Error("transcript already released");
    return this.#buf.slice(0, this.#len);
  }

  #hashAlg(): HashAlgorithm {
    if (this.#released) throw new Error("transcript already released");
    if (!this.#alg) throw new Error("transcript hash not chosen yet");
    return this.#alg;
  }

  /** Transcript-Hash of the messages so far; asking again without new messages hashes once. */
  hash(): Promise<Bytes> {
    let alg: HashAlgorithm;
    try {
      alg = this.#hashAlg();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#cache?.len !== this.#len) {
      // Appends never overwrite bytes already written, so a view is safe to hash lazily.
      this.#cache = {
        len: this.#len,
        digest: this.#provider.hash(alg, this.#buf.subarray(0, this.#len)),
      };
    }
    return this.#cache.digest;
  }

  /**
   * Hash of the transcript followed by `extra`, without adding it: the PSK binder hashes the
   * ClientHello truncated before the binders (RFC 8446 §4.2.11.2).
   */
  async hashWith(extra: Uint8Array): Promise<Bytes> {
    const alg = this.#hashAlg();
    const data = new Uint8Array(this.#len + extra.byteLength);
    data.set(this.#buf.subarray(0, this.#len));
    data.set(extra, this.#len);
    return await this.#provider.hash(alg, data);
  }

  /**
   * Frees the messages once nothing will hash them again (after the handshake, without
   * post-handshake authentication); hashing afterwards is a bug and throws.
   */
  release(): void {
    this.#buf = new Uint8Array(0);
    this.#len = 0;
    this.#cache = undefined;
    this.#released = true;
  }

  /**
   * Replaces ClientHello1, the only message so far, with the synthetic `message_hash`
   * message: handshake type 254, length Hash.length, then Hash(ClientHello1). Call it on
   * HelloRetryRequest, before adding the HRR. RFC 8446 §4.4.1.
   */
  async replaceWithMessageHash(): Promise<void> {
    if (this.#count !== 1) throw new Error("message_hash replaces exactly ClientHello1");
    const alg = this.#hashAlg();
    const digest = await this.hash();
    const n = HASH_LENGTH[alg];
    const synthetic = new Uint8Array(4 + n);
    synthetic[0] = HandshakeType.message_hash;
    synthetic[3] = n;
    synthetic.set(digest, 4);
    this.#len = 0;
    this.#count = 0;
    this.#cache = undefined;
    this.add(synthetic);
  }
}
