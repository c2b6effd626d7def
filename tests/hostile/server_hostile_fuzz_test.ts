// Fuzz-style hostile clients against our TLS 1.3 server: a few hundred seeded random mutations
// of a recorded, valid ClientHello flight, each on its own connection to one listen() server.
// Every one must end in a typed SSLError on the server (never an internal error, an uncaught
// exception or a hang) and an alert to the client, within bounded time, while healthy clients
// keep being served. The only connections answered without an alert are those whose first
// bytes no longer look like TLS at all, which OpenSSL answers the same way.
//
// Each mutated flight is followed by 16 KiB of zeros: whatever state the mutation left the
// server in (waiting for the rest of a record or message, for a second ClientHello after a
// HelloRetryRequest, or for the client's Finished after accepting the hello), the zeros reach
// a record header it must refuse, so no case waits for a timeout.
//
// WEBTLS_FUZZ_SEED and WEBTLS_FUZZ_RUNS override the seed and the number of mutations; a
// failure names the seed and the mutation number to replay it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat, toHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ContentType } from "../../src/constants.ts";
import type { KeyShare } from "../../src/crypto/provider.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { makePki, type Pki } from "../interop/_peers.ts";
import {
  echoes,
  healthyConnect,
  healthyContext,
  type HostileServer,
  startHostileServer,
} from "./_hostile_server.ts";
import { type Incoming, recordOf, ScriptedClient } from "./_scripted_client.ts";
import type { Wire } from "./_wire.ts";

const env = (name: string) =>
  (globalThis as { process?: { env: Record<string, string> } }).process?.env[name];
const SEED = Number(env("WEBTLS_FUZZ_SEED") ?? 0x5eed1e55);
const RUNS = Number(env("WEBTLS_FUZZ_RUNS") ?? 300);
/** Per mutation: the server must have failed and closed within this. */
const CASE_MS = 5000;
const TIMEOUT = 300_000;
/** Zeros after each mutated flight: a whole maximal record body and a header past it. */
const TRAILER = new Uint8Array(16384 + 5 + 5);
/** What the server names a stream that does not start like TLS; it sends no alert for it. */
const NOT_TLS = new Set(["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST"]);
/** An encrypted alert record: header, two alert bytes, the content type, the AEAD tag. */
const PROTECTED_ALERT_LENGTH = 5 + 2 + 1 + 16;

let pki: Pki;
let server: HostileServer;
let healthy: SSLContext;

before(async () => {
  pki = await makePki();
  server = await startHostileServer(pki);
  healthy = await healthyContext(pki);
});
after(() => server.close());

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid ClientHello flight, recorded once, with the private halves of its key shares. */
interface Recording {
  /** The flight in one record, and in two. */
  flights: [Bytes, Bytes];
  /** The ClientHello message alone (header and body). */
  hello: Bytes;
  shares: readonly KeyShare[];
}

/** A wire that goes nowhere: only the client's message building is used. */
const nowhere: Wire = {
  write() {},
  read: () => Promise.resolve(undefined),
  end() {},
  close() {},
};

async function record(): Promise<Recording> {
  const c = new ScriptedClient(nowhere);
  // x25519 and P-256 shares, ALPN and SNI: enough structure for mutations to land in.
  const msg = await c.clientHello({ keyShares: [0x001d, 0x0017], alpn: ["h2", "http/1.1"] });
  const split = 100;
  return {
    flights: [
      recordOf(ContentType.handshake, msg.raw, 0x0301),
      concat(
        recordOf(ContentType.handshake, msg.raw.subarray(0, split), 0x0301),
        recordOf(ContentType.handshake, msg.raw.subarray(split)),
      ),
    ],
    hello: msg.raw,
    shares: c.shares,
  };
}

const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0x7fff, 0xffff];

/**
 * One mutation of `rec`: of a whole flight (record headers included) or of the ClientHello
 * body with the message and record lengths fixed up afterwards, so that the mutation reaches
 * the message parser (sent in one record or two). Returns the bytes and a description.
 */
function mutate(rec: Recording, rnd: () => number): { bytes: Bytes; what: string } {
  const int = (n: number) => Math.floor(rnd() * n);
  const reframe = rnd() < 0.6;
  const flight = int(2);
  let b: Bytes = (reframe ? rec.hello.subarray(4) : rec.flights[flight]).slice();
  const what: string[] = [reframe ? "body" : `flight ${flight}`];
  const steps = 1 + int(3);
  for (let s = 0; s < steps; s++) {
    const at = int(b.byteLength);
    switch (int(7)) {
      case 0: {
        const bit = int(8);
        b[at] ^= 1 << bit;
        what.push(`flip ${at}.${bit}`);
        break;
      }
      case 1: {
        const v = [0, 0xff, int(256)][int(3)];
        b[at] = v;
        what.push(`set ${at}=${v}`);
        break;
      }
      case 2: {
        const v = INTERESTING[int(INTERESTING.length)];
        if (at + 1 < b.byteLength) {
          b[at] = v >> 8;
          b[at + 1] = v & 0xff;
        }
        what.push(`u16 ${at}=${v}`);
        break;
      }
      case 3:
        b = b.slice(0, at);
        what.push(`truncate ${at}`);
        break;
      case 4: {
        const n = 1 + int(16);
        const ins = Uint8Array.from({ length: n }, () => int(256));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        what.push(`insert ${at}+${n}`);
        break;
      }
      case 5: {
        const n = 1 + int(32);
        b = concat(b.subarray(0, at), b.subarray(at + n));
        what.push(`delete ${at}+${n}`);
        break;
      }
      default: {
        const n = 1 + int(64);
        b = concat(b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n));
        what.push(`repeat ${at}+${n}`);
      }
    }
  }
  if (!reframe) return { bytes: b, what: what.join(", ") };
  const msg = frameHandshake(1, b).raw;
  const cut = flight === 0 ? msg.byteLength : 1 + int(msg.byteLength - 1);
  const bytes = concat(
    recordOf(ContentType.handshake, msg.subarray(0, cut), 0x0301),
    cut < msg.byteLength ? recordOf(ContentType.handshake, msg.subarray(cut)) : new Uint8Array(0),
  );
  return { bytes, what: `${what.join(", ")}, records cut at ${cut}` };
}

/** Everything the server sent on one connection, until it closed. */
async function drain(c: ScriptedClient): Promise<Incoming[]> {
  const events: Incoming[] = [];
  const deadline = Date.now() + CASE_MS;
  for (;;) {
    const ev = await c.next(Math.max(1, deadline - Date.now()));
    events.push(ev);
    if (ev.kind === "eof") return events;
  }
}

/**
 * The alert among `events`: a readable one, or else (when the mutation spoiled a key share
 * the scripted client then could not follow) a last protected record of exactly an alert's
 * size before the connection closed.
 */
function alertIn(
  events: Incoming[],
): { description: number | "unreadable"; level: number } | undefined {
  const alert = events.find((e) => e.kind === "alert");
  if (alert?.kind === "alert") return { description: alert.description, level: alert.level };
  const last = events.at(-2);
  if (last?.kind === "undecryptable" && last.raw.byteLength === PROTECTED_ALERT_LENGTH) {
    return { description: "unreadable", level: 2 };
  }
  return undefined;
}

describe("hostile clients: fuzzed ClientHello flights", { timeout: TIMEOUT }, () => {
  it(`${RUNS} seeded mutations: a typed SSLError and an alert each`, async () => {
    const rec = await record();
    // A healthy connection from before the fuzz must still echo after it, and healthy
    // handshakes keep completing throughout.
    const before = await healthyConnect(healthy, server.port);
    let fuzzing = true;
    let healthyRounds = 0;
    const background = (async () => {
      while (fuzzing) {
        const sock = await healthyConnect(healthy, server.port);
        await echoes(sock, `round ${healthyRounds}\n`);
        await sock.close();
        healthyRounds++;
      }
    })();
    const rnd = prng(SEED);
    const reasons = new Map<string, number>();
    const alerts = new Map<string, number>();
    const started = Date.now();
    try {
      for (let i = 0; i < RUNS; i++) {
        const { bytes, what } = mutate(rec, rnd);
        const label = `seed ${SEED} mutation ${i} (${what}): ${toHex(bytes.subarray(0, 16))}…`;
        const since = server.failures.length;
        const c = await ScriptedClient.connect(server.port);
        try {
          c.adoptHello(bytes, [...rec.shares]);
          c.sendRaw(concat(bytes, TRAILER));
          const events = await drain(c).catch((e) => assert.fail(`${label}: ${e}`));
          const failure = await server.failureOf(c.wire.localPort, since, CASE_MS).catch((e) =>
            assert.fail(`${label}: ${e instanceof Error ? e.message : e}`)
          );
          const reason = failure.error.reason;
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          const alert = alertIn(events);
          if (!alert) {
            assert.ok(NOT_TLS.has(reason), `${label}: no alert, server reason ${reason}`);
            alerts.set("(none)", (alerts.get("(none)") ?? 0) + 1);
            continue;
          }
          assert.equal(alert.level, 2, `${label}: the alert is fatal`);
          const name = typeof alert.description === "number"
            ? Alert[alert.description] ?? String(alert.description)
            : alert.description;
          alerts.set(name, (alerts.get(name) ?? 0) + 1);
        } finally {
          c.close();
        }
      }
    } finally {
      fuzzing = false;
      await background;
    }
    await echoes(before, "after the fuzz\n");
    await before.close();
    assert.ok(healthyRounds > 0, "healthy handshakes completed during the fuzz");
    const summary = (m: Map<string, number>) =>
      [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(
      `fuzz: ${RUNS} mutations (seed ${SEED}) in ${Date.now() - started} ms, ` +
        `${healthyRounds} healthy handshakes alongside\n  alerts: ${summary(alerts)}\n` +
        `  server reasons: ${summary(reasons)}`,
    );
  });
});
