/**
 * Counts the waiting tool calls (wait_seconds > 0) held open at once, per key and in all, so a
 * single tenant cannot hold every slot and the process cannot be made to hold too many.
 * Owners are key fingerprints, never keys.
 */
export class WaitSlots {
  readonly #perOwner = new Map<string, number>();
  readonly #maxPerOwner: number;
  readonly #maxTotal: number;
  #total = 0;

  constructor(maxPerOwner: number, maxTotal: number) {
    this.#maxPerOwner = maxPerOwner;
    this.#maxTotal = maxTotal;
  }

  get active(): number {
    return this.#total;
  }

  get maxPerOwner(): number {
    return this.#maxPerOwner;
  }

  /** A release function, or why no slot is free. */
  acquire(owner: string): (() => void) | 'owner_full' | 'all_full' {
    const held = this.#perOwner.get(owner) ?? 0;
    if (held >= this.#maxPerOwner) return 'owner_full';
    if (this.#total >= this.#maxTotal) return 'all_full';
    this.#perOwner.set(owner, held + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#perOwner.get(owner) ?? 1) - 1;
      if (left === 0) this.#perOwner.delete(owner);
      else this.#perOwner.set(owner, left);
    };
  }
}
