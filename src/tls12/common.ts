/**
 * What the TLS 1.2 client and server share: the session keys and record states derived from
 * the master secret, Finished values, the ServerKeyExchange signed content, and which
 * signature schemes fit which keys. RFC 5246, RFC 8422, RFC 7627.
 * @module
 */
import { type Bytes, concat } from "../_bytes.ts";
import { ExtensionType as E, SignatureScheme as S } from "../constants.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import type { CipherSuite } from "../crypto/suites.ts";
import type { Connection, HandshakeState } from "../engine/connection.ts";
import { HandshakeType as H } from "../constants.ts";
import type { HandshakeMessage } from "../messages/handshake.ts";
import { decodeEmpty } from "../messages/tls12.ts";
import { unexpectedMessage } from "../tls13/common.ts";
import { keyLogLine } from "../tls13/key_schedule.ts";
import { RecordProtection12 } from "../record/protection12.ts";
import { exposeMasterSecret, type KeyBlock, MasterSecret12 } from "./prf.ts";

/**
 * Schemes valid for TLS 1.2 signatures here: no SHA-1 (RFC 9155 deprecates it) and no MD5.
 * RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.3, RFC 8446 §4.2.3 (PSS and EdDSA in TLS 1.2).
 */
export function validForTls12Signature(scheme: number): boolean {
  switch (scheme) {
    case S.ecdsa_secp256r1_sha256:
    case S.ecdsa_secp384r1_sha384:
    case S.ecdsa_secp521r1_sha512:
    case S.rsa_pss_rsae_sha256:
    case S.rsa_pss_rsae_sha384:
    case S.rsa_pss_rsae_sha512:
    case S.rsa_pss_pss_sha256:
    case S.rsa_pss_pss_sha384:
    case S.rsa_pss_pss_sha512:
    case S.rsa_pkcs1_sha256:
    case S.rsa_pkcs1_sha384:
    case S.rsa_pkcs1_sha512:
    case S.ed25519:
      return true;
    default:
      return false;
  }
}

/** The key family a scheme signs with. */
export function schemeKeyType(scheme: number): "ecdsa" | "rsa" | "rsa-pss" | "ed25519" | undefined {
  switch (scheme) {
    case S.ecdsa_secp256r1_sha256:
    case S.ecdsa_secp384r1_sha384:
    case S.ecdsa_secp521r1_sha512:
      return "ecdsa";
    case S.rsa_pss_pss_sha256:
    case S.rsa_pss_pss_sha384:
    case S.rsa_pss_pss_sha512:
      return "rsa-pss";
    case S.rsa_pss_rsae_sha256:
    case S.rsa_pss_rsae_sha384:
    case S.rsa_pss_rsae_sha512:
    case S.rsa_pkcs1_sha256:
    case S.rsa_pkcs1_sha384:
    case S.rsa_pkcs1_sha512:
      return "rsa";
    case S.ed25519:
      return "ed25519";
    default:
      return undefined;
  }
}

/**
 * Whether a certificate key fits the suite's authentication: ECDHE_ECDSA takes ECDSA and
 * EdDSA keys (RFC 8422 §3), ECDHE_RSA takes RSA keys (RFC 5246 §7.4.2).
 */
export function keyFitsSuite(keyType: string, suite: CipherSuite): boolean {
  return suite.auth === "ECDSA"
    ? keyType === "ecdsa" || keyType === "ed25519"
    : keyType === "rsa" || keyType === "rsa-pss";
}

/** The ServerKeyExchange signed content: client_random + server_random + params. RFC 8422 §5.4. */
export function serverKeyExchangeContent(
  clientRandom: Bytes,
  serverRandom: Bytes,
  params: Bytes,
): Bytes {
  return concat(clientRandom, serverRandom, params);
}

/** Extensions that only exist in TLS 1.3 and are illegal in a TLS 1.2 ServerHello. */
export const TLS13_ONLY_EXTENSIONS: ReadonlySet<number> = new Set([
  E.key_share,
  E.pre_shared_key,
  E.supported_versions,
  E.cookie,
  E.early_data,
  E.psk_key_exchange_modes,
  E.post_handshake_auth,
]);

/**
 * One TLS 1.2 connection's master secret and the record states derived from it. Both sides
 * use it; `side` says whose write direction is whose.
 */
export class Tls12Keys {
  readonly #cx: Connection;
  readonly #suite: CipherSuite;
  readonly #side: "client" | "server";
  readonly #master: MasterSecret12;
  readonly #clientRandom: Bytes;
  readonly #serverRandom: Bytes;
  #block?: Promise<KeyBlock>;

  /**
   * @param cx the engine whose record states this switches
   * @param suite the negotiated suite
   * @param side which side this is
   * @param master the session's master secret
   * @param randoms ClientHello.random and ServerHello.random
   */
  constructor(
    cx: Connection,
    suite: CipherSuite,
    side: "client" | "server",
    master: MasterSecret12,
    randoms: { client: Bytes; server: Bytes },
  ) {
    this.#cx = cx;
    this.#suite = suite;
    this.#side = side;
    this.#master = master;
    this.#clientRandom = randoms.client;
    this.#serverRandom = randoms.server;
  }

  /**
   * Derives the master secret from the ECDHE shared secret: the extended master secret over
   * the session hash (RFC 7627 §4) or the RFC 5246 §8.1 one over the randoms.
   */
  static async derive(
    cx: Connection,
    provider: CryptoProvider,
    suite: CipherSuite,
    side: "client" | "server",
    preMasterSecret: Bytes,
    randoms: { client: Bytes; server: Bytes },
    sessionHash: Bytes | undefined,
  ): Promise<Tls12Keys> {
    const master = sessionHash
      ? await MasterSecret12.deriveExtended(provider, suite.hash, preMasterSecret, sessionHash)
      : await MasterSecret12.derive(
        provider,
        suite.hash,
        preMasterSecret,
        randoms.client,
        randoms.server,
      );
    return new Tls12Keys(cx, suite, side, master, randoms);
  }

  /** The master secret's bytes, for the session store and the key log only. */
  get masterSecretBytes(): Bytes {
    return exposeMasterSecret(this.#master);
  }

  /** Emits the NSS `CLIENT_RANDOM` line when the key log is on. */
  keyLog(enabled: boolean): void {
    if (enabled) {
      this.#cx.emit({
        type: "keylog",
        line: keyLogLine("CLIENT_RANDOM", this.#clientRandom, this.masterSecretBytes),
      });
    }
  }

  #keyBlock(): Promise<KeyBlock> {
    this.#block ??= this.#master.keyBlock(this.#suite, this.#clientRandom, this.#serverRandom);
    return this.#block;
  }

  /** Switches writes to this side's keys (after sending ChangeCipherSpec). RFC 5246 §7.1. */
  async useWriteKeys(provider: CryptoProvider): Promise<void> {
    const b = await this.#keyBlock();
    const own = this.#side === "client"
      ? { key: b.clientKey, iv: b.clientIv }
      : { key: b.serverKey, iv: b.serverIv };
    await this.#cx.setWriter(await RecordProtection12.create(provider, this.#suite, own));
  }

  /** Switches reads to the peer's keys (on its ChangeCipherSpec). RFC 5246 §7.1. */
  async useReadKeys(provider: CryptoProvider): Promise<void> {
    const b = await this.#keyBlock();
    const peer = this.#side === "client"
      ? { key: b.serverKey, iv: b.serverIv }
      : { key: b.clientKey, iv: b.clientIv };
    this.#cx.setReader(await RecordProtection12.create(provider, this.#suite, peer));
  }

  /** verify_data of `sender`'s Finished over the handshake hash. RFC 5246 §7.4.9. */
  finished(sender: "client" | "server", handshakeHash: Bytes): Promise<Bytes> {
    return this.#master.finishedVerifyData(sender, handshakeHash);
  }

  /** RFC 5705 keying material exporter. */
  exportKeyingMaterial(label: string, context: Bytes | undefined, length: number): Promise<Bytes> {
    return this.#master.export(label, context, length, this.#clientRandom, this.#serverRandom);
  }
}

/** An established TLS 1.2 connection: renegotiation is refused politely. */
export class Connected12 implements HandshakeState {
  readonly name = "connected";

  /**
   * RFC 5246 §7.4.1.1, RFC 5746 §4.5: a server's HelloRequest, or a client's ClientHello, is
   * answered with a no_renegotiation warning. Only servers send HelloRequest and only clients
   * ClientHello; anything else is unexpected.
   */
  handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    const renegotiation = cx.side === "client" ? H.hello_request : H.client_hello;
    if (msg.type !== renegotiation) throw unexpectedMessage(msg.type, this.name);
    if (msg.type === H.hello_request) decodeEmpty(msg.body, "HelloRequest");
    cx.refuseRenegotiation();
    return Promise.resolve(this);
  }
}
