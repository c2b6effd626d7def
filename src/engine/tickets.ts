/**
 * Stateless session tickets: the server's session state, encrypted and authenticated with a
 * ticket key that rotates, so the server keeps nothing per session. RFC 8446 §4.6.1 leaves
 * the format to the server; RFC 5077 §4 describes the recommended construction.
 * @module
 */
import { type Bytes, concat, equal, fromUtf8, utf8 } from "../_bytes.ts";
import { DecodeError, Reader } from "../codec/reader.ts";
import { Writer } from "../codec/writer.ts";
import type { AeadKey, CryptoProvider } from "../crypto/provider.ts";
import type { TicketContents, TicketSealer } from "./config.ts";

const KEY_ID_LEN = 4;
const NONCE_LEN = 12;
const FORMAT = 2;

interface TicketKey {
  id: Bytes;
  aead: AeadKey;
  createdAt: number;
}

/**
 * Ticket keys of one server context. A new key is made every `rotation` ms; tickets sealed
 * under the current or the previous key open, so a ticket stays usable for at least one
 * rotation period (set it to the ticket lifetime).
 */
export class RotatingTicketKeys implements TicketSealer {
  readonly #provider: CryptoProvider;
  readonly #rotation: number;
  readonly #now: () => number;
  #current?: Promise<TicketKey>;
  #previous?: Promise<TicketKey>;

  /**
   * @param provider where keys and randomness come from
   * @param rotationMs how long a key seals new tickets
   * @param now the clock
   */
  constructor(provider: CryptoProvider, rotationMs: number, now: () => number = Date.now) {
    this.#provider = provider;
    this.#rotation = rotationMs;
    this.#now = now;
  }

  async #newKey(): Promise<TicketKey> {
    const p = this.#provider;
    return {
      id: p.random(KEY_ID_LEN),
      aead: await p.aead("AES-256-GCM", p.random(32)),
      createdAt: this.#now(),
    };
  }

  /** The key sealing new tickets, rotated when its time is up. */
  async #sealingKey(): Promise<TicketKey> {
    this.#current ??= this.#newKey();
    const key = await this.#current;
    if (this.#now() - key.createdAt >= this.#rotation) {
      this.#previous = this.#current;
      this.#current = this.#newKey();
      return await this.#current;
    }
    return key;
  }

  /** Encrypts `contents`: key id || nonce || AES-256-GCM(contents), the key id as AAD. */
  async seal(contents: TicketContents): Promise<Bytes> {
    const key = await this.#sealingKey();
    const nonce = this.#provider.random(NONCE_LEN);
    const sealed = await key.aead.seal(nonce, key.id, encodeContents(contents));
    return concat(key.id, nonce, sealed);
  }

  /** Decrypts a ticket sealed by the current or previous key; undefined otherwise. */
  async open(ticket: Bytes): Promise<TicketContents | undefined> {
    if (ticket.byteLength < KEY_ID_LEN + NONCE_LEN + 16) return undefined;
    await this.#sealingKey();
    const id = ticket.subarray(0, KEY_ID_LEN);
    for (const candidate of [this.#current, this.#previous]) {
      const key = await candidate;
      if (!key || !equal(key.id, id)) continue;
      const plain = await key.aead.open(
        ticket.subarray(KEY_ID_LEN, KEY_ID_LEN + NONCE_LEN),
        key.id,
        ticket.subarray(KEY_ID_LEN + NONCE_LEN),
      );
      if (!plain) return undefined;
      try {
        return decodeContents(plain);
      } catch (e) {
        if (e instanceof DecodeError) return undefined;
        throw e;
      }
    }
    return undefined;
  }
}

function encodeContents(c: TicketContents): Bytes {
  const w = new Writer(256);
  w.u8(FORMAT).u16(c.version).u16(c.cipherSuite).opaque8(c.psk).u8(c.extendedMasterSecret ? 1 : 0);
  w.u64(BigInt(c.issuedAt)).u32(c.ageAdd).u32(c.lifetime);
  w.opaque8(utf8(c.alpn ?? "")).opaque8(utf8(c.serverName ?? ""));
  for (const list of [c.peerCertificates, c.verifiedChain ?? []]) {
    w.vec24((l) => {
      for (const cert of list) l.opaque24(cert);
    });
  }
  return w.finish();
}

function readCertificates(r: Reader): Bytes[] {
  const list = r.sub24();
  const certs: Bytes[] = [];
  while (list.remaining) certs.push(list.vec24().slice());
  return certs;
}

function decodeContents(b: Bytes): TicketContents {
  const r = new Reader(b);
  if (r.u8() !== FORMAT) throw new DecodeError("unknown ticket format");
  const version = r.u16();
  const cipherSuite = r.u16();
  const psk = r.vec8().slice();
  const extendedMasterSecret = r.u8() === 1;
  const issuedAt = Number(r.u64());
  const ageAdd = r.u32();
  const lifetime = r.u32();
  const alpn = fromUtf8(r.vec8()) || null;
  const serverName = fromUtf8(r.vec8()) || undefined;
  const peerCertificates = readCertificates(r);
  const verifiedChain = readCertificates(r);
  r.end();
  return {
    version,
    cipherSuite,
    psk,
    extendedMasterSecret,
    issuedAt,
    ageAdd,
    lifetime,
    alpn,
    serverName,
    peerCertificates,
    verifiedChain,
  };
}
