/**
 * One-time claims held in this process until their time is up (authorization codes, refresh
 * tokens). Bounded: when full of live claims it throws rather than forget one, so the caller
 * refuses instead of honouring anything twice.
 */
export class LocalClaims {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  #nextSweep = 0;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#expiries.size;
  }

  /** True for the first claim of `id` within `ttlMs`, false for every later one; throws when full. */
  claim(id: string, ttlMs: number): boolean {
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
