import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type Options, type Store } from 'express-rate-limit';
import { sendJsonRpcError } from './jsonRpcError.js';

export type Limiter = 'key' | 'ip' | 'anonymous' | 'rejected_keys';

export interface RateLimitOptions {
  /** Requests (each tools/call of a batch counted) per minute for one API key. */
  readonly perKeyPerMinute: number;
  /** Requests per minute from one client IP that carry a key, whatever the key. */
  readonly perIpPerMinute: number;
  /** Requests per minute from one client IP that carry no key. */
  readonly anonymousPerMinute: number;
  /** Keys the upstream may reject for one client IP within REJECTED_KEYS_WINDOW_MS. */
  readonly rejectedKeys: number;
  /** Builds the counter store for one limiter (`prefix` tells them apart): in this process, or shared. */
  readonly store: (prefix: string) => Store;
  /** Told about every refused request, e.g. for metrics. */
  readonly onLimited?: (limiter: Limiter) => void;
}

const WINDOW_MS = 60_000;
const REJECTED_KEYS_WINDOW_MS = 15 * 60_000;
const COMMON_OPTIONS: Partial<Options> = {
  windowMs: WINDOW_MS,
  standardHeaders: 'draft-7',
  legacyHeaders: false,
  // Each limiter has a store of its own, so no key can count twice: the per-request bookkeeping of
  // that check (a WeakMap entry per request and limiter) is left out.
  validate: { xForwardedForHeader: false, singleCount: false },
};

export interface RateLimits {
  /** Cheap checks by address, before the body is read: per IP, and the penalty for rejected keys. */
  readonly byAddress: RequestHandler[];
  /** The per-key limit, once the body is known: every tools/call of a batch counts. */
  readonly byKey: RequestHandler[];
  /** Counts one key the upstream rejected against the address that sent it (header keys only). */
  noteRejectedKey(clientAddress: string): void;
}

/** The client's address as the limits count it, worked out once per request by requestContext. */
function clientAddress(_req: Request, res: Response): string {
  return res.locals.caller.clientAddress;
}

function hasKey(res: Response): boolean {
  return res.locals.caller.credentials.kind === 'key';
}

/**
 * A key anyone could have made up: one in the header. A key sealed in an access token was checked
 * with the Flux API at sign-in, and its calls often come from a host's few shared addresses
 * (claude.ai, ChatGPT), so the per-address limits leave them to the per-key limit.
 */
function hasHeaderKey(res: Response): boolean {
  const { credentials } = res.locals.caller;
  return credentials.kind === 'key' && credentials.via === 'header';
}

function retryAfterSeconds(resetTime: Date | undefined, windowMs: number): number {
  return Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
}

function refuse(res: Response, limiter: Limiter, retryAfter: number, sentence: string, onLimited?: (limiter: Limiter) => void): void {
  onLimited?.(limiter);
  sendJsonRpcError(res, 429, -32000, `${sentence}; retry after ${retryAfter} s.`, { 'Retry-After': String(retryAfter) });
}

/** Tool calls in a JSON-RPC batch (a single message counts as one request, whatever it is). */
function toolCallsIn(body: unknown): number {
  if (!Array.isArray(body)) return 1;
  return Math.max(1, body.filter((message) => (message as { method?: unknown } | null)?.method === 'tools/call').length);
}

/**
 * A limiter per client IP, for endpoints other than /mcp: over `limit` requests a minute,
 * `respond` answers (with the seconds to wait, also sent as Retry-After).
 */
export function clientIpLimit(options: {
  readonly limit: number;
  /** Tells this limiter's counters apart in a shared store. */
  readonly prefix: string;
  readonly store: RateLimitOptions['store'];
  readonly onLimited?: () => void;
  readonly respond: (req: Request, res: Response, retryAfterSeconds: number) => void;
}): RequestHandler {
  return rateLimit({
    ...COMMON_OPTIONS,
    limit: options.limit,
    keyGenerator: clientAddress,
    handler: (req, res) => {
      const retryAfter = retryAfterSeconds((req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime, WINDOW_MS);
      options.onLimited?.();
      res.set('Retry-After', String(retryAfter));
      options.respond(req, res, retryAfter);
    },
    store: options.store(options.prefix),
  });
}

/**
 * The rate limits of the MCP endpoint, built on express-rate-limit and its stores. Over a limit:
 * 429, Retry-After and a JSON-RPC error saying which limit.
 * - per client IP: a higher ceiling for requests with a key in the header, a lower one for those
 *   without a key (or with a token that did not open), so inventing a new key per request does
 *   not dodge anything; a valid access token of this service counts by its key only;
 * - per address whose header keys the upstream keeps rejecting: once it has had too many rejected
 *   within 15 minutes, its requests with a header key are refused until the window passes;
 * - per API key (by fingerprint), counting each tools/call of a batch.
 */
export function rateLimits(options: RateLimitOptions): RateLimits {
  const limited = (limiter: Limiter, limit: number, what: string) => (req: Request, res: Response) => {
    const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
    refuse(res, limiter, retryAfterSeconds(resetTime, WINDOW_MS), `Rate limit reached: at most ${limit} requests per minute ${what}`, options.onLimited);
  };

  const perAddressLimited = limited('ip', options.perIpPerMinute, 'from one address');
  const anonymousLimited = limited('anonymous', options.anonymousPerMinute, 'per client address without a key');
  const keyStore = options.store('key');
  const rejectedStore = options.store('rejected');
  rejectedStore.init?.({ windowMs: REJECTED_KEYS_WINDOW_MS } as Options);

  const rejectedKeysGate: RequestHandler = (req, res, next) => {
    if (!hasHeaderKey(res)) {
      next();
      return;
    }
    Promise.resolve(rejectedStore.get?.(clientAddress(req, res)))
      .then((info) => {
        if (info && info.totalHits >= options.rejectedKeys) {
          refuse(
            res,
            'rejected_keys',
            retryAfterSeconds(info.resetTime, REJECTED_KEYS_WINDOW_MS),
            `Too many API keys from this address were rejected by the Flux API (${info.totalHits} in 15 minutes); check your key`,
            options.onLimited,
          );
          return;
        }
        next();
      })
      .catch(() => next());
  };

  const batchSurcharge: RequestHandler = (req, res, next) => {
    const extra = toolCallsIn(req.body) - 1;
    const { credentials } = res.locals.caller;
    if (extra <= 0 || credentials.kind !== 'key') {
      next();
      return;
    }
    (async () => {
      let latest: { totalHits: number; resetTime?: Date } | undefined;
      for (let i = 0; i < extra; i++) latest = await keyStore.increment(credentials.fingerprint);
      return latest;
    })()
      .then((latest) => {
        if (latest && latest.totalHits > options.perKeyPerMinute) {
          refuse(
            res,
            'key',
            retryAfterSeconds(latest.resetTime, WINDOW_MS),
            `Rate limit reached: at most ${options.perKeyPerMinute} tool calls per minute per API key (each call of a batch counts)`,
            options.onLimited,
          );
          return;
        }
        next();
      })
      .catch(() => next());
  };

  return {
    byAddress: [
      // One limiter for both per-address ceilings (one pass and one counter per request): requests
      // with a key in the header count against one, those without a key against the other.
      rateLimit({
        ...COMMON_OPTIONS,
        limit: (_req, res) => (hasHeaderKey(res) ? options.perIpPerMinute : options.anonymousPerMinute),
        skip: (_req, res) => hasKey(res) && !hasHeaderKey(res),
        keyGenerator: (req, res) => `${hasHeaderKey(res) ? 'key' : 'none'}:${clientAddress(req, res)}`,
        handler: (req, res) => (hasHeaderKey(res) ? perAddressLimited(req, res) : anonymousLimited(req, res)),
        store: options.store('address'),
      }),
      rejectedKeysGate,
    ],
    byKey: [
      rateLimit({
        ...COMMON_OPTIONS,
        limit: options.perKeyPerMinute,
        skip: (_req, res) => !hasKey(res),
        keyGenerator: (_req, res) => {
          const { credentials } = res.locals.caller;
          return credentials.kind === 'key' ? credentials.fingerprint : '';
        },
        handler: limited('key', options.perKeyPerMinute, 'per API key'),
        store: keyStore,
      }),
      batchSurcharge,
    ],
    noteRejectedKey(address) {
      Promise.resolve(rejectedStore.increment(address)).catch(() => undefined);
    },
  };
}
