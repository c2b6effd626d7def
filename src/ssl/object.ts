/**
 * `SSLObject`: a TLS connection over two `MemoryBIO`s, with no I/O of its own.
 * @module
 */
import { EMPTY } from "../_bytes.ts";
import { SSLWantReadError } from "../errors.ts";
import { SSLBase, type WrapOptions } from "./_base.ts";
import type { SSLContext } from "./context.ts";
import type { MemoryBIO } from "./memory_bio.ts";

/**
 * A TLS connection whose bytes move through memory buffers (Python's `ssl.SSLObject`), for
 * frameworks that do their own I/O. Every operation is non-blocking: when it needs bytes from
 * the peer it throws `SSLWantReadError`; after each call, send what `outgoing` holds.
 * Create it with `SSLContext.wrapBio()`.
 *
 * @example
 * ```ts
 * import { createDefaultContext, MemoryBIO, SSLWantReadError } from "@webtls/webtls";
 * const ctx = await createDefaultContext();
 * const incoming = new MemoryBIO(), outgoing = new MemoryBIO();
 * const tls = ctx.wrapBio(incoming, outgoing, { serverHostname: "example.com" });
 * try {
 *   await tls.doHandshake();
 * } catch (e) {
 *   if (!(e instanceof SSLWantReadError)) throw e;
 *   // send outgoing.read() to the server, write its answer into incoming, call again
 * }
 * ```
 */
export class SSLObject extends SSLBase {
  readonly #incoming: MemoryBIO;
  readonly #outgoing: MemoryBIO;

  /** @ignore Use `SSLContext.wrapBio()`. */
  constructor(context: SSLContext, incoming: MemoryBIO, outgoing: MemoryBIO, options: WrapOptions) {
    super(context, options);
    this.#incoming = incoming;
    this.#outgoing = outgoing;
  }

  /** Feeds the incoming BIO to the engine, processes, and drains what it produced. */
  async #step(): Promise<void> {
    const conn = await this._engine();
    const data = this.#incoming.read();
    conn.receive(data);
    if (this.#incoming.eof) conn.receiveEof();
    try {
      await conn.process();
    } finally {
      this.#outgoing.write(conn.takeOutgoing());
      this._drainEvents();
    }
  }

  /** @ignore */
  protected _afterAction(): Promise<void> {
    const conn = this._conn;
    if (conn) this.#outgoing.write(conn.takeOutgoing());
    this._drainEvents();
    return Promise.resolve();
  }

  /** Runs the handshake as far as the bytes in `incoming` allow; throws `SSLWantReadError` until done. */
  async doHandshake(): Promise<void> {
    await this.#step();
    if (!this._conn!.handshakeComplete) throw new SSLWantReadError();
    await this._keylogWritten();
  }

  /**
   * Reads up to `len` bytes of application data. Returns an empty array after the peer's
   * close_notify; throws `SSLWantReadError` when more bytes are needed and `SSLEOFError` when
   * `incoming` ended without close_notify.
   */
  async read(len = 1024): Promise<Uint8Array> {
    const conn = await this._engine();
    const ready = conn.readApplicationData(len);
    if (ready) return ready;
    await this.#step();
    const data = conn.readApplicationData(len);
    if (data) return data;
    if (conn.closeNotifyReceived) return EMPTY;
    if (this.#incoming.eof) throw conn.truncated();
    throw new SSLWantReadError();
  }

  /** Encrypts `data` into `outgoing`; returns its length. The handshake must be complete. */
  async write(data: Uint8Array): Promise<number> {
    const conn = await this._engine();
    if (!conn.handshakeComplete) await this.doHandshake();
    await conn.write(data);
    this.#outgoing.write(conn.takeOutgoing());
    return data.byteLength;
  }

  /**
   * Sends close_notify and processes the peer's; throws `SSLWantReadError` until it arrives
   * (Python's `SSLObject.unwrap()`).
   */
  async unwrap(): Promise<void> {
    const conn = await this._engine();
    await conn.close();
    this.#outgoing.write(conn.takeOutgoing());
    while (!conn.closeNotifyReceived) {
      if (this.#incoming.pending === 0) {
        if (this.#incoming.eof) throw conn.truncated();
        throw new SSLWantReadError();
      }
      await this.#step();
      conn.readApplicationData();
    }
  }
}
