import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat } from "../../src/_bytes.ts";
import type { CryptoProvider, HashAlgorithm } from "../../src/crypto/provider.ts";
import { Transcript } from "../../src/crypto/transcript.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { simple1Rtt as V } from "../vectors/rfc8448.ts";

/** A provider that counts digests, to check the cache. */
function counting(): { provider: CryptoProvider; count: () => number } {
  let n = 0;
  const provider = Object.create(defaultProvider) as CryptoProvider;
  provider.hash = (alg: HashAlgorithm, data: Bytes) => {
    n++;
    return defaultProvider.hash(alg, data);
  };
  return { provider, count: () => n };
}

describe("Transcript", () => {
  it("hashes the RFC 8448 §3 ClientHello..ServerHello, hash chosen after the first message", async () => {
    const t = new Transcript(defaultProvider);
    t.add(V.clientHello);
    t.add(V.serverHello);
    await assert.rejects(t.hash());
    t.setHash("SHA-256");
    assert.deepEqual(await t.hash(), V.helloHash);
    assert.equal(t.messageCount, 2);
    assert.deepEqual(t.messages(), concat(V.clientHello, V.serverHello));
    assert.throws(() => t.setHash("SHA-384"));
  });

  it("hashes once until a message is added", async () => {
    const { provider, count } = counting();
    const t = new Transcript(provider, "SHA-256");
    t.add(V.clientHello);
    const [a, b] = await Promise.all([t.hash(), t.hash()]);
    assert.equal(a, b);
    await t.hash();
    assert.equal(count(), 1);
    t.add(V.serverHello);
    assert.deepEqual(await t.hash(), V.helloHash);
    assert.equal(count(), 2);
  });

  it("hashes the transcript plus extra bytes without adding them (RFC 8446 §4.2.11.2)", async () => {
    const t = new Transcript(defaultProvider, "SHA-256");
    t.add(V.clientHello);
    const withExtra = await t.hashWith(V.serverHello);
    assert.deepEqual(withExtra, V.helloHash);
    assert.equal(t.messageCount, 1);
    assert.deepEqual(await t.hash(), await defaultProvider.hash("SHA-256", V.clientHello));
  });

  it("replaces ClientHello1 with message_hash on HelloRetryRequest (RFC 8446 §4.4.1)", async () => {
    for (const [alg, n] of [["SHA-256", 32], ["SHA-384", 48]] as const) {
      const t = new Transcript(defaultProvider);
      t.add(V.clientHello);
      t.setHash(alg);
      await t.replaceWithMessageHash();
      const digest = await defaultProvider.hash(alg, V.clientHello);
      const synthetic = concat(new Uint8Array([254, 0, 0, n]), digest);
      assert.deepEqual(t.messages(), synthetic);
      t.add(V.serverHello);
      assert.deepEqual(
        await t.hash(),
        await defaultProvider.hash(alg, concat(synthetic, V.serverHello)),
      );
      await assert.rejects(t.replaceWithMessageHash());
    }
  });

  it("grows past its initial buffer", async () => {
    const t = new Transcript(defaultProvider, "SHA-256");
    const big = new Uint8Array(10000).fill(1);
    t.add(big);
    t.add(V.certificate);
    assert.equal(t.length, 10000 + V.certificate.byteLength);
    assert.deepEqual(
      await t.hash(),
      await defaultProvider.hash("SHA-256", concat(big, V.certificate)),
    );
  });
});
