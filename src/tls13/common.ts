/**
 * Rules and helpers the handshakes share: which TLS 1.3 extensions may appear where, the
 * CertificateVerify content and check, signature verdicts, ALPN, Finished (both versions).
 * @module
 */
import { type Bytes, concat, constantTimeEqual, utf8 } from "../_bytes.ts";
import { Alert, alertError } from "../alert.ts";
import { ExtensionType, HandshakeType, SignatureScheme } from "../constants.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import type { PeerCheck } from "../engine/config.ts";
import { decodeCertificateVerify } from "../messages/certificate.ts";
import {
  type Extension,
  extensionName,
  findExtension,
  parseExtension,
  readAlpn,
} from "../messages/extensions.ts";

const E = ExtensionType;

/**
 * Where each extension may appear in TLS 1.3 (RFC 8446 §4.2 table): CH ClientHello,
 * SH ServerHello, HRR HelloRetryRequest, EE EncryptedExtensions, CT Certificate,
 * CR CertificateRequest, NST NewSessionTicket.
 */
export type Tls13Message = "CH" | "SH" | "HRR" | "EE" | "CT" | "CR" | "NST";

const ALLOWED: ReadonlyMap<number, readonly Tls13Message[]> = new Map<number, Tls13Message[]>([
  [E.server_name, ["CH", "EE"]],
  [E.max_fragment_length, ["CH", "EE"]],
  [E.status_request, ["CH", "CR", "CT"]],
  [E.supported_groups, ["CH", "EE"]],
  [E.signature_algorithms, ["CH", "CR"]],
  [E.use_srtp, ["CH", "EE"]],
  [E.heartbeat, ["CH", "EE"]],
  [E.application_layer_protocol_negotiation, ["CH", "EE"]],
  [E.signed_certificate_timestamp, ["CH", "CR", "CT"]],
  [E.client_certificate_type, ["CH", "EE"]],
  [E.server_certificate_type, ["CH", "EE"]],
  [E.padding, ["CH"]],
  [E.record_size_limit, ["CH", "EE"]],
  [E.pre_shared_key, ["CH", "SH"]],
  [E.early_data, ["CH", "EE", "NST"]],
  [E.supported_versions, ["CH", "SH", "HRR"]],
  [E.cookie, ["CH", "HRR"]],
  [E.psk_key_exchange_modes, ["CH"]],
  [E.certificate_authorities, ["CH", "CR"]],
  [E.oid_filters, ["CR"]],
  [E.post_handshake_auth, ["CH"]],
  [E.signature_algorithms_cert, ["CH", "CR"]],
  [E.key_share, ["CH", "SH", "HRR"]],
]);

/**
 * Checks the extensions a TLS 1.3 peer sent in `message`. RFC 8446 §4.2: a known extension in
 * a message it is not specified for is illegal_parameter; a response to an extension we did
 * not offer is unsupported_extension. Unknown extensions are ignored in requests (CH, CR) and
 * unsolicited in responses.
 */
export function checkExtensions(
  message: Tls13Message,
  exts: readonly Extension[],
  offered?: ReadonlySet<number>,
): void {
  const isResponse = offered !== undefined;
  for (const { type } of exts) {
    const where = ALLOWED.get(type);
    if (isResponse && !offered.has(type)) {
      throw alertError(
        Alert.unsupported_extension,
        `unsolicited ${extensionName(type)} extension in ${message}`,
        "UNSOLICITED_EXTENSION",
      );
    }
    if (where && !where.includes(message)) {
      throw alertError(
        Alert.illegal_parameter,
        `${extensionName(type)} extension is not allowed in ${message}`,
        "BAD_EXTENSION",
      );
    }
  }
}

const SERVER_CV_CONTEXT = utf8("TLS 1.3, server CertificateVerify");
const CLIENT_CV_CONTEXT = utf8("TLS 1.3, client CertificateVerify");

/**
 * The content a CertificateVerify signs: 64 spaces, the context string, a zero byte and the
 * transcript hash. RFC 8446 §4.4.3.
 */
export function certificateVerifyContent(side: "server" | "client", transcriptHash: Bytes): Bytes {
  const pad = new Uint8Array(64).fill(0x20);
  const ctx = side === "server" ? SERVER_CV_CONTEXT : CLIENT_CV_CONTEXT;
  return concat(pad, ctx, new Uint8Array([0]), transcriptHash);
}

/**
 * Schemes that may sign a TLS 1.3 CertificateVerify: RSASSA-PKCS1-v1_5 and SHA-1 are only for
 * certificates. RFC 8446 §4.4.3.
 */
export function validForTls13Signature(scheme: number): boolean {
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
    case SignatureScheme.ecdsa_secp384r1_sha384:
    case SignatureScheme.ecdsa_secp521r1_sha512:
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_rsae_sha512:
    case SignatureScheme.rsa_pss_pss_sha256:
    case SignatureScheme.rsa_pss_pss_sha384:
    case SignatureScheme.rsa_pss_pss_sha512:
    case SignatureScheme.ed25519:
      return true;
    default:
      return false;
  }
}

/** A message of `type` the current state does not expect: unexpected_message (RFC 8446 §6.2). */
export function unexpectedMessage(type: number, state: string): Error {
  return alertError(
    Alert.unexpected_message,
    `unexpected ${HandshakeType[type] ?? `handshake type ${type}`} message while ${state}`,
  );
}

/**
 * The ALPN protocol a client accepts from a server's answer (ServerHello in TLS 1.2,
 * EncryptedExtensions in TLS 1.3), or undefined without one. RFC 7301 §3.1: exactly one
 * protocol, one the client offered; anything else is illegal_parameter.
 */
export function acceptedAlpn(
  exts: readonly Extension[],
  offered: readonly string[],
): string | undefined {
  const ext = findExtension(exts, ExtensionType.application_layer_protocol_negotiation);
  if (!ext) return undefined;
  const names = parseExtension(ext, readAlpn);
  if (names.length !== 1 || !offered.includes(names[0])) {
    throw alertError(
      Alert.illegal_parameter,
      "server selected an ALPN protocol that was not offered",
      "INVALID_ALPN_PROTOCOL",
    );
  }
  return names[0];
}

/**
 * The server's choice among the client's ALPN protocols: its own first one the client offers,
 * undefined when either side has none, and no_application_protocol when they share none.
 * RFC 7301 §3.2.
 */
export function selectAlpn(
  serverProtocols: readonly string[],
  clientProtocols: readonly string[] | undefined,
): string | undefined {
  if (!clientProtocols || serverProtocols.length === 0) return undefined;
  const chosen = serverProtocols.find((p) => clientProtocols.includes(p));
  if (chosen === undefined) {
    throw alertError(
      Alert.no_application_protocol,
      "no ALPN protocol in common",
      "NO_APPLICATION_PROTOCOL",
    );
  }
  return chosen;
}

/**
 * Checks the peer's CertificateVerify `body` (RFC 8446 §4.4.3): the scheme must be one we
 * offered and valid for TLS 1.3 signatures, and the signature, by `signer`, must verify over
 * `transcriptHash`. The signature check runs while the chain verification finishes, and the
 * chain's verdict (the Certificate message's) comes first. Returns the verified chain and the
 * scheme.
 */
export async function verifyCertificateVerify(
  provider: CryptoProvider,
  signer: "server" | "client",
  offered: readonly number[],
  peer: PeerCheck,
  transcriptHash: Bytes,
  body: Bytes,
): Promise<{ chain: Bytes[]; scheme: number }> {
  const cv = decodeCertificateVerify(body);
  const schemeOk = offered.includes(cv.scheme) && validForTls13Signature(cv.scheme);
  const signature = schemeOk
    ? provider.verify(
      cv.scheme,
      peer.leafSpki,
      certificateVerifyContent(signer, transcriptHash),
      cv.signature,
    )
    : Promise.resolve(false);
  const chain = await peer.verifiedChain;
  await checkSignature(schemeOk, signature, `the ${signer}'s CertificateVerify`);
  return { chain, scheme: cv.scheme };
}

/**
 * Throws the alert a peer's signature earns (RFC 8446 §4.4.3, RFC 5246 §7.4.3 and §7.4.8): a
 * scheme we did not offer (or that does not fit the key) is illegal_parameter, a signature
 * that does not verify decrypt_error. `what` names the signed message.
 */
export async function checkSignature(
  schemeOk: boolean,
  signature: Promise<boolean>,
  what: string,
): Promise<void> {
  if (!schemeOk) {
    throw alertError(
      Alert.illegal_parameter,
      `${what} is signed with a scheme that was not offered`,
      "WRONG_SIGNATURE_TYPE",
    );
  }
  if (!(await signature)) {
    throw alertError(Alert.decrypt_error, `${what} has an invalid signature`, "BAD_SIGNATURE");
  }
}

/** Compares a received Finished with the expected one: a mismatch is decrypt_error. */
export function checkFinished(received: Bytes, expected: Bytes, sender: "client" | "server"): void {
  // RFC 8446 §4.4.4, RFC 5246 §7.4.9: a Finished that does not verify is decrypt_error.
  if (!constantTimeEqual(received, expected)) {
    throw alertError(
      Alert.decrypt_error,
      `the ${sender}'s Finished does not verify`,
      "DIGEST_CHECK_FAILED",
    );
  }
}
