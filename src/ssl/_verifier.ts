/**
 * Builds the engine's `PeerVerifier` from a context's verification settings, and maps
 * OpenSSL verify codes to the alert sent on failure.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { Alert, TLSAlertError } from "../alert.ts";
import type { PeerVerifier } from "../engine/config.ts";
import { Certificate } from "../x509/certificate.ts";
import { CertificateDecodeError, CertVerifyError, X509_V } from "../x509/errors.ts";
import { verifyChain } from "../x509/verify.ts";
import type { SSLContext } from "./context.ts";
import { VerifyFlags, VerifyMode } from "./enums.ts";

/**
 * The alert for a verification failure, as OpenSSL 3 chooses it (`ssl_x509err2alert`; e.g.
 * a host name mismatch is bad_certificate). RFC 8446 §6.2 leaves the choice to the
 * implementation.
 */
export function alertForVerifyCode(code: number): Alert {
  switch (code) {
    case X509_V.ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V.ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V.ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V.ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V.ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V.ERR_UNABLE_TO_GET_CRL:
    case X509_V.ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V.ERR_CERT_CHAIN_TOO_LONG:
    case X509_V.ERR_PATH_LENGTH_EXCEEDED:
    case X509_V.ERR_INVALID_CA:
      return Alert.unknown_ca;
    case X509_V.ERR_CERT_NOT_YET_VALID:
    case X509_V.ERR_CRL_NOT_YET_VALID:
    case X509_V.ERR_HOSTNAME_MISMATCH:
    case X509_V.ERR_EMAIL_MISMATCH:
    case X509_V.ERR_IP_ADDRESS_MISMATCH:
    case X509_V.ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    case X509_V.ERR_EE_KEY_TOO_SMALL:
    case X509_V.ERR_CA_KEY_TOO_SMALL:
    case X509_V.ERR_CA_MD_TOO_WEAK:
    case X509_V.ERR_EC_KEY_EXPLICIT_PARAMS:
      return Alert.bad_certificate;
    case X509_V.ERR_CERT_SIGNATURE_FAILURE:
    case X509_V.ERR_CRL_SIGNATURE_FAILURE:
      return Alert.decrypt_error;
    case X509_V.ERR_CERT_HAS_EXPIRED:
    case X509_V.ERR_CRL_HAS_EXPIRED:
      return Alert.certificate_expired;
    case X509_V.ERR_CERT_REVOKED:
      return Alert.certificate_revoked;
    case X509_V.ERR_INVALID_PURPOSE:
      return Alert.unsupported_certificate;
    case X509_V.ERR_UNSPECIFIED:
      return Alert.internal_error;
    default:
      return Alert.certificate_unknown;
  }
}

/**
 * The verifier for one connection: `side` is the side doing the verifying; `hostname` is the
 * name (DNS or IP) a client expects the server to prove.
 */
export function makeVerifier(
  ctx: SSLContext,
  side: "client" | "server",
  hostname: string | undefined,
): PeerVerifier {
  const mode = ctx.verifyMode;
  const checkHostname = side === "client" && ctx.checkHostname && hostname !== undefined;
  const flags = ctx.verifyFlags;
  return (certificates) => {
    let leaf: Certificate;
    try {
      leaf = Certificate.fromDer(certificates[0]);
    } catch (e) {
      if (e instanceof CertificateDecodeError) {
        throw new TLSAlertError(
          Alert.bad_certificate,
          "BAD_CERTIFICATE",
          `the peer's certificate does not parse: ${e.message}`,
        );
      }
      throw e;
    }
    const verifiedChain = mode === VerifyMode.CERT_NONE
      ? Promise.resolve([])
      : verify(certificates);
    // Awaited later by the handshake; a failure must not count as unhandled meanwhile.
    verifiedChain.catch(() => {});
    return { leafSpki: leaf.spki, leafKeyType: leaf.publicKey.type, verifiedChain };
  };

  async function verify(certificates: Bytes[]): Promise<Bytes[]> {
    await ctx._ensureRoots();
    try {
      const result = await verifyChain({
        leaf: certificates[0],
        intermediates: certificates.slice(1),
        trustStore: ctx._trustStore,
        purpose: side === "client" ? "serverAuth" : "clientAuth",
        expectedName: checkHostname ? expectedName(hostname!) : undefined,
        hostnameChecksCommonName: ctx.hostnameChecksCommonName,
        flags: {
          partialChain: (flags & VerifyFlags.VERIFY_X509_PARTIAL_CHAIN) !== 0,
          strict: (flags & VerifyFlags.VERIFY_X509_STRICT) !== 0,
          crlCheckLeaf: (flags & VerifyFlags.VERIFY_CRL_CHECK_LEAF) !== 0,
          crlCheckChain:
            (flags & VerifyFlags.VERIFY_CRL_CHECK_CHAIN) === VerifyFlags.VERIFY_CRL_CHECK_CHAIN,
        },
      });
      return result.chain.map((c) => c.der);
    } catch (e) {
      if (e instanceof CertVerifyError) {
        throw new TLSAlertError(
          alertForVerifyCode(e.code),
          "CERTIFICATE_VERIFY_FAILED",
          e.message,
          {
            code: e.code,
            message: e.verifyMessage,
          },
        );
      }
      if (e instanceof CertificateDecodeError) {
        throw new TLSAlertError(
          Alert.bad_certificate,
          "BAD_CERTIFICATE",
          `a certificate in the peer's chain does not parse: ${e.message}`,
        );
      }
      throw e;
    }
  }
}

function expectedName(hostname: string): { kind: "DNS" | "IP"; value: string } {
  return { kind: isIpAddress(hostname) ? "IP" : "DNS", value: hostname };
}

/** True for an IPv4 or IPv6 literal (which SNI must not carry, RFC 6066 §3). */
export function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}
