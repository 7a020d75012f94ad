import { MemoryStore } from 'express-rate-limit';
import { LocalChains } from './localChains.js';
import type { SharedState } from './sharedState.js';

/** Nothing shared: every count lives in this process (no REDIS_URL). */
export function localState(): SharedState {
  const chains = new LocalChains();
  return {
    status: () => 'off',
    rateLimitStore: () => new MemoryStore(),
    waitSlots: undefined,
    upstreamSlots: undefined,
    publishCancel: () => undefined,
    onCancel: () => undefined,
    advance: async (chain, step, ttlMs) => chains.advance(chain, step, ttlMs),
    close: async () => undefined,
  };
}
