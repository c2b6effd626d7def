// The `webtls connect` command line against `openssl s_server`, run as a subprocess with the
// runtime running these tests: `deno run src/cli.ts` under Deno, `bun src/cli.ts` under Bun,
// the npm build's `src/cli.js` under Node (so `scripts/test_all.sh` covers all three).
// Checks the --json report, the error report and exit status for a host name mismatch,
// --sess-out/--sess-in resumption, --keylog, --send, and HelloRetryRequest reporting.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  makePki,
  type Pki,
  runPeer,
  type ServerHandle,
  startOpenSSLServer,
  stopAllPeers,
} from "./_peers.ts";
import { cliCommand, ROOT } from "./_client.ts";

const TIMEOUT = 120_000;

let pki: Pki;
let tmp: string;

before(async () => {
  pki = await makePki();
  tmp = fs.mkdtempSync(path.join(pki.dir, "cli-"));
});
after(stopAllPeers);

interface CliRun {
  code: number | null;
  json: Record<string, unknown>;
  stderr: string;
}

/** Runs `webtls connect 127.0.0.1:PORT --cafile ca.pem --servername localhost --json ...`. */
async function cli(port: number, ...extra: string[]): Promise<CliRun> {
  const { cmd, args, label } = cliCommand();
  const r = await runPeer(cmd, [
    ...args,
    "connect",
    `127.0.0.1:${port}`,
    "--cafile",
    pki.caFile,
    "--servername",
    "localhost",
    "--json",
    ...extra,
  ], { cwd: ROOT, timeoutMs: 60_000 });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Error(`${label} printed no JSON (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, json, stderr: r.stderr };
}

async function withServer(
  args: string[],
  fn: (srv: ServerHandle) => Promise<void>,
  opts: Parameters<typeof startOpenSSLServer>[2] = {},
): Promise<void> {
  const srv = await startOpenSSLServer(pki, ["-tls1_3", ...args], opts);
  try {
    await fn(srv);
  } finally {
    await srv.peer.stop();
  }
}

describe(`webtls connect (${cliCommand().label}) against openssl s_server`, {
  timeout: TIMEOUT,
}, () => {
  it("prints the JSON report with every key", async () => {
    await withServer(["-alpn", "h2"], async ({ port }) => {
      const { code, json, stderr } = await cli(port, "--alpn", "h2,http/1.1");
      assert.equal(code, 0, stderr);
      assert.deepEqual(Object.keys(json).sort(), [
        "alpn",
        "chain",
        "cipher",
        "group",
        "helloRetryRequest",
        "peerCert",
        "received",
        "serverHostname",
        "sessionReused",
        "verified",
        "version",
      ]);
      assert.equal(json.version, "TLSv1.3");
      assert.deepEqual(json.cipher, ["TLS_AES_256_GCM_SHA384", "TLSv1.3", 256]);
      assert.equal(json.group, "x25519");
      assert.equal(json.alpn, "h2");
      assert.equal(json.serverHostname, "localhost");
      assert.equal(json.sessionReused, false);
      assert.equal(json.helloRetryRequest, false);
      assert.equal(json.verified, true);
      const peerCert = json.peerCert as Record<string, unknown>;
      assert.deepEqual(peerCert.subject, [[["commonName", "localhost"]]]);
      assert.deepEqual(peerCert.subjectAltName, [["DNS", "localhost"], [
        "IP Address",
        "127.0.0.1",
      ]]);
      assert.equal((json.chain as string[]).length, 3);
      assert.match((json.chain as string[])[0], /localhost/);
      assert.match((json.chain as string[])[1], /webtls Test Intermediate CA/);
      assert.match((json.chain as string[])[2], /webtls Test Root CA/);
      assert.equal(json.received, "");
    });
  });

  it("reports a HelloRetryRequest and the group it settled on", async () => {
    await withServer(["-groups", "P-384"], async ({ port }) => {
      const { code, json, stderr } = await cli(port);
      assert.equal(code, 0, stderr);
      assert.equal(json.helloRetryRequest, true);
      assert.equal(json.group, "secp384r1");
    });
  });

  it("fails with exit 1 and the verification error as JSON for a wrong host", async () => {
    await withServer([], async ({ port }) => {
      const { code, json } = await cli(port);
      assert.equal(code, 1);
      assert.equal(json.error, "SSLCertVerificationError");
      assert.equal(json.reason, "CERTIFICATE_VERIFY_FAILED");
      assert.equal(json.verifyCode, 62);
      assert.equal(typeof json.verifyMessage, "string");
      assert.equal(typeof json.message, "string");
    }, { leaf: "wrongHost" });
  });

  it("resumes with --sess-out then --sess-in", async () => {
    await withServer([], async ({ port }) => {
      const sess = path.join(tmp, "session.pem");
      const first = await cli(port, "--sess-out", sess);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.sessionReused, false);
      assert.match(fs.readFileSync(sess, "utf8"), /^-----BEGIN [A-Z ]+-----\n/);
      const second = await cli(port, "--sess-in", sess);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.json.sessionReused, true);
      assert.equal(second.json.verified, true, "the verified chain comes with the session");
    });
  });

  it("appends NSS key log lines with --keylog", async () => {
    await withServer([], async ({ port }) => {
      const keylog = path.join(tmp, "keys.log");
      const { code, stderr } = await cli(port, "--keylog", keylog);
      assert.equal(code, 0, stderr);
      const lines = fs.readFileSync(keylog, "utf8").split("\n").filter(Boolean);
      assert.deepEqual(lines.map((l) => l.split(" ")[0]).sort(), [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_TRAFFIC_SECRET_0",
      ]);
      const random = lines[0].split(" ")[1];
      for (const line of lines) {
        // TLS_AES_256_GCM_SHA384: SHA-384 secrets, 48 bytes.
        assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{96}$/);
        assert.equal(line.split(" ")[1], random, "one client random per connection");
      }
    });
  });

  it("sends --send text and reports what came back in 'received'", async () => {
    await withServer([], async ({ port }) => {
      const { code, json, stderr } = await cli(port, "--send", "GET / HTTP/1.0\\r\\n\\r\\n");
      assert.equal(code, 0, stderr);
      assert.match(String(json.received), /^HTTP\/1\.0 200 ok/);
      assert.match(String(json.received), /TLSv1\.3/);
    }, { mode: "www" });
  });
});
