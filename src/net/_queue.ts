/**
 * An unbounded hand-off from callbacks to an async iterator (accepted connections).
 * @module
 */

/** Items pushed by callbacks, consumed by one `for await` loop until `close()`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  /** Adds an item and wakes the consumer. */
  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  /** Ends the iteration once the queued items are consumed. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Yields items as they arrive until closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }
}
