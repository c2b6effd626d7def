/**
 * Password-based decryption of PKCS#8 keys: PBES2 with PBKDF2 and AES-CBC (RFC 8018), through
 * WebCrypto. The schemes WebCrypto cannot run (PBES1, PKCS#12 PBE, scrypt, SHA-224 PRFs, DES)
 * are refused with a message that says how to convert the key.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { DecodeError } from "../codec/reader.ts";
import { SSLError } from "../errors.ts";
import {
  DerSequence,
  INTEGER,
  OCTET_STRING,
  OID,
  parseOne,
  readOid,
  readUint,
  SEQUENCE,
} from "../codec/der.ts";

/** How to turn any key into one this module reads; part of several error messages. */
export const CONVERT_HINT =
  "convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key.p8.pem`";

const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";

const PRFS: Record<string, "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512"> = {
  "1.2.840.113549.2.7": "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};

const UNSUPPORTED_PRFS: Record<string, string> = {
  // WebCrypto has no SHA-224 and no truncated SHA-512 variants.
  "1.2.840.113549.2.8": "hmacWithSHA224",
  "1.2.840.113549.2.12": "hmacWithSHA512-224",
  "1.2.840.113549.2.13": "hmacWithSHA512-256",
};

/** AES-CBC key lengths in bytes by OID (RFC 8018 §B.2.5 points to NIST's aes OIDs). */
const AES_CBC: Record<string, number> = {
  "2.16.840.1.101.3.4.1.2": 16,
  "2.16.840.1.101.3.4.1.22": 24,
  "2.16.840.1.101.3.4.1.42": 32,
};

const UNSUPPORTED_CIPHERS: Record<string, string> = {
  "1.2.840.113549.3.7": "DES-EDE3-CBC",
  "1.3.14.3.2.7": "DES-CBC",
  "1.2.840.113549.3.2": "RC2-CBC",
  "2.16.840.1.101.3.4.1.6": "AES-128-GCM",
  "2.16.840.1.101.3.4.1.46": "AES-256-GCM",
};

const PBES1_NAMES: Record<string, string> = {
  "1.2.840.113549.1.5.3": "PBES1 pbeWithMD5AndDES-CBC",
  "1.2.840.113549.1.5.10": "PBES1 pbeWithSHA1AndDES-CBC",
  "1.2.840.113549.1.12.1.3": "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
  "1.2.840.113549.1.12.1.6": "PKCS#12 pbeWithSHAAnd40BitRC2-CBC",
};

/** A hostile key file must not make loading hang; OpenSSL's default is 2048. */
const MAX_ITERATIONS = 10_000_000;

/**
 * Decrypts an EncryptedPrivateKeyInfo (RFC 5958 §3) protected with PBES2 (RFC 8018 §6.2):
 * PBKDF2 (§5.2) with HMAC-SHA-1/256/384/512 and AES-128/192/256-CBC (§B.2.5), all through
 * WebCrypto. Returns the PrivateKeyInfo DER.
 *
 * Throws `SSLError` `BAD_DECRYPT` (in `library`) for a wrong password, `SSLError` with OpenSSL's
 * EVP reasons for schemes WebCrypto cannot run, `DecodeError` for a malformed structure.
 */
export async function decryptPkcs8(
  der: Bytes,
  password: Bytes,
  library: "PEM" | "EVP",
): Promise<Bytes> {
  const epki = new DerSequence(parseOne(der, SEQUENCE, "EncryptedPrivateKeyInfo"), "EPKI");
  const alg = new DerSequence(epki.next(SEQUENCE, "encryptionAlgorithm"), "encryptionAlgorithm");
  const scheme = readOid(alg.next(OID, "encryption algorithm"), "encryption algorithm");
  if (scheme !== PBES2) {
    // PBES1 (RFC 8018 §6.1) and PKCS#12 PBE use DES, RC2 or RC4 with MD5/SHA-1 derivations.
    throw new SSLError(
      "UNKNOWN_PBE_ALGORITHM",
      `key encryption ${
        PBES1_NAMES[scheme] ?? scheme
      } is not supported (only PBES2 with PBKDF2 and AES-CBC); ` +
        CONVERT_HINT,
      { library: "EVP" },
    );
  }
  const params = new DerSequence(alg.next(SEQUENCE, "PBES2-params"), "PBES2-params");
  alg.end();
  const data = epki.next(OCTET_STRING, "encryptedData").content;
  epki.end();

  const kdf = new DerSequence(params.next(SEQUENCE, "keyDerivationFunc"), "keyDerivationFunc");
  const enc = new DerSequence(params.next(SEQUENCE, "encryptionScheme"), "encryptionScheme");
  params.end();
  const kdfOid = readOid(kdf.next(OID, "key derivation function"), "key derivation function");
  if (kdfOid !== PBKDF2) {
    const name = kdfOid === "1.3.6.1.4.1.11591.4.11" ? "scrypt" : kdfOid;
    throw new SSLError(
      "UNSUPPORTED_KEY_DERIVATION_FUNCTION",
      `key derivation function ${name} is not supported (only PBKDF2); ${CONVERT_HINT}`,
      { library: "EVP" },
    );
  }
  // PBKDF2-params (RFC 8018 §A.2): salt, iterationCount, keyLength OPTIONAL, prf DEFAULT SHA-1.
  const p = new DerSequence(kdf.next(SEQUENCE, "PBKDF2-params"), "PBKDF2-params");
  kdf.end();
  if (p.peekTag() !== OCTET_STRING) throw new DecodeError("PBKDF2 salt is not an OCTET STRING");
  const salt = p.next(OCTET_STRING, "salt").content;
  const iterations = readUint(p.next(INTEGER, "iterationCount"), "iterationCount");
  if (iterations < 1) throw new DecodeError("PBKDF2 iteration count is zero");
  if (iterations > MAX_ITERATIONS) {
    throw new SSLError(
      "INVALID_ITERATION_COUNT",
      `PBKDF2 iteration count ${iterations} exceeds the limit of ${MAX_ITERATIONS}`,
      { library: "EVP" },
    );
  }
  const keyLength = p.peekTag() === INTEGER
    ? readUint(p.next(INTEGER, "keyLength"), "keyLength")
    : undefined;
  let prf: "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512" = "SHA-1";
  if (p.peekTag() === SEQUENCE) {
    const prfAlg = new DerSequence(p.next(SEQUENCE, "prf"), "prf");
    const prfOid = readOid(prfAlg.next(OID, "prf"), "prf");
    prfAlg.optionalNull("prf parameters");
    prfAlg.end();
    const known = PRFS[prfOid];
    if (known === undefined) {
      throw new SSLError(
        "UNSUPPORTED_PRF",
        `PBKDF2 PRF ${
          UNSUPPORTED_PRFS[prfOid] ?? prfOid
        } is not supported (WebCrypto offers HMAC with SHA-1/256/384/512); ` +
          "convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256`",
        { library: "EVP" },
      );
    }
    prf = known;
  }
  p.end();

  const cipherOid = readOid(enc.next(OID, "encryption scheme"), "encryption scheme");
  const keyBytes = AES_CBC[cipherOid];
  if (keyBytes === undefined) {
    throw new SSLError(
      "UNSUPPORTED_CIPHER",
      `key encryption cipher ${
        UNSUPPORTED_CIPHERS[cipherOid] ?? cipherOid
      } is not supported (only AES-CBC); ${CONVERT_HINT}`,
      { library: "EVP" },
    );
  }
  const iv = enc.next(OCTET_STRING, "AES-CBC IV").content;
  enc.end();
  if (iv.byteLength !== 16) throw new DecodeError("AES-CBC IV is not 16 bytes");
  if (keyLength !== undefined && keyLength !== keyBytes) {
    throw new DecodeError("PBKDF2 keyLength does not match the cipher");
  }
  if (data.byteLength === 0 || data.byteLength % 16 !== 0) {
    throw new DecodeError("encrypted data is not a whole number of AES blocks");
  }

  const subtle = crypto.subtle;
  const base = await subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "PBKDF2", hash: prf, salt, iterations },
    base,
    keyBytes * 8,
  );
  const key = await subtle.importKey("raw", bits, "AES-CBC", false, ["decrypt"]);
  const wrongPassword = () =>
    new SSLError(
      "BAD_DECRYPT",
      "bad decrypt: the password is wrong (or the encrypted key is corrupt)",
      { library },
    );
  let plain: Bytes;
  try {
    // WebCrypto checks and strips the PKCS#7 padding (RFC 8018 §6.1.1 step 4) itself; a
    // wrong key fails that check 255 times in 256.
    plain = new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv }, key, data));
  } catch {
    throw wrongPassword();
  }
  // The other 1 in 256: padding looked right but the plaintext is noise.
  try {
    const inner = new DerSequence(parseOne(plain, SEQUENCE, "PrivateKeyInfo"), "PrivateKeyInfo");
    inner.next(INTEGER, "version");
    inner.next(SEQUENCE, "privateKeyAlgorithm");
  } catch {
    throw wrongPassword();
  }
  return plain;
}
