import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { bearerKey } from './bearerAuth.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id: the caller's `X-Request-Id` when it is short and plain (and is not
 * the caller's own key), a fresh UUID otherwise. The id is echoed as a response header, written
 * as `request_id` into every log line of the request, and sent upstream.
 */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const offered = req.headers['x-request-id'];
    const sane = typeof offered === 'string' && SANE_REQUEST_ID.test(offered);
    const key = sane ? bearerKey(req.headers.authorization) : undefined;
    const requestId = sane && !(key && offered.includes(key)) ? offered : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    next();
  };
}
