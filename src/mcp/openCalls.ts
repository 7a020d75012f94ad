/** Marks a call that was answered because the service is shutting down. */
export const INTERRUPTED: unique symbol = Symbol('interrupted by shutdown');

interface OpenCall {
  interrupt: (() => void) | undefined;
  previous: OpenCall | undefined;
  next: OpenCall | undefined;
}

/**
 * Tool calls running now, so that shutdown can answer every one of them instead of cutting its
 * connection: once `interruptAll` is called, every open call (and any that starts later) resolves
 * with INTERRUPTED at once, and its work is left to be cancelled with the upstream pool.
 *
 * The calls are kept in a linked list whose entries are emptied as they leave. With a Set here,
 * every call's request, response and result outlived the call into the old generation (the Set's
 * long-lived backing table apparently kept them reachable for the young-generation collector):
 * 18.7 instead of 9.2 KB promoted per tools/call, 67 instead of 45 µs of scavenge pauses per call
 * (BENCHMARKS.md, "What issues 10–12 cost on the hot path").
 */
export class OpenCalls {
  readonly #head: OpenCall = { interrupt: undefined, previous: undefined, next: undefined };
  #size = 0;
  #interrupted = false;

  get size(): number {
    return this.#size;
  }

  /** `work`'s outcome, or INTERRUPTED as soon as the service interrupts the calls still open. */
  run<T>(work: () => Promise<T>): Promise<T | typeof INTERRUPTED> {
    if (this.#interrupted) return Promise.resolve(INTERRUPTED);
    return new Promise((resolve, reject) => {
      const call = this.#open(() => resolve(INTERRUPTED));
      work().then(
        (value) => {
          this.#close(call);
          resolve(value);
        },
        (error: unknown) => {
          this.#close(call);
          reject(error);
        },
      );
    });
  }

  /** Answers every open call now; returns how many there were. */
  interruptAll(): number {
    this.#interrupted = true;
    const count = this.#size;
    while (this.#head.next) {
      const call = this.#head.next;
      const interrupt = call.interrupt;
      this.#close(call);
      interrupt?.();
    }
    return count;
  }

  #open(interrupt: () => void): OpenCall {
    const first = this.#head.next;
    const call: OpenCall = { interrupt, previous: this.#head, next: first };
    if (first) first.previous = call;
    this.#head.next = call;
    this.#size++;
    return call;
  }

  #close(call: OpenCall): void {
    if (!call.previous) return;
    call.previous.next = call.next;
    if (call.next) call.next.previous = call.previous;
    call.interrupt = undefined;
    call.previous = undefined;
    call.next = undefined;
    this.#size--;
  }
}
