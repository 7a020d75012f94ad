import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';

/** GET /metrics: the Prometheus text format. */
export function metricsRoute(metrics: Metrics): RequestHandler {
  return (_req, res, next) => {
    metrics.registry
      .metrics()
      .then((text) => res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(text))
      .catch(next);
  };
}
