/**
 * The secrets of one TLS 1.3 connection after the ServerHello, and the record states built
 * from them. Both sides use it; `side` says which direction is whose. Secrets stay inside.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { HandshakeType, KeyUpdateRequest } from "../constants.ts";
import { type CryptoProvider, HASH_LENGTH } from "../crypto/provider.ts";
import type { CipherSuite } from "../crypto/suites.ts";
import type { Connection } from "../engine/connection.ts";
import { frameHandshake } from "../messages/handshake.ts";
import { decodeKeyUpdate, encodeKeyUpdate } from "../messages/post_handshake.ts";
import { RecordProtection13 } from "../record/protection13.ts";
import {
  type ApplicationTrafficSecret,
  type ExporterSecret,
  exposeSecret,
  type FinishedKey,
  finishedKey,
  finishedVerifyData,
  type HandshakeSecret,
  type HandshakeTrafficSecret,
  type KeyLogLabel,
  keyLogLine,
  type MasterSecret,
  type ResumptionMasterSecret,
  type Secret,
} from "./key_schedule.ts";

/** Handshake, application, exporter and resumption secrets of one side's connection. */
export class Tls13Secrets {
  readonly #provider: CryptoProvider;
  readonly #suite: CipherSuite;
  readonly #cx: Connection;
  readonly #side: "client" | "server";
  readonly #keyLog: boolean;
  /** Until the handshake ends: this side's handshake write keys and both Finished keys. */
  #handshake?: {
    writer: Promise<RecordProtection13>;
    client: Promise<FinishedKey>;
    server: Promise<FinishedKey>;
  };
  #nextWriter?: Promise<RecordProtection13>;
  #nextReader?: Promise<RecordProtection13>;
  #clientAp?: ApplicationTrafficSecret;
  #serverAp?: ApplicationTrafficSecret;
  #exporter?: ExporterSecret;
  #resumption?: ResumptionMasterSecret;

  /**
   * @param provider crypto provider
   * @param suite negotiated suite
   * @param cx the engine whose record states this switches
   * @param side which side this is
   * @param keyLog emit NSS key log lines
   */
  constructor(
    provider: CryptoProvider,
    suite: CipherSuite,
    cx: Connection,
    side: "client" | "server",
    keyLog: boolean,
  ) {
    this.#provider = provider;
    this.#suite = suite;
    this.#cx = cx;
    this.#side = side;
    this.#keyLog = keyLog;
  }

  /** Hash.length of the suite (the Finished length). */
  get hashLength(): number {
    return HASH_LENGTH[this.#suite.hash];
  }

  #log(label: KeyLogLabel, secret: Secret): void {
    const random = this.#cx.info.clientRandom;
    if (this.#keyLog && random) {
      this.#cx.emit({ type: "keylog", line: keyLogLine(label, random, secret) });
    }
  }

  async #protection(
    secret: HandshakeTrafficSecret | ApplicationTrafficSecret,
  ): Promise<RecordProtection13> {
    return await RecordProtection13.create(
      this.#provider,
      this.#suite,
      await secret.keys(this.#suite),
    );
  }

  /**
   * Derives both handshake traffic secrets from the transcript through ServerHello and
   * switches the read direction to the peer's. RFC 8446 §7.1. This side's write keys and both
   * Finished keys are derived meanwhile, ready when needed.
   */
  async handshake(secret: HandshakeSecret, helloHash: Bytes): Promise<void> {
    const [client, server] = await Promise.all([
      secret.clientHandshakeTrafficSecret(helloHash),
      secret.serverHandshakeTrafficSecret(helloHash),
    ]);
    this.#log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client);
    this.#log("SERVER_HANDSHAKE_TRAFFIC_SECRET", server);
    const [own, peer] = this.#side === "client" ? [client, server] : [server, client];
    this.#handshake = {
      writer: started(this.#protection(own)),
      client: started(finishedKey(client)),
      server: started(finishedKey(server)),
    };
    this.#cx.setReader(await this.#protection(peer));
  }

  /** Switches the write direction to this side's handshake traffic keys. */
  async useHandshakeWriter(): Promise<void> {
    await this.#cx.setWriter(await this.#handshake!.writer);
  }

  /** verify_data of the server's Finished. RFC 8446 §4.4.4. */
  async serverFinished(transcriptHash: Bytes): Promise<Bytes> {
    return await (await this.#handshake!.server).verifyData(transcriptHash);
  }

  /** verify_data of the client's handshake Finished. */
  async clientFinished(transcriptHash: Bytes): Promise<Bytes> {
    return await (await this.#handshake!.client).verifyData(transcriptHash);
  }

  /** Forgets the handshake traffic secrets once both Finished messages are done. */
  endHandshake(): void {
    this.#handshake = undefined;
  }

  /**
   * verify_data of a client Finished after post-handshake authentication: keyed by the
   * current client application traffic secret. RFC 8446 §4.4.4.
   */
  postHandshakeFinished(transcriptHash: Bytes): Promise<Bytes> {
    return finishedVerifyData(this.#clientAp!, transcriptHash);
  }

  /**
   * Derives the application traffic and exporter secrets from the transcript through the
   * server Finished, and starts deriving their record keys. RFC 8446 §7.1.
   */
  async application(master: MasterSecret, transcriptHash: Bytes): Promise<void> {
    [this.#clientAp, this.#serverAp, this.#exporter] = await Promise.all([
      master.clientApplicationTrafficSecret(transcriptHash),
      master.serverApplicationTrafficSecret(transcriptHash),
      master.exporterMasterSecret(transcriptHash),
    ]);
    this.#log("CLIENT_TRAFFIC_SECRET_0", this.#clientAp);
    this.#log("SERVER_TRAFFIC_SECRET_0", this.#serverAp);
    this.#log("EXPORTER_SECRET", this.#exporter);
    this.#nextWriter = started(this.#protection(this.#own()));
    this.#nextReader = started(this.#protection(this.#peer()));
  }

  #own(): ApplicationTrafficSecret {
    return (this.#side === "client" ? this.#clientAp : this.#serverAp)!;
  }

  #peer(): ApplicationTrafficSecret {
    return (this.#side === "client" ? this.#serverAp : this.#clientAp)!;
  }

  /** Switches this side's writes to its (current) application traffic keys. */
  async useApplicationWriter(): Promise<void> {
    const writer = this.#nextWriter ?? this.#protection(this.#own());
    this.#nextWriter = undefined;
    await this.#cx.setWriter(await writer);
  }

  /** Switches reads to the peer's (current) application traffic keys. */
  async useApplicationReader(): Promise<void> {
    const reader = this.#nextReader ?? this.#protection(this.#peer());
    this.#nextReader = undefined;
    this.#cx.setReader(await reader);
  }

  /** Derives the resumption master secret from the transcript through the client Finished. */
  async resumption(master: MasterSecret, transcriptHash: Bytes): Promise<void> {
    this.#resumption = await master.resumptionMasterSecret(transcriptHash);
  }

  /** The PSK for a ticket with `nonce` (raw bytes, for the session store). RFC 8446 §4.6.1. */
  async resumptionPsk(nonce: Bytes): Promise<Bytes> {
    return exposeSecret(await this.#resumption!.psk(nonce));
  }

  /** Moves the peer's direction to its next application traffic secret. RFC 8446 §7.2. */
  async updateReadKeys(): Promise<void> {
    if (this.#side === "client") {
      this.#serverAp = await this.#serverAp!.next();
    } else {
      this.#clientAp = await this.#clientAp!.next();
    }
    await this.useApplicationReader();
    this.#cx.emit({ type: "key-update", direction: "read" });
  }

  /** Moves this side's direction to its next application traffic secret. RFC 8446 §7.2. */
  async updateWriteKeys(): Promise<void> {
    if (this.#side === "client") {
      this.#clientAp = await this.#clientAp!.next();
    } else {
      this.#serverAp = await this.#serverAp!.next();
    }
    await this.useApplicationWriter();
    this.#cx.emit({ type: "key-update", direction: "write" });
  }

  /** Sends a KeyUpdate and moves to the next write keys. RFC 8446 §4.6.3. */
  async sendKeyUpdate(requestPeer: boolean): Promise<void> {
    const request = requestPeer
      ? KeyUpdateRequest.update_requested
      : KeyUpdateRequest.update_not_requested;
    this.#cx.sendHandshake(frameHandshake(HandshakeType.key_update, encodeKeyUpdate(request)));
    await this.updateWriteKeys();
  }

  /**
   * Handles a received KeyUpdate: the peer's next keys, and our own update in answer to
   * update_requested. RFC 8446 §4.6.3.
   */
  async receiveKeyUpdate(body: Bytes): Promise<void> {
    const request = decodeKeyUpdate(body);
    this.#cx.noteKeyUpdate();
    await this.updateReadKeys();
    if (request === KeyUpdateRequest.update_requested) await this.sendKeyUpdate(false);
  }

  /** TLS-Exporter. RFC 8446 §7.5. */
  exportKeyingMaterial(label: string, context: Bytes | undefined, length: number): Promise<Bytes> {
    return this.#exporter!.export(label, context, length);
  }
}

/** `p`, marked handled: it is awaited later, and may fail before that. */
function started<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}
