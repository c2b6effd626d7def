// Version negotiation as Python users know it. Every pair of client and server settings
// (minimum_version, maximum_version, OP_NO_TLSv1_2, OP_NO_TLSv1_3, and combinations that leave
// nothing) is tried three ways: Python client with Python server (the reference), webtls's
// client with the Python server, and the Python client with webtls's server. The three must
// agree on the outcome: the version negotiated, or a failure. Plus: a webtls client offering
// TLS 1.2 and 1.3 reaches 1.2-only servers, and a TLS 1.0-only client gets protocol_version.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDefaultContext, Options, type SSLContext, SSLError, TLSVersion } from "../../mod.ts";
import { currentRuntime, makePki, type Pki, stopAllPeers } from "./_peers.ts";
import { sClient, startWebtlsServer, streamEcho, type WebtlsServer } from "./_webtls_server.ts";
import { connect12, echoLine, type PySettings, pythonConnect, pythonServers } from "./_tls12.ts";

const SETTINGS: Record<string, PySettings> = {
  "defaults": {},
  "min TLSv1": { minimumVersion: "TLSv1" },
  "min TLSv1_2": { minimumVersion: "TLSv1_2" },
  "min TLSv1_3": { minimumVersion: "TLSv1_3" },
  "max TLSv1_2": { maximumVersion: "TLSv1_2" },
  "max TLSv1_3": { maximumVersion: "TLSv1_3" },
  "min MINIMUM_SUPPORTED, max MAXIMUM_SUPPORTED": {
    minimumVersion: "MINIMUM_SUPPORTED",
    maximumVersion: "MAXIMUM_SUPPORTED",
  },
  "TLSv1_2 only": { minimumVersion: "TLSv1_2", maximumVersion: "TLSv1_2" },
  "OP_NO_TLSv1_2": { options: ["OP_NO_TLSv1_2"] },
  "OP_NO_TLSv1_3": { options: ["OP_NO_TLSv1_3"] },
  "OP_NO_TLSv1_3, min TLSv1_3": { options: ["OP_NO_TLSv1_3"], minimumVersion: "TLSv1_3" },
  "max TLSv1_1": { maximumVersion: "TLSv1_1" },
  "min TLSv1_3, max TLSv1_2": { minimumVersion: "TLSv1_3", maximumVersion: "TLSv1_2" },
};

/** Applies Python-style settings to a webtls context. */
function apply(ctx: SSLContext, s: PySettings): void {
  if (s.minimumVersion) {
    ctx.minimumVersion = TLSVersion[s.minimumVersion as keyof typeof TLSVersion];
  }
  if (s.maximumVersion) {
    ctx.maximumVersion = TLSVersion[s.maximumVersion as keyof typeof TLSVersion];
  }
  for (const o of s.options ?? []) {
    ctx.options |= typeof o === "number" ? o : Options[o as keyof typeof Options];
  }
}

let pki: Pki;
const servers: WebtlsServer[] = [];

before(async () => {
  pki = await makePki();
});
after(async () => {
  for (const s of servers.splice(0)) await s.close();
  await stopAllPeers();
});

describe(`version settings behave as in Python (${currentRuntime()})`, { timeout: 600_000 }, () => {
  it("every client setting against every server setting", { timeout: 480_000 }, async () => {
    const names = Object.keys(SETTINGS);
    const py = await pythonServers(pki, names.map((name) => ({ name, ...SETTINGS[name] })));
    const ours: Record<string, number> = {};
    for (const name of names) {
      const s = await startWebtlsServer(pki, {
        handler: streamEcho,
        configure: (ctx) => apply(ctx, SETTINGS[name]),
      });
      servers.push(s);
      ours[name] = s.port;
    }
    // The Python client runs every connection in one process: to Python, then to webtls.
    const pairs = names.flatMap((client) => names.map((server) => ({ client, server })));
    const pyResults = await pythonConnect(
      pki,
      pairs.flatMap(({ client, server }) => [
        { ...SETTINGS[client], port: py.ports[server], send: "py\n" },
        { ...SETTINGS[client], port: ours[server], send: "py\n" },
      ]),
    );
    const outcome = (r: { ok: boolean; version?: string }) => (r.ok ? r.version! : "failure");
    const mismatches: string[] = [];
    for (const [i, { client, server }] of pairs.entries()) {
      const reference = outcome(pyResults[2 * i]);
      const pythonToWebtls = outcome(pyResults[2 * i + 1]);
      let webtlsToPython: string;
      try {
        const ctx = await createDefaultContext(undefined, { cafile: pki.caFile });
        apply(ctx, SETTINGS[client]);
        const sock = await connect12(py.ports[server], ctx);
        await echoLine(sock, "webtls\n");
        webtlsToPython = sock.version()!;
        await sock.close();
      } catch (e) {
        if (!(e instanceof SSLError)) throw e;
        webtlsToPython = "failure";
      }
      if (reference !== pythonToWebtls || reference !== webtlsToPython) {
        mismatches.push(
          `client "${client}" / server "${server}": Python↔Python ${reference}, ` +
            `Python→webtls ${pythonToWebtls}, webtls→Python ${webtlsToPython}`,
        );
      }
    }
    assert.deepEqual(mismatches, []);
    // The matrix is not trivial: both versions and failures occur.
    const seen = new Set(pyResults.map(outcome));
    assert.deepEqual([...seen].sort(), ["TLSv1.2", "TLSv1.3", "failure"]);
  });

  it("a TLS 1.2-and-1.3 client reaches TLS 1.2-only servers; a 1.2 minimum serves both", {
    timeout: 120_000,
  }, async () => {
    const s = await startWebtlsServer(pki, {
      configure: (ctx) => (ctx.minimumVersion = TLSVersion.TLSv1_2),
    });
    servers.push(s);
    const py = await pythonConnect(pki, [
      { port: s.port, maximumVersion: "TLSv1_2", send: "1.2\n" },
      { port: s.port, minimumVersion: "TLSv1_3", send: "1.3\n" },
    ]);
    assert.deepEqual(py.map((r) => r.version), ["TLSv1.2", "TLSv1.3"]);
    const a = await sClient(pki, s.port, ["-tls1_2"]);
    assert.match(a.out, /New, TLSv1\.2/);
    assert.match(a.out, /echo: hello/);
    const b = await sClient(pki, s.port, ["-tls1_3"]);
    assert.match(b.out, /New, TLSv1\.3/);
    assert.match(b.out, /echo: hello/);
  });

  it("TLS 1.0-only and 1.1-only openssl clients get protocol_version", {
    timeout: 60_000,
  }, async () => {
    const s = await startWebtlsServer(pki, {});
    servers.push(s);
    for (const [i, version] of ["-tls1", "-tls1_1"].entries()) {
      // OpenSSL 3 offers TLS 1.0 and 1.1 only at security level 0.
      const r = await sClient(pki, s.port, [version, "-cipher", "DEFAULT@SECLEVEL=0"]);
      assert.match(r.out, /tlsv1 alert protocol version/, r.out);
      const e = await s.waitHandshakeErrors(i + 1);
      assert.ok(e instanceof SSLError && e.reason === "UNSUPPORTED_PROTOCOL", String(e));
    }
  });
});
