/**
 * A bounded server-side cache of TLS 1.2 sessions by session ID (RFC 5246 §7.4.1.2): the
 * oldest entries go first once full, and expired ones are never returned.
 * @module
 */
import { type Bytes, toHex } from "../_bytes.ts";
import type { SessionCache, TicketContents } from "./config.ts";

/** An LRU session cache with a size cap and lifetimes checked on lookup. */
export class LruSessionCache implements SessionCache {
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, TicketContents>();

  /**
   * @param max the most sessions kept (OpenSSL's default is 20480)
   * @param now the clock
   */
  constructor(max = 20480, now: () => number = Date.now) {
    this.#max = max;
    this.#now = now;
  }

  /** Sessions held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Stores a session, evicting the least recently used one when full. */
  put(id: Bytes, contents: TicketContents): void {
    const key = toHex(id);
    this.#entries.delete(key);
    this.#entries.set(key, contents);
    if (this.#entries.size > this.#max) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  /** The live session stored under `id`, refreshed as most recently used. */
  get(id: Bytes): TicketContents | undefined {
    const key = toHex(id);
    const c = this.#entries.get(key);
    if (!c) return undefined;
    this.#entries.delete(key);
    if (this.#now() - c.issuedAt > c.lifetime * 1000) return undefined;
    this.#entries.set(key, c);
    return c;
  }
}
