/**
 * What a handshake negotiated, as the ssl layer reports it. No secrets live here.
 * @module
 */
import type { Bytes } from "../_bytes.ts";

/** The negotiated parameters of a connection, filled in as the handshake proceeds. */
export interface NegotiatedInfo {
  /** Wire version (0x0304 or 0x0303) once known. */
  version?: number;
  /** Cipher suite code point once known. */
  cipherSuite?: number;
  /** Key exchange group once known (absent for TLS 1.2 session resumption). */
  group?: number;
  /** Signature scheme the peer signed the handshake with. */
  peerSignatureScheme?: number;
  /** ALPN protocol selected, or null when none was. */
  alpn: string | null;
  /** SNI host name sent (client) or received (server). */
  serverName?: string;
  /** The peer's certificate chain as sent (DER, end-entity first). */
  peerCertificates: Bytes[];
  /** The verified chain (end-entity to anchor), when verification ran and succeeded. */
  verifiedChain: Bytes[];
  /** True when the session was resumed. */
  sessionReused: boolean;
  /** True when a HelloRetryRequest took place. */
  helloRetryRequest: boolean;
  /** ClientHello.random (the key log needs it). */
  clientRandom?: Bytes;
  /** ServerHello.random. */
  serverRandom?: Bytes;
  /** Whether the extended master secret was negotiated (TLS 1.2). */
  extendedMasterSecret?: boolean;
  /** The server acknowledged the client's SNI (empty server_name in EncryptedExtensions). */
  serverNameAcknowledged?: boolean;
  /** TLS 1.2: the first Finished's verify_data, for `tls-unique` channel binding (RFC 5929). */
  tlsUnique?: Bytes;
  /** The peer offered post-handshake authentication (server side). */
  peerPostHandshakeAuth?: boolean;
  /** The client offered a session to resume (server side; a miss when not resumed). */
  resumptionOffered?: boolean;
}

/** An empty negotiation record. */
export function newInfo(): NegotiatedInfo {
  return {
    alpn: null,
    peerCertificates: [],
    verifiedChain: [],
    sessionReused: false,
    helloRetryRequest: false,
  };
}
