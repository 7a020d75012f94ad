import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

/**
 * Tool calls running in this process, by owner (a key fingerprint) and JSON-RPC request id.
 * In stateless Streamable HTTP a client cancels with `notifications/cancelled` in a separate POST,
 * which reaches a different per-request server; this registry lets that notification stop the
 * call it names, for the same key only.
 */
export class InFlightCalls {
  readonly #calls = new Map<string, Set<AbortController>>();

  #slot(owner: string, requestId: RequestId): string {
    return `${owner}\u0000${typeof requestId}:${String(requestId)}`;
  }

  /** Registers a running call; returns the function that forgets it. */
  track(owner: string, requestId: RequestId, controller: AbortController): () => void {
    const slot = this.#slot(owner, requestId);
    let calls = this.#calls.get(slot);
    if (!calls) {
      calls = new Set();
      this.#calls.set(slot, calls);
    }
    calls.add(controller);
    return () => {
      calls.delete(controller);
      if (calls.size === 0 && this.#calls.get(slot) === calls) this.#calls.delete(slot);
    };
  }

  /** Aborts the owner's running calls with this request id; returns how many there were. */
  cancel(owner: string, requestId: RequestId): number {
    const calls = this.#calls.get(this.#slot(owner, requestId));
    if (!calls) return 0;
    for (const controller of calls) controller.abort();
    return calls.size;
  }
}
