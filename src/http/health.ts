import type { RequestHandler } from 'express';
import { VERSION } from '../version.js';

import type { SharedStatus } from '../shared/sharedState.js';

/** Whether the service is taking new work (flipped when shutdown starts), and where it counts limits. */
export interface Readiness {
  draining: boolean;
  readonly shared: () => SharedStatus;
}

/** GET /healthz: liveness only; answers while the process can serve HTTP at all. */
export const healthz: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'no-store').json({ status: 'ok', service: 'flux-mcp', version: VERSION });
};

const SHARED_DETAIL: Record<SharedStatus, string> = {
  off: 'per process (no REDIS_URL)',
  up: 'shared on Redis',
  down: 'Redis unreachable: limits and slots count per process until it returns',
};

/**
 * GET /readyz: 200 while serving, 503 once shutdown has started, so load balancers move away
 * first. A Redis outage does not make the service unready (it keeps serving with per-process
 * limits); the details say so.
 */
export function readyz(readiness: Readiness): RequestHandler {
  return (_req, res) => {
    res.set('Cache-Control', 'no-store');
    const shared = readiness.shared();
    const details = { shared_state: shared, limits: SHARED_DETAIL[shared] };
    if (readiness.draining) res.status(503).json({ status: 'draining', ...details });
    else res.json({ status: shared === 'down' ? 'degraded' : 'ready', ...details });
  };
}
