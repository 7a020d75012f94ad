import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';

/** Counts every request by route, method and status, and how many are being answered now. */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    metrics.httpStarted();
    let counted = false;
    const done = () => {
      if (counted) return;
      counted = true;
      metrics.httpFinished(req.path, req.method, res.statusCode);
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
