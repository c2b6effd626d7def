import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CipherSuiteId, Version } from "../../src/constants.ts";
import {
  CIPHER_SUITES,
  NoCipherMatchError,
  parseCipherString,
  parseCiphersuites13,
  suiteById,
  TLS12_SUITES,
  TLS13_SUITES,
} from "../../src/crypto/suites.ts";

const names = (str: string) => parseCipherString(str).map((s) => s.opensslName);

const E256 = "ECDHE-ECDSA-AES256-GCM-SHA384";
const R256 = "ECDHE-RSA-AES256-GCM-SHA384";
const ECC = "ECDHE-ECDSA-CHACHA20-POLY1305";
const RCC = "ECDHE-RSA-CHACHA20-POLY1305";
const E128 = "ECDHE-ECDSA-AES128-GCM-SHA256";
const R128 = "ECDHE-RSA-AES128-GCM-SHA256";
const ALL = [E256, R256, ECC, RCC, E128, R128];

describe("cipher suite table", () => {
  it("describes each suite as OpenSSL 3 and Python's get_ciphers() do", () => {
    const s = suiteById(0xc02c)!;
    assert.equal(s.opensslName, E256);
    assert.equal(s.name, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
    assert.equal(
      s.description,
      "ECDHE-ECDSA-AES256-GCM-SHA384  TLSv1.2 Kx=ECDH     Au=ECDSA Enc=AESGCM(256)            Mac=AEAD",
    );
    assert.equal(
      suiteById(0x1303)!.description,
      "TLS_CHACHA20_POLY1305_SHA256   TLSv1.3 Kx=any      Au=any   Enc=CHACHA20/POLY1305(256) Mac=AEAD",
    );
    assert.equal(
      suiteById(0xc02f)!.description,
      "ECDHE-RSA-AES128-GCM-SHA256    TLSv1.2 Kx=ECDH     Au=RSA   Enc=AESGCM(128)            Mac=AEAD",
    );
    assert.deepEqual([s.symmetric, s.kea, s.authName], ["aes-256-gcm", "kx-ecdhe", "auth-ecdsa"]);
    assert.deepEqual(
      [suiteById(0x1301)!.symmetric, suiteById(0x1301)!.kea, suiteById(0x1301)!.authName],
      ["aes-128-gcm", "kx-any", "auth-any"],
    );
  });

  it("carries lengths and limits per RFC 8446 §5.3/§5.5, RFC 5288 and RFC 7905", () => {
    const t13 = suiteById(CipherSuiteId.TLS_AES_128_GCM_SHA256)!;
    assert.deepEqual([t13.keyLength, t13.ivLength, t13.hash, t13.secretBits], [
      16,
      12,
      "SHA-256",
      128,
    ]);
    assert.equal(t13.recordLimit, Math.floor(2 ** 24.5));
    assert.equal(t13.version, Version.TLS13);
    assert.equal(t13.keyExchange, undefined);
    const gcm12 = suiteById(CipherSuiteId.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)!;
    assert.deepEqual([gcm12.keyLength, gcm12.ivLength, gcm12.hash], [32, 4, "SHA-384"]);
    assert.deepEqual([gcm12.keyExchange, gcm12.auth], ["ECDHE", "RSA"]);
    const cc12 = suiteById(CipherSuiteId.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)!;
    assert.deepEqual([cc12.keyLength, cc12.ivLength, cc12.aead], [32, 12, "CHACHA20-POLY1305"]);
    assert.equal(CIPHER_SUITES.length, 9);
    assert.equal(suiteById(0x009c), undefined);
  });
});

describe("parseCipherString (OpenSSL cipher lists, as Python's set_ciphers)", () => {
  // Expected orders are what `openssl ciphers -tls1_2 STR` (3.0) lists, restricted to our suites.
  const cases: [string, string[]][] = [
    ["ECDHE+AESGCM", [E256, R256, E128, R128]],
    ["HIGH:!aNULL:!MD5", ALL],
    ["DEFAULT", ALL],
    ["ALL", ALL],
    ["kECDHE", ALL],
    ["EECDH", ALL],
    ["aECDSA", [E256, ECC, E128]],
    ["aRSA", [R256, RCC, R128]],
    ["ECDSA", [E256, ECC, E128]],
    ["AES256", [E256, R256]],
    ["AES", [E256, R256, E128, R128]],
    ["ALL:!CHACHA20", [E256, R256, E128, R128]],
    ["CHACHA20:AES128", [ECC, RCC, E128, R128]],
    ["AES128:-ECDSA:ALL", [R128, E128, E256, R256, ECC, RCC]],
    ["AES128:@STRENGTH:ALL", [E128, R128, E256, R256, ECC, RCC]],
    ["ALL:+AES128", ALL],
    ["ALL:+AES256", [ECC, RCC, E128, R128, E256, R256]],
    ["ALL:@STRENGTH", ALL],
    ["ECDHE-RSA-AES128-GCM-SHA256", [R128]],
    ["ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", [R128, E256]],
    ["FIPS", [E256, R256, E128, R128]],
    ["kEECDH+ECDSA", [E256, ECC, E128]],
    ["AESGCM+AES128", [E128, R128]],
    ["TLSv1.2", ALL],
    ["ALL:!ECDSA:ECDSA", [R256, RCC, R128]],
    ["ALL:-ECDSA:ECDSA", [R256, RCC, R128, E256, ECC, E128]],
    ["@SECLEVEL=2:ECDHE+AESGCM", [E256, R256, E128, R128]],
    ["ECDHE+AESGCM:@SECLEVEL=0", [E256, R256, E128, R128]],
    ["DEFAULT:!AES256 ALL,AES256", [ECC, RCC, E128, R128]],
    ["MEDIUM:ECDHE-RSA-AES256-GCM-SHA384:RC4", [R256]],
  ];
  for (const [str, expected] of cases) {
    it(`"${str}"`, () => assert.deepEqual(names(str), expected));
  }

  it("throws 'No cipher can be selected.' when nothing matches", () => {
    for (
      const str of [
        "",
        "RSA",
        "SHA256",
        "EDH+aRSA",
        "ALL:!ALL",
        "TLS_AES_128_GCM_SHA256",
        "AEAD",
        "NOPE",
      ]
    ) {
      assert.throws(
        () => parseCipherString(str),
        (e: unknown) =>
          e instanceof NoCipherMatchError && e.message === "No cipher can be selected." &&
          e.reason === "NO_CIPHER_MATCH",
      );
    }
  });

  it("throws for an unknown @ command", () => {
    assert.throws(() => parseCipherString("ALL:@BOGUS"), NoCipherMatchError);
  });

  it("selects TLS 1.2 suites only", () => {
    assert.deepEqual(parseCipherString("ALL"), [...TLS12_SUITES]);
    assert.throws(() => parseCipherString("ALL", Version.TLS13), NoCipherMatchError);
  });
});

describe("parseCiphersuites13", () => {
  it("keeps the given order, skips unknown names and duplicates", () => {
    assert.deepEqual(
      parseCiphersuites13("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384").map((s) => s.id),
      [0x1301, 0x1302],
    );
    assert.deepEqual(
      parseCiphersuites13(
        "TLS_AES_128_CCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_CHACHA20_POLY1305_SHA256",
      )
        .map((s) => s.id),
      [0x1303],
    );
    assert.deepEqual(TLS13_SUITES.map((s) => s.id), [0x1302, 0x1303, 0x1301]);
  });

  it("accepts an empty list and rejects one naming nothing we have", () => {
    assert.deepEqual(parseCiphersuites13(""), []);
    assert.throws(() => parseCiphersuites13("TLS_AES_128_CCM_SHA256"), NoCipherMatchError);
    assert.throws(() => parseCiphersuites13("ECDHE-RSA-AES128-GCM-SHA256"), NoCipherMatchError);
  });
});
