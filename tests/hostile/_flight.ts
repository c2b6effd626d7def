/**
 * A recorded server flight that can be replayed to a fresh client: a client whose randomness
 * and key share are fixed (`replayProvider`) sends the same ClientHello every time, so the
 * server's recorded answer decrypts and verifies again. The flight is kept as messages (decrypted
 * with the client's key log) so a fuzzer can mutate plaintext and seal it again under the same
 * server traffic keys, reaching the message parsers behind the record protection.
 */
import { type Bytes, concat, fromHex, toHex } from "../../src/_bytes.ts";
import { ContentType, HandshakeType as H } from "../../src/constants.ts";
import type { CryptoProvider, KeyShare } from "../../src/crypto/provider.ts";
import { type CipherSuite, suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { decodeServerHello } from "../../src/messages/server_hello.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import { ApplicationTrafficSecret, HandshakeTrafficSecret } from "../../src/tls13/key_schedule.ts";
import { record, splitRecords } from "./_mitm.ts";

/** A small seeded PRNG (mulberry32): the same seed gives the same cases on every runtime. */
export class Prng {
  #s: number;
  /** @param seed any 32-bit integer */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A uniform 32-bit integer. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  /** `n` pseudo-random bytes. */
  bytes(n: number): Bytes {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

/**
 * A provider identical to `base` except that its randomness is a fixed stream and its key
 * shares are the given ones: a client using it sends the same ClientHello every time. A new
 * provider must be made per connection (the stream restarts).
 */
export function replayProvider(
  base: CryptoProvider,
  shares: ReadonlyMap<number, KeyShare>,
  seed: number,
): CryptoProvider {
  const prng = new Prng(seed);
  return new Proxy(base, {
    get(target, prop) {
      if (prop === "random") return (n: number) => prng.bytes(n);
      if (prop === "generateKeyShare") {
        return (group: number) => {
          const share = shares.get(group);
          return share ? Promise.resolve(share) : target.generateKeyShare(group);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** One protected item of the flight. */
export interface FlightItem {
  /** The true content type. */
  type: ContentType;
  /** The content: one whole handshake message, or application data. */
  data: Bytes;
}

/** A server flight as messages, with the keys to seal it again. */
export interface Flight {
  /** The suite (from the ServerHello). */
  suite: CipherSuite;
  /** The framed ServerHello, sent in plaintext. */
  serverHello: Bytes;
  /** The compatibility change_cipher_spec records seen before the protected part. */
  ccs: number;
  /** Messages under the server handshake traffic key (EE, Certificate, CV, Finished). */
  handshake: FlightItem[];
  /** Items under the server application traffic key (tickets, echoed data). */
  application: FlightItem[];
  /** Server handshake and application traffic secrets, from the key log. */
  secrets: { handshake: Bytes; application: Bytes };
}

/** Splits the content of handshake records into whole messages. */
function messages(data: Bytes): Bytes[] {
  const out: Bytes[] = [];
  for (let off = 0; off + 4 <= data.byteLength;) {
    const len = (data[off + 1] << 16) | (data[off + 2] << 8) | data[off + 3];
    out.push(data.slice(off, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

/** Decodes a recorded server stream with the client's key log into a {@link Flight}. */
export async function decodeFlight(
  serverStream: Uint8Array,
  keylog: readonly string[],
  clientRandom: Bytes,
): Promise<Flight> {
  const secrets = new Map<string, Bytes>();
  for (const line of keylog) {
    const [label, random, secret] = line.split(" ");
    if (random === toHex(clientRandom)) secrets.set(label, fromHex(secret));
  }
  const hsSecret = secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET");
  const apSecret = secrets.get("SERVER_TRAFFIC_SECRET_0");
  if (!hsSecret || !apSecret) throw new Error("the key log lacks the server secrets");
  const records = splitRecords(serverStream);
  const sh = records[0];
  if (sh.type !== ContentType.handshake || sh.body[0] !== H.server_hello) {
    throw new Error("the recording does not start with a ServerHello record");
  }
  const suite = suiteById(decodeServerHello(sh.body.subarray(4)).cipherSuite)!;
  const flight: Flight = {
    suite,
    serverHello: sh.body.slice(),
    ccs: 0,
    handshake: [],
    application: [],
    secrets: { handshake: hsSecret, application: apSecret },
  };
  const open = async (secret: Bytes, app: boolean) =>
    RecordProtection13.create(
      defaultProvider,
      suite,
      await (app
        ? new ApplicationTrafficSecret(defaultProvider, suite.hash, secret)
        : new HandshakeTrafficSecret(defaultProvider, suite.hash, secret)).keys(suite),
    );
  let reader = await open(hsSecret, false);
  let inApplication = false;
  let pending: Bytes[] = [];
  for (const rec of records.slice(1)) {
    if (rec.type === ContentType.change_cipher_spec) {
      flight.ccs++;
      continue;
    }
    const { type, data } = await reader.open({
      type: rec.type,
      version: rec.version,
      fragment: rec.body,
      header: rec.raw.subarray(0, 5),
    });
    if (!inApplication) {
      pending.push(data);
      const msgs = messages(concat(...pending));
      const done = msgs.some((m) => m[0] === H.finished);
      if (done) {
        flight.handshake = msgs.map((m) => ({ type: ContentType.handshake, data: m }));
        pending = [];
        inApplication = true;
        reader = await open(apSecret, true);
      }
      continue;
    }
    if (type === ContentType.handshake) {
      for (const m of messages(data)) flight.application.push({ type, data: m });
    } else {
      flight.application.push({ type, data: data.slice() });
    }
  }
  return flight;
}

/** How to cut the protected handshake messages into records when sealing. */
export type Chunking = "one-record" | "per-message" | number[];

/**
 * Seals a flight again: the ServerHello in plaintext, the CCS records, the handshake items
 * under the server handshake key (cut into records per `chunking`, a list of record sizes
 * for arbitrary cuts), then each application item in its own record.
 */
export async function encodeFlight(
  flight: Flight,
  chunking: Chunking = "one-record",
): Promise<Bytes> {
  const out: Bytes[] = [record(ContentType.handshake, flight.serverHello)];
  for (let i = 0; i < flight.ccs; i++) {
    out.push(record(ContentType.change_cipher_spec, new Uint8Array([1])));
  }
  const suite = flight.suite;
  const hs = await RecordProtection13.create(
    defaultProvider,
    suite,
    await new HandshakeTrafficSecret(defaultProvider, suite.hash, flight.secrets.handshake).keys(
      suite,
    ),
  );
  // Items of other types inside the handshake epoch are sealed one per record, in place.
  let run: Bytes[] = [];
  const flushRun = async () => {
    if (run.length === 0) return;
    const all = concat(...run);
    const sizes = chunking === "one-record"
      ? [all.byteLength]
      : chunking === "per-message"
      ? run.map((m) => m.byteLength)
      : chunking;
    let off = 0;
    for (const size of sizes) {
      if (off >= all.byteLength) break;
      out.push(await hs.seal(ContentType.handshake, all.subarray(off, off + Math.max(1, size))));
      off += Math.max(1, size);
    }
    if (off < all.byteLength) out.push(await hs.seal(ContentType.handshake, all.subarray(off)));
    run = [];
  };
  for (const item of flight.handshake) {
    if (item.type === ContentType.handshake && item.data.byteLength > 0) {
      run.push(item.data);
    } else {
      await flushRun();
      out.push(await hs.seal(item.type, item.data.byteLength ? item.data : new Uint8Array([0])));
    }
  }
  await flushRun();
  const ap = await RecordProtection13.create(
    defaultProvider,
    suite,
    await new ApplicationTrafficSecret(defaultProvider, suite.hash, flight.secrets.application)
      .keys(suite),
  );
  for (const item of flight.application) {
    const data = item.data.byteLength || item.type === ContentType.application_data
      ? item.data
      : new Uint8Array([0]);
    out.push(await ap.seal(item.type, data));
  }
  return concat(...out);
}
