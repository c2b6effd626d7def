import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bytes, concat, fromHex, utf8 } from "../../src/_bytes.ts";
import { NamedGroup, SignatureScheme } from "../../src/constants.ts";
import { InvalidPeerKeyError, type SigningKey } from "../../src/crypto/provider.ts";
import { defaultProvider as p, WebCryptoProvider } from "../../src/crypto/webcrypto.ts";

const S = SignatureScheme;
let dir = "";

function openssl(...args: string[]): Bytes {
  return new Uint8Array(
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }),
  );
}

interface KeyFiles {
  pkcs8: Bytes;
  spki: Bytes;
  name: string;
}

function genKey(name: string, ...args: string[]): KeyFiles {
  openssl("genpkey", ...args, "-out", `${name}.pem`);
  openssl(
    "pkcs8",
    "-topk8",
    "-nocrypt",
    "-in",
    `${name}.pem`,
    "-outform",
    "DER",
    "-out",
    `${name}.der`,
  );
  openssl("pkey", "-in", `${name}.pem`, "-pubout", "-out", `${name}.pub.pem`);
  openssl("pkey", "-in", `${name}.pem`, "-pubout", "-outform", "DER", "-out", `${name}.pub.der`);
  return {
    name,
    pkcs8: new Uint8Array(readFileSync(join(dir, `${name}.der`))),
    spki: new Uint8Array(readFileSync(join(dir, `${name}.pub.der`))),
  };
}

const PSS = new Set<SignatureScheme>([
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_rsae_sha512,
  S.rsa_pss_pss_sha256,
  S.rsa_pss_pss_sha384,
  S.rsa_pss_pss_sha512,
]);

/** openssl dgst arguments that produce or check a signature for `scheme`. */
function signArgs(scheme: SignatureScheme): string[] {
  const name = S[scheme];
  const hash = name.endsWith("256") ? "-sha256" : name.endsWith("384") ? "-sha384" : "-sha512";
  return PSS.has(scheme)
    ? [hash, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
    : [hash];
}

function opensslSign(key: KeyFiles, scheme: SignatureScheme, msg: Bytes): Bytes {
  writeFileSync(join(dir, "msg"), msg);
  if (scheme === S.ed25519) {
    return openssl("pkeyutl", "-sign", "-rawin", "-inkey", `${key.name}.pem`, "-in", "msg");
  }
  return openssl("dgst", ...signArgs(scheme), "-sign", `${key.name}.pem`, "msg");
}

function opensslVerify(key: KeyFiles, scheme: SignatureScheme, msg: Bytes, sig: Bytes): boolean {
  writeFileSync(join(dir, "msg"), msg);
  writeFileSync(join(dir, "sig"), sig);
  const args = scheme === S.ed25519
    ? [
      "pkeyutl",
      "-verify",
      "-rawin",
      "-pubin",
      "-inkey",
      `${key.name}.pub.pem`,
      "-in",
      "msg",
      "-sigfile",
      "sig",
    ]
    : ["dgst", ...signArgs(scheme), "-verify", `${key.name}.pub.pem`, "-signature", "sig", "msg"];
  try {
    openssl(...args);
    return true;
  } catch {
    return false;
  }
}

const keys: Record<string, KeyFiles> = {};
const imported: Record<string, SigningKey> = {};

describe("key exchange", () => {
  for (
    const g of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]
  ) {
    it(`${NamedGroup[g]} agrees both ways`, async () => {
      const a = await p.generateKeyShare(g);
      const b = await p.generateKeyShare(g);
      assert.equal(a.group, g);
      const ab = await a.agree(b.publicKey);
      const ba = await b.agree(a.publicKey);
      assert.deepEqual(ab, ba);
      const len = { 0x1d: 32, 0x17: 32, 0x18: 48, 0x19: 66 }[g as number];
      assert.equal(ab.byteLength, len);
      assert.equal(a.publicKey.byteLength, g === NamedGroup.x25519 ? 32 : 1 + 2 * len!);
    });
  }

  it("lists the four ECDHE groups, and X25519MLKEM768 where WebCrypto has ML-KEM", async () => {
    await p.ready();
    const hybrid = await crypto.subtle.generateKey(
      { name: "ML-KEM-768" },
      false,
      ["decapsulateBits"] as unknown as KeyUsage[],
    ).then(() => true, () => false);
    assert.deepEqual(
      [...p.supportedGroups()].sort((a, b) => a - b),
      [0x17, 0x18, 0x19, 0x1d, ...(hybrid ? [0x11ec] : [])],
    );
  });

  it("X25519MLKEM768: the client's share and the server's encapsulation agree", async (t) => {
    await p.ready();
    if (!p.supportedGroups().includes(NamedGroup.X25519MLKEM768)) {
      t.skip("no ML-KEM in this runtime's WebCrypto");
      return;
    }
    const g = NamedGroup.X25519MLKEM768;
    const client = await p.generateKeyShare(g);
    assert.equal(client.publicKey.byteLength, 1184 + 32);
    const server = await p.acceptKeyShare(g, client.publicKey);
    assert.equal(server.publicKey.byteLength, 1088 + 32);
    assert.equal(server.secret.byteLength, 64);
    assert.deepEqual(await client.agree(server.publicKey), server.secret);
    await assert.rejects(p.acceptKeyShare(g, client.publicKey.subarray(1)), InvalidPeerKeyError);
    await assert.rejects(client.agree(server.publicKey.subarray(1)), InvalidPeerKeyError);
  });

  it("rejects bad X25519 shares", async () => {
    const a = await p.generateKeyShare(NamedGroup.x25519);
    const bad = [
      new Uint8Array(31),
      new Uint8Array(33),
      new Uint8Array(32), // zero: small order, all-zero shared secret
      fromHex("0100000000000000000000000000000000000000000000000000000000000000"),
      fromHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    ];
    for (const k of bad) await assert.rejects(a.agree(k), InvalidPeerKeyError);
  });

  for (const g of [NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]) {
    it(`rejects bad ${NamedGroup[g]} shares`, async () => {
      const a = await p.generateKeyShare(g);
      const good = (await p.generateKeyShare(g)).publicKey;
      const n = (good.byteLength - 1) / 2;
      const compressed = concat(new Uint8Array([2 + (good[2 * n] & 1)]), good.subarray(1, 1 + n));
      const offCurve = good.slice();
      offCurve[2 * n] ^= 1;
      const wrongPrefix = good.slice();
      wrongPrefix[0] = 0x06;
      const xTooBig = good.slice();
      xTooBig.fill(0xff, 1, 1 + n);
      const bad = [
        compressed,
        offCurve,
        wrongPrefix,
        xTooBig,
        new Uint8Array([0]),
        good.subarray(0, good.byteLength - 1),
        concat(good, new Uint8Array(1)),
        new Uint8Array(good.byteLength),
      ];
      for (const k of bad) await assert.rejects(a.agree(k), InvalidPeerKeyError);
    });
  }
});

describe("signatures", () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "webtls-wc-"));
    keys.rsa = genKey("rsa", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048");
    keys.pss = genKey("pss", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048");
    keys.pss256 = genKey(
      "pss256",
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
    );
    for (const c of ["P-256", "P-384", "P-521"]) {
      keys[c] = genKey(c, "-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${c}`);
    }
    keys.ed25519 = genKey("ed25519", "-algorithm", "ED25519");
    for (const [k, v] of Object.entries(keys)) imported[k] = await p.importSigningKey(v.pkcs8);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const msg = utf8("TLS 1.3, server CertificateVerify\0 some transcript hash");
  const cases: [string, SignatureScheme[]][] = [
    ["rsa", [
      S.rsa_pss_rsae_sha256,
      S.rsa_pss_rsae_sha384,
      S.rsa_pss_rsae_sha512,
      S.rsa_pkcs1_sha256,
      S.rsa_pkcs1_sha384,
      S.rsa_pkcs1_sha512,
    ]],
    ["pss", [S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512]],
    ["pss256", [S.rsa_pss_pss_sha256]],
    ["P-256", [S.ecdsa_secp256r1_sha256]],
    ["P-384", [S.ecdsa_secp384r1_sha384]],
    ["P-521", [S.ecdsa_secp521r1_sha512]],
    ["ed25519", [S.ed25519]],
  ];

  for (const [name, schemes] of cases) {
    it(`${name}: advertises ${schemes.length} scheme(s), SPKI matches openssl`, () => {
      assert.deepEqual(imported[name].schemes, schemes);
      assert.deepEqual(imported[name].spki, keys[name].spki);
    });
    for (const scheme of schemes) {
      it(`${name} ${S[scheme]}: we sign, both verify; openssl signs, we verify`, async () => {
        const sig = await p.sign(scheme, imported[name], msg);
        assert.equal(await p.verify(scheme, keys[name].spki, msg, sig), true);
        assert.equal(opensslVerify(keys[name], scheme, msg, sig), true);
        const theirs = opensslSign(keys[name], scheme, msg);
        assert.equal(await p.verify(scheme, keys[name].spki, msg, theirs), true);
        const tampered = msg.slice();
        tampered[0] ^= 1;
        assert.equal(await p.verify(scheme, keys[name].spki, tampered, theirs), false);
      });
    }
  }

  it("reports key families", () => {
    assert.equal(imported.rsa.type, "rsa");
    assert.equal(imported.rsa.bits, 2048);
    assert.equal(imported.pss.type, "rsa-pss");
    assert.equal(imported["P-384"].type, "ecdsa");
    assert.equal(imported["P-384"].curve, "P-384");
    assert.equal(imported.ed25519.type, "ed25519");
    assert.doesNotMatch(JSON.stringify(imported.rsa), /pkcs8|private/i);
  });

  it("returns false when the key does not fit the scheme", async () => {
    const rsaSig = await p.sign(S.rsa_pss_rsae_sha256, imported.rsa, msg);
    const pssSig = await p.sign(S.rsa_pss_pss_sha256, imported.pss, msg);
    const ecSig = await p.sign(S.ecdsa_secp256r1_sha256, imported["P-256"], msg);
    // rsae scheme with a PSS-OID key, pss scheme with an rsaEncryption key (RFC 8446 §4.2.3).
    assert.equal(await p.verify(S.rsa_pss_rsae_sha256, keys.pss.spki, msg, pssSig), false);
    assert.equal(await p.verify(S.rsa_pss_pss_sha256, keys.rsa.spki, msg, rsaSig), false);
    assert.equal(await p.verify(S.rsa_pkcs1_sha256, keys.pss.spki, msg, pssSig), false);
    // A PSS key restricted to SHA-256 refuses SHA-384.
    const sig384 = opensslSign(keys.pss, S.rsa_pss_pss_sha384, msg);
    assert.equal(await p.verify(S.rsa_pss_pss_sha384, keys.pss256.spki, msg, sig384), false);
    // Wrong key type, wrong key of the right type.
    assert.equal(await p.verify(S.ecdsa_secp256r1_sha256, keys.rsa.spki, msg, ecSig), false);
    assert.equal(await p.verify(S.ed25519, keys["P-256"].spki, msg, ecSig), false);
    assert.equal(await p.verify(S.rsa_pss_rsae_sha256, keys["P-256"].spki, msg, rsaSig), false);
    assert.equal(await p.verify(S.ecdsa_secp384r1_sha384, keys["P-384"].spki, msg, ecSig), false);
    // Unknown schemes and garbage keys.
    assert.equal(await p.verify(S.rsa_pkcs1_sha1, keys.rsa.spki, msg, rsaSig), false);
    assert.equal(await p.verify(S.ed448, keys.rsa.spki, msg, rsaSig), false);
    assert.equal(
      await p.verify(S.rsa_pss_rsae_sha256, new Uint8Array([0x30, 0]), msg, rsaSig),
      false,
    );
    // Signing with a scheme the key cannot make throws.
    await assert.rejects(p.sign(S.ecdsa_secp384r1_sha384, imported["P-256"], msg), TypeError);
  });

  it("binds the curve unless told TLS 1.2 rules apply", async () => {
    const sig = opensslSign(keys["P-256"], S.ecdsa_secp384r1_sha384, msg);
    const spki = keys["P-256"].spki;
    assert.equal(await p.verify(S.ecdsa_secp384r1_sha384, spki, msg, sig), false);
    assert.equal(
      await p.verify(S.ecdsa_secp384r1_sha384, spki, msg, sig, { anyCurve: true }),
      true,
    );
  });

  it("rejects malformed DER ECDSA signatures", async () => {
    const spki = keys["P-256"].spki;
    const good = await p.sign(S.ecdsa_secp256r1_sha256, imported["P-256"], msg);
    assert.equal(await p.verify(S.ecdsa_secp256r1_sha256, spki, msg, good), true);
    const rLen = good[3];
    const r = good.subarray(4, 4 + rLen);
    const s = good.subarray(6 + rLen);
    const int = (v: Uint8Array) => concat(new Uint8Array([2, v.byteLength]), v);
    const seq = (...parts: Uint8Array[]) => {
      const body = concat(...parts);
      return concat(new Uint8Array([0x30, body.byteLength]), body);
    };
    const bad = [
      concat(good, new Uint8Array([0])), // trailing byte
      seq(int(concat(new Uint8Array([0, 0]), r)), int(s)), // non-minimal integer
      seq(int(r)), // one integer
      seq(int(r), int(s), int(s)), // three integers
      concat(new Uint8Array([0x30, 0x81, good.byteLength - 2]), good.subarray(2)), // long form
      good.subarray(0, good.byteLength - 1), // truncated
      seq(int(new Uint8Array([0x80, ...r.subarray(r[0] === 0 ? 1 : 0)])), int(s)), // negative
      seq(int(new Uint8Array(0)), int(s)), // empty integer
      seq(int(new Uint8Array(33).fill(1)), int(s)), // too wide
      new Uint8Array(64), // raw, not DER
    ];
    for (const sig of bad) {
      assert.equal(await p.verify(S.ecdsa_secp256r1_sha256, spki, msg, sig), false);
    }
  });

  it("refuses unsupported private keys", async () => {
    await assert.rejects(p.importSigningKey(new Uint8Array([0x30, 0])), TypeError);
    const x448 = genKey("x448", "-algorithm", "X448");
    await assert.rejects(p.importSigningKey(x448.pkcs8), TypeError);
  });
});

describe("symmetric primitives", () => {
  it("hashes and HMACs, an empty HMAC key meaning HashLen zeros", async () => {
    assert.deepEqual(
      await p.hash("SHA-256", utf8("abc")),
      fromHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    );
    assert.deepEqual(
      await p.hmac("SHA-384", new Uint8Array(0), utf8("x")),
      await p.hmac("SHA-384", new Uint8Array(48), utf8("x")),
    );
  });

  it("seals and opens AES-GCM, null on tamper", async () => {
    for (const alg of ["AES-128-GCM", "AES-256-GCM"] as const) {
      const key = await p.aead(alg, p.random(alg === "AES-128-GCM" ? 16 : 32));
      const nonce = p.random(12);
      const ct = await key.seal(nonce, utf8("aad"), utf8("hello"));
      assert.equal(ct.byteLength, 5 + 16);
      assert.deepEqual(await key.open(nonce, utf8("aad"), ct), utf8("hello"));
      ct[0] ^= 1;
      assert.equal(await key.open(nonce, utf8("aad"), ct), null);
    }
  });

  it("detects ChaCha20-Poly1305 and runs it when present (RFC 8439 §2.8.2)", async () => {
    const provider = new WebCryptoProvider();
    await provider.ready();
    if (!provider.supportsAead("CHACHA20-POLY1305")) {
      await assert.rejects(provider.aead("CHACHA20-POLY1305", new Uint8Array(32)));
      return;
    }
    const key = await provider.aead(
      "CHACHA20-POLY1305",
      fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
    );
    const pt = utf8(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const ct = await key.seal(
      fromHex("070000004041424344454647"),
      fromHex("50515253c0c1c2c3c4c5c6c7"),
      pt,
    );
    assert.deepEqual(ct.subarray(ct.byteLength - 16), fromHex("1ae10b594f09e26a7e902ecbd0600691"));
  });

  it("random() fills more than 64 KiB", () => {
    const r = p.random(100000);
    assert.equal(r.byteLength, 100000);
    assert.notDeepEqual(r.subarray(70000, 70032), new Uint8Array(32));
  });
});
