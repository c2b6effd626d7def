/**
 * Which alerts did the client send? Reads the client→server byte stream: plaintext alert
 * records as they are, protected records by decrypting them with the client's own NSS key log
 * lines (`ctx.onKeylog`) through the library's key schedule and record protection — first
 * under CLIENT_HANDSHAKE_TRAFFIC_SECRET, after the client's Finished under
 * CLIENT_TRAFFIC_SECRET_0 (and the next secret after each KeyUpdate the client sent).
 */
import assert from "node:assert/strict";
import { type Bytes, concat, fromHex, toHex } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ContentType, HandshakeType } from "../../src/constants.ts";
import { suiteById } from "../../src/crypto/suites.ts";
import { defaultProvider } from "../../src/crypto/webcrypto.ts";
import { decodeServerHello, isHelloRetryRequest } from "../../src/messages/server_hello.ts";
import { RecordProtection13 } from "../../src/record/protection13.ts";
import {
  ApplicationTrafficSecret,
  HandshakeTrafficSecret,
  type TrafficSecret,
} from "../../src/tls13/key_schedule.ts";
import { splitRecords } from "./_mitm.ts";

/** One alert the client sent. */
export interface SentAlert {
  /** 1 warning, 2 fatal. */
  level: number;
  /** The AlertDescription. */
  description: number;
  /** True when it travelled in a protected record. */
  protected: boolean;
}

/** The secrets of one connection in a key log, by label. */
function secretsFor(keylog: readonly string[], clientRandom: Bytes): Map<string, Bytes> {
  const want = toHex(clientRandom);
  const out = new Map<string, Bytes>();
  for (const line of keylog) {
    const [label, random, secret] = line.trim().split(/\s+/);
    if (random === want && secret) out.set(label, fromHex(secret));
  }
  return out;
}

/** ClientHello.random of the first ClientHello in a client stream. */
function clientRandomOf(clientStream: Uint8Array): Bytes | undefined {
  const first = splitRecords(clientStream).find((r) => r.type === ContentType.handshake);
  if (!first || first.body[0] !== HandshakeType.client_hello) return undefined;
  return first.body.slice(4 + 2, 4 + 2 + 32);
}

/** The cipher suite of the (last) ServerHello in a server stream, if one parses. */
function serverSuiteOf(serverStream: Uint8Array): number | undefined {
  let suite: number | undefined;
  for (const rec of splitRecords(serverStream)) {
    if (rec.type !== ContentType.handshake || rec.body[0] !== HandshakeType.server_hello) continue;
    try {
      const len = (rec.body[1] << 16) | (rec.body[2] << 8) | rec.body[3];
      const sh = decodeServerHello(rec.body.subarray(4, 4 + len));
      if (!isHelloRetryRequest(sh)) suite = sh.cipherSuite;
    } catch {
      // A tampered ServerHello the client could not parse either: it encrypted nothing.
    }
  }
  return suite;
}

/**
 * The alerts in `clientBytes` (everything the client sent), decrypting protected records with
 * the client's key log; `serverBytes` (what the client received) tells the suite.
 */
export async function clientAlerts(
  clientBytes: readonly Uint8Array[],
  serverBytes: readonly Uint8Array[],
  keylog: readonly string[],
): Promise<SentAlert[]> {
  const clientStream = concat(...clientBytes);
  const alerts: SentAlert[] = [];
  const random = clientRandomOf(clientStream);
  const secrets = random ? secretsFor(keylog, random) : new Map<string, Bytes>();
  const suiteId = serverSuiteOf(concat(...serverBytes));
  const suite = suiteId === undefined ? undefined : suiteById(suiteId);

  // The epochs a client writes in, in order; each gets its own record protection (and so its
  // own sequence numbers).
  let epoch: { secret: TrafficSecret; prot: RecordProtection13 } | undefined;
  let stage: "handshake" | "application" = "handshake";
  const open = async (secret: TrafficSecret) => {
    if (!suite) throw new Error("protected client record but no ServerHello suite");
    epoch = {
      secret,
      prot: await RecordProtection13.create(defaultProvider, suite, await secret.keys(suite)),
    };
  };

  for (const rec of splitRecords(clientStream)) {
    if (rec.type === ContentType.alert) {
      assert.equal(rec.body.byteLength, 2, "a plaintext alert record holds one alert");
      alerts.push({ level: rec.body[0], description: rec.body[1], protected: false });
      continue;
    }
    if (rec.type !== ContentType.application_data) continue;
    if (!epoch) {
      const hs = secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET");
      if (!hs || !suite) throw new Error("protected client record without key log secrets");
      await open(new HandshakeTrafficSecret(defaultProvider, suite.hash, hs));
    }
    const { type, data } = await epoch!.prot.open({
      type: rec.type,
      version: rec.version,
      fragment: rec.body,
      header: rec.raw.subarray(0, 5),
    });
    if (type === ContentType.alert) {
      alerts.push({ level: data[0], description: data[1], protected: true });
    } else if (type === ContentType.handshake) {
      // Only whole messages per record are expected from our client; that is enough to see a
      // Finished (end of the handshake epoch) or a KeyUpdate (next application epoch).
      for (let off = 0; off + 4 <= data.byteLength;) {
        const msgType = data[off];
        off += 4 + ((data[off + 1] << 16) | (data[off + 2] << 8) | data[off + 3]);
        if (msgType === HandshakeType.finished && stage === "handshake") {
          const ap = secrets.get("CLIENT_TRAFFIC_SECRET_0");
          if (!ap) throw new Error("no CLIENT_TRAFFIC_SECRET_0 in the key log");
          stage = "application";
          await open(new ApplicationTrafficSecret(defaultProvider, suite!.hash, ap));
        } else if (msgType === HandshakeType.key_update && stage === "application") {
          await open(await (epoch!.secret as ApplicationTrafficSecret).next());
        }
      }
    }
  }
  return alerts;
}

/** The name of an alert description, for messages. */
export function alertName(description: number): string {
  return Alert[description] ?? `alert ${description}`;
}

/** Asserts the client sent exactly one alert: fatal, with `description`. */
export function assertSentAlert(alerts: readonly SentAlert[], description: Alert): void {
  assert.deepEqual(
    alerts.map((a) =>
      `${a.level === 2 ? "fatal" : `level ${a.level}`} ${alertName(a.description)}`
    ),
    [`fatal ${alertName(description)}`],
    `the client should have sent one fatal ${alertName(description)} alert`,
  );
}
