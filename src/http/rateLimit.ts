import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { sendJsonRpcError } from './jsonRpcError.js';

export interface RateLimitOptions {
  /** Requests per minute for one API key. */
  readonly perKeyPerMinute: number;
  /** Requests per minute from one client IP that carry no key. */
  readonly anonymousPerMinute: number;
  /**
   * Builds the counter store for one limiter (`prefix` tells them apart). Defaults to memory in
   * this process; give every replica the same shared store (Redis, Memcached, …) to count across them.
   */
  readonly store?: (prefix: string) => Store;
  /** Told about every refused request, e.g. for metrics. */
  readonly onLimited?: (kind: 'key' | 'ip') => void;
}

const WINDOW_MS = 60_000;
const COMMON = {
  windowMs: WINDOW_MS,
  standardHeaders: 'draft-7' as const,
  legacyHeaders: false,
  validate: { xForwardedForHeader: false },
};

/** Seconds until the window of a refused request resets, at least 1. */
function retryAfterSeconds(req: Request): number {
  const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
}

/**
 * A limiter per client IP, for endpoints other than /mcp: over `limit` requests a minute,
 * `respond` answers (with the seconds to wait, also sent as Retry-After).
 */
export function clientIpLimit(options: {
  readonly limit: number;
  /** Tells this limiter's counters apart in a shared store. */
  readonly prefix: string;
  readonly store?: RateLimitOptions['store'];
  readonly onLimited?: () => void;
  readonly respond: (res: Response, retryAfterSeconds: number) => void;
}): RequestHandler {
  return rateLimit({
    ...COMMON,
    limit: options.limit,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: (req, res) => {
      const retryAfter = retryAfterSeconds(req);
      options.onLimited?.();
      res.set('Retry-After', String(retryAfter));
      options.respond(res, retryAfter);
    },
    ...(options.store ? { store: options.store(options.prefix) } : {}),
  });
}

/**
 * Two limiters on the MCP endpoint: one per API key (by fingerprint) and one per client IP for
 * requests without a key. Over the limit: 429, Retry-After and a JSON-RPC error body.
 */
export function rateLimits(options: RateLimitOptions): RequestHandler[] {
  const refuse = (kind: 'key' | 'ip', limit: number): RequestHandler => {
    return (req, res) => {
      const retryAfter = retryAfterSeconds(req);
      options.onLimited?.(kind);
      const who = kind === 'key' ? 'per API key' : 'per client address without a key';
      sendJsonRpcError(res, 429, -32000, `Rate limit reached: at most ${limit} requests per minute ${who}; retry after ${retryAfter} s.`, {
        'Retry-After': String(retryAfter),
      });
    };
  };
  return [
    rateLimit({
      ...COMMON,
      limit: options.perKeyPerMinute,
      skip: (_req, res) => res.locals.caller.credentials.kind !== 'key',
      keyGenerator: (_req, res) => {
        const { credentials } = res.locals.caller;
        return credentials.kind === 'key' ? credentials.fingerprint : '';
      },
      handler: refuse('key', options.perKeyPerMinute),
      ...(options.store ? { store: options.store('flux-mcp:rl:key:') } : {}),
    }),
    rateLimit({
      ...COMMON,
      limit: options.anonymousPerMinute,
      skip: (_req, res) => res.locals.caller.credentials.kind === 'key',
      keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
      handler: refuse('ip', options.anonymousPerMinute),
      ...(options.store ? { store: options.store('flux-mcp:rl:ip:') } : {}),
    }),
  ];
}
