/**
 * What the hostile-input tests share: a client context trusting the test PKI with its key log
 * captured, a client connection through the tampering proxy, and the check that a failure is
 * a typed `SSLError` that arrived in bounded time.
 */
import assert from "node:assert/strict";
import { SSLError } from "../../src/errors.ts";
import { openTcp } from "../../src/net/tcp.ts";
import { PROTOCOL_TLS_CLIENT } from "../../src/ssl/constants.ts";
import { SSLContext } from "../../src/ssl/context.ts";
import type { SSLSocket, WrapSocketOptions } from "../../src/ssl/socket.ts";
import type { Pki } from "../interop/_peers.ts";

/** A client context and the key log lines it produced. */
export interface ClientSetup {
  ctx: SSLContext;
  keylog: string[];
}

/** A client context (TLS 1.2 and 1.3, hostname checks) trusting the PKI root, key log on. */
export async function clientSetup(pki: Pki): Promise<ClientSetup> {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  await ctx.loadVerifyLocations({ cadata: pki.caPem });
  const keylog: string[] = [];
  ctx.onKeylog = (line) => keylog.push(line);
  return { ctx, keylog };
}

/** Connects to 127.0.0.1:`port` as `localhost` (by default) and runs the handshake. */
export async function connectTo(
  ctx: SSLContext,
  port: number,
  options: WrapSocketOptions = {},
): Promise<SSLSocket> {
  const transport = await openTcp("127.0.0.1", port);
  return await ctx.wrapSocket(transport, {
    serverHostname: "localhost",
    ...options,
    handshakeTimeout: options.handshakeTimeout ?? 15_000,
  });
}

/**
 * Awaits `op`, which must reject with an `SSLError` (of class `cls` when given) within
 * `withinMs`. A library bug that surfaced as INTERNAL_ERROR (an unexpected exception turned
 * into an alert) fails the check too.
 */
export async function expectSSLError<E extends SSLError = SSLError>(
  op: Promise<unknown>,
  withinMs = 20_000,
  cls?: new (...args: never[]) => E,
): Promise<E> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    op.then(
      () => ({ kind: "resolved" as const }),
      (error: unknown) => ({ kind: "rejected" as const, error }),
    ),
    new Promise<{ kind: "timeout" }>((res) => {
      timer = setTimeout(() => res({ kind: "timeout" }), withinMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome.kind === "timeout") assert.fail(`no outcome within ${withinMs} ms (a hang)`);
  if (outcome.kind === "resolved") assert.fail("the operation succeeded; an SSLError was expected");
  const e = outcome.error;
  if (!(e instanceof SSLError)) {
    assert.fail(`expected an SSLError, got ${e instanceof Error ? e.stack : String(e)}`);
  }
  assert.notEqual(e.reason, "INTERNAL_ERROR", `internal error: ${String(e.cause)}`);
  if (cls) assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.name}: ${e.message}`);
  return e as E;
}
