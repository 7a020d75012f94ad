/** A JSON-RPC request id as the protocol allows it. */
export type CallId = string | number;

/**
 * Tool calls running in this process, by owner (a key fingerprint) and JSON-RPC request id.
 * A legacy-era client cancels with `notifications/cancelled`, which over stateless HTTP arrives in
 * a separate POST and so reaches a different per-request server; this registry lets that
 * notification stop the call it names, for the same key only.
 */
export class InFlightCalls {
  readonly #calls = new Map<string, Set<AbortController>>();
  readonly #elsewhere: ((owner: string, callId: CallId) => void) | undefined;

  /** `elsewhere` hears of cancellations that named no call here (another replica may run it). */
  constructor(elsewhere?: (owner: string, callId: CallId) => void) {
    this.#elsewhere = elsewhere;
  }

  #slot(owner: string, callId: CallId): string {
    return `${owner}\u0000${typeof callId}:${String(callId)}`;
  }

  /**
   * Follows one call: the returned signal aborts when `signal` does (the client went away) or
   * when the owner cancels this call id. Call `done` when the call ends.
   */
  track(owner: string, callId: CallId, signal: AbortSignal): { readonly signal: AbortSignal; readonly done: () => void } {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const slot = this.#slot(owner, callId);
    let calls = this.#calls.get(slot);
    if (!calls) {
      calls = new Set();
      this.#calls.set(slot, calls);
    }
    calls.add(controller);
    const tracked = calls;
    return {
      signal: controller.signal,
      done: () => {
        signal.removeEventListener('abort', onAbort);
        tracked.delete(controller);
        if (tracked.size === 0 && this.#calls.get(slot) === tracked) this.#calls.delete(slot);
      },
    };
  }

  /**
   * Aborts the owner's running calls with this request id; when none runs here, passes the
   * cancellation on to the other replicas. Returns how many calls it stopped here.
   */
  cancel(owner: string, callId: CallId): number {
    const stopped = this.cancelHere(owner, callId);
    if (stopped === 0) this.#elsewhere?.(owner, callId);
    return stopped;
  }

  /** Aborts the owner's running calls with this request id in this process only. */
  cancelHere(owner: string, callId: CallId): number {
    const calls = this.#calls.get(this.#slot(owner, callId));
    if (!calls) return 0;
    for (const controller of calls) controller.abort();
    return calls.size;
  }
}
