import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { readCredentials } from './bearerAuth.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** An IPv6 address by its /56 network (express-rate-limit's rule); any other address as it is, without a parse. */
function clientAddressOf(ip: string | undefined): string {
  if (ip === undefined) return 'unknown';
  return ip.includes(':') ? ipKeyGenerator(ip) : ip;
}

/**
 * Starts the request's caller object: its id and the credentials of its Authorization header,
 * read here once (telling this service's access tokens from API keys when `acceptsTokens`). The id is the caller's `X-Request-Id` when it is short and plain (and does not
 * carry the caller's own key), a fresh UUID otherwise; it is echoed as a response header, written
 * as `request_id` into every log line of the request, and sent upstream.
 */
export function requestContext(acceptsTokens = false): RequestHandler {
  return (req, res, next) => {
    const credentials = readCredentials(req.headers.authorization, acceptsTokens);
    const offered = req.headers['x-request-id'];
    const sane = typeof offered === 'string' && SANE_REQUEST_ID.test(offered);
    const carriesKey = sane && credentials.kind === 'key' && offered.includes(credentials.apiKey);
    const requestId = sane && !carriesKey ? offered : randomUUID();
    res.locals.caller = { requestId, clientAddress: clientAddressOf(req.ip), credentials };
    res.setHeader('X-Request-Id', requestId);
    next();
  };
}
