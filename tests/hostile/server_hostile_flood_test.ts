// Hostile clients against our TLS 1.3 server that cost it time or memory rather than break a
// rule outright: floods of empty records and of KeyUpdates after the handshake (refused once
// past the engine's limits, RFC 8446 setting none), and clients that stop mid-handshake (the
// handshake timeout of listen() ends them while the listener keeps serving everyone else).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../../src/_bytes.ts";
import { Alert } from "../../src/alert.ts";
import { ContentType, HandshakeType as H } from "../../src/constants.ts";
import { Connection } from "../../src/engine/connection.ts";
import { SSLEOFError } from "../../src/errors.ts";
import { newInfo } from "../../src/engine/info.ts";
import { frameHandshake } from "../../src/messages/handshake.ts";
import type { SSLContext } from "../../src/ssl/context.ts";
import { startServer } from "../../src/tls13/server.ts";
import { makePki, type Pki } from "../interop/_peers.ts";
import {
  alongsideHealthy,
  echoes,
  expectAlert,
  healthyConnect,
  healthyContext,
  type HostileServer,
  runHostile,
  startHostileServer,
} from "./_hostile_server.ts";
import { handshake, ScriptedClient } from "./_scripted_client.ts";
import { engineWire } from "./_wire.ts";

const TIMEOUT = 120_000;
/** The engine's defaults (EngineLimits.maxEmptyRecords, maxKeyUpdates). */
const MAX_EMPTY_RECORDS = 32;
const MAX_KEY_UPDATES = 32;
/** listen()'s handshake timeout on the server that is left hanging. */
const HANDSHAKE_TIMEOUT_MS = 600;

let pki: Pki;
let server: HostileServer;
let slow: HostileServer;
let healthy: SSLContext;

before(async () => {
  pki = await makePki();
  server = await startHostileServer(pki);
  slow = await startHostileServer(pki, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  healthy = await healthyContext(pki);
});
after(async () => {
  await server.close();
  await slow.close();
});

const hostile = (script: (c: ScriptedClient) => Promise<void>) =>
  runHostile(server, healthy, script);

/** A server `Connection` of `server`'s context, driven in memory by a scripted client. */
async function inMemory(): Promise<
  { conn: Connection; c: ScriptedClient; settled(): Promise<void> }
> {
  const ctx = server.context;
  const conn = new Connection(
    "server",
    startServer(await ctx._serverConfig({ context: ctx })),
    newInfo(),
  );
  const wire = engineWire(conn);
  return { conn, c: new ScriptedClient(wire), settled: () => wire.settled() };
}

describe("hostile clients: floods after the handshake", { timeout: TIMEOUT }, () => {
  it("a flood of empty application-data records: unexpected_message after the limit", async () => {
    const o = await hostile(async (c) => {
      await handshake(c);
      // One write, so the server reads the flood as it comes and then refuses the rest.
      await c.flight(async () => {
        for (let i = 0; i < 2000; i++) await c.sendApplicationData(new Uint8Array(0));
      });
    });
    expectAlert(o, Alert.unexpected_message, "RECORD_TOO_SMALL", true);
  });

  it("empty records between data are fine (control)", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await handshake(c);
        await c.flight(async () => {
          for (let i = 0; i < 4 * MAX_EMPTY_RECORDS; i++) {
            await c.sendApplicationData(new Uint8Array(0));
            if (i % MAX_EMPTY_RECORDS === MAX_EMPTY_RECORDS - 1) {
              await c.sendApplicationData(new TextEncoder().encode("x"));
            }
          }
        });
        assert.equal(fromUtf8(await c.readApplicationData(4)), "xxxx");
      } finally {
        c.close();
      }
    });
  });

  it("empty records cost the engine no memory, and the one past the limit is refused", async () => {
    const { conn, c, settled } = await inMemory();
    await handshake(c);
    await settled();
    assert.equal(conn.handshakeComplete, true);
    for (let i = 1; i <= MAX_EMPTY_RECORDS + 1; i++) {
      await c.sendApplicationData(new Uint8Array(0));
      await settled();
      assert.equal(conn.pendingApplicationData, 0, "nothing is queued for an empty record");
      assert.equal(conn.bufferedIncoming, 0, "the record was consumed, not buffered");
      if (i <= MAX_EMPTY_RECORDS) assert.equal(conn.error, undefined, `record ${i} is tolerated`);
    }
    assert.equal(conn.error?.reason, "RECORD_TOO_SMALL");
    const alert = await c.readAlert();
    assert.equal(alert?.description, Alert.unexpected_message);
  });

  for (const requestUpdate of [false, true]) {
    it(`a flood of KeyUpdates (update_requested ${requestUpdate}): unexpected_message`, async () => {
      const o = await hostile(async (c) => {
        await handshake(c);
        await c.flight(async () => {
          for (let i = 0; i < 200; i++) await c.sendKeyUpdate(requestUpdate);
        });
      });
      expectAlert(o, Alert.unexpected_message, "TOO_MANY_KEY_UPDATES", true);
    });
  }

  it("KeyUpdates cost the engine no memory, and the one past the limit is refused", async () => {
    const { conn, c, settled } = await inMemory();
    await handshake(c);
    await settled();
    let answered = 0;
    for (let i = 1; i <= MAX_KEY_UPDATES + 1; i++) {
      await c.sendKeyUpdate(true);
      await settled();
      assert.equal(conn.bufferedIncoming, 0);
      if (i <= MAX_KEY_UPDATES) assert.equal(conn.error, undefined, `KeyUpdate ${i} is accepted`);
    }
    assert.equal(conn.error?.reason, "TOO_MANY_KEY_UPDATES");
    // Every accepted update_requested was answered with the server's own KeyUpdate, which the
    // scripted client followed to read the final alert.
    for (;;) {
      const ev = await c.next();
      if (ev.kind === "handshake" && ev.msg.type === H.key_update) answered++;
      if (ev.kind === "alert") {
        assert.equal(ev.description, Alert.unexpected_message);
        break;
      }
      assert.notEqual(ev.kind, "eof", "the connection ended without an alert");
    }
    assert.equal(answered, MAX_KEY_UPDATES);
  });

  it("KeyUpdates between data are fine (control)", async () => {
    await alongsideHealthy(server, healthy, async () => {
      const c = await ScriptedClient.connect(server.port);
      try {
        await handshake(c);
        await c.flight(async () => {
          for (let i = 0; i < 3 * MAX_KEY_UPDATES; i++) {
            await c.sendKeyUpdate(false);
            await c.sendApplicationData(new TextEncoder().encode("k"));
          }
        });
        assert.equal(fromUtf8(await c.readApplicationData(3 * MAX_KEY_UPDATES)).length, 96);
      } finally {
        c.close();
      }
    });
  });
});

describe("hostile clients: stalling mid-handshake", { timeout: TIMEOUT }, () => {
  /**
   * Runs `stall` (a client that stops), and checks the server gives up with HANDSHAKE_TIMEOUT
   * and closes the connection in bounded time while healthy clients go on being served.
   */
  async function stalls(stall: (c: ScriptedClient) => Promise<void>): Promise<void> {
    await alongsideHealthy(slow, healthy, async () => {
      const since = slow.failures.length;
      const c = await ScriptedClient.connect(slow.port);
      try {
        const started = Date.now();
        await stall(c);
        // Healthy connections complete while this one hangs.
        const other = await healthyConnect(healthy, slow.port);
        await echoes(other, "meanwhile\n");
        await other.close();
        const failure = await slow.failureOf(c.wire.localPort, since, 10 * HANDSHAKE_TIMEOUT_MS);
        assert.equal(failure.error.reason, "HANDSHAKE_TIMEOUT");
        await c.closed(5000);
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= HANDSHAKE_TIMEOUT_MS * 0.9, `gave up after ${elapsed} ms`);
        assert.ok(elapsed < HANDSHAKE_TIMEOUT_MS + 5000, `gave up only after ${elapsed} ms`);
      } finally {
        c.close();
      }
    });
  }

  it("a client that connects and sends nothing", () => stalls(() => Promise.resolve()));

  it("a client that half-closes mid-handshake: an EOF error at once, not a timeout", async () => {
    await alongsideHealthy(slow, healthy, async () => {
      const since = slow.failures.length;
      const c = await ScriptedClient.connect(slow.port);
      try {
        await c.sendHandshake(await c.clientHello());
        await c.readFlight();
        c.wire.end();
        const failure = await slow.failureOf(c.wire.localPort, since);
        // An SSLEOFError, not the HANDSHAKE_TIMEOUT that a silent client gets.
        assert.ok(failure.error instanceof SSLEOFError, String(failure.error));
        // Nothing to say to a peer that left: the server just closes (OpenSSL does the same).
        assert.equal(await c.readAlert(), undefined);
      } finally {
        c.close();
      }
    });
  });

  it("a client that stops inside its ClientHello record", () =>
    stalls(async (c) => {
      const ch = await c.clientHello();
      c.sendRaw(
        Uint8Array.of(ContentType.handshake, 3, 1, ch.raw.byteLength >> 8, ch.raw.byteLength)
          .slice(),
      );
      c.sendRaw(ch.raw.subarray(0, 30));
    }));

  it("a client that stops after the server's flight", () =>
    stalls(async (c) => {
      await c.sendHandshake(await c.clientHello());
      await c.readFlight();
    }));

  it("a client that stops inside its Finished", () =>
    stalls(async (c) => {
      await c.sendHandshake(await c.clientHello());
      await c.readFlight();
      // The Finished message's header only: the rest never comes.
      await c.sendProtected(
        ContentType.handshake,
        frameHandshake(H.finished, new Uint8Array(32)).raw.subarray(0, 4),
      );
    }));
});
