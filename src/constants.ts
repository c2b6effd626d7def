/**
 * Wire code points of TLS 1.2 and 1.3, named as the RFCs and the IANA registry name them.
 * @module
 */

/** Record content types. RFC 8446 §5.1. */
export enum ContentType {
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
}

/** Handshake message types. RFC 8446 §4, RFC 5246 §7.4. */
export enum HandshakeType {
  hello_request = 0,
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  end_of_early_data = 5,
  encrypted_extensions = 8,
  certificate = 11,
  server_key_exchange = 12,
  certificate_request = 13,
  server_hello_done = 14,
  certificate_verify = 15,
  client_key_exchange = 16,
  finished = 20,
  certificate_status = 22,
  key_update = 24,
  message_hash = 254,
}

/** Protocol version numbers on the wire. RFC 8446 §4.2.1, RFC 8996. */
export const Version = {
  SSL30: 0x0300,
  TLS10: 0x0301,
  TLS11: 0x0302,
  TLS12: 0x0303,
  TLS13: 0x0304,
} as const;

/** Extension types. RFC 8446 §4.2 and the IANA registry. */
export enum ExtensionType {
  server_name = 0,
  max_fragment_length = 1,
  status_request = 5,
  supported_groups = 10,
  ec_point_formats = 11,
  signature_algorithms = 13,
  use_srtp = 14,
  heartbeat = 15,
  application_layer_protocol_negotiation = 16,
  signed_certificate_timestamp = 18,
  client_certificate_type = 19,
  server_certificate_type = 20,
  padding = 21,
  encrypt_then_mac = 22,
  extended_master_secret = 23,
  record_size_limit = 28,
  session_ticket = 35,
  pre_shared_key = 41,
  early_data = 42,
  supported_versions = 43,
  cookie = 44,
  psk_key_exchange_modes = 45,
  certificate_authorities = 47,
  oid_filters = 48,
  post_handshake_auth = 49,
  signature_algorithms_cert = 50,
  key_share = 51,
  renegotiation_info = 0xff01,
}

/** Named groups for key exchange. RFC 8446 §4.2.7, RFC 8422 §5.1.1. */
export enum NamedGroup {
  secp256r1 = 0x0017,
  secp384r1 = 0x0018,
  secp521r1 = 0x0019,
  x25519 = 0x001d,
  x448 = 0x001e,
  ffdhe2048 = 0x0100,
  ffdhe3072 = 0x0101,
  X25519MLKEM768 = 0x11ec,
}

/** Signature schemes. RFC 8446 §4.2.3. */
export enum SignatureScheme {
  rsa_pkcs1_sha1 = 0x0201,
  ecdsa_sha1 = 0x0203,
  rsa_pkcs1_sha256 = 0x0401,
  rsa_pkcs1_sha384 = 0x0501,
  rsa_pkcs1_sha512 = 0x0601,
  ecdsa_secp256r1_sha256 = 0x0403,
  ecdsa_secp384r1_sha384 = 0x0503,
  ecdsa_secp521r1_sha512 = 0x0603,
  rsa_pss_rsae_sha256 = 0x0804,
  rsa_pss_rsae_sha384 = 0x0805,
  rsa_pss_rsae_sha512 = 0x0806,
  ed25519 = 0x0807,
  ed448 = 0x0808,
  rsa_pss_pss_sha256 = 0x0809,
  rsa_pss_pss_sha384 = 0x080a,
  rsa_pss_pss_sha512 = 0x080b,
}

/** Cipher suite code points. RFC 8446 §B.4, RFC 5288, RFC 8422, RFC 7507, RFC 5746. */
export enum CipherSuiteId {
  TLS_AES_128_GCM_SHA256 = 0x1301,
  TLS_AES_256_GCM_SHA384 = 0x1302,
  TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
  TLS_FALLBACK_SCSV = 0x5600,
}

/** PSK key exchange modes. RFC 8446 §4.2.9. */
export enum PskKeyExchangeMode {
  psk_ke = 0,
  psk_dhe_ke = 1,
}

/** KeyUpdate request values. RFC 8446 §4.6.3. */
export enum KeyUpdateRequest {
  update_not_requested = 0,
  update_requested = 1,
}

/** Largest plaintext fragment. RFC 8446 §5.1. */
export const MAX_PLAINTEXT = 16384;
/** Largest TLS 1.3 ciphertext: 2^14 + 256. RFC 8446 §5.2. */
export const MAX_CIPHERTEXT_TLS13: number = MAX_PLAINTEXT + 256;
/** Largest TLS 1.2 ciphertext: 2^14 + 2048. RFC 5246 §6.2.3. */
export const MAX_CIPHERTEXT_TLS12: number = MAX_PLAINTEXT + 2048;
/** Record header length. RFC 8446 §5.1. */
export const RECORD_HEADER_LEN = 5;

/**
 * ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest"). RFC 8446 §4.1.3.
 */
export const HRR_RANDOM: Uint8Array<ArrayBuffer> = new Uint8Array([
  0xcf,
  0x21,
  0xad,
  0x74,
  0xe5,
  0x9a,
  0x61,
  0x11,
  0xbe,
  0x1d,
  0x8c,
  0x02,
  0x1e,
  0x65,
  0xb8,
  0x91,
  0xc2,
  0xa2,
  0x11,
  0x16,
  0x7a,
  0xbb,
  0x8c,
  0x5e,
  0x07,
  0x9e,
  0x09,
  0xe2,
  0xc8,
  0xa8,
  0x33,
  0x9c,
]);

/** Last 8 bytes of ServerHello.random from a TLS 1.3 server negotiating TLS 1.2. RFC 8446 §4.1.3. */
export const DOWNGRADE_TLS12: Uint8Array<ArrayBuffer> = new Uint8Array([
  0x44,
  0x4f,
  0x57,
  0x4e,
  0x47,
  0x52,
  0x44,
  0x01,
]);
/** Last 8 bytes of ServerHello.random when negotiating TLS 1.1 or below. RFC 8446 §4.1.3. */
export const DOWNGRADE_TLS11: Uint8Array<ArrayBuffer> = new Uint8Array([
  0x44,
  0x4f,
  0x57,
  0x4e,
  0x47,
  0x52,
  0x44,
  0x00,
]);
