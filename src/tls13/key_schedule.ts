/**
 * The TLS 1.3 key schedule, typed per stage (RFC 8446 §7.1): each secret is an instance of
 * its own class, so a handshake secret cannot be passed where an application traffic secret
 * is expected. Secrets carry their provider and hash, never print their bytes, and serialise
 * to a placeholder.
 * @module
 */
import { type Bytes, EMPTY, toHex, utf8 } from "../_bytes.ts";
import { Writer } from "../codec/writer.ts";
import { type CryptoProvider, HASH_LENGTH, type HashAlgorithm } from "../crypto/provider.ts";
import type { CipherSuite } from "../crypto/suites.ts";

/** HKDF-Expand-Label. RFC 8446 §7.1. */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Bytes,
  label: string,
  context: Bytes,
  length: number,
): Promise<Bytes> {
  // struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
  const info = new Writer(10 + label.length + context.byteLength)
    .u16(length)
    .opaque8(utf8("tls13 " + label))
    .opaque8(context)
    .finish();
  return provider.hkdfExpand(hash, secret, info, length);
}

/**
 * Derive-Secret(Secret, Label, Messages) with Transcript-Hash(Messages) already computed.
 * RFC 8446 §7.1.
 */
export function deriveSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Bytes,
  label: string,
  transcriptHash: Bytes,
): Promise<Bytes> {
  return hkdfExpandLabel(provider, hash, secret, label, transcriptHash, HASH_LENGTH[hash]);
}

const emptyHashes = new WeakMap<CryptoProvider, Map<HashAlgorithm, Promise<Bytes>>>();

/** Hash of the empty string ("Derive-Secret(., "derived", "")"), computed once per hash. */
function emptyHash(provider: CryptoProvider, hash: HashAlgorithm): Promise<Bytes> {
  let m = emptyHashes.get(provider);
  if (!m) emptyHashes.set(provider, m = new Map());
  let h = m.get(hash);
  if (!h) m.set(hash, h = provider.hash(hash, EMPTY));
  return h;
}

let reveal: (s: Secret) => Bytes;

/** A secret of the key schedule. Its bytes stay out of `toString()`, `inspect` and JSON. */
export abstract class Secret {
  /** The provider that derived it. */
  readonly provider: CryptoProvider;
  /** The hash of the negotiated suite. */
  readonly hash: HashAlgorithm;
  readonly #bytes: Bytes;
  #derived?: Promise<Bytes>;

  static {
    reveal = (s) => s.#bytes;
  }

  /**
   * @param provider the provider for later derivations
   * @param hash the suite's hash
   * @param bytes the secret value (kept, not copied)
   */
  constructor(provider: CryptoProvider, hash: HashAlgorithm, bytes: Bytes) {
    this.provider = provider;
    this.hash = hash;
    this.#bytes = bytes;
  }

  /** Never the bytes. */
  toString(): string {
    return `[${this.constructor.name}]`;
  }

  /** Never the bytes. */
  toJSON(): string {
    return this.toString();
  }

  /** Derive-Secret from this secret. */
  protected derive(label: string, transcriptHash: Bytes): Promise<Bytes> {
    return deriveSecret(this.provider, this.hash, this.#bytes, label, transcriptHash);
  }

  /** HKDF-Expand-Label from this secret. */
  protected expand(label: string, context: Bytes, length: number): Promise<Bytes> {
    return hkdfExpandLabel(this.provider, this.hash, this.#bytes, label, context, length);
  }

  /** Derive-Secret(this, "derived", "") then HKDF-Extract with `ikm`. RFC 8446 §7.1. */
  protected async extractNext(ikm: Bytes): Promise<Bytes> {
    // The "derived" salt depends on this secret alone: derive it once.
    this.#derived ??= emptyHash(this.provider, this.hash).then((h) => this.derive("derived", h));
    return this.provider.hkdfExtract(this.hash, await this.#derived, ikm);
  }
}

/**
 * The raw bytes of a secret, for the two places that need them: session serialisation (a
 * {@link Psk}) and the opt-in key log.
 */
export function exposeSecret(s: Secret): Bytes {
  return reveal(s);
}

/** A pre-shared key: external, or derived from a ticket (RFC 8446 §4.6.1). */
export class Psk extends Secret {
  #brand = "psk";

  /** A PSK from stored bytes (a session ticket's, or an external one). */
  static from(provider: CryptoProvider, hash: HashAlgorithm, bytes: Bytes): Psk {
    return new Psk(provider, hash, bytes);
  }
}

/** The PSK-less early secret per provider and hash (it is the same for every handshake). */
const zeroEarly = new WeakMap<CryptoProvider, Map<HashAlgorithm, Promise<EarlySecret>>>();

/** Early Secret = HKDF-Extract(0, PSK or zeros). RFC 8446 §7.1. */
export class EarlySecret extends Secret {
  #brand = "early";

  /**
   * Starts the schedule: with `psk`, or with HashLen zeros for a full handshake. Without a PSK
   * the early secret is a public constant, so that one (and its "derived" salt) is shared.
   */
  static async derive(
    provider: CryptoProvider,
    hash: HashAlgorithm,
    psk?: Psk,
  ): Promise<EarlySecret> {
    if (psk && psk.hash !== hash) throw new Error("PSK hash does not match the suite");
    if (psk) {
      return new EarlySecret(
        provider,
        hash,
        await provider.hkdfExtract(hash, EMPTY, exposeSecret(psk)),
      );
    }
    let byHash = zeroEarly.get(provider);
    if (!byHash) zeroEarly.set(provider, byHash = new Map());
    let early = byHash.get(hash);
    if (!early) {
      const zeros = new Uint8Array(HASH_LENGTH[hash]);
      early = provider.hkdfExtract(hash, EMPTY, zeros).then((b) =>
        new EarlySecret(provider, hash, b)
      );
      byHash.set(hash, early);
    }
    return await early;
  }

  /** binder_key: "res binder" for resumption PSKs, "ext binder" for external ones. */
  async binderKey(resumption: boolean): Promise<BinderKey> {
    const label = resumption ? "res binder" : "ext binder";
    const b = await this.derive(label, await emptyHash(this.provider, this.hash));
    return new BinderKey(this.provider, this.hash, b);
  }

  /** client_early_traffic_secret = Derive-Secret(., "c e traffic", ClientHello). */
  async clientEarlyTrafficSecret(clientHelloHash: Bytes): Promise<EarlyTrafficSecret> {
    const b = await this.derive("c e traffic", clientHelloHash);
    return new EarlyTrafficSecret(this.provider, this.hash, b);
  }

  /** early_exporter_master_secret = Derive-Secret(., "e exp master", ClientHello). */
  async earlyExporterMasterSecret(clientHelloHash: Bytes): Promise<ExporterSecret> {
    const b = await this.derive("e exp master", clientHelloHash);
    return new ExporterSecret(this.provider, this.hash, b);
  }

  /** Handshake Secret = HKDF-Extract(Derive-Secret(., "derived", ""), (EC)DHE). */
  async handshakeSecret(sharedSecret: Bytes): Promise<HandshakeSecret> {
    return new HandshakeSecret(this.provider, this.hash, await this.extractNext(sharedSecret));
  }
}

/** binder_key, the base key of the PSK binder's Finished computation. RFC 8446 §4.2.11.2. */
export class BinderKey extends Secret {
  #brand = "binder";
}

/** Handshake Secret. RFC 8446 §7.1. */
export class HandshakeSecret extends Secret {
  #brand = "handshake";
  #master?: Promise<MasterSecret>;

  /** client_handshake_traffic_secret = Derive-Secret(., "c hs traffic", CH..SH). */
  async clientHandshakeTrafficSecret(helloHash: Bytes): Promise<HandshakeTrafficSecret> {
    const b = await this.derive("c hs traffic", helloHash);
    return new HandshakeTrafficSecret(this.provider, this.hash, b);
  }

  /** server_handshake_traffic_secret = Derive-Secret(., "s hs traffic", CH..SH). */
  async serverHandshakeTrafficSecret(helloHash: Bytes): Promise<HandshakeTrafficSecret> {
    const b = await this.derive("s hs traffic", helloHash);
    return new HandshakeTrafficSecret(this.provider, this.hash, b);
  }

  /**
   * Master Secret = HKDF-Extract(Derive-Secret(., "derived", ""), 0). Computed once; a side
   * may start it early, while other work of the handshake is in flight.
   */
  masterSecret(): Promise<MasterSecret> {
    this.#master ??= this.extractNext(new Uint8Array(HASH_LENGTH[this.hash]))
      .then((b) => new MasterSecret(this.provider, this.hash, b));
    return this.#master;
  }
}

/** Master Secret. RFC 8446 §7.1. */
export class MasterSecret extends Secret {
  #brand = "master";

  /** client_application_traffic_secret_0 = Derive-Secret(., "c ap traffic", CH..server Fin). */
  async clientApplicationTrafficSecret(hash: Bytes): Promise<ApplicationTrafficSecret> {
    return new ApplicationTrafficSecret(
      this.provider,
      this.hash,
      await this.derive("c ap traffic", hash),
    );
  }

  /** server_application_traffic_secret_0 = Derive-Secret(., "s ap traffic", CH..server Fin). */
  async serverApplicationTrafficSecret(hash: Bytes): Promise<ApplicationTrafficSecret> {
    return new ApplicationTrafficSecret(
      this.provider,
      this.hash,
      await this.derive("s ap traffic", hash),
    );
  }

  /** exporter_master_secret = Derive-Secret(., "exp master", CH..server Fin). */
  async exporterMasterSecret(hash: Bytes): Promise<ExporterSecret> {
    return new ExporterSecret(this.provider, this.hash, await this.derive("exp master", hash));
  }

  /** resumption_master_secret = Derive-Secret(., "res master", CH..client Fin). */
  async resumptionMasterSecret(hash: Bytes): Promise<ResumptionMasterSecret> {
    return new ResumptionMasterSecret(
      this.provider,
      this.hash,
      await this.derive("res master", hash),
    );
  }
}

/** A secret from which record keys are derived (RFC 8446 §7.3). */
export abstract class TrafficSecret extends Secret {
  /** [sender]_write_key and [sender]_write_iv. RFC 8446 §7.3. */
  async keys(suite: CipherSuite): Promise<TrafficKeys> {
    if (suite.hash !== this.hash) throw new Error("suite hash does not match the secret");
    const [key, iv] = await Promise.all([
      this.expand("key", EMPTY, suite.keyLength),
      this.expand("iv", EMPTY, suite.ivLength),
    ]);
    return { key, iv };
  }
}

/** client_early_traffic_secret (0-RTT). */
export class EarlyTrafficSecret extends TrafficSecret {
  #brand = "early traffic";
}

/** A [sender]_handshake_traffic_secret. */
export class HandshakeTrafficSecret extends TrafficSecret {
  #brand = "handshake traffic";
}

/** A [sender]_application_traffic_secret_N. */
export class ApplicationTrafficSecret extends TrafficSecret {
  #brand = "application traffic";

  /** application_traffic_secret_N+1 = HKDF-Expand-Label(., "traffic upd", "", Hash.length). */
  async next(): Promise<ApplicationTrafficSecret> {
    const b = await this.expand("traffic upd", EMPTY, HASH_LENGTH[this.hash]);
    return new ApplicationTrafficSecret(this.provider, this.hash, b);
  }
}

/** An exporter_master_secret or early_exporter_master_secret. RFC 8446 §7.5. */
export class ExporterSecret extends Secret {
  #brand = "exporter";

  /**
   * TLS-Exporter(label, context_value, key_length) =
   * HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length).
   * RFC 8446 §7.5: no context and an empty context are the same.
   */
  async export(label: string, context: Bytes | undefined, length: number): Promise<Bytes> {
    const inner = await this.derive(label, await emptyHash(this.provider, this.hash));
    const ctxHash = await this.provider.hash(this.hash, context ?? EMPTY);
    return hkdfExpandLabel(this.provider, this.hash, inner, "exporter", ctxHash, length);
  }
}

/** resumption_master_secret. RFC 8446 §7.1. */
export class ResumptionMasterSecret extends Secret {
  #brand = "resumption";

  /** PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). RFC 8446 §4.6.1. */
  async psk(ticketNonce: Bytes): Promise<Psk> {
    return Psk.from(
      this.provider,
      this.hash,
      await this.expand("resumption", ticketNonce, HASH_LENGTH[this.hash]),
    );
  }
}

/** A record key and its IV (TLS 1.3: the per-record nonce base). */
export interface TrafficKeys {
  /** The AEAD key. */
  key: Bytes;
  /** The write IV. */
  iv: Bytes;
}

/** The Finished MAC key. RFC 8446 §4.4.4. */
export class FinishedKey extends Secret {
  #brand = "finished";

  /** verify_data = HMAC(finished_key, Transcript-Hash(...)). RFC 8446 §4.4.4. */
  verifyData(transcriptHash: Bytes): Promise<Bytes> {
    return this.provider.hmac(this.hash, exposeSecret(this), transcriptHash);
  }
}

/** application_traffic_secret_N+1 for KeyUpdate. RFC 8446 §7.2. */
export function nextTrafficSecret(s: ApplicationTrafficSecret): Promise<ApplicationTrafficSecret> {
  return s.next();
}

/** The record key and IV of a traffic secret for `suite`. RFC 8446 §7.3. */
export function trafficKeys(s: TrafficSecret, suite: CipherSuite): Promise<TrafficKeys> {
  return s.keys(suite);
}

/**
 * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length), BaseKey being a
 * handshake traffic secret (Finished), an application traffic secret (post-handshake
 * authentication) or a binder key (PSK binders). RFC 8446 §4.4.4, §4.2.11.2.
 */
export async function finishedKey(
  base: HandshakeTrafficSecret | ApplicationTrafficSecret | BinderKey,
): Promise<FinishedKey> {
  const b = await hkdfExpandLabel(
    base.provider,
    base.hash,
    exposeSecret(base),
    "finished",
    EMPTY,
    HASH_LENGTH[base.hash],
  );
  return new FinishedKey(base.provider, base.hash, b);
}

/** verify_data for a Finished message (or a PSK binder). RFC 8446 §4.4.4. */
export async function finishedVerifyData(
  base: HandshakeTrafficSecret | ApplicationTrafficSecret | BinderKey,
  transcriptHash: Bytes,
): Promise<Bytes> {
  return (await finishedKey(base)).verifyData(transcriptHash);
}

/** The PSK a ticket carries. RFC 8446 §4.6.1. */
export function resumptionPsk(rms: ResumptionMasterSecret, ticketNonce: Bytes): Promise<Psk> {
  return rms.psk(ticketNonce);
}

/** TLS-Exporter. RFC 8446 §7.5. */
export function exportKeyingMaterial(
  secret: ExporterSecret,
  label: string,
  context: Bytes | undefined,
  length: number,
): Promise<Bytes> {
  return secret.export(label, context, length);
}

/** NSS key log labels (TLS 1.3 secrets, and TLS 1.2's `CLIENT_RANDOM` master secret). */
export type KeyLogLabel =
  | "CLIENT_EARLY_TRAFFIC_SECRET"
  | "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
  | "SERVER_HANDSHAKE_TRAFFIC_SECRET"
  | "CLIENT_TRAFFIC_SECRET_0"
  | "SERVER_TRAFFIC_SECRET_0"
  | "EXPORTER_SECRET"
  | "CLIENT_RANDOM";

/**
 * One line of the NSS key log format: `<label> <client_random hex> <secret hex>` (no newline).
 * Only for the opt-in key log (`SSLContext.keylog_filename`); it writes a secret out.
 */
export function keyLogLine(
  label: KeyLogLabel,
  clientRandom: Bytes,
  secret: Secret | Bytes,
): string {
  const bytes = secret instanceof Secret ? exposeSecret(secret) : secret;
  return `${label} ${toHex(clientRandom)} ${toHex(bytes)}`;
}
