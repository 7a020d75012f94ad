import { MemoryStore } from 'express-rate-limit';
import { LocalClaims } from './localClaims.js';
import type { SharedState } from './sharedState.js';

/** Nothing shared: every count lives in this process (no REDIS_URL). */
export function localState(): SharedState {
  const claims = new LocalClaims();
  return {
    status: () => 'off',
    rateLimitStore: () => new MemoryStore(),
    waitSlots: undefined,
    upstreamSlots: undefined,
    publishCancel: () => undefined,
    onCancel: () => undefined,
    claimOnce: async (id, ttlMs) => claims.claim(id, ttlMs),
    close: async () => undefined,
  };
}
