/**
 * What `SSLSocket` and `SSLObject` share: the engine, how it is started, and the accessors of
 * a connection's negotiated state in Python's shape.
 * @module
 */
import { copyBytes, toHex } from "../_bytes.ts";
import { NamedGroup, Version } from "../constants.ts";
import { suiteById } from "../crypto/suites.ts";
import type { ClientSession } from "../engine/config.ts";
import { Connection, NOT_STARTED } from "../engine/connection.ts";
import { newInfo } from "../engine/info.ts";
import { SSLError } from "../errors.ts";
import { startClient } from "../tls13/client.ts";
import { startServer } from "../tls13/server.ts";
import { Certificate } from "../x509/certificate.ts";
import { type PeerCertDict, peerCertDict } from "../x509/peer_cert.ts";
import { appendText } from "./_fs.ts";
import { CHANNEL_BINDING_TYPES } from "./constants.ts";
import type { SSLContext } from "./context.ts";
import { SSLSession } from "./session.ts";

/** Python's `cipher()` result: name, protocol, secret bits. */
export type CipherTuple = [name: string, protocol: string, secretBits: number];

/** Options shared by `wrapSocket` and `wrapBio`. */
export interface WrapOptions {
  /** Act as the server (default false). */
  serverSide?: boolean;
  /** The server's name: sent as SNI (unless an IP literal) and checked against its certificate. */
  serverHostname?: string;
  /** A session to resume (client side). */
  session?: SSLSession;
}

const keylogQueues = new WeakMap<SSLContext, Promise<void>>();

/** Shared state and accessors of an `SSLSocket` or `SSLObject`. */
export abstract class SSLBase {
  /** The context the connection was made from (a server's SNI callback may replace it). */
  context: SSLContext;
  /** True on the server side. */
  readonly serverSide: boolean;
  /** The host name given to `wrapSocket`/`wrapBio`, or null. */
  readonly serverHostname: string | null;
  #sessionIn: SSLSession | undefined;
  #session: SSLSession | undefined;
  #conn: Connection | undefined;
  #starting: Promise<Connection> | undefined;

  /** @ignore */
  protected constructor(context: SSLContext, options: WrapOptions) {
    this.context = context;
    this.serverSide = options.serverSide ?? false;
    this.serverHostname = options.serverHostname ?? null;
    this.#sessionIn = options.session;
    if (!this.serverSide && context.checkHostname && this.serverHostname === null) {
      throw new TypeError("check_hostname requires server_hostname");
    }
    if (this.serverSide && this.serverHostname !== null) {
      throw new TypeError("server_hostname can only be specified in client mode");
    }
  }

  /** @ignore The engine, started on first use. */
  protected _engine(): Promise<Connection> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** @ignore The engine if started. */
  protected get _conn(): Connection | undefined {
    return this.#conn;
  }

  async #start(): Promise<Connection> {
    const ctx = this.context;
    if (this.serverSide) {
      ctx._stats.accept++;
      const conn = new Connection("server", startServer(await ctx._serverConfig(this)), newInfo());
      this.#conn = conn;
      return conn;
    }
    ctx._stats.connect++;
    const cfg = await ctx._clientConfig(this.serverHostname ?? undefined, this.#sessionIn);
    const conn = new Connection("client", NOT_STARTED, newInfo());
    this.#conn = conn;
    await conn.start((cx) => startClient(cx, cfg));
    return conn;
  }

  /** @ignore Acts on the engine's events: sessions, key log lines, statistics. */
  protected _drainEvents(): void {
    const conn = this.#conn;
    if (!conn) return;
    for (const ev of conn.takeEvents()) {
      switch (ev.type) {
        case "session": {
          const ticket = ev.session as ClientSession;
          this.#session = new SSLSession(ticket, this.context.provider.random(32));
          break;
        }
        case "keylog":
          this.#keylog(ev.line);
          break;
        case "handshake-complete":
          if (this.serverSide) this.context._stats.accept_good++;
          else this.context._stats.connect_good++;
          if (conn.info.sessionReused) this.context._stats.hits++;
          else if (this.#sessionIn || conn.info.resumptionOffered) this.context._stats.misses++;
          break;
        case "ticket-expired":
          this.context._stats.timeouts++;
          break;
        case "key-update":
        case "client-authenticated":
          break;
      }
    }
  }

  #keylog(line: string): void {
    const ctx = this.context;
    ctx.onKeylog?.(line);
    const file = ctx.keylogFilename;
    if (file !== null) {
      // Appends are chained per context so lines keep their order; a failing key log file
      // must not break the connection.
      const prev = keylogQueues.get(ctx) ?? Promise.resolve();
      keylogQueues.set(ctx, prev.then(() => appendText(file, line + "\n")).catch(() => {}));
    }
  }

  /**
   * @ignore Resolves once the key log lines raised so far are in `keylogFilename`: the
   * handshake and `close()` wait for it, so a program that exits right after either (as
   * `openssl s_client` users do with the CLI) loses no line.
   */
  protected _keylogWritten(): Promise<void> {
    return keylogQueues.get(this.context) ?? Promise.resolve();
  }

  /** @ignore Sends what an action queued (the socket flushes, the object fills its BIO). */
  protected abstract _afterAction(): Promise<void>;

  /**
   * Sends a KeyUpdate (TLS 1.3): new write keys now, and new peer keys too when
   * `updateRequested`. RFC 8446 §4.6.3.
   */
  async keyUpdate(updateRequested = false): Promise<void> {
    const conn = await this._engine();
    try {
      await conn.keyUpdate(updateRequested);
    } finally {
      await this._afterAction();
    }
  }

  /**
   * Asks the client for a certificate after the handshake (TLS 1.3 post-handshake
   * authentication, Python's `verify_client_post_handshake()`). The client must have offered
   * it (`postHandshakeAuth` on its context); its answer is processed by later reads, after
   * which `getPeerCert()` shows the certificate.
   */
  async verifyClientPostHandshake(): Promise<void> {
    if (!this.serverSide) {
      throw new SSLError("NOT_SERVER", "verifyClientPostHandshake() is for the server side");
    }
    const conn = await this._engine();
    if (!conn.info.peerPostHandshakeAuth) {
      throw new SSLError(
        "EXTENSION_NOT_RECEIVED",
        "the client did not offer post-handshake authentication",
      );
    }
    try {
      await conn.requestClientCertificate();
    } finally {
      await this._afterAction();
    }
  }

  /** The session to resume later (client side; TLS 1.3 tickets arrive after the handshake). */
  get session(): SSLSession | null {
    return this.#session ?? null;
  }

  /** True when the handshake resumed a session. */
  get sessionReused(): boolean {
    return this.#conn?.info.sessionReused ?? false;
  }

  /** `TLSv1.3` or `TLSv1.2` once negotiated, else null. */
  version(): string | null {
    const conn = this.#conn;
    if (!conn?.handshakeComplete) return null;
    return conn.info.version === Version.TLS13 ? "TLSv1.3" : "TLSv1.2";
  }

  /** The negotiated suite as `[name, protocol, secretBits]` (Python's `cipher()`), else null. */
  cipher(): CipherTuple | null {
    const conn = this.#conn;
    const suite = conn?.info.cipherSuite !== undefined
      ? suiteById(conn.info.cipherSuite)
      : undefined;
    if (!suite || !conn?.handshakeComplete) return null;
    return [suite.opensslName, this.version()!, suite.secretBits];
  }

  /** The suites this side offered (client) or both sides share (server), as `cipher()` tuples. */
  sharedCiphers(): CipherTuple[] | null {
    if (!this.#conn?.handshakeComplete) return null;
    return this.context._suites().all.map((s) => [
      s.opensslName,
      s.version === Version.TLS13 ? "TLSv1.3" : "TLSv1.2",
      s.secretBits,
    ]);
  }

  /** TLS compression is never used (CRIME): always null. */
  compression(): null {
    return null;
  }

  /** The ALPN protocol selected, or null. */
  selectedAlpnProtocol(): string | null {
    return this.#conn?.info.alpn ?? null;
  }

  /** NPN is not implemented: always null. */
  selectedNpnProtocol(): null {
    return null;
  }

  /** The name of the key exchange group (`x25519`, `secp256r1`, …), or null. */
  group(): string | null {
    const g = this.#conn?.info.group;
    return g === undefined ? null : groupName(g);
  }

  /** The SNI host name: sent (client side) or received from the client (server side). */
  get serverName(): string | null {
    return this._conn?.info.serverName ?? null;
  }

  /** True when a HelloRetryRequest took place. */
  get helloRetryRequest(): boolean {
    return this.#conn?.info.helloRetryRequest ?? false;
  }

  /**
   * The peer's certificate. With `binaryForm` the DER bytes (even when unverified); otherwise
   * Python's dict, empty when the certificate was not verified, or null when none was sent.
   */
  getPeerCert(binaryForm: true): Uint8Array | null;
  /** The peer's certificate as Python's dict (empty when not verified), or null. */
  getPeerCert(binaryForm?: false): PeerCertDict | Record<string, never> | null;
  getPeerCert(binaryForm = false): Uint8Array | PeerCertDict | Record<string, never> | null {
    const conn = this.#conn;
    if (!conn?.handshakeComplete) {
      if (conn) throw new SSLError("HANDSHAKE_NOT_COMPLETE", "handshake not done yet");
      return null;
    }
    const der = conn.info.peerCertificates[0];
    if (!der) return null;
    if (binaryForm) return der.slice();
    if (conn.info.verifiedChain.length === 0) return {};
    return peerCertDict(Certificate.fromDer(der));
  }

  /** The verified chain, end-entity to anchor, as DER (empty when not verified). */
  getVerifiedChain(): Uint8Array[] {
    return (this.#conn?.info.verifiedChain ?? []).map((c) => c.slice());
  }

  /** The chain the peer sent, as DER. */
  getUnverifiedChain(): Uint8Array[] {
    return (this.#conn?.info.peerCertificates ?? []).map((c) => c.slice());
  }

  /**
   * Channel binding data (Python's `get_channel_binding()`): `tls-unique` (RFC 5929, the first
   * Finished; TLS 1.2 only, as RFC 9266 §1 leaves it undefined for TLS 1.3, where this
   * returns null) or `tls-exporter` (RFC 9266, both versions). Null before the handshake.
   */
  async getChannelBinding(cbType = "tls-unique"): Promise<Uint8Array | null> {
    if (!CHANNEL_BINDING_TYPES.includes(cbType)) {
      throw new TypeError(`${cbType} channel binding type not implemented`);
    }
    const conn = this.#conn;
    if (!conn?.handshakeComplete) return null;
    if (cbType === "tls-exporter") {
      return await conn.exportKeyingMaterial("EXPORTER-Channel-Binding", new Uint8Array(0), 32);
    }
    return conn.info.tlsUnique?.slice() ?? null;
  }

  /**
   * Keying material for the application (RFC 5705 for TLS 1.2, RFC 8446 §7.5 for TLS 1.3):
   * `length` bytes for `label` and an optional `context`.
   */
  async exportKeyingMaterial(
    label: string,
    length: number,
    context?: Uint8Array,
  ): Promise<Uint8Array> {
    const conn = await this._engine();
    return await conn.exportKeyingMaterial(label, context ? copyBytes(context) : undefined, length);
  }

  /** Bytes of decrypted application data ready to read. */
  pending(): number {
    return this.#conn?.pendingApplicationData ?? 0;
  }

  /** A short description for logs (no secrets). */
  toString(): string {
    const side = this.serverSide ? "server" : "client";
    const random = this.#conn?.info.clientRandom;
    return `<${this.constructor.name} ${side} ${this.version() ?? "handshaking"}` +
      (random ? ` ${toHex(random).slice(0, 8)}>` : ">");
  }
}

/** The name of a named group as OpenSSL prints it (`x25519`, `secp256r1`, …). */
export function groupName(group: number): string {
  return NamedGroup[group] ?? `0x${group.toString(16).padStart(4, "0")}`;
}
