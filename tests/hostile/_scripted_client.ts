/**
 * A scripted TLS 1.3 client for hostile-input tests against our server. It is built from the
 * library's own codecs, key schedule and record protection, so it completes real handshakes
 * (full, HelloRetryRequest, PSK resumption, client certificates), yet every step is an
 * explicit call a test makes in whatever order it likes, and each message or record can be
 * altered on the way out:
 *
 * - `clientHello({ edit })` edits the decoded ClientHello before it is encoded;
 * - `sendHandshake(msg, { fragments })` cuts a message into records of chosen sizes;
 * - `sendRecord` / `sendProtected` / `sendRaw` put any record (or any bytes) on the wire;
 * - `finish({ certificate, signature, verifyData })` alters the client's second flight;
 * - `onRecord` rewrites every framed record just before it is written.
 *
 * Incoming records are followed the way a client would: plaintext until the ServerHello, then
 * the server handshake traffic key, the server application traffic key after its Finished and
 * the next one after each KeyUpdate. So `readAlert()` reads the alert the server sent whether
 * it travelled in plaintext or under either of the server's keys.
 *
 * The transport is a `Wire` of _wire.ts: TCP through node:net (Deno, Bun and Node alike), or
 * a server `Connection` fed directly, to look at its buffers between records.
 */
import { type Bytes, concat, constantTimeEqual, EMPTY } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { Reader } from "../../src/codec/reader.ts";
import {
  ContentType,
  ExtensionType as E,
  HandshakeType as H,
  NamedGroup,
  PskKeyExchangeMode,
  SignatureScheme,
  Version,
} from "../../src/constants.ts";
import type { KeyShare, SigningKey } from "../../src/crypto/provider.ts";
import { type CipherSuite, suiteById } from "../../src/crypto/suites.ts";
import { Transcript } from "../../src/crypto/transcript.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import {
  decodeCertificateRequest13,
  encodeCertificate13,
  encodeCertificateVerify,
} from "../../src/messages/certificate.ts";
import {
  type ClientHello,
  clientHelloMessage,
  truncateForBinders,
} from "../../src/messages/client_hello.ts";
import {
  alpnExtension,
  bindersLength,
  cookieExtension,
  type Extension,
  findExtension,
  keyShareClientExtension,
  parseExtension,
  preSharedKeyClientExtension,
  pskModesExtension,
  readCookie,
  readKeyShareEntry,
  serverNameExtension,
  signatureAlgorithmsExtension,
  supportedGroupsExtension,
  supportedVersionsClientExtension,
} from "../../src/messages/extensions.ts";
import { frameHandshake, type HandshakeMessage } from "../../src/messages/handshake.ts";
import {
  decodeNewSessionTicket13,
  encodeKeyUpdate,
  type NewSessionTicket13,
} from "../../src/messages/post_handshake.ts";
import { decodeServerHello, isHelloRetryRequest } from "../../src/messages/server_hello.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import { certificateVerifyContent } from "../../src/tls13/common.ts";
import {
  type ApplicationTrafficSecret,
  EarlySecret,
  exposeSecret,
  finishedVerifyData,
  type HandshakeSecret,
  type HandshakeTrafficSecret,
  type MasterSecret,
  Psk,
  type ResumptionMasterSecret,
} from "../../src/tls13/key_schedule.ts";
import { type TcpWire, tcpWire, type Wire } from "./_wire.ts";

const provider = defaultProvider;

/** Something the server sent, as the scripted client understood it. */
export type Incoming =
  | { kind: "handshake"; msg: HandshakeMessage; protected: boolean }
  | { kind: "ccs" }
  | { kind: "alert"; level: number; description: number; protected: boolean }
  | { kind: "data"; data: Bytes }
  /** A protected record the client has no key for (e.g. it sent a corrupted key share). */
  | { kind: "undecryptable"; raw: Bytes }
  | { kind: "eof" };

/** An alert received from the server. */
export interface ReceivedAlert {
  level: number;
  description: number;
  /** True when it came in a protected record. */
  protected: boolean;
}

/** A NewSessionTicket with the PSK it yields. RFC 8446 §4.6.1. */
export interface Ticket {
  nst: NewSessionTicket13;
  /** The resumption PSK (HKDF-Expand-Label(resumption_master_secret, "resumption", nonce)). */
  psk: Bytes;
  suite: CipherSuite;
  receivedAt: number;
}

/** What the first ClientHello offers; defaults make a plain, valid TLS 1.3 hello. */
export interface HelloOptions {
  /** Cipher suites (default TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384). */
  suites?: number[];
  /** supported_groups (default x25519, secp256r1). */
  groups?: number[];
  /** Groups to send key shares for (default x25519). */
  keyShares?: number[];
  /** signature_algorithms (default ECDSA P-256, RSA-PSS, Ed25519). */
  signatureSchemes?: number[];
  /** SNI (default "localhost"; null for none). */
  serverName?: string | null;
  /** supported_versions (default [TLS 1.3]). */
  versions?: number[];
  /** legacy_session_id (default 32 random bytes, as in middlebox compatibility mode). */
  sessionId?: Bytes;
  alpn?: string[];
  /** A ticket to offer, and an optional change to its (correct) binder. */
  psk?: { ticket: Ticket; binder?: (binder: Bytes) => Bytes };
  /** Edits the hello before it is encoded (and before the PSK binder is computed). */
  edit?: (ch: ClientHello) => void;
}

/** A client certificate for `finish()`. */
export interface ClientAuth {
  /** DER chain, end-entity first; empty sends an empty Certificate. */
  chain: Bytes[];
  /** The end-entity key; without it no CertificateVerify is sent. */
  key?: SigningKey;
  /** The scheme to sign with (default the key's first). */
  scheme?: number;
  /** The scheme the CertificateVerify names, when it should not be the one signed with. */
  announce?: number;
  /** Alters the signature before it is sent. */
  signature?: (sig: Bytes) => Bytes;
}

/** Options of {@link ScriptedClient.finish}. */
export interface FinishOptions {
  /** Answers a CertificateRequest (default: an empty Certificate when one was received). */
  certificate?: ClientAuth;
  /** Alters verify_data before it is sent. */
  verifyData?: (vd: Bytes) => Bytes;
  /** Record sizes for the Finished message (see `sendHandshake`). */
  fragments?: number[];
  /** Runs between the Finished message's records. */
  between?: (index: number) => void | Promise<void>;
}

const DEFAULT_SUITES = [0x1301, 0x1302];
const DEFAULT_GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1];
const DEFAULT_SCHEMES = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.ed25519,
];

/** Frames `body` as one record. */
export function recordOf(type: number, body: Uint8Array, version: number = Version.TLS12): Bytes {
  const out = new Uint8Array(5 + body.byteLength);
  out[0] = type;
  out[1] = version >> 8;
  out[2] = version & 0xff;
  out[3] = body.byteLength >> 8;
  out[4] = body.byteLength & 0xff;
  out.set(body, 5);
  return out;
}

/**
 * One TLS 1.3 client connection driven step by step. Not a general client: it assumes one
 * handshake per connection and leaves every decision (what to send, when) to the test.
 */
export class ScriptedClient {
  readonly wire: Wire;
  /** Rewrites every framed record (plaintext or protected) just before it is written. */
  onRecord?: (record: Bytes) => Uint8Array;
  /** Session tickets received so far. */
  readonly tickets: Ticket[] = [];
  /** The first ClientHello as last built, and the second after a HelloRetryRequest. */
  hello?: ClientHello;
  /** The HelloRetryRequest's requests, once one arrived. */
  hrr?: { suite: CipherSuite; group?: number; cookie?: Bytes };
  /** The suite of the ServerHello. */
  suite?: CipherSuite;
  /** True when the server accepted the offered PSK. */
  resumed = false;
  /** The server's CertificateRequest context, when it sent one in the handshake. */
  certificateRequest?: { context: Bytes };
  /** Whether the server's Finished verified (undefined until it arrived). */
  serverFinishedValid?: boolean;

  #transcript = new Transcript(provider);
  #shares: KeyShare[] = [];
  #offeredPsk?: Ticket;
  #firstRecord = true;
  #writer?: RecordProtection13;
  #reader?: RecordProtection13;
  #readerBroken = false;
  #hsSecret?: HandshakeSecret;
  #clientHs?: HandshakeTrafficSecret;
  #serverHs?: HandshakeTrafficSecret;
  #master?: MasterSecret;
  #clientAp?: ApplicationTrafficSecret;
  #serverAp?: ApplicationTrafficSecret;
  #resumption?: ResumptionMasterSecret;
  #batch?: Bytes[];
  #inbox: Bytes = EMPTY;
  #hsBuffer: Bytes = EMPTY;
  #events: Incoming[] = [];
  #eof = false;

  constructor(wire: Wire) {
    this.wire = wire;
  }

  /** Connects over TCP to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<ScriptedClient & { wire: TcpWire }> {
    return new ScriptedClient(await tcpWire(port)) as ScriptedClient & { wire: TcpWire };
  }

  // ------------------------------------------------------------------ building messages

  /** Builds the first ClientHello (not sent); generates the key shares it carries. */
  async clientHello(opts: HelloOptions = {}): Promise<HandshakeMessage> {
    const groups = opts.groups ?? DEFAULT_GROUPS;
    this.#shares = await Promise.all(
      (opts.keyShares ?? [NamedGroup.x25519]).map((g) => provider.generateKeyShare(g)),
    );
    const exts: Extension[] = [];
    const name = opts.serverName === undefined ? "localhost" : opts.serverName;
    if (name !== null) exts.push(serverNameExtension(name));
    exts.push(supportedGroupsExtension(groups));
    exts.push(signatureAlgorithmsExtension(opts.signatureSchemes ?? DEFAULT_SCHEMES));
    if (opts.alpn) exts.push(alpnExtension(opts.alpn));
    exts.push(supportedVersionsClientExtension(opts.versions ?? [Version.TLS13]));
    exts.push(pskModesExtension([PskKeyExchangeMode.psk_dhe_ke]));
    exts.push(keyShareClientExtension(this.#shares.map((s) => ({
      group: s.group,
      keyExchange: s.publicKey,
    }))));
    const hello: ClientHello = {
      legacyVersion: Version.TLS12,
      random: provider.random(32),
      sessionId: opts.sessionId ?? provider.random(32),
      cipherSuites: opts.suites ?? DEFAULT_SUITES,
      compressionMethods: [0],
      extensions: exts,
    };
    opts.edit?.(hello);
    this.hello = hello;
    this.#offeredPsk = opts.psk?.ticket;
    return opts.psk ? await this.#withBinder(hello, opts.psk) : clientHelloMessage(hello);
  }

  /**
   * The second ClientHello after a HelloRetryRequest: the first with a fresh share for the
   * requested group and the cookie echoed (RFC 8446 §4.1.2), then `edit` applied.
   */
  async secondHello(edit?: (ch: ClientHello) => void): Promise<HandshakeMessage> {
    if (!this.hello || !this.hrr) throw new Error("secondHello needs a HelloRetryRequest");
    if (this.hrr.group !== undefined) {
      this.#shares = [await provider.generateKeyShare(this.hrr.group)];
    }
    const keyShare = keyShareClientExtension(
      this.#shares.map((s) => ({ group: s.group, keyExchange: s.publicKey })),
    );
    const exts = this.hello.extensions
      .filter((e) => e.type !== E.cookie && e.type !== E.early_data && e.type !== E.pre_shared_key)
      .map((e) => e.type === E.key_share ? keyShare : e);
    if (this.hrr.cookie) exts.push(cookieExtension(this.hrr.cookie));
    const hello: ClientHello = { ...this.hello, extensions: exts };
    edit?.(hello);
    this.hello = hello;
    this.#offeredPsk = undefined;
    return clientHelloMessage(hello);
  }

  /** Appends pre_shared_key with a correct binder (then `psk.binder` may spoil it). */
  async #withBinder(
    hello: ClientHello,
    psk: { ticket: Ticket; binder?: (b: Bytes) => Bytes },
  ): Promise<HandshakeMessage> {
    const t = psk.ticket;
    const hash = t.suite.hash;
    const hashLen = t.psk.byteLength;
    const age = (Date.now() - t.receivedAt + t.nst.ageAdd) >>> 0;
    const identities = [{ identity: t.nst.ticket, obfuscatedTicketAge: age }];
    hello.extensions.push(
      preSharedKeyClientExtension({ identities, binders: [new Uint8Array(hashLen)] }),
    );
    const draft = clientHelloMessage(hello);
    const truncated = truncateForBinders(draft.raw, bindersLength([hashLen]));
    const early = await EarlySecret.derive(provider, hash, Psk.from(provider, hash, t.psk));
    const prefix = new Transcript(provider, hash);
    const binder = await finishedVerifyData(
      await early.binderKey(true),
      await prefix.hashWith(truncated),
    );
    hello.extensions[hello.extensions.length - 1] = preSharedKeyClientExtension({
      identities,
      binders: [psk.binder ? psk.binder(binder) : binder],
    });
    return clientHelloMessage(hello);
  }

  // ------------------------------------------------------------------ sending

  /** Writes bytes as they are (no record framing, no hook). */
  sendRaw(bytes: Uint8Array): void {
    const b = new Uint8Array(bytes);
    if (this.#batch) this.#batch.push(b);
    else this.wire.write(b);
  }

  /**
   * Runs `fn`, sending everything it writes in one write, as a client sends a flight. (A
   * server that fails on the first message closes the connection; a later separate write
   * would meet the reset, and node:net drops what was still unread, the alert included.)
   */
  async flight<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#batch) return await fn();
    const batch: Bytes[] = [];
    this.#batch = batch;
    try {
      return await fn();
    } finally {
      this.#batch = undefined;
      if (batch.length) this.wire.write(concat(...batch));
    }
  }

  #write(record: Bytes): void {
    this.sendRaw(this.onRecord ? this.onRecord(record) : record);
  }

  /** Sends one plaintext record (any type, any body, any version). */
  sendRecord(type: number, body: Uint8Array, version: number = Version.TLS12): void {
    this.#firstRecord = false;
    this.#write(recordOf(type, body, version));
  }

  /**
   * Sends `data` of `type` under the current write key, with `padding` zero bytes per record;
   * `maxPlaintext` raises the content a record may carry (to build oversized records).
   */
  async sendProtected(
    type: ContentType,
    data: Uint8Array,
    opts: { padding?: number; maxPlaintext?: number } = {},
  ): Promise<void> {
    const w = this.#writer;
    if (!w) throw new Error("no write key yet");
    const limit = w.maxPlaintext;
    if (opts.maxPlaintext !== undefined) w.maxPlaintext = opts.maxPlaintext;
    try {
      this.#write(await w.seal(type, new Uint8Array(data), opts.padding ?? 0));
    } finally {
      w.maxPlaintext = limit;
    }
  }

  /**
   * Sends a handshake message (adding it to the transcript), in records of the sizes in `fragments` (the last size repeats), plaintext before the
   * ServerHello, protected after. The first plaintext record carries legacy_record_version
   * 0x0301, as common clients send it (RFC 8446 §5.1). `between` runs between fragments (to
   * interleave other records). All of it leaves in one write (see `flight`).
   */
  async sendHandshake(
    msg: HandshakeMessage,
    opts: {
      fragments?: number[];
      between?: (index: number) => void | Promise<void>;
    } = {},
  ): Promise<void> {
    this.#transcript.add(msg.raw);
    const sizes = opts.fragments ?? [16384];
    const data = msg.raw;
    await this.flight(async () => {
      for (let off = 0, i = 0; off < data.byteLength; i++) {
        if (i > 0) await opts.between?.(i);
        const n = Math.min(sizes[Math.min(i, sizes.length - 1)], data.byteLength - off);
        const part = data.subarray(off, off + n);
        off += n;
        if (this.#writer) {
          await this.sendProtected(ContentType.handshake, part);
        } else {
          const version = this.#firstRecord ? 0x0301 : Version.TLS12;
          this.sendRecord(ContentType.handshake, part, version);
        }
      }
    });
  }

  /**
   * Adopts ClientHello bytes sent with `sendRaw` (e.g. a mutated recording): if they still
   * hold exactly one ClientHello, it enters the transcript and `shares` are taken as the
   * private halves of its key shares, so the server's answer can be decrypted.
   */
  adoptHello(records: Uint8Array, shares: KeyShare[]): void {
    let data: Bytes = EMPTY;
    for (let off = 0; off + 5 <= records.byteLength;) {
      const len = (records[off + 3] << 8) | records[off + 4];
      if (records[off] !== ContentType.handshake || off + 5 + len > records.byteLength) return;
      data = concat(data, records.subarray(off + 5, off + 5 + len));
      off += 5 + len;
    }
    if (data.byteLength < 4 || data[0] !== H.client_hello) return;
    const len = (data[1] << 16) | (data[2] << 8) | data[3];
    if (data.byteLength !== 4 + len) return;
    this.#transcript.add(data);
    this.#shares = shares;
  }

  /** The private halves of the key shares last offered. */
  get shares(): readonly KeyShare[] {
    return this.#shares;
  }

  /**
   * The client's second flight: Certificate and CertificateVerify when the server asked,
   * then Finished; switches to the application traffic keys. RFC 8446 §4.4.
   */
  finish(opts: FinishOptions = {}): Promise<void> {
    return this.flight(() => this.#finish(opts));
  }

  async #finish(opts: FinishOptions): Promise<void> {
    if (!this.#clientHs) throw new Error("finish() before the server's flight");
    if (this.certificateRequest || opts.certificate) {
      const auth = opts.certificate ?? { chain: [] };
      const cert = frameHandshake(
        H.certificate,
        encodeCertificate13({
          context: this.certificateRequest?.context ?? EMPTY,
          entries: auth.chain.map((c) => ({ cert: c, extensions: [] })),
        }),
      );
      await this.sendHandshake(cert);
      if (auth.key && auth.chain.length) {
        const scheme = auth.scheme ?? auth.key.schemes[0];
        const content = certificateVerifyContent("client", await this.#transcript.hash());
        const sig = await provider.sign(scheme, auth.key, content);
        const cv = frameHandshake(
          H.certificate_verify,
          encodeCertificateVerify({
            scheme: auth.announce ?? scheme,
            signature: auth.signature ? new Uint8Array(auth.signature(sig)) : sig,
          }),
        );
        await this.sendHandshake(cv);
      }
    }
    const vd = await finishedVerifyData(this.#clientHs, await this.#transcript.hash());
    const fin = frameHandshake(H.finished, opts.verifyData ? opts.verifyData(vd) : vd);
    await this.sendHandshake(fin, { fragments: opts.fragments, between: opts.between });
    this.#resumption = await this.#master!.resumptionMasterSecret(await this.#transcript.hash());
    this.#writer = await protection(this.suite!, this.#clientAp!);
  }

  /** Sends application data under the current write key. */
  sendApplicationData(data: Uint8Array): Promise<void> {
    return this.sendProtected(ContentType.application_data, data);
  }

  /** Sends a KeyUpdate and moves to the next write key. RFC 8446 §4.6.3. */
  async sendKeyUpdate(requestUpdate = false): Promise<void> {
    const ku = frameHandshake(H.key_update, encodeKeyUpdate(requestUpdate ? 1 : 0));
    await this.sendProtected(ContentType.handshake, ku.raw);
    this.#clientAp = await this.#clientAp!.next();
    this.#writer = await protection(this.suite!, this.#clientAp);
  }

  // ------------------------------------------------------------------ receiving

  /** The next thing the server sent (`eof` once it closed), waiting at most `ms`. */
  async next(ms = 10_000): Promise<Incoming> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`nothing from the server within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.#next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #next(): Promise<Incoming> {
    for (;;) {
      const ev = this.#events.shift();
      if (ev) return ev;
      if (this.#eof) return { kind: "eof" };
      const chunk = await this.wire.read();
      if (!chunk) {
        this.#eof = true;
        continue;
      }
      this.#inbox = concat(this.#inbox, chunk);
      await this.#parseRecords();
    }
  }

  /**
   * Reads until the server's Finished (its whole first flight, or HelloRetryRequest when
   * `untilHrr`). Throws, naming what came instead, on an alert or EOF.
   */
  async readFlight(untilHrr = false): Promise<HandshakeMessage[]> {
    const msgs: HandshakeMessage[] = [];
    for (;;) {
      const ev = await this.next();
      if (ev.kind === "handshake") {
        msgs.push(ev.msg);
        if (untilHrr && ev.msg.type === H.server_hello && this.hrr && !this.suite) return msgs;
        if (ev.msg.type === H.finished) return msgs;
      } else if (ev.kind === "alert") {
        throw new Error(`the server sent ${Alert[ev.description] ?? ev.description}`);
      } else if (ev.kind === "eof" || ev.kind === "undecryptable") {
        throw new Error(`${ev.kind} before the server's flight ended`);
      }
    }
  }

  /**
   * Reads until an alert (skipping messages, data and CCS) and returns it; undefined when the
   * connection ends without one. Throws on a record it has no key for.
   */
  async readAlert(ms = 10_000): Promise<ReceivedAlert | undefined> {
    for (;;) {
      const ev = await this.next(ms);
      if (ev.kind === "alert") return ev;
      if (ev.kind === "eof") return undefined;
      if (ev.kind === "undecryptable") throw new Error("a server record could not be decrypted");
    }
  }

  /** Reads application data until `n` bytes arrived; throws on an alert or EOF first. */
  async readApplicationData(n: number): Promise<Bytes> {
    const parts: Bytes[] = [];
    let got = 0;
    while (got < n) {
      const ev = await this.next();
      if (ev.kind === "data") {
        parts.push(ev.data);
        got += ev.data.byteLength;
      } else if (ev.kind === "alert" || ev.kind === "eof" || ev.kind === "undecryptable") {
        throw new Error(`${ev.kind} while reading application data`);
      }
    }
    return concat(...parts);
  }

  /** Resolves once the server closed the connection (events before it are discarded). */
  async closed(ms = 10_000): Promise<void> {
    while ((await this.next(ms)).kind !== "eof");
  }

  /** Drops the connection. */
  close(): void {
    this.wire.close();
  }

  async #parseRecords(): Promise<void> {
    for (;;) {
      const buf = this.#inbox;
      if (buf.byteLength < 5) return;
      const len = (buf[3] << 8) | buf[4];
      if (buf.byteLength < 5 + len) return;
      const raw = buf.slice(0, 5 + len);
      this.#inbox = buf.subarray(5 + len);
      await this.#onRecord(raw);
    }
  }

  async #onRecord(raw: Bytes): Promise<void> {
    const type = raw[0];
    const body = raw.subarray(5);
    if (type === ContentType.change_cipher_spec) {
      this.#events.push({ kind: "ccs" });
      return;
    }
    if (type !== ContentType.application_data || !this.#reader) {
      if (type === ContentType.alert) {
        this.#events.push({
          kind: "alert",
          level: body[0],
          description: body[1],
          protected: false,
        });
      } else if (type === ContentType.handshake) {
        await this.#onHandshakeBytes(body, false);
      } else {
        this.#events.push({ kind: "undecryptable", raw });
      }
      return;
    }
    if (this.#readerBroken) {
      this.#events.push({ kind: "undecryptable", raw });
      return;
    }
    let opened: { type: ContentType; data: Bytes };
    try {
      opened = await this.#reader.open({
        type,
        version: (raw[1] << 8) | raw[2],
        fragment: body,
        header: raw.subarray(0, 5),
      });
    } catch {
      // Keys out of step with the server's: nothing after this can be read either.
      this.#readerBroken = true;
      this.#events.push({ kind: "undecryptable", raw });
      return;
    }
    if (opened.type === ContentType.alert) {
      const [level, description] = opened.data;
      this.#events.push({ kind: "alert", level, description, protected: true });
    } else if (opened.type === ContentType.handshake) {
      await this.#onHandshakeBytes(opened.data, true);
    } else {
      this.#events.push({ kind: "data", data: opened.data });
    }
  }

  async #onHandshakeBytes(data: Bytes, prot: boolean): Promise<void> {
    this.#hsBuffer = concat(this.#hsBuffer, data);
    for (;;) {
      const buf = this.#hsBuffer;
      if (buf.byteLength < 4) return;
      const len = (buf[1] << 16) | (buf[2] << 8) | buf[3];
      if (buf.byteLength < 4 + len) return;
      const raw = buf.slice(0, 4 + len);
      this.#hsBuffer = buf.subarray(4 + len);
      const msg: HandshakeMessage = { type: raw[0], body: raw.subarray(4), raw };
      await this.#onServerMessage(msg);
      this.#events.push({ kind: "handshake", msg, protected: prot });
    }
  }

  /** Follows the server's messages: transcript, secrets and read keys. RFC 8446 §4, §7. */
  async #onServerMessage(msg: HandshakeMessage): Promise<void> {
    switch (msg.type) {
      case H.server_hello:
        return await this.#onServerHello(msg);
      case H.encrypted_extensions:
      case H.certificate:
      case H.certificate_verify:
        this.#transcript.add(msg.raw);
        return;
      case H.certificate_request:
        this.certificateRequest = { context: decodeCertificateRequest13(msg.body).context };
        this.#transcript.add(msg.raw);
        return;
      case H.finished: {
        if (!this.#serverHs || this.#clientAp) return;
        const expected = await finishedVerifyData(this.#serverHs, await this.#transcript.hash());
        this.serverFinishedValid = constantTimeEqual(expected, msg.body);
        this.#transcript.add(msg.raw);
        const hash = await this.#transcript.hash();
        this.#master = await this.#hsSecret!.masterSecret();
        this.#clientAp = await this.#master.clientApplicationTrafficSecret(hash);
        this.#serverAp = await this.#master.serverApplicationTrafficSecret(hash);
        this.#reader = await protection(this.suite!, this.#serverAp);
        return;
      }
      case H.new_session_ticket: {
        if (!this.#resumption) return;
        const nst = decodeNewSessionTicket13(msg.body);
        const psk = exposeSecret(await this.#resumption.psk(nst.nonce));
        this.tickets.push({ nst, psk, suite: this.suite!, receivedAt: Date.now() });
        return;
      }
      case H.key_update:
        this.#serverAp = await this.#serverAp!.next();
        this.#reader = await protection(this.suite!, this.#serverAp);
        return;
    }
  }

  async #onServerHello(msg: HandshakeMessage): Promise<void> {
    const sh = decodeServerHello(msg.body);
    const suite = suiteById(sh.cipherSuite);
    if (!suite) throw new Error(`the server chose an unknown suite ${sh.cipherSuite}`);
    this.#transcript.setHash(suite.hash);
    if (isHelloRetryRequest(sh)) {
      const ks = findExtension(sh.extensions, E.key_share);
      const cookie = findExtension(sh.extensions, E.cookie);
      this.hrr = {
        suite,
        group: ks ? parseExtension(ks, (r: Reader) => r.u16()) : undefined,
        cookie: cookie ? parseExtension(cookie, readCookie) : undefined,
      };
      // RFC 8446 §4.4.1: ClientHello1 becomes message_hash once a retry is requested.
      if (this.#transcript.messageCount === 1) await this.#transcript.replaceWithMessageHash();
      this.#transcript.add(msg.raw);
      return;
    }
    this.suite = suite;
    this.#transcript.add(msg.raw);
    const ks = findExtension(sh.extensions, E.key_share);
    const entry = ks ? parseExtension(ks, readKeyShareEntry) : undefined;
    const share = this.#shares.find((s) => s.group === entry?.group);
    if (!entry || !share) return; // nothing to derive keys from: later records stay opaque
    this.resumed = findExtension(sh.extensions, E.pre_shared_key) !== undefined;
    const psk = this.resumed && this.#offeredPsk
      ? Psk.from(provider, suite.hash, this.#offeredPsk.psk)
      : undefined;
    let shared: Bytes;
    try {
      shared = await share.agree(entry.keyExchange);
    } catch {
      return;
    }
    const early = await EarlySecret.derive(provider, suite.hash, psk);
    this.#hsSecret = await early.handshakeSecret(shared);
    const hash = await this.#transcript.hash();
    this.#clientHs = await this.#hsSecret.clientHandshakeTrafficSecret(hash);
    this.#serverHs = await this.#hsSecret.serverHandshakeTrafficSecret(hash);
    this.#reader = await protection(suite, this.#serverHs);
    this.#writer = await protection(suite, this.#clientHs);
  }
}

async function protection(
  suite: CipherSuite,
  secret: HandshakeTrafficSecret | ApplicationTrafficSecret,
): Promise<RecordProtection13> {
  return await RecordProtection13.create(provider, suite, await secret.keys(suite));
}

/**
 * A complete, valid handshake: ClientHello (with `hello` options), the server's flight and the
 * client's Finished (with `finish` options). Throws if the server's flight does not arrive.
 */
export async function handshake(
  c: ScriptedClient,
  hello: HelloOptions = {},
  finish: FinishOptions = {},
): Promise<void> {
  await c.sendHandshake(await c.clientHello(hello));
  await c.readFlight();
  await c.finish(finish);
}
