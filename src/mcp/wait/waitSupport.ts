import type { Logger } from '../../logger.js';
import type { SharedSlots } from '../../shared/sharedState.js';
import type { InFlightCalls } from './inFlightCalls.js';
import type { ProgressReporter } from './progress.js';
import type { WaitSlots } from './waitSlots.js';

/** What waiting calls share across the process: built once at start. */
export interface WaitSupport {
  readonly slots: WaitSlots;
  /** Running calls by owner and request id, so a cancellation sent in another request finds its call. */
  readonly inFlight: InFlightCalls;
  /** Aborted when the service starts shutting down: waits answer with what they have. */
  readonly stopping: AbortSignal;
  /** Counts each key's waiting calls across replicas too, when they share state. */
  readonly sharedSlots?: SharedSlots;
}

/** One tool call's view of waiting: who it belongs to, how it is stopped, where progress goes. */
export interface CallWait {
  readonly support: WaitSupport;
  /** Fingerprint of the caller's key: per-key caps and cancellation match on it. */
  readonly owner: string;
  /** The call's JSON-RPC id, which a cancellation names. */
  readonly callId: string | number;
  /** Aborted when the client goes away (or, in the 2026-07-28 era, closes the call's stream). */
  readonly signal: AbortSignal;
  /** Present when the client sent a progress token with the call. */
  readonly progress: ProgressReporter | undefined;
  readonly logger: Logger;
  readonly requestId: string;
}
