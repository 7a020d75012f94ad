/**
 * At most `max` holders at once; later callers wait in line (at most `maxQueue` of them) until a
 * slot frees up or their signal aborts. Bounds the upstream calls one process makes at a time.
 */
export class ConcurrencyLimit {
  readonly #max: number;
  readonly #maxQueue: number;
  readonly #queue: (() => void)[] = [];
  #active = 0;

  constructor(max: number, maxQueue: number) {
    this.#max = max;
    this.#maxQueue = maxQueue;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves with a release function once a slot is held; with 'full' at once when the line is
   * full, or with 'timeout' when no slot freed up within `timeoutMs`. Rejects with the signal's
   * reason if it aborts while waiting.
   */
  acquire(signal: AbortSignal | undefined, timeoutMs: number): Promise<(() => void) | 'full' | 'timeout'> {
    if (this.#active < this.#max) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.length >= this.#maxQueue) return Promise.resolve('full');
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.#queue.indexOf(grant);
        if (at !== -1) this.#queue.splice(at, 1);
      };
      const grant = () => {
        leave();
        this.#active++;
        resolve(this.#releaser());
      };
      const onAbort = () => {
        leave();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        leave();
        resolve('timeout');
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(grant);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#queue.shift()?.();
    };
  }
}
