// Known answers for TLS 1.2 AES-GCM record protection (RFC 5246 §6.2.3.3, RFC 5288 §3: nonce =
// 4-byte salt || 8-byte explicit nonce sent before the ciphertext), taken live from OpenSSL
// through a recording proxy, with nothing committed:
//
// - openssl s_client <-> openssl s_server: the master secret from s_client's key log, keys
//   derived with webtls's PRF (RFC 5246 §6.3), and every protected record of both directions
//   opened by webtls's RecordProtection12; the Finished values checked against
//   PRF(master_secret, finished_label, Hash(handshake_messages)) (RFC 5246 §7.4.9).
// - webtls client <-> openssl s_server, and openssl s_client <-> webtls server: the records
//   webtls sealed, opened by an independent implementation (node:crypto's HMAC and
//   AES-GCM, not WebCrypto) with keys from the master secret OpenSSL logged.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv, createHash, createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Bytes, concat, fromHex, toHex, utf8 } from "../../src/_bytes.ts";
import { ContentType } from "../../src/constants.ts";
import { type CipherSuite, suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { RecordProtection12 } from "../../src/record/protection12.ts";
import { MasterSecret12, prf } from "../../src/tls12/prf.ts";
import { type RawRecord, splitRecords } from "../hostile/_mitm.ts";
import { currentRuntime, makePki, type Pki, startPeer, stopAllPeers } from "./_peers.ts";
import { sClientArgs, startWebtlsServer } from "./_webtls_server.ts";
import {
  clientContext12,
  connect12,
  opensslServer,
  plaintextMessages,
  readKeylogFile,
  readText,
  recorder,
  SUITES12,
  until,
} from "./_tls12.ts";

const TIMEOUT = 60_000;
const FROM_CLIENT = "client to server: application data\n";
const FROM_SERVER = "server to client: application data\n";

let pki: Pki;
before(async () => {
  pki = await makePki();
});
after(stopAllPeers);

/** What a recorded TLS 1.2 connection holds. */
interface Capture {
  suite: CipherSuite;
  clientRandom: Bytes;
  serverRandom: Bytes;
  /** Protected records after each side's ChangeCipherSpec. */
  clientProtected: RawRecord[];
  serverProtected: RawRecord[];
  /** The plaintext handshake messages (type, 4-byte header included) of each side. */
  clientMessages: Bytes[];
  serverMessages: Bytes[];
}

function analyse(fromClient: readonly Uint8Array[], fromServer: readonly Uint8Array[]): Capture {
  const after = (stream: readonly Uint8Array[]) => {
    const recs = splitRecords(concat(...stream.map((c) => new Uint8Array(c))));
    const ccs = recs.findIndex((r) => r.type === ContentType.change_cipher_spec);
    assert.ok(ccs >= 0, "a ChangeCipherSpec");
    return recs.slice(ccs + 1);
  };
  const frame = (m: { type: number; body: Uint8Array }) =>
    concat(
      new Uint8Array([m.type, m.body.byteLength >> 16, m.body.byteLength >> 8, m.body.byteLength]),
      m.body,
    );
  const cm = plaintextMessages(fromClient);
  const sm = plaintextMessages(fromServer);
  const ch = cm.find((m) => m.type === 1)!;
  const sh = sm.find((m) => m.type === 2)!;
  const sidLen = sh.body[34];
  const suiteId = (sh.body[35 + sidLen] << 8) | sh.body[36 + sidLen];
  return {
    suite: suiteById(suiteId)!,
    clientRandom: ch.body.slice(2, 34),
    serverRandom: sh.body.slice(2, 34),
    clientProtected: after(fromClient),
    serverProtected: after(fromServer),
    clientMessages: cm.map(frame),
    serverMessages: sm.map(frame),
  };
}

/** The master secret logged for `clientRandom` in NSS key log lines. */
function masterSecretFor(lines: readonly string[], clientRandom: Bytes): Bytes {
  const want = toHex(clientRandom);
  for (const l of lines) {
    const [label, random, secret] = l.trim().split(/\s+/);
    if (label === "CLIENT_RANDOM" && random.toLowerCase() === want) return fromHex(secret);
  }
  assert.fail(`no CLIENT_RANDOM line for ${want}`);
}

/** The 8-byte big-endian sequence number. */
function seqBytes(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/** An independent P_hash (RFC 5246 §5) on node:crypto's HMAC. */
function pHashNode(hash: "sha256" | "sha384", secret: Uint8Array, seed: Uint8Array, n: number) {
  const out: Uint8Array[] = [];
  let a: Uint8Array = seed;
  let len = 0;
  while (len < n) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.push(block);
    len += block.byteLength;
  }
  return concat(...out.map((b) => new Uint8Array(b))).slice(0, n);
}

/**
 * Opens the records of one direction with node:crypto AES-GCM: the salt is the write IV from
 * the key block, the explicit nonce the first 8 bytes of the fragment, the additional data
 * seq_num || type || version || plaintext length. RFC 5246 §6.2.3.3, RFC 5288 §3.
 */
function openIndependently(
  cap: Capture,
  master: Uint8Array,
  side: "client" | "server",
): Array<{ type: number; data: Uint8Array; explicit: Uint8Array }> {
  const hash = cap.suite.hash === "SHA-384" ? "sha384" : "sha256";
  const k = cap.suite.keyLength;
  const block = pHashNode(
    hash,
    master,
    concat(utf8("key expansion"), cap.serverRandom, cap.clientRandom),
    2 * k + 8,
  );
  const key = side === "client" ? block.subarray(0, k) : block.subarray(k, 2 * k);
  const salt = side === "client" ? block.subarray(2 * k, 2 * k + 4) : block.subarray(2 * k + 4);
  const recs = side === "client" ? cap.clientProtected : cap.serverProtected;
  return recs.map((rec, seq) => {
    const explicit = rec.body.subarray(0, 8);
    const ct = rec.body.subarray(8, rec.body.byteLength - 16);
    const tag = rec.body.subarray(rec.body.byteLength - 16);
    const aad = concat(
      seqBytes(seq),
      new Uint8Array([rec.type, rec.version >> 8, rec.version & 0xff]),
      new Uint8Array([ct.byteLength >> 8, ct.byteLength & 0xff]),
    );
    const d = createDecipheriv(
      k === 16 ? "aes-128-gcm" : "aes-256-gcm",
      key,
      concat(salt, explicit),
    );
    d.setAAD(aad);
    d.setAuthTag(tag);
    const data = new Uint8Array(Buffer.concat([d.update(ct), d.final()]));
    return { type: rec.type, data, explicit: explicit.slice() };
  });
}

/** Opens the records of one direction with webtls's RecordProtection12 and PRF. */
async function openWithWebtls(
  cap: Capture,
  master: Bytes,
  side: "client" | "server",
): Promise<Array<{ type: number; data: Uint8Array }>> {
  const ms = new MasterSecret12(defaultProvider, cap.suite.hash, master);
  const kb = await ms.keyBlock(cap.suite, cap.clientRandom, cap.serverRandom);
  const keys = side === "client"
    ? { key: kb.clientKey, iv: kb.clientIv }
    : { key: kb.serverKey, iv: kb.serverIv };
  const reader = await RecordProtection12.create(defaultProvider, cap.suite, keys);
  const out = [];
  for (const rec of side === "client" ? cap.clientProtected : cap.serverProtected) {
    out.push(
      await reader.open({
        type: rec.type,
        version: rec.version,
        fragment: rec.body,
        header: rec.raw.subarray(0, 5),
      }),
    );
  }
  return out;
}

/** The Finished message in decrypted records of one direction, and its verify_data. */
function finishedOf(opened: Array<{ type: number; data: Uint8Array }>): Uint8Array {
  const fin = opened[0];
  assert.equal(fin.type, ContentType.handshake);
  assert.equal(fin.data[0], 20, "the first protected record holds the Finished");
  assert.equal(fin.data.byteLength, 4 + 12);
  return fin.data.subarray(4);
}

/** The application data of one direction, concatenated. */
function appData(opened: Array<{ type: number; data: Uint8Array }>): string {
  return new TextDecoder().decode(
    concat(...opened.filter((r) => r.type === ContentType.application_data).map((r) => r.data)),
  );
}

/**
 * Checks both Finished values against RFC 5246 §7.4.9 with the transcript in wire order:
 * ClientHello, the server's first flight, the client's flight (up to ClientKeyExchange or
 * CertificateVerify), then for the server's Finished the client's Finished and any
 * NewSessionTicket.
 */
async function checkFinished(
  cap: Capture,
  master: Bytes,
  clientFin: Uint8Array,
  serverFin: Uint8Array,
): Promise<void> {
  const nodeHash = cap.suite.hash === "SHA-384" ? "sha384" : "sha256";
  const digest = (msgs: Uint8Array[]) => {
    const h = createHash(nodeHash);
    for (const m of msgs) h.update(m);
    return new Uint8Array(h.digest());
  };
  const [ch, ...clientRest] = cap.clientMessages;
  const firstFlight = cap.serverMessages.filter((m) => m[0] !== 4);
  const tickets = cap.serverMessages.filter((m) => m[0] === 4);
  const upToClient = [ch, ...firstFlight, ...clientRest];
  const clientExpected = await prf(
    defaultProvider,
    cap.suite.hash,
    master,
    "client finished",
    digest(upToClient),
    12,
  );
  assert.equal(toHex(clientFin), toHex(clientExpected), "client Finished");
  const finMsg = concat(new Uint8Array([20, 0, 0, 12]), clientFin);
  const serverExpected = await prf(
    defaultProvider,
    cap.suite.hash,
    master,
    "server finished",
    digest([...upToClient, finMsg, ...tickets]),
    12,
  );
  assert.equal(toHex(serverFin), toHex(serverExpected), "server Finished");
}

describe(`TLS 1.2 AES-GCM records against OpenSSL (${currentRuntime()})`, {
  timeout: 300_000,
}, () => {
  for (const suite of [...SUITES12.ecdsa, ...SUITES12.rsa]) {
    const leaf = suite.includes("RSA") ? "rsa2048" : "ecdsaP256";
    it(`opens what OpenSSL sealed, both ways (${suite})`, { timeout: TIMEOUT }, async () => {
      const dir = fs.mkdtempSync(path.join(pki.dir, "kat-"));
      const keylog = path.join(dir, "keylog");
      const srv = await opensslServer(pki, ["-cipher", suite], { leaf });
      const proxy = await recorder(srv.port);
      const cli = await startPeer("openssl", [
        ...sClientArgs(pki, proxy.port, ["-tls1_2", "-keylogfile", keylog]),
      ], { name: "openssl s_client", readyText: "Verify return code: 0" });
      try {
        cli.write(FROM_CLIENT);
        await srv.peer.waitFor(FROM_CLIENT);
        srv.peer.write(FROM_SERVER);
        await cli.waitFor(FROM_SERVER);
      } finally {
        await cli.stop();
        await srv.peer.stop();
        await proxy.close();
      }
      const conn = proxy.connections[0];
      const cap = analyse(conn.fromClient, conn.fromServer);
      assert.equal(cap.suite.opensslName, suite);
      const master = masterSecretFor(await readKeylogFile(keylog), cap.clientRandom);
      const client = await openWithWebtls(cap, master, "client");
      const server = await openWithWebtls(cap, master, "server");
      assert.equal(appData(client), FROM_CLIENT);
      assert.equal(appData(server), FROM_SERVER);
      await checkFinished(cap, master, finishedOf(client), finishedOf(server));
      // The independent opener agrees, which also checks the key block split.
      assert.deepEqual(
        openIndependently(cap, master, "client").map((r) => toHex(r.data)),
        client.map((r) => toHex(r.data)),
      );
    });
  }

  for (const suite of ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"]) {
    it(`webtls's client seals what the OpenSSL key log opens (${suite})`, {
      timeout: TIMEOUT,
    }, async () => {
      const dir = fs.mkdtempSync(path.join(pki.dir, "kat-"));
      const keylog = path.join(dir, "keylog");
      const srv = await opensslServer(pki, ["-cipher", suite, "-keylogfile", keylog]);
      const proxy = await recorder(srv.port);
      try {
        const { ctx } = await clientContext12(pki);
        const sock = await connect12(proxy.port, ctx);
        // Two records from our side: they must carry distinct explicit nonces.
        await sock.write(utf8(FROM_CLIENT.slice(0, 10)));
        await sock.write(utf8(FROM_CLIENT.slice(10)));
        await srv.peer.waitFor(FROM_CLIENT);
        srv.peer.write(FROM_SERVER);
        await readText(sock, FROM_SERVER);
        await sock.close();
        await until(() => proxy.connections[0].fromClient.length > 0, () => "traffic");
      } finally {
        await srv.peer.stop();
        await proxy.close();
      }
      const conn = proxy.connections[0];
      const cap = analyse(conn.fromClient, conn.fromServer);
      const master = masterSecretFor(await readKeylogFile(keylog), cap.clientRandom);
      const ours = openIndependently(cap, master, "client");
      assert.equal(appData(ours), FROM_CLIENT);
      // RFC 5288 §3: explicit nonces never repeat under one key; webtls uses the sequence number.
      assert.deepEqual(
        ours.map((r) => toHex(r.explicit)),
        ours.map((_, i) => toHex(seqBytes(i))),
      );
      assert.equal(ours.at(-1)!.type, ContentType.alert, "close_notify, sealed as well");
      assert.deepEqual([...ours.at(-1)!.data], [1, 0]);
      const theirs = await openWithWebtls(cap, master, "server");
      assert.equal(appData(theirs), FROM_SERVER);
      await checkFinished(cap, master, finishedOf(ours), finishedOf(theirs));
    });
  }

  it("webtls's server seals what the OpenSSL client's key log opens", {
    timeout: TIMEOUT,
  }, async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, "kat-"));
    const keylog = path.join(dir, "keylog");
    const s = await startWebtlsServer(pki, {
      handler: async (sock) => {
        await readText(sock, FROM_CLIENT);
        await sock.write(utf8(FROM_SERVER));
        await sock.close();
      },
    });
    const proxy = await recorder(s.port);
    try {
      const cli = await startPeer("openssl", [
        ...sClientArgs(pki, proxy.port, ["-tls1_2", "-keylogfile", keylog]),
      ], { name: "openssl s_client", readyText: "Verify return code: 0" });
      cli.write(FROM_CLIENT);
      await cli.waitFor(FROM_SERVER);
      await cli.stop();
      await s.handlersDone();
    } finally {
      await proxy.close();
      await s.close();
    }
    const conn = proxy.connections[0];
    const cap = analyse(conn.fromClient, conn.fromServer);
    const master = masterSecretFor(await readKeylogFile(keylog), cap.clientRandom);
    const ours = openIndependently(cap, master, "server");
    assert.equal(appData(ours), FROM_SERVER);
    assert.deepEqual(
      ours.map((r) => toHex(r.explicit)),
      ours.map((_, i) => toHex(seqBytes(i))),
    );
    const theirs = await openWithWebtls(cap, master, "client");
    assert.equal(appData(theirs), FROM_CLIENT);
    await checkFinished(cap, master, finishedOf(theirs), finishedOf(ours));
  });
});
