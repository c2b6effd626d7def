/**
 * What a handshake state machine needs from the ssl layer: the resolved settings of an
 * `SSLContext` and the callbacks that reach outside the engine (certificate verification,
 * certificate selection). Plain data and functions; no I/O.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import type { CryptoProvider, SigningKey } from "../crypto/provider.ts";
import type { CipherSuite } from "../crypto/suites.ts";

/** A certificate chain with the private key of its end-entity certificate. */
export interface CertifiedKey {
  /** DER certificates, end-entity first. */
  chain: Bytes[];
  /** The end-entity certificate's private key. */
  key: SigningKey;
}

/**
 * The peer's end-entity key, known as soon as its certificate parses, and the verification of
 * its chain running alongside (so the handshake signature is checked meanwhile).
 */
export interface PeerCheck {
  /** SubjectPublicKeyInfo of the end-entity certificate (DER). */
  leafSpki: Bytes;
  /** The end-entity key's family (`rsa`, `rsa-pss`, `ecdsa`, `ed25519`, …). */
  leafKeyType: string;
  /**
   * The verified chain, end-entity to trust anchor (empty when verification is off); rejects
   * with a `TLSAlertError` carrying `verify` details when the chain does not verify.
   */
  verifiedChain: Promise<Bytes[]>;
}

/**
 * Starts verifying a peer's chain (end-entity first). Throws `TLSAlertError` (bad_certificate)
 * at once when the end-entity certificate does not parse.
 */
export type PeerVerifier = (certificates: Bytes[]) => PeerCheck;

/** A TLS 1.3 resumption ticket as the client keeps it. RFC 8446 §4.6.1. */
export interface Tls13Ticket {
  /** Always 0x0304. */
  version: 0x0304;
  /** The suite of the connection that issued the ticket; its hash must match on resumption. */
  cipherSuite: number;
  /** The opaque ticket. */
  ticket: Bytes;
  /** The resumption PSK derived from the ticket nonce (secret). */
  psk: Bytes;
  /** `ticket_age_add`. */
  ageAdd: number;
  /** Lifetime in seconds. */
  lifetime: number;
  /** When the ticket was received (ms since the epoch). */
  receivedAt: number;
  /** `max_early_data_size` from the early_data extension (0 when absent). */
  maxEarlyData: number;
  /** SNI of the connection that issued the ticket (RFC 8446 §4.6.1: only resume for it). */
  serverName?: string;
  /** ALPN protocol of that connection. */
  alpn: string | null;
  /** The server's certificates on that connection (for `getPeerCert()` after resumption). */
  peerCertificates: Bytes[];
  /** The chain verified on that connection. */
  verifiedChain: Bytes[];
}

/** A TLS 1.2 session as the client keeps it (session ID and/or ticket). RFC 5246 §7.4.1.2, RFC 5077. */
export interface Tls12Session {
  /** Always 0x0303. */
  version: 0x0303;
  /** The suite of the session. */
  cipherSuite: number;
  /** The 48-byte master secret (secret). */
  masterSecret: Bytes;
  /** The session ID the server assigned (may be empty with a ticket). */
  sessionId: Bytes;
  /** The RFC 5077 ticket, if the server issued one. */
  ticket?: Bytes;
  /** Whether the session used the extended master secret (RFC 7627 §5.3). */
  extendedMasterSecret: boolean;
  /** When the session was established (ms since the epoch). */
  receivedAt: number;
  /** Lifetime in seconds. */
  lifetime: number;
  /** SNI of the connection. */
  serverName?: string;
  /** ALPN protocol of the connection. */
  alpn: string | null;
  /** The server's certificates. */
  peerCertificates: Bytes[];
  /** The chain verified on that connection. */
  verifiedChain: Bytes[];
}

/** What a client can resume. */
export type ClientSession = Tls13Ticket | Tls12Session;

/** Settings of a client handshake. */
export interface ClientConfig {
  /** The cryptography to use. */
  provider: CryptoProvider;
  /** The host name for SNI (omitted for IP literals, RFC 6066 §3). */
  sniHostname?: string;
  /** Lowest and highest wire versions enabled (0x0303 / 0x0304). */
  minVersion: number;
  /** Highest wire version enabled. */
  maxVersion: number;
  /** TLS 1.3 suites in preference order. */
  suites13: CipherSuite[];
  /** TLS 1.2 suites in preference order. */
  suites12: CipherSuite[];
  /** Groups for supported_groups, in preference order. */
  groups: number[];
  /** Groups to send key shares for in the first ClientHello (RFC 8446 §4.2.8). */
  keyShareGroups: number[];
  /** Signature schemes accepted for CertificateVerify / ServerKeyExchange. */
  signatureSchemes: number[];
  /** Signature schemes accepted in certificates (signature_algorithms_cert). */
  certSignatureSchemes: number[];
  /** ALPN protocols to offer. */
  alpnProtocols: string[];
  /** Verifies the server's chain. */
  verifyPeer: PeerVerifier;
  /** A session to resume. */
  resume?: ClientSession;
  /** Refuse TLS 1.2 servers without the extended master secret (RFC 7627 §5.3). */
  requireExtendedMasterSecret: boolean;
  /** Allow TLS 1.2 servers without renegotiation_info (RFC 5746 §4.1, `OP_LEGACY_SERVER_CONNECT`). */
  legacyServerConnect: boolean;
  /** Offer RFC 5077 session tickets in TLS 1.2 (off with `OP_NO_TICKET`). */
  sessionTickets: boolean;
  /** TLS 1.3 middlebox compatibility mode (RFC 8446 §D.4). */
  middleboxCompat: boolean;
  /** The client certificate to present when asked, chosen by the server's request. */
  clientCertificate?: (signatureSchemes: readonly number[]) => CertifiedKey | undefined;
  /** Offer post-handshake authentication (RFC 8446 §4.2.6). */
  postHandshakeAuth: boolean;
  /** Emit NSS key log lines as events. */
  keyLog: boolean;
  /** The clock, in ms since the epoch (ticket ages). */
  now: () => number;
}

/** What the server remembers of a session inside its (encrypted) ticket. */
export interface TicketContents {
  /** Protocol version of the session. */
  version: number;
  /** The suite of the session; resumption needs one of the same hash. */
  cipherSuite: number;
  /** The resumption PSK (secret). */
  psk: Bytes;
  /** Issue time (ms since the epoch). */
  issuedAt: number;
  /** `ticket_age_add` sent with the ticket. */
  ageAdd: number;
  /** Lifetime in seconds. */
  lifetime: number;
  /** ALPN protocol of the session. */
  alpn: string | null;
  /** SNI of the session. */
  serverName?: string;
  /** The client's certificate chain, when it authenticated. */
  peerCertificates: Bytes[];
  /**
   * The client's chain as verified (end-entity to anchor; empty when verification was off), so
   * a resumed connection reports the certificate as verified again, as OpenSSL's sessions do.
   */
  verifiedChain?: Bytes[];
  /** TLS 1.2: whether the session used the extended master secret (RFC 7627). */
  extendedMasterSecret: boolean;
}

/** Seals and opens session tickets with the server's rotating ticket keys. */
export interface TicketSealer {
  /** Encrypts `contents` into an opaque ticket. */
  seal(contents: TicketContents): Promise<Bytes>;
  /** Decrypts a ticket; undefined when it is not ours, tampered with, or its key has retired. */
  open(ticket: Bytes): Promise<TicketContents | undefined>;
}

/** A server's TLS 1.2 session-ID cache. RFC 5246 §7.4.1.2. */
export interface SessionCache {
  /** Stores a session under its id. */
  put(id: Bytes, contents: TicketContents): void;
  /** The session stored under `id`, if any and not expired. */
  get(id: Bytes): TicketContents | undefined;
  /** Sessions held. */
  readonly size: number;
}

/** Settings of a server handshake; `forServerName` may replace them after the ClientHello. */
export interface ServerConfig {
  /** The cryptography to use. */
  provider: CryptoProvider;
  /** Lowest wire version enabled. */
  minVersion: number;
  /** Highest wire version enabled. */
  maxVersion: number;
  /** TLS 1.3 suites in the server's preference order. */
  suites13: CipherSuite[];
  /** TLS 1.2 suites in the server's preference order. */
  suites12: CipherSuite[];
  /** Choose the suite by the server's order (`OP_CIPHER_SERVER_PREFERENCE`), else the client's. */
  serverPreference: boolean;
  /** Groups the server accepts, in preference order. */
  groups: number[];
  /** Signature schemes accepted from clients (CertificateRequest). */
  signatureSchemes: number[];
  /** Certificate chains with their keys; one is chosen by the client's signature_algorithms. */
  certificates: readonly CertifiedKey[];
  /** ALPN protocols the server speaks, in preference order (empty: ALPN ignored). */
  alpnProtocols: string[];
  /** Whether to request (1) or require (2) a client certificate; 0 for none. */
  verifyMode: 0 | 1 | 2;
  /**
   * TLS 1.3: ask for the client certificate only after the handshake, when the application
   * calls for it (Python's `post_handshake_auth` on a server context, OpenSSL's
   * `SSL_VERIFY_POST_HANDSHAKE`), instead of during the handshake.
   */
  postHandshakeAuth: boolean;
  /** Verifies a client's chain (purpose clientAuth). */
  verifyPeer: PeerVerifier;
  /** DER subject names for CertificateRequest's certificate_authorities. */
  certificateAuthorities: Bytes[];
  /** Session tickets to send after the handshake (0: none). */
  numTickets: number;
  /** Ticket lifetime in seconds (RFC 8446 §4.6.1: at most 604800). */
  ticketLifetime: number;
  /** The ticket sealer; undefined when tickets are off (`OP_NO_TICKET`). */
  tickets?: TicketSealer;
  /** TLS 1.3 middlebox compatibility (send the dummy ChangeCipherSpec). RFC 8446 §D.4. */
  middleboxCompat: boolean;
  /** Refuse TLS 1.2 clients without the extended master secret (RFC 7627 §5.2). */
  requireExtendedMasterSecret: boolean;
  /** The TLS 1.2 session-ID cache; undefined when session IDs are not cached. */
  sessionCache?: SessionCache;
  /**
   * Called with the client's SNI (or undefined) after the ClientHello; returns the settings to
   * continue with (an SNI callback may switch contexts), or an alert number to abort with.
   */
  forServerName?: (serverName: string | undefined) => Promise<ServerConfig | number>;
  /** Emit NSS key log lines as events. */
  keyLog: boolean;
  /** The clock, in ms since the epoch. */
  now: () => number;
}
