import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, fromHex, toHex, utf8 } from "../../src/_bytes.ts";
import { CipherSuiteId } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider as p } from "../../src/crypto/webcrypto.ts";
import { exposeMasterSecret, MasterSecret12, prf } from "../../src/tls12/prf.ts";

const range = (from: number, to: number) =>
  Uint8Array.from({ length: to - from }, (_, i) => from + i);

// Inputs of the derivation checks; expected values from OpenSSL 3.0, e.g.
// openssl kdf -keylen 48 -kdfopt digest:SHA256 -kdfopt hexsecret:$PMS
//   -kdfopt seed:"extended master secret" -kdfopt hexseed:$SESSION_HASH TLS1-PRF
const PMS = concat(new Uint8Array([3, 3]), range(1, 47));
const CLIENT_RANDOM = range(0x20, 0x40);
const SERVER_RANDOM = range(0x40, 0x60);

describe("TLS 1.2 PRF (RFC 5246 §5)", () => {
  it('matches the published SHA-256 "test label" vector (100 bytes)', async () => {
    const out = await prf(
      p,
      "SHA-256",
      fromHex("9bbe436ba940f017b17652849a71db35"),
      "test label",
      fromHex("a0ba9f936cda311827a6f796ffd5198c"),
      100,
    );
    assert.equal(
      toHex(out),
      "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e" +
        "14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42" +
        "c5a72e5a5110fff70187347b66",
    );
  });

  it('matches the published SHA-384 "test label" vector (148 bytes)', async () => {
    const out = await prf(
      p,
      "SHA-384",
      fromHex("b80b733d6ceefcdc71566ea48e5567df"),
      "test label",
      fromHex("cd665cf6a8447dd6ff8b27555edb7465"),
      148,
    );
    assert.equal(
      toHex(out),
      "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c91" +
        "46a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfda" +
        "d05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d" +
        "5eaa3be85e0990703d73e56f",
    );
  });
});

describe("TLS 1.2 derivations", () => {
  it("derives the master secret (RFC 5246 §8.1) and the key block (§6.3)", async () => {
    const ms = await MasterSecret12.derive(p, "SHA-256", PMS, CLIENT_RANDOM, SERVER_RANDOM);
    assert.equal(
      toHex(exposeMasterSecret(ms)),
      "06efcaf327eddc312dc534b4f02e1b6f7fdf0db61f41a3323685a4e8c89faefcecf2c49871b6aabf6259ff5e9a229f27",
    );
    const suite = suiteById(CipherSuiteId.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)!;
    const kb = await ms.keyBlock(suite, CLIENT_RANDOM, SERVER_RANDOM);
    const block =
      "383ccf373d7aff281dc5278666d6ec036d4e4306cdda7f88e9525ed9c6d7b640620d6aa3d1e238bc";
    assert.equal(toHex(kb.clientKey), block.slice(0, 32));
    assert.equal(toHex(kb.serverKey), block.slice(32, 64));
    assert.equal(toHex(kb.clientIv), block.slice(64, 72));
    assert.equal(toHex(kb.serverIv), block.slice(72, 80));
  });

  it("sizes the key block for ChaCha20 (12-byte IVs, RFC 7905) and SHA-384 suites", async () => {
    const ms = await MasterSecret12.derive(p, "SHA-256", PMS, CLIENT_RANDOM, SERVER_RANDOM);
    const chacha = suiteById(CipherSuiteId.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)!;
    const kb = await ms.keyBlock(chacha, CLIENT_RANDOM, SERVER_RANDOM);
    assert.deepEqual([kb.clientKey, kb.serverKey, kb.clientIv, kb.serverIv].map((b) => b.length), [
      32,
      32,
      12,
      12,
    ]);
    const aes256 = suiteById(CipherSuiteId.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)!;
    await assert.rejects(ms.keyBlock(aes256, CLIENT_RANDOM, SERVER_RANDOM));
    const ms384 = await MasterSecret12.derive(p, "SHA-384", PMS, CLIENT_RANDOM, SERVER_RANDOM);
    const kb384 = await ms384.keyBlock(aes256, CLIENT_RANDOM, SERVER_RANDOM);
    assert.equal(kb384.serverIv.byteLength, 4);
  });

  it("derives the extended master secret (RFC 7627 §4)", async () => {
    const sessionHash = await p.hash("SHA-256", utf8("handshake messages"));
    const ems = await MasterSecret12.deriveExtended(p, "SHA-256", PMS, sessionHash);
    assert.equal(
      toHex(exposeMasterSecret(ems)),
      "0697847fd6dbd0e74dfc0549b9dc9781cf5959fdf8960c6720a937d736543e2c3c8bbcf12eeb7930a810446004540623",
    );
    const hash384 = await p.hash("SHA-384", utf8("handshake messages"));
    const ems384 = await MasterSecret12.deriveExtended(p, "SHA-384", PMS, hash384);
    assert.equal(
      toHex(exposeMasterSecret(ems384)),
      "d08c9b76afd8fcfafb01f974e138778bd722f31c3257fdd44f93f5f11d8af4230bb688c4344491edb4d1ec4e0c3eba6f",
    );
  });

  it("computes Finished verify_data (RFC 5246 §7.4.9)", async () => {
    const ms = await MasterSecret12.derive(p, "SHA-256", PMS, CLIENT_RANDOM, SERVER_RANDOM);
    const handshakeHash = await p.hash("SHA-256", utf8("handshake messages"));
    const client = await ms.finishedVerifyData("client", handshakeHash);
    assert.equal(toHex(client), "d805a637324065dd0305d46f");
    const server = await ms.finishedVerifyData("server", handshakeHash);
    assert.equal(server.byteLength, 12);
    assert.notDeepEqual(server, client);
  });

  it("exports keying material, telling no context from an empty one (RFC 5705 §4)", async () => {
    const ms = await MasterSecret12.derive(p, "SHA-256", PMS, CLIENT_RANDOM, SERVER_RANDOM);
    const withCtx = await ms.export(
      "EXPERIMENTAL webtls",
      utf8("abc"),
      20,
      CLIENT_RANDOM,
      SERVER_RANDOM,
    );
    assert.equal(toHex(withCtx), "3ed75cdef813bd44e6af8527314e66cae4b65c43");
    const none = await ms.export(
      "EXPERIMENTAL webtls",
      undefined,
      20,
      CLIENT_RANDOM,
      SERVER_RANDOM,
    );
    const empty = await ms.export(
      "EXPERIMENTAL webtls",
      new Uint8Array(0),
      20,
      CLIENT_RANDOM,
      SERVER_RANDOM,
    );
    assert.notDeepEqual(none, empty);
  });

  it("keeps the master secret out of strings and JSON", async () => {
    const ms = await MasterSecret12.derive(p, "SHA-256", PMS, CLIENT_RANDOM, SERVER_RANDOM);
    assert.equal(String(ms), "[MasterSecret12]");
    assert.equal(JSON.stringify(ms), '"[MasterSecret12]"');
    assert.throws(() => new MasterSecret12(p, "SHA-256", new Uint8Array(47)), RangeError);
  });
});
