import { OwnerCounts } from '../../ownerCounts.js';

/**
 * Counts the waiting tool calls (wait_seconds > 0) held open at once, per key and in all, so a
 * single tenant cannot hold every slot and the process cannot be made to hold too many.
 * Owners are key fingerprints, never keys.
 */
export class WaitSlots {
  readonly #slots = new OwnerCounts();
  readonly #maxPerOwner: number;
  readonly #maxTotal: number;

  constructor(maxPerOwner: number, maxTotal: number) {
    this.#maxPerOwner = maxPerOwner;
    this.#maxTotal = maxTotal;
  }

  get active(): number {
    return this.#slots.total;
  }

  get maxPerOwner(): number {
    return this.#maxPerOwner;
  }

  /** A release function, or why no slot is free. */
  acquire(owner: string): (() => void) | 'owner_full' | 'all_full' {
    if (this.#slots.held(owner) >= this.#maxPerOwner) return 'owner_full';
    if (this.#slots.total >= this.#maxTotal) return 'all_full';
    return this.#slots.take(owner);
  }
}
