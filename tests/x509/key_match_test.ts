import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bytes, fromUtf8 } from "../../src/_bytes.ts";
import { SSLError } from "../../src/errors.ts";
import {
  BIT_STRING,
  derOid,
  derSeq,
  DerSequence,
  parseOne,
  SEQUENCE,
} from "../../src/codec/der.ts";
import { assertKeyMatches, keyMatchesCertificate } from "../../src/x509/key_match.ts";
import { parsePrivateKey, type PrivateKeyInfo } from "../../src/x509/private_key.ts";

let dir = "";

function openssl(...args: string[]): void {
  try {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
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

const GENPKEY: Record<string, string[]> = {
  rsa: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  rsa2: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  p256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  p256b: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  p384: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  p521: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
  ed25519: ["-algorithm", "ED25519"],
  ed25519b: ["-algorithm", "ED25519"],
  pss: ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
};

const keys: Record<string, PrivateKeyInfo> = {};
const certSpki: Record<string, Bytes> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "webtls-key-match-"));
  for (const [name, args] of Object.entries(GENPKEY)) {
    openssl("genpkey", ...args, "-out", `${name}.key`);
    openssl(
      "req",
      "-new",
      "-x509",
      "-key",
      `${name}.key`,
      "-subj",
      `/CN=${name}`,
      "-days",
      "1",
      "-out",
      `${name}.crt`,
    );
    openssl("x509", "-in", `${name}.crt`, "-pubkey", "-noout", "-out", `${name}.pub`);
    openssl("pkey", "-pubin", "-in", `${name}.pub`, "-outform", "DER", "-out", `${name}.spki`);
    keys[name] = await parsePrivateKey(file(`${name}.key`));
    certSpki[name] = file(`${name}.spki`);
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, reason: string, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SSLError, `expected SSLError, got ${e}`);
    assert.equal(e.library, "X509");
    assert.equal(e.reason, reason);
    assert.equal(e.message, message);
    return true;
  });
}

describe("keyMatchesCertificate", () => {
  for (const name of ["rsa", "p256", "p384", "p521", "ed25519", "pss"]) {
    it(`matches a ${name} key with its own certificate`, async () => {
      assert.equal(await keyMatchesCertificate(keys[name], certSpki[name]), true);
      await assertKeyMatches(keys[name], certSpki[name]);
    });
  }

  it("matches a certificate key given as a compressed EC point", async () => {
    openssl(
      "pkey",
      "-in",
      "p256.key",
      "-pubout",
      "-outform",
      "DER",
      "-out",
      "p256.comp.spki",
      "-ec_conv_form",
      "compressed",
    );
    const compressed = file("p256.comp.spki");
    assert.equal(compressed.byteLength, certSpki.p256.byteLength - 32);
    assert.equal(await keyMatchesCertificate(keys.p256, compressed), true);
    assert.equal(await keyMatchesCertificate(keys.p256b, compressed), false);
  });

  for (
    const [key, cert] of [["rsa", "rsa2"], ["p256", "p256b"], ["ed25519", "ed25519b"], [
      "p256",
      "p384",
    ]]
  ) {
    it(`says key values mismatch for a ${key} key with a ${cert} certificate`, async () => {
      assert.equal(await keyMatchesCertificate(keys[key], certSpki[cert]), false);
      await rejectsWith(
        assertKeyMatches(keys[key], certSpki[cert]),
        "KEY_VALUES_MISMATCH",
        "[X509: KEY_VALUES_MISMATCH] key values mismatch",
      );
    });
  }

  for (
    const [key, cert] of [["p256", "rsa"], ["rsa", "ed25519"], ["ed25519", "p256"], ["pss", "rsa"]]
  ) {
    it(`says key type mismatch for a ${key} key with a ${cert} certificate`, async () => {
      assert.equal(await keyMatchesCertificate(keys[key], certSpki[cert]), false);
      await rejectsWith(
        assertKeyMatches(keys[key], certSpki[cert]),
        "KEY_TYPE_MISMATCH",
        "[X509: KEY_TYPE_MISMATCH] key type mismatch",
      );
    });
  }

  it("does not take an RSA key for the same modulus under id-RSASSA-PSS", async () => {
    const s = new DerSequence(parseOne(certSpki.rsa, SEQUENCE, "spki"), "spki");
    s.next(SEQUENCE, "alg");
    const key = s.next(BIT_STRING, "key").raw;
    const pssSpki = derSeq(derSeq(derOid("1.2.840.113549.1.1.10")), key);
    assert.equal(await keyMatchesCertificate(keys.rsa, pssSpki), false);
    // The same bits under rsaEncryption (without the NULL some encoders drop) still match.
    const rsaSpki = derSeq(derSeq(derOid("1.2.840.113549.1.1.1")), key);
    assert.equal(await keyMatchesCertificate(keys.rsa, rsaSpki), true);
  });

  it("throws UNABLE_TO_GET_CERTS_PUBLIC_KEY for a malformed certificate key", async () => {
    const spki = certSpki.p256;
    for (
      const bad of [
        new Uint8Array(0),
        spki.subarray(0, spki.byteLength - 1),
        new Uint8Array([0x30, 0x00]),
      ]
    ) {
      await assert.rejects(keyMatchesCertificate(keys.p256, bad), (e: unknown) => {
        assert.ok(e instanceof SSLError);
        assert.equal(e.reason, "UNABLE_TO_GET_CERTS_PUBLIC_KEY");
        assert.equal(e.library, "X509");
        return true;
      });
    }
  });
});
