/**
 * How many slots each owner holds, and all of them together: the bookkeeping the wait slots and
 * the upstream limit share. Owners are key fingerprints, never keys.
 */
export class OwnerCounts {
  readonly #byOwner = new Map<string, number>();
  #total = 0;

  get total(): number {
    return this.#total;
  }

  held(owner: string): number {
    return this.#byOwner.get(owner) ?? 0;
  }

  /** Counts one more slot for `owner`; the function returned gives it back once, however often it is called, then calls `onRelease`. */
  take(owner: string, onRelease?: () => void): () => void {
    this.#byOwner.set(owner, this.held(owner) + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = this.held(owner) - 1;
      if (left <= 0) this.#byOwner.delete(owner);
      else this.#byOwner.set(owner, left);
      onRelease?.();
    };
  }
}
