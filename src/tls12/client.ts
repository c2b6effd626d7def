/**
 * The TLS 1.2 client handshake (RFC 5246 §7.3) with ECDHE (RFC 8422), the extended master
 * secret (RFC 7627), secure renegotiation signalling (RFC 5746), session IDs and tickets
 * (RFC 5077), and the TLS 1.3 downgrade check (RFC 8446 §4.1.3). The TLS 1.3 client starts
 * every handshake and hands over here when the server picks TLS 1.2.
 * @module
 */
import { type Bytes, EMPTY, equal } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import { ExtensionType as E, HandshakeType as H, NamedGroup, Version } from "../constants.ts";
import type { SigningKey } from "../crypto/provider.ts";
import { type CipherSuite, suiteById } from "../crypto/suites.ts";
import type { Transcript } from "../crypto/transcript.ts";
import type { ClientConfig, PeerCheck, Tls12Session } from "../engine/config.ts";
import type { Connection, HandshakeState } from "../engine/connection.ts";
import {
  decodeCertificate12,
  decodeCertificateRequest12,
  encodeCertificate12,
  encodeCertificateVerify,
} from "../messages/certificate.ts";
import type { ClientHello } from "../messages/client_hello.ts";
import {
  ecPointFormatsExtension,
  emptyExtension,
  type Extension,
  extensionName,
  findExtension,
  parseExtension,
  readEcPointFormats,
  readRecordSizeLimit,
  readRenegotiationInfo,
  renegotiationInfoExtension,
} from "../messages/extensions.ts";
import { frameHandshake, type HandshakeMessage } from "../messages/handshake.ts";
import { decodeFinished, decodeNewSessionTicket12 } from "../messages/post_handshake.ts";
import type { ServerHello } from "../messages/server_hello.ts";
import {
  decodeEmpty,
  decodeServerKeyExchange,
  encodeClientKeyExchange,
} from "../messages/tls12.ts";
import { acceptedAlpn, checkFinished, checkSignature, unexpectedMessage } from "../tls13/common.ts";
import {
  Connected12,
  keyFitsSuite,
  schemeKeyType,
  serverKeyExchangeContent,
  Tls12Keys,
  TLS13_ONLY_EXTENSIONS,
  validForTls12Signature,
} from "./common.ts";
import { MasterSecret12 } from "./prf.ts";

/** The TLS 1.2 extensions a ClientHello carries when TLS 1.2 is enabled. */
export function tls12HelloExtensions(cfg: ClientConfig): Extension[] {
  const exts = [
    ecPointFormatsExtension(),
    // RFC 7627 §5.1: always offer the extended master secret.
    emptyExtension(E.extended_master_secret),
    // RFC 5746 §3.4: an empty renegotiation_info on the initial handshake.
    renegotiationInfoExtension(EMPTY),
  ];
  if (cfg.sessionTickets) {
    // RFC 5077 §3.2: an empty extension asks for a ticket; a ticket resumes.
    const t = cfg.resume?.version === Version.TLS12 ? cfg.resume.ticket : undefined;
    exts.push({ type: E.session_ticket, data: t ?? EMPTY });
  }
  return exts;
}

/**
 * The legacy_session_id for a TLS 1.2 resumption: the session's ID, or with a ticket alone a
 * fresh one so that its echo shows acceptance (RFC 5077 §3.4). Undefined when not resuming.
 */
export function tls12SessionId(cfg: ClientConfig): Bytes | undefined {
  const s = cfg.resume;
  if (s?.version !== Version.TLS12 || s.cipherSuite === undefined) return undefined;
  if (!cfg.suites12.some((x) => x.id === s.cipherSuite)) return undefined;
  if (s.serverName !== cfg.sniHostname) return undefined;
  if (s.sessionId.byteLength) return s.sessionId;
  return s.ticket && cfg.sessionTickets ? cfg.provider.random(32) : undefined;
}

interface Client12 {
  cfg: ClientConfig;
  hello: ClientHello;
  transcript: Transcript;
  suite: CipherSuite;
  serverRandom: Bytes;
  ems: boolean;
  expectTicket: boolean;
  sessionId: Bytes;
  ticket?: Bytes;
  keys?: Tls12Keys;
  peer?: PeerCheck;
  ske?: { group: number; publicKey: Bytes };
  certRequest?: { schemes: number[] };
  resumed?: Tls12Session;
  clientFinished?: Bytes;
}

/**
 * Continues a handshake whose ServerHello chose TLS 1.2. `shMsg` is not yet in the
 * transcript.
 */
export function startTls12Client(
  cx: Connection,
  cfg: ClientConfig,
  hello: ClientHello,
  transcript: Transcript,
  sh: ServerHello,
  shMsg: HandshakeMessage,
): Promise<HandshakeState> {
  const suite = suiteById(sh.cipherSuite);
  if (!suite || suite.version !== Version.TLS12 || !cfg.suites12.includes(suite)) {
    throw alertError(
      Alert.illegal_parameter,
      "server chose a cipher suite that was not offered",
      "WRONG_CIPHER_RETURNED",
    );
  }
  if (sh.compressionMethod !== 0) {
    throw alertError(
      Alert.illegal_parameter,
      "non-null compression method",
      "UNSUPPORTED_COMPRESSION_ALGORITHM",
    );
  }
  const hs: Client12 = {
    cfg,
    hello,
    transcript,
    suite,
    serverRandom: sh.random.slice(),
    ems: false,
    expectTicket: false,
    sessionId: sh.sessionId.slice(),
  };
  checkServerHelloExtensions(cx, hs, sh.extensions);
  transcript.setHash(suite.hash);
  transcript.add(shMsg.raw);
  Object.assign(cx.info, {
    version: Version.TLS12,
    cipherSuite: suite.id,
    serverRandom: hs.serverRandom,
    extendedMasterSecret: hs.ems,
  });
  cx.setVersion(Version.TLS12);
  const rsl = findExtension(sh.extensions, E.record_size_limit);
  if (rsl) cx.limitRecordSize(parseExtension(rsl, readRecordSizeLimit));
  const s = cfg.resume;
  const offeredId = hello.sessionId;
  if (
    s?.version === Version.TLS12 && sh.sessionId.byteLength > 0 && offeredId.byteLength > 0 &&
    equal(sh.sessionId, offeredId) && s.serverName === cfg.sniHostname
  ) {
    return Promise.resolve(resume(cx, hs, s));
  }
  return Promise.resolve(new ExpectCertificate(hs));
}

/**
 * Checks the ServerHello extensions: only answers to what was offered (unsupported_extension),
 * no TLS 1.3-only extension (illegal_parameter), renegotiation_info per RFC 5746 §3.4, the
 * extended master secret per RFC 7627 §5.3, ALPN per RFC 7301 §3.1.
 */
function checkServerHelloExtensions(
  cx: Connection,
  hs: Client12,
  exts: readonly Extension[],
): void {
  const offered = new Set(hs.hello.extensions.map((e) => e.type));
  for (const e of exts) {
    if (!offered.has(e.type)) {
      throw alertError(
        Alert.unsupported_extension,
        `unsolicited ${extensionName(e.type)} extension`,
        "UNSOLICITED_EXTENSION",
      );
    }
    if (TLS13_ONLY_EXTENSIONS.has(e.type)) {
      throw alertError(
        Alert.illegal_parameter,
        `${extensionName(e.type)} in a TLS 1.2 ServerHello`,
        "BAD_EXTENSION",
      );
    }
  }
  const reneg = findExtension(exts, E.renegotiation_info);
  if (reneg) {
    if (parseExtension(reneg, readRenegotiationInfo).byteLength !== 0) {
      throw alertError(
        Alert.handshake_failure,
        "renegotiation_info is not empty on the initial handshake",
        "RENEGOTIATION_MISMATCH",
      );
    }
  } else if (!hs.cfg.legacyServerConnect) {
    throw alertError(
      Alert.handshake_failure,
      "the server does not support secure renegotiation (RFC 5746)",
      "UNSAFE_LEGACY_RENEGOTIATION_DISABLED",
    );
  }
  const ems = findExtension(exts, E.extended_master_secret);
  if (ems && ems.data.byteLength !== 0) {
    throw alertError(Alert.decode_error, "extended_master_secret is not empty");
  }
  hs.ems = ems !== undefined;
  if (!hs.ems && hs.cfg.requireExtendedMasterSecret) {
    throw alertError(
      Alert.handshake_failure,
      "the server does not support the extended master secret",
      "EXTENDED_MASTER_SECRET_REQUIRED",
    );
  }
  const points = findExtension(exts, E.ec_point_formats);
  if (points && !parseExtension(points, readEcPointFormats).includes(0)) {
    // RFC 8422 §5.2: the uncompressed format must be supported.
    throw alertError(
      Alert.illegal_parameter,
      "the server does not support uncompressed points",
      "BAD_ECPOINT",
    );
  }
  const sni = findExtension(exts, E.server_name);
  if (sni && sni.data.byteLength !== 0) {
    throw alertError(Alert.decode_error, "server_name in ServerHello is not empty");
  }
  cx.info.serverNameAcknowledged = sni !== undefined;
  const ticket = findExtension(exts, E.session_ticket);
  if (ticket && ticket.data.byteLength !== 0) {
    throw alertError(Alert.decode_error, "session_ticket in ServerHello is not empty");
  }
  hs.expectTicket = ticket !== undefined;
  cx.info.alpn = acceptedAlpn(exts, hs.cfg.alpnProtocols) ?? null;
}

/** The abbreviated handshake of a resumed session. RFC 5246 §7.3 (Figure 2), RFC 7627 §5.3. */
function resume(cx: Connection, hs: Client12, s: Tls12Session): HandshakeState {
  if (s.cipherSuite !== hs.suite.id) {
    throw alertError(
      Alert.illegal_parameter,
      "the resumed session's suite differs",
      "OLD_SESSION_CIPHER_NOT_RETURNED",
    );
  }
  // RFC 7627 §5.3: the EMS status of a resumed session must not change.
  if (s.extendedMasterSecret !== hs.ems) {
    throw alertError(
      Alert.handshake_failure,
      "extended master secret status changed on resumption",
      "INCONSISTENT_EXTMS",
    );
  }
  hs.resumed = s;
  hs.ticket = s.ticket;
  hs.keys = new Tls12Keys(
    cx,
    hs.suite,
    "client",
    new MasterSecret12(hs.cfg.provider, hs.suite.hash, s.masterSecret),
    { client: hs.hello.random, server: hs.serverRandom },
  );
  hs.keys.keyLog(hs.cfg.keyLog);
  Object.assign(cx.info, {
    sessionReused: true,
    peerCertificates: s.peerCertificates,
    verifiedChain: s.verifiedChain,
  });
  return new ExpectChangeCipherSpec(hs);
}

/**
 * RFC 5246 §7.4.1.1: a HelloRequest that arrives while the client is negotiating is ignored,
 * and kept out of the handshake hashes.
 */
function ignoredHelloRequest(msg: HandshakeMessage): boolean {
  if (msg.type !== H.hello_request) return false;
  decodeEmpty(msg.body, "HelloRequest");
  return true;
}

class ExpectCertificate implements HandshakeState {
  readonly name = "waiting for the server Certificate";
  constructor(private hs: Client12) {}

  handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (ignoredHelloRequest(msg)) return Promise.resolve(this);
    if (msg.type !== H.certificate) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    // Kept after the handshake: copied, so no view pins a whole received chunk.
    const chain = decodeCertificate12(msg.body).map((c) => c.slice());
    if (chain.length === 0) {
      throw alertError(
        Alert.decode_error,
        "the server sent no certificate",
        "NO_CERTIFICATES_RETURNED",
      );
    }
    cx.info.peerCertificates = chain;
    hs.peer = hs.cfg.verifyPeer(chain);
    hs.transcript.add(msg.raw);
    return Promise.resolve(new ExpectServerKeyExchange(hs));
  }
}

class ExpectServerKeyExchange implements HandshakeState {
  readonly name = "waiting for ServerKeyExchange";
  constructor(private hs: Client12) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (ignoredHelloRequest(msg)) return this;
    if (msg.type !== H.server_key_exchange) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const ske = decodeServerKeyExchange(msg.body);
    const peer = hs.peer!;
    const scheme = ske.signed.scheme;
    // RFC 5246 §7.4.1.4.1: a scheme the client offered, fitting the certificate's key.
    const schemeOk = hs.cfg.signatureSchemes.includes(scheme) && validForTls12Signature(scheme) &&
      schemeKeyType(scheme) === peer.leafKeyType;
    // The signature check runs while the chain verification finishes; the Certificate
    // message's verdict still comes first.
    const content = serverKeyExchangeContent(hs.hello.random, hs.serverRandom, ske.params);
    const signature = schemeOk
      ? hs.cfg.provider.verify(scheme, peer.leafSpki, content, ske.signed.signature, {
        anyCurve: true,
      })
      : Promise.resolve(false);
    cx.info.verifiedChain = await peer.verifiedChain;
    // RFC 8422 §3, RFC 5246 §7.4.2: the key must fit the suite's authentication.
    if (!keyFitsSuite(peer.leafKeyType, hs.suite)) {
      throw alertError(
        Alert.illegal_parameter,
        `a ${peer.leafKeyType} certificate does not fit ${hs.suite.opensslName}`,
        "WRONG_CERTIFICATE_TYPE",
      );
    }
    // RFC 8422 §5.4: the group must be one the client offered.
    // The ML-KEM hybrid is a TLS 1.3 group only (draft-ietf-tls-ecdhe-mlkem §3).
    if (!hs.cfg.groups.includes(ske.group) || ske.group === NamedGroup.X25519MLKEM768) {
      throw alertError(
        Alert.illegal_parameter,
        "the server chose a group that was not offered",
        "WRONG_CURVE",
      );
    }
    await checkSignature(schemeOk, signature, "the ServerKeyExchange");
    hs.ske = { group: ske.group, publicKey: ske.publicKey };
    cx.info.group = ske.group;
    cx.info.peerSignatureScheme = scheme;
    hs.transcript.add(msg.raw);
    return new ExpectServerHelloDone(hs);
  }
}

class ExpectServerHelloDone implements HandshakeState {
  readonly name = "waiting for ServerHelloDone";
  constructor(private hs: Client12) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    const hs = this.hs;
    if (ignoredHelloRequest(msg)) return this;
    if (msg.type === H.certificate_request && !hs.certRequest) {
      const req = decodeCertificateRequest12(msg.body);
      hs.certRequest = { schemes: req.signatureAlgorithms };
      hs.transcript.add(msg.raw);
      return this;
    }
    if (msg.type !== H.server_hello_done) throw unexpectedMessage(msg.type, this.name);
    decodeEmpty(msg.body, "ServerHelloDone");
    hs.transcript.add(msg.raw);
    await sendClientFlight(cx, hs);
    return new ExpectChangeCipherSpec(hs);
  }
}

/**
 * Certificate (when asked), ClientKeyExchange, CertificateVerify (with a certificate),
 * ChangeCipherSpec and Finished. RFC 5246 §7.4.6–§7.4.9, RFC 8422 §5.7.
 */
async function sendClientFlight(cx: Connection, hs: Client12): Promise<void> {
  const { cfg, transcript } = hs;
  const send = (type: H, body: Bytes) => {
    const m = frameHandshake(type, body);
    cx.sendHandshake(m);
    transcript.add(m.raw);
  };
  let signer: { key: SigningKey; scheme: number } | undefined;
  if (hs.certRequest) {
    const allowed = hs.certRequest.schemes.filter(validForTls12Signature);
    const chosen = cfg.clientCertificate?.(allowed);
    const scheme = chosen?.key.schemes.find((s) => allowed.includes(s));
    if (chosen && scheme !== undefined) signer = { key: chosen.key, scheme };
    send(H.certificate, encodeCertificate12(signer ? chosen!.chain : []));
  }
  const share = await cfg.provider.generateKeyShare(hs.ske!.group);
  const pms = await share.agree(hs.ske!.publicKey);
  send(H.client_key_exchange, encodeClientKeyExchange(share.publicKey));
  const sessionHash = hs.ems ? await transcript.hash() : undefined;
  const randoms = { client: hs.hello.random, server: hs.serverRandom };
  hs.keys = await Tls12Keys.derive(cx, cfg.provider, hs.suite, "client", pms, randoms, sessionHash);
  hs.keys.keyLog(cfg.keyLog);
  if (signer) {
    // RFC 5246 §7.4.8: the signature covers every handshake message so far.
    const signature = await cfg.provider.sign(signer.scheme, signer.key, transcript.messages());
    send(H.certificate_verify, encodeCertificateVerify({ scheme: signer.scheme, signature }));
  }
  await sendChangeCipherSpecAndFinished(cx, hs);
}

async function sendChangeCipherSpecAndFinished(cx: Connection, hs: Client12): Promise<void> {
  cx.sendChangeCipherSpec();
  await hs.keys!.useWriteKeys(hs.cfg.provider);
  const verifyData = await hs.keys!.finished("client", await hs.transcript.hash());
  const fin = frameHandshake(H.finished, verifyData);
  cx.sendHandshake(fin);
  hs.transcript.add(fin.raw);
  hs.clientFinished = verifyData;
}

class ExpectChangeCipherSpec implements HandshakeState {
  readonly name = "waiting for the server ChangeCipherSpec";
  constructor(private hs: Client12) {}

  /** RFC 5077 §3.3: a NewSessionTicket precedes the ChangeCipherSpec when promised. */
  handle(_cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    const hs = this.hs;
    if (ignoredHelloRequest(msg)) return Promise.resolve(this);
    if (msg.type !== H.new_session_ticket || !hs.expectTicket) {
      throw unexpectedMessage(msg.type, this.name);
    }
    const nst = decodeNewSessionTicket12(msg.body);
    hs.ticket = nst.ticket.byteLength ? nst.ticket.slice() : undefined;
    hs.expectTicket = false;
    hs.transcript.add(msg.raw);
    return Promise.resolve(this);
  }

  async changeCipherSpec(_cx: Connection): Promise<HandshakeState> {
    // RFC 5077 §3.3: a server that sent the SessionTicket extension must send a
    // NewSessionTicket (empty if it changed its mind) before its ChangeCipherSpec.
    if (this.hs.expectTicket) {
      throw alertError(
        Alert.unexpected_message,
        "ChangeCipherSpec instead of the promised NewSessionTicket",
        "UNEXPECTED_CCS_MESSAGE",
      );
    }
    await this.hs.keys!.useReadKeys(this.hs.cfg.provider);
    return new ExpectFinished(this.hs);
  }
}

class ExpectFinished implements HandshakeState {
  readonly name = "waiting for the server Finished";
  constructor(private hs: Client12) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (ignoredHelloRequest(msg)) return this;
    if (msg.type !== H.finished) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const verifyData = decodeFinished(msg.body, 12);
    const expected = await hs.keys!.finished("server", await hs.transcript.hash());
    checkFinished(verifyData, expected, "server");
    hs.transcript.add(msg.raw);
    // RFC 5246 §7.3: in an abbreviated handshake the client answers the server's Finished.
    if (hs.resumed) await sendChangeCipherSpecAndFinished(cx, hs);
    // RFC 5929 §3.1: tls-unique is the first Finished of the handshake.
    cx.info.tlsUnique = hs.resumed ? verifyData.slice() : hs.clientFinished;
    cx.setExporter((label, context, length) =>
      hs.keys!.exportKeyingMaterial(label, context, length)
    );
    cx.completeHandshake();
    const session: Tls12Session = {
      version: Version.TLS12,
      cipherSuite: hs.suite.id,
      masterSecret: hs.keys!.masterSecretBytes,
      sessionId: hs.sessionId,
      ticket: hs.ticket,
      extendedMasterSecret: hs.ems,
      receivedAt: hs.resumed?.receivedAt ?? hs.cfg.now(),
      lifetime: hs.resumed?.lifetime ?? 7200,
      serverName: hs.cfg.sniHostname,
      alpn: cx.info.alpn,
      peerCertificates: cx.info.peerCertificates,
      verifiedChain: cx.info.verifiedChain,
    };
    if (session.sessionId.byteLength || session.ticket) cx.emit({ type: "session", session });
    return new Connected12();
  }
}
