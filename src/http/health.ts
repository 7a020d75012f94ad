import type { RequestHandler } from 'express';
import { VERSION } from '../version.js';

/** GET /healthz: liveness only; answers while the process can serve HTTP at all. */
export const healthz: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'no-store').json({ status: 'ok', service: 'flux-mcp', version: VERSION });
};
