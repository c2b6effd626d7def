/**
 * The server side of the hostile-client tests: our TLS server behind `listen()` on 127.0.0.1,
 * echoing whatever each connection sends, with every failure recorded against the peer
 * address it came from (handshake failures through `onError`, later ones from the echo).
 * Alongside every hostile connection a healthy client (our own, through the public API) must
 * keep working: {@link alongsideHealthy} checks that a connection established before the
 * hostile one still echoes afterwards, and that a new one completes while it runs.
 */
import assert from "node:assert/strict";
import { Alert } from "../../src/alert.ts";
import { SSLError } from "../../src/errors.ts";
import { listen, type TLSListener } from "../../src/net/listen.ts";
import { openTcp } from "../../src/net/tcp.ts";
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from "../../src/ssl/constants.ts";
import { SSLContext } from "../../src/ssl/context.ts";
import type { SSLSocket } from "../../src/ssl/socket.ts";
import type { LeafName, Pki } from "../interop/_peers.ts";
import { type ReceivedAlert, ScriptedClient } from "./_scripted_client.ts";

/** A failure on one server-side connection. */
export interface ServerFailure {
  /** `host:port` of the client. */
  peer: string;
  error: unknown;
  /** During the handshake (`listen()`'s onError) or after it (the echo). */
  phase: "handshake" | "connected";
}

/** A running server. */
export interface HostileServer {
  port: number;
  context: SSLContext;
  readonly failures: ServerFailure[];
  /** Connections whose handshake completed. */
  readonly accepted: SSLSocket[];
  /**
   * The failure of the connection from local port `clientPort`, among those recorded from
   * index `since` on (`failures.length` taken before connecting: the kernel reuses ports).
   * It must be an `SSLError` (never an internal error) and arrive within `ms`.
   */
  failureOf(
    clientPort: number,
    since: number,
    ms?: number,
  ): Promise<ServerFailure & { error: SSLError }>;
  close(): Promise<void>;
}

/** Options of {@link startHostileServer}. */
export interface HostileServerOptions {
  leaf?: LeafName;
  /** `listen()`'s handshake timeout (default 10 s). */
  handshakeTimeout?: number;
  /** Adjusts the context (verifyMode, CA for client certificates, tickets, …). */
  configure?: (ctx: SSLContext) => void | Promise<void>;
}

/** Starts our server on a free port of 127.0.0.1. */
export async function startHostileServer(
  pki: Pki,
  opts: HostileServerOptions = {},
): Promise<HostileServer> {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  const leaf = pki.leaves[opts.leaf ?? "ecdsaP256"];
  await ctx.loadCertChain(leaf.chainFile, leaf.keyFile);
  await opts.configure?.(ctx);
  const failures: ServerFailure[] = [];
  const accepted: SSLSocket[] = [];
  const listener: TLSListener = await listen({
    context: ctx,
    port: 0,
    handshakeTimeout: opts.handshakeTimeout ?? 10_000,
    onError: (error, peer) => failures.push({ peer, error, phase: "handshake" }),
  });
  const loop = (async () => {
    for await (const sock of listener) {
      accepted.push(sock);
      sock.readable.pipeTo(sock.writable).then(
        // The client closed: so do we (the echo only half-closed with close_notify).
        () => sock.close(),
        (error) => failures.push({ peer: sock.peer ?? "?", error, phase: "connected" }),
      );
    }
  })();
  return {
    port: listener.port,
    context: ctx,
    failures,
    accepted,
    async failureOf(clientPort, since, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const f = failures.slice(since).find((f) => f.peer.endsWith(`:${clientPort}`));
        if (f) {
          const e = f.error;
          if (!(e instanceof SSLError)) {
            assert.fail(
              `the server failed with a non-SSLError: ${e instanceof Error ? e.stack : e}`,
            );
          }
          assert.notEqual(e.reason, "INTERNAL_ERROR", `server internal error: ${String(e.cause)}`);
          return f as ServerFailure & { error: SSLError };
        }
        if (Date.now() > deadline) {
          assert.fail(
            `no server-side failure for client port ${clientPort} within ${ms} ms; seen: ` +
              failures.map((f) => `${f.peer} ${String(f.error)}`).join("; "),
          );
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      // Connections first: Node's server.close() waits for every connection to end.
      await Promise.allSettled(accepted.map((s) => s.close()));
      await listener.close();
      await loop;
    },
  };
}

/** Our client, trusting the test PKI. */
export async function healthyContext(pki: Pki): Promise<SSLContext> {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  await ctx.loadVerifyLocations({ cadata: pki.caPem });
  return ctx;
}

/** A healthy TLS connection to the server. */
export async function healthyConnect(ctx: SSLContext, port: number): Promise<SSLSocket> {
  const transport = await openTcp("127.0.0.1", port);
  return await ctx.wrapSocket(transport, { serverHostname: "localhost", handshakeTimeout: 15_000 });
}

/** Sends `text` and checks it comes back. */
export async function echoes(sock: SSLSocket, text: string): Promise<void> {
  const sent = new TextEncoder().encode(text);
  await sock.write(sent);
  let got = "";
  const decoder = new TextDecoder();
  while (got.length < text.length) {
    const chunk = await sock.read();
    if (chunk.byteLength === 0) break;
    got += decoder.decode(chunk, { stream: true });
  }
  assert.equal(got, text, "the healthy connection's echo");
}

/**
 * Runs `hostile` while healthy clients use the same server: one connected before it (it must
 * still echo afterwards) and one connecting while it runs (it must complete and echo).
 */
export async function alongsideHealthy<T>(
  server: HostileServer,
  ctx: SSLContext,
  hostile: () => Promise<T>,
): Promise<T> {
  const before = await healthyConnect(ctx, server.port);
  await echoes(before, "before\n");
  const during = (async () => {
    const sock = await healthyConnect(ctx, server.port);
    try {
      await echoes(sock, "during\n");
    } finally {
      await sock.close();
    }
  })();
  const outcome = await hostile().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (!outcome.ok) {
    // The hostile case's own failure is the one to report.
    await Promise.allSettled([during, before.close()]);
    throw outcome.error;
  }
  await during;
  await echoes(before, "after\n");
  await before.close();
  return outcome.value;
}

/** The alert and the server-side error of one hostile connection. */
export interface Outcome {
  /** The alert the server sent, if any. */
  alert: ReceivedAlert | undefined;
  /** The reason of the SSLError the server failed the connection with. */
  reason: string;
  error: SSLError;
}

/**
 * Runs `script` on a fresh scripted connection to `server` alongside healthy clients, then
 * reads the alert the server sent, its failure, and checks it closed the connection.
 */
export function runHostile(
  server: HostileServer,
  healthy: SSLContext,
  script: (c: ScriptedClient) => Promise<void>,
): Promise<Outcome> {
  return alongsideHealthy(server, healthy, async () => {
    const since = server.failures.length;
    const c = await ScriptedClient.connect(server.port);
    try {
      await script(c);
      const alert = await c.readAlert();
      const failure = await server.failureOf(c.wire.localPort, since);
      // After a fatal alert (or without one) the server closes the connection.
      await c.closed();
      return { alert, reason: failure.error.reason, error: failure.error };
    } finally {
      c.close();
    }
  });
}

/** Asserts one fatal `alert` (protected or not, when said) and the server's reason. */
export function expectAlert(
  o: Outcome,
  alert: Alert,
  reason?: string,
  protectedAlert?: boolean,
): void {
  assert.ok(o.alert, `expected a ${Alert[alert]} alert, got none (server: ${o.error.message})`);
  assert.equal(
    Alert[o.alert.description] ?? o.alert.description,
    Alert[alert],
    `server: ${o.error.message}`,
  );
  assert.equal(o.alert.level, 2, "the alert is fatal");
  if (protectedAlert !== undefined) {
    assert.equal(o.alert.protected, protectedAlert, "protected (after the ServerHello) or not");
  }
  if (reason) assert.equal(o.reason, reason);
}
