/**
 * Drives the real TLS 1.3 client (`Connection` + `startClient`) through the RFC 8448 traces.
 *
 * A deterministic {@link TraceProvider} wraps the WebCrypto provider: `random()` returns the
 * trace's client random and `generateKeyShare(x25519)` the trace's client key. Our ClientHello
 * cannot be byte-identical to the trace's (its NSS client also sends renegotiation_info and
 * session_ticket, and orders extensions differently), yet the trace's keys all hang off
 * Transcript-Hash(ClientHello, …). So the provider can *bridge*: when asked to hash a
 * transcript, it presents the trace's message in place of ours, message for message; and when
 * a decrypted record starts with a trace message our client did not ask for (§4's
 * EncryptedExtensions accepts early_data), it hands the client our version of it. Every bridge is explicit in the test that installs it; everything else — key schedule,
 * record protection, certificate and Finished checks, the bytes the client sends — is the
 * client's own code on the trace's bytes.
 * @module
 */
import { type Bytes, concat, equal, fromHex, toBase64 } from "../../src/_bytes.ts";
import {
  ExtensionType,
  HandshakeType,
  NamedGroup,
  type SignatureScheme,
} from "../../src/constants.ts";
import type {
  AeadAlgorithm,
  AeadKey,
  CryptoProvider,
  HashAlgorithm,
  KeyShare,
  SigningKey,
} from "../../src/crypto/provider.ts";
import { type CipherSuite, suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import type { ClientConfig } from "../../src/engine/config.ts";
import { Connection, type EngineLimits, NOT_STARTED } from "../../src/engine/connection.ts";
import { newInfo } from "../../src/engine/info.ts";
import { decodeClientHello } from "../../src/messages/client_hello.ts";
import {
  findExtension,
  parseExtension,
  readSignatureAlgorithms,
  readSupportedGroups,
} from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import {
  decodeEncryptedExtensions,
  encodeEncryptedExtensions,
} from "../../src/messages/server_hello.ts";
import { startClient } from "../../src/tls13/client.ts";
import { Certificate } from "../../src/x509/certificate.ts";
import { simple1Rtt as V } from "../vectors/rfc8448.ts";

/** PKCS#8 `PrivateKeyInfo` for X25519 (RFC 8410 §7) up to the 32-byte key. */
const X25519_PKCS8_PREFIX = fromHex("302e020100300506032b656e04220420");

/** A key share made from a known X25519 private key (the trace's), through WebCrypto. */
export async function x25519Share(privateKey: Bytes, publicKey: Bytes): Promise<KeyShare> {
  const priv = await crypto.subtle.importKey(
    "pkcs8",
    concat(X25519_PKCS8_PREFIX, privateKey),
    { name: "X25519" },
    true,
    ["deriveBits"],
  );
  // The trace's public key must be the one this private key has.
  const { x } = await crypto.subtle.exportKey("jwk", priv);
  const expected = toBase64(publicKey).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  if (x !== expected) throw new Error("the X25519 private key does not match its public key");
  return {
    group: NamedGroup.x25519,
    publicKey,
    async agree(peer: Bytes): Promise<Bytes> {
      const pub = await crypto.subtle.importKey("raw", peer, { name: "X25519" }, false, []);
      return new Uint8Array(
        await crypto.subtle.deriveBits({ name: "X25519", public: pub }, priv, 256),
      );
    },
  };
}

/** One substitution: `from` (ours) stands for `to` (the trace's). */
interface Bridge {
  from: Bytes;
  to: Bytes;
}

function startsWith(data: Bytes, prefix: Bytes): boolean {
  return data.byteLength >= prefix.byteLength && equal(data.subarray(0, prefix.byteLength), prefix);
}

/** The WebCrypto provider with the trace's randomness and key shares, and bridges. */
export class TraceProvider implements CryptoProvider {
  readonly #inner: CryptoProvider = defaultProvider;
  readonly #randoms: Bytes[];
  readonly #shares: KeyShare[];
  readonly #hashBridges: Bridge[] = [];
  readonly #plaintextBridges: Bridge[] = [];
  /** Every input the client asked to hash, before bridging. */
  readonly hashed: Bytes[] = [];

  /**
   * @param randoms what successive `random()` calls return, in order
   * @param shares what `generateKeyShare()` returns, by group
   */
  constructor(randoms: Bytes[], shares: KeyShare[]) {
    this.#randoms = [...randoms];
    this.#shares = shares;
  }

  /**
   * Wherever `ours` appears as a whole handshake message in a hashed transcript (or is the
   * whole input, as a truncated ClientHello for a PSK binder is), hash `trace` instead.
   */
  bridgeTranscript(ours: Bytes, trace: Bytes): void {
    this.#hashBridges.push({ from: ours, to: trace });
  }

  /**
   * A decrypted record that starts with `trace` is handed on starting with `ours` instead;
   * the transcript then hashes `trace` where the client saw `ours`.
   */
  bridgeDecrypted(trace: Bytes, ours: Bytes): void {
    this.#plaintextBridges.push({ from: trace, to: ours });
    this.bridgeTranscript(ours, trace);
  }

  #rewrite(data: Bytes): Bytes {
    const parts: Bytes[] = [];
    for (let o = 0; o < data.byteLength;) {
      const len = o + 4 <= data.byteLength
        ? (data[o + 1] << 16) | (data[o + 2] << 8) | data[o + 3]
        : data.byteLength;
      const end = Math.min(data.byteLength, o + 4 + len);
      const msg = data.subarray(o, end);
      parts.push(this.#hashBridges.find((b) => equal(b.from, msg))?.to ?? msg);
      o = end;
    }
    return concat(...parts);
  }

  random(n: number): Bytes {
    const next = this.#randoms.shift();
    if (next?.byteLength !== n) throw new Error(`unexpected random(${n}) call`);
    return next;
  }

  hash(alg: HashAlgorithm, data: Bytes): Promise<Bytes> {
    this.hashed.push(data.slice());
    return this.#inner.hash(alg, this.#rewrite(data));
  }

  hmac(alg: HashAlgorithm, key: Bytes, data: Bytes): Promise<Bytes> {
    return this.#inner.hmac(alg, key, data);
  }

  hkdfExtract(alg: HashAlgorithm, salt: Bytes, ikm: Bytes): Promise<Bytes> {
    return this.#inner.hkdfExtract(alg, salt, ikm);
  }

  hkdfExpand(alg: HashAlgorithm, prk: Bytes, info: Bytes, length: number): Promise<Bytes> {
    return this.#inner.hkdfExpand(alg, prk, info, length);
  }

  async aead(alg: AeadAlgorithm, key: Bytes): Promise<AeadKey> {
    const inner = await this.#inner.aead(alg, key);
    const bridges = this.#plaintextBridges;
    return {
      seal: (nonce, aad, plaintext) => inner.seal(nonce, aad, plaintext),
      async open(nonce, aad, ciphertext) {
        const plain = await inner.open(nonce, aad, ciphertext);
        const b = plain && bridges.find((b) => startsWith(plain, b.from));
        return b ? concat(b.to, plain!.subarray(b.from.byteLength)) : plain;
      },
    };
  }

  supportsAead(alg: AeadAlgorithm): boolean {
    return this.#inner.supportsAead(alg);
  }

  supportedGroups(): readonly NamedGroup[] {
    return this.#inner.supportedGroups();
  }

  generateKeyShare(group: NamedGroup): Promise<KeyShare> {
    const share = this.#shares.find((s) => s.group === group);
    if (!share) return Promise.reject(new Error(`no trace key share for group ${group}`));
    return Promise.resolve(share);
  }

  /** A server replaying a trace answers with the trace's key share for the group. */
  async acceptKeyShare(
    group: NamedGroup,
    peerShare: Bytes,
  ): Promise<{ publicKey: Bytes; secret: Bytes }> {
    const own = await this.generateKeyShare(group);
    return { publicKey: own.publicKey, secret: await own.agree(peerShare) };
  }

  verify(scheme: SignatureScheme, spki: Bytes, message: Bytes, signature: Bytes): Promise<boolean> {
    return this.#inner.verify(scheme, spki, message, signature);
  }

  importSigningKey(pkcs8: Bytes): Promise<SigningKey> {
    return this.#inner.importSigningKey(pkcs8);
  }

  sign(scheme: SignatureScheme, key: SigningKey, message: Bytes): Promise<Bytes> {
    return this.#inner.sign(scheme, key, message);
  }
}

/** The trace's certificate (self-signed, expired in 2026: accepted by identity only). */
export const TRACE_CERTIFICATE: Bytes = V.certificate.subarray(11, 11 + 432);

/**
 * The client settings of RFC 8448's client, read from its §3 ClientHello: suites, groups and
 * signature schemes in its order, SNI "server", TLS 1.3 only, no middlebox compatibility.
 */
export function traceConfig(provider: CryptoProvider, now: number): ClientConfig {
  const ch = decodeClientHello(V.clientHello.subarray(4));
  const ext = (type: ExtensionType) => findExtension(ch.extensions, type)!;
  const schemes = parseExtension(ext(ExtensionType.signature_algorithms), readSignatureAlgorithms);
  return {
    provider,
    sniHostname: "server",
    minVersion: 0x0304,
    maxVersion: 0x0304,
    suites13: ch.cipherSuites.map((id) => suiteById(id) as CipherSuite),
    suites12: [],
    groups: parseExtension(ext(ExtensionType.supported_groups), readSupportedGroups),
    keyShareGroups: [NamedGroup.x25519],
    signatureSchemes: schemes,
    certSignatureSchemes: schemes,
    alpnProtocols: [],
    verifyPeer(chain: Bytes[]) {
      if (chain.length !== 1 || !equal(chain[0], TRACE_CERTIFICATE)) {
        throw new Error("not the trace's certificate");
      }
      const leaf = Certificate.fromDer(chain[0]);
      return {
        leafSpki: leaf.spki,
        leafKeyType: leaf.publicKey.type,
        verifiedChain: Promise.resolve(chain),
      };
    },
    requireExtendedMasterSecret: false,
    legacyServerConnect: false,
    sessionTickets: false,
    middleboxCompat: false,
    postHandshakeAuth: false,
    keyLog: true,
    now: () => now,
  };
}

/**
 * `message` (an EncryptedExtensions) without the extensions in `drop`: what the trace's server
 * would have sent our client, which does not offer them.
 */
export function withoutExtensions(message: Bytes, drop: readonly number[]): Bytes {
  const exts = decodeEncryptedExtensions(message.subarray(4)).filter((e) => !drop.includes(e.type));
  return frameHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(exts)).raw;
}

/** When the trace's §3 client sends its ClientHello (any fixed instant will do). */
export const TRACE_NOW = Date.UTC(2016, 6, 30, 1, 24);

/** A client started on §3's settings, its ClientHello taken and bridged to the trace's. */
export interface TraceClient {
  /** The engine. */
  conn: Connection;
  /** Its provider. */
  provider: TraceProvider;
  /** The ClientHello record it sent. */
  clientHelloRecord: Bytes;
}

/**
 * Starts a client with RFC 8448 §3's settings, takes its ClientHello and bridges it to the
 * trace's.
 */
export async function startTraceClient(
  options: { limits?: Partial<EngineLimits> } = {},
): Promise<TraceClient> {
  const random = decodeClientHello(V.clientHello.subarray(4)).random;
  const provider = new TraceProvider([random], [
    await x25519Share(V.clientPrivateKey, V.clientPublicKey),
  ]);
  const cfg = traceConfig(provider, TRACE_NOW);
  const conn = new Connection("client", NOT_STARTED, newInfo(), options.limits);
  await conn.start((cx) => startClient(cx, cfg));
  const clientHelloRecord = conn.takeOutgoing();
  provider.bridgeTranscript(clientHelloRecord.subarray(5), V.clientHello);
  return { conn, provider, clientHelloRecord };
}

/** A §3 client that has completed the handshake on the trace's records. */
export async function connectedTraceClient(
  limits?: Partial<EngineLimits>,
): Promise<TraceClient & { finishedRecord: Bytes }> {
  const client = await startTraceClient({ limits });
  client.conn.receive(V.serverHelloRecord);
  client.conn.receive(V.serverHandshakeRecord);
  await client.conn.process();
  return { ...client, finishedRecord: client.conn.takeOutgoing() };
}
