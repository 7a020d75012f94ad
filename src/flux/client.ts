import { Pool, type Dispatcher } from 'undici';
import type { Logger } from '../logger.js';
import { sleep } from '../sleep.js';
import { keyFingerprint } from '../keyFingerprint.js';
import {
  abortedFailure,
  FluxApiError,
  httpFailure,
  invalidResponseFailure,
  keyBusyFailure,
  networkFailure,
  overloadedFailure,
  timeoutFailure,
} from './errors.js';
import { FairConcurrencyLimit } from './fairConcurrencyLimit.js';
import { scrubUpstreamText } from './scrub.js';

/** A task record as the Flux API sends it: an object whose fields are checked by `normaliseTask`. */
export type FluxTaskRecord = Record<string, unknown>;

export interface FluxClientOptions {
  /** Origin (and optional path prefix) of the Flux API, without a trailing slash. */
  readonly baseUrl: string;
  /** Longest one upstream attempt may take, in milliseconds. */
  readonly timeoutMs: number;
  /** Longest a whole call may take, retries and back-off included, in milliseconds. */
  readonly totalTimeoutMs: number;
  readonly logger: Logger;
  /** Upstream calls in flight at once; later ones queue, up to 16 times as many, then are refused. */
  readonly maxConcurrency?: number;
  /** The largest fraction of those slots (and of the queue) one API key may hold (default 0.25). */
  readonly maxShare?: number;
  /**
   * Counts one key's calls across every replica (the shared store), on top of this process's
   * fair share; absent when the process counts alone.
   */
  readonly sharedSlots?: SharedSlots;
  readonly retry?: Partial<RetryPolicy>;
  /** Told about every attempt, e.g. for metrics. */
  readonly onAttempt?: (attempt: AttemptReport) => void;
}

export interface AttemptReport {
  readonly action: string;
  /** `ok`, or the failure kind. */
  readonly outcome: string;
  /** 1 for the first try, 2 and 3 for retries. */
  readonly attempt: number;
  readonly durationMs: number;
}

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  readonly attempts: number;
  /** Back-off before retry n is drawn from [0, baseDelayMs * 2^(n-1)], capped at maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the caller is told to retry later instead. */
  readonly maxRetryAfterMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 2_000, maxRetryAfterMs: 10_000 };

/** A per-key count kept across replicas: a release function, or 'full' when the key has no room. */
export interface SharedSlots {
  acquire(owner: string, max: number, holdMs: number): Promise<(() => void) | 'full'>;
}

/** Per-call inputs that belong to the caller, never to the client. */
export interface FluxCallOptions {
  /** The caller's own AceDataCloud API key; used for this call only and never kept. */
  readonly apiKey: string;
  /** Fingerprint of that key, which fair shares count by; derived from the key when absent. */
  readonly owner?: string;
  /** Aborts the call, e.g. when the MCP client disconnects. */
  readonly signal?: AbortSignal;
  /** An earlier end for this call than the client's total timeout, as a `performance.now()` time. */
  readonly deadline?: number;
  /** The MCP request's id: sent upstream as `x-request-id` and written into log lines. */
  readonly requestId?: string;
}

const TASKS_PATH = '/flux/tasks';
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** The provider's default page size for batch answers. */
const PROVIDER_PAGE_SIZE = 12;
/** Follow-up pages fetched when the provider pages a batch answer (50 ids at 12 a page need 4 more). */
const MAX_BATCH_FOLLOW_UPS = 5;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const TRANSIENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

function describeNetworkError(error: unknown): string {
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'UND_ERR_CLOSED':
      return 'client shutting down';
    default:
      return code ? `network error ${code}` : 'network error';
  }
}

/**
 * The one client of the Flux API in the process. It owns the base URL, the keep-alive connection
 * pool, headers, timeouts, retries, the cap on calls in flight and error mapping; the API key
 * arrives with each call and is only ever written into that call's `authorization` header, to the
 * configured origin. Task queries are reads, so they are retried on 429, 5xx and dropped
 * connections, with jittered exponential back-off, all within one deadline per call.
 */
export class FluxClient {
  readonly #pool: Pool;
  readonly #pathPrefix: string;
  readonly #timeoutMs: number;
  readonly #totalTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #limit: FairConcurrencyLimit;
  readonly #sharedSlots: SharedSlots | undefined;
  readonly #logger: Logger;
  readonly #onAttempt: ((attempt: AttemptReport) => void) | undefined;

  constructor(options: FluxClientOptions) {
    const url = new URL(options.baseUrl);
    const maxConcurrency = options.maxConcurrency ?? 64;
    this.#pool = new Pool(url.origin, {
      connections: maxConcurrency,
      keepAliveTimeout: 10_000,
      headersTimeout: 0,
      bodyTimeout: 0,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
    this.#pathPrefix = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#totalTimeoutMs = options.totalTimeoutMs;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#limit = new FairConcurrencyLimit(maxConcurrency, maxConcurrency * 16, options.maxShare ?? 0.25);
    this.#sharedSlots = options.sharedSlots;
    this.#logger = options.logger;
    this.#onAttempt = options.onAttempt;
  }

  /** Requests to the Flux API in flight now. */
  get inFlight(): number {
    return this.#limit.active;
  }

  /** One task record, or `undefined` when the Flux API does not know the id. */
  async retrieveTask(taskId: string, options: FluxCallOptions): Promise<FluxTaskRecord | undefined> {
    const answer = await this.#postTasks({ action: 'retrieve', id: taskId }, options);
    if (!isRecord(answer)) throw invalidResponseFailure('a task that is not a JSON object', 200);
    if (answer.id === undefined || answer.id === null || answer.id === '') return undefined;
    if (answer.id !== taskId) throw invalidResponseFailure('a different task than the one asked for', 200);
    return answer;
  }

  /**
   * Records for the given ids, keyed by id; ids the Flux API does not return are absent.
   * One `retrieve_batch` call for the whole batch, with `limit` set. If the provider still pages
   * the answer (it says it matched more than it sent, or it sent a full default page), the ids it
   * left out are asked for again, for as long as each round brings new records.
   */
  async retrieveTasks(taskIds: readonly string[], options: FluxCallOptions): Promise<Map<string, FluxTaskRecord>> {
    const found = new Map<string, FluxTaskRecord>();
    let missing = [...new Set(taskIds)];
    // Follow-up pages share the first page's deadline: the whole batch stays inside one call's time.
    const pages = { ...options, deadline: Math.min(performance.now() + this.#totalTimeoutMs, options.deadline ?? Infinity) };
    for (let round = 0; round <= MAX_BATCH_FOLLOW_UPS && missing.length > 0; round++) {
      const answer = await this.#postTasks({ action: 'retrieve_batch', ids: missing, limit: missing.length }, pages);
      if (!isRecord(answer) || !Array.isArray(answer.items)) {
        throw invalidResponseFailure('a batch answer without an items list', 200);
      }
      const wanted = new Set(missing);
      let fresh = 0;
      for (const item of answer.items) {
        if (isRecord(item) && typeof item.id === 'string' && wanted.has(item.id) && !found.has(item.id)) {
          found.set(item.id, item);
          fresh++;
        }
      }
      missing = missing.filter((id) => !found.has(id));
      const sent = answer.items.length;
      const cutShort = (typeof answer.count === 'number' && answer.count > sent) || sent >= PROVIDER_PAGE_SIZE;
      if (fresh === 0 || !cutShort) break;
    }
    return found;
  }

  /**
   * Releases the connection pool. Calls still in flight are cut: by the time the service closes
   * the client, every request that needed them has had its answer (or the drain is over).
   */
  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  /**
   * One read, retried while that can help and time allows; throws a FluxApiError otherwise.
   * The caller's signal goes straight to the connection pool, and time limits are the pool's own
   * per-request timeouts, so a call costs no extra AbortController or timer.
   */
  async #postTasks(payload: Record<string, unknown>, options: FluxCallOptions): Promise<unknown> {
    const { signal } = options;
    if (signal?.aborted) throw abortedFailure();
    const deadline = Math.min(performance.now() + this.#totalTimeoutMs, options.deadline ?? Infinity);
    const owner = options.owner ?? keyFingerprint(options.apiKey);
    const shared = await this.#sharedSlots?.acquire(owner, this.#limit.maxPerOwner, Math.max(0, deadline - performance.now()) + 5_000);
    if (shared === 'full') throw keyBusyFailure(this.#limit.maxPerOwner);
    try {
      return await this.#attempts(payload, options, owner, deadline);
    } finally {
      shared?.();
    }
  }

  async #attempts(payload: Record<string, unknown>, options: FluxCallOptions, owner: string, deadline: number): Promise<unknown> {
    const { signal } = options;
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = performance.now();
      try {
        const answer = await this.#attempt(payload, options, owner, deadline);
        this.#report(options, payload, attempt, 'ok', attemptStarted);
        return answer;
      } catch (error) {
        const failure = error instanceof FluxApiError ? error : signal?.aborted ? abortedFailure() : toFailure(error);
        const delay = this.#retryDelay(failure, attempt, deadline);
        this.#report(options, payload, attempt, failure.kind, attemptStarted, failure.status, delay);
        if (delay === undefined) throw failure;
        if (!(await sleep(delay, signal))) throw abortedFailure();
      }
    }
  }

  /** Milliseconds to wait before the next attempt, or undefined when there should be none. */
  #retryDelay(failure: FluxApiError, attempt: number, deadline: number): number | undefined {
    if (!failure.retryable || attempt >= this.#retry.attempts) return undefined;
    let delay: number;
    if (failure.retryAfterSeconds !== undefined) {
      delay = failure.retryAfterSeconds * 1000;
      if (delay > this.#retry.maxRetryAfterMs) return undefined;
    } else {
      const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
      delay = Math.random() * ceiling;
    }
    // Only retry when the wait leaves time for a useful attempt.
    return performance.now() + delay + 100 < deadline ? Math.round(delay) : undefined;
  }

  #report(
    options: FluxCallOptions,
    payload: Record<string, unknown>,
    attempt: number,
    outcome: string,
    started: number,
    status?: number,
    retryInMs?: number,
  ): void {
    const durationMs = performance.now() - started;
    const action = String(payload.action);
    this.#onAttempt?.({ action, outcome, attempt, durationMs });
    if (!this.#logger.isLevelEnabled('debug')) return;
    this.#logger.debug(
      {
        request_id: options.requestId,
        upstream: `POST ${TASKS_PATH}`,
        action,
        attempt,
        outcome,
        status,
        retry_in_ms: retryInMs,
        duration_ms: Math.round(durationMs),
      },
      'flux api call',
    );
  }

  async #attempt(payload: Record<string, unknown>, options: FluxCallOptions, owner: string, deadline: number): Promise<unknown> {
    const { apiKey, requestId, signal } = options;
    const waitMs = deadline - performance.now();
    if (waitMs <= 0) throw timeoutFailure(this.#totalTimeoutMs);
    const release = await this.#limit.acquire(owner, signal, waitMs);
    if (release === 'full') throw overloadedFailure();
    if (release === 'owner_full') throw keyBusyFailure(this.#limit.maxPerOwner);
    if (release === 'timeout') throw timeoutFailure(waitMs);
    const attemptMs = Math.max(1, Math.min(this.#timeoutMs, deadline - performance.now()));
    // The whole attempt, body included, ends by then: a body that drips never holds the slot longer.
    const attemptEnds = performance.now() + attemptMs;
    try {
      const response = await this.#pool.request({
        path: this.#pathPrefix + TASKS_PATH,
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify(payload),
        signal,
        headersTimeout: attemptMs,
        bodyTimeout: attemptMs,
      });
      const text = await readBody(response.body, attemptEnds);
      if (text === 'late') throw timeoutFailure(attemptMs);
      if (text === 'too_large') {
        throw invalidResponseFailure(`an answer larger than ${MAX_RESPONSE_BYTES} bytes`, response.statusCode);
      }
      const status = response.statusCode;
      const json = parseJson(text);
      if (status >= 300) {
        const { code, message } = readErrorBody(json, apiKey);
        throw httpFailure(status, code, message, parseRetryAfter(response.headers['retry-after']));
      }
      if (json === undefined) {
        const type = String(response.headers['content-type'] ?? 'no content type').split(';')[0];
        throw invalidResponseFailure(`an answer that is not JSON (${type})`, status);
      }
      return json;
    } catch (error) {
      if (error instanceof FluxApiError) throw error;
      const code = isRecord(error) ? error.code : undefined;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw timeoutFailure(attemptMs);
      throw error;
    } finally {
      release();
    }
  }
}

function toFailure(error: unknown): FluxApiError {
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : '';
  return networkFailure(describeNetworkError(error), TRANSIENT_NETWORK_CODES.has(code));
}

/**
 * The body as text; 'too_large' when it passes MAX_RESPONSE_BYTES (the pool's `maxResponseSize`
 * stops it), 'late' when it has not ended by `endsAt` (a `performance.now()` time): a body that
 * drips or never ends is cut then.
 */
async function readBody(body: Dispatcher.ResponseData['body'], endsAt: number): Promise<string | 'too_large' | 'late'> {
  let late = false;
  // Whole milliseconds: Node keeps one timer list per duration, and calls then share a few.
  const cut = setTimeout(() => {
    late = true;
    body.destroy();
  }, Math.max(0, Math.ceil(endsAt - performance.now())));
  try {
    return await body.text();
  } catch (error) {
    if (late) return 'late';
    if (isRecord(error) && error.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'too_large';
    throw error;
  } finally {
    clearTimeout(cut);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads `{error: {code, message}}`, `{error: "text"}` or nothing useful, scrubbed of the key. */
function readErrorBody(json: unknown, apiKey: string): { code?: string; message?: string } {
  if (!isRecord(json)) return {};
  const error = json.error;
  if (typeof error === 'string') return { message: scrubUpstreamText(error, apiKey) };
  if (!isRecord(error)) {
    return typeof json.message === 'string' ? { message: scrubUpstreamText(json.message, apiKey) } : {};
  }
  const code = typeof error.code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(error.code) ? error.code : undefined;
  const message = typeof error.message === 'string' ? scrubUpstreamText(error.message, apiKey) : undefined;
  return { code, message: message || undefined };
}
