import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';
import { routeLabel } from './routeLabel.js';

/** Counts every request by route, method, status and protocol era, and how many are being answered now. */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    metrics.httpStarted();
    // 'close' comes after 'finish', and also when the connection drops before the answer is done.
    res.once('close', () => metrics.httpFinished(routeLabel(req.path), req.method, res.statusCode, res.locals.caller?.era));
    next();
  };
}
