const REVOKED = -1;

/**
 * Sign-in chains held in this process until their time is up: the step each chain is at, or
 * revoked (see SharedState.advance). Bounded: when full of live chains it throws rather than
 * forget one, so the caller refuses instead of honouring anything twice.
 */
export class LocalChains {
  readonly #chains = new Map<string, { step: number; until: number }>();
  readonly #maxEntries: number;
  #nextSweep = 0;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#chains.size;
  }

  advance(chain: string, step: number, ttlMs: number): boolean {
    const now = Date.now();
    if (now >= this.#nextSweep || this.#chains.size >= this.#maxEntries) this.#sweep(now);
    const entry = this.#chains.get(chain);
    const live = entry !== undefined && entry.until > now ? entry : undefined;
    if (live === undefined || live.step === step) {
      if (live === undefined && this.#chains.size >= this.#maxEntries) throw new Error('sign-in chain store is full');
      this.#chains.set(chain, { step: step + 1, until: now + Math.max(1, ttlMs) });
      return true;
    }
    live.step = REVOKED;
    return false;
  }

  #sweep(now: number): void {
    for (const [chain, entry] of this.#chains) if (entry.until <= now) this.#chains.delete(chain);
    this.#nextSweep = now + 10_000;
  }
}
