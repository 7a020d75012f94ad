import type { Store } from 'express-rate-limit';

/** Whether counters are shared: `off` (no REDIS_URL), `up`, or `down` (Redis unreachable: per process until it returns). */
export type SharedStatus = 'off' | 'up' | 'down';

/** A per-key count kept across replicas: a release function, or 'full' when the key has no room. */
export interface SharedSlots {
  acquire(owner: string, max: number, holdMs: number): Promise<(() => void) | 'full'>;
}

/**
 * What replicas share, when they share anything. Every method works when nothing is shared
 * (one process) and keeps working, per process, while the shared store is unreachable: nothing
 * ever waits on it for long, and nothing fails because of it.
 */
export interface SharedState {
  status(): SharedStatus;
  /** The counter store for one rate limiter, told apart from the others by `prefix`. */
  rateLimitStore(prefix: string): Store;
  /** Waiting calls per key, across replicas; undefined when only this process counts. */
  readonly waitSlots: SharedSlots | undefined;
  /** Upstream calls per key, across replicas; undefined when only this process counts. */
  readonly upstreamSlots: SharedSlots | undefined;
  /** Tells the other replicas to stop the call `callId` of `owner` (a cancellation that missed here). */
  publishCancel(owner: string, callId: string | number): void;
  /** Called for every cancellation another replica publishes. */
  onCancel(handler: (owner: string, callId: string | number) => void): void;
  /**
   * Single use of sign-in steps. A chain (one sign-in) starts at step 0 (its code); each step is
   * honoured once: true when `step` is where the chain is (a chain not seen counts as anywhere),
   * which moves it to the next step and keeps it `ttlMs`; false when the step was used already,
   * which revokes the chain. Rejects when it cannot tell (shared store unreachable), so the
   * caller refuses rather than honour a step twice.
   */
  advance(chain: string, step: number, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}
