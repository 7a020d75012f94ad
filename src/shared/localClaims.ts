/** One-time claims held in this process, forgotten once their time is up. */
export class LocalClaims {
  readonly #claims = new Map<string, number>();
  #sweepAt = 0;

  claim(id: string, ttlMs: number): boolean {
    const now = Date.now();
    if (now >= this.#sweepAt) this.#sweep(now);
    const until = this.#claims.get(id);
    if (until !== undefined && until > now) return false;
    this.#claims.set(id, now + ttlMs);
    return true;
  }

  #sweep(now: number): void {
    for (const [id, until] of this.#claims) if (until <= now) this.#claims.delete(id);
    this.#sweepAt = now + 60_000;
  }
}
