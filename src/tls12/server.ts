/**
 * The TLS 1.2 server handshake (RFC 5246 §7.3) with ECDHE (RFC 8422), the extended master
 * secret (RFC 7627), secure renegotiation signalling (RFC 5746), session-ID and ticket
 * resumption (RFC 5077), TLS_FALLBACK_SCSV (RFC 7507) and the TLS 1.3 downgrade sentinel
 * (RFC 8446 §4.1.3). The TLS 1.3 server reads every ClientHello and hands over here when
 * TLS 1.2 is the version to speak.
 * @module
 */
import { type Bytes, EMPTY } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import type { Reader } from "../codec/reader.ts";
import {
  CipherSuiteId,
  DOWNGRADE_TLS12,
  ExtensionType as E,
  HandshakeType as H,
  NamedGroup,
  Version,
} from "../constants.ts";
import type { KeyShare } from "../crypto/provider.ts";
import { type CipherSuite, suiteById } from "../crypto/suites.ts";
import { Transcript } from "../crypto/transcript.ts";
import type { CertifiedKey, PeerCheck, ServerConfig, TicketContents } from "../engine/config.ts";
import type { Connection, HandshakeState } from "../engine/connection.ts";
import {
  decodeCertificate12,
  decodeCertificateVerify,
  encodeCertificate12,
  encodeCertificateRequest12,
} from "../messages/certificate.ts";
import { type ClientHello, clientHelloServerName } from "../messages/client_hello.ts";
import {
  alpnExtension,
  ecPointFormatsExtension,
  emptyExtension,
  type Extension,
  findExtension,
  parseExtension,
  readAlpn,
  readEcPointFormats,
  readRecordSizeLimit,
  readRenegotiationInfo,
  readSignatureAlgorithms,
  readSupportedGroups,
  recordSizeLimitExtension,
  renegotiationInfoExtension,
} from "../messages/extensions.ts";
import { frameHandshake, type HandshakeMessage } from "../messages/handshake.ts";
import { decodeFinished, encodeNewSessionTicket12 } from "../messages/post_handshake.ts";
import { serverHelloMessage } from "../messages/server_hello.ts";
import {
  ClientCertificateType,
  decodeClientKeyExchange,
  encodeEcdheParams,
  encodeServerKeyExchange,
} from "../messages/tls12.ts";
import { checkFinished, checkSignature, selectAlpn, unexpectedMessage } from "../tls13/common.ts";
import {
  Connected12,
  keyFitsSuite,
  schemeKeyType,
  serverKeyExchangeContent,
  Tls12Keys,
  validForTls12Signature,
} from "./common.ts";
import { MasterSecret12 } from "./prf.ts";

/** The named group of each ECDSA certificate curve. RFC 8422 §5.1.1. */
const CURVE_GROUPS: Readonly<Record<string, NamedGroup>> = {
  "P-256": NamedGroup.secp256r1,
  "P-384": NamedGroup.secp384r1,
  "P-521": NamedGroup.secp521r1,
};

/** What the server keeps between TLS 1.2 states. */
interface Server12 {
  cfg: ServerConfig;
  hello: ClientHello;
  transcript: Transcript;
  suite: CipherSuite;
  serverRandom: Bytes;
  sessionId: Bytes;
  ems: boolean;
  issueTicket: boolean;
  keys?: Tls12Keys;
  share?: KeyShare;
  requestedSchemes: number[];
  peer?: PeerCheck;
  serverFinished?: Bytes;
  resumed?: TicketContents;
}

/** The parts of a TLS 1.2 ClientHello the server decides on. */
interface Offer12 {
  groups?: number[];
  schemes?: number[];
  alpn?: string[];
  ems: boolean;
  secureRenegotiation: boolean;
  pointFormats: boolean;
  ticket?: Bytes;
  serverName?: string;
  /** The client's record_size_limit (RFC 8449). */
  recordSizeLimit?: number;
}

/** Handles a ClientHello that negotiates TLS 1.2. */
export async function startTls12Server(
  cx: Connection,
  cfg: ServerConfig,
  hello: ClientHello,
  msg: HandshakeMessage,
): Promise<HandshakeState> {
  // RFC 7507 §3: a fallback retry from a client that could do more than we negotiate.
  if (
    hello.cipherSuites.includes(CipherSuiteId.TLS_FALLBACK_SCSV) && cfg.maxVersion > Version.TLS12
  ) {
    throw alertError(
      Alert.inappropriate_fallback,
      "the client fell back although TLS 1.3 is available",
      "INAPPROPRIATE_FALLBACK",
    );
  }
  // RFC 5246 §7.4.1.2: the null compression method must be offered.
  if (!hello.compressionMethods.includes(0)) {
    throw alertError(
      Alert.illegal_parameter,
      "the client does not offer null compression",
      "NO_COMPRESSION_SPECIFIED",
    );
  }
  const offer = parseOffer12(cfg, hello);
  cx.info.clientRandom = hello.random.slice();
  cx.info.serverName = offer.serverName;
  // A ticket or session ID that does not resume counts as a miss, as OpenSSL counts it.
  cx.info.resumptionOffered = (offer.ticket?.byteLength ?? 0) > 0 || hello.sessionId.byteLength > 0;
  const serverRandom = cfg.provider.random(32);
  // RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 marks its random.
  if (cfg.maxVersion >= Version.TLS13) serverRandom.set(DOWNGRADE_TLS12, 24);
  const resumed = await findSession(cfg, hello, offer);
  const suite = resumed ? suiteById(resumed.cipherSuite)! : undefined;
  const choice = suite ? undefined : chooseSuiteAndCertificate(cfg, hello, offer);
  const hs: Server12 = {
    cfg,
    hello,
    transcript: new Transcript(cfg.provider, (suite ?? choice!.suite).hash),
    suite: suite ?? choice!.suite,
    serverRandom,
    // RFC 5077 §3.4: accepting a ticket echoes the client's session id.
    sessionId: resumed ? hello.sessionId : cfg.sessionCache ? cfg.provider.random(32) : EMPTY,
    ems: offer.ems,
    issueTicket: offer.ticket !== undefined && cfg.tickets !== undefined && cfg.numTickets > 0,
    requestedSchemes: [],
    resumed,
  };
  hs.transcript.add(msg.raw);
  const exts: Extension[] = [];
  if (offer.secureRenegotiation) exts.push(renegotiationInfoExtension(EMPTY));
  if (offer.ems) exts.push(emptyExtension(E.extended_master_secret));
  if (offer.pointFormats) exts.push(ecPointFormatsExtension());
  if (hs.issueTicket) exts.push(emptyExtension(E.session_ticket));
  if (cx.info.serverNameAcknowledged) exts.push(emptyExtension(E.server_name));
  // RFC 8449 §4: answered in the ServerHello in TLS 1.2.
  if (offer.recordSizeLimit !== undefined) exts.push(recordSizeLimitExtension(false));
  const alpn = selectAlpn(cfg.alpnProtocols, offer.alpn);
  if (alpn !== undefined) {
    exts.push(alpnExtension([alpn]));
    cx.info.alpn = alpn;
  }
  send(
    cx,
    hs,
    serverHelloMessage({
      legacyVersion: Version.TLS12,
      random: serverRandom,
      sessionId: hs.sessionId,
      cipherSuite: hs.suite.id,
      compressionMethod: 0,
      extensions: exts,
    }),
  );
  Object.assign(cx.info, {
    version: Version.TLS12,
    cipherSuite: hs.suite.id,
    serverRandom,
    extendedMasterSecret: offer.ems,
    sessionReused: resumed !== undefined,
  });
  cx.setVersion(Version.TLS12);
  if (offer.recordSizeLimit !== undefined) cx.limitRecordSize(offer.recordSizeLimit);
  if (resumed) return await resumeSession(cx, hs, resumed);
  return await sendServerFlight(cx, hs, choice!);
}

function send(cx: Connection, hs: Server12, msg: HandshakeMessage): void {
  cx.sendHandshake(msg);
  hs.transcript.add(msg.raw);
}

function sendBody(cx: Connection, hs: Server12, type: H, body: Bytes): void {
  send(cx, hs, frameHandshake(type, body));
}

/** Reads the TLS 1.2 extensions of a ClientHello. RFC 5746 §3.6, RFC 7627 §5.2, RFC 8422 §5.1. */
function parseOffer12(cfg: ServerConfig, hello: ClientHello): Offer12 {
  const exts = hello.extensions;
  const get = <T>(type: number, read: (r: Reader) => T) => {
    const ext = findExtension(exts, type);
    return ext ? parseExtension(ext, read) : undefined;
  };
  const reneg = get(E.renegotiation_info, readRenegotiationInfo);
  // RFC 5746 §3.6: a non-empty renegotiated_connection on an initial handshake aborts.
  if (reneg && reneg.byteLength !== 0) {
    throw alertError(
      Alert.handshake_failure,
      "renegotiation_info is not empty",
      "RENEGOTIATION_MISMATCH",
    );
  }
  const emsExt = findExtension(exts, E.extended_master_secret);
  if (emsExt && emsExt.data.byteLength !== 0) {
    throw alertError(Alert.decode_error, "extended_master_secret is not empty");
  }
  if (!emsExt && cfg.requireExtendedMasterSecret) {
    throw alertError(
      Alert.handshake_failure,
      "the client does not support the extended master secret",
      "EXTENDED_MASTER_SECRET_REQUIRED",
    );
  }
  const groups = get(E.supported_groups, readSupportedGroups);
  const points = get(E.ec_point_formats, readEcPointFormats);
  // RFC 8422 §5.1.2: a client naming point formats must include uncompressed.
  if (points && !points.includes(0)) {
    throw alertError(
      Alert.illegal_parameter,
      "the client does not support uncompressed points",
      "BAD_ECPOINT",
    );
  }
  const ticketExt = findExtension(exts, E.session_ticket);
  return {
    groups,
    schemes: get(E.signature_algorithms, readSignatureAlgorithms),
    alpn: get(E.application_layer_protocol_negotiation, readAlpn),
    ems: emsExt !== undefined,
    secureRenegotiation: reneg !== undefined ||
      hello.cipherSuites.includes(CipherSuiteId.TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
    pointFormats: points !== undefined,
    ticket: ticketExt?.data,
    serverName: clientHelloServerName(hello),
    recordSizeLimit: get(E.record_size_limit, readRecordSizeLimit),
  };
}

/**
 * A session to resume: a ticket (RFC 5077 §3.1) or a cached session ID, still valid, for a
 * suite the client offers, the same server name, and a compatible extended master secret
 * status (RFC 7627 §5.3).
 */
async function findSession(
  cfg: ServerConfig,
  hello: ClientHello,
  offer: Offer12,
): Promise<TicketContents | undefined> {
  let found: TicketContents | undefined;
  if (offer.ticket?.byteLength && cfg.tickets) found = await cfg.tickets.open(offer.ticket);
  if (!found && hello.sessionId.byteLength && cfg.sessionCache) {
    found = cfg.sessionCache.get(hello.sessionId);
  }
  if (!found || found.version !== Version.TLS12) return undefined;
  if (cfg.now() - found.issuedAt > found.lifetime * 1000) return undefined;
  const suite = suiteById(found.cipherSuite);
  if (!suite || !cfg.suites12.includes(suite) || !hello.cipherSuites.includes(suite.id)) {
    return undefined;
  }
  if ((found.serverName ?? undefined) !== offer.serverName) return undefined;
  // RFC 7627 §5.3: an EMS session without EMS now aborts; the reverse falls back to a full
  // handshake.
  if (found.extendedMasterSecret && !offer.ems) {
    throw alertError(
      Alert.handshake_failure,
      "resumption without the extended master secret of the session",
      "INCONSISTENT_EXTMS",
    );
  }
  if (!found.extendedMasterSecret && offer.ems) return undefined;
  return found;
}

/**
 * The suite, certificate, signature scheme and group for a full handshake: suites in the
 * server's (or client's) order, each with the first loaded certificate whose key fits it
 * and can sign with a scheme the client accepts. RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.
 */
function chooseSuiteAndCertificate(
  cfg: ServerConfig,
  hello: ClientHello,
  offer: Offer12,
): { suite: CipherSuite; chain: CertifiedKey; scheme: number; group: number } {
  const offered = hello.cipherSuites;
  const suites = cfg.serverPreference
    ? cfg.suites12.filter((s) => offered.includes(s.id))
    : offered.map((id) => cfg.suites12.find((s) => s.id === id)).filter((s) => s !== undefined);
  // RFC 8422 §4: without supported_groups the client is assumed to support secp256r1.
  const theirs = offer.groups ?? [NamedGroup.secp256r1];
  // The ML-KEM hybrid is a TLS 1.3 group only (draft-ietf-tls-ecdhe-mlkem §3).
  const group = cfg.groups.find((g) => theirs.includes(g) && g !== NamedGroup.X25519MLKEM768);
  if (suites.length === 0 || group === undefined) {
    throw alertError(Alert.handshake_failure, "no shared cipher suite", "NO_SHARED_CIPHER");
  }
  const schemes = (offer.schemes ?? []).filter(validForTls12Signature);
  for (const suite of suites) {
    for (const chain of cfg.certificates) {
      if (!keyFitsSuite(chain.key.type, suite)) continue;
      // RFC 8422 §5.3: an ECDSA certificate's curve must be one the client's supported_groups
      // name (OpenSSL clients refuse any other).
      const curve = chain.key.curve && CURVE_GROUPS[chain.key.curve];
      if (curve && offer.groups && !offer.groups.includes(curve)) continue;
      const scheme = schemes.find((s) => chain.key.schemes.includes(s));
      if (scheme !== undefined) return { suite, chain, scheme, group };
    }
  }
  throw alertError(
    Alert.handshake_failure,
    cfg.certificates.length === 0
      ? "the server has no certificate (load one with loadCertChain)"
      : "no certificate fits a shared suite and the client's signature algorithms",
    cfg.certificates.length === 0 ? "NO_CERTIFICATE_ASSIGNED" : "NO_SHARED_CIPHER",
  );
}

/** Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone. RFC 5246 §7.4.2–§7.4.5. */
async function sendServerFlight(
  cx: Connection,
  hs: Server12,
  choice: { suite: CipherSuite; chain: CertifiedKey; scheme: number; group: number },
): Promise<HandshakeState> {
  const { cfg } = hs;
  sendBody(cx, hs, H.certificate, encodeCertificate12(choice.chain.chain));
  const share = await cfg.provider.generateKeyShare(choice.group);
  hs.share = share;
  cx.info.group = choice.group;
  const params = encodeEcdheParams(choice.group, share.publicKey);
  const content = serverKeyExchangeContent(hs.hello.random, hs.serverRandom, params);
  const signature = await cfg.provider.sign(choice.scheme, choice.chain.key, content);
  sendBody(
    cx,
    hs,
    H.server_key_exchange,
    encodeServerKeyExchange(params, { scheme: choice.scheme, signature }),
  );
  if (cfg.verifyMode !== 0) {
    hs.requestedSchemes = cfg.signatureSchemes.filter(validForTls12Signature);
    sendBody(
      cx,
      hs,
      H.certificate_request,
      encodeCertificateRequest12({
        certificateTypes: [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
        signatureAlgorithms: hs.requestedSchemes,
        authorities: cfg.certificateAuthorities,
      }),
    );
  }
  sendBody(cx, hs, H.server_hello_done, EMPTY);
  return cfg.verifyMode !== 0 ? new ExpectClientCertificate12(hs) : new ExpectClientKeyExchange(hs);
}

/** The abbreviated handshake: [NewSessionTicket], ChangeCipherSpec, Finished. RFC 5246 §7.3. */
async function resumeSession(
  cx: Connection,
  hs: Server12,
  s: TicketContents,
): Promise<HandshakeState> {
  const master = new MasterSecret12(hs.cfg.provider, hs.suite.hash, s.psk);
  hs.keys = new Tls12Keys(cx, hs.suite, "server", master, {
    client: cx.info.clientRandom!,
    server: hs.serverRandom,
  });
  hs.keys.keyLog(hs.cfg.keyLog);
  cx.info.peerCertificates = s.peerCertificates;
  // A client certificate verified in the full handshake stays verified, as in OpenSSL.
  cx.info.verifiedChain = s.verifiedChain ?? [];
  if (hs.issueTicket) await sendTicket(cx, hs);
  await sendChangeCipherSpecAndFinished(cx, hs);
  return new ExpectClientChangeCipherSpec(hs);
}

async function sendTicket(cx: Connection, hs: Server12): Promise<void> {
  const ticket = await hs.cfg.tickets!.seal(sessionContents(cx, hs));
  sendBody(
    cx,
    hs,
    H.new_session_ticket,
    encodeNewSessionTicket12({ lifetimeHint: hs.cfg.ticketLifetime, ticket }),
  );
}

function sessionContents(cx: Connection, hs: Server12): TicketContents {
  return {
    version: Version.TLS12,
    cipherSuite: hs.suite.id,
    psk: hs.keys!.masterSecretBytes,
    extendedMasterSecret: hs.ems,
    issuedAt: hs.resumed?.issuedAt ?? hs.cfg.now(),
    ageAdd: 0,
    lifetime: hs.cfg.ticketLifetime,
    alpn: cx.info.alpn,
    serverName: cx.info.serverName,
    peerCertificates: cx.info.peerCertificates,
    verifiedChain: cx.info.verifiedChain,
  };
}

async function sendChangeCipherSpecAndFinished(cx: Connection, hs: Server12): Promise<void> {
  cx.sendChangeCipherSpec();
  await hs.keys!.useWriteKeys(hs.cfg.provider);
  const verifyData = await hs.keys!.finished("server", await hs.transcript.hash());
  sendBody(cx, hs, H.finished, verifyData);
  hs.serverFinished = verifyData;
}

class ExpectClientCertificate12 implements HandshakeState {
  readonly name = "waiting for the client Certificate";
  constructor(private hs: Server12) {}

  handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.certificate) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    // Kept after the handshake: copied, so no view pins a whole received chunk.
    const chain = decodeCertificate12(msg.body).map((c) => c.slice());
    hs.transcript.add(msg.raw);
    if (chain.length === 0) {
      // RFC 5246 §7.4.6: without a certificate the server may abort with handshake_failure.
      if (hs.cfg.verifyMode === 2) {
        throw alertError(
          Alert.handshake_failure,
          "the client sent no certificate",
          "PEER_DID_NOT_RETURN_A_CERTIFICATE",
        );
      }
      return Promise.resolve(new ExpectClientKeyExchange(hs));
    }
    hs.peer = hs.cfg.verifyPeer(chain);
    cx.info.peerCertificates = chain;
    return Promise.resolve(new ExpectClientKeyExchange(hs));
  }
}

class ExpectClientKeyExchange implements HandshakeState {
  readonly name = "waiting for ClientKeyExchange";
  constructor(private hs: Server12) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.client_key_exchange) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const point = decodeClientKeyExchange(msg.body);
    const pms = await hs.share!.agree(point);
    hs.transcript.add(msg.raw);
    const sessionHash = hs.ems ? await hs.transcript.hash() : undefined;
    const randoms = { client: cx.info.clientRandom!, server: hs.serverRandom };
    hs.keys = await Tls12Keys.derive(
      cx,
      hs.cfg.provider,
      hs.suite,
      "server",
      pms,
      randoms,
      sessionHash,
    );
    hs.keys.keyLog(hs.cfg.keyLog);
    return hs.peer ? new ExpectClientCertificateVerify12(hs) : new ExpectClientChangeCipherSpec(hs);
  }
}

class ExpectClientCertificateVerify12 implements HandshakeState {
  readonly name = "waiting for the client CertificateVerify";
  constructor(private hs: Server12) {}

  /** RFC 5246 §7.4.8: a signature over every handshake message so far. */
  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.certificate_verify) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const cv = decodeCertificateVerify(msg.body);
    const peer = hs.peer!;
    const schemeOk = hs.requestedSchemes.includes(cv.scheme) &&
      schemeKeyType(cv.scheme) === peer.leafKeyType;
    // The signature check runs while the chain verification finishes; the chain's verdict
    // comes first.
    const signature = schemeOk
      ? hs.cfg.provider.verify(cv.scheme, peer.leafSpki, hs.transcript.messages(), cv.signature, {
        anyCurve: true,
      })
      : Promise.resolve(false);
    cx.info.verifiedChain = await peer.verifiedChain;
    await checkSignature(schemeOk, signature, "the client's CertificateVerify");
    cx.info.peerSignatureScheme = cv.scheme;
    hs.transcript.add(msg.raw);
    return new ExpectClientChangeCipherSpec(hs);
  }
}

class ExpectClientChangeCipherSpec implements HandshakeState {
  readonly name = "waiting for the client ChangeCipherSpec";
  constructor(private hs: Server12) {}

  handle(_cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    throw unexpectedMessage(msg.type, this.name);
  }

  async changeCipherSpec(_cx: Connection): Promise<HandshakeState> {
    await this.hs.keys!.useReadKeys(this.hs.cfg.provider);
    return new ExpectClientFinished12(this.hs);
  }
}

class ExpectClientFinished12 implements HandshakeState {
  readonly name = "waiting for the client Finished";
  constructor(private hs: Server12) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.finished) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const verifyData = decodeFinished(msg.body, 12);
    const expected = await hs.keys!.finished("client", await hs.transcript.hash());
    checkFinished(verifyData, expected, "client");
    hs.transcript.add(msg.raw);
    if (!hs.resumed) {
      if (hs.issueTicket) await sendTicket(cx, hs);
      await sendChangeCipherSpecAndFinished(cx, hs);
      if (hs.sessionId.byteLength && hs.cfg.sessionCache) {
        hs.cfg.sessionCache.put(hs.sessionId, sessionContents(cx, hs));
      }
    }
    // RFC 5929 §3.1: tls-unique is the first Finished of the handshake.
    cx.info.tlsUnique = hs.resumed ? hs.serverFinished : verifyData.slice();
    cx.setExporter((label, context, length) =>
      hs.keys!.exportKeyingMaterial(label, context, length)
    );
    cx.completeHandshake();
    return new Connected12();
  }
}
