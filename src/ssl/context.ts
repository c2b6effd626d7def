/**
 * `SSLContext`: the settings, certificates and trust anchors that connections are made from.
 * @module
 */
import { type Bytes, fromUtf8, utf8 } from "../_bytes.ts";
import { NamedGroup, SignatureScheme, Version } from "../constants.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import {
  type CipherSuite,
  NoCipherMatchError,
  parseCipherString,
  parseCiphersuites13,
  TLS12_SUITES,
  TLS13_SUITES,
} from "../crypto/suites.ts";
import { defaultProvider } from "../crypto/webcrypto.ts";
import { Alert } from "../alert.ts";
import type { CertifiedKey, ClientConfig, ServerConfig } from "../engine/config.ts";
import { LruSessionCache } from "../engine/session_cache.ts";
import { RotatingTicketKeys } from "../engine/tickets.ts";
import { SSLError } from "../errors.ts";
import { Certificate } from "../x509/certificate.ts";
import { CertificateDecodeError } from "../x509/errors.ts";
import { assertKeyMatches } from "../x509/key_match.ts";
import { looksLikePem, pemDecode, pemDecodeAll } from "../x509/pem.ts";
import { type PeerCertDict, peerCertDict } from "../x509/peer_cert.ts";
import { parsePrivateKey, type PasswordSource } from "../x509/private_key.ts";
import { type CertStoreStats, TrustStore } from "../x509/trust_store.ts";
import { listDirectory, readFileBytes } from "./_fs.ts";
import { loadSystemRoots } from "./_system_roots.ts";
import { isIpAddress, makeVerifier } from "./_verifier.ts";
import {
  type ASN1Object,
  Options,
  Purpose,
  SSLMethod,
  TLSVersion,
  VerifyFlags,
  VerifyMode,
} from "./enums.ts";
import type { WrapOptions } from "./_base.ts";
import type { MemoryBIO } from "./memory_bio.ts";
import { SSLObject } from "./object.ts";
import type { SSLSession } from "./session.ts";
import { SSLSocket, type Transport, type WrapSocketOptions } from "./socket.ts";

/** Signature schemes offered by default, strongest-and-fastest first (as OpenSSL orders). */
const DEFAULT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/**
 * Groups offered by default, in preference order. The post-quantum hybrid comes first where
 * the provider has ML-KEM (Deno, Bun), as in browsers and OpenSSL 3.5; elsewhere it is left
 * out when a handshake is configured.
 */
const DEFAULT_GROUPS: readonly NamedGroup[] = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
];

/** Names accepted by `setGroups`/`setEcdhCurve`, OpenSSL's and the IANA registry's. */
const GROUP_NAMES: ReadonlyMap<string, NamedGroup> = new Map([
  ["x25519", NamedGroup.x25519],
  ["p-256", NamedGroup.secp256r1],
  ["secp256r1", NamedGroup.secp256r1],
  ["prime256v1", NamedGroup.secp256r1],
  ["p-384", NamedGroup.secp384r1],
  ["secp384r1", NamedGroup.secp384r1],
  ["p-521", NamedGroup.secp521r1],
  ["secp521r1", NamedGroup.secp521r1],
  ["x25519mlkem768", NamedGroup.X25519MLKEM768],
]);

/** A source of certificate or key material: a file path, or the data itself. */
export interface CertChainSource {
  /** PEM chain (end-entity first) as text or bytes, or DER of the end-entity certificate. */
  cert: string | Uint8Array;
  /** The private key (PEM or DER); omitted when `cert` holds it too. */
  key?: string | Uint8Array;
  /** Password for an encrypted key, or a function returning it. */
  password?: PasswordSource;
}

/** Options of `loadVerifyLocations`. */
export interface VerifyLocations {
  /** A PEM file of CA certificates (and CRLs). */
  cafile?: string;
  /** A directory of PEM CA certificate files (OpenSSL's hashed-name layout or any names). */
  capath?: string;
  /** CA certificates as PEM text, or as DER bytes (one or several concatenated). */
  cadata?: string | Uint8Array;
}

/** Python's `get_ciphers()` entries. */
export interface CipherInfo {
  /** Code point with OpenSSL's 0x0300 prefix, as Python reports it. */
  id: number;
  /** OpenSSL name. */
  name: string;
  /** `TLSv1.3` or `TLSv1.2`. */
  protocol: string;
  /** OpenSSL's description line. */
  description: string;
  /** Symmetric strength. */
  strength_bits: number;
  /** Key bits of the algorithm. */
  alg_bits: number;
  /** Always true: only AEAD suites exist here. */
  aead: boolean;
  /** e.g. `aes-128-gcm`. */
  symmetric: string;
  /** No separate MAC digest with AEAD. */
  digest: null;
  /** `kx-ecdhe` or `kx-any`. */
  kea: string;
  /** `auth-rsa`, `auth-ecdsa` or `auth-any`. */
  auth: string;
}

/** Python's `session_stats()` counters. */
export interface SessionStats {
  /** Sessions in the server cache (tickets are stateless: 0). */
  number: number;
  /** Client handshakes started. */
  connect: number;
  /** Client handshakes completed. */
  connect_good: number;
  /** Always 0: renegotiation is never performed. */
  connect_renegotiate: number;
  /** Server handshakes started. */
  accept: number;
  /** Server handshakes completed. */
  accept_good: number;
  /** Always 0. */
  accept_renegotiate: number;
  /** Sessions resumed. */
  hits: number;
  /** Resumption attempts that fell back to a full handshake. */
  misses: number;
  /** Tickets rejected as expired. */
  timeouts: number;
  /** Always 0: there is no server-side session cache. */
  cache_full: number;
}

/** Receives NSS key log lines when `onKeylog` is set. */
export type KeylogCallback = (line: string) => void;

/**
 * Settings, certificates and trust anchors shared by connections (Python's `ssl.SSLContext`).
 *
 * @example
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, SSLContext, TLSVersion } from "@webtls/webtls";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * await ctx.loadVerifyLocations({ cafile: "ca.pem" });
 * ctx.minimumVersion = TLSVersion.TLSv1_3;
 * ctx.setAlpnProtocols(["h2", "http/1.1"]);
 * ```
 */
export class SSLContext {
  /** The protocol selector the context was created with. */
  readonly protocol: SSLMethod;
  /** The cryptography provider (WebCrypto by default). */
  provider: CryptoProvider = defaultProvider;
  /** Option flags (`OP_*`). */
  options: number;
  /** Certificate verification flags (`VERIFY_*`). */
  verifyFlags: number = VerifyFlags.VERIFY_X509_TRUSTED_FIRST;
  /**
   * Fall back to the subject's commonName when a certificate has no subjectAltName. Off by
   * default (RFC 6125 §6.4.4 and the CA/Browser Forum require SANs); Python defaults to on.
   */
  hostnameChecksCommonName = false;
  /**
   * TLS 1.3 post-handshake client authentication. Client side: offer it. Server side, with
   * `verifyMode` CERT_OPTIONAL or CERT_REQUIRED: ask for the client certificate only when
   * `verifyClientPostHandshake()` is called, not during the handshake (as Python does).
   */
  postHandshakeAuth = false;
  /** Append NSS key log lines to this file (opt-in; it writes secrets). */
  keylogFilename: string | null = null;
  /** Receive NSS key log lines (opt-in; they are secrets). */
  onKeylog: KeylogCallback | null = null;
  /** TLS 1.3 session tickets a server sends after a handshake (Python's `num_tickets`). */
  numTickets = 2;
  /** Lifetime of the session tickets a server issues, in seconds (at most 7 days). */
  ticketLifetime = 7200;
  /**
   * Refuse TLS 1.2 peers that do not support the extended master secret (RFC 7627). It is
   * always offered; requiring it shuts out old peers, so it is off by default as in OpenSSL.
   */
  requireExtendedMasterSecret = false;
  /**
   * Called with the server name a client sent, before the certificate is chosen; may switch
   * `sslObject.context` (Python's `sni_callback`).
   */
  sniCallback:
    | ((sslObject: unknown, serverName: string | null, context: SSLContext) => unknown)
    | null = null;

  #verifyMode: VerifyMode;
  #checkHostname: boolean;
  // Python 3.10+ makes TLS 1.2 the minimum of every new context, and reports it as such.
  #minimumVersion: TLSVersion = TLSVersion.TLSv1_2;
  #maximumVersion: TLSVersion = TLSVersion.MAXIMUM_SUPPORTED;
  #suites12: CipherSuite[] = [...TLS12_SUITES];
  #suites13: CipherSuite[] = [...TLS13_SUITES];
  #groups: NamedGroup[] = [...DEFAULT_GROUPS];
  #alpn: string[] = [];
  #store = new TrustStore();
  #systemRoots = false;
  #systemRootsLoaded: Promise<void> | undefined;
  #chains: CertifiedKey[] = [];
  #caNames: Bytes[] = [];
  #ticketKeys: RotatingTicketKeys | undefined;
  #sessionCache = new LruSessionCache();
  /** @ignore Counters for `sessionStats()`. */
  readonly _stats: SessionStats = {
    number: 0,
    connect: 0,
    connect_good: 0,
    connect_renegotiate: 0,
    accept: 0,
    accept_good: 0,
    accept_renegotiate: 0,
    hits: 0,
    misses: 0,
    timeouts: 0,
    cache_full: 0,
  };

  /**
   * Creates a context for clients or servers.
   * @param protocol `PROTOCOL_TLS_CLIENT` (verifies servers by default), `PROTOCOL_TLS_SERVER`,
   *   or the deprecated `PROTOCOL_TLS` / `PROTOCOL_TLSv1_2`. TLS 1.0 and 1.1 selectors are
   *   refused by design (RFC 8996).
   */
  constructor(protocol: SSLMethod = SSLMethod.PROTOCOL_TLS) {
    if (protocol === SSLMethod.PROTOCOL_TLSv1 || protocol === SSLMethod.PROTOCOL_TLSv1_1) {
      throw new SSLError(
        "UNSUPPORTED_PROTOCOL",
        "TLS 1.0 and TLS 1.1 are refused by design (RFC 8996); use PROTOCOL_TLS_CLIENT or " +
          "PROTOCOL_TLS_SERVER",
      );
    }
    if (!Object.values(SSLMethod).includes(protocol)) {
      throw new TypeError(`invalid or unsupported protocol version ${protocol}`);
    }
    this.protocol = protocol;
    this.options = Options.OP_ALL | Options.OP_NO_SSLv3 | Options.OP_NO_TLSv1 |
      Options.OP_NO_TLSv1_1 | Options.OP_NO_COMPRESSION | Options.OP_CIPHER_SERVER_PREFERENCE |
      Options.OP_ENABLE_MIDDLEBOX_COMPAT | Options.OP_NO_RENEGOTIATION;
    const client = protocol === SSLMethod.PROTOCOL_TLS_CLIENT;
    this.#verifyMode = client ? VerifyMode.CERT_REQUIRED : VerifyMode.CERT_NONE;
    this.#checkHostname = client;
    if (protocol === SSLMethod.PROTOCOL_TLSv1_2) {
      this.#minimumVersion = TLSVersion.TLSv1_2;
      this.#maximumVersion = TLSVersion.TLSv1_2;
    }
  }

  // ----------------------------------------------------------------- verification settings

  /** Whether and how the peer's certificate is verified. */
  get verifyMode(): VerifyMode {
    return this.#verifyMode;
  }

  set verifyMode(mode: VerifyMode) {
    if (
      ![VerifyMode.CERT_NONE, VerifyMode.CERT_OPTIONAL, VerifyMode.CERT_REQUIRED].includes(mode)
    ) {
      throw new TypeError("invalid value for verifyMode");
    }
    if (mode === VerifyMode.CERT_NONE && this.#checkHostname) {
      throw new TypeError(
        "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.",
      );
    }
    this.#verifyMode = mode;
  }

  /** Match the server's certificate against `serverHostname` (RFC 6125). */
  get checkHostname(): boolean {
    return this.#checkHostname;
  }

  set checkHostname(value: boolean) {
    // As in Python: turning hostname checks on makes verification mandatory.
    if (value && this.#verifyMode === VerifyMode.CERT_NONE) {
      this.#verifyMode = VerifyMode.CERT_REQUIRED;
    }
    this.#checkHostname = value;
  }

  /** OpenSSL's security level; fixed at 2 (112-bit security: RSA ≥ 2048, no SHA-1). */
  get securityLevel(): number {
    return 2;
  }

  // ----------------------------------------------------------------- versions

  /** Lowest protocol version to negotiate. Values below TLS 1.2 act as TLS 1.2 (RFC 8996). */
  get minimumVersion(): TLSVersion {
    return this.#minimumVersion;
  }

  set minimumVersion(v: TLSVersion) {
    this.#checkVersionSetter(v);
    this.#minimumVersion = v;
  }

  /** Highest protocol version to negotiate. */
  get maximumVersion(): TLSVersion {
    return this.#maximumVersion;
  }

  set maximumVersion(v: TLSVersion) {
    this.#checkVersionSetter(v);
    this.#maximumVersion = v;
  }

  #checkVersionSetter(v: TLSVersion): void {
    if (!Object.values(TLSVersion).includes(v)) throw new TypeError(`invalid TLS version ${v}`);
    if (
      this.protocol !== SSLMethod.PROTOCOL_TLS_CLIENT &&
      this.protocol !== SSLMethod.PROTOCOL_TLS_SERVER && this.protocol !== SSLMethod.PROTOCOL_TLS
    ) {
      throw new TypeError(
        "The context's protocol doesn't support modification of highest and lowest version.",
      );
    }
  }

  /**
   * The wire versions enabled by `minimumVersion`, `maximumVersion` and the `OP_NO_*` options.
   * @ignore
   */
  _versions(): { min: number; max: number } {
    const resolve = (v: TLSVersion, dflt: number) =>
      v === TLSVersion.MINIMUM_SUPPORTED
        ? Version.TLS12
        : v === TLSVersion.MAXIMUM_SUPPORTED
        ? Version.TLS13
        : v < dflt && dflt === Version.TLS12
        ? Version.TLS12
        : v;
    let min = resolve(this.#minimumVersion, Version.TLS12);
    let max = resolve(this.#maximumVersion, Version.TLS13);
    if (this.options & Options.OP_NO_TLSv1_2 && min === Version.TLS12) min = Version.TLS13;
    if (this.options & Options.OP_NO_TLSv1_3 && max === Version.TLS13) max = Version.TLS12;
    if (max < Version.TLS12 || min > max) {
      throw new SSLError(
        "NO_PROTOCOLS_AVAILABLE",
        "no protocols available: check minimumVersion, maximumVersion and OP_NO_* options",
      );
    }
    return { min, max };
  }

  // ----------------------------------------------------------------- ciphers, groups, ALPN

  /**
   * Chooses the TLS 1.2 cipher suites with an OpenSSL cipher string (`ECDHE+AESGCM`,
   * `HIGH:!aNULL`, …). TLS 1.3 suites are set with {@link setCiphersuites}, as in OpenSSL.
   * Throws `SSLError("No cipher can be selected.")` when nothing matches.
   */
  setCiphers(ciphers: string): void {
    const names = ciphers.split(/[:, ]+/).filter(Boolean);
    // TLS 1.3 names given here are routed to the TLS 1.3 list, which is what users mean.
    const tls13 = names.filter((n) => n.startsWith("TLS_"));
    const rest = names.filter((n) => !n.startsWith("TLS_"));
    try {
      if (tls13.length) this.#suites13 = parseCiphersuites13(tls13.join(":"));
      if (rest.length) this.#suites12 = parseCipherString(rest.join(":"));
      else if (tls13.length) this.#suites12 = [];
    } catch (e) {
      if (e instanceof NoCipherMatchError) {
        throw new SSLError("NO_CIPHER_MATCH", "No cipher can be selected.");
      }
      throw e;
    }
  }

  /**
   * Chooses the TLS 1.3 suites, colon-separated (`TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256`),
   * as OpenSSL's `SSL_CTX_set_ciphersuites`.
   */
  setCiphersuites(ciphersuites: string): void {
    try {
      this.#suites13 = parseCiphersuites13(ciphersuites);
    } catch (e) {
      if (e instanceof NoCipherMatchError) {
        throw new SSLError("NO_CIPHER_MATCH", "No cipher can be selected.");
      }
      throw e;
    }
  }

  /** The enabled suites, in Python's `get_ciphers()` shape. */
  getCiphers(): CipherInfo[] {
    return this._suites().all.map((s) => ({
      id: 0x03000000 | s.id,
      name: s.opensslName,
      protocol: s.version === Version.TLS13 ? "TLSv1.3" : "TLSv1.2",
      description: s.description,
      strength_bits: s.secretBits,
      alg_bits: s.secretBits,
      aead: true,
      symmetric: s.symmetric,
      digest: null,
      kea: s.kea,
      auth: s.authName,
    }));
  }

  /** @ignore The suites the provider can run, per version. */
  _suites(): { tls13: CipherSuite[]; tls12: CipherSuite[]; all: CipherSuite[] } {
    const ok = (s: CipherSuite) => this.provider.supportsAead(s.aead);
    const tls13 = this.#suites13.filter(ok);
    const tls12 = this.#suites12.filter(ok);
    return { tls13, tls12, all: [...tls13, ...tls12] };
  }

  /**
   * Sets the key exchange groups in preference order (`X25519MLKEM768`, `x25519`,
   * `P-256`/`prime256v1`, `P-384`/`secp384r1`, `P-521`). A client sends a key share for the
   * first, and for `x25519` too when the first is the ML-KEM hybrid (a server without the
   * hybrid then needs no HelloRetryRequest). Groups the crypto provider lacks (ML-KEM on
   * Node) are skipped when a handshake starts.
   */
  setGroups(groups: string[]): void {
    const out: NamedGroup[] = [];
    for (const name of groups) {
      const g = GROUP_NAMES.get(name.toLowerCase());
      if (g === undefined) throw new TypeError(`unknown group name '${name}'`);
      if (!out.includes(g)) out.push(g);
    }
    if (out.length === 0) throw new TypeError("no groups given");
    this.#groups = out;
  }

  /** Python's `set_ecdh_curve(name)`: restricts key exchange to one curve. */
  setEcdhCurve(curveName: string): void {
    if (!GROUP_NAMES.has(curveName.toLowerCase())) {
      throw new TypeError(`unknown elliptic curve name '${curveName}'`);
    }
    this.setGroups([curveName]);
  }

  /** @ignore The groups in preference order. */
  _groups(): NamedGroup[] {
    const supported = this.provider.supportedGroups();
    const groups = this.#groups.filter((g) => supported.includes(g));
    if (groups.length === 0) {
      throw new SSLError(
        "NO_SUITABLE_GROUPS",
        "none of the configured key exchange groups is supported by the crypto provider",
      );
    }
    return groups;
  }

  /** Protocols to offer (client) or accept (server) with ALPN, in preference order. */
  setAlpnProtocols(protocols: string[]): void {
    for (const p of protocols) {
      const n = utf8(p).byteLength;
      // RFC 7301 §3.1: protocol names are 1 to 255 bytes.
      if (n === 0 || n > 255) {
        throw new TypeError(`ALPN protocols must be 1 to 255 in length: '${p}'`);
      }
    }
    this.#alpn = [...protocols];
  }

  /** @ignore */
  _alpn(): string[] {
    return [...this.#alpn];
  }

  /** NPN is obsolete (replaced by ALPN, RFC 7301) and not implemented. */
  setNpnProtocols(_protocols: string[]): never {
    throw new SSLError("NPN_NOT_SUPPORTED", "NPN is not supported: use setAlpnProtocols()");
  }

  /** Python's legacy `set_servername_callback`; sets {@link sniCallback}. */
  setServernameCallback(callback: SSLContext["sniCallback"]): void {
    this.sniCallback = callback;
  }

  /**
   * Finite-field DH is not implemented (TLS 1.3 and ECDHE suites need none): always throws.
   */
  loadDhParams(_dhfile: string): never {
    throw new SSLError(
      "DH_NOT_SUPPORTED",
      "finite-field DH parameters are not supported: key exchange uses ECDHE (X25519, P-256, P-384)",
    );
  }

  /** TLS 1.2 PSK suites are not implemented: always throws. */
  setPskClientCallback(_callback: unknown): never {
    throw new SSLError("PSK_NOT_SUPPORTED", "external PSK cipher suites are not supported");
  }

  /** TLS 1.2 PSK suites are not implemented: always throws. */
  setPskServerCallback(_callback: unknown, _identityHint?: string): never {
    throw new SSLError("PSK_NOT_SUPPORTED", "external PSK cipher suites are not supported");
  }

  // ----------------------------------------------------------------- trust anchors

  /**
   * Loads CA certificates to verify peers with (Python's `load_verify_locations`): a PEM file
   * (`cafile`, which may also hold CRLs), a directory of PEM files (`capath`), or data
   * (`cadata`: PEM text, or DER bytes). Throws `SSLError` when a source holds no certificate.
   */
  async loadVerifyLocations(locations: VerifyLocations): Promise<void> {
    const { cafile, capath, cadata } = locations;
    if (cafile === undefined && capath === undefined && cadata === undefined) {
      throw new TypeError("cafile, capath and cadata cannot be all omitted");
    }
    if (cafile !== undefined) {
      const n = this.#addPemOrDer(await readFileBytes(cafile), true);
      if (n === 0) {
        throw new SSLError(
          "NO_CERTIFICATE_OR_CRL_FOUND",
          `no certificate or CRL found in ${cafile}`,
          { library: "X509" },
        );
      }
    }
    if (capath !== undefined) {
      for (const name of (await listDirectory(capath)).sort()) {
        let data: Bytes;
        try {
          data = await readFileBytes(`${capath}/${name}`);
        } catch {
          continue; // subdirectories and unreadable entries are skipped, as OpenSSL does
        }
        if (looksLikePem(data)) this.#addPemOrDer(data, true);
      }
    }
    if (cadata !== undefined) {
      const n = this.#addPemOrDer(typeof cadata === "string" ? utf8(cadata) : cadata, false);
      if (n === 0) {
        throw new SSLError("NO_CERTIFICATE_OR_CRL_FOUND", "no certificate found in cadata", {
          library: "X509",
        });
      }
    }
  }

  /** Adds one trust anchor; its name goes into a server's CertificateRequest. */
  #trust(der: Bytes): void {
    let cert: Certificate;
    try {
      cert = Certificate.fromDer(der);
    } catch (e) {
      if (e instanceof CertificateDecodeError) {
        throw new SSLError("ASN1_LIB", `a CA certificate does not parse: ${e.message}`, {
          library: "X509",
        });
      }
      throw e;
    }
    if (this.#store.add(cert) && cert.isCA) this.#caNames.push(cert.subject.der);
  }

  /** Adds every certificate (and CRL) in PEM text or concatenated DER; returns how many. */
  #addPemOrDer(data: Uint8Array, crls: boolean): number {
    let n = 0;
    if (looksLikePem(data)) {
      for (const block of pemDecodeAll(fromUtf8(data))) {
        if (block.label === "CERTIFICATE" || block.label === "TRUSTED CERTIFICATE") {
          this.#trust(block.der);
          n++;
        } else if (crls && block.label === "X509 CRL") {
          this.#store.addCrl(block.der);
          n++;
        }
      }
      return n;
    }
    for (const der of splitDer(data)) {
      this.#trust(der);
      n++;
    }
    return n;
  }

  /** Trusts the system's (or runtime's) default CA certificates, loaded at first use. */
  loadDefaultCerts(purpose: ASN1Object = Purpose.SERVER_AUTH): void {
    void purpose; // One root store serves both purposes, as on Linux with OpenSSL.
    this.#systemRoots = true;
  }

  /** Python's `set_default_verify_paths()`: the same as {@link loadDefaultCerts}. */
  setDefaultVerifyPaths(): void {
    this.#systemRoots = true;
  }

  /** @ignore Resolves once the system roots requested are in the store. */
  _ensureRoots(): Promise<void> {
    if (!this.#systemRoots) return Promise.resolve();
    return this.#systemRootsLoaded ??= loadSystemRoots().then((roots: Bytes[]) => {
      for (const der of roots) this.#store.add(der);
    });
  }

  /** @ignore */
  get _trustStore(): TrustStore {
    return this.#store;
  }

  /** Counts of loaded certificates and CRLs (Python's `cert_store_stats()`). */
  certStoreStats(): CertStoreStats {
    return this.#store.stats();
  }

  /** The CA certificates loaded (not the lazily loaded system roots before first use). */
  getCaCerts(binaryForm: true): Uint8Array[];
  /** The CA certificates loaded, as `getPeerCert()`-shaped objects. */
  getCaCerts(binaryForm?: false): PeerCertDict[];
  getCaCerts(binaryForm = false): Uint8Array[] | PeerCertDict[] {
    const cas = this.#store.caCertificates();
    return binaryForm ? cas.map((c) => c.der.slice()) : cas.map((c) => peerCertDict(c));
  }

  // ----------------------------------------------------------------- own certificates

  /**
   * Loads a certificate chain and its private key (Python's `load_cert_chain`): from files, or
   * from data (edge runtimes). Several chains may be loaded (e.g. ECDSA and RSA); a server picks
   * the one the client's signature_algorithms allow. Throws `SSLError` for a key that does not
   * match its certificate (`KEY_VALUES_MISMATCH`), a wrong password or an unsupported key.
   */
  async loadCertChain(
    certfile: string | CertChainSource,
    keyfile?: string,
    password?: PasswordSource,
  ): Promise<void> {
    const src: CertChainSource = typeof certfile === "string"
      ? {
        cert: await readFileBytes(certfile),
        key: keyfile !== undefined ? await readFileBytes(keyfile) : undefined,
        password,
      }
      : certfile;
    const certText = typeof src.cert === "string" ? src.cert : fromUtf8(src.cert);
    const chain = typeof src.cert !== "string" && !looksLikePem(src.cert)
      ? [src.cert.slice()]
      : pemDecode(certText, "CERTIFICATE");
    if (chain.length === 0) {
      throw new SSLError("NO_START_LINE", "no certificate found in the certificate chain", {
        library: "PEM",
      });
    }
    const leaf = Certificate.fromDer(chain[0]);
    const info = await parsePrivateKey(src.key ?? src.cert, src.password);
    await assertKeyMatches(info, leaf.spki);
    const key = await this.provider.importSigningKey(info.pkcs8);
    this.#chains.push({ chain, key });
  }

  /** @ignore The loaded chains. */
  _chains(): readonly CertifiedKey[] {
    return this.#chains;
  }

  // ----------------------------------------------------------------- connections

  /**
   * Wraps a transport in TLS (Python's `wrap_socket`). By default the handshake completes
   * before the promise resolves; failures reject with an `SSLError` (certificate problems
   * with `SSLCertVerificationError`).
   */
  async wrapSocket(transport: Transport, options: WrapSocketOptions = {}): Promise<SSLSocket> {
    const sock = new SSLSocket(this, transport, options);
    if (options.doHandshakeOnConnect ?? true) {
      try {
        await sock.doHandshake();
      } catch (e) {
        await sock.close();
        throw e;
      }
    }
    return sock;
  }

  /** A TLS connection over memory buffers (Python's `wrap_bio`); no I/O of its own. */
  wrapBio(incoming: MemoryBIO, outgoing: MemoryBIO, options: WrapOptions = {}): SSLObject {
    return new SSLObject(this, incoming, outgoing, options);
  }

  // ----------------------------------------------------------------- sessions and stats

  /** Session counters (Python's `session_stats()`). */
  sessionStats(): SessionStats {
    return { ...this._stats, number: this.#sessionCache.size };
  }

  /**
   * @ignore The settings of one server handshake. `owner` is the socket or object being
   * served: the SNI callback receives it and may switch its context.
   */
  async _serverConfig(owner: { context: SSLContext }): Promise<ServerConfig> {
    await this.provider.ready?.();
    const { min, max } = this._versions();
    const { tls13, tls12 } = this._suites();
    if (tls13.length === 0 && tls12.length === 0) {
      throw new SSLError("NO_CIPHERS_AVAILABLE", "no cipher suites available");
    }
    await this._ensureRoots();
    const lifetime = Math.min(Math.max(0, Math.floor(this.ticketLifetime)), 604800);
    if (!this.#ticketKeys && !(this.options & Options.OP_NO_TICKET) && lifetime > 0) {
      // Keys rotate once per ticket lifetime, and the previous key still opens tickets.
      this.#ticketKeys = new RotatingTicketKeys(this.provider, lifetime * 1000);
    }
    const callback = this.sniCallback;
    return {
      provider: this.provider,
      minVersion: min,
      maxVersion: max,
      suites13: max >= Version.TLS13 ? tls13 : [],
      suites12: min <= Version.TLS12 ? tls12 : [],
      serverPreference: (this.options & Options.OP_CIPHER_SERVER_PREFERENCE) !== 0,
      groups: this._groups(),
      signatureSchemes: [...DEFAULT_SIGNATURE_SCHEMES],
      certificates: this.#chains,
      alpnProtocols: this._alpn(),
      verifyMode: this.verifyMode,
      postHandshakeAuth: this.postHandshakeAuth,
      verifyPeer: makeVerifier(this, "server", undefined),
      certificateAuthorities: this.#caNames,
      numTickets: this.options & Options.OP_NO_TICKET ? 0 : Math.max(0, this.numTickets),
      ticketLifetime: lifetime,
      tickets: this.options & Options.OP_NO_TICKET ? undefined : this.#ticketKeys,
      middleboxCompat: (this.options & Options.OP_ENABLE_MIDDLEBOX_COMPAT) !== 0,
      requireExtendedMasterSecret: this.requireExtendedMasterSecret,
      sessionCache: this.#sessionCache,
      forServerName: callback
        ? async (name) => {
          let result: unknown;
          try {
            result = await callback(owner, name ?? null, this);
          } catch {
            // Python: an exception in the callback ends the handshake with handshake_failure.
            return Alert.handshake_failure;
          }
          if (typeof result === "number") return result;
          // The callback may have switched `owner.context`: continue with its settings.
          return { ...(await owner.context._serverConfig(owner)), forServerName: undefined };
        }
        : undefined,
      keyLog: this.keylogFilename !== null || this.onKeylog !== null,
      now: Date.now,
    };
  }

  /** @ignore The settings of one client handshake. */
  async _clientConfig(
    serverHostname: string | undefined,
    session?: SSLSession,
  ): Promise<ClientConfig> {
    await this.provider.ready?.();
    const { min, max } = this._versions();
    const { tls13, tls12 } = this._suites();
    if (tls13.length === 0 && tls12.length === 0) {
      throw new SSLError("NO_CIPHERS_AVAILABLE", "no cipher suites available");
    }
    await this._ensureRoots();
    const sni = serverHostname !== undefined && !isIpAddress(serverHostname)
      ? serverHostname.replace(/\.$/, "").toLowerCase()
      : undefined;
    const groups = this._groups();
    return {
      provider: this.provider,
      sniHostname: sni,
      minVersion: min,
      maxVersion: max,
      suites13: max >= Version.TLS13 ? tls13 : [],
      suites12: min <= Version.TLS12 ? tls12 : [],
      groups,
      // The hybrid's share goes with an X25519 one, as browsers send them (RFC 8446 §4.2.8).
      keyShareGroups: groups[0] === NamedGroup.X25519MLKEM768 && groups.includes(NamedGroup.x25519)
        ? [groups[0], NamedGroup.x25519]
        : [groups[0]],
      signatureSchemes: [...DEFAULT_SIGNATURE_SCHEMES],
      certSignatureSchemes: [...DEFAULT_SIGNATURE_SCHEMES],
      alpnProtocols: this._alpn(),
      verifyPeer: makeVerifier(this, "client", serverHostname),
      resume: session?._data,
      requireExtendedMasterSecret: this.requireExtendedMasterSecret,
      legacyServerConnect: (this.options & Options.OP_LEGACY_SERVER_CONNECT) !== 0,
      sessionTickets: (this.options & Options.OP_NO_TICKET) === 0,
      middleboxCompat: (this.options & Options.OP_ENABLE_MIDDLEBOX_COMPAT) !== 0,
      clientCertificate: this.#chains.length
        ? (schemes) => this.#chains.find((c) => c.key.schemes.some((s) => schemes.includes(s)))
        : undefined,
      postHandshakeAuth: this.postHandshakeAuth,
      keyLog: this.keylogFilename !== null || this.onKeylog !== null,
      now: Date.now,
    };
  }
}

/** Splits concatenated DER certificates (each a SEQUENCE with a definite length). */
function splitDer(data: Uint8Array): Bytes[] {
  const out: Bytes[] = [];
  let off = 0;
  while (off < data.byteLength) {
    if (data[off] !== 0x30 || off + 2 > data.byteLength) {
      throw new SSLError("NOT_ENOUGH_DATA", "cadata does not hold DER certificates", {
        library: "ASN1",
      });
    }
    let len = data[off + 1];
    let head = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || off + 2 + n > data.byteLength) {
        throw new SSLError("NOT_ENOUGH_DATA", "cadata does not hold DER certificates", {
          library: "ASN1",
        });
      }
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + data[off + 2 + i];
      head += n;
    }
    if (off + head + len > data.byteLength) {
      throw new SSLError("NOT_ENOUGH_DATA", "truncated DER certificate in cadata", {
        library: "ASN1",
      });
    }
    out.push(data.slice(off, off + head + len));
    off += head + len;
  }
  return out;
}

/**
 * A context with secure defaults for `purpose` (Python's `create_default_context`): for
 * `Purpose.SERVER_AUTH` a client context that verifies certificates and host names against the
 * given CAs or the system's; for `Purpose.CLIENT_AUTH` a server context.
 *
 * @example
 * ```ts
 * import { createDefaultContext } from "@webtls/webtls";
 * const ctx = createDefaultContext(); // system roots, hostname checks, TLS 1.2+
 * ```
 */
export async function createDefaultContext(
  purpose: ASN1Object = Purpose.SERVER_AUTH,
  locations: VerifyLocations = {},
): Promise<SSLContext> {
  const ctx = new SSLContext(
    purpose === Purpose.SERVER_AUTH ? SSLMethod.PROTOCOL_TLS_CLIENT : SSLMethod.PROTOCOL_TLS_SERVER,
  );
  // Python 3.13 adds strict RFC 5280 checks and partial chains to the defaults.
  ctx.verifyFlags |= VerifyFlags.VERIFY_X509_STRICT | VerifyFlags.VERIFY_X509_PARTIAL_CHAIN;
  // So that getCiphers() already lists what the provider detects asynchronously.
  await ctx.provider.ready?.();
  const { cafile, capath, cadata } = locations;
  if (cafile !== undefined || capath !== undefined || cadata !== undefined) {
    await ctx.loadVerifyLocations(locations);
  } else if (ctx.verifyMode !== VerifyMode.CERT_NONE) {
    ctx.loadDefaultCerts(purpose);
  }
  return ctx;
}
