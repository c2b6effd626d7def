// Hostile input from a real peer: `openssl s_client` talks to our listen() server through the
// tampering proxy of _mitm.ts, which spoils its ClientHello (a duplicated extension) or, with
// the keys s_client logs, re-encrypts its Finished with a wrong verify_data. The server must
// answer with the alert RFC 8446 names, which s_client must report ("SSL alert number N"),
// fail that connection with a typed SSLError, and go on serving healthy clients.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Bytes, fromHex, toHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ContentType, ExtensionType as E, HandshakeType as H } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { SSLError } from "../../src/errors.ts";
import { clientHelloMessage, decodeClientHello } from "../../src/messages/client_hello.ts";
import { decodeServerHello } from "../../src/messages/server_hello.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { HandshakeTrafficSecret } from "../../src/tls13/key_schedule.ts";
import { makePki, type Pki, requireTool, runPeer } from "../interop/_peers.ts";
import {
  alongsideHealthy,
  healthyContext,
  type HostileServer,
  type ServerFailure,
  startHostileServer,
} from "./_hostile_server.ts";
import { type RawRecord, record, startMitm, type Tamper } from "./_mitm.ts";

const TIMEOUT = 120_000;

let pki: Pki;
let server: HostileServer;
let healthy: SSLContext;
let dir: string;

before(async () => {
  requireTool("openssl", "apt-get install -y openssl");
  pki = await makePki();
  server = await startHostileServer(pki);
  healthy = await healthyContext(pki);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "webtls-hostile-"));
});
after(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `openssl s_client -tls1_3` through a proxy applying `tamper`; returns its output and
 * the failure our server recorded for the proxied connection.
 */
async function sClientThrough(
  tamper: Tamper,
  keylog?: string,
): Promise<{ out: string; failure: ServerFailure }> {
  const mitm = await startMitm({ upstreamPort: server.port, tamper });
  try {
    return await alongsideHealthy(server, healthy, async () => {
      const from = server.failures.length;
      const r = await runPeer("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${mitm.port}`,
        "-servername",
        "localhost",
        "-CAfile",
        pki.caFile,
        "-tls1_3",
        // Keep reading after stdin ends, so the server's alert is what ends the session.
        "-ign_eof",
        ...(keylog ? ["-keylogfile", keylog] : []),
      ], { stdin: "hello\n", timeoutMs: 20_000 });
      const conn = await mitm.connection(0);
      await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 2000))]);
      // The server's peer is the proxy, whose port we do not know; healthy clients do not
      // fail, so the one new failure is the proxied connection's.
      const deadline = Date.now() + 5000;
      while (server.failures.length === from && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const failures = server.failures.slice(from);
      assert.equal(
        failures.length,
        1,
        `server failures: ${failures.map((f) => f.error)}\n` +
          `s_client said:\n${r.stdout}${r.stderr}`,
      );
      return { out: r.stdout + r.stderr, failure: failures[0] };
    });
  } finally {
    await mitm.close();
  }
}

/** The client random of the ClientHello in `rec`. */
function clientRandom(rec: RawRecord): Bytes {
  return rec.body.slice(4 + 2, 4 + 2 + 32);
}

describe("hostile openssl s_client through a tampering proxy", { timeout: TIMEOUT }, () => {
  it("a duplicated extension in its ClientHello: illegal_parameter", async () => {
    const { out, failure } = await sClientThrough((dir, rec) => {
      if (dir !== "toServer" || rec.type !== ContentType.handshake) return undefined;
      if (rec.body[0] !== H.client_hello) return undefined;
      const ch = decodeClientHello(rec.body.subarray(4));
      const groups = ch.extensions.find((e) => e.type === E.supported_groups)!;
      ch.extensions.unshift(groups);
      return record(ContentType.handshake, clientHelloMessage(ch).raw, rec.version);
    });
    assert.ok(failure.error instanceof SSLError);
    assert.equal(failure.error.reason, "BAD_EXTENSION");
    assert.match(out, new RegExp(`SSL alert number ${Alert.illegal_parameter}\\b`), out);
  });

  it("its Finished re-encrypted with a wrong verify_data: decrypt_error", async () => {
    const keylog = path.join(dir, "keylog.txt");
    const state: { random?: Bytes; suite?: number; done?: boolean } = {};
    const { out, failure } = await sClientThrough(async (dir, rec) => {
      if (dir === "toClient") {
        if (rec.type === ContentType.handshake && rec.body[0] === H.server_hello) {
          state.suite = decodeServerHello(rec.body.subarray(4)).cipherSuite;
        }
        return undefined;
      }
      if (rec.type === ContentType.handshake && rec.body[0] === H.client_hello) {
        state.random = clientRandom(rec);
        return undefined;
      }
      // The client's first protected record holds its Finished (no client certificate here).
      if (rec.type !== ContentType.application_data || state.done) return undefined;
      state.done = true;
      const suite = suiteById(state.suite!)!;
      const line = fs.readFileSync(keylog, "utf8").split("\n").find((l) =>
        l.startsWith(`CLIENT_HANDSHAKE_TRAFFIC_SECRET ${toHex(state.random!)}`)
      );
      assert.ok(line, "s_client logged its handshake traffic secret");
      const secret = new HandshakeTrafficSecret(
        defaultProvider,
        suite.hash,
        fromHex(line.split(" ")[2]),
      );
      const keys = await secret.keys(suite);
      const opener = await RecordProtection13.create(defaultProvider, suite, keys);
      const sealer = await RecordProtection13.create(defaultProvider, suite, keys);
      const { type, data } = await opener.open({
        type: rec.type,
        version: rec.version,
        fragment: rec.body,
        header: rec.raw.subarray(0, 5),
      });
      assert.equal(type, ContentType.handshake);
      assert.equal(data[0], H.finished);
      const spoiled = data.slice();
      spoiled[spoiled.byteLength - 1] ^= 1;
      return await sealer.seal(ContentType.handshake, spoiled);
    }, keylog);
    assert.ok(failure.error instanceof SSLError);
    assert.equal(failure.error.reason, "DIGEST_CHECK_FAILED");
    assert.match(out, new RegExp(`SSL alert number ${Alert.decrypt_error}\\b`), out);
  });
});
