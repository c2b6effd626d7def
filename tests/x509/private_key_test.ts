import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bytes, fromUtf8, utf8 } from "../../src/_bytes.ts";
import { SSLError } from "../../src/errors.ts";
import {
  BIT_STRING,
  derInt,
  derNull,
  derOid,
  derSeq,
  DerSequence,
  derTag,
  parseOne,
  SEQUENCE,
} from "../../src/codec/der.ts";
import { parsePrivateKey, type PrivateKeyInfo } from "../../src/x509/private_key.ts";

let dir = "";

function openssl(...args: string[]): Bytes {
  try {
    return new Uint8Array(
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }),
    );
  } catch (e) {
    const err = e as { code?: string; stderr?: Uint8Array };
    if (err.code === "ENOENT") {
      throw new Error("openssl is not installed: run `apt-get install -y openssl`");
    }
    throw new Error(
      `openssl ${args.join(" ")} failed: ${fromUtf8(err.stderr ?? new Uint8Array())}`,
    );
  }
}

function file(name: string): Bytes {
  return new Uint8Array(readFileSync(join(dir, name)));
}

function text(name: string): string {
  return readFileSync(join(dir, name), "utf8");
}

/** Asserts `p` rejects with an `SSLError` whose reason is `reason` and message matches `re`. */
async function rejectsWith(
  p: Promise<unknown>,
  reason: string,
  re: RegExp,
  library?: string,
): Promise<SSLError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SSLError, `expected SSLError, got ${e}`);
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, re);
    if (library !== undefined) assert.equal(e.library, library);
    return e;
  }
  assert.fail("expected a rejection");
}

/** WebCrypto imports only rsaEncryption: swap the id-RSASSA-PSS identifier of a PKCS#8/SPKI. */
function asRsaEncryption(der: Bytes, pkcs8: boolean): Bytes {
  const rsaAlg = derSeq(derOid("1.2.840.113549.1.1.1"), derNull());
  const s = new DerSequence(parseOne(der, SEQUENCE, "key"), "key");
  if (pkcs8) {
    const version = s.next(0x02, "version").raw;
    s.next(SEQUENCE, "alg");
    return derSeq(version, rsaAlg, s.next(0x04, "key").raw);
  }
  s.next(SEQUENCE, "alg");
  return derSeq(rsaAlg, s.next(BIT_STRING, "key").raw);
}

const ALGS: Record<
  string,
  {
    imp: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
    sig: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
  }
> = {
  rsa: {
    imp: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    sig: { name: "RSASSA-PKCS1-v1_5" },
  },
  "rsa-pss": {
    imp: { name: "RSA-PSS", hash: "SHA-256" },
    sig: { name: "RSA-PSS", saltLength: 32 },
  },
  "P-256": { imp: { name: "ECDSA", namedCurve: "P-256" }, sig: { name: "ECDSA", hash: "SHA-256" } },
  "P-384": { imp: { name: "ECDSA", namedCurve: "P-384" }, sig: { name: "ECDSA", hash: "SHA-384" } },
  "P-521": { imp: { name: "ECDSA", namedCurve: "P-521" }, sig: { name: "ECDSA", hash: "SHA-512" } },
  ed25519: { imp: { name: "Ed25519" }, sig: { name: "Ed25519" } },
};

/**
 * Proves the parsed key signs: imports `info.pkcs8` with WebCrypto, signs, and verifies with
 * the public key from the certificate OpenSSL made for the original key.
 */
async function assertSignsForCertificate(info: PrivateKeyInfo, name: string): Promise<void> {
  const alg = ALGS[info.type === "ec" ? info.curve : info.type];
  const pss = info.type === "rsa-pss";
  const priv = await crypto.subtle.importKey(
    "pkcs8",
    pss ? asRsaEncryption(info.pkcs8, true) : info.pkcs8,
    alg.imp,
    false,
    ["sign"],
  );
  const certKey = file(`${name}.crt.spki.der`);
  const pub = await crypto.subtle.importKey(
    "spki",
    pss ? asRsaEncryption(certKey, false) : certKey,
    alg.imp,
    false,
    ["verify"],
  );
  const message = utf8("webtls signs with the parsed key");
  const signature = await crypto.subtle.sign(alg.sig, priv, message);
  assert.ok(await crypto.subtle.verify(alg.sig, pub, signature, message));
}

interface Made {
  name: string;
  type: PrivateKeyInfo["type"];
  curve?: string;
  bits?: number;
}

const KEYS: Made[] = [
  { name: "rsa", type: "rsa", bits: 2048 },
  { name: "p256", type: "ec", curve: "P-256" },
  { name: "p384", type: "ec", curve: "P-384" },
  { name: "p521", type: "ec", curve: "P-521" },
  { name: "ed25519", type: "ed25519" },
  { name: "pss", type: "rsa-pss", bits: 2048 },
];

const GENPKEY: Record<string, string[]> = {
  rsa: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  p256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  p384: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  p521: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
  ed25519: ["-algorithm", "ED25519"],
  pss: [
    "-algorithm",
    "RSA-PSS",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-pkeyopt",
    "rsa_pss_keygen_md:sha256",
    "-pkeyopt",
    "rsa_pss_keygen_mgf1_md:sha256",
    "-pkeyopt",
    "rsa_pss_keygen_saltlen:32",
  ],
};

const PASSWORD = "correct horse";

/** [cipher, PRF, key] triples encrypted with `openssl pkcs8 -topk8 -v2 … -v2prf …`. */
const ENCRYPTED: [string, string, string][] = [
  ["aes-256-cbc", "hmacWithSHA256", "p256"],
  ["aes-128-cbc", "hmacWithSHA1", "rsa"],
  ["aes-192-cbc", "hmacWithSHA512", "ed25519"],
  ["aes-256-cbc", "hmacWithSHA384", "p521"],
  ["aes-256-cbc", "hmacWithSHA256", "pss"],
];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "webtls-private-key-"));
  for (const k of KEYS) {
    const n = k.name;
    openssl("genpkey", ...GENPKEY[n], "-out", `${n}.pem`);
    openssl(
      "pkcs8",
      "-topk8",
      "-nocrypt",
      "-in",
      `${n}.pem`,
      "-outform",
      "DER",
      "-out",
      `${n}.der`,
    );
    openssl("pkey", "-in", `${n}.pem`, "-pubout", "-outform", "DER", "-out", `${n}.spki.der`);
    openssl(
      "req",
      "-new",
      "-x509",
      "-key",
      `${n}.pem`,
      "-subj",
      `/CN=${n}`,
      "-days",
      "1",
      "-out",
      `${n}.crt`,
    );
    openssl("x509", "-in", `${n}.crt`, "-pubkey", "-noout", "-out", `${n}.crt.spki.pem`);
    openssl(
      "pkey",
      "-pubin",
      "-in",
      `${n}.crt.spki.pem`,
      "-outform",
      "DER",
      "-out",
      `${n}.crt.spki.der`,
    );
  }
  openssl("rsa", "-in", "rsa.pem", "-traditional", "-out", "rsa1.pem");
  openssl("rsa", "-in", "rsa.pem", "-traditional", "-outform", "DER", "-out", "rsa1.der");
  for (const n of ["p256", "p384", "p521"]) {
    openssl("ec", "-in", `${n}.pem`, "-out", `${n}.sec1.pem`);
    openssl("ec", "-in", `${n}.pem`, "-outform", "DER", "-out", `${n}.sec1.der`);
    openssl("ec", "-in", `${n}.pem`, "-no_public", "-out", `${n}.nopub.pem`);
    openssl("ec", "-in", `${n}.pem`, "-conv_form", "compressed", "-out", `${n}.comp.pem`);
  }
  for (const [cipher, prf, n] of ENCRYPTED) {
    const out = `${n}.${cipher}.${prf}`;
    const args = ["pkcs8", "-topk8", "-v2", cipher, "-v2prf", prf, "-passout", `pass:${PASSWORD}`];
    openssl(...args, "-in", `${n}.pem`, "-out", `${out}.pem`);
    openssl(...args, "-in", `${n}.pem`, "-outform", "DER", "-out", `${out}.der`);
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("parsePrivateKey: PKCS#8", () => {
  for (const k of KEYS) {
    it(`reads ${k.name} PKCS#8 PEM and DER into OpenSSL's PKCS#8 and SPKI`, async () => {
      const fromPem = await parsePrivateKey(text(`${k.name}.pem`));
      const fromDer = await parsePrivateKey(file(`${k.name}.der`));
      for (const info of [fromPem, fromDer]) {
        assert.equal(info.type, k.type);
        assert.equal(info.format, "pkcs8");
        if (k.bits !== undefined) assert.equal((info as { bits: number }).bits, k.bits);
        if (k.curve !== undefined) assert.equal((info as { curve: string }).curve, k.curve);
        assert.deepEqual(info.spki, file(`${k.name}.spki.der`));
        assert.deepEqual(info.pkcs8, file(`${k.name}.der`));
      }
      await assertSignsForCertificate(fromPem, k.name);
    });
  }

  it("reads PEM given as bytes and skips other blocks before the key", async () => {
    const pem = text("p256.crt") + "\n" + text("p256.pem");
    const info = await parsePrivateKey(utf8(pem));
    assert.deepEqual(info.spki, file("p256.spki.der"));
  });

  it("reports RSA-PSS restrictions", async () => {
    const info = await parsePrivateKey(text("pss.pem"));
    assert.equal(info.type, "rsa-pss");
    assert.deepEqual(info.type === "rsa-pss" ? info.pss : undefined, {
      hash: "SHA-256",
      mgf1Hash: "SHA-256",
      saltLength: 32,
    });
  });

  it("reads an unrestricted RSA-PSS key", async () => {
    openssl(
      "genpkey",
      "-algorithm",
      "RSA-PSS",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      "pss0.pem",
    );
    const info = await parsePrivateKey(text("pss0.pem"));
    assert.equal(info.type, "rsa-pss");
    assert.equal(info.type === "rsa-pss" ? info.pss : "x", undefined);
  });

  it("reads an Ed25519 PKCS#8 v2 key with its public key, and checks that key", async () => {
    // RFC 5958 §2 version 2: publicKey [1] IMPLICIT BIT STRING after the private key.
    const v1 = new DerSequence(parseOne(file("ed25519.der"), SEQUENCE, "v1"), "v1");
    v1.next(0x02, "version");
    const alg = v1.next(SEQUENCE, "alg").raw;
    const priv = v1.next(0x04, "key").raw;
    const pub = file("ed25519.spki.der").subarray(-32);
    const v2 = (key: Bytes) =>
      derSeq(derInt(new Uint8Array([1])), alg, priv, derTag(0x81, new Uint8Array([0]), key));
    const info = await parsePrivateKey(v2(pub));
    assert.deepEqual(info.pkcs8, file("ed25519.der"));
    assert.deepEqual(info.spki, file("ed25519.spki.der"));
    const wrong = new Uint8Array(pub);
    wrong[0] ^= 1;
    await rejectsWith(parsePrivateKey(v2(wrong)), "INVALID_PRIVATE_KEY", /does not belong/);
  });

  it("keeps the key out of enumeration, JSON and logs", async () => {
    const info = await parsePrivateKey(text("p256.pem"));
    assert.ok(!Object.keys(info).includes("pkcs8"));
    assert.ok(!JSON.stringify(info).includes('"pkcs8":'));
    assert.ok(info.pkcs8.byteLength > 0);
  });
});

describe("parsePrivateKey: PKCS#1 and SEC1", () => {
  it("wraps PKCS#1 RSA PRIVATE KEY (PEM and DER) in PKCS#8", async () => {
    assert.match(text("rsa1.pem"), /BEGIN RSA PRIVATE KEY/);
    for (const input of [text("rsa1.pem"), file("rsa1.der")]) {
      const info = await parsePrivateKey(input);
      assert.equal(info.type, "rsa");
      assert.equal(info.format, "pkcs1");
      assert.deepEqual(info.pkcs8, file("rsa.der"));
      assert.deepEqual(info.spki, file("rsa.spki.der"));
    }
  });

  for (const name of ["p256", "p384", "p521"]) {
    it(`wraps SEC1 EC PRIVATE KEY (${name}) in PKCS#8, with or without its public key`, async () => {
      assert.match(text(`${name}.sec1.pem`), /BEGIN EC PRIVATE KEY/);
      const inputs = [`${name}.sec1.pem`, `${name}.nopub.pem`, `${name}.comp.pem`].map(text);
      for (const input of [...inputs, file(`${name}.sec1.der`)]) {
        const info = await parsePrivateKey(input);
        assert.equal(info.type, "ec");
        assert.equal(info.format, "sec1");
        assert.deepEqual(info.pkcs8, file(`${name}.der`));
        assert.deepEqual(info.spki, file(`${name}.spki.der`));
      }
      await assertSignsForCertificate(await parsePrivateKey(inputs[1]), name);
    });
  }

  it("reads `openssl ecparam -genkey` output (EC PARAMETERS block first)", async () => {
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "ecparam.pem");
    assert.match(text("ecparam.pem"), /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
    const info = await parsePrivateKey(text("ecparam.pem"));
    assert.equal(info.type === "ec" ? info.curve : "", "P-256");
  });

  it("reads a PKCS#8 EC key without its public key and derives it", async () => {
    openssl("ec", "-in", "p384.pem", "-no_public", "-outform", "DER", "-out", "p384.nopub.der");
    const args = ["-topk8", "-nocrypt", "-inform", "DER", "-in", "p384.nopub.der"];
    openssl("pkcs8", ...args, "-outform", "DER", "-out", "p384.nopub.p8");
    assert.ok(file("p384.nopub.p8").byteLength < file("p384.der").byteLength - 96);
    const info = await parsePrivateKey(file("p384.nopub.p8"));
    assert.deepEqual(info.spki, file("p384.spki.der"));
    assert.deepEqual(info.pkcs8, file("p384.der"));
  });

  it("rejects an EC key whose embedded public key belongs to another key", async () => {
    // Splice p256's public key into a fresh P-256 key's SEC1 structure.
    openssl(
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      "other.pem",
    );
    openssl("ec", "-in", "other.pem", "-outform", "DER", "-out", "other.sec1.der");
    const other = file("other.sec1.der");
    const mine = file("p256.sec1.der");
    const spliced = new Uint8Array(other);
    spliced.set(mine.subarray(mine.byteLength - 65), other.byteLength - 65);
    await rejectsWith(parsePrivateKey(spliced), "INVALID_PRIVATE_KEY", /does not belong/, "EC");
  });
});

describe("parsePrivateKey: encrypted PKCS#8 (PBES2)", () => {
  for (const [cipher, prf, name] of ENCRYPTED) {
    it(`decrypts ${name} under ${cipher} with ${prf}`, async () => {
      const out = `${name}.${cipher}.${prf}`;
      assert.match(text(`${out}.pem`), /BEGIN ENCRYPTED PRIVATE KEY/);
      for (const input of [text(`${out}.pem`), file(`${out}.der`)]) {
        const info = await parsePrivateKey(input, PASSWORD);
        assert.equal(info.format, "encrypted-pkcs8");
        assert.deepEqual(info.pkcs8, file(`${name}.der`));
        assert.deepEqual(info.spki, file(`${name}.spki.der`));
      }
      await assertSignsForCertificate(await parsePrivateKey(text(`${out}.pem`), PASSWORD), name);
    });
  }

  it("takes the password as bytes, from a function and from an async function", async () => {
    const pem = text("p256.aes-256-cbc.hmacWithSHA256.pem");
    const want = file("p256.der");
    assert.deepEqual((await parsePrivateKey(pem, utf8(PASSWORD))).pkcs8, want);
    assert.deepEqual((await parsePrivateKey(pem, () => PASSWORD)).pkcs8, want);
    assert.deepEqual(
      (await parsePrivateKey(pem, () => Promise.resolve(utf8(PASSWORD)))).pkcs8,
      want,
    );
  });

  it("does not call the password function for an unencrypted key", async () => {
    let called = false;
    await parsePrivateKey(text("p256.pem"), () => {
      called = true;
      return "unused";
    });
    assert.equal(called, false);
  });

  it("says the password is wrong, in PEM's or EVP's name, without echoing it", async () => {
    const pem = text("p256.aes-256-cbc.hmacWithSHA256.pem");
    for (const password of ["Tr0ub4dor&3", "", "correct horse "]) {
      const e = await rejectsWith(
        parsePrivateKey(pem, password),
        "BAD_DECRYPT",
        /password is wrong/,
        "PEM",
      );
      if (password) assert.ok(!e.message.includes(password));
    }
    const der = file("rsa.aes-128-cbc.hmacWithSHA1.der");
    await rejectsWith(parsePrivateKey(der, "nope"), "BAD_DECRYPT", /password is wrong/, "EVP");
  });

  it("says a password is needed when none is given", async () => {
    const pem = text("p256.aes-256-cbc.hmacWithSHA256.pem");
    await rejectsWith(parsePrivateKey(pem), "BAD_PASSWORD_READ", /password is needed/, "PEM");
  });

  it("passes through the password function's own error and rejects non-string passwords", async () => {
    const pem = text("p256.aes-256-cbc.hmacWithSHA256.pem");
    await assert.rejects(
      parsePrivateKey(pem, () => {
        throw new RangeError("no tty");
      }),
      RangeError,
    );
    const bad = (() => 42) as unknown as () => string;
    await assert.rejects(parsePrivateKey(pem, bad), TypeError);
    await assert.rejects(parsePrivateKey(pem, 42 as unknown as string), TypeError);
  });

  it("names the schemes WebCrypto cannot run and says how to convert", async () => {
    const cases: [string[], string, RegExp][] = [
      [
        ["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA224"],
        "UNSUPPORTED_PRF",
        /hmacWithSHA224.*-v2prf hmacWithSHA256/,
      ],
      [["-v2", "des3"], "UNSUPPORTED_CIPHER", /DES-EDE3-CBC.*openssl pkcs8 -topk8/],
      [
        ["-v1", "PBE-SHA1-3DES"],
        "UNKNOWN_PBE_ALGORITHM",
        /pbeWithSHAAnd3-KeyTripleDES-CBC is not supported.*openssl pkcs8 -topk8/,
      ],
      [["-scrypt"], "UNSUPPORTED_KEY_DERIVATION_FUNCTION", /scrypt.*openssl pkcs8 -topk8/],
    ];
    for (const [args, reason, re] of cases) {
      openssl(
        "pkcs8",
        "-topk8",
        ...args,
        "-passout",
        "pass:pw",
        "-in",
        "p256.pem",
        "-out",
        "odd.pem",
      );
      await rejectsWith(parsePrivateKey(text("odd.pem"), "pw"), reason, re, "EVP");
    }
  });

  it("refuses legacy Proc-Type: 4,ENCRYPTED PEM and says how to convert", async () => {
    openssl(
      "rsa",
      "-in",
      "rsa.pem",
      "-traditional",
      "-aes256",
      "-passout",
      "pass:pw",
      "-out",
      "legacy_rsa.pem",
    );
    openssl(
      "ec",
      "-in",
      "p256.pem",
      "-aes-128-cbc",
      "-passout",
      "pass:pw",
      "-out",
      "legacy_ec.pem",
    );
    for (const name of ["legacy_rsa.pem", "legacy_ec.pem"]) {
      assert.match(text(name), /Proc-Type: 4,ENCRYPTED/);
      const e = await rejectsWith(
        parsePrivateKey(text(name), "pw"),
        "UNSUPPORTED_ENCRYPTION",
        /legacy/,
        "PEM",
      );
      assert.match(e.message, /openssl pkcs8 -topk8 -v2 aes-256-cbc/);
      assert.match(e.message, /MD5/);
    }
  });
});

describe("parsePrivateKey: unsupported key types", () => {
  it("names DSA, X25519, X448, Ed448, secp256k1 and brainpool keys", async () => {
    openssl(
      "genpkey",
      "-genparam",
      "-algorithm",
      "DSA",
      "-pkeyopt",
      "dsa_paramgen_bits:1024",
      "-out",
      "dsaparam.pem",
    );
    openssl("genpkey", "-paramfile", "dsaparam.pem", "-out", "dsa.pem");
    openssl("dsa", "-in", "dsa.pem", "-out", "dsa_trad.pem");
    openssl("genpkey", "-algorithm", "X448", "-out", "x448.pem");
    openssl("genpkey", "-algorithm", "X25519", "-out", "x25519.pem");
    openssl("genpkey", "-algorithm", "ED448", "-out", "ed448.pem");
    openssl(
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:secp256k1",
      "-out",
      "k1.pem",
    );
    openssl(
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:brainpoolP256r1",
      "-out",
      "bp.pem",
    );
    openssl("ec", "-in", "k1.pem", "-out", "k1.sec1.pem");
    openssl("ec", "-in", "p256.pem", "-param_enc", "explicit", "-out", "explicit.pem");
    const cases: [string, RegExp][] = [
      ["dsa.pem", /DSA/],
      ["dsa_trad.pem", /DSA/],
      ["x448.pem", /X448/],
      ["x25519.pem", /X25519/],
      ["ed448.pem", /Ed448/],
      ["k1.pem", /secp256k1/],
      ["k1.sec1.pem", /secp256k1/],
      ["bp.pem", /brainpoolP256r1/],
      ["explicit.pem", /explicit curve parameters/],
    ];
    for (const [name, re] of cases) {
      const e = await rejectsWith(
        parsePrivateKey(text(name)),
        "UNSUPPORTED_PRIVATE_KEY_ALGORITHM",
        re,
        "EVP",
      );
      assert.match(e.message, /unsupported private key type/);
    }
  });
});

describe("parsePrivateKey: malformed input is always an SSLError", () => {
  it("reports missing keys and bad base64", async () => {
    await rejectsWith(parsePrivateKey(text("p256.crt")), "NO_START_LINE", /no private key/, "PEM");
    await rejectsWith(parsePrivateKey(""), "NO_START_LINE", /no private key/);
    await rejectsWith(parsePrivateKey("not a key"), "NO_START_LINE", /no private key/);
    await rejectsWith(
      parsePrivateKey("-----BEGIN PRIVATE KEY-----\n@@@@\n-----END PRIVATE KEY-----\n"),
      "BAD_BASE64_DECODE",
      /base64/,
    );
    await rejectsWith(parsePrivateKey(new Uint8Array(0)), "DECODE_ERROR", /empty/, "ASN1");
  });

  it("rejects every truncation of every DER form", async () => {
    const inputs = [
      file("rsa.der"),
      file("p256.der"),
      file("ed25519.der"),
      file("pss.der"),
      file("rsa1.der"),
      file("p256.sec1.der"),
      file("p256.aes-256-cbc.hmacWithSHA256.der"),
    ];
    for (const der of inputs) {
      const cuts = new Set([1, 2, 3, 10, der.byteLength >> 1, der.byteLength - 1]);
      for (let i = 4; i < der.byteLength; i += Math.max(1, der.byteLength >> 5)) cuts.add(i);
      for (const cut of cuts) {
        await assert.rejects(parsePrivateKey(der.subarray(0, cut), PASSWORD), SSLError);
      }
    }
  });

  it("never throws anything but SSLError for garbage and bit flips", async () => {
    const random = new Uint8Array(300);
    crypto.getRandomValues(random);
    for (
      const junk of [
        random,
        random.subarray(0, 2),
        new Uint8Array([0x30]),
        new Uint8Array([0x30, 0x80, 0, 0]),
      ]
    ) {
      await assert.rejects(parsePrivateKey(junk), SSLError);
    }
    const rng = new Uint8Array(1);
    for (
      const der of [file("p256.der"), file("ed25519.der"), file("rsa1.der"), file("p256.sec1.der")]
    ) {
      for (let i = 0; i < der.byteLength; i += Math.max(1, der.byteLength >> 6)) {
        const flipped = new Uint8Array(der);
        crypto.getRandomValues(rng);
        flipped[i] ^= rng[0] | 1;
        try {
          await parsePrivateKey(flipped);
        } catch (e) {
          assert.ok(e instanceof SSLError, `byte ${i}: ${e}`);
        }
      }
    }
    const flippedEnc = new Uint8Array(file("p256.aes-256-cbc.hmacWithSHA256.der"));
    flippedEnc[flippedEnc.byteLength - 20] ^= 1;
    await rejectsWith(parsePrivateKey(flippedEnc, PASSWORD), "BAD_DECRYPT", /password is wrong/);
  });

  it("rejects trailing data after the key", async () => {
    const der = file("p256.der");
    const longer = new Uint8Array(der.byteLength + 1);
    longer.set(der);
    await rejectsWith(parsePrivateKey(longer), "DECODE_ERROR", /malformed private key/);
  });
});
