import { UserFacingError } from '../userFacingError.js';

/**
 * Every way a Flux API call can fail, as one error type whose message is a single sentence a
 * model can act on: what failed, the upstream's code and message, what to do next.
 * Messages never contain the API key: upstream text is scrubbed before it gets here.
 */
export type FluxFailureKind =
  | 'key_rejected'
  | 'forbidden'
  | 'rate_limited'
  | 'upstream_error'
  | 'bad_request'
  | 'not_served'
  | 'timeout'
  | 'network'
  | 'invalid_response'
  | 'overloaded'
  | 'key_busy'
  | 'aborted';

export interface FluxApiErrorDetails {
  readonly kind: FluxFailureKind;
  readonly status?: number;
  readonly code?: string;
  /** Seconds the Flux API asked us to wait (its Retry-After header), when it said. */
  readonly retryAfterSeconds?: number;
  /** Whether trying the same read again soon may succeed. */
  readonly retryable?: boolean;
}

/** Failures after which the same read may well succeed a little later. */
const TRANSIENT_KINDS: ReadonlySet<FluxFailureKind> = new Set(['rate_limited', 'upstream_error', 'network', 'timeout', 'overloaded', 'key_busy']);

export class FluxApiError extends UserFacingError {
  override readonly name = 'FluxApiError';
  readonly kind: FluxFailureKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, details: FluxApiErrorDetails) {
    super(message, {
      outcome: 'upstream_error',
      transient: TRANSIENT_KINDS.has(details.kind),
      // A key the upstream refuses (401, or 403 other than an empty balance) says nothing good about
      // whoever keeps sending such keys.
      rejectsCredentials: details.kind === 'key_rejected' || (details.kind === 'forbidden' && details.code !== 'used_up'),
    });
    this.kind = details.kind;
    this.status = details.status;
    this.code = details.code;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.retryable = details.retryable ?? false;
  }
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const KEY_REJECTED_CODES = new Set(['invalid_token', 'token_expired', 'token_mismatched', 'no_token']);

function upstreamDetail(status: number, code: string | undefined, message: string | undefined): string {
  const parts = [`HTTP ${status}`];
  if (code) parts.push(message ? `${code}: ${message}` : code);
  else if (message) parts.push(message);
  return parts.join(' ');
}

/** Maps an HTTP error answer from the Flux API to the sentence the caller sees. */
export function httpFailure(
  status: number,
  code: string | undefined,
  message: string | undefined,
  retryAfterSeconds: number | undefined,
): FluxApiError {
  const detail = upstreamDetail(status, code, message);
  if (status === 401 || (code !== undefined && KEY_REJECTED_CODES.has(code))) {
    return new FluxApiError(
      `The Flux API rejected the API key (${detail}). Send a valid AceDataCloud API key as "Authorization: Bearer <key>", or, if you connected by signing in, sign in again with your current key.`,
      { kind: 'key_rejected', status, code },
    );
  }
  if (status === 429) {
    const wait = retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    return new FluxApiError(`Rate limited by the Flux API (${detail}); retry after ${wait} s.`, {
      kind: 'rate_limited',
      status,
      code,
      retryAfterSeconds,
      retryable: true,
    });
  }
  if (status === 403) {
    const next =
      code === 'used_up'
        ? 'The account behind this key has no balance left; top it up on the AceDataCloud platform.'
        : 'The key is not allowed to do this; check its permissions on the AceDataCloud platform.';
    return new FluxApiError(`The Flux API refused the request (${detail}). ${next}`, { kind: 'forbidden', status, code });
  }
  if (status === 404) {
    return new FluxApiError(
      `The Flux API does not serve the task endpoint (${detail}). The service's ACEDATACLOUD_API_BASE_URL is probably wrong; tell its operator.`,
      { kind: 'not_served', status, code },
    );
  }
  if (status >= 500) {
    return new FluxApiError(
      `The Flux API failed (${detail}). The fault is on the provider's side; try again in a minute.`,
      { kind: 'upstream_error', status, code, retryable: RETRYABLE_STATUSES.has(status) },
    );
  }
  if (status >= 400) {
    return new FluxApiError(`The Flux API rejected the request (${detail}). Check the task id and try again.`, {
      kind: 'bad_request',
      status,
      code,
    });
  }
  return new FluxApiError(`The Flux API gave an unexpected answer (HTTP ${status}). Try again shortly.`, {
    kind: 'invalid_response',
    status,
  });
}

export function timeoutFailure(timeoutMs: number): FluxApiError {
  const seconds = Math.round(timeoutMs / 100) / 10;
  return new FluxApiError(`The Flux API did not answer within ${seconds} s. Try again shortly.`, { kind: 'timeout' });
}

/** `transient`: a reset or refused connection, which a retry moments later may get past. */
export function networkFailure(reason: string, transient: boolean): FluxApiError {
  return new FluxApiError(`Could not reach the Flux API (${reason}). Try again shortly.`, {
    kind: 'network',
    retryable: transient,
  });
}

export function overloadedFailure(): FluxApiError {
  return new FluxApiError(
    'flux-mcp has too many Flux API calls in flight right now; try again in a few seconds.',
    { kind: 'overloaded' },
  );
}

export function keyBusyFailure(maxPerKey: number): FluxApiError {
  return new FluxApiError(
    `This API key already has ${maxPerKey} Flux API calls in flight at flux-mcp, its fair share; try again in a few seconds, or check several tasks with one flux_get_tasks_batch call.`,
    { kind: 'key_busy' },
  );
}

export function invalidResponseFailure(what: string, status: number): FluxApiError {
  return new FluxApiError(`The Flux API sent ${what} (HTTP ${status}). Try again shortly.`, {
    kind: 'invalid_response',
    status,
  });
}

export function abortedFailure(): FluxApiError {
  return new FluxApiError('The request was cancelled by the client before the Flux API answered.', { kind: 'aborted' });
}
