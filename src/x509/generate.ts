/**
 * Certificate generation with pkijs and WebCrypto: a CA and the certificates it issues, for
 * the CLI's `serve` (an ephemeral CA and a `localhost` leaf) and for demos and tests. The
 * output follows RFC 5280 closely enough for OpenSSL, rustls (Deno) and BoringSSL (Bun) to
 * accept it: v3, a random positive serial, critical basicConstraints and keyUsage, EKU, SAN,
 * SKI and AKI.
 * @module
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { asBytes, type Bytes } from "../_bytes.ts";
import { parseIp } from "./hostname.ts";
import { assertKeyMatches } from "./key_match.ts";
import { BIT_STRING, DerSequence, parseOne, readBitStringBytes, SEQUENCE } from "../codec/der.ts";
import { ecdsaRawToDer } from "../crypto/_ecdsa.ts";
import { pemEncode } from "./pem.ts";
import { parsePrivateKey, type PrivateKeyInfo } from "./private_key.ts";

/** Key types that can be generated. */
export type GeneratedKeyType = "P-256" | "P-384" | "RSA-2048" | "Ed25519";

/** A certificate and its private key, as DER and PEM. */
export interface GeneratedCertificate {
  /** The certificate (DER). */
  certDer: Bytes;
  /** The certificate (PEM, `CERTIFICATE`). */
  certPem: string;
  /** The private key (unencrypted PKCS#8 DER). */
  keyPkcs8Der: Bytes;
  /** The private key (PEM, `PRIVATE KEY`). */
  keyPem: string;
}

/** The CA that signs: its certificate and its PKCS#8 key (a {@link GeneratedCertificate} fits). */
export interface CertificateIssuer {
  /** The CA certificate (DER); its subject becomes the issuer, its key identifier the AKI. */
  certDer: Uint8Array;
  /** The CA's private key (PKCS#8 DER, or any form `parsePrivateKey` reads). */
  keyPkcs8Der: Uint8Array;
}

/** Options of {@link generateCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /** Subject common name. */
  commonName: string;
  /** Key type (default `"P-256"`). */
  keyType?: GeneratedKeyType;
  /** Validity in days from now (default 3650). */
  days?: number;
}

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** Subject common name. */
  commonName: string;
  /** DNS names for subjectAltName (`"localhost"`, `"*.example.com"`). */
  dnsNames?: readonly string[];
  /** IPv4 or IPv6 addresses for subjectAltName (`"127.0.0.1"`, `"::1"`). */
  ipAddresses?: readonly string[];
  /** Key type (default `"P-256"`). */
  keyType?: GeneratedKeyType;
  /** Validity in days from now (default 365). */
  days?: number;
  /** Adds the id-kp-serverAuth extended key usage (default true; ignored with `isCA`). */
  serverAuth?: boolean;
  /** Adds the id-kp-clientAuth extended key usage (default false; ignored with `isCA`). */
  clientAuth?: boolean;
  /** Issues an intermediate CA instead of an end-entity certificate (default false). */
  isCA?: boolean;
}

/**
 * Generates a self-signed root CA: basicConstraints `cA` (critical), keyUsage keyCertSign,
 * cRLSign and digitalSignature (critical), and a subject key identifier.
 *
 * Throws `TypeError`/`RangeError` for invalid options.
 *
 * @example
 * ```ts
 * import { generateCertificateAuthority } from "./generate.ts";
 * const ca = await generateCertificateAuthority({ commonName: "webtls demo CA" });
 * console.log(ca.certPem.startsWith("-----BEGIN CERTIFICATE-----")); // true
 * ```
 */
export async function generateCertificateAuthority(
  options: CertificateAuthorityOptions,
): Promise<GeneratedCertificate> {
  const name = subjectName(options.commonName);
  const days = validDays(options.days ?? 3650);
  const key = await generateKey(options.keyType ?? "P-256");
  const keyId = await keyIdentifier(key.spki);
  const der = await buildCertificate({
    subject: name,
    issuer: name,
    subjectKey: key,
    issuerKey: key,
    subjectKeyId: keyId,
    authorityKeyId: keyId,
    days,
    extensions: caExtensions(),
  });
  return result(der, key);
}

/**
 * Issues a certificate signed by `ca`: an end-entity certificate (basicConstraints without
 * `cA`, keyUsage digitalSignature plus keyEncipherment for RSA, EKU serverAuth/clientAuth) or,
 * with `isCA`, an intermediate CA. SAN carries `dnsNames` and `ipAddresses`; SKI and AKI tie it
 * to its issuer (RFC 5280 §4.2.1.1, §4.2.1.2).
 *
 * Throws `TypeError`/`RangeError` for invalid options, a `TypeError` when `ca` is not a CA
 * certificate, and `SSLError` when the CA key does not parse or does not match its certificate.
 *
 * @example
 * ```ts
 * import { generateCertificateAuthority, issueCertificate } from "./generate.ts";
 * const ca = await generateCertificateAuthority({ commonName: "webtls demo CA" });
 * const leaf = await issueCertificate(ca, {
 *   commonName: "localhost",
 *   dnsNames: ["localhost"],
 *   ipAddresses: ["127.0.0.1", "::1"],
 * });
 * console.log(leaf.keyPem.startsWith("-----BEGIN PRIVATE KEY-----")); // true
 * ```
 */
export async function issueCertificate(
  ca: CertificateIssuer,
  options: IssueCertificateOptions,
): Promise<GeneratedCertificate> {
  const subject = subjectName(options.commonName);
  const days = validDays(options.days ?? 365);
  const dnsNames = (options.dnsNames ?? []).map(dnsName);
  const ips = (options.ipAddresses ?? []).map(ipAddress);
  const isCA = options.isCA ?? false;
  const serverAuth = options.serverAuth ?? true;
  const clientAuth = options.clientAuth ?? false;

  const issuerKey = await parsePrivateKey(ca.keyPkcs8Der);
  let caCert: pkijs.Certificate;
  try {
    caCert = pkijs.Certificate.fromBER(asBytes(ca.certDer));
  } catch (e) {
    throw new TypeError("the issuer certificate does not parse", { cause: e });
  }
  const caSpki = new Uint8Array(caCert.subjectPublicKeyInfo.toSchema().toBER());
  await assertKeyMatches(issuerKey, caSpki);
  const constraints = caCert.extensions?.find((e) => e.extnID === OID.basicConstraints);
  if (
    !(constraints?.parsedValue instanceof pkijs.BasicConstraints) || !constraints.parsedValue.cA
  ) {
    throw new TypeError("the issuer certificate is not a CA (basicConstraints cA is not set)");
  }
  const caKeyIdExt = caCert.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const authorityKeyId = caKeyIdExt?.parsedValue instanceof asn1js.OctetString
    ? new Uint8Array(caKeyIdExt.parsedValue.valueBlock.valueHexView)
    : await keyIdentifier(issuerKey.spki);

  const key = await generateKey(options.keyType ?? "P-256");
  const extensions = isCA ? caExtensions() : leafExtensions(key, serverAuth, clientAuth);
  if (dnsNames.length + ips.length > 0) {
    // RFC 5280 §4.2.1.6: non-critical, since the subject is not empty.
    extensions.push(
      extension(
        OID.subjectAltName,
        false,
        new pkijs.AltName({ altNames: [...dnsNames, ...ips] }).toSchema(),
      ),
    );
  }
  const der = await buildCertificate({
    subject,
    issuer: caCert.subject,
    subjectKey: key,
    issuerKey,
    subjectKeyId: await keyIdentifier(key.spki),
    authorityKeyId,
    days,
    extensions,
  });
  return result(der, key);
}

// ---------------------------------------------------------------------------------------
// Object identifiers (RFC 5280 §4.2.1, §4.2.1.12; RFC 5758 §3.2; RFC 4055 §5; RFC 8410 §3).

const OID = {
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

// ---------------------------------------------------------------------------------------
// Keys.

const KEYGEN: Record<GeneratedKeyType, RsaHashedKeyGenParams | EcKeyGenParams | Algorithm> = {
  "P-256": { name: "ECDSA", namedCurve: "P-256" },
  "P-384": { name: "ECDSA", namedCurve: "P-384" },
  "RSA-2048": {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  "Ed25519": { name: "Ed25519" },
};

async function generateKey(type: GeneratedKeyType): Promise<PrivateKeyInfo> {
  const params = KEYGEN[type];
  if (params === undefined) throw new TypeError(`unknown key type ${JSON.stringify(type)}`);
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  // Through the parser, so generated and loaded keys have one normalized form.
  return await parsePrivateKey(pkcs8);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
async function keyIdentifier(spki: Bytes): Promise<Bytes> {
  const top = new DerSequence(parseOne(spki, SEQUENCE, "SubjectPublicKeyInfo"), "SPKI");
  top.next(SEQUENCE, "algorithm");
  const key = readBitStringBytes(top.next(BIT_STRING, "subjectPublicKey"), "subjectPublicKey");
  return new Uint8Array(await crypto.subtle.digest("SHA-1", key));
}

/** How the issuer's key signs: WebCrypto parameters and the AlgorithmIdentifier to record. */
interface Signer {
  importParams: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  signParams: EcdsaParams | Algorithm;
  algorithm: () => pkijs.AlgorithmIdentifier;
  /** ECDSA: WebCrypto returns r||s; X.509 wants Ecdsa-Sig-Value (RFC 5758 §3.2). */
  ecdsa: boolean;
}

const ECDSA_HASH = { "P-256": "SHA-256", "P-384": "SHA-384", "P-521": "SHA-512" } as const;
const ECDSA_OID = {
  "P-256": "1.2.840.10045.4.3.2",
  "P-384": "1.2.840.10045.4.3.3",
  "P-521": "1.2.840.10045.4.3.4",
} as const;

function signerFor(key: PrivateKeyInfo): Signer {
  switch (key.type) {
    case "ec":
      return {
        importParams: { name: "ECDSA", namedCurve: key.curve },
        signParams: { name: "ECDSA", hash: ECDSA_HASH[key.curve] },
        // RFC 5758 §3.2: ecdsa-with-SHA* parameters MUST be absent.
        algorithm: () => new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_OID[key.curve] }),
        ecdsa: true,
      };
    case "rsa":
      return {
        importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        signParams: { name: "RSASSA-PKCS1-v1_5" },
        // RFC 4055 §5: sha256WithRSAEncryption with NULL parameters.
        algorithm: () =>
          new pkijs.AlgorithmIdentifier({
            algorithmId: "1.2.840.113549.1.1.11",
            algorithmParams: new asn1js.Null(),
          }),
        ecdsa: false,
      };
    case "ed25519":
      return {
        importParams: { name: "Ed25519" },
        signParams: { name: "Ed25519" },
        // RFC 8410 §3: id-Ed25519 with absent parameters.
        algorithm: () => new pkijs.AlgorithmIdentifier({ algorithmId: "1.3.101.112" }),
        ecdsa: false,
      };
    case "rsa-pss":
      throw new TypeError("issuing with an RSA-PSS CA key is not supported");
  }
}

// ---------------------------------------------------------------------------------------
// Extensions (RFC 5280 §4.2.1).

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
}

/** keyUsage bits (RFC 5280 §4.2.1.3), numbered from the most significant bit of the first byte. */
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** A DER named-bit BIT STRING: trailing zero bits dropped (X.690 §11.2.2). */
function keyUsage(bits: number[]): asn1js.BitString {
  let value = 0;
  for (const b of bits) value |= 0x80 >> b;
  let unused = 0;
  while (unused < 7 && (value & (1 << unused)) === 0) unused++;
  return new asn1js.BitString({ valueHex: new Uint8Array([value]), unusedBits: unused });
}

function caExtensions(): pkijs.Extension[] {
  return [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true }).toSchema()),
    extension(OID.keyUsage, true, keyUsage([KU.digitalSignature, KU.keyCertSign, KU.cRLSign])),
  ];
}

function leafExtensions(
  key: PrivateKeyInfo,
  serverAuth: boolean,
  clientAuth: boolean,
): pkijs.Extension[] {
  // keyEncipherment lets an RSA leaf serve TLS 1.2 RSA key exchange to peers that insist.
  const usage = key.type === "rsa"
    ? [KU.digitalSignature, KU.keyEncipherment]
    : [KU.digitalSignature];
  const out = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
    extension(OID.keyUsage, true, keyUsage(usage)),
  ];
  const purposes = [
    ...(serverAuth ? [OID.serverAuth] : []),
    ...(clientAuth ? [OID.clientAuth] : []),
  ];
  if (purposes.length > 0) {
    out.push(
      extension(
        OID.extKeyUsage,
        false,
        new pkijs.ExtKeyUsage({ keyPurposes: purposes }).toSchema(),
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The certificate (RFC 5280 §4.1).

interface CertificateParts {
  subject: pkijs.RelativeDistinguishedNames;
  issuer: pkijs.RelativeDistinguishedNames;
  subjectKey: PrivateKeyInfo;
  issuerKey: PrivateKeyInfo;
  subjectKeyId: Bytes;
  authorityKeyId: Bytes;
  days: number;
  extensions: pkijs.Extension[];
}

async function buildCertificate(parts: CertificateParts): Promise<Bytes> {
  const signer = signerFor(parts.issuerKey);
  const cert = new pkijs.Certificate();
  cert.version = 2; // v3, RFC 5280 §4.1.2.1
  cert.serialNumber = new asn1js.Integer({ valueHex: serialNumber() });
  cert.signature = signer.algorithm();
  cert.issuer = parts.issuer;
  cert.subject = parts.subject;
  // Starting an hour back tolerates clock skew between the machines that use it.
  const now = Math.floor(Date.now() / 1000) * 1000;
  cert.notBefore = time(new Date(now - 3600_000));
  cert.notAfter = time(new Date(now + parts.days * 86400_000));
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(parts.subjectKey.spki);
  cert.extensions = [
    ...parts.extensions,
    extension(
      OID.subjectKeyIdentifier,
      false,
      new asn1js.OctetString({ valueHex: parts.subjectKeyId }),
    ),
    extension(
      OID.authorityKeyIdentifier,
      false,
      new pkijs.AuthorityKeyIdentifier({
        keyIdentifier: new asn1js.OctetString({ valueHex: parts.authorityKeyId }),
      }).toSchema(),
    ),
  ];
  const tbs = new Uint8Array(cert.encodeTBS().toBER());
  const key = await crypto.subtle.importKey(
    "pkcs8",
    parts.issuerKey.pkcs8,
    signer.importParams,
    false,
    ["sign"],
  );
  let signature = new Uint8Array(await crypto.subtle.sign(signer.signParams, key, tbs));
  if (signer.ecdsa) signature = ecdsaRawToDer(signature);
  cert.tbsView = tbs;
  cert.signatureAlgorithm = signer.algorithm();
  cert.signatureValue = new asn1js.BitString({ valueHex: signature });
  return new Uint8Array(cert.toSchema(false).toBER());
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random octets, top bit clear. */
function serialNumber(): Bytes {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  if (serial[0] === 0) serial[0] = 1; // keeps the DER INTEGER minimal at 16 octets
  return serial;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): pkijs.Time {
  const type = date.getUTCFullYear() < 2050
    ? pkijs.TimeType.UTCTime
    : pkijs.TimeType.GeneralizedTime;
  return new pkijs.Time({ type, value: date });
}

function result(der: Bytes, key: PrivateKeyInfo): GeneratedCertificate {
  return {
    certDer: der,
    certPem: pemEncode(der, "CERTIFICATE"),
    keyPkcs8Der: key.pkcs8,
    keyPem: pemEncode(key.pkcs8, "PRIVATE KEY"),
  };
}

// ---------------------------------------------------------------------------------------
// Option checks.

function subjectName(commonName: string): pkijs.RelativeDistinguishedNames {
  // RFC 5280 §A.1: ub-common-name is 64 characters.
  if (typeof commonName !== "string" || commonName.length === 0 || commonName.length > 64) {
    throw new TypeError("commonName must be a string of 1 to 64 characters");
  }
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: OID.commonName,
        value: new asn1js.Utf8String({ value: commonName }), // RFC 5280 §4.1.2.6: UTF8String
      }),
    ],
  });
}

function validDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new RangeError("days must be an integer from 1 to 36500");
  }
  return days;
}

/** A dNSName (RFC 5280 §4.2.1.6: preferred name syntax, IA5String; a leading `*.` wildcard). */
function dnsName(name: string): pkijs.GeneralName {
  const label = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
  const labels = typeof name === "string" ? name.split(".") : [];
  if (labels[0] === "*") labels.shift();
  if (name.length > 253 || labels.length === 0 || !labels.every((l) => label.test(l))) {
    throw new TypeError(`invalid DNS name ${JSON.stringify(name)}`);
  }
  return new pkijs.GeneralName({ type: 2, value: name });
}

/** An iPAddress: 4 octets for IPv4, 16 for IPv6 (RFC 5280 §4.2.1.6). */
function ipAddress(text: string): pkijs.GeneralName {
  const bytes = typeof text === "string" ? parseIp(text) : undefined;
  if (bytes === undefined) throw new TypeError(`invalid IP address ${JSON.stringify(text)}`);
  return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: bytes }) });
}
