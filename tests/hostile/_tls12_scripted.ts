/**
 * Scripted TLS 1.2 peers for the hostile cases a tampering proxy in front of OpenSSL cannot
 * reach: a wrong Finished, a CertificateVerify that does not fit its certificate, and a
 * renegotiation that is refused while the connection carries on (OpenSSL and GnuTLS end the
 * connection themselves when refused). They are built from the library's own codecs, PRF and
 * record protection and run the real handshake math (ECDHE over X25519, the extended master
 * secret, RFC 5288 records), so exactly one thing is wrong in each case.
 *
 * - {@link Scripted12Client} talks to a server over a {@link Wire} (TCP), step by step.
 * - {@link Scripted12Server} is sans-IO: `receive(clientBytes)` returns its answer, and
 *   {@link drive12} runs our client (`SSLObject` over `MemoryBIO`s) against it.
 */
import assert from "node:assert/strict";
import { type Bytes, concat, constantTimeEqual, EMPTY } from "../../src/_bytes.ts";
import {
  CipherSuiteId,
  ContentType,
  ExtensionType as E,
  HandshakeType as H,
  NamedGroup,
  SignatureScheme,
  Version,
} from "../../src/constants.ts";
import type { KeyShare, SigningKey } from "../../src/crypto/provider.ts";
import { type CipherSuite, suiteById } from "../../src/crypto/suites.ts";
import { Transcript } from "../../src/crypto/transcript.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { SSLError, SSLWantReadError } from "../../src/errors.ts";
import {
  decodeCertificate12,
  decodeCertificateRequest12,
  encodeCertificate12,
  encodeCertificateVerify,
} from "../../src/messages/certificate.ts";
import {
  type ClientHello,
  clientHelloMessage,
  decodeClientHello,
} from "../../src/messages/client_hello.ts";
import {
  ecPointFormatsExtension,
  emptyExtension,
  type Extension,
  findExtension,
  renegotiationInfoExtension,
  serverNameExtension,
  signatureAlgorithmsExtension,
  supportedGroupsExtension,
} from "../../src/messages/extensions.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import { decodeServerHello, encodeServerHello } from "../../src/messages/server_hello.ts";
import {
  decodeClientKeyExchange,
  decodeServerKeyExchange,
  encodeClientKeyExchange,
  encodeEcdheParams,
  encodeServerKeyExchange,
} from "../../src/messages/tls12.ts";
import { RecordProtection12 } from "../../src/record/protection12.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { MemoryBIO } from "../../src/ssl/memory_bio.ts";
import type { SSLObject } from "../../src/ssl/object.ts";
import { MasterSecret12 } from "../../src/tls12/prf.ts";
import { pemDecode } from "../../src/x509/pem.ts";
import { parsePrivateKey } from "../../src/x509/private_key.ts";
import type { LeafName, Pki } from "../interop/_peers.ts";
import { record as recordOf } from "./_mitm.ts";
import type { Wire } from "./_wire.ts";

const provider = defaultProvider;

/** A leaf's DER chain and its private key, as a scripted peer presents them. */
export interface Credentials {
  chain: Bytes[];
  key: SigningKey;
}

/** Loads a leaf of the test PKI (with its intermediate). */
export async function credentials(pki: Pki, leaf: LeafName): Promise<Credentials> {
  const files = pki.leaves[leaf];
  return {
    chain: pemDecode(files.chainPem, "CERTIFICATE"),
    key: await provider.importSigningKey((await parsePrivateKey(files.keyPem)).pkcs8),
  };
}

/** Something the peer sent, as a scripted peer understood it. */
export type Incoming12 =
  | { kind: "handshake"; type: number; body: Bytes; raw: Bytes; protected: boolean }
  | { kind: "ccs" }
  | { kind: "alert"; level: number; description: number; protected: boolean }
  | { kind: "data"; data: Bytes }
  | { kind: "eof" };

/** The keys of one TLS 1.2 connection, derived as RFC 5246 §6.3 and RFC 7627 §4 say. */
async function deriveKeys(
  suite: CipherSuite,
  preMaster: Bytes,
  clientRandom: Bytes,
  serverRandom: Bytes,
  sessionHash: Bytes | undefined,
): Promise<{ master: MasterSecret12; client: RecordProtection12; server: RecordProtection12 }> {
  const master = sessionHash
    ? await MasterSecret12.deriveExtended(provider, suite.hash, preMaster, sessionHash)
    : await MasterSecret12.derive(provider, suite.hash, preMaster, clientRandom, serverRandom);
  const kb = await master.keyBlock(suite, clientRandom, serverRandom);
  return {
    master,
    client: await RecordProtection12.create(provider, suite, {
      key: kb.clientKey,
      iv: kb.clientIv,
    }),
    server: await RecordProtection12.create(provider, suite, {
      key: kb.serverKey,
      iv: kb.serverIv,
    }),
  };
}

/**
 * Turns a byte stream into what it carries: plaintext records until `reader` is set (after the
 * peer's ChangeCipherSpec), protected ones after; handshake records are split into messages.
 * Records are opened one at a time as items are taken, so that a consumer can switch `reader`
 * on a ChangeCipherSpec before the record after it is opened.
 */
class Inbox {
  reader?: RecordProtection12;
  #buf: Bytes = EMPTY;
  #hs: Bytes = EMPTY;
  #items: Incoming12[] = [];

  /** Adds received bytes. */
  push(bytes: Uint8Array): void {
    this.#buf = concat(this.#buf, bytes);
  }

  /** The next decoded item, or undefined when no complete record is left. */
  async shift(): Promise<Incoming12 | undefined> {
    while (this.#items.length === 0 && this.#buf.byteLength >= 5) {
      const len = (this.#buf[3] << 8) | this.#buf[4];
      if (this.#buf.byteLength < 5 + len) break;
      const raw = this.#buf.slice(0, 5 + len);
      this.#buf = this.#buf.slice(5 + len);
      await this.#decode(raw);
    }
    return this.#items.shift();
  }

  async #decode(raw: Bytes): Promise<void> {
    let type = raw[0];
    let data: Bytes = raw.subarray(5);
    const prot = this.reader !== undefined && type !== ContentType.change_cipher_spec;
    if (prot) {
      ({ type, data } = await this.reader!.open({
        type,
        version: (raw[1] << 8) | raw[2],
        fragment: raw.subarray(5),
        header: raw.subarray(0, 5),
      }));
    }
    if (type === ContentType.change_cipher_spec) this.#items.push({ kind: "ccs" });
    else if (type === ContentType.alert) {
      this.#items.push({ kind: "alert", level: data[0], description: data[1], protected: prot });
    } else if (type === ContentType.application_data) {
      this.#items.push({ kind: "data", data: data.slice() });
    } else if (type === ContentType.handshake) {
      this.#hs = concat(this.#hs, data);
      while (this.#hs.byteLength >= 4) {
        const n = (this.#hs[1] << 16) | (this.#hs[2] << 8) | this.#hs[3];
        if (this.#hs.byteLength < 4 + n) break;
        const msg = this.#hs.slice(0, 4 + n);
        this.#hs = this.#hs.slice(4 + n);
        this.#items.push({
          kind: "handshake",
          type: msg[0],
          body: msg.subarray(4),
          raw: msg,
          protected: prot,
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The scripted client

/** What the first ClientHello offers; the defaults make a plain TLS 1.2 hello. */
export interface Hello12Options {
  /** Cipher suites (default the four ECDHE AES-GCM suites, ECDSA first). */
  suites?: number[];
  /** Offer the extended master secret (default true). */
  ems?: boolean;
  /** renegotiation_info's renegotiated_connection (default empty); null leaves it out. */
  renegotiationInfo?: Bytes | null;
  /** legacy_session_id (default empty). */
  sessionId?: Bytes;
}

/** A client certificate for {@link Scripted12Client.finish}. */
export interface ClientAuth12 {
  creds: Credentials;
  /** The scheme to sign with (default the key's first). */
  scheme?: number;
  /** The scheme the CertificateVerify names, when it is not the one signed with. */
  announce?: number;
}

/** The server's first flight as the client read it. */
export interface ServerFlight12 {
  suite: CipherSuite;
  sessionId: Bytes;
  extensions: Extension[];
  certificates: Bytes[];
  /** The CertificateRequest's signature schemes, when one came. */
  certificateRequest?: number[];
}

/**
 * One TLS 1.2 client connection driven step by step: `hello`, `readServerFlight`, `finish`,
 * `readServerFinish`, then `sendData`/`sendProtectedHandshake` and `next`/`readAlert`.
 */
export class Scripted12Client {
  readonly wire: Wire;
  #inbox = new Inbox();
  #transcript = new Transcript(provider);
  #hello?: ClientHello;
  #flight?: ServerFlight12 & { serverRandom: Bytes; ske: { group: number; point: Bytes } };
  #master?: MasterSecret12;
  #writer?: RecordProtection12;
  #serverReader?: RecordProtection12;
  #eof = false;

  constructor(wire: Wire) {
    this.wire = wire;
  }

  /** Sends the ClientHello. */
  hello(opts: Hello12Options = {}): void {
    const exts: Extension[] = [
      serverNameExtension("localhost"),
      supportedGroupsExtension([NamedGroup.x25519, NamedGroup.secp256r1]),
      ecPointFormatsExtension(),
      signatureAlgorithmsExtension([
        SignatureScheme.ecdsa_secp256r1_sha256,
        SignatureScheme.rsa_pss_rsae_sha256,
        SignatureScheme.rsa_pkcs1_sha256,
      ]),
    ];
    if (opts.ems ?? true) exts.push(emptyExtension(E.extended_master_secret));
    if (opts.renegotiationInfo !== null) {
      exts.push(renegotiationInfoExtension(opts.renegotiationInfo ?? EMPTY));
    }
    const hello: ClientHello = {
      legacyVersion: Version.TLS12,
      random: provider.random(32),
      sessionId: opts.sessionId ?? EMPTY,
      cipherSuites: opts.suites ?? [
        CipherSuiteId.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuiteId.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
      ],
      compressionMethods: [0],
      extensions: exts,
    };
    this.#hello = hello;
    const msg = clientHelloMessage(hello);
    this.#transcript.add(msg.raw);
    this.wire.write(recordOf(ContentType.handshake, msg.raw));
  }

  /** The next thing the server sent (`eof` once it closed). */
  async next(): Promise<Incoming12> {
    for (;;) {
      const item = await this.#inbox.shift();
      if (item) return item;
      if (this.#eof) return { kind: "eof" };
      const chunk = await this.wire.read();
      if (chunk === undefined) this.#eof = true;
      else this.#inbox.push(chunk);
    }
  }

  /** Reads ServerHello … ServerHelloDone, adding each to the transcript. */
  async readServerFlight(): Promise<ServerFlight12> {
    let sh, certificates: Bytes[] = [], ske, certificateRequest: number[] | undefined;
    for (;;) {
      const item = await this.next();
      if (item.kind !== "handshake") {
        throw new Error(`expected the server's flight, got ${JSON.stringify(item)}`);
      }
      this.#transcript.add(item.raw);
      if (item.type === H.server_hello) sh = decodeServerHello(item.body);
      else if (item.type === H.certificate) certificates = decodeCertificate12(item.body);
      else if (item.type === H.server_key_exchange) ske = decodeServerKeyExchange(item.body);
      else if (item.type === H.certificate_request) {
        certificateRequest = decodeCertificateRequest12(item.body).signatureAlgorithms;
      } else if (item.type === H.server_hello_done) break;
    }
    assert.ok(sh && ske, "ServerHello and ServerKeyExchange");
    this.#flight = {
      suite: suiteById(sh.cipherSuite)!,
      sessionId: sh.sessionId,
      extensions: sh.extensions,
      certificates,
      certificateRequest,
      serverRandom: sh.random,
      ske: { group: ske.group, point: ske.publicKey },
    };
    this.#transcript.setHash(this.#flight.suite.hash);
    return this.#flight;
  }

  /**
   * Sends Certificate (when asked: `auth`'s chain, or an empty one), ClientKeyExchange,
   * CertificateVerify (with `auth`), ChangeCipherSpec and Finished (`verifyData` may alter it).
   * `beforeKeyExchange` is written ahead of the ClientKeyExchange.
   */
  async finish(
    opts: {
      auth?: ClientAuth12;
      verifyData?: (vd: Bytes) => Bytes;
      beforeKeyExchange?: Bytes;
    } = {},
  ): Promise<void> {
    const f = this.#flight!;
    const out: Bytes[] = [];
    const add = (type: H, body: Bytes) => {
      const m = frameHandshake(type, body);
      this.#transcript.add(m.raw);
      out.push(recordOf(ContentType.handshake, m.raw));
    };
    if (f.certificateRequest) add(H.certificate, encodeCertificate12(opts.auth?.creds.chain ?? []));
    if (opts.beforeKeyExchange) out.push(opts.beforeKeyExchange);
    const share: KeyShare = await provider.generateKeyShare(f.ske.group);
    const pms = await share.agree(f.ske.point);
    add(H.client_key_exchange, encodeClientKeyExchange(share.publicKey));
    const ems = findExtension(f.extensions, E.extended_master_secret) !== undefined;
    const keys = await deriveKeys(
      f.suite,
      pms,
      this.#hello!.random,
      f.serverRandom,
      ems ? await this.#transcript.hash() : undefined,
    );
    this.#master = keys.master;
    this.#serverReader = keys.server;
    if (opts.auth && f.certificateRequest) {
      const scheme = opts.auth.scheme ?? opts.auth.creds.key.schemes[0];
      const signature = await provider.sign(
        scheme,
        opts.auth.creds.key,
        this.#transcript.messages(),
      );
      add(
        H.certificate_verify,
        encodeCertificateVerify({ scheme: opts.auth.announce ?? scheme, signature }),
      );
    }
    out.push(recordOf(ContentType.change_cipher_spec, new Uint8Array([1])));
    this.#writer = keys.client;
    const vd = await keys.master.finishedVerifyData("client", await this.#transcript.hash());
    const fin = frameHandshake(H.finished, opts.verifyData ? opts.verifyData(vd) : vd);
    this.#transcript.add(fin.raw);
    out.push(await this.#writer.seal(ContentType.handshake, fin.raw));
    this.wire.write(concat(...out));
  }

  /** Reads [NewSessionTicket], ChangeCipherSpec and Finished, and checks the Finished. */
  async readServerFinish(): Promise<void> {
    for (;;) {
      const item = await this.next();
      if (item.kind === "ccs") {
        this.#inbox.reader = this.#serverReader;
        continue;
      }
      if (item.kind !== "handshake") throw new Error(`unexpected ${JSON.stringify(item)}`);
      if (item.type === H.finished) {
        const expected = await this.#master!.finishedVerifyData(
          "server",
          await this.#transcript.hash(),
        );
        assert.ok(constantTimeEqual(item.body, expected), "the server's Finished verifies");
        return;
      }
      this.#transcript.add(item.raw);
    }
  }

  /** Sends application data under the client's keys. */
  async sendData(data: Uint8Array): Promise<void> {
    this.wire.write(await this.#writer!.seal(ContentType.application_data, data as Bytes));
  }

  /** Sends a handshake message under the client's keys (e.g. a renegotiating ClientHello). */
  async sendProtectedHandshake(raw: Uint8Array): Promise<void> {
    this.wire.write(await this.#writer!.seal(ContentType.handshake, raw as Bytes));
  }

  /** A fresh ClientHello as a handshake message (for a renegotiation attempt). */
  renegotiationHello(): Bytes {
    return clientHelloMessage({ ...this.#hello!, random: provider.random(32) }).raw;
  }

  /** Reads until an alert arrives (skipping other items); undefined at EOF. */
  async readAlert(): Promise<Extract<Incoming12, { kind: "alert" }> | undefined> {
    for (;;) {
      const item = await this.next();
      if (item.kind === "alert") return item;
      if (item.kind === "eof") return undefined;
      if (item.kind === "ccs") this.#inbox.reader = this.#serverReader;
    }
  }

  /** Reads application data until `n` bytes arrived. */
  async readData(n: number): Promise<Bytes> {
    const parts: Bytes[] = [];
    let got = 0;
    while (got < n) {
      const item = await this.next();
      if (item.kind === "data") {
        parts.push(item.data);
        got += item.data.byteLength;
      } else if (item.kind !== "alert" || item.level !== 1) {
        throw new Error(`expected application data, got ${JSON.stringify(item)}`);
      }
    }
    return concat(...parts);
  }

  /** Drops the connection. */
  close(): void {
    this.wire.close();
  }
}

// ---------------------------------------------------------------------------------------
// The scripted server

/** Options of a {@link Scripted12Server}. */
export interface Scripted12ServerOptions {
  pki: Pki;
  /** Which leaf (default ecdsaP256). */
  leaf?: LeafName;
  /** The suite (default TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256). */
  suite?: number;
}

/**
 * A TLS 1.2-only server following the full handshake of RFC 5246 §7.3 with ECDHE (X25519),
 * the extended master secret when offered and secure renegotiation signalling; after the
 * handshake `seal` protects whatever a test wants to send, and what the client sends is kept.
 */
export class Scripted12Server {
  readonly opts: Scripted12ServerOptions;
  /** Application data received. */
  readonly received: Bytes[] = [];
  /** Alerts received. */
  readonly alerts: Array<{ level: number; description: number; protected: boolean }> = [];
  /** Handshake messages received after the handshake (renegotiation attempts). */
  readonly laterHandshakes: number[] = [];
  #creds!: Credentials;
  #inbox = new Inbox();
  #transcript!: Transcript;
  #suite!: CipherSuite;
  #hello?: ClientHello;
  #serverRandom = provider.random(32);
  #share?: KeyShare;
  #ems = false;
  #keys?: Awaited<ReturnType<typeof deriveKeys>>;
  #connected = false;

  private constructor(opts: Scripted12ServerOptions) {
    this.opts = opts;
  }

  /** Loads the leaf. */
  static async create(opts: Scripted12ServerOptions): Promise<Scripted12Server> {
    const srv = new Scripted12Server(opts);
    srv.#creds = await credentials(opts.pki, opts.leaf ?? "ecdsaP256");
    srv.#suite = suiteById(opts.suite ?? CipherSuiteId.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)!;
    srv.#transcript = new Transcript(provider, srv.#suite.hash);
    return srv;
  }

  /** True once the client's Finished verified and the server's went out. */
  get handshakeDone(): boolean {
    return this.#connected;
  }

  /** Protects `data` as a record of `type` under the server's write key. */
  seal(type: ContentType, data: Uint8Array): Promise<Bytes> {
    return this.#keys!.server.seal(type, data as Bytes);
  }

  /** Consumes bytes from the client and returns the server's answer. */
  async receive(bytes: Uint8Array): Promise<Bytes> {
    this.#inbox.push(bytes);
    const out: Bytes[] = [];
    for (let item = await this.#inbox.shift(); item; item = await this.#inbox.shift()) {
      if (item.kind === "alert") {
        this.alerts.push(item);
      } else if (item.kind === "data") {
        this.received.push(item.data);
      } else if (item.kind === "ccs") {
        this.#inbox.reader = this.#keys!.client;
      } else if (item.kind === "handshake") {
        if (this.#connected) {
          this.laterHandshakes.push(item.type);
        } else if (item.type === H.client_hello) {
          this.#transcript.add(item.raw);
          out.push(await this.#flight(decodeClientHello(item.body)));
        } else if (item.type === H.client_key_exchange) {
          this.#transcript.add(item.raw);
          const pms = await this.#share!.agree(decodeClientKeyExchange(item.body));
          this.#keys = await deriveKeys(
            this.#suite,
            pms,
            this.#hello!.random,
            this.#serverRandom,
            this.#ems ? await this.#transcript.hash() : undefined,
          );
        } else if (item.type === H.finished) {
          const expected = await this.#keys!.master.finishedVerifyData(
            "client",
            await this.#transcript.hash(),
          );
          assert.ok(constantTimeEqual(item.body, expected), "the client's Finished verifies");
          this.#transcript.add(item.raw);
          const vd = await this.#keys!.master.finishedVerifyData(
            "server",
            await this.#transcript.hash(),
          );
          out.push(recordOf(ContentType.change_cipher_spec, new Uint8Array([1])));
          out.push(await this.seal(ContentType.handshake, frameHandshake(H.finished, vd).raw));
          this.#connected = true;
        } else {
          throw new Error(`scripted server: unexpected handshake message ${item.type}`);
        }
      }
    }
    return concat(...out);
  }

  /** ServerHello, Certificate, ServerKeyExchange, ServerHelloDone. RFC 5246 §7.4.1.3–§7.4.5. */
  async #flight(ch: ClientHello): Promise<Bytes> {
    this.#hello = ch;
    assert.ok(ch.cipherSuites.includes(this.#suite.id), "the client offers the suite");
    this.#ems = findExtension(ch.extensions, E.extended_master_secret) !== undefined;
    const exts: Extension[] = [renegotiationInfoExtension(EMPTY), ecPointFormatsExtension()];
    if (this.#ems) exts.push(emptyExtension(E.extended_master_secret));
    const msgs = [
      frameHandshake(
        H.server_hello,
        encodeServerHello({
          legacyVersion: Version.TLS12,
          random: this.#serverRandom,
          sessionId: provider.random(32),
          cipherSuite: this.#suite.id,
          compressionMethod: 0,
          extensions: exts,
        }),
      ),
      frameHandshake(H.certificate, encodeCertificate12(this.#creds.chain)),
    ];
    this.#share = await provider.generateKeyShare(NamedGroup.x25519);
    const params = encodeEcdheParams(NamedGroup.x25519, this.#share.publicKey);
    const scheme = this.#creds.key.schemes[0];
    const signature = await provider.sign(
      scheme,
      this.#creds.key,
      concat(ch.random, this.#serverRandom, params),
    );
    msgs.push(
      frameHandshake(H.server_key_exchange, encodeServerKeyExchange(params, { scheme, signature })),
    );
    msgs.push(frameHandshake(H.server_hello_done, EMPTY));
    for (const m of msgs) this.#transcript.add(m.raw);
    return recordOf(ContentType.handshake, concat(...msgs.map((m) => m.raw)));
  }
}

/** How a client run against a scripted server went. */
export interface Drive12 {
  client: SSLObject;
  /** Delivers what the client wrote to the server, and the server's answer to the client. */
  pump(): Promise<void>;
  /** Delivers bytes from the server (e.g. sealed by a test) to the client. */
  deliver(bytes: Uint8Array): void;
}

/**
 * Runs our client (`SSLObject` over `MemoryBIO`s) against `srv` until the handshake completes;
 * throws the client's `SSLError` when it fails.
 */
export async function drive12(ctx: SSLContext, srv: Scripted12Server): Promise<Drive12> {
  const incoming = new MemoryBIO();
  const outgoing = new MemoryBIO();
  const client = ctx.wrapBio(incoming, outgoing, { serverHostname: "localhost" });
  const pump = async () => {
    const answer = await srv.receive(outgoing.read());
    if (answer.byteLength) incoming.write(answer);
  };
  for (let round = 0; round < 4; round++) {
    try {
      await client.doHandshake();
      await pump();
      return { client, pump, deliver: (b) => incoming.write(b) };
    } catch (e) {
      if (!(e instanceof SSLWantReadError)) throw e;
      await pump();
    }
  }
  throw new SSLError("TEST", "the handshake did not finish");
}
