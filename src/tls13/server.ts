/**
 * The TLS 1.3 server handshake, RFC 8446 §2 and §4, as straight-line states: ClientHello
 * checks, suite/group/certificate selection, HelloRetryRequest, PSK resumption, client
 * authentication (in the handshake and after it), session tickets and KeyUpdate.
 * @module
 */
import { type Bytes, constantTimeEqual, equal } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import type { Reader } from "../codec/reader.ts";
import {
  ExtensionType as E,
  HandshakeType as H,
  HRR_RANDOM,
  PskKeyExchangeMode,
  Version,
} from "../constants.ts";
import { HASH_LENGTH } from "../crypto/provider.ts";
import { type CipherSuite, suiteById } from "../crypto/suites.ts";
import { Transcript } from "../crypto/transcript.ts";
import type { CertifiedKey, PeerCheck, ServerConfig, TicketContents } from "../engine/config.ts";
import type { Connection, HandshakeState } from "../engine/connection.ts";
import {
  decodeCertificate13,
  encodeCertificate13,
  encodeCertificateRequest13,
  encodeCertificateVerify,
} from "../messages/certificate.ts";
import {
  type ClientHello,
  clientHelloServerName,
  decodeClientHello,
  truncateForBinders,
} from "../messages/client_hello.ts";
import {
  alpnExtension,
  bindersLength,
  certificateAuthoritiesExtension,
  cookieExtension,
  emptyExtension,
  type Extension,
  findExtension,
  type KeyShareEntry,
  keyShareHrrExtension,
  keyShareServerExtension,
  type OfferedPsks,
  parseExtension,
  preSharedKeyServerExtension,
  readAlpn,
  readCookie,
  readKeyShareClient,
  readPreSharedKeyClient,
  readPskModes,
  readRecordSizeLimit,
  readServerName,
  readSignatureAlgorithms,
  readSupportedGroups,
  readSupportedVersionsClient,
  recordSizeLimitExtension,
  signatureAlgorithmsExtension,
  supportedVersionsServerExtension,
} from "../messages/extensions.ts";
import { frameHandshake, type HandshakeMessage } from "../messages/handshake.ts";
import { decodeFinished, encodeNewSessionTicket13 } from "../messages/post_handshake.ts";
import { encodeEncryptedExtensions, serverHelloMessage } from "../messages/server_hello.ts";
import {
  certificateVerifyContent,
  checkExtensions,
  checkFinished,
  selectAlpn,
  unexpectedMessage,
  validForTls13Signature,
  verifyCertificateVerify,
} from "./common.ts";
import { EarlySecret, finishedVerifyData, type MasterSecret, Psk } from "./key_schedule.ts";
import { Tls13Secrets } from "./traffic.ts";
import { startTls12Server } from "../tls12/server.ts";

/** How far a client's view of a ticket's age may stray from ours (RFC 8446 §8.3). */
const TICKET_AGE_TOLERANCE_MS = 60_000;

/** What a TLS 1.3 ClientHello offers, parsed once. */
interface Offer {
  hello: ClientHello;
  serverName?: string;
  versions: number[];
  groups: number[];
  shares: KeyShareEntry[];
  signatureSchemes?: number[];
  alpn?: string[];
  pskModes: number[];
  psks?: OfferedPsks;
  cookie?: Bytes;
  postHandshakeAuth: boolean;
  /** The client's record_size_limit (RFC 8449). */
  recordSizeLimit?: number;
}

/** Everything the server remembers between states. Secrets never leave this object. */
interface ServerHs {
  cfg: ServerConfig;
  transcript: Transcript;
  suite?: CipherSuite;
  traffic?: Tls13Secrets;
  /** After a HelloRetryRequest: the first offer, the group asked for and the cookie sent. */
  retry?: { offer: Offer; group: number; cookie: Bytes };
  ccsSent: boolean;
  /** schemes offered in our CertificateRequest (handshake or post-handshake). */
  requestedSchemes: number[];
  peer?: PeerCheck;
  clientAuthenticated: boolean;
  peerCertificates: Bytes[];
  ticketsSent: number;
  offeredPha: boolean;
  pendingPha?: { context: Bytes };
  keyUpdatesInARow: number;
}

/** Starts a server handshake: waits for the ClientHello. */
export function startServer(cfg: ServerConfig): HandshakeState {
  return new ExpectClientHello({
    cfg,
    transcript: new Transcript(cfg.provider),
    ccsSent: false,
    requestedSchemes: [],
    clientAuthenticated: false,
    peerCertificates: [],
    ticketsSent: 0,
    offeredPha: false,
    keyUpdatesInARow: 0,
  });
}

/** Parses and checks a TLS 1.3 ClientHello's extensions. RFC 8446 §4.1.2, §4.2, §9.2. */
function parseOffer(hello: ClientHello): Offer {
  const exts = hello.extensions;
  checkExtensions("CH", exts);
  const get = <T>(type: number, read: (r: Reader) => T) => {
    const ext = findExtension(exts, type);
    return ext ? parseExtension(ext, read) : undefined;
  };
  const versions = get(E.supported_versions, readSupportedVersionsClient) ?? [];
  const groups = get(E.supported_groups, readSupportedGroups);
  const shares = get(E.key_share, readKeyShareClient);
  const psks = get(E.pre_shared_key, readPreSharedKeyClient);
  const pskModes = get(E.psk_key_exchange_modes, readPskModes);
  const signatureSchemes = get(E.signature_algorithms, readSignatureAlgorithms);
  // RFC 8446 §9.2: supported_groups and key_share come together; without a PSK,
  // signature_algorithms is required; missing ones are missing_extension.
  if ((groups === undefined) !== (shares === undefined)) {
    throw alertError(
      Alert.missing_extension,
      "supported_groups and key_share must come together",
      "MISSING_EXTENSION",
    );
  }
  if (!psks && signatureSchemes === undefined) {
    throw alertError(
      Alert.missing_extension,
      "ClientHello has no signature_algorithms",
      "MISSING_SIGALGS_EXTENSION",
    );
  }
  if (!psks && groups === undefined) {
    throw alertError(
      Alert.missing_extension,
      "ClientHello has no supported_groups",
      "MISSING_EXTENSION",
    );
  }
  // RFC 8446 §4.2.9: a PSK offer needs psk_key_exchange_modes.
  if (psks && pskModes === undefined) {
    throw alertError(
      Alert.missing_extension,
      "pre_shared_key without psk_key_exchange_modes",
      "MISSING_PSK_KEX_MODES_EXTENSION",
    );
  }
  // RFC 8446 §4.2.8: every key share must be for a group in supported_groups.
  for (const s of shares ?? []) {
    if (!groups!.includes(s.group)) {
      throw alertError(
        Alert.illegal_parameter,
        "key share for a group not in supported_groups",
        "BAD_KEY_SHARE",
      );
    }
  }
  return {
    hello,
    serverName: get(E.server_name, readServerName),
    versions,
    groups: groups ?? [],
    shares: shares ?? [],
    signatureSchemes,
    alpn: get(E.application_layer_protocol_negotiation, readAlpn),
    pskModes: pskModes ?? [],
    psks,
    cookie: get(E.cookie, readCookie),
    postHandshakeAuth: findExtension(exts, E.post_handshake_auth) !== undefined,
    recordSizeLimit: get(E.record_size_limit, readRecordSizeLimit),
  };
}

/**
 * The version to speak: supported_versions decides (RFC 8446 §4.2.1); without it the
 * legacy_version does, 0x0303 or above meaning TLS 1.2 (RFC 5246 §E.1). Nothing in common is
 * protocol_version.
 */
function negotiateVersion(cfg: ServerConfig, hello: ClientHello): number {
  const sv = findExtension(hello.extensions, E.supported_versions);
  // RFC 8446 §D.5: a legacy_version of 0x0300 or less is protocol_version. OpenSSL checks it
  // beside supported_versions only; without it, that version is simply not enabled.
  if (sv && hello.legacyVersion <= 0x0300) {
    throw alertError(
      Alert.protocol_version,
      "ClientHello legacy_version is SSL 3.0 or older",
      "BAD_LEGACY_VERSION",
    );
  }
  const offered = sv
    ? parseExtension(sv, readSupportedVersionsClient)
    : hello.legacyVersion >= Version.TLS12
    ? [Version.TLS12]
    : [];
  if (cfg.maxVersion >= Version.TLS13 && offered.includes(Version.TLS13)) return Version.TLS13;
  if (cfg.minVersion <= Version.TLS12 && offered.includes(Version.TLS12)) return Version.TLS12;
  throw alertError(
    Alert.protocol_version,
    sv
      ? "no protocol version in common"
      : "the client offers neither TLS 1.3 nor TLS 1.2 as enabled",
    "UNSUPPORTED_PROTOCOL",
  );
}

/** The suite: the server's order or the client's, among those both have. RFC 8446 §4.1.1. */
function chooseSuite(cfg: ServerConfig, offered: readonly number[]): CipherSuite {
  const ours = cfg.suites13;
  const suite = cfg.serverPreference
    ? ours.find((s) => offered.includes(s.id))
    : offered.map((id) => ours.find((s) => s.id === id)).find((s) => s !== undefined);
  if (!suite) {
    throw alertError(Alert.handshake_failure, "no shared cipher suite", "NO_SHARED_CIPHER");
  }
  return suite;
}

/**
 * A certificate chain and scheme for the client's signature_algorithms: the first scheme in
 * the client's order that one of our keys can sign with. RFC 8446 §4.2.3, §4.4.2.2.
 */
function chooseCertificate(
  cfg: ServerConfig,
  schemes: readonly number[],
): { chain: CertifiedKey; scheme: number } {
  for (const scheme of schemes) {
    if (!validForTls13Signature(scheme)) continue;
    const chain = cfg.certificates.find((c) => c.key.schemes.includes(scheme));
    if (chain) return { chain, scheme };
  }
  throw alertError(
    Alert.handshake_failure,
    cfg.certificates.length === 0
      ? "the server has no certificate (load one with loadCertChain)"
      : "no certificate matches the client's signature algorithms",
    cfg.certificates.length === 0 ? "NO_CERTIFICATE_ASSIGNED" : "NO_SUITABLE_SIGNATURE_ALGORITHM",
  );
}

class ExpectClientHello implements HandshakeState {
  readonly name = "waiting for ClientHello";
  constructor(private hs: ServerHs) {}

  get acceptsCompatCcs(): boolean {
    // RFC 8446 §5: a compat CCS may arrive once the first ClientHello was received.
    return this.hs.retry !== undefined;
  }

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.client_hello) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const hello = decodeClientHello(msg.body);
    if (negotiateVersion(hs.cfg, hello) === Version.TLS12) {
      // RFC 8446 §4.1.4: after a HelloRetryRequest the client must stay at TLS 1.3.
      if (hs.retry) {
        throw alertError(
          Alert.illegal_parameter,
          "TLS 1.2 ClientHello after a HelloRetryRequest",
          "BAD_HELLO_RETRY",
        );
      }
      await this.#sni(cx, clientHelloServerName(hello));
      return await startTls12Server(cx, hs.cfg, hello, msg);
    }
    const offer = parseOffer(hello);
    // RFC 8446 §4.1.2: exactly one compression method, null.
    if (hello.compressionMethods.length !== 1 || hello.compressionMethods[0] !== 0) {
      throw alertError(
        Alert.illegal_parameter,
        "TLS 1.3 ClientHello with compression",
        "INVALID_COMPRESSION_ALGORITHM",
      );
    }
    if (hs.retry) checkSecondHello(hs.retry, offer);
    else await this.#sni(cx, offer.serverName);
    cx.info.clientRandom = hello.random.slice();
    cx.info.serverName = offer.serverName;
    cx.info.peerPostHandshakeAuth = offer.postHandshakeAuth;
    hs.offeredPha = offer.postHandshakeAuth;
    const cfg = hs.cfg;
    const suite = hs.retry ? hs.suite! : chooseSuite(cfg, hello.cipherSuites);
    hs.suite = suite;
    // Groups both sides support, in our order; prefer one the client already sent a share
    // for so no HelloRetryRequest is needed. RFC 8446 §4.2.8.
    const common = cfg.groups.filter((g) => offer.groups.includes(g));
    const withShare = common.find((g) => offer.shares.some((s) => s.group === g));
    if (withShare === undefined) {
      if (common.length === 0 || hs.retry) {
        throw alertError(
          Alert.handshake_failure,
          "no key exchange group in common",
          "NO_SUITABLE_KEY_SHARE",
        );
      }
      return this.#helloRetry(cx, msg, offer, suite, common[0]);
    }
    hs.transcript.setHash(suite.hash);
    const psk = await this.#resumption(cx, offer, suite, msg);
    hs.transcript.add(msg.raw);
    const share = offer.shares.find((s) => s.group === withShare)!;
    return await this.#serverHello(cx, offer, suite, share, psk);
  }

  /** Runs the SNI hook, which may switch the settings (Python's `sni_callback`). */
  async #sni(cx: Connection, serverName: string | undefined): Promise<void> {
    const hook = this.hs.cfg.forServerName;
    if (!hook) return;
    const result = await hook(serverName);
    if (typeof result === "number") {
      throw alertError(result, `the SNI callback rejected the server name`, "CALLBACK_FAILED");
    }
    this.hs.cfg = result;
    cx.info.serverNameAcknowledged = serverName !== undefined;
  }

  /** RFC 8446 §4.1.4: asks for a share in `group`, with a cookie to echo. */
  async #helloRetry(
    cx: Connection,
    msg: HandshakeMessage,
    offer: Offer,
    suite: CipherSuite,
    group: number,
  ): Promise<HandshakeState> {
    const hs = this.hs;
    const cookie = hs.cfg.provider.random(32);
    hs.retry = { offer, group, cookie };
    hs.transcript.setHash(suite.hash);
    hs.transcript.add(msg.raw);
    await hs.transcript.replaceWithMessageHash();
    const hrr = serverHelloMessage({
      legacyVersion: Version.TLS12,
      random: HRR_RANDOM,
      sessionId: offer.hello.sessionId,
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions: [
        supportedVersionsServerExtension(Version.TLS13),
        keyShareHrrExtension(group),
        cookieExtension(cookie),
      ],
    });
    hs.transcript.add(hrr.raw);
    cx.sendHandshake(hrr);
    cx.info.helloRetryRequest = true;
    // RFC 8446 §4.2.10: early data sent with the first ClientHello is skipped.
    if (findExtension(offer.hello.extensions, E.early_data)) cx.skipEarlyData(true);
    this.#compatCcs(cx, offer);
    return this;
  }

  /** RFC 8446 §D.4: a dummy ChangeCipherSpec after the first server message, once. */
  #compatCcs(cx: Connection, offer: Offer): void {
    const hs = this.hs;
    if (hs.cfg.middleboxCompat && offer.hello.sessionId.byteLength > 0 && !hs.ccsSent) {
      cx.sendChangeCipherSpec();
      hs.ccsSent = true;
    }
  }

  /**
   * Accepts the first offered ticket that decrypts, is fresh, fits the suite and whose binder
   * verifies; a bad binder aborts with decrypt_error. RFC 8446 §4.2.11, §4.2.11.2, §4.6.1.
   */
  async #resumption(
    cx: Connection,
    offer: Offer,
    suite: CipherSuite,
    msg: HandshakeMessage,
  ): Promise<{ psk: Psk; index: number; ticket: TicketContents } | undefined> {
    const { cfg, transcript } = this.hs;
    const psks = offer.psks;
    // An offer that is not accepted below counts as a miss in the session statistics.
    cx.info.resumptionOffered = psks !== undefined;
    if (!psks || !cfg.tickets || !offer.pskModes.includes(PskKeyExchangeMode.psk_dhe_ke)) {
      return undefined;
    }
    const now = cfg.now();
    for (let index = 0; index < psks.identities.length; index++) {
      const id = psks.identities[index];
      const ticket = await cfg.tickets.open(id.identity);
      if (!ticket || ticket.version !== Version.TLS13) continue;
      const ticketSuite = suiteById(ticket.cipherSuite);
      if (!ticketSuite || ticketSuite.hash !== suite.hash) continue;
      const age = now - ticket.issuedAt;
      const clientAge = (id.obfuscatedTicketAge - ticket.ageAdd) >>> 0;
      if (age < 0 || age > ticket.lifetime * 1000) {
        cx.emit({ type: "ticket-expired" });
        continue;
      }
      if (Math.abs(clientAge - age) > TICKET_AGE_TOLERANCE_MS) continue;
      // RFC 8446 §4.6.1: a ticket only resumes for the name it was issued for.
      if ((ticket.serverName ?? undefined) !== offer.serverName) continue;
      const psk = Psk.from(cfg.provider, suite.hash, ticket.psk);
      const early = await EarlySecret.derive(cfg.provider, suite.hash, psk);
      const lengths = psks.binders.map((b) => b.byteLength);
      const truncated = truncateForBinders(msg.raw, bindersLength(lengths));
      const expected = await finishedVerifyData(
        await early.binderKey(true),
        await transcript.hashWith(truncated),
      );
      if (!constantTimeEqual(expected, psks.binders[index])) {
        throw alertError(
          Alert.decrypt_error,
          "PSK binder does not verify",
          "BINDER_DOES_NOT_VERIFY",
        );
      }
      return { psk, index, ticket };
    }
    return undefined;
  }

  async #serverHello(
    cx: Connection,
    offer: Offer,
    suite: CipherSuite,
    peer: KeyShareEntry,
    resumed: { psk: Psk; index: number; ticket: TicketContents } | undefined,
  ): Promise<HandshakeState> {
    const hs = this.hs;
    const cfg = hs.cfg;
    const { publicKey, secret: shared } = await cfg.provider.acceptKeyShare(
      peer.group,
      peer.keyExchange,
    );
    const extensions: Extension[] = [
      supportedVersionsServerExtension(Version.TLS13),
      keyShareServerExtension({ group: peer.group, keyExchange: publicKey }),
    ];
    if (resumed) extensions.push(preSharedKeyServerExtension(resumed.index));
    const random = cfg.provider.random(32);
    const sh = serverHelloMessage({
      legacyVersion: Version.TLS12,
      random,
      sessionId: offer.hello.sessionId,
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions,
    });
    cx.sendHandshake(sh);
    hs.transcript.add(sh.raw);
    this.#compatCcs(cx, offer);
    Object.assign(cx.info, {
      version: Version.TLS13,
      cipherSuite: suite.id,
      group: peer.group,
      serverRandom: random,
      sessionReused: resumed !== undefined,
    });
    cx.setVersion(Version.TLS13);
    if (offer.recordSizeLimit !== undefined) cx.limitRecordSize(offer.recordSizeLimit);
    const early = await EarlySecret.derive(cfg.provider, suite.hash, resumed?.psk);
    const hsSecret = await early.handshakeSecret(shared);
    // Started now, awaited after our Finished: it overlaps signing the CertificateVerify.
    hsSecret.masterSecret().catch(() => {});
    const traffic = new Tls13Secrets(cfg.provider, suite, cx, "server", cfg.keyLog);
    hs.traffic = traffic;
    await traffic.handshake(hsSecret, await hs.transcript.hash());
    // RFC 8446 §4.2.10: 0-RTT is never accepted (no early_data in EncryptedExtensions); what
    // the client sent under its early keys is skipped.
    if (findExtension(offer.hello.extensions, E.early_data)) cx.skipEarlyData(false);
    await traffic.useHandshakeWriter();

    // EncryptedExtensions. RFC 8446 §4.3.1.
    const ee: Extension[] = [];
    if (cx.info.serverNameAcknowledged) ee.push(emptyExtension(E.server_name));
    const alpn = selectAlpn(cfg.alpnProtocols, offer.alpn);
    if (alpn !== undefined) {
      ee.push(alpnExtension([alpn]));
      cx.info.alpn = alpn;
    }
    // RFC 8449 §4: answered in EncryptedExtensions in TLS 1.3.
    if (offer.recordSizeLimit !== undefined) ee.push(recordSizeLimitExtension(true));
    this.#send(cx, H.encrypted_extensions, encodeEncryptedExtensions(ee));

    // RFC 8446 §4.3.2: no CertificateRequest in a PSK handshake; with post-handshake auth
    // configured the request waits for the application (§4.6.2).
    const requestCertificate = !resumed && cfg.verifyMode !== 0 && !cfg.postHandshakeAuth;
    if (resumed) {
      cx.info.peerCertificates = resumed.ticket.peerCertificates;
      cx.info.verifiedChain = resumed.ticket.verifiedChain ?? [];
      hs.peerCertificates = resumed.ticket.peerCertificates;
    } else {
      // CertificateRequest, Certificate, CertificateVerify. RFC 8446 §4.3.2, §4.4.2, §4.4.3.
      if (requestCertificate) {
        hs.requestedSchemes = cfg.signatureSchemes.filter(validForTls13Signature);
        const exts = [signatureAlgorithmsExtension(hs.requestedSchemes)];
        if (cfg.certificateAuthorities.length) {
          exts.push(certificateAuthoritiesExtension(cfg.certificateAuthorities));
        }
        this.#send(
          cx,
          H.certificate_request,
          encodeCertificateRequest13({ context: new Uint8Array(0), extensions: exts }),
        );
      }
      const { chain, scheme } = chooseCertificate(cfg, offer.signatureSchemes ?? []);
      this.#send(
        cx,
        H.certificate,
        encodeCertificate13({
          context: new Uint8Array(0),
          entries: chain.chain.map((cert) => ({ cert, extensions: [] })),
        }),
      );
      const content = certificateVerifyContent("server", await hs.transcript.hash());
      const signature = await cfg.provider.sign(scheme, chain.key, content);
      this.#send(cx, H.certificate_verify, encodeCertificateVerify({ scheme, signature }));
    }
    const finished = await traffic.serverFinished(await hs.transcript.hash());
    this.#send(cx, H.finished, finished);
    const master = await hsSecret.masterSecret();
    await traffic.application(master, await hs.transcript.hash());
    cx.setExporter((label, context, length) =>
      traffic.exportKeyingMaterial(label, context, length)
    );
    // RFC 8446 §4.4.4: the server may send data right after its Finished (0.5-RTT).
    await traffic.useApplicationWriter();
    return requestCertificate
      ? new ExpectClientCertificate(hs, master)
      : new ExpectClientFinished(hs, master);
  }

  #send(cx: Connection, type: H, body: Bytes): void {
    const msg = frameHandshake(type, body);
    cx.sendHandshake(msg);
    this.hs.transcript.add(msg.raw);
  }
}

/**
 * RFC 8446 §4.1.2: the second ClientHello repeats the first except for the key share (now
 * one, in the group asked for), the cookie, PSK details and early_data; anything else changed
 * is illegal_parameter.
 */
function checkSecondHello(
  retry: { offer: Offer; group: number; cookie: Bytes },
  second: Offer,
): void {
  const first = retry.offer;
  const a = first.hello, b = second.hello;
  const same = equal(a.random, b.random) && equal(a.sessionId, b.sessionId) &&
    a.cipherSuites.length === b.cipherSuites.length &&
    a.cipherSuites.every((s, i) => s === b.cipherSuites[i]) &&
    sameExtension(a.extensions, b.extensions, E.supported_versions) &&
    sameExtension(a.extensions, b.extensions, E.supported_groups) &&
    sameExtension(a.extensions, b.extensions, E.signature_algorithms) &&
    sameExtension(a.extensions, b.extensions, E.server_name) &&
    sameExtension(a.extensions, b.extensions, E.application_layer_protocol_negotiation);
  if (!same) {
    throw alertError(
      Alert.illegal_parameter,
      "the second ClientHello differs from the first",
      "BAD_HELLO_RETRY",
    );
  }
  if (second.shares.length !== 1 || second.shares[0].group !== retry.group) {
    throw alertError(
      Alert.illegal_parameter,
      "the second ClientHello has the wrong key share",
      "BAD_KEY_SHARE",
    );
  }
  if (!second.cookie || !equal(second.cookie, retry.cookie)) {
    throw alertError(
      Alert.illegal_parameter,
      "the second ClientHello does not echo the cookie",
      "BAD_COOKIE",
    );
  }
  if (findExtension(b.extensions, E.early_data)) {
    throw alertError(
      Alert.illegal_parameter,
      "early_data after a HelloRetryRequest",
      "BAD_EXTENSION",
    );
  }
}

function sameExtension(a: readonly Extension[], b: readonly Extension[], type: number): boolean {
  const x = findExtension(a, type), y = findExtension(b, type);
  return x === undefined ? y === undefined : y !== undefined && equal(x.data, y.data);
}

class ExpectClientCertificate implements HandshakeState {
  readonly name = "waiting for the client Certificate";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ServerHs, private master: MasterSecret) {}

  handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.certificate) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const authenticated = receiveClientCertificate(cx, hs, msg, new Uint8Array(0));
    hs.transcript.add(msg.raw);
    return Promise.resolve(
      authenticated
        ? new ExpectClientCertificateVerify(hs, this.master)
        : new ExpectClientFinished(hs, this.master),
    );
  }
}

/**
 * Checks a client Certificate answering a request with `context`; returns true when it holds
 * a chain (verified), false when empty and allowed. RFC 8446 §4.4.2, §4.4.2.4.
 */
function receiveClientCertificate(
  cx: Connection,
  hs: ServerHs,
  msg: HandshakeMessage,
  context: Bytes,
): boolean {
  const cert = decodeCertificate13(msg.body);
  if (!equal(cert.context, context)) {
    throw alertError(Alert.illegal_parameter, "client Certificate has the wrong request context");
  }
  // We request no per-certificate extensions, so any is unsolicited. RFC 8446 §4.4.2.
  for (const entry of cert.entries) checkExtensions("CT", entry.extensions, new Set());
  if (cert.entries.length === 0) {
    if (hs.cfg.verifyMode === 2) {
      throw alertError(
        Alert.certificate_required,
        "the client sent no certificate",
        "PEER_DID_NOT_RETURN_A_CERTIFICATE",
      );
    }
    return false;
  }
  // Kept after the handshake: copied, so no view pins a whole received chunk.
  const chain = cert.entries.map((e) => e.cert.slice());
  hs.peer = hs.cfg.verifyPeer(chain);
  hs.peerCertificates = chain;
  cx.info.peerCertificates = chain;
  return true;
}

/**
 * Verifies a client CertificateVerify over `transcript`, then adds it. RFC 8446 §4.4.3. The
 * signature is checked while the chain verification finishes; the chain's verdict comes first.
 */
async function verifyClientSignature(
  cx: Connection,
  hs: ServerHs,
  transcript: Transcript,
  msg: HandshakeMessage,
): Promise<void> {
  const { chain } = await verifyCertificateVerify(
    hs.cfg.provider,
    "client",
    hs.requestedSchemes,
    hs.peer!,
    await transcript.hash(),
    msg.body,
  );
  cx.info.verifiedChain = chain;
  transcript.add(msg.raw);
}

class ExpectClientCertificateVerify implements HandshakeState {
  readonly name = "waiting for the client CertificateVerify";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ServerHs, private master: MasterSecret) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.certificate_verify) throw unexpectedMessage(msg.type, this.name);
    await verifyClientSignature(cx, this.hs, this.hs.transcript, msg);
    this.hs.clientAuthenticated = true;
    return new ExpectClientFinished(this.hs, this.master);
  }
}

class ExpectClientFinished implements HandshakeState {
  readonly name = "waiting for the client Finished";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ServerHs, private master: MasterSecret) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.finished) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const traffic = hs.traffic!;
    const verifyData = decodeFinished(msg.body, HASH_LENGTH[hs.suite!.hash]);
    checkFinished(verifyData, await traffic.clientFinished(await hs.transcript.hash()), "client");
    hs.transcript.add(msg.raw);
    await traffic.resumption(this.master, await hs.transcript.hash());
    await traffic.useApplicationReader();
    traffic.endHandshake();
    // Post-handshake authentication hashes the handshake again; otherwise let it go.
    if (!hs.offeredPha) hs.transcript.release();
    hs.retry = undefined;
    cx.completeHandshake();
    const connected = new ServerConnected(hs);
    await connected.sendTickets(cx, hs.cfg.numTickets);
    return connected;
  }
}

/** The established connection: tickets, KeyUpdate, post-handshake authentication. */
export class ServerConnected implements HandshakeState {
  readonly name = "connected";
  #phaState: "idle" | "certificate" | "verify" | "finished" = "idle";
  #phaTranscript?: Transcript;

  constructor(private hs: ServerHs) {}

  /** Sends `count` NewSessionTickets. RFC 8446 §4.6.1. */
  async sendTickets(cx: Connection, count: number): Promise<void> {
    const hs = this.hs;
    const sealer = hs.cfg.tickets;
    if (!sealer || count <= 0) return;
    const traffic = hs.traffic!;
    // The tickets are independent: derive and seal them concurrently, send them in order.
    const tickets = Array.from({ length: count }, async () => {
      const nonce = new Uint8Array([hs.ticketsSent >>> 8, hs.ticketsSent & 0xff]);
      hs.ticketsSent++;
      const ageAdd = new DataView(hs.cfg.provider.random(4).buffer).getUint32(0);
      const ticket = await sealer.seal({
        version: Version.TLS13,
        cipherSuite: hs.suite!.id,
        psk: await traffic.resumptionPsk(nonce),
        issuedAt: hs.cfg.now(),
        ageAdd,
        lifetime: hs.cfg.ticketLifetime,
        alpn: cx.info.alpn,
        serverName: cx.info.serverName,
        peerCertificates: hs.peerCertificates,
        verifiedChain: cx.info.verifiedChain,
        extendedMasterSecret: false,
      });
      return frameHandshake(
        H.new_session_ticket,
        encodeNewSessionTicket13({
          lifetime: hs.cfg.ticketLifetime,
          ageAdd,
          nonce,
          ticket,
          extensions: [],
        }),
      );
    });
    for (const msg of await Promise.all(tickets)) cx.sendHandshake(msg);
  }

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    const hs = this.hs;
    switch (msg.type) {
      case H.key_update:
        await hs.traffic!.receiveKeyUpdate(msg.body);
        return this;
      case H.certificate:
        if (this.#phaState !== "certificate") break;
        return this.#phaCertificate(cx, msg);
      case H.certificate_verify:
        if (this.#phaState !== "verify") break;
        await verifyClientSignature(cx, hs, this.#phaTranscript!, msg);
        this.#phaState = "finished";
        return this;
      case H.finished:
        if (this.#phaState !== "finished") break;
        return await this.#phaFinished(cx, msg);
    }
    throw unexpectedMessage(msg.type, this.name);
  }

  /** Sends a KeyUpdate and moves to the next write keys. RFC 8446 §4.6.3. */
  keyUpdate(_cx: Connection, requestPeer: boolean): Promise<void> {
    return this.hs.traffic!.sendKeyUpdate(requestPeer);
  }

  /**
   * Requests a client certificate after the handshake. RFC 8446 §4.6.2: only when the client
   * offered post_handshake_auth; the request carries a fresh context.
   */
  requestClientCertificate(cx: Connection): Promise<void> {
    const hs = this.hs;
    if (!hs.offeredPha) {
      throw alertError(
        Alert.internal_error,
        "the client did not offer post-handshake authentication",
        "EXTENSION_NOT_RECEIVED",
      );
    }
    if (this.#phaState !== "idle") return Promise.resolve();
    const context = hs.cfg.provider.random(16);
    hs.pendingPha = { context };
    hs.requestedSchemes = hs.cfg.signatureSchemes.filter(validForTls13Signature);
    const exts = [signatureAlgorithmsExtension(hs.requestedSchemes)];
    if (hs.cfg.certificateAuthorities.length) {
      exts.push(certificateAuthoritiesExtension(hs.cfg.certificateAuthorities));
    }
    const req = frameHandshake(
      H.certificate_request,
      encodeCertificateRequest13({ context, extensions: exts }),
    );
    const t = new Transcript(hs.cfg.provider, hs.suite!.hash);
    t.add(hs.transcript.messages());
    t.add(req.raw);
    this.#phaTranscript = t;
    this.#phaState = "certificate";
    cx.sendHandshake(req);
    return Promise.resolve();
  }

  #phaCertificate(cx: Connection, msg: HandshakeMessage): HandshakeState {
    const hs = this.hs;
    const withCert = receiveClientCertificate(cx, hs, msg, hs.pendingPha!.context);
    this.#phaTranscript!.add(msg.raw);
    this.#phaState = withCert ? "verify" : "finished";
    return this;
  }

  async #phaFinished(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    const hs = this.hs;
    const t = this.#phaTranscript!;
    const verifyData = decodeFinished(msg.body, HASH_LENGTH[hs.suite!.hash]);
    checkFinished(verifyData, await hs.traffic!.postHandshakeFinished(await t.hash()), "client");
    hs.pendingPha = undefined;
    this.#phaTranscript = undefined;
    this.#phaState = "idle";
    cx.emit({ type: "client-authenticated" });
    return this;
  }
}
