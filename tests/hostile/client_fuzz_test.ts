// Fuzzing the TLS 1.3 client with mutations of a REAL server flight: a deterministic client
// (fixed randomness and key share) talks once to `openssl s_server` through the proxy, which
// records the server's bytes; the client's key log opens them into messages. Each case then
// mutates the flight (a message's bytes, lengths, types, order, record boundaries, or the raw
// stream), seals it again under the same server keys, and replays it to a fresh client.
// Every case must end in an SSLError (never another exception, never INTERNAL_ERROR, never a
// hang), and the client must have sent exactly one fatal alert unless it saw EOF or the
// peer's own alert.
//
// WEBTLS_FUZZ_SEED and WEBTLS_FUZZ_CASES override the seed (default 0x5eed) and the number of
// cases (default 300); a failure prints the seed and case number to replay it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Bytes, concat } from "../../src/_bytes.ts";
import { ContentType, HandshakeType as H, NamedGroup } from "../../src/constants.ts";
import type { KeyShare } from "../../src/crypto/provider.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { SSLEOFError, SSLError } from "../../src/errors.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { MemoryBIO } from "../../src/ssl/memory_bio.ts";
import {
  makePki,
  type Pki,
  type ServerHandle,
  startOpenSSLServer,
  stopAllPeers,
} from "../interop/_peers.ts";
import { clientAlerts } from "./_alerts.ts";
import {
  type Chunking,
  decodeFlight,
  encodeFlight,
  type Flight,
  type FlightItem,
  Prng,
  replayProvider,
} from "./_flight.ts";
import { clientSetup, connectTo } from "./_harness.ts";
import { splitRecords, startMitm } from "./_mitm.ts";

const SEED = Number(process.env.WEBTLS_FUZZ_SEED ?? 0x5eed);
const CASES = Number(process.env.WEBTLS_FUZZ_CASES ?? 300);
const CLIENT_SEED = 0xc11e47;
const PER_CASE_MS = 5_000;

let pki: Pki;
let server: ServerHandle;
let shares: Map<number, KeyShare>;
let recorded: Flight;
let ctx: SSLContext;
let keylog: string[];

/** Records one real handshake (plus the tickets and one echo) with the deterministic client. */
async function recordFlight(): Promise<Flight> {
  const mitm = await startMitm({ upstreamPort: server.port });
  try {
    const setup = await clientSetup(pki);
    setup.ctx.provider = replayProvider(defaultProvider, shares, CLIENT_SEED);
    const sock = await connectTo(setup.ctx, mitm.port);
    await sock.write(new TextEncoder().encode("ping\n"));
    let got = 0;
    while (got < 5) got += (await sock.read()).byteLength;
    await sock.close();
    const conn = await mitm.connection(0);
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 2000))]);
    const ch = splitRecords(concat(...conn.fromClient))[0];
    const flight = await decodeFlight(
      concat(...conn.fromServer),
      setup.keylog,
      ch.body.slice(4 + 2, 4 + 2 + 32),
    );
    // A close_notify answering ours would end the replays cleanly; the fuzz wants every case
    // to end in an error, so the recording stops before it.
    flight.application = flight.application.filter((i) => i.type !== ContentType.alert);
    return flight;
  } finally {
    await mitm.close();
  }
}

before(async () => {
  pki = await makePki();
  server = await startOpenSSLServer(pki);
  // Every key share the client sends is fixed (x25519, and the ML-KEM hybrid where the
  // runtime has it), so each replay rebuilds the recorded ClientHello.
  await defaultProvider.ready();
  const groups = [NamedGroup.x25519, NamedGroup.X25519MLKEM768]
    .filter((g) => defaultProvider.supportedGroups().includes(g));
  shares = new Map(
    await Promise.all(
      groups.map(async (g) => [g, await defaultProvider.generateKeyShare(g)] as const),
    ),
  );
  recorded = await recordFlight();
  const setup = await clientSetup(pki);
  ctx = setup.ctx;
  keylog = setup.keylog;
});
after(stopAllPeers);

/** How one replay ended. */
interface Outcome {
  kind: "error" | "closed" | "timeout";
  error?: unknown;
  clientBytes: Bytes[];
  appData: number;
}

/** Replays `bytes` (then EOF) to a fresh deterministic client and reads until it stops. */
async function replay(bytes: Bytes): Promise<Outcome> {
  keylog.length = 0;
  ctx.provider = replayProvider(defaultProvider, shares, CLIENT_SEED);
  const incoming = new MemoryBIO();
  const outgoing = new MemoryBIO();
  incoming.write(bytes);
  incoming.writeEof();
  const client = ctx.wrapBio(incoming, outgoing, { serverHostname: "localhost" });
  const clientBytes: Bytes[] = [];
  let appData = 0;
  const run = (async (): Promise<Outcome> => {
    try {
      await client.doHandshake();
      // Bounded: each read consumes a record or fails; a closed connection reads empty.
      for (let i = 0; i < 64; i++) {
        const data = await client.read();
        if (data.byteLength === 0) return { kind: "closed", clientBytes, appData };
        appData += data.byteLength;
      }
      return { kind: "closed", clientBytes, appData };
    } catch (error) {
      return { kind: "error", error, clientBytes, appData };
    } finally {
      clientBytes.push(outgoing.read());
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((res) => {
    timer = setTimeout(() => res({ kind: "timeout", clientBytes, appData }), PER_CASE_MS);
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A deep copy of a flight. */
function clone(f: Flight): Flight {
  const items = (xs: FlightItem[]) => xs.map((i) => ({ type: i.type, data: i.data.slice() }));
  return {
    ...f,
    serverHello: f.serverHello.slice(),
    handshake: items(f.handshake),
    application: items(f.application),
  };
}

/** The handshake-message slots of a flight a mutation may target. */
type Slot = { get(): Bytes; set(b: Bytes): void; name: string };

function slots(f: Flight): Slot[] {
  const out: Slot[] = [{
    name: "ServerHello",
    get: () => f.serverHello,
    set: (b) => void (f.serverHello = b),
  }];
  for (const [list, epoch] of [[f.handshake, "hs"], [f.application, "app"]] as const) {
    list.forEach((item, i) => {
      out.push({
        name: `${epoch}[${i}] ${H[item.data[0]] ?? item.type}`,
        get: () => list[i].data,
        set: (b) => void (list[i].data = b),
      });
    });
  }
  return out;
}

function setHandshakeLength(m: Bytes, len: number): void {
  m[1] = len >>> 16;
  m[2] = len >>> 8;
  m[3] = len;
}

/** Mutations of the message model; each changes `f` and says what it did. */
const MODEL_MUTATIONS: Array<(f: Flight, r: Prng) => string> = [
  (f, r) => {
    const s = r.pick(slots(f));
    const b = s.get().slice();
    const bit = r.below(b.byteLength * 8);
    b[bit >> 3] ^= 1 << (bit & 7);
    s.set(b);
    return `flip bit ${bit} of ${s.name}`;
  },
  (f, r) => {
    const s = r.pick(slots(f));
    const b = s.get().slice();
    const at = r.below(b.byteLength);
    b[at] = r.pick([0, 0xff, 0x80, 1, r.below(256)]);
    s.set(b);
    return `set byte ${at} of ${s.name} to ${b[at]}`;
  },
  (f, r) => {
    // Nudge what is probably a length field: a u8, u16 or u24 at a random offset, by ±1 or to
    // an extreme.
    const s = r.pick(slots(f));
    const b = s.get().slice();
    const width = r.pick([1, 2, 3]);
    const at = r.below(Math.max(1, b.byteLength - width));
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + (b[at + i] ?? 0);
    const max = 256 ** width - 1;
    v = r.pick([v + 1, v - 1, 0, max, v * 2]) & max;
    for (let i = width - 1; i >= 0; i--, v = Math.floor(v / 256)) b[at + i] = v & 0xff;
    s.set(b);
    return `u${width * 8} at ${at} of ${s.name} nudged`;
  },
  (f, r) => {
    const s = r.pick(slots(f));
    const b = s.get();
    const len = 4 + r.below(Math.max(1, b.byteLength - 4));
    const cut = b.slice(0, len);
    if (r.below(2)) setHandshakeLength(cut, len - 4);
    s.set(cut);
    return `truncate ${s.name} to ${len}`;
  },
  (f, r) => {
    const s = r.pick(slots(f));
    const extra = r.bytes(1 + r.below(16));
    const b = concat(s.get(), extra);
    if (r.below(2)) setHandshakeLength(b, b.byteLength - 4);
    s.set(b);
    return `append ${extra.byteLength} bytes to ${s.name}`;
  },
  (f, r) => {
    const s = r.pick(slots(f));
    const b = s.get().slice();
    b[0] = r.pick([0, 1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 254, r.below(256)]);
    s.set(b);
    return `handshake type of ${s.name} -> ${b[0]}`;
  },
  (f, r) => {
    const list = r.below(2) ? f.handshake : f.application;
    if (list.length === 0) return "nothing to drop";
    const i = r.below(list.length);
    list.splice(i, 1);
    return `drop item ${i}`;
  },
  (f, r) => {
    const list = r.below(2) ? f.handshake : f.application;
    if (list.length === 0) return "nothing to duplicate";
    const i = r.below(list.length);
    list.splice(i, 0, { ...list[i] });
    return `duplicate item ${i}`;
  },
  (f, r) => {
    const list = f.handshake;
    const i = r.below(list.length - 1);
    [list[i], list[i + 1]] = [list[i + 1], list[i]];
    return `swap handshake items ${i} and ${i + 1}`;
  },
  (f, r) => {
    const list = r.below(2) ? f.handshake : f.application;
    if (list.length === 0) return "no item to retype";
    const i = r.below(list.length);
    list[i] = { ...list[i], type: r.pick([0, 20, 21, 22, 23, 24, r.below(256)]) };
    return `content type of item ${i} -> ${list[i].type}`;
  },
  (f, r) => {
    const list = r.below(2) ? f.handshake : f.application;
    const at = r.below(list.length + 1);
    list.splice(at, 0, { type: ContentType.handshake, data: r.bytes(1 + r.below(64)) });
    return `insert a garbage message at ${at}`;
  },
  (f) => {
    f.ccs = f.ccs ? 0 : 5;
    return `compat CCS count -> ${f.ccs}`;
  },
];

/** Mutations of the raw byte stream. */
const STREAM_MUTATIONS: Array<(b: Bytes, r: Prng) => [Bytes, string]> = [
  (b, r) => {
    const out = b.slice();
    const bit = r.below(out.byteLength * 8);
    out[bit >> 3] ^= 1 << (bit & 7);
    return [out, `stream bit ${bit} flipped`];
  },
  (b, r) => {
    const n = r.below(b.byteLength);
    return [b.slice(0, n), `stream cut at ${n}`];
  },
  (b, r) => {
    const at = r.below(b.byteLength);
    const extra = r.bytes(1 + r.below(32));
    return [concat(b.subarray(0, at), extra, b.subarray(at)), `${extra.byteLength} bytes at ${at}`];
  },
  (b, r) => {
    const at = r.below(b.byteLength);
    const n = 1 + r.below(64);
    return [concat(b.subarray(0, at), b.subarray(at + n)), `${n} bytes removed at ${at}`];
  },
];

function chunking(r: Prng): Chunking {
  switch (r.below(4)) {
    case 0:
      return "one-record";
    case 1:
      return "per-message";
    default:
      return Array.from({ length: 64 }, () => 1 + r.below(r.below(2) ? 8 : 600));
  }
}

/** Reasons for a stream that does not start like TLS (no alert is sent). */
const NOT_TLS = new Set(["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST"]);

/** OpenSSL names a received alert SSLV3_ALERT_*, TLSV1_ALERT_* or TLSV13_ALERT_*. */
function isReceivedAlert(e: SSLError): boolean {
  return /^(SSLV3|TLSV1|TLSV13)_ALERT_/.test(e.reason);
}

describe("fuzz: mutations of a recorded OpenSSL flight", { timeout: 300_000 }, () => {
  it("the unmutated recording replays to a complete handshake (control)", async () => {
    const bytes = await encodeFlight(recorded);
    const out = await replay(bytes);
    assert.equal(out.kind, "error");
    assert.ok(out.error instanceof SSLEOFError, `replay failed: ${String(out.error)}`);
    assert.equal(out.appData, 5, "the echoed ping was read");
    // Resealing under other record boundaries changes nothing either.
    const again = await replay(await encodeFlight(recorded, "per-message"));
    assert.equal(again.appData, 5, `per-message replay failed: ${String(again.error)}`);
  });

  it(`${CASES} mutated flights each end in a typed SSLError, in bounded time`, async () => {
    const rng = new Prng(SEED);
    const reasons = new Map<string, number>();
    const original = await encodeFlight(recorded);
    for (let n = 0; n < CASES; n++) {
      const what: string[] = [];
      let bytes: Bytes;
      if (rng.below(10) < 7) {
        const f = clone(recorded);
        const rounds = 1 + (rng.below(4) === 0 ? rng.below(3) : 0);
        for (let i = 0; i < rounds; i++) what.push(rng.pick(MODEL_MUTATIONS)(f, rng));
        const c = chunking(rng);
        what.push(typeof c === "string" ? c : "random record sizes");
        bytes = await encodeFlight(f, c);
      } else {
        const [b, d] = rng.pick(STREAM_MUTATIONS)(original, rng);
        bytes = b;
        what.push(d);
      }
      const label = `seed ${SEED} case ${n}: ${what.join("; ")}`;
      const out = await replay(bytes);
      assert.notEqual(out.kind, "timeout", `${label}: no outcome within ${PER_CASE_MS} ms`);
      if (out.kind === "closed") {
        // A mutation that left the stream valid and ends in close_notify: not an error, and
        // only possible when nothing the client checks was touched.
        reasons.set("clean close", (reasons.get("clean close") ?? 0) + 1);
        continue;
      }
      const e = out.error;
      if (!(e instanceof SSLError)) {
        assert.fail(`${label}: threw ${e instanceof Error ? e.stack : String(e)}`);
      }
      assert.notEqual(e.reason, "INTERNAL_ERROR", `${label}: ${String(e.cause)}`);
      reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
      const alerts = await clientAlerts(out.clientBytes, [bytes], keylog);
      // As OpenSSL does, a stream whose first record is not TLS-shaped (major version not 3)
      // is refused without an alert: whoever sent it could not read one.
      const notTls = bytes.byteLength >= 2 && bytes[1] !== 3;
      if (notTls) {
        assert.ok(NOT_TLS.has(e.reason), `${label}: ${e.reason} for a stream that is not TLS`);
      }
      if (e instanceof SSLEOFError || isReceivedAlert(e) || notTls) {
        assert.deepEqual(alerts, [], `${label}: no alert after EOF, the peer's alert, or non-TLS`);
      } else {
        assert.equal(alerts.length, 1, `${label}: ${e.reason} must send one alert`);
        assert.equal(alerts[0].level, 2, `${label}: the alert is fatal`);
      }
    }
    // The mutations must reach past the record layer into the message parsers and checks.
    const distinct = [...reasons.keys()];
    assert.ok(distinct.length >= 8, `too few distinct outcomes: ${distinct.join(", ")}`);
    assert.ok(
      distinct.some((r) => r === "DECODE_ERROR" || r.includes("LENGTH") || r === "BAD_LENGTH"),
      `no decode errors among ${distinct.join(", ")}`,
    );
  });
});
