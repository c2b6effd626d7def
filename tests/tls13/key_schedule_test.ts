import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concat, toHex } from "../../src/_bytes.ts";
import { CipherSuiteId } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { Transcript } from "../../src/crypto/transcript.ts";
import { defaultProvider as p } from "../../src/crypto/webcrypto.ts";
import {
  ApplicationTrafficSecret,
  EarlySecret,
  exposeSecret,
  finishedKey,
  finishedVerifyData,
  HandshakeSecret,
  hkdfExpandLabel,
  keyLogLine,
  MasterSecret,
  nextTrafficSecret,
  Psk,
  resumptionPsk,
  trafficKeys,
} from "../../src/tls13/key_schedule.ts";
import { resumed0Rtt as R, simple1Rtt as V } from "../vectors/rfc8448.ts";

const suite = suiteById(CipherSuiteId.TLS_AES_128_GCM_SHA256)!;

function transcriptOf(...messages: Uint8Array[]): Transcript {
  const t = new Transcript(p);
  for (const m of messages) t.add(m);
  t.setHash("SHA-256");
  return t;
}

describe("RFC 8448 §3 simple 1-RTT key schedule", () => {
  it("derives every secret, key and Finished of the trace", async () => {
    const early = await EarlySecret.derive(p, "SHA-256");
    assert.deepEqual(exposeSecret(early), V.earlySecret);

    const hs = await early.handshakeSecret(V.sharedSecret);
    assert.deepEqual(exposeSecret(hs), V.handshakeSecret);

    const helloHash = await transcriptOf(V.clientHello, V.serverHello).hash();
    assert.deepEqual(helloHash, V.helloHash);
    const cHs = await hs.clientHandshakeTrafficSecret(helloHash);
    const sHs = await hs.serverHandshakeTrafficSecret(helloHash);
    assert.deepEqual(exposeSecret(cHs), V.clientHandshakeTrafficSecret);
    assert.deepEqual(exposeSecret(sHs), V.serverHandshakeTrafficSecret);

    const sKeys = await trafficKeys(sHs, suite);
    assert.deepEqual(sKeys.key, V.serverHandshakeKey);
    assert.deepEqual(sKeys.iv, V.serverHandshakeIv);
    const cKeys = await trafficKeys(cHs, suite);
    assert.deepEqual(cKeys.key, V.clientHandshakeKey);
    assert.deepEqual(cKeys.iv, V.clientHandshakeIv);

    const master = await hs.masterSecret();
    assert.deepEqual(exposeSecret(master), V.masterSecret);

    // Server Finished covers ClientHello..CertificateVerify.
    const t = transcriptOf(
      V.clientHello,
      V.serverHello,
      V.encryptedExtensions,
      V.certificate,
      V.certificateVerify,
    );
    assert.deepEqual(exposeSecret(await finishedKey(sHs)), V.serverFinishedKey);
    assert.deepEqual(await finishedVerifyData(sHs, await t.hash()), V.serverFinishedVerifyData);
    assert.deepEqual(V.serverFinished.subarray(4), V.serverFinishedVerifyData);

    t.add(V.serverFinished);
    const sfHash = await t.hash();
    assert.deepEqual(sfHash, V.serverFinishedHash);
    const cAp = await master.clientApplicationTrafficSecret(sfHash);
    const sAp = await master.serverApplicationTrafficSecret(sfHash);
    const exp = await master.exporterMasterSecret(sfHash);
    assert.deepEqual(exposeSecret(cAp), V.clientApplicationTrafficSecret);
    assert.deepEqual(exposeSecret(sAp), V.serverApplicationTrafficSecret);
    assert.deepEqual(exposeSecret(exp), V.exporterMasterSecret);
    assert.deepEqual(await trafficKeys(sAp, suite), {
      key: V.serverApplicationKey,
      iv: V.serverApplicationIv,
    });
    assert.deepEqual(await trafficKeys(cAp, suite), {
      key: V.clientApplicationKey,
      iv: V.clientApplicationIv,
    });

    // Client Finished covers ClientHello..server Finished.
    assert.deepEqual(exposeSecret(await finishedKey(cHs)), V.clientFinishedKey);
    assert.deepEqual(await finishedVerifyData(cHs, sfHash), V.clientFinishedVerifyData);

    t.add(V.clientFinished);
    const cfHash = await t.hash();
    assert.deepEqual(cfHash, V.clientFinishedHash);
    const rms = await master.resumptionMasterSecret(cfHash);
    assert.deepEqual(exposeSecret(rms), V.resumptionMasterSecret);
    const psk = await resumptionPsk(rms, V.ticketNonce);
    assert.deepEqual(exposeSecret(psk), V.resumptionPsk);
  });

  it("implements HKDF-Expand-Label as the trace's info bytes show", async () => {
    // "derive secret for handshake": info 00 20 0d "tls13 derived" 20 <empty hash>.
    const out = await hkdfExpandLabel(p, "SHA-256", V.earlySecret, "derived", V.emptyHash, 32);
    assert.deepEqual(out, V.derivedEarly);
  });

  it("keeps secrets out of strings and JSON", () => {
    const hs = new HandshakeSecret(p, "SHA-256", V.handshakeSecret);
    const hex = toHex(V.handshakeSecret);
    assert.equal(String(hs), "[HandshakeSecret]");
    assert.equal(JSON.stringify({ hs }), '{"hs":"[HandshakeSecret]"}');
    assert.doesNotMatch(`${hs}`, new RegExp(hex));
  });

  it("produces NSS key log lines", () => {
    const random = V.clientHello.subarray(6, 38);
    const s = new ApplicationTrafficSecret(p, "SHA-256", V.clientApplicationTrafficSecret);
    assert.equal(
      keyLogLine("CLIENT_TRAFFIC_SECRET_0", random, s),
      `CLIENT_TRAFFIC_SECRET_0 ${toHex(random)} ${toHex(V.clientApplicationTrafficSecret)}`,
    );
    assert.match(
      keyLogLine("CLIENT_RANDOM", random, new Uint8Array(48)),
      /^CLIENT_RANDOM [0-9a-f]{64} 0{96}$/,
    );
  });

  it("derives the next application traffic secret (RFC 8446 §7.2)", async () => {
    const s = new ApplicationTrafficSecret(p, "SHA-256", V.clientApplicationTrafficSecret);
    const next = await nextTrafficSecret(s);
    const expected = await hkdfExpandLabel(
      p,
      "SHA-256",
      V.clientApplicationTrafficSecret,
      "traffic upd",
      new Uint8Array(0),
      32,
    );
    assert.deepEqual(exposeSecret(next), expected);
    assert.notDeepEqual(exposeSecret(next), V.clientApplicationTrafficSecret);
  });

  it("exports keying material per RFC 8446 §7.5", async () => {
    const master = new MasterSecret(p, "SHA-256", V.masterSecret);
    const exp = await master.exporterMasterSecret(V.serverFinishedHash);
    const a = await exp.export("EXPERIMENTAL my label", undefined, 32);
    const b = await exp.export("EXPERIMENTAL my label", new Uint8Array(0), 32);
    // TLS 1.3 treats a missing context as empty.
    assert.deepEqual(a, b);
    const inner = await hkdfExpandLabel(
      p,
      "SHA-256",
      V.exporterMasterSecret,
      "EXPERIMENTAL my label",
      V.emptyHash,
      32,
    );
    assert.deepEqual(a, await hkdfExpandLabel(p, "SHA-256", inner, "exporter", V.emptyHash, 32));
    assert.notDeepEqual(await exp.export("EXPERIMENTAL my label", new Uint8Array([1]), 32), a);
  });

  it("refuses a suite whose hash does not match", async () => {
    const s = new ApplicationTrafficSecret(p, "SHA-256", V.clientApplicationTrafficSecret);
    await assert.rejects(trafficKeys(s, suiteById(CipherSuiteId.TLS_AES_256_GCM_SHA384)!));
  });
});

describe("RFC 8448 §4 resumed 0-RTT key schedule", () => {
  it("derives the early secret, binder, early traffic and handshake secrets", async () => {
    const psk = Psk.from(p, "SHA-256", R.psk);
    assert.deepEqual(R.psk, V.resumptionPsk);
    const early = await EarlySecret.derive(p, "SHA-256", psk);
    assert.deepEqual(exposeSecret(early), R.earlySecret);

    const binderKey = await early.binderKey(true);
    assert.deepEqual(exposeSecret(binderKey), R.binderKey);
    assert.deepEqual(exposeSecret(await finishedKey(binderKey)), R.binderFinishedKey);

    // The binder hashes the ClientHello up to the binders list (RFC 8446 §4.2.11.2).
    const t = new Transcript(p);
    t.setHash("SHA-256");
    const binderHash = await t.hashWith(R.clientHelloPrefix);
    assert.deepEqual(binderHash, R.binderHash);
    const binder = await finishedVerifyData(binderKey, binderHash);
    assert.deepEqual(binder, R.binder);
    // The sent ClientHello is the prefix followed by the binders list carrying this binder.
    assert.deepEqual(
      R.clientHello,
      concat(R.clientHelloPrefix, new Uint8Array([0, 33, 32]), binder),
    );

    t.add(R.clientHello);
    const chHash = await t.hash();
    assert.deepEqual(
      exposeSecret(await early.clientEarlyTrafficSecret(chHash)),
      R.clientEarlyTrafficSecret,
    );
    assert.deepEqual(
      exposeSecret(await early.earlyExporterMasterSecret(chHash)),
      R.earlyExporterMasterSecret,
    );
    const cEarly = await early.clientEarlyTrafficSecret(chHash);
    assert.deepEqual(await trafficKeys(cEarly, suite), {
      key: R.clientEarlyKey,
      iv: R.clientEarlyIv,
    });

    const hs = await early.handshakeSecret(R.sharedSecret);
    assert.deepEqual(exposeSecret(hs), R.handshakeSecret);
  });

  it("uses the 'ext binder' label for external PSKs", async () => {
    const early = await EarlySecret.derive(p, "SHA-256", Psk.from(p, "SHA-256", R.psk));
    const ext = await early.binderKey(false);
    assert.notDeepEqual(exposeSecret(ext), R.binderKey);
  });
});
