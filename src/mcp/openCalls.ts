/** Marks a call that was answered because the service is shutting down. */
export const INTERRUPTED: unique symbol = Symbol('interrupted by shutdown');

/**
 * Tool calls running now, so that shutdown can answer every one of them instead of cutting its
 * connection: once `interruptAll` is called, every open call (and any that starts later) resolves
 * with INTERRUPTED at once, and its work is left to be cancelled with the upstream pool.
 */
export class OpenCalls {
  readonly #interrupts = new Set<() => void>();
  #interrupted = false;

  get size(): number {
    return this.#interrupts.size;
  }

  /** `work`'s outcome, or INTERRUPTED as soon as the service interrupts the calls still open. */
  run<T>(work: () => Promise<T>): Promise<T | typeof INTERRUPTED> {
    if (this.#interrupted) return Promise.resolve(INTERRUPTED);
    return new Promise((resolve, reject) => {
      const interrupt = () => resolve(INTERRUPTED);
      this.#interrupts.add(interrupt);
      work().then(
        (value) => {
          this.#interrupts.delete(interrupt);
          resolve(value);
        },
        (error: unknown) => {
          this.#interrupts.delete(interrupt);
          reject(error);
        },
      );
    });
  }

  /** Answers every open call now; returns how many there were. */
  interruptAll(): number {
    this.#interrupted = true;
    const count = this.#interrupts.size;
    for (const interrupt of this.#interrupts) interrupt();
    this.#interrupts.clear();
    return count;
  }
}
