/**
 * The TLS 1.3 client handshake, RFC 8446 §2 and §4, as straight-line states. The first state
 * also recognises a TLS 1.2 ServerHello and hands over to the TLS 1.2 client.
 * @module
 */
import { type Bytes, EMPTY, equal } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType as E,
  HandshakeType as H,
  PskKeyExchangeMode,
  Version,
} from "../constants.ts";
import { HASH_LENGTH, type KeyShare } from "../crypto/provider.ts";
import { type CipherSuite, suiteById } from "../crypto/suites.ts";
import { Transcript } from "../crypto/transcript.ts";
import type { Connection, HandshakeState } from "../engine/connection.ts";
import type { CertifiedKey, ClientConfig, PeerCheck, Tls13Ticket } from "../engine/config.ts";
import {
  type ClientHello,
  clientHelloMessage,
  truncateForBinders,
} from "../messages/client_hello.ts";
import {
  decodeCertificate13,
  decodeCertificateRequest13,
  encodeCertificate13,
  encodeCertificateVerify,
} from "../messages/certificate.ts";
import {
  alpnExtension,
  bindersLength,
  cookieExtension,
  emptyExtension,
  type Extension,
  findExtension,
  keyShareClientExtension,
  parseExtension,
  preSharedKeyClientExtension,
  pskModesExtension,
  readCookie,
  readKeyShareEntry,
  readRecordSizeLimit,
  readSignatureAlgorithms,
  recordSizeLimitExtension,
  serverNameExtension,
  signatureAlgorithmsExtension,
  supportedGroupsExtension,
  supportedVersionsClientExtension,
} from "../messages/extensions.ts";
import { frameHandshake, type HandshakeMessage } from "../messages/handshake.ts";
import { decodeFinished, decodeNewSessionTicket13 } from "../messages/post_handshake.ts";
import {
  decodeEncryptedExtensions,
  decodeServerHello,
  isHelloRetryRequest,
  type ServerHello,
} from "../messages/server_hello.ts";
import { startTls12Client, tls12HelloExtensions, tls12SessionId } from "../tls12/client.ts";
import {
  acceptedAlpn,
  certificateVerifyContent,
  checkExtensions,
  checkFinished,
  unexpectedMessage,
  validForTls13Signature,
  verifyCertificateVerify,
} from "./common.ts";
import { EarlySecret, finishedVerifyData, type HandshakeSecret, Psk } from "./key_schedule.ts";
import { Tls13Secrets } from "./traffic.ts";

/** Everything the client remembers between states. Secrets never leave this object. */
interface ClientHs {
  cfg: ClientConfig;
  transcript: Transcript;
  hello: ClientHello;
  shares: KeyShare[];
  offered: Set<number>;
  /** The ticket offered, when it still fits the connection. */
  resume?: Tls13Ticket;
  suite?: CipherSuite;
  hrrSuite?: CipherSuite;
  ccsSent: boolean;
  traffic?: Tls13Secrets;
  certRequest?: { context: Bytes; schemes: number[] };
  peer?: PeerCheck;
}

/** Starts a client handshake: sends the ClientHello and waits for the ServerHello. */
export async function startClient(cx: Connection, cfg: ClientConfig): Promise<HandshakeState> {
  const provider = cfg.provider;
  const tls13 = cfg.maxVersion >= Version.TLS13;
  const tls12 = cfg.minVersion <= Version.TLS12;
  const shares = tls13
    ? await Promise.all(cfg.keyShareGroups.map((g) => provider.generateKeyShare(g)))
    : [];
  const resume = tls13 ? usableTicket(cfg) : undefined;
  const hello: ClientHello = {
    legacyVersion: Version.TLS12,
    random: provider.random(32),
    // RFC 8446 §D.4: a non-empty session id makes the handshake look like TLS 1.2 resumption
    // to middleboxes.
    sessionId: (tls12 ? tls12SessionId(cfg) : undefined) ??
      (tls13 && cfg.middleboxCompat ? provider.random(32) : EMPTY),
    cipherSuites: [
      ...(tls13 ? cfg.suites13.map((s) => s.id) : []),
      ...(tls12 ? cfg.suites12.map((s) => s.id) : []),
    ],
    compressionMethods: [0],
    extensions: [],
  };
  const exts: Extension[] = [];
  if (cfg.sniHostname) exts.push(serverNameExtension(cfg.sniHostname));
  if (tls12) exts.push(...tls12HelloExtensions(cfg));
  exts.push(supportedGroupsExtension(cfg.groups));
  if (cfg.alpnProtocols.length) exts.push(alpnExtension(cfg.alpnProtocols));
  exts.push(signatureAlgorithmsExtension(cfg.signatureSchemes));
  if (!sameList(cfg.signatureSchemes, cfg.certSignatureSchemes)) {
    exts.push(signatureAlgorithmsExtension(cfg.certSignatureSchemes, E.signature_algorithms_cert));
  }
  exts.push(recordSizeLimitExtension(tls13));
  if (tls13) {
    const versions = tls12 ? [Version.TLS13, Version.TLS12] : [Version.TLS13];
    exts.push(supportedVersionsClientExtension(versions));
    if (cfg.postHandshakeAuth) exts.push(emptyExtension(E.post_handshake_auth));
    exts.push(pskModesExtension([PskKeyExchangeMode.psk_dhe_ke]));
    exts.push(
      keyShareClientExtension(shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))),
    );
  }
  hello.extensions = exts;
  const hs: ClientHs = {
    cfg,
    transcript: new Transcript(provider),
    hello,
    shares,
    offered: new Set(exts.map((e) => e.type)),
    resume,
    ccsSent: false,
  };
  const msg = await sealHello(hs);
  cx.info.clientRandom = hello.random;
  cx.info.serverName = cfg.sniHostname;
  // RFC 8446 §5.1: records carry 0x0303 (0x0301 is merely allowed for the first ClientHello).
  cx.sendHandshake(msg);
  return new ExpectServerHello(hs);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The configured ticket, if it can still be offered. RFC 8446 §4.6.1, §4.2.11. */
function usableTicket(cfg: ClientConfig): Tls13Ticket | undefined {
  const t = cfg.resume;
  if (t?.version !== Version.TLS13) return undefined;
  const ageMs = cfg.now() - t.receivedAt;
  if (ageMs < 0 || ageMs > t.lifetime * 1000) return undefined;
  const suite = suiteById(t.cipherSuite);
  // A PSK is usable only with a suite of the same hash. RFC 8446 §4.2.11.
  if (!suite || !cfg.suites13.some((s) => s.hash === suite.hash)) return undefined;
  // RFC 8446 §4.6.1: resume only for the server name the ticket was issued for.
  if (t.serverName !== cfg.sniHostname) return undefined;
  return t;
}

/**
 * Appends the pre_shared_key extension (with binders computed over the truncated ClientHello,
 * RFC 8446 §4.2.11.2) and frames the ClientHello; adds it to the transcript.
 */
async function sealHello(hs: ClientHs): Promise<HandshakeMessage> {
  const t = hs.resume;
  const exts = hs.hello.extensions.filter((e) => e.type !== E.pre_shared_key);
  if (!t) {
    hs.hello.extensions = exts;
    const msg = clientHelloMessage(hs.hello);
    hs.transcript.add(msg.raw);
    return msg;
  }
  const hash = suiteById(t.cipherSuite)!.hash;
  const hashLen = HASH_LENGTH[hash];
  // RFC 8446 §4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add, mod 2^32.
  const age = (Math.max(0, hs.cfg.now() - t.receivedAt) + t.ageAdd) >>> 0;
  const identities = [{ identity: t.ticket, obfuscatedTicketAge: age }];
  hs.hello.extensions = [
    ...exts,
    preSharedKeyClientExtension({ identities, binders: [new Uint8Array(hashLen)] }),
  ];
  hs.offered.add(E.pre_shared_key);
  const draft = clientHelloMessage(hs.hello);
  const truncated = truncateForBinders(draft.raw, bindersLength([hashLen]));
  hs.transcript.setHash(hash);
  const psk = Psk.from(hs.cfg.provider, hash, t.psk);
  const early = await EarlySecret.derive(hs.cfg.provider, hash, psk);
  const binder = await finishedVerifyData(
    await early.binderKey(true),
    await hs.transcript.hashWith(truncated),
  );
  hs.hello.extensions[hs.hello.extensions.length - 1] = preSharedKeyClientExtension({
    identities,
    binders: [binder],
  });
  const msg = clientHelloMessage(hs.hello);
  hs.transcript.add(msg.raw);
  return msg;
}

class ExpectServerHello implements HandshakeState {
  readonly name = "waiting for ServerHello";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ClientHs) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    // RFC 5246 §7.4.1.1: a TLS 1.2 server may send HelloRequest at any time; a client that is
    // negotiating ignores it (it is not part of the transcript).
    if (
      msg.type === H.hello_request && msg.body.byteLength === 0 && !this.hs.hrrSuite &&
      this.hs.cfg.minVersion <= Version.TLS12
    ) {
      return this;
    }
    if (msg.type !== H.server_hello) throw unexpectedMessage(msg.type, this.name);
    const sh = decodeServerHello(msg.body);
    const hs = this.hs;
    const sv = findExtension(sh.extensions, E.supported_versions);
    if (!sv) return this.#tls12(cx, sh, msg);
    // RFC 8446 §4.2.1: a selected version we did not offer, or below TLS 1.3, is
    // illegal_parameter.
    const selected = parseExtension(sv, (r) => r.u16("selected_version"));
    if (selected !== Version.TLS13 || hs.cfg.maxVersion < Version.TLS13) {
      throw alertError(
        Alert.illegal_parameter,
        "server selected a version that was not offered",
        "BAD_VERSION",
      );
    }
    if (sh.legacyVersion !== Version.TLS12) {
      throw alertError(
        Alert.protocol_version,
        "ServerHello legacy_version is not 0x0303",
        "WRONG_VERSION_NUMBER",
      );
    }
    if (isHelloRetryRequest(sh)) return this.#helloRetry(cx, sh, msg);
    this.#checkCommon(sh);
    checkExtensions("SH", sh.extensions, hs.offered);
    const suite = suiteById(sh.cipherSuite)!;
    // RFC 8446 §4.1.4: the ServerHello suite must be the HelloRetryRequest's.
    if (hs.hrrSuite && hs.hrrSuite.id !== suite.id) {
      throw alertError(
        Alert.illegal_parameter,
        "ServerHello suite differs from HelloRetryRequest's",
        "WRONG_CIPHER_RETURNED",
      );
    }
    // Key share: we only offer psk_dhe_ke, so a key_share is mandatory. RFC 8446 §4.2.9.
    const ksExt = findExtension(sh.extensions, E.key_share);
    if (!ksExt) {
      throw alertError(
        Alert.missing_extension,
        "ServerHello has no key_share",
        "MISSING_KEY_SHARE",
      );
    }
    const entry = parseExtension(ksExt, readKeyShareEntry);
    const share = hs.shares.find((s) => s.group === entry.group);
    // RFC 8446 §4.2.8: the server's share must be in a group the client sent a share for.
    if (!share) {
      throw alertError(
        Alert.illegal_parameter,
        "server key share in a group we did not offer",
        "BAD_KEY_SHARE",
      );
    }
    let psk: Psk | undefined;
    const pskExt = findExtension(sh.extensions, E.pre_shared_key);
    if (pskExt) {
      const index = parseExtension(pskExt, (r) => r.u16("selected_identity"));
      const t = hs.resume;
      // RFC 8446 §4.2.11: the index must be one offered and the suite's hash the PSK's.
      if (!t || index !== 0) {
        throw alertError(
          Alert.illegal_parameter,
          "server selected a PSK that was not offered",
          "BAD_PSK_IDENTITY",
        );
      }
      if (suiteById(t.cipherSuite)!.hash !== suite.hash) {
        throw alertError(Alert.illegal_parameter, "PSK hash does not match the suite", "BAD_PSK");
      }
      psk = Psk.from(hs.cfg.provider, suite.hash, t.psk);
    }
    hs.suite = suite;
    hs.transcript.setHash(suite.hash);
    hs.transcript.add(msg.raw);
    const shared = await share.agree(entry.keyExchange);
    const early = await EarlySecret.derive(hs.cfg.provider, suite.hash, psk);
    const hsSecret = await early.handshakeSecret(shared);
    // Started now, awaited at the server Finished: it overlaps certificate verification.
    hsSecret.masterSecret().catch(() => {});
    hs.traffic = new Tls13Secrets(hs.cfg.provider, suite, cx, "client", hs.cfg.keyLog);
    await hs.traffic.handshake(hsSecret, await hs.transcript.hash());
    Object.assign(cx.info, {
      version: Version.TLS13,
      cipherSuite: suite.id,
      group: share.group,
      serverRandom: sh.random.slice(),
      sessionReused: psk !== undefined,
    });
    cx.setVersion(Version.TLS13);
    if (psk && hs.resume) {
      cx.info.peerCertificates = hs.resume.peerCertificates;
      cx.info.verifiedChain = hs.resume.verifiedChain;
    }
    return new ExpectEncryptedExtensions(hs, hsSecret, psk !== undefined);
  }

  /** Checks shared by ServerHello and HelloRetryRequest. RFC 8446 §4.1.3. */
  #checkCommon(sh: ServerHello): void {
    const hs = this.hs;
    if (!equal(sh.sessionId, hs.hello.sessionId)) {
      throw alertError(
        Alert.illegal_parameter,
        "legacy_session_id_echo does not match",
        "INVALID_SESSION_ID",
      );
    }
    const suite = suiteById(sh.cipherSuite);
    if (!suite || suite.version !== Version.TLS13 || !hs.cfg.suites13.includes(suite)) {
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
        "INVALID_COMPRESSION_ALGORITHM",
      );
    }
  }

  /** RFC 8446 §4.1.4. */
  async #helloRetry(
    cx: Connection,
    hrr: ServerHello,
    msg: HandshakeMessage,
  ): Promise<HandshakeState> {
    const hs = this.hs;
    if (hs.hrrSuite) throw unexpectedMessage(H.server_hello, "a second HelloRetryRequest arrived");
    this.#checkCommon(hrr);
    // RFC 8446 §4.2: the cookie is the one extension a HelloRetryRequest may carry unasked.
    checkExtensions("HRR", hrr.extensions, new Set([...hs.offered, E.cookie]));
    const suite = suiteById(hrr.cipherSuite)!;
    const ksExt = findExtension(hrr.extensions, E.key_share);
    const cookieExt = findExtension(hrr.extensions, E.cookie);
    let group: number | undefined;
    if (ksExt) {
      group = parseExtension(ksExt, (r) => r.u16("selected_group"));
      // The group must have been offered in supported_groups, and not already have a share.
      if (!hs.cfg.groups.includes(group) || hs.shares.some((s) => s.group === group)) {
        throw alertError(
          Alert.illegal_parameter,
          "HelloRetryRequest selected an unusable group",
          "BAD_KEY_SHARE",
        );
      }
    }
    // A HelloRetryRequest that would not change the ClientHello is illegal_parameter.
    if (group === undefined && !cookieExt) {
      throw alertError(
        Alert.illegal_parameter,
        "HelloRetryRequest requests no change",
        "BAD_HELLO_RETRY_REQUEST",
      );
    }
    hs.hrrSuite = suite;
    cx.info.helloRetryRequest = true;
    cx.info.cipherSuite = suite.id;
    // RFC 8446 §4.4.1: ClientHello1 is replaced by message_hash in the transcript.
    hs.transcript.setHash(suite.hash);
    await hs.transcript.replaceWithMessageHash();
    hs.transcript.add(msg.raw);
    // RFC 8446 §4.1.2: the second ClientHello is the first with the new key share, the
    // cookie, and no PSK whose hash differs from the selected suite's.
    if (group !== undefined) {
      hs.shares = [await hs.cfg.provider.generateKeyShare(group)];
    }
    if (hs.resume && suiteById(hs.resume.cipherSuite)!.hash !== suite.hash) hs.resume = undefined;
    const keyShare = keyShareClientExtension(
      hs.shares.map((s) => ({ group: s.group, keyExchange: s.publicKey })),
    );
    const exts = hs.hello.extensions
      .filter((e) => e.type !== E.cookie && e.type !== E.early_data)
      .map((e) => e.type === E.key_share ? keyShare : e);
    if (cookieExt) {
      const cookie = parseExtension(cookieExt, readCookie);
      const psk = exts.findIndex((e) => e.type === E.pre_shared_key);
      exts.splice(psk >= 0 ? psk : exts.length, 0, cookieExtension(cookie));
      hs.offered.add(E.cookie);
    }
    hs.hello.extensions = exts;
    if (hs.cfg.middleboxCompat) {
      // RFC 8446 §D.4: the dummy ChangeCipherSpec precedes the second ClientHello.
      cx.sendChangeCipherSpec();
      hs.ccsSent = true;
    }
    cx.sendHandshake(await sealHello(hs));
    return this;
  }

  /** A ServerHello without supported_versions: TLS 1.2 or older. RFC 8446 §4.1.3. */
  #tls12(cx: Connection, sh: ServerHello, msg: HandshakeMessage): Promise<HandshakeState> {
    const hs = this.hs;
    if (hs.hrrSuite) {
      throw alertError(
        Alert.illegal_parameter,
        "TLS 1.2 ServerHello after a HelloRetryRequest",
        "BAD_VERSION",
      );
    }
    // RFC 8446 §4.1.3: a TLS 1.3 client must refuse either downgrade sentinel in the random
    // of an older ServerHello; a TLS 1.2 client checks the TLS 1.1 one for TLS 1.1 or below.
    const tail = sh.random.subarray(24);
    const tls13Client = hs.cfg.maxVersion >= Version.TLS13;
    if (
      (tls13Client && equal(tail, DOWNGRADE_TLS12)) ||
      ((tls13Client || sh.legacyVersion < Version.TLS12) && equal(tail, DOWNGRADE_TLS11))
    ) {
      throw alertError(
        Alert.illegal_parameter,
        "the server signals a downgrade from TLS 1.3",
        "INAPPROPRIATE_FALLBACK",
      );
    }
    if (sh.legacyVersion !== Version.TLS12 || hs.cfg.minVersion > Version.TLS12) {
      throw alertError(
        Alert.protocol_version,
        `the server chose version 0x${sh.legacyVersion.toString(16)}, which is not enabled`,
        "UNSUPPORTED_PROTOCOL",
      );
    }
    return startTls12Client(cx, hs.cfg, hs.hello, hs.transcript, sh, msg);
  }
}

const EE_EXTENSIONS_IGNORED = new Set<number>([E.supported_groups]);

class ExpectEncryptedExtensions implements HandshakeState {
  readonly name = "waiting for EncryptedExtensions";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ClientHs, private secret: HandshakeSecret, private resumed: boolean) {}

  handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.encrypted_extensions) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const exts = decodeEncryptedExtensions(msg.body);
    // supported_groups in EE is informational and may be sent unsolicited-looking; everything
    // else must answer something we offered. RFC 8446 §4.2.7.
    checkExtensions("EE", exts.filter((e) => !EE_EXTENSIONS_IGNORED.has(e.type)), hs.offered);
    const sni = findExtension(exts, E.server_name);
    if (sni && sni.data.byteLength !== 0) {
      throw alertError(Alert.decode_error, "server_name in EncryptedExtensions is not empty");
    }
    cx.info.serverNameAcknowledged = sni !== undefined;
    cx.info.alpn = acceptedAlpn(exts, hs.cfg.alpnProtocols) ?? null;
    const rsl = findExtension(exts, E.record_size_limit);
    if (rsl) cx.limitRecordSize(parseExtension(rsl, readRecordSizeLimit));
    hs.transcript.add(msg.raw);
    return Promise.resolve(
      this.resumed ? new ExpectFinished(hs, this.secret) : new ExpectCertificate(hs, this.secret),
    );
  }
}

class ExpectCertificate implements HandshakeState {
  readonly name = "waiting for the server Certificate";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ClientHs, private secret: HandshakeSecret) {}

  handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    const hs = this.hs;
    if (msg.type === H.certificate_request && !hs.certRequest) {
      const req = decodeCertificateRequest13(msg.body);
      // RFC 8446 §4.3.2: the context is empty in the handshake; signature_algorithms is
      // mandatory.
      if (req.context.byteLength !== 0) {
        throw alertError(Alert.illegal_parameter, "CertificateRequest context is not empty");
      }
      checkExtensions("CR", req.extensions);
      const sig = findExtension(req.extensions, E.signature_algorithms);
      if (!sig) {
        throw alertError(
          Alert.missing_extension,
          "CertificateRequest without signature_algorithms",
          "MISSING_SIGALGS_EXTENSION",
        );
      }
      hs.certRequest = {
        context: req.context,
        schemes: parseExtension(sig, readSignatureAlgorithms),
      };
      hs.transcript.add(msg.raw);
      return Promise.resolve(this);
    }
    if (msg.type !== H.certificate) throw unexpectedMessage(msg.type, this.name);
    const cert = decodeCertificate13(msg.body);
    if (cert.context.byteLength !== 0) {
      throw alertError(Alert.illegal_parameter, "server Certificate has a request context");
    }
    // RFC 8446 §4.4.2.4: an empty server Certificate is decode_error.
    if (cert.entries.length === 0) {
      throw alertError(
        Alert.decode_error,
        "the server sent no certificate",
        "NO_CERTIFICATES_RETURNED",
      );
    }
    for (const entry of cert.entries) checkExtensions("CT", entry.extensions, hs.offered);
    // Kept after the handshake: copied, so no view pins a whole received chunk.
    const chain = cert.entries.map((e) => e.cert.slice());
    cx.info.peerCertificates = chain;
    hs.peer = hs.cfg.verifyPeer(chain);
    hs.transcript.add(msg.raw);
    return Promise.resolve(new ExpectCertificateVerify(hs, this.secret));
  }
}

class ExpectCertificateVerify implements HandshakeState {
  readonly name = "waiting for the server CertificateVerify";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ClientHs, private secret: HandshakeSecret) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.certificate_verify) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const { chain, scheme } = await verifyCertificateVerify(
      hs.cfg.provider,
      "server",
      hs.cfg.signatureSchemes,
      hs.peer!,
      await hs.transcript.hash(),
      msg.body,
    );
    cx.info.verifiedChain = chain;
    cx.info.peerSignatureScheme = scheme;
    hs.transcript.add(msg.raw);
    return new ExpectFinished(hs, this.secret);
  }
}

class ExpectFinished implements HandshakeState {
  readonly name = "waiting for the server Finished";
  readonly acceptsCompatCcs = true;
  constructor(private hs: ClientHs, private secret: HandshakeSecret) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== H.finished) throw unexpectedMessage(msg.type, this.name);
    const hs = this.hs;
    const traffic = hs.traffic!;
    const verifyData = decodeFinished(msg.body, traffic.hashLength);
    checkFinished(verifyData, await traffic.serverFinished(await hs.transcript.hash()), "server");
    hs.transcript.add(msg.raw);
    const master = await this.secret.masterSecret();
    await traffic.application(master, await hs.transcript.hash());
    cx.setExporter((label, context, length) =>
      traffic.exportKeyingMaterial(label, context, length)
    );
    if (hs.cfg.middleboxCompat && !hs.ccsSent) {
      cx.sendChangeCipherSpec();
      hs.ccsSent = true;
    }
    await traffic.useHandshakeWriter();
    if (hs.certRequest) await sendClientAuth(cx, hs, hs.certRequest);
    const finished = await traffic.clientFinished(await hs.transcript.hash());
    const fin = frameHandshake(H.finished, finished);
    cx.sendHandshake(fin);
    hs.transcript.add(fin.raw);
    await traffic.resumption(master, await hs.transcript.hash());
    await traffic.useApplicationWriter();
    await traffic.useApplicationReader();
    traffic.endHandshake();
    // Post-handshake authentication hashes the handshake again; otherwise let it go.
    if (!hs.cfg.postHandshakeAuth) hs.transcript.release();
    cx.completeHandshake();
    return new ClientConnected(hs);
  }
}

/**
 * Sends Certificate (possibly empty) and, with a certificate, CertificateVerify in answer to a
 * CertificateRequest. RFC 8446 §4.4.2, §4.4.3.
 */
async function sendClientAuth(
  cx: Connection,
  hs: ClientHs,
  req: { context: Bytes; schemes: number[] },
): Promise<void> {
  const chosen: CertifiedKey | undefined = hs.cfg.clientCertificate?.(req.schemes);
  const scheme = chosen?.key.schemes.find((s) =>
    req.schemes.includes(s) && validForTls13Signature(s)
  );
  const certs = chosen && scheme !== undefined ? chosen.chain : [];
  const certMsg = frameHandshake(
    H.certificate,
    encodeCertificate13({
      context: req.context,
      entries: certs.map((c) => ({ cert: c, extensions: [] })),
    }),
  );
  cx.sendHandshake(certMsg);
  hs.transcript.add(certMsg.raw);
  if (!chosen || scheme === undefined) return;
  const content = certificateVerifyContent("client", await hs.transcript.hash());
  const signature = await hs.cfg.provider.sign(scheme, chosen.key, content);
  const cv = frameHandshake(H.certificate_verify, encodeCertificateVerify({ scheme, signature }));
  cx.sendHandshake(cv);
  hs.transcript.add(cv.raw);
}

class ClientConnected implements HandshakeState {
  readonly name = "connected";
  constructor(private hs: ClientHs) {}

  async handle(cx: Connection, msg: HandshakeMessage): Promise<HandshakeState> {
    const hs = this.hs;
    const traffic = hs.traffic!;
    switch (msg.type) {
      case H.new_session_ticket: {
        const nst = decodeNewSessionTicket13(msg.body);
        checkExtensions("NST", nst.extensions);
        const ed = findExtension(nst.extensions, E.early_data);
        const ticket: Tls13Ticket = {
          version: Version.TLS13,
          cipherSuite: hs.suite!.id,
          ticket: nst.ticket.slice(),
          psk: await traffic.resumptionPsk(nst.nonce),
          ageAdd: nst.ageAdd,
          lifetime: nst.lifetime,
          receivedAt: hs.cfg.now(),
          maxEarlyData: ed ? parseExtension(ed, (r) => r.u32("max_early_data_size")) : 0,
          serverName: hs.cfg.sniHostname,
          alpn: cx.info.alpn,
          peerCertificates: cx.info.peerCertificates,
          verifiedChain: cx.info.verifiedChain,
        };
        // RFC 8446 §4.6.1: a zero lifetime means the ticket must not be cached.
        if (nst.lifetime > 0) cx.emit({ type: "session", session: ticket });
        return this;
      }
      case H.key_update:
        await traffic.receiveKeyUpdate(msg.body);
        return this;
      case H.certificate_request: {
        // RFC 8446 §4.6.2: only when the client offered post_handshake_auth.
        if (!hs.cfg.postHandshakeAuth) {
          throw unexpectedMessage(msg.type, "connected without post_handshake_auth");
        }
        const req = decodeCertificateRequest13(msg.body);
        if (req.context.byteLength === 0) {
          throw alertError(
            Alert.illegal_parameter,
            "post-handshake CertificateRequest without context",
          );
        }
        checkExtensions("CR", req.extensions);
        const sig = findExtension(req.extensions, E.signature_algorithms);
        if (!sig) {
          throw alertError(
            Alert.missing_extension,
            "CertificateRequest without signature_algorithms",
            "MISSING_SIGALGS_EXTENSION",
          );
        }
        await postHandshakeAuth(cx, hs, msg, {
          context: req.context,
          schemes: parseExtension(sig, readSignatureAlgorithms),
        });
        return this;
      }
      default:
        throw unexpectedMessage(msg.type, this.name);
    }
  }

  /** Sends a KeyUpdate and switches to the next write keys. RFC 8446 §4.6.3. */
  keyUpdate(_cx: Connection, requestPeer: boolean): Promise<void> {
    return this.hs.traffic!.sendKeyUpdate(requestPeer);
  }
}

/**
 * Post-handshake client authentication (RFC 8446 §4.6.2): the transcript is the handshake's
 * plus the CertificateRequest; the Finished uses the client application traffic secret.
 */
async function postHandshakeAuth(
  cx: Connection,
  hs: ClientHs,
  reqMsg: HandshakeMessage,
  req: { context: Bytes; schemes: number[] },
): Promise<void> {
  const saved = hs.transcript;
  hs.transcript = new Transcript(hs.cfg.provider, saved.hashAlgorithm);
  hs.transcript.add(saved.messages());
  try {
    hs.transcript.add(reqMsg.raw);
    await sendClientAuth(cx, hs, req);
    const finished = await hs.traffic!.postHandshakeFinished(await hs.transcript.hash());
    cx.sendHandshake(frameHandshake(H.finished, finished));
  } finally {
    hs.transcript = saved;
  }
}

/** What a connected client state can do beyond handling messages. */
export type { ClientConnected };
