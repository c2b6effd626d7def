/**
 * `SSLSocket`: a TLS connection over a transport of Web Streams, read and written as Web
 * Streams of plaintext.
 * @module
 */
import { type Bytes, EMPTY } from "../_bytes.ts";
import { SSLError, SSLSyscallError } from "../errors.ts";
import { SSLBase, type WrapOptions } from "./_base.ts";
import type { SSLContext } from "./context.ts";

/**
 * A byte transport: a TCP socket from Deno, Bun, Node or Cloudflare's `connect()`, a
 * WebSocket stream, or any pair of Web Streams.
 */
export interface Transport {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** Closes the transport entirely (optional; otherwise the streams are closed). */
  close?(): void | Promise<void>;
  /** The peer's address (`host:port`), for logs. */
  readonly peer?: string;
}

/** Options of `SSLContext.wrapSocket()`. */
export interface WrapSocketOptions extends WrapOptions {
  /** Complete the handshake before `wrapSocket` resolves (default true). */
  doHandshakeOnConnect?: boolean;
  /** Treat a transport EOF without close_notify as end of data (default true, as Python). */
  suppressRaggedEofs?: boolean;
  /** Abort a handshake that takes longer than this many milliseconds. */
  handshakeTimeout?: number;
}

/** What one `read()` returns at most by default, and what the readable stream asks for. */
const READ_SIZE = 256 * 1024;

/**
 * A TLS connection over a transport (Python's `ssl.SSLSocket`). Read and write it with
 * `read()`/`write()` or as Web Streams through `readable`/`writable`. Create it with
 * `SSLContext.wrapSocket()` or the `connect()` helper.
 *
 * @example
 * ```ts
 * import { createDefaultContext } from "@webtls/webtls";
 * const tcp = await Deno.connect({ hostname: "example.com", port: 443 });
 * const ctx = await createDefaultContext();
 * const tls = await ctx.wrapSocket(tcp, { serverHostname: "example.com" });
 * await tls.write(new TextEncoder().encode("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n"));
 * for await (const chunk of tls.readable) console.log(new TextDecoder().decode(chunk));
 * ```
 */
export class SSLSocket extends SSLBase {
  /** Whether an EOF without close_notify reads as end of data instead of `SSLEOFError`. */
  readonly suppressRaggedEofs: boolean;
  /** Plaintext from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Plaintext to the peer; closing it sends close_notify. */
  readonly writable: WritableStream<Uint8Array>;

  readonly #transport: Transport;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #handshakeTimeout: number | undefined;
  #pumping: Promise<void> | undefined;
  #transportEof = false;
  #handshaking: Promise<void> | undefined;
  #closed = false;

  /** @ignore Use `SSLContext.wrapSocket()`. */
  constructor(context: SSLContext, transport: Transport, options: WrapSocketOptions) {
    super(context, options);
    this.#transport = transport;
    this.#reader = transport.readable.getReader();
    this.#writer = transport.writable.getWriter();
    this.suppressRaggedEofs = options.suppressRaggedEofs ?? true;
    this.#handshakeTimeout = options.handshakeTimeout;
    this.readable = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const data = await this.read(READ_SIZE);
        if (data.byteLength === 0) controller.close();
        else controller.enqueue(data);
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.shutdownWrite(),
      abort: () => this.close(),
    });
  }

  /** @ignore */
  protected async _afterAction(): Promise<void> {
    this._drainEvents();
    await this.#flush();
  }

  /** The peer's address (`host:port`) when the transport knows it. */
  get peer(): string | undefined {
    return this.#transport.peer;
  }

  /** Sends what the engine produced. */
  async #flush(): Promise<void> {
    const conn = this._conn;
    if (!conn?.hasOutgoing) return;
    try {
      await this.#writer.write(conn.takeOutgoing());
    } catch (e) {
      throw new SSLSyscallError("the transport failed while sending", e);
    }
  }

  /** Reads one chunk from the transport into the engine and processes it (single flight). */
  #pump(): Promise<void> {
    this.#pumping ??= this.#pumpOnce().finally(() => (this.#pumping = undefined));
    return this.#pumping;
  }

  async #pumpOnce(): Promise<void> {
    const conn = await this._engine();
    if (!this.#transportEof) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await this.#reader.read();
      } catch (e) {
        throw new SSLSyscallError("the transport failed while receiving", e);
      }
      if (chunk.done) {
        this.#transportEof = true;
        conn.receiveEof();
      } else {
        conn.receive(chunk.value);
      }
    }
    try {
      await conn.process();
    } finally {
      this._drainEvents();
      await this.#flush().catch(() => {});
    }
  }

  /** Performs the handshake (Python's `do_handshake()`); resolves when it is complete. */
  doHandshake(): Promise<void> {
    this.#handshaking ??= this.#handshake();
    return this.#handshaking;
  }

  async #handshake(): Promise<void> {
    const timeout = this.#handshakeTimeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = (async () => {
      const conn = await this._engine();
      await this.#flush();
      while (!conn.handshakeComplete) {
        if (this.#transportEof) {
          throw conn.truncated("EOF occurred in violation of protocol (during the handshake)");
        }
        await this.#pump();
      }
      await this._keylogWritten();
    })();
    if (timeout === undefined) return await run;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new SSLError("HANDSHAKE_TIMEOUT", `the handshake did not complete within ${timeout} ms`),
        );
        this.#abortTransport();
      }, timeout);
    });
    try {
      await Promise.race([run, expired]);
    } finally {
      clearTimeout(timer);
      run.catch(() => {});
    }
  }

  /**
   * Reads up to `len` bytes of application data; an empty result means the peer closed the
   * connection (close_notify, or EOF when `suppressRaggedEofs`).
   */
  async read(len: number = READ_SIZE): Promise<Uint8Array> {
    await this.doHandshake();
    const conn = this._conn!;
    for (;;) {
      const data = conn.readApplicationData(len);
      if (data) return data;
      if (conn.closeNotifyReceived || this.#closed) return EMPTY;
      if (this.#transportEof) {
        if (this.suppressRaggedEofs) return EMPTY;
        throw conn.truncated();
      }
      await this.#pump();
    }
  }

  /** Encrypts and sends `data`; resolves with its length once the transport accepted it. */
  async write(data: Uint8Array): Promise<number> {
    await this.doHandshake();
    await this._conn!.write(data);
    await this.#flush();
    return data.byteLength;
  }

  /** Sends close_notify (half-close: reading continues until the peer closes). */
  async shutdownWrite(): Promise<void> {
    const conn = this._conn;
    if (!conn || conn.error) return;
    await conn.close();
    await this.#flush();
  }

  /**
   * Sends close_notify, waits for the peer's, and returns the transport for plaintext use
   * (STARTTLS in reverse). Application data still arriving is discarded.
   */
  async unwrap(): Promise<Transport> {
    await this.doHandshake();
    const conn = this._conn!;
    await this.shutdownWrite();
    while (!conn.closeNotifyReceived) {
      conn.readApplicationData();
      if (this.#transportEof) throw conn.truncated();
      await this.#pump();
    }
    const leftover = conn.takeUnprocessed();
    this.#closed = true;
    this.#reader.releaseLock();
    this.#writer.releaseLock();
    const readable = leftover.byteLength
      ? prepend(leftover, this.#transport.readable)
      : this.#transport.readable;
    return {
      readable,
      writable: this.#transport.writable,
      close: this.#transport.close?.bind(this.#transport),
    };
  }

  /** Sends close_notify (when the connection is healthy) and closes the transport. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.shutdownWrite();
    } catch {
      // Closing must not fail because the transport already went away.
    }
    await this.#abortTransport();
    await this._keylogWritten();
  }

  async #abortTransport(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([this.#writer.close(), this.#reader.cancel()]);
    try {
      await this.#transport.close?.();
    } catch {
      // already closed
    }
  }
}

/** A stream yielding `first`, then everything from `rest`. */
function prepend(first: Bytes, rest: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = rest.getReader();
  let sent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(first);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
