import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProtocolEra } from './mcp/caller.js';

/** Gauges read at scrape time, from the parts of the service that own the numbers. */
export interface MetricSources {
  readonly activeWaits: () => number;
  readonly upstreamInFlight: () => number;
}

/** How a submitted sign-in form ended. */
export type SignInOutcome = 'approved' | 'cancelled' | 'key_rejected' | 'upstream_error' | 'invalid_key';
export type OAuthGrant = 'authorization_code' | 'refresh_token';
export type OAuthEndpoint = 'authorize' | 'consent' | 'token' | 'register' | 'mcp';
/** Why an OAuth request was refused: a fixed vocabulary, never text a caller chose. */
export type OAuthRefusal =
  | 'invalid_request'
  | 'unknown_client'
  | 'client_metadata_unavailable'
  | 'redirect_uri_mismatch'
  | 'unsupported_response_type'
  | 'pkce_required'
  | 'invalid_target'
  | 'cross_site'
  | 'form_expired'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_grant'
  | 'expired'
  | 'client_mismatch'
  | 'pkce_mismatch'
  | 'replayed'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_token'
  | 'unknown_secret'
  | 'wrong_audience'
  | 'unavailable';
export type RateLimiter = 'key' | 'ip' | 'anonymous' | 'rejected_keys' | 'oauth' | 'sign_in';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60];
const KNOWN_METHODS = new Set(['GET', 'POST', 'DELETE', 'OPTIONS', 'HEAD']);

/**
 * The service's Prometheus metrics, in a registry of its own. Every label has a small, fixed set
 * of values (routes, methods, status codes, tool names, outcomes, attempt numbers): never a key,
 * a task id, an IP or anything else a caller chooses.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #httpRequests: Counter<'route' | 'method' | 'status' | 'era'>;
  readonly #httpInFlight: Gauge;
  readonly #toolCalls: Counter<'tool' | 'outcome' | 'era'>;
  readonly #toolDuration: Histogram<'tool' | 'outcome'>;
  readonly #upstreamAttempts: Counter<'action' | 'outcome' | 'attempt'>;
  readonly #upstreamDuration: Histogram<'action' | 'outcome'>;
  readonly #rateLimited: Counter<'limiter'>;
  readonly #sharedState: Gauge<'state'>;
  readonly #signIns: Counter<'outcome'>;
  readonly #tokensIssued: Counter<'grant'>;
  readonly #oauthRefusals: Counter<'endpoint' | 'reason'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#httpRequests = new Counter({
      name: 'flux_mcp_http_requests_total',
      help: 'HTTP requests answered, by route, method, status code and protocol era (modern, legacy, or none when not an MCP message).',
      labelNames: ['route', 'method', 'status', 'era'],
      registers,
    });
    this.#httpInFlight = new Gauge({ name: 'flux_mcp_http_requests_in_flight', help: 'HTTP requests being answered now.', registers });
    this.#toolCalls = new Counter({
      name: 'flux_mcp_tool_calls_total',
      help: 'Tool calls, by tool, outcome (ok, invalid_input, refused, upstream_error, internal_error) and protocol era.',
      labelNames: ['tool', 'outcome', 'era'],
      registers,
    });
    this.#toolDuration = new Histogram({
      name: 'flux_mcp_tool_call_duration_seconds',
      help: 'Time to answer a tool call, waits included, by tool and outcome.',
      labelNames: ['tool', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#upstreamAttempts = new Counter({
      name: 'flux_mcp_upstream_requests_total',
      help: 'Requests to the Flux API, by action, outcome (ok or the failure kind) and attempt number.',
      labelNames: ['action', 'outcome', 'attempt'],
      registers,
    });
    this.#upstreamDuration = new Histogram({
      name: 'flux_mcp_upstream_request_duration_seconds',
      help: 'Time of one request to the Flux API, by action and outcome.',
      labelNames: ['action', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#rateLimited = new Counter({
      name: 'flux_mcp_rate_limited_total',
      help: 'Requests refused by a rate limit, by limiter (key, ip, anonymous, rejected_keys, oauth or sign_in).',
      labelNames: ['limiter'],
      registers,
    });
    this.#signIns = new Counter({
      name: 'flux_mcp_oauth_sign_ins_total',
      help: 'Submitted OAuth sign-in forms, by outcome (approved, cancelled, key_rejected, upstream_error, invalid_key).',
      labelNames: ['outcome'],
      registers,
    });
    this.#tokensIssued = new Counter({
      name: 'flux_mcp_oauth_tokens_issued_total',
      help: 'OAuth token responses, by grant (authorization_code: a new sign-in; refresh_token: a refresh).',
      labelNames: ['grant'],
      registers,
    });
    this.#oauthRefusals = new Counter({
      name: 'flux_mcp_oauth_refusals_total',
      help: 'Refused OAuth requests and access tokens, by endpoint (authorize, consent, token, register, mcp) and reason.',
      labelNames: ['endpoint', 'reason'],
      registers,
    });
    this.#sharedState = new Gauge({
      name: 'flux_mcp_shared_state',
      help: 'Where limits and slots are counted: 1 for the current state (off: per process by configuration; up: shared on Redis; down: Redis unreachable, per process until it returns).',
      labelNames: ['state'],
      registers,
    });
    new Gauge({
      name: 'flux_mcp_active_waits',
      help: 'Tool calls now waiting for tasks to settle (wait_seconds > 0).',
      registers,
      collect() {
        this.set(sources.activeWaits());
      },
    });
    new Gauge({
      name: 'flux_mcp_upstream_in_flight',
      help: 'Requests to the Flux API in flight now.',
      registers,
      collect() {
        this.set(sources.upstreamInFlight());
      },
    });
  }

  httpStarted(): void {
    this.#httpInFlight.inc();
  }

  /** `route` must be a fixed label (see routeLabel), never a raw path. */
  httpFinished(route: string, method: string, status: number, era: ProtocolEra | undefined): void {
    this.#httpInFlight.dec();
    this.#httpRequests.inc({
      route,
      method: KNOWN_METHODS.has(method) ? method : 'other',
      status: String(status),
      era: era ?? 'none',
    });
  }

  toolCalled(tool: string, outcome: string, era: ProtocolEra, durationMs: number): void {
    this.#toolCalls.inc({ tool, outcome, era });
    this.#toolDuration.observe({ tool, outcome }, durationMs / 1000);
  }

  upstreamAttempted(action: string, outcome: string, attempt: number, durationMs: number): void {
    this.#upstreamAttempts.inc({ action, outcome, attempt: String(attempt) });
    this.#upstreamDuration.observe({ action, outcome }, durationMs / 1000);
  }

  rateLimited(limiter: RateLimiter): void {
    this.#rateLimited.inc({ limiter });
  }

  oauthSignIn(outcome: SignInOutcome): void {
    this.#signIns.inc({ outcome });
  }

  oauthTokensIssued(grant: OAuthGrant): void {
    this.#tokensIssued.inc({ grant });
  }

  oauthRefused(endpoint: OAuthEndpoint, reason: OAuthRefusal): void {
    this.#oauthRefusals.inc({ endpoint, reason });
  }

  sharedState(state: 'off' | 'up' | 'down'): void {
    for (const each of ['off', 'up', 'down'] as const) this.#sharedState.set({ state: each }, each === state ? 1 : 0);
  }
}
