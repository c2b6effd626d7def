/**
 * The sans-IO protocol engine: bytes in, bytes and events out. It owns the record layer and
 * one handshake state machine, and never touches sockets or timers.
 * @module
 */
import { asBytes, type Bytes, concat, concatAll, EMPTY } from "../_bytes.ts";
import { Alert, AlertLevel, receivedAlertReason, TLSAlertError } from "../alert.ts";
import { DecodeError } from "../codec/reader.ts";
import { ContentType, MAX_PLAINTEXT, Version } from "../constants.ts";
import { InvalidPeerKeyError } from "../crypto/provider.ts";
import { SSLCertVerificationError, SSLEOFError, SSLError, SSLZeroReturnError } from "../errors.ts";
import {
  DEFAULT_MAX_HANDSHAKE_MESSAGE,
  type HandshakeMessage,
  HandshakeReassembler,
} from "../messages/handshake.ts";
import { Deframer, type TLSRecord } from "../record/deframer.ts";
import {
  PlaintextReader,
  PlaintextWriter,
  type RecordReader,
  type RecordWriter,
} from "./record_states.ts";
import type { NegotiatedInfo } from "./info.ts";

/** A handshake state: handles one message and returns the state that follows. */
export interface HandshakeState {
  /** Short name for diagnostics (`expect ServerHello`). */
  readonly name: string;
  /** Handles one handshake message; throws `TLSAlertError` on a protocol violation. */
  handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState>;
  /**
   * True while a TLS 1.3 peer may still send the compatibility ChangeCipherSpec (between the
   * first ClientHello and the peer's Finished, RFC 8446 §5).
   */
  readonly acceptsCompatCcs?: boolean;
  /** Handles a TLS 1.2 ChangeCipherSpec; states that do not expect one omit this. */
  changeCipherSpec?(cx: Connection): Promise<HandshakeState>;
  /** Sends a KeyUpdate (TLS 1.3 connected states). RFC 8446 §4.6.3. */
  keyUpdate?(cx: Connection, requestPeer: boolean): Promise<void>;
  /** Sends a post-handshake CertificateRequest (TLS 1.3 server). RFC 8446 §4.6.2. */
  requestClientCertificate?(cx: Connection): Promise<void>;
}

/** Limits that keep a hostile peer from costing unbounded memory or time. */
export interface EngineLimits {
  /** Largest handshake message accepted (default 128 KiB). */
  maxHandshakeMessage: number;
  /** Consecutive empty application-data records tolerated (default 32). */
  maxEmptyRecords: number;
  /** Warning alerts tolerated in a row in TLS 1.2 (default 8). */
  maxWarningAlerts: number;
  /** TLS 1.3 compatibility ChangeCipherSpec records tolerated (default 4). */
  maxCompatCcs: number;
  /** KeyUpdates accepted in a row without application data between them (default 32). */
  maxKeyUpdates: number;
  /** Records left under a write key at which a KeyUpdate is sent first (RFC 8446 §5.5). */
  keyUpdateMargin: number;
  /**
   * Bytes of declined early data a server skips before it gives up with unexpected_message
   * (RFC 8446 §4.2.10; default 16384, OpenSSL's default max_early_data).
   */
  maxSkippedEarlyData: number;
}

/** The state before `start()`: any message is unexpected. */
export const NOT_STARTED: HandshakeState = {
  name: "not started",
  handle(): Promise<HandshakeState> {
    return Promise.reject(
      new TLSAlertError(Alert.unexpected_message, "UNEXPECTED_MESSAGE", "handshake not started"),
    );
  },
};

const DEFAULT_LIMITS: EngineLimits = {
  maxHandshakeMessage: DEFAULT_MAX_HANDSHAKE_MESSAGE,
  maxEmptyRecords: 32,
  maxWarningAlerts: 8,
  maxCompatCcs: 4,
  maxKeyUpdates: 32,
  keyUpdateMargin: 1024,
  maxSkippedEarlyData: 16384,
};

/** Derives exported keying material (RFC 5705, RFC 8446 §7.5). */
export type Exporter = (
  label: string,
  context: Bytes | undefined,
  length: number,
) => Promise<Bytes>;

/** What the engine reports to its adapter. */
export type EngineEvent =
  | { type: "handshake-complete" }
  | { type: "session"; session: unknown }
  | { type: "keylog"; line: string }
  | { type: "key-update"; direction: "read" | "write" }
  | { type: "ticket-expired" }
  | { type: "client-authenticated" };

interface PendingOut {
  type: ContentType;
  data: Bytes;
}

/**
 * One TLS connection's protocol state. Feed it with `receive()`, drive it with `process()`,
 * collect bytes to send with `takeOutgoing()` and plaintext with `readApplicationData()`.
 * Async only where WebCrypto is; calls are serialized internally.
 */
export class Connection {
  /** Which side this is. */
  readonly side: "client" | "server";
  /** What has been negotiated so far. */
  readonly info: NegotiatedInfo;
  /** Limits in force. */
  readonly limits: EngineLimits;

  #deframer = new Deframer();
  /** Records taken from the deframer but not yet handled (see `process`). */
  #replay: TLSRecord[] = [];
  /** True once a protected record from the peer was opened. */
  #peerProtected = false;
  #reassembler: HandshakeReassembler;
  #reader: RecordReader = new PlaintextReader();
  #writer: RecordWriter = new PlaintextWriter();
  /** Content bytes per protected record the peer accepts (RFC 8449), once it said. */
  #recordLimit: number | undefined;
  #state: HandshakeState;
  #pending: PendingOut[] = [];
  #outgoing: Bytes[] = [];
  #appIn: Bytes[] = [];
  #appInBytes = 0;
  #events: EngineEvent[] = [];
  #lock: Promise<unknown> = Promise.resolve();
  #error: SSLError | undefined;
  #handshakeDone = false;
  #appDataAllowedIn = false;
  #closeNotifyReceived = false;
  #closeNotifySent = false;
  #transportEof = false;
  #emptyRecords = 0;
  #warningAlerts = 0;
  #compatCcs = 0;
  #keyUpdates = 0;
  #renegotiations = 0;
  #exporter: Exporter | undefined;
  /** Declined early data being skipped: the bytes still allowed, and how (see `skipEarlyData`). */
  #earlySkip: { budget: number; untilHello: boolean } | undefined;

  /**
   * @param side client or server
   * @param initial the first handshake state
   * @param info the negotiation record the states fill in
   * @param limits overrides of the default limits
   */
  constructor(
    side: "client" | "server",
    initial: HandshakeState,
    info: NegotiatedInfo,
    limits: Partial<EngineLimits> = {},
  ) {
    this.side = side;
    this.#state = initial;
    this.info = info;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.#reassembler = new HandshakeReassembler(this.limits.maxHandshakeMessage);
  }

  // ---------------------------------------------------------------- adapter-facing API

  /** True once the handshake has completed. */
  get handshakeComplete(): boolean {
    return this.#handshakeDone;
  }

  /** The failure that ended the connection, if any. */
  get error(): SSLError | undefined {
    return this.#error;
  }

  /** True after the peer's close_notify. */
  get closeNotifyReceived(): boolean {
    return this.#closeNotifyReceived;
  }

  /** True after our close_notify was queued. */
  get closeNotifySent(): boolean {
    return this.#closeNotifySent;
  }

  /** The name of the current handshake state, for diagnostics. */
  get stateName(): string {
    return this.#state.name;
  }

  /** Bytes of decrypted application data waiting to be read. */
  get pendingApplicationData(): number {
    return this.#appInBytes;
  }

  /** Bytes received but not yet framed into a complete record. */
  get bufferedIncoming(): number {
    return this.#deframer.buffered;
  }

  /** Takes the bytes received but not processed (after close_notify, for `unwrap()`). */
  takeUnprocessed(): Bytes {
    const replayed = this.#replay.flatMap((r) => [r.header, r.fragment]);
    this.#replay = [];
    return concatAll([...replayed, this.#deframer.take()]);
  }

  /** Queues bytes received from the transport. */
  receive(data: Uint8Array): void {
    if (data.byteLength) this.#deframer.push(data);
  }

  /** Tells the engine the transport reached EOF. */
  receiveEof(): void {
    this.#transportEof = true;
  }

  /**
   * Ends the connection because the transport closed without close_notify where the
   * application counts that as a truncation (RFC 8446 §6.1): the error is final, and no
   * close_notify follows it. Returns the error to throw.
   */
  truncated(detail?: string): SSLError {
    this.#error ??= new SSLEOFError(detail);
    return this.#error;
  }

  /** Runs `fn` with the engine locked and any failure turned into an alert and `SSLError`. */
  #run<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.#lock.then(async () => {
      if (this.#error) throw this.#error;
      try {
        const v = await fn();
        await this.#flush();
        return v;
      } catch (e) {
        throw await this.#fail(e);
      }
    });
    this.#lock = run.catch(() => {});
    return run;
  }

  /** Starts the handshake (`begin` queues the first flight, e.g. the ClientHello). */
  start(begin: (cx: Connection) => Promise<HandshakeState>): Promise<void> {
    return this.#run(async () => {
      this.#state = await begin(this);
    });
  }

  /**
   * Processes every complete record received so far. Resolves when no complete record is
   * left; rejects with the `SSLError` that ended the connection.
   */
  process(): Promise<void> {
    return this.#run(async () => {
      for (;;) {
        if (this.#closeNotifyReceived) return;
        const batch = this.#nextRecords();
        if (batch.length === 0) break;
        // Records of one key are opened concurrently (each takes its sequence number when
        // called) and handled in order. A record that changes the read keys (KeyUpdate)
        // makes the later, speculative openings stale: those records go back in the queue.
        const reader = this.#reader;
        // While early data is skipped, each record is tried on its own (see #skipEarly).
        const opened = batch.map((r) =>
          r.type === ContentType.change_cipher_spec || this.#earlySkip ? undefined : reader.open(r)
        );
        for (const p of opened) p?.catch(() => {});
        for (let i = 0; i < batch.length; i++) {
          if (this.#reader !== reader || this.#closeNotifyReceived) {
            this.#replay.unshift(...batch.slice(i));
            break;
          }
          await this.#handleRecord(batch[i], opened[i]);
        }
      }
      if (this.#transportEof && !this.#closeNotifyReceived) {
        if (this.#deframer.buffered > 0 || !this.#handshakeDone) {
          throw new SSLEOFError(
            this.#handshakeDone
              ? "EOF occurred in violation of protocol"
              : "EOF occurred in violation of protocol (during the handshake)",
          );
        }
      }
    });
  }

  /** Takes the bytes ready to be sent to the transport. */
  takeOutgoing(): Bytes {
    if (this.#outgoing.length === 0) return EMPTY;
    const out = this.#outgoing.length === 1 ? this.#outgoing[0] : concatAll(this.#outgoing);
    this.#outgoing = [];
    return out;
  }

  /** True when bytes are waiting in `takeOutgoing()`. */
  get hasOutgoing(): boolean {
    return this.#outgoing.length > 0;
  }

  /** Takes up to `max` bytes of the application data received (all when omitted). */
  readApplicationData(max = Infinity): Bytes | undefined {
    if (this.#appIn.length === 0 || max <= 0) return undefined;
    // Everything available up to `max`, so a reader gets many records per call (and an echo
    // writes them back in one batch).
    const parts: Bytes[] = [];
    let n = 0;
    while (this.#appIn.length && n < max) {
      const head = this.#appIn[0];
      const take = Math.min(head.byteLength, max - n);
      parts.push(take === head.byteLength ? head : head.subarray(0, take));
      if (take === head.byteLength) this.#appIn.shift();
      else this.#appIn[0] = head.subarray(take);
      n += take;
    }
    this.#appInBytes -= n;
    return parts.length === 1 ? parts[0] : concatAll(parts);
  }

  /** Takes the events raised since the last call. */
  takeEvents(): EngineEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  /** Encrypts application data for sending. Only valid after the handshake. */
  write(data: Uint8Array): Promise<void> {
    return this.#run(async () => {
      if (!this.#handshakeDone) {
        throw new SSLError("HANDSHAKE_NOT_COMPLETE", "cannot write before the handshake completes");
      }
      if (this.#closeNotifySent) {
        throw new SSLZeroReturnError("cannot write after close_notify was sent");
      }
      if (data.byteLength === 0) return;
      // RFC 8446 §5.5: change keys before the AEAD limit of the current write key.
      const perRecord = this.#writer.maxPlaintext ?? MAX_PLAINTEXT;
      const records = Math.ceil(data.byteLength / perRecord) + this.#pending.length;
      if (
        this.#state.keyUpdate && this.#writer.recordsLeft < records + this.limits.keyUpdateMargin
      ) {
        await this.#state.keyUpdate(this, false);
      }
      this.#pending.push({ type: ContentType.application_data, data: asBytes(data) });
    });
  }

  /** Sends a KeyUpdate now, asking the peer to update too when `requestPeer`. TLS 1.3 only. */
  keyUpdate(requestPeer: boolean): Promise<void> {
    return this.#run(async () => {
      if (!this.#handshakeDone || !this.#state.keyUpdate) {
        throw new SSLError(
          "KEY_UPDATE_NOT_ALLOWED",
          "KeyUpdate needs an established TLS 1.3 connection",
        );
      }
      await this.#state.keyUpdate(this, requestPeer);
    });
  }

  /** Sends a post-handshake CertificateRequest (TLS 1.3 server). RFC 8446 §4.6.2. */
  requestClientCertificate(): Promise<void> {
    return this.#run(async () => {
      if (!this.#handshakeDone || !this.#state.requestClientCertificate) {
        throw new SSLError(
          "WRONG_SSL_VERSION",
          "post-handshake authentication needs an established TLS 1.3 server connection",
        );
      }
      await this.#state.requestClientCertificate(this);
    });
  }

  /**
   * Counts a received KeyUpdate; a flood of them without application data between is refused
   * (RFC 8446 §4.6.3 sets no limit; each one costs key derivations).
   */
  noteKeyUpdate(): void {
    if (++this.#keyUpdates > this.limits.maxKeyUpdates) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "TOO_MANY_KEY_UPDATES",
        "too many KeyUpdate messages",
      );
    }
  }

  /** Queues a close_notify alert (RFC 8446 §6.1); idempotent. */
  close(): Promise<void> {
    if (this.#error || this.#closeNotifySent) return Promise.resolve();
    return this.#run(() => {
      this.#closeNotifySent = true;
      this.#pending.push({
        type: ContentType.alert,
        data: new Uint8Array([AlertLevel.warning, Alert.close_notify]),
      });
    });
  }

  /** Runs a post-handshake action of the state machine (KeyUpdate, certificate request, …). */
  act(fn: (cx: Connection) => Promise<void>): Promise<void> {
    return this.#run(() => fn(this));
  }

  // ---------------------------------------------------------------- state-machine API

  /** Queues a handshake message under the current write state. */
  sendHandshake(msg: HandshakeMessage): void {
    this.#pending.push({ type: ContentType.handshake, data: msg.raw });
  }

  /** Queues the TLS 1.3 compatibility (or TLS 1.2) ChangeCipherSpec. RFC 8446 §D.4. */
  sendChangeCipherSpec(): void {
    this.#pending.push({ type: ContentType.change_cipher_spec, data: new Uint8Array([1]) });
  }

  /**
   * Switches the read direction to `reader`. RFC 8446 §5.1: handshake messages must not span
   * a key change, so bytes left over from the previous epoch are unexpected_message.
   */
  setReader(reader: RecordReader): void {
    if (this.#reassembler.hasPartial) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "UNEXPECTED_MESSAGE",
        "handshake data not on a record boundary at a key change",
      );
    }
    this.#reader = reader;
    this.#deframer.maxFragment = reader.maxFragment;
  }

  /**
   * RFC 8446 §4.2.10: the server declines the early data the client announced and skips it,
   * up to `limits.maxSkippedEarlyData` bytes. With `untilHello` (after a HelloRetryRequest)
   * every protected record is dropped until the second ClientHello; otherwise, under the
   * handshake keys, records that fail to open are dropped until one opens.
   */
  skipEarlyData(untilHello: boolean): void {
    this.#earlySkip = { budget: this.limits.maxSkippedEarlyData, untilHello };
  }

  /**
   * One record while early data is skipped: its opened content, or undefined when it was
   * early data and is dropped.
   */
  async #skipEarly(rec: TLSRecord): Promise<{ type: ContentType; data: Bytes } | undefined> {
    const skip = this.#earlySkip!;
    if (!skip.untilHello && this.#reader.tryOpen) {
      const opened = await this.#reader.tryOpen(rec);
      if (opened) {
        this.#earlySkip = undefined;
        return opened;
      }
    }
    // The budget is for plaintext: the AEAD tag and the content type byte do not count.
    skip.budget -= Math.max(0, rec.fragment.byteLength - 17);
    if (skip.budget < 0) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "TOO_MUCH_EARLY_DATA",
        "more early data than a server skips",
      );
    }
    return undefined;
  }

  /** Switches the write direction, first sealing what was queued under the old state. */
  async setWriter(writer: RecordWriter): Promise<void> {
    await this.#flush();
    this.#writer = writer;
    this.#applyRecordLimit();
  }

  /**
   * Obeys the peer's record_size_limit from now on, for the negotiated version: in TLS 1.3 it
   * counts the content type byte, and a value above the protocol's maximum means that maximum.
   * Only protected records are limited. RFC 8449 §4.
   */
  limitRecordSize(limit: number): void {
    this.#recordLimit = this.info.version === Version.TLS13
      ? Math.min(limit, MAX_PLAINTEXT + 1) - 1
      : Math.min(limit, MAX_PLAINTEXT);
    this.#applyRecordLimit();
  }

  #applyRecordLimit(): void {
    if (this.#recordLimit !== undefined && this.#writer.maxPlaintext !== undefined) {
      this.#writer.maxPlaintext = this.#recordLimit;
    }
  }

  /** The current write state (its record count drives automatic KeyUpdate). */
  get writer(): RecordWriter {
    return this.#writer;
  }

  /**
   * Fixes the negotiated version. TLS 1.2 records must carry it from now on (RFC 5246
   * §6.2.1). TLS 1.3's legacy_record_version "MUST be ignored for all purposes" by a receiver
   * (RFC 8446 §5.1); a protected record authenticates it as additional data (§5.2), so a
   * changed one fails as bad_record_mac.
   */
  setVersion(version: number): void {
    this.info.version = version;
    this.#deframer.expectedVersion = version === 0x0304 ? undefined : 0x0303;
  }

  /** Installs the keying-material exporter of the negotiated version (RFC 5705, RFC 8446 §7.5). */
  setExporter(exporter: Exporter): void {
    this.#exporter = exporter;
  }

  /** RFC 5705 / RFC 8446 §7.5 keying material; only after the handshake. */
  exportKeyingMaterial(label: string, context: Bytes | undefined, length: number): Promise<Bytes> {
    return this.#run(() => {
      if (!this.#handshakeDone || !this.#exporter) {
        throw new SSLError(
          "HANDSHAKE_NOT_COMPLETE",
          "keying material can only be exported after the handshake",
        );
      }
      return this.#exporter(label, context, length);
    });
  }

  /**
   * Declines a TLS 1.2 renegotiation with a no_renegotiation warning (RFC 5246 §7.2.2,
   * RFC 5746 §4.5); a peer that keeps trying is refused.
   */
  refuseRenegotiation(): void {
    if (++this.#renegotiations > this.limits.maxWarningAlerts) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "NO_RENEGOTIATION",
        "too many renegotiation attempts",
      );
    }
    this.#pending.push({
      type: ContentType.alert,
      data: new Uint8Array([AlertLevel.warning, Alert.no_renegotiation]),
    });
  }

  /** Marks the handshake complete and opens the application-data channel. */
  completeHandshake(): void {
    this.#handshakeDone = true;
    this.#appDataAllowedIn = true;
    this.#events.push({ type: "handshake-complete" });
  }

  /** Allows application data in before the handshake completes (TLS 1.3 0.5-RTT). */
  allowApplicationDataIn(): void {
    this.#appDataAllowedIn = true;
  }

  /** Raises an event for the adapter. */
  emit(event: EngineEvent): void {
    this.#events.push(event);
  }

  // ---------------------------------------------------------------- internals

  /**
   * The next records to handle: those put back, else one from the deframer, or once the
   * handshake is done up to 32 (a header error ends the batch and surfaces on the next call).
   */
  #nextRecords(): TLSRecord[] {
    if (this.#replay.length) return this.#replay.splice(0, this.#replay.length);
    const first = this.#deframer.next();
    if (!first) return [];
    const batch = [first];
    if (!this.#handshakeDone) return batch;
    try {
      while (batch.length < 32) {
        const rec = this.#deframer.next();
        if (!rec) break;
        batch.push(rec);
      }
    } catch {
      // Left for the next call, after the records before it were handled.
    }
    return batch;
  }

  async #handleRecord(
    rec: TLSRecord,
    opened?: Promise<{ type: ContentType; data: Bytes }>,
  ): Promise<void> {
    if (rec.type === ContentType.change_cipher_spec) {
      this.#checkNotInterleaved();
      await this.#changeCipherSpec(rec.fragment);
      return;
    }
    if (this.#earlySkip) {
      if (rec.type === ContentType.application_data) {
        const kept = await this.#skipEarly(rec);
        if (!kept) return;
        opened = Promise.resolve(kept);
      } else {
        // The second ClientHello (or anything else in the clear) ends the early data.
        this.#earlySkip = undefined;
      }
    }
    // RFC 8446 §6: a peer that failed before its keys were in use sends its alert in the
    // clear; accept that until its first protected record, as OpenSSL does.
    if (
      rec.type === ContentType.alert && !this.#peerProtected &&
      !(this.#reader instanceof PlaintextReader)
    ) {
      return this.#alert(rec.fragment);
    }
    const { type, data } = await (opened ?? this.#reader.open(rec));
    if (!(this.#reader instanceof PlaintextReader)) this.#peerProtected = true;
    if (type === ContentType.application_data) this.#checkNotInterleaved();
    switch (type) {
      case ContentType.alert:
        return this.#alert(data);
      case ContentType.handshake: {
        // RFC 8446 §5.1: zero-length handshake fragments are forbidden.
        if (data.byteLength === 0) {
          throw new TLSAlertError(
            Alert.unexpected_message,
            "UNEXPECTED_MESSAGE",
            "empty handshake record",
          );
        }
        this.#warningAlerts = 0;
        this.#reassembler.push(data);
        for (let msg = this.#reassembler.next(); msg; msg = this.#reassembler.next()) {
          this.#state = await this.#state.handle(this, msg);
        }
        return;
      }
      case ContentType.application_data:
        if (!this.#appDataAllowedIn) {
          throw new TLSAlertError(
            Alert.unexpected_message,
            "UNEXPECTED_RECORD",
            "application data before the handshake completed",
          );
        }
        // RFC 8446 §5.4 lets a peer interleave empty records; a flood of them is a DoS.
        if (data.byteLength === 0) {
          if (++this.#emptyRecords > this.limits.maxEmptyRecords) {
            throw new TLSAlertError(
              Alert.unexpected_message,
              "RECORD_TOO_SMALL",
              "too many empty records",
            );
          }
          return;
        }
        this.#emptyRecords = 0;
        this.#warningAlerts = 0;
        this.#keyUpdates = 0;
        this.#appIn.push(data);
        this.#appInBytes += data.byteLength;
        return;
      default:
        throw new TLSAlertError(
          Alert.unexpected_message,
          "UNEXPECTED_RECORD",
          `unexpected record type ${type}`,
        );
    }
  }

  /**
   * RFC 8446 §5.1: no other record may come between the records of a fragmented handshake
   * message (unexpected_message). Fatal alerts are let through so that a peer's own abort is
   * what surfaces; a warning, which would be ignored, is not. TLS 1.2 (RFC 5246 §6.2.1) does
   * not forbid interleaving; before the version is settled the message is a hello, which no
   * TLS 1.2 peer fragments around other records either, so only TLS 1.2 is exempt.
   */
  #checkNotInterleaved(): void {
    if (this.info.version !== 0x0303 && this.#reassembler.hasPartial) {
      throw new TLSAlertError(
        Alert.unexpected_message,
        "UNEXPECTED_RECORD",
        "record interleaved with a fragmented handshake message",
      );
    }
  }

  async #changeCipherSpec(fragment: Bytes): Promise<void> {
    if (this.#state.acceptsCompatCcs) {
      // RFC 8446 §5: a single 0x01 byte is dropped while the handshake runs; anything else
      // is unexpected_message.
      if (
        fragment.byteLength !== 1 || fragment[0] !== 1 ||
        ++this.#compatCcs > this.limits.maxCompatCcs
      ) {
        throw new TLSAlertError(
          Alert.unexpected_message,
          "UNEXPECTED_CCS_MESSAGE",
          "invalid ChangeCipherSpec",
        );
      }
      return;
    }
    if (this.#state.changeCipherSpec && fragment.byteLength === 1 && fragment[0] === 1) {
      this.#state = await this.#state.changeCipherSpec(this);
      return;
    }
    throw new TLSAlertError(
      Alert.unexpected_message,
      "UNEXPECTED_CCS_MESSAGE",
      "unexpected ChangeCipherSpec",
    );
  }

  #alert(data: Bytes): void {
    // RFC 8446 §6: an alert record holds exactly one two-byte alert.
    if (data.byteLength !== 2) {
      throw new TLSAlertError(Alert.decode_error, "BAD_ALERT", "malformed alert record");
    }
    const [level, description] = data;
    if (description === Alert.close_notify) {
      this.#closeNotifyReceived = true;
      if (!this.#handshakeDone) {
        throw new SSLEOFError("the peer closed the connection during the handshake");
      }
      return;
    }
    // RFC 8446 §6: in TLS 1.3 every alert but close_notify and user_canceled is fatal whatever
    // its level; RFC 5246 §7.2: TLS 1.2 warning alerts may be ignored. Before the version is
    // settled a warning is ignored too, as OpenSSL does: a TLS 1.2 server sends
    // unrecognized_name as a warning before its ServerHello (RFC 6066 §3).
    const tls13 = this.info.version === 0x0304;
    const warning = level === AlertLevel.warning &&
      (!tls13 || description === Alert.user_canceled);
    if (warning) {
      this.#checkNotInterleaved();
      if (++this.#warningAlerts > this.limits.maxWarningAlerts) {
        throw new TLSAlertError(
          Alert.unexpected_message,
          "TOO_MANY_WARN_ALERTS",
          "too many warning alerts",
        );
      }
      return;
    }
    throw new SSLError(
      receivedAlertReason(description),
      `the peer sent a fatal ${Alert[description] ?? description} alert`,
    );
  }

  /** Seals every queued item under the current write state, in order. */
  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const items = this.#coalesce(this.#pending);
    this.#pending = [];
    const writer = this.#writer;
    // Each seal takes its sequence number when called, so all run concurrently and the
    // records still leave in order.
    const sealed = await Promise.all(items.map((p) => writer.seal(p.type, p.data)));
    this.#outgoing.push(...sealed);
  }

  /** Merges adjacent handshake messages so a flight shares records. */
  #coalesce(items: PendingOut[]): PendingOut[] {
    const out: PendingOut[] = [];
    for (const item of items) {
      const last = out[out.length - 1];
      if (item.type === ContentType.handshake && last?.type === ContentType.handshake) {
        last.data = concat(last.data, item.data);
      } else {
        out.push({ ...item });
      }
    }
    return out;
  }

  /** Turns a failure into the `SSLError` surfaced, sending the alert it calls for. */
  async #fail(e: unknown): Promise<SSLError> {
    if (this.#error) return this.#error;
    let err: SSLError;
    let alert: Alert | undefined;
    if (e instanceof TLSAlertError) {
      alert = e.alert;
      err = e.verify
        ? new SSLCertVerificationError(e.verify.code, e.verify.message)
        : new SSLError(e.reason, e.message);
    } else if (e instanceof DecodeError) {
      alert = Alert.decode_error;
      err = new SSLError("DECODE_ERROR", e.message);
    } else if (e instanceof InvalidPeerKeyError) {
      alert = Alert.illegal_parameter;
      err = new SSLError("BAD_ECPOINT", e.message);
    } else if (e instanceof SSLError) {
      err = e;
    } else {
      alert = Alert.internal_error;
      err = new SSLError("INTERNAL_ERROR", "internal error", { cause: e });
    }
    this.#error = err;
    if (alert !== undefined) await this.#sendFatal(alert);
    return err;
  }

  async #sendFatal(alert: Alert): Promise<void> {
    // Whatever was queued is dropped: after a fatal error only the alert leaves.
    this.#pending = [];
    try {
      const rec = await this.#writer.seal(
        ContentType.alert,
        new Uint8Array([AlertLevel.fatal, alert]),
      );
      this.#outgoing.push(rec);
    } catch {
      // The write state itself failed (e.g. sequence number exhausted); nothing more to send.
    }
  }
}
