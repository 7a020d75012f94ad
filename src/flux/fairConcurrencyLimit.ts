import { OwnerCounts } from '../ownerCounts.js';

/** Why a caller got no slot. */
export type Refusal = 'full' | 'owner_full' | 'timeout';

interface Waiter {
  readonly owner: string;
  grant(): void;
}

/**
 * At most `max` holders at once, and at most `share` of them (and of the waiting line) for any one
 * owner, so a heavy owner slows itself and not the others. Capacity an owner does not use stays
 * usable by the rest: nothing is reserved. When a slot frees up it goes to the next owner in turn
 * (round robin over owners with waiters and room under their share), not to whoever queued first.
 * Owners are key fingerprints, never keys.
 */
export class FairConcurrencyLimit {
  readonly #max: number;
  readonly #maxQueue: number;
  readonly #maxPerOwner: number;
  readonly #maxQueuedPerOwner: number;
  readonly #active = new OwnerCounts();
  /** Waiters by owner, in arrival order; the map's order is the round-robin order. */
  readonly #queues = new Map<string, Waiter[]>();
  #queued = 0;

  constructor(max: number, maxQueue: number, share: number) {
    this.#max = max;
    this.#maxQueue = maxQueue;
    this.#maxPerOwner = Math.max(1, Math.floor(max * share));
    this.#maxQueuedPerOwner = Math.max(1, Math.floor(maxQueue * share));
  }

  get active(): number {
    return this.#active.total;
  }

  get waiting(): number {
    return this.#queued;
  }

  /** The most slots one owner may hold at once. */
  get maxPerOwner(): number {
    return this.#maxPerOwner;
  }

  /**
   * Resolves with a release function once a slot is held; at once with 'full' when the whole line
   * is full, 'owner_full' when the owner's share of it is used up, or with 'timeout' when no slot
   * came within `timeoutMs`. Rejects with the signal's reason if it aborts while waiting.
   */
  acquire(owner: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<(() => void) | Refusal> {
    if (this.#active.total < this.#max && this.#active.held(owner) < this.#maxPerOwner && !this.#queues.has(owner)) {
      return Promise.resolve(this.#take(owner));
    }
    const queue = this.#queues.get(owner);
    if (this.#queued >= this.#maxQueue) return Promise.resolve('full');
    if ((queue?.length ?? 0) >= this.#maxQueuedPerOwner) return Promise.resolve('owner_full');
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#dequeue(waiter);
      };
      const waiter: Waiter = {
        owner,
        grant: () => {
          leave();
          resolve(this.#take(owner));
        },
      };
      const onAbort = () => {
        leave();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        leave();
        resolve('timeout');
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const line = queue ?? [];
      line.push(waiter);
      if (!queue) this.#queues.set(owner, line);
      this.#queued++;
    });
  }

  #take(owner: string): () => void {
    return this.#active.take(owner, () => this.#grantNext());
  }

  #dequeue(waiter: Waiter): void {
    const line = this.#queues.get(waiter.owner);
    const at = line?.indexOf(waiter) ?? -1;
    if (!line || at === -1) return;
    line.splice(at, 1);
    this.#queued--;
    if (line.length === 0) this.#queues.delete(waiter.owner);
  }

  /** Gives a free slot to the first owner in turn that has a waiter and room under its share. */
  #grantNext(): void {
    if (this.#active.total >= this.#max) return;
    for (const [owner, line] of this.#queues) {
      if (this.#active.held(owner) >= this.#maxPerOwner) continue;
      // The owner served goes to the back of the turn; granting takes the waiter off its line.
      this.#queues.delete(owner);
      this.#queues.set(owner, line);
      line[0]!.grant();
      return;
    }
  }
}
