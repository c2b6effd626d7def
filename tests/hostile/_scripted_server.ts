/**
 * A scripted TLS 1.3 server for the engine-level hostile cases a proxy cannot reach (a
 * malformed EncryptedExtensions, a bad Finished, a forged CertificateVerify, a hostile
 * HelloRetryRequest, post-handshake messages, odd inner plaintexts). It is built from the
 * library's own codecs, key schedule and record protection and runs the real handshake math,
 * so a test can alter exactly one message (the transcript then hashes the altered bytes, as a
 * real peer's would) and every other check the client makes still passes.
 *
 * Sans-IO, like the client engine: `receive(clientBytes)` returns the server's answer.
 * `driveClient` runs our client (`SSLObject` over `MemoryBIO`s) against it in memory.
 */
import assert from "node:assert/strict";
import { type Bytes, concat, constantTimeEqual, EMPTY } from "../../src/_bytes.ts";
import {
  ContentType,
  ExtensionType as E,
  HandshakeType as H,
  HRR_RANDOM,
  Version,
} from "../../src/constants.ts";
import type { SigningKey } from "../../src/crypto/provider.ts";
import { type CipherSuite, suiteById } from "../../src/crypto/suites.ts";
import { Transcript } from "../../src/crypto/transcript.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { SSLError, SSLWantReadError } from "../../src/errors.ts";
import { encodeCertificate13, encodeCertificateVerify } from "../../src/messages/certificate.ts";
import { type ClientHello, decodeClientHello } from "../../src/messages/client_hello.ts";
import {
  cookieExtension,
  type Extension,
  findExtension,
  keyShareHrrExtension,
  keyShareServerExtension,
  parseExtension,
  readKeyShareClient,
  readSignatureAlgorithms,
  supportedVersionsServerExtension,
} from "../../src/messages/extensions.ts";
import { frameHandshake, type HandshakeMessage } from "../../src/messages/handshake.ts";
import {
  encodeEncryptedExtensions,
  encodeServerHello,
  type ServerHello,
} from "../../src/messages/server_hello.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { MemoryBIO } from "../../src/ssl/memory_bio.ts";
import type { SSLObject } from "../../src/ssl/object.ts";
import { certificateVerifyContent, validForTls13Signature } from "../../src/tls13/common.ts";
import {
  type ApplicationTrafficSecret,
  EarlySecret,
  finishedVerifyData,
  type HandshakeTrafficSecret,
} from "../../src/tls13/key_schedule.ts";
import { pemDecode } from "../../src/x509/pem.ts";
import { parsePrivateKey } from "../../src/x509/private_key.ts";
import type { Pki } from "../interop/_peers.ts";
import { clientAlerts, type SentAlert } from "./_alerts.ts";
import { record, splitRecords } from "./_mitm.ts";

const provider = defaultProvider;

/** Builds a HelloRetryRequest in answer to a ClientHello; `suite` is the server's choice. */
export type HelloRetryBuilder = (ch: ClientHello, suite: number) => ServerHello;

/** Options of a {@link ScriptedServer}. */
export interface ScriptedServerOptions {
  /** The PKI whose ECDSA P-256 leaf the server presents. */
  pki: Pki;
  /** HelloRetryRequests to send, one per ClientHello, before the ServerHello. */
  helloRetries?: HelloRetryBuilder[];
  /** Changes the ServerHello before it is encoded. */
  serverHello?: (sh: ServerHello) => void;
  /** The EncryptedExtensions extensions (default none). */
  encryptedExtensions?: Extension[];
  /**
   * Changes the body of a handshake message (EE, Certificate, CertificateVerify, Finished,
   * or the ServerHello bytes) before it is framed and hashed. Return the body to send.
   */
  alter?: (type: H, body: Bytes) => Bytes;
  /**
   * Turns the protected flight (EE … Finished) into bytes; default one record. `srv.seal`
   * protects under the server handshake traffic key.
   */
  flight?: (srv: ScriptedServer, messages: HandshakeMessage[]) => Promise<Bytes>;
  /** What to send once the client's Finished verified (under the application key). */
  afterHandshake?: (srv: ScriptedServer) => Promise<Bytes>;
}

/** A HelloRetryRequest builder: selects `group` and/or sends `cookie`. */
export function helloRetry(opts: { group?: number; cookie?: Bytes }): HelloRetryBuilder {
  return (ch, suite) => {
    const extensions: Extension[] = [supportedVersionsServerExtension(Version.TLS13)];
    if (opts.group !== undefined) extensions.push(keyShareHrrExtension(opts.group));
    if (opts.cookie) extensions.push(cookieExtension(opts.cookie));
    return {
      legacyVersion: Version.TLS12,
      random: HRR_RANDOM.slice(),
      sessionId: ch.sessionId,
      cipherSuite: suite,
      compressionMethod: 0,
      extensions,
    };
  };
}

type Stage = "hello" | "finished" | "connected" | "dead";

/** A TLS 1.3 server that follows a script. */
export class ScriptedServer {
  readonly opts: ScriptedServerOptions;
  /** ClientHellos received, in order. */
  readonly clientHellos: ClientHello[] = [];
  /** KeyUpdates the client sent after the handshake. */
  clientKeyUpdates = 0;
  #chain: Bytes[] = [];
  #key!: SigningKey;
  #stage: Stage = "hello";
  #buf: Bytes = EMPTY;
  #transcript = new Transcript(provider);
  #suite?: CipherSuite;
  #write?: RecordProtection13;
  #read?: RecordProtection13;
  #clientHs?: HandshakeTrafficSecret;
  #clientAp?: ApplicationTrafficSecret;
  #serverAp?: ApplicationTrafficSecret;
  #expectedClientFinished?: Bytes;

  private constructor(opts: ScriptedServerOptions) {
    this.opts = opts;
  }

  /** Loads the leaf's chain and key. */
  static async create(opts: ScriptedServerOptions): Promise<ScriptedServer> {
    const srv = new ScriptedServer(opts);
    const leaf = opts.pki.leaves.ecdsaP256;
    srv.#chain = pemDecode(leaf.chainPem, "CERTIFICATE");
    srv.#key = await provider.importSigningKey((await parsePrivateKey(leaf.keyPem)).pkcs8);
    return srv;
  }

  /** The current write protection (handshake keys in the flight, then application keys). */
  get writeProtection(): RecordProtection13 {
    return this.#write!;
  }

  /** Protects `data` as records of `type` under the current write key. */
  seal(type: number, data: Uint8Array, padding = 0): Promise<Bytes> {
    return this.#write!.seal(type as ContentType, data as Bytes, padding);
  }

  /** Frames and protects one handshake message. */
  sealHandshake(type: number, body: Uint8Array): Promise<Bytes> {
    return this.seal(ContentType.handshake, frameHandshake(type, body).raw);
  }

  /** Switches the server's writes to its next application traffic secret (KeyUpdate). */
  async updateWriteKeys(): Promise<void> {
    this.#serverAp = await this.#serverAp!.next();
    this.#write = await this.#protection(this.#serverAp);
  }

  /** Consumes bytes from the client and returns the server's answer. */
  async receive(bytes: Uint8Array): Promise<Bytes> {
    this.#buf = concat(this.#buf, bytes);
    const out: Bytes[] = [];
    const records = splitRecords(this.#buf);
    const used = records.reduce((n, r) => n + r.raw.byteLength, 0);
    this.#buf = this.#buf.slice(used);
    for (const rec of records) {
      if (this.#stage === "dead") break;
      if (rec.type === ContentType.change_cipher_spec) continue;
      if (rec.type === ContentType.alert) {
        // The client gave up (its alert is read from its own bytes by the test).
        this.#stage = "dead";
        break;
      }
      if (this.#stage === "hello") {
        assert.equal(rec.type, ContentType.handshake, "expected a ClientHello record");
        out.push(await this.#onClientHello(rec.body));
        continue;
      }
      assert.equal(rec.type, ContentType.application_data, "expected a protected record");
      const { type, data } = await this.#read!.open({
        type: rec.type,
        version: rec.version,
        fragment: rec.body,
        header: rec.raw.subarray(0, 5),
      });
      if (type === ContentType.alert) {
        this.#stage = "dead";
        break;
      }
      if (this.#stage === "finished") {
        assert.equal(type, ContentType.handshake);
        assert.equal(data[0], H.finished, "expected the client's Finished");
        const verify = data.subarray(4);
        assert.ok(constantTimeEqual(verify, this.#expectedClientFinished!), "client Finished");
        this.#stage = "connected";
        this.#write = await this.#protection(this.#serverAp!);
        this.#read = await this.#protection(this.#clientAp!);
        if (this.opts.afterHandshake) out.push(await this.opts.afterHandshake(this));
      } else if (type === ContentType.handshake && data[0] === H.key_update) {
        this.clientKeyUpdates++;
        this.#clientAp = await this.#clientAp!.next();
        this.#read = await this.#protection(this.#clientAp);
      }
    }
    return concat(...out);
  }

  #protection(secret: HandshakeTrafficSecret | ApplicationTrafficSecret) {
    return secret.keys(this.#suite!).then((k) =>
      RecordProtection13.create(provider, this.#suite!, k)
    );
  }

  #alter(type: H, body: Bytes): Bytes {
    return this.opts.alter ? this.opts.alter(type, body) : body;
  }

  /** Frames a (possibly altered) message and adds it to the transcript. */
  #message(type: H, body: Bytes): HandshakeMessage {
    const msg = frameHandshake(type, this.#alter(type, body));
    this.#transcript.add(msg.raw);
    return msg;
  }

  async #onClientHello(recordBody: Bytes): Promise<Bytes> {
    const chMsg = recordBody.slice();
    assert.equal(chMsg[0], H.client_hello);
    const ch = decodeClientHello(chMsg.subarray(4));
    this.clientHellos.push(ch);
    const n = this.clientHellos.length;
    if (n === 1) {
      // The client's first AES-GCM suite, as a server honouring the client's order would pick.
      const wanted = ch.cipherSuites.find((s) => s === 0x1301 || s === 0x1302);
      this.#suite = suiteById(wanted!)!;
      this.#transcript.setHash(this.#suite.hash);
    }
    this.#transcript.add(chMsg);

    const retry = this.opts.helloRetries?.[n - 1];
    if (retry) {
      // RFC 8446 §4.4.1: ClientHello1 becomes message_hash before the HelloRetryRequest.
      if (n === 1) await this.#transcript.replaceWithMessageHash();
      const hrr = retry(ch, this.#suite!.id);
      return record(
        ContentType.handshake,
        this.#message(H.server_hello, encodeServerHello(hrr)).raw,
      );
    }

    const shares = parseExtension(findExtension(ch.extensions, E.key_share)!, readKeyShareClient);
    const clientShare = shares[0];
    const accepted = await provider.acceptKeyShare(clientShare.group, clientShare.keyExchange);
    const sh: ServerHello = {
      legacyVersion: Version.TLS12,
      random: provider.random(32),
      sessionId: ch.sessionId,
      cipherSuite: this.#suite!.id,
      compressionMethod: 0,
      extensions: [
        supportedVersionsServerExtension(Version.TLS13),
        keyShareServerExtension({ group: clientShare.group, keyExchange: accepted.publicKey }),
      ],
    };
    this.opts.serverHello?.(sh);
    const shMsg = this.#message(H.server_hello, encodeServerHello(sh));

    const hash = this.#suite!.hash;
    const shared = accepted.secret;
    const hsSecret = await (await EarlySecret.derive(provider, hash)).handshakeSecret(shared);
    const helloHash = await this.#transcript.hash();
    this.#clientHs = await hsSecret.clientHandshakeTrafficSecret(helloHash);
    const serverHs = await hsSecret.serverHandshakeTrafficSecret(helloHash);
    this.#write = await this.#protection(serverHs);
    this.#read = await this.#protection(this.#clientHs);

    const flight: HandshakeMessage[] = [];
    flight.push(
      this.#message(
        H.encrypted_extensions,
        encodeEncryptedExtensions(this.opts.encryptedExtensions ?? []),
      ),
    );
    flight.push(
      this.#message(
        H.certificate,
        encodeCertificate13({
          context: EMPTY,
          entries: this.#chain.map((cert) => ({ cert, extensions: [] })),
        }),
      ),
    );
    const offered = parseExtension(
      findExtension(ch.extensions, E.signature_algorithms)!,
      readSignatureAlgorithms,
    );
    const scheme = this.#key.schemes.find((s) => offered.includes(s) && validForTls13Signature(s))!;
    const content = certificateVerifyContent("server", await this.#transcript.hash());
    const signature = await provider.sign(scheme, this.#key, content);
    flight.push(
      this.#message(H.certificate_verify, encodeCertificateVerify({ scheme, signature })),
    );
    const finished = await finishedVerifyData(serverHs, await this.#transcript.hash());
    flight.push(this.#message(H.finished, finished));

    const master = await hsSecret.masterSecret();
    const serverFinishedHash = await this.#transcript.hash();
    this.#clientAp = await master.clientApplicationTrafficSecret(serverFinishedHash);
    this.#serverAp = await master.serverApplicationTrafficSecret(serverFinishedHash);
    this.#expectedClientFinished = await finishedVerifyData(this.#clientHs, serverFinishedHash);
    this.#stage = "finished";

    const protectedFlight = this.opts.flight
      ? await this.opts.flight(this, flight)
      : await this.seal(ContentType.handshake, concat(...flight.map((m) => m.raw)));
    return concat(record(ContentType.handshake, shMsg.raw), protectedFlight);
  }
}

/** How a client run against a scripted server ended. */
export interface DriveResult {
  /** The SSLError that ended it, if any. */
  error?: SSLError;
  /** True when the handshake completed. */
  completed: boolean;
  /** Alerts the client sent (decrypted with its key log when protected). */
  alerts: SentAlert[];
  /** The client object, for further checks. */
  client: SSLObject;
}

/**
 * Runs our client (`SSLObject` over `MemoryBIO`s, key log on `keylog`) against `srv` until the
 * handshake completes or fails; after it completes, delivers what the server sends next and
 * reads once. Anything but an `SSLError` (or `SSLWantReadError` waiting for more) is rethrown.
 */
export async function driveClient(
  ctx: SSLContext,
  keylog: readonly string[],
  srv: ScriptedServer,
): Promise<DriveResult> {
  const incoming = new MemoryBIO();
  const outgoing = new MemoryBIO();
  const client = ctx.wrapBio(incoming, outgoing, { serverHostname: "localhost" });
  const fromClient: Bytes[] = [];
  const toClient: Bytes[] = [];
  let error: SSLError | undefined;
  let completed = false;
  const deliver = async () => {
    const out = outgoing.read();
    fromClient.push(out);
    const answer = await srv.receive(out);
    if (answer.byteLength) {
      toClient.push(answer);
      incoming.write(answer);
    }
    return answer.byteLength;
  };
  try {
    // A handshake has at most two round trips (HelloRetryRequest); more means a loop.
    for (let round = 0; round < 8 && !completed; round++) {
      try {
        await client.doHandshake();
        completed = true;
      } catch (e) {
        if (!(e instanceof SSLWantReadError)) throw e;
        if ((await deliver()) === 0) throw new Error("the client waits but the server is done");
      }
    }
    assert.ok(completed, "the handshake did not finish");
    if ((await deliver()) > 0) {
      try {
        await client.read();
      } catch (e) {
        if (!(e instanceof SSLWantReadError)) throw e;
      }
      // Whatever the client answered (e.g. its own KeyUpdate) goes to the server too.
      await deliver();
    }
  } catch (e) {
    if (!(e instanceof SSLError) || e instanceof SSLWantReadError) throw e;
    error = e;
    fromClient.push(outgoing.read());
  }
  const alerts = await clientAlerts(fromClient, toClient, keylog);
  return { error, completed, alerts, client };
}
