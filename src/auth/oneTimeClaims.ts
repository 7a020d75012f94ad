/**
 * Single use without state of its own: an authorization code or a refresh token is honoured only
 * by the first request that claims its id. The in-memory store holds per process; give every
 * replica one shared store (e.g. Redis `SET key 1 NX PX ttl`) through
 * `startService(config, { oneTimeClaims })` to hold across replicas.
 */
export interface OneTimeClaims {
  /**
   * True for the first claim of `id` within `ttlMs`, false for every later one. A store that
   * cannot answer should throw: the caller then refuses instead of issuing twice.
   */
  claim(id: string, ttlMs: number): Promise<boolean>;
}

/** Claimed ids until they expire, in this process only; refuses new claims when full. */
export class InMemoryOneTimeClaims implements OneTimeClaims {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  #nextSweep = 0;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#expiries.size;
  }

  async claim(id: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (now >= this.#nextSweep || this.#expiries.size >= this.#maxEntries) this.#sweep(now);
    const until = this.#expiries.get(id);
    if (until !== undefined && until > now) return false;
    if (this.#expiries.size >= this.#maxEntries) throw new Error('one-time claims store is full');
    this.#expiries.set(id, now + Math.max(1, ttlMs));
    return true;
  }

  #sweep(now: number): void {
    for (const [id, until] of this.#expiries) if (until <= now) this.#expiries.delete(id);
    this.#nextSweep = now + 10_000;
  }
}
