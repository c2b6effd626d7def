/**
 * The cipher suites webtls implements, with the names and descriptions OpenSSL (and so
 * Python's `ssl`) uses, and parsers for OpenSSL's cipher-list and TLS 1.3 ciphersuite syntax.
 * @module
 */
import { CipherSuiteId, Version } from "../constants.ts";
import type { AeadAlgorithm, HashAlgorithm } from "./provider.ts";

/** One cipher suite and everything the protocol and the `ssl` API need to know about it. */
export interface CipherSuite {
  /** Code point. RFC 8446 §B.4, RFC 5289, RFC 7905. */
  readonly id: CipherSuiteId;
  /** IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`. */
  readonly name: string;
  /** OpenSSL name (`ECDHE-RSA-AES128-GCM-SHA256`; for TLS 1.3 the IANA name). */
  readonly opensslName: string;
  /** The protocol version the suite belongs to. */
  readonly version: typeof Version.TLS12 | typeof Version.TLS13;
  /** Hash of the PRF / HKDF and transcript. */
  readonly hash: HashAlgorithm;
  /** Record protection. */
  readonly aead: AeadAlgorithm;
  /** AEAD key length in bytes. */
  readonly keyLength: number;
  /**
   * IV bytes taken from the key schedule: 12 for TLS 1.3 and TLS 1.2 ChaCha20 (RFC 8446 §5.3,
   * RFC 7905 §2), the 4-byte implicit salt for TLS 1.2 AES-GCM (RFC 5288 §3).
   */
  readonly ivLength: number;
  /** Symmetric strength in bits, as OpenSSL's `strength_bits`/`alg_bits`. */
  readonly secretBits: 128 | 256;
  /** TLS 1.2 key exchange; `undefined` for TLS 1.3 (negotiated separately). */
  readonly keyExchange?: "ECDHE";
  /** TLS 1.2 server authentication; `undefined` for TLS 1.3. */
  readonly auth?: "ECDSA" | "RSA";
  /**
   * Records one key may protect before a key update (TLS 1.3) or a new connection is due.
   * RFC 8446 §5.5: 2^24.5 full-size records for AES-GCM; ChaCha20-Poly1305 is not limited
   * below the 2^64 sequence space, so the cap is the largest safe integer.
   */
  readonly recordLimit: number;
  /** The line OpenSSL's `SSL_CIPHER_description` prints (Python's `get_ciphers()`). */
  readonly description: string;
  /** Python's `get_ciphers()` `symmetric`, e.g. `aes-128-gcm`. */
  readonly symmetric: string;
  /** Python's `get_ciphers()` `kea`: `kx-ecdhe` or `kx-any`. */
  readonly kea: string;
  /** Python's `get_ciphers()` `auth`: `auth-rsa`, `auth-ecdsa` or `auth-any`. */
  readonly authName: string;
}

/** RFC 8446 §5.5: AES-GCM keys protect at most 2^24.5 full-size records. */
const AES_GCM_RECORD_LIMIT = Math.floor(2 ** 24.5);

function describe(
  opensslName: string,
  version: string,
  kx: string,
  au: string,
  enc: string,
): string {
  // OpenSSL 3 SSL_CIPHER_description: "%-30s %-7s Kx=%-8s Au=%-5s Enc=%-22s Mac=%-4s".
  return `${opensslName.padEnd(30)} ${version.padEnd(7)} Kx=${kx.padEnd(8)} Au=${au.padEnd(5)} ` +
    `Enc=${enc.padEnd(22)} Mac=AEAD`;
}

function suite(
  id: CipherSuiteId,
  opensslName: string,
  aead: AeadAlgorithm,
  hash: HashAlgorithm,
  auth?: "ECDSA" | "RSA",
): CipherSuite {
  const tls13 = auth === undefined;
  const chacha = aead === "CHACHA20-POLY1305";
  const keyLength = aead === "AES-128-GCM" ? 16 : 32;
  const secretBits = keyLength === 16 ? 128 : 256;
  const enc = chacha ? "CHACHA20/POLY1305(256)" : `AESGCM(${secretBits})`;
  return {
    id,
    name: CipherSuiteId[id],
    opensslName,
    version: tls13 ? Version.TLS13 : Version.TLS12,
    hash,
    aead,
    keyLength,
    ivLength: tls13 || chacha ? 12 : 4,
    secretBits,
    ...(tls13 ? {} : { keyExchange: "ECDHE" as const, auth }),
    recordLimit: chacha ? Number.MAX_SAFE_INTEGER : AES_GCM_RECORD_LIMIT,
    description: describe(
      opensslName,
      tls13 ? "TLSv1.3" : "TLSv1.2",
      tls13 ? "any" : "ECDH",
      auth ?? "any",
      enc,
    ),
    symmetric: aead.toLowerCase(),
    kea: tls13 ? "kx-any" : "kx-ecdhe",
    authName: `auth-${(auth ?? "any").toLowerCase()}`,
  };
}

const C = CipherSuiteId;

/** Every suite, TLS 1.3 first, each group in OpenSSL's default preference order. */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  suite(C.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", "AES-256-GCM", "SHA-384"),
  suite(
    C.TLS_CHACHA20_POLY1305_SHA256,
    "TLS_CHACHA20_POLY1305_SHA256",
    "CHACHA20-POLY1305",
    "SHA-256",
  ),
  suite(C.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", "AES-128-GCM", "SHA-256"),
  suite(
    C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "AES-256-GCM",
    "SHA-384",
    "ECDSA",
  ),
  suite(
    C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    "ECDHE-RSA-AES256-GCM-SHA384",
    "AES-256-GCM",
    "SHA-384",
    "RSA",
  ),
  suite(
    C.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "CHACHA20-POLY1305",
    "SHA-256",
    "ECDSA",
  ),
  suite(
    C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    "ECDHE-RSA-CHACHA20-POLY1305",
    "CHACHA20-POLY1305",
    "SHA-256",
    "RSA",
  ),
  suite(
    C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "AES-128-GCM",
    "SHA-256",
    "ECDSA",
  ),
  suite(
    C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    "ECDHE-RSA-AES128-GCM-SHA256",
    "AES-128-GCM",
    "SHA-256",
    "RSA",
  ),
];

const BY_ID: ReadonlyMap<number, CipherSuite> = new Map(CIPHER_SUITES.map((s) => [s.id, s]));

/** The TLS 1.3 suites in OpenSSL's default order (its `TLS_DEFAULT_CIPHERSUITES`). */
export const TLS13_SUITES: readonly CipherSuite[] = CIPHER_SUITES.filter((s) =>
  s.version === Version.TLS13
);

/** The TLS 1.2 suites in OpenSSL's default order (what `DEFAULT` selects among ours). */
export const TLS12_SUITES: readonly CipherSuite[] = CIPHER_SUITES.filter((s) =>
  s.version === Version.TLS12
);

/** The suite with code point `id`, or `undefined` for one this library does not implement. */
export function suiteById(id: number): CipherSuite | undefined {
  return BY_ID.get(id);
}

/** Thrown when a cipher string selects nothing; the `ssl` layer raises Python's `SSLError`. */
export class NoCipherMatchError extends Error {
  /** OpenSSL's reason code for this failure. */
  readonly reason = "NO_CIPHER_MATCH";
  /** @param message detail */
  constructor(message = "No cipher can be selected.") {
    super(message);
    this.name = "NoCipherMatchError";
  }
}

type Pred = (s: CipherSuite) => boolean;
const aesgcm: Pred = (s) => s.aead !== "CHACHA20-POLY1305";

/**
 * OpenSSL's cipher aliases (ssl/ssl_ciph.c `cipher_aliases`), as predicates over our suites.
 * Aliases that match none of our suites (MEDIUM, RSA, SHA256, DHE, …) are simply absent:
 * OpenSSL ignores unknown words too, so the effect is the same.
 */
const ALIASES: ReadonlyMap<string, Pred> = new Map<string, Pred>([
  ["ALL", () => true],
  ["DEFAULT", () => true],
  ["HIGH", () => true],
  ["TLSv1.2", () => true],
  ["kECDHE", () => true],
  ["kEECDH", () => true],
  ["ECDHE", () => true],
  ["EECDH", () => true],
  ["ECDH", () => true],
  ["aRSA", (s) => s.auth === "RSA"],
  ["aECDSA", (s) => s.auth === "ECDSA"],
  ["ECDSA", (s) => s.auth === "ECDSA"],
  ["AES", aesgcm],
  ["AESGCM", aesgcm],
  ["FIPS", aesgcm],
  ["AES128", (s) => s.aead === "AES-128-GCM"],
  ["AES256", (s) => s.aead === "AES-256-GCM"],
  ["CHACHA20", (s) => s.aead === "CHACHA20-POLY1305"],
  ...TLS12_SUITES.map((s): [string, Pred] => [s.opensslName, (t) => t === s]),
]);

/**
 * Parses an OpenSSL cipher list (Python's `SSLContext.set_ciphers`) into the TLS 1.2 suites it
 * selects, in order: `ECDHE+AESGCM`, `HIGH:!aNULL:!MD5`, `DEFAULT`, single names, `!`/`-`/`+`
 * prefixes, `@STRENGTH`; `@SECLEVEL=n` is accepted and ignored. Only TLS 1.2 suites are
 * selected (TLS 1.3 ones come from {@link parseCiphersuites13}); the caller drops suites its
 * provider cannot run. Throws {@link NoCipherMatchError} when nothing is selected, and for an
 * unknown `@` command, as OpenSSL does.
 *
 * @param version the protocol whose suites the string chooses from; only TLS 1.2 has any
 */
export function parseCipherString(str: string, version: number = Version.TLS12): CipherSuite[] {
  if (version !== Version.TLS12) throw new NoCipherMatchError("cipher lists select TLS 1.2 suites");
  // OpenSSL keeps one list in preference order; entries are active, inactive or killed.
  let list: CipherSuite[] = [...TLS12_SUITES];
  const active = new Set<CipherSuite>();
  const killed = new Set<CipherSuite>();
  for (const word of str.split(/[:, ;]+/)) {
    if (word === "") continue;
    if (word.startsWith("@")) {
      if (word === "@STRENGTH") {
        // Stable sort of the whole list by strength, descending (ssl_cipher_strength_sort).
        list = [...list].sort((a, b) => b.secretBits - a.secretBits);
      } else if (!/^@SECLEVEL=\d+$/.test(word)) {
        throw new NoCipherMatchError(`unknown cipher list command ${word}`);
      }
      continue;
    }
    const op = "!-+".includes(word[0]) ? word[0] : "";
    const selector = op ? word.slice(1) : word;
    const preds = selector.split("+").map((a) => ALIASES.get(a));
    // An element with an unknown alias is skipped as a whole (ssl_cipher_process_rulestr).
    const match: Pred = preds.every((p) => p !== undefined)
      ? (s) => !killed.has(s) && preds.every((p) => p!(s))
      : () => false;
    const hits = list.filter(match);
    if (op === "!") {
      for (const s of hits) {
        killed.add(s);
        active.delete(s);
      }
      list = list.filter((s) => !killed.has(s));
    } else if (op === "-") {
      // Deleted suites go to the head, keeping their order, for any later re-add.
      const del = hits.filter((s) => active.has(s));
      for (const s of del) active.delete(s);
      list = [...del, ...list.filter((s) => !del.includes(s))];
    } else if (op === "+") {
      const moved = hits.filter((s) => active.has(s));
      list = [...list.filter((s) => !moved.includes(s)), ...moved];
    } else {
      const added = hits.filter((s) => !active.has(s));
      for (const s of added) active.add(s);
      list = [...list.filter((s) => !added.includes(s)), ...added];
    }
  }
  const out = list.filter((s) => active.has(s));
  if (out.length === 0) throw new NoCipherMatchError();
  return out;
}

/**
 * Parses a TLS 1.3 ciphersuite list (`TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384`), as
 * OpenSSL's `SSL_CTX_set_ciphersuites`: unknown names are skipped, duplicates dropped, an
 * empty string selects none; throws {@link NoCipherMatchError} when a non-empty list names
 * no suite we implement.
 */
export function parseCiphersuites13(str: string): CipherSuite[] {
  const out: CipherSuite[] = [];
  for (const name of str.split(":")) {
    const s = TLS13_SUITES.find((t) => t.name === name);
    if (s && !out.includes(s)) out.push(s);
  }
  if (out.length === 0 && str !== "") throw new NoCipherMatchError();
  return out;
}
