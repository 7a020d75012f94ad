import type { RequestHandler } from 'express';
import { VERSION } from '../version.js';

/** Whether the service is taking new work; flipped when shutdown starts. */
export interface Readiness {
  draining: boolean;
}

/** GET /healthz: liveness only; answers while the process can serve HTTP at all. */
export const healthz: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'no-store').json({ status: 'ok', service: 'flux-mcp', version: VERSION });
};

/** GET /readyz: 200 while serving, 503 once shutdown has started, so load balancers move away first. */
export function readyz(readiness: Readiness): RequestHandler {
  return (_req, res) => {
    res.set('Cache-Control', 'no-store');
    if (readiness.draining) res.status(503).json({ status: 'draining' });
    else res.json({ status: 'ready' });
  };
}
