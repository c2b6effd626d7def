/**
 * Alert protocol vocabulary and the internal error that carries an alert to send.
 * RFC 8446 §6, RFC 5246 §7.2.
 * @module
 */

/** Alert levels. RFC 5246 §7.2; TLS 1.3 treats every alert but close_notify and user_canceled as fatal. */
export enum AlertLevel {
  warning = 1,
  fatal = 2,
}

/** Alert descriptions, by their RFC names. RFC 8446 §6. */
export enum Alert {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  decryption_failed = 21,
  record_overflow = 22,
  decompression_failure = 30,
  handshake_failure = 40,
  no_certificate = 41,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  export_restriction = 60,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  inappropriate_fallback = 86,
  user_canceled = 90,
  no_renegotiation = 100,
  missing_extension = 109,
  unsupported_extension = 110,
  certificate_unobtainable = 111,
  unrecognized_name = 112,
  bad_certificate_status_response = 113,
  bad_certificate_hash_value = 114,
  unknown_psk_identity = 115,
  certificate_required = 116,
  no_application_protocol = 120,
}

/** Details of a failed certificate verification, in OpenSSL's numbering. */
export interface VerifyFailure {
  /** OpenSSL `X509_V_ERR_*` code, e.g. 10 expired, 20 unable to get local issuer, 62 hostname mismatch. */
  code: number;
  /** OpenSSL's message for the code, with details. */
  message: string;
}

/**
 * A protocol violation detected by this side: the engine sends `alert`, closes, and surfaces an
 * `SSLError` whose `reason` is `reason` (OpenSSL's reason names where one exists).
 * Internal; never leaves the library.
 */
export class TLSAlertError extends Error {
  /** The alert to send. */
  readonly alert: Alert;
  /** OpenSSL-style reason code, e.g. `DECODE_ERROR`, `BAD_RECORD_MAC`. */
  readonly reason: string;
  /** Set when the cause is a certificate verification failure. */
  readonly verify?: VerifyFailure;

  /**
   * @param alert alert to send to the peer
   * @param reason reason code for the surfaced `SSLError`
   * @param message human-readable detail (never secret material)
   * @param verify certificate verification details, when that is the cause
   */
  constructor(alert: Alert, reason: string, message: string, verify?: VerifyFailure) {
    super(message);
    this.name = "TLSAlertError";
    this.alert = alert;
    this.reason = reason;
    if (verify) this.verify = verify;
  }
}

/** Shorthand for the common case. */
export function alertError(alert: Alert, message: string, reason?: string): TLSAlertError {
  return new TLSAlertError(alert, reason ?? Alert[alert].toUpperCase(), message);
}

// OpenSSL names received alerts SSLV3_ALERT_* for those SSLv3 defined and TLSV1_ALERT_* (or
// TLSV13_ALERT_*) for later ones; Python users match on these reason strings.
const SSLV3_ALERTS = new Set<Alert>([
  Alert.close_notify,
  Alert.unexpected_message,
  Alert.bad_record_mac,
  Alert.decompression_failure,
  Alert.handshake_failure,
  Alert.no_certificate,
  Alert.bad_certificate,
  Alert.unsupported_certificate,
  Alert.certificate_revoked,
  Alert.certificate_expired,
  Alert.certificate_unknown,
  Alert.illegal_parameter,
]);

/** The OpenSSL reason code for an alert received from the peer, e.g. `TLSV1_ALERT_UNKNOWN_CA`. */
export function receivedAlertReason(description: number): string {
  const name = Alert[description as Alert];
  if (name === undefined) return `TLSV1_ALERT_UNKNOWN_${description}`;
  const upper = name.toUpperCase();
  if (SSLV3_ALERTS.has(description as Alert)) return `SSLV3_ALERT_${upper}`;
  if (description === Alert.missing_extension || description === Alert.certificate_required) {
    return `TLSV13_ALERT_${upper}`;
  }
  return `TLSV1_ALERT_${upper}`;
}
