import { z } from 'zod';
import { isLoopbackAddress } from './http/hostOrigin.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One environment variable: its name, default, what it does, and how its text becomes a value. */
export interface Setting<T> {
  readonly env: string;
  readonly default: string;
  readonly description: string;
  readonly parse: z.ZodType<T, string>;
  /** A secret's value is never repeated in an error message. */
  readonly secret?: boolean;
}

function setting<T>(env: string, defaultValue: string, description: string, parse: z.ZodType<T, string>, secret = false): Setting<T> {
  return { env, default: defaultValue, description, parse, secret };
}

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const seconds = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number of seconds from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const httpOrigin = z.string().transform((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
    return z.NEVER;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: 'must use http or https' });
    return z.NEVER;
  }
  if (url.username || url.password || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must not carry credentials, a query or a fragment' });
    return z.NEVER;
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
});

const flag = z
  .string()
  .transform((text) => text.toLowerCase())
  .pipe(z.enum(['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'], 'must be true or false (or 1/0, yes/no, on/off)'))
  .transform((word) => ['1', 'true', 'yes', 'on'].includes(word));

/** A comma-separated list; blanks are dropped. */
const list = <T>(item: z.ZodType<T, string>) =>
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()).filter((part) => part !== ''))
    .pipe(z.array(item));

const allowedHost = z
  .string()
  .transform((text) => text.toLowerCase())
  .pipe(z.string().regex(/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/, 'must list host names, optionally with a port'));

const allowedOrigin = z.string().transform((text, ctx) => {
  if (text === '*') return text;
  try {
    const url = new URL(text);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text.replace(/\/+$/, '').toLowerCase()) {
      return url.origin;
    }
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must list origins such as https://app.example.com (scheme, host, optional port), or *' });
  return z.NEVER;
});

const metricsPort = z
  .string()
  .transform((text) => text.toLowerCase())
  .pipe(
    z.union([
      z.enum(['main', 'off']),
      z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(65535)),
    ], 'must be main, off, or a port number from 1 to 65535'),
  );

const fraction = z
  .string()
  .regex(/^(0?\.\d+|1(\.0+)?)$/, 'must be a fraction above 0 and at most 1, e.g. 0.25')
  .transform(Number)
  .pipe(z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'));

const redisUrl = z.string().transform((text, ctx) => {
  if (text === '') return undefined;
  try {
    const url = new URL(text);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return text;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a redis:// or rediss:// URL' });
  return z.NEVER;
});

const optionalKey = z
  .string()
  .regex(/^[\x21-\x7e]{0,1024}$/, 'must be an API key: visible ASCII characters without spaces')
  .transform((text) => (text === '' ? undefined : text));

const publicUrl = z.string().transform((text, ctx) => {
  if (text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL such as https://flux-mcp.example.com' });
    return z.NEVER;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackAddress(url.hostname))) {
    ctx.addIssue({ code: 'custom', message: 'must use https (plain http only for localhost, 127.0.0.1 or [::1])' });
    return z.NEVER;
  }
  if (url.username || url.password || url.search || url.hash || url.pathname.replace(/\/+$/, '') !== '') {
    ctx.addIssue({ code: 'custom', message: 'must be an origin only: scheme, host and optional port, without a path, query or credentials' });
    return z.NEVER;
  }
  return url.origin;
});

export const SECRET_HOW_TO = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

/**
 * 32 bytes in canonical base64url that look random: not a password or a pattern someone typed
 * (at least 16 distinct byte values, not all printable ASCII).
 */
function isStrongSecret(text: string): boolean {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return false;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== 32 || bytes.toString('base64url') !== text) return false;
  return new Set(bytes).size >= 16 && !bytes.every((byte) => byte >= 0x20 && byte < 0x7f);
}

const oauthSecrets = list(z.string().refine(isStrongSecret, `must list secrets of 32 random bytes in base64url (43 characters each); make one with: ${SECRET_HOW_TO}`)).refine(
  (secrets) => new Set(secrets).size === secrets.length,
  'must not list the same secret twice',
);

const hostName = z
  .string()
  .min(1, 'must not be empty')
  .regex(/^[A-Za-z0-9.:\-[\]]+$/, 'must be a host name or an IP address');

export const SETTINGS = {
  port: setting('PORT', '3000', 'TCP port of the HTTP server (0 picks a free port).', wholeNumber(0, 65535)),
  host: setting(
    'HOST',
    '127.0.0.1',
    'Interface to listen on. `127.0.0.1` serves this machine only; `0.0.0.0` serves the network (the Docker image sets it).',
    hostName,
  ),
  fluxBaseUrl: setting(
    'ACEDATACLOUD_API_BASE_URL',
    'https://api.acedata.cloud',
    'Origin of the Flux API. API keys are sent to this origin and nowhere else.',
    httpOrigin,
  ),
  fluxRequestTimeoutSeconds: setting(
    'FLUX_REQUEST_TIMEOUT',
    '30',
    'Seconds one upstream attempt may take before it is abandoned.',
    seconds(1, 1800),
  ),
  fluxTotalTimeoutSeconds: setting(
    'FLUX_TOTAL_TIMEOUT',
    '50',
    'Seconds a whole upstream call may take, retries and back-off included.',
    seconds(1, 1800),
  ),
  fluxMaxConcurrency: setting(
    'FLUX_MAX_CONCURRENCY',
    '64',
    'Upstream calls in flight at once, per process; further calls queue (up to 16 times as many), then are refused.',
    wholeNumber(1, 10_000),
  ),
  fluxMaxShare: setting(
    'FLUX_MAX_SHARE',
    '0.25',
    'The largest fraction of those upstream slots, and of the queue, one API key may hold; with `REDIS_URL` its slots are counted across replicas. A heavy key slows itself, not the others.',
    fraction,
  ),
  waitMaxPerKey: setting(
    'WAIT_MAX_PER_KEY',
    '10',
    'Waiting calls (`wait_seconds` > 0) one API key may hold open at once.',
    wholeNumber(1, 100_000),
  ),
  waitMaxTotal: setting(
    'WAIT_MAX_TOTAL',
    '2000',
    'Waiting calls the whole process may hold open at once.',
    wholeNumber(1, 1_000_000),
  ),
  anonymousDiscovery: setting(
    'MCP_ANONYMOUS_DISCOVERY',
    'false',
    'When true, `initialize`, `ping`, `tools/list`, `logging/setLevel` and notifications work without a key (for MCP registries); `tools/call` always needs one.',
    flag,
  ),
  allowedHosts: setting(
    'MCP_ALLOWED_HOSTS',
    '',
    'Comma list of `Host` names to accept (port optional). Empty: only localhost names when `HOST` is loopback, any host otherwise.',
    list(allowedHost),
  ),
  allowedOrigins: setting(
    'MCP_ALLOWED_ORIGINS',
    '',
    'Comma list of browser origins to accept (and answer CORS for), or `*`. Empty: only localhost origins when `HOST` is loopback, none otherwise. Requests without `Origin` are not affected.',
    list(allowedOrigin),
  ),
  rateLimitPerMinute: setting(
    'RATE_LIMIT_PER_MINUTE',
    '300',
    'Requests to `/mcp` per minute per API key (counted by a hash of the key); each `tools/call` in a JSON-RPC batch counts.',
    wholeNumber(1, 1_000_000),
  ),
  rateLimitIpPerMinute: setting(
    'RATE_LIMIT_IP_PER_MINUTE',
    '600',
    'Requests to `/mcp` per minute from one client IP that carry a key, whatever the key (so made-up keys cannot dodge the per-key limit).',
    wholeNumber(1, 1_000_000),
  ),
  rateLimitAnonymousPerMinute: setting(
    'RATE_LIMIT_ANONYMOUS_PER_MINUTE',
    '60',
    'Requests to `/mcp` per minute per client IP for requests without a key.',
    wholeNumber(1, 1_000_000),
  ),
  rateLimitRejectedKeys: setting(
    'RATE_LIMIT_REJECTED_KEYS',
    '20',
    'Keys the Flux API may reject (HTTP 401, or 403 other than an empty balance) for one client IP within 15 minutes; past that, the address gets 429 for its requests with a key until the window passes.',
    wholeNumber(1, 1_000_000),
  ),
  maxConnections: setting(
    'MAX_CONNECTIONS',
    '4096',
    'Open client connections the HTTP server accepts at once; further ones are refused (waiting calls hold one each).',
    wholeNumber(16, 1_000_000),
  ),
  uploadTimeoutSeconds: setting(
    'HTTP_UPLOAD_TIMEOUT',
    '15',
    'Seconds a client has to send a whole request, headers and body; slow or unfinished uploads are cut then (answers may take longer: waits are not affected).',
    seconds(1, 300),
  ),
  redisUrl: setting(
    'REDIS_URL',
    '',
    'Redis to share state across replicas: rate-limit counters, per-key wait and upstream slots, cancellations, and the single use of OAuth codes and refresh tokens. Empty: each process counts alone. If Redis becomes unreachable the service keeps serving with per-process limits and says so in logs, metrics and `/readyz` (only the OAuth token endpoint answers 503 until it returns).',
    redisUrl,
    true,
  ),
  trustProxy: setting(
    'TRUST_PROXY',
    '0',
    'Number of reverse proxies in front of the service whose `X-Forwarded-For` is trusted for the client IP (0: none).',
    wholeNumber(0, 10),
  ),
  shutdownTimeoutSeconds: setting(
    'SHUTDOWN_TIMEOUT',
    '10',
    'Seconds requests in flight may take to finish after SIGTERM/SIGINT; then every tool call still running is answered at once with an error saying the service is restarting, and the process exits.',
    seconds(0, 600),
  ),
  shutdownDelaySeconds: setting(
    'SHUTDOWN_DELAY',
    '0',
    'Seconds between SIGTERM/SIGINT and closing the listener, during which `/readyz` answers 503 so load balancers stop sending traffic (5 in the Kubernetes manifests).',
    seconds(0, 120),
  ),
  metricsPort: setting(
    'METRICS_PORT',
    'main',
    'Where Prometheus metrics are served: `main` (at `/metrics` on `PORT`), `off`, or a port of their own on `HOST` (the Docker image uses 9464, which compose does not publish).',
    metricsPort,
  ),
  publicUrl: setting(
    'PUBLIC_URL',
    '',
    'OAuth sign-in: the public origin clients reach the service at, e.g. `https://flux-mcp.example.com` (https; plain http only on loopback). It is the issuer, and `PUBLIC_URL/mcp` the resource. Together with `OAUTH_SECRETS` it turns OAuth on; both empty: header keys only.',
    publicUrl,
  ),
  oauthSecrets: setting(
    'OAUTH_SECRETS',
    '',
    'OAuth sign-in: comma list of secrets, each 32 random bytes in base64url (43 characters), that seal codes, tokens and registered clients. The first seals, every one listed opens (rotation). Needs `PUBLIC_URL`. Keep it in a secret store.',
    oauthSecrets,
    true,
  ),
  oauthAccessTokenTtlSeconds: setting(
    'OAUTH_ACCESS_TOKEN_TTL',
    '3600',
    'Seconds an OAuth access token is valid.',
    wholeNumber(60, 86_400),
  ),
  oauthRefreshTokenTtlSeconds: setting(
    'OAUTH_REFRESH_TOKEN_TTL',
    '2592000',
    'Seconds a sign-in lasts: refresh tokens rotate at every use but expire this long after the sign-in that started them (default 30 days).',
    wholeNumber(3_600, 31_536_000),
  ),
  oauthCodeTtlSeconds: setting(
    'OAUTH_CODE_TTL',
    '60',
    'Seconds an OAuth authorization code may wait to be exchanged (once) for tokens.',
    wholeNumber(10, 600),
  ),
  rateLimitOAuthPerMinute: setting(
    'RATE_LIMIT_OAUTH_PER_MINUTE',
    '600',
    'Requests to the OAuth endpoints (`/oauth/*`) per minute per client IP. Hosts such as claude.ai and ChatGPT register and refresh for all their users from a few shared addresses; each request costs only a seal or an open, no Flux API call.',
    wholeNumber(1, 1_000_000),
  ),
  rateLimitSignInPerMinute: setting(
    'RATE_LIMIT_SIGN_IN_PER_MINUTE',
    '10',
    'Submitted sign-in forms per minute per client IP (each one checks the API key with the Flux API).',
    wholeNumber(1, 1_000_000),
  ),
  sandbox: setting(
    'FLUX_SANDBOX',
    'false',
    'Demo only: when true, a local sandbox Flux API with sample tasks answers instead of AceDataCloud (`npm run demo` sets it). Logged as a loud warning.',
    flag,
  ),
  apiToken: setting(
    'ACEDATACLOUD_API_TOKEN',
    '',
    'Stdio mode only (`--stdio`): the AceDataCloud API key to use. The HTTP service never reads it: there each request brings its own key.',
    optionalKey,
    true,
  ),
  logLevel: setting('LOG_LEVEL', 'info', `Log level: ${LOG_LEVELS.join(', ')}.`, z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`)),
} as const;

type Settings = typeof SETTINGS;
export type Config = { readonly [K in keyof Settings]: Settings[K] extends Setting<infer T> ? T : never };

/** A configuration value that cannot be used; the message names the variable and never echoes a secret. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads every setting from `env`, falling back to its default when unset or empty.
 * Throws a ConfigError naming the first variable that does not parse, or the OAuth pair
 * (PUBLIC_URL, OAUTH_SECRETS) when only one of them is set.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const raw = env[spec.env];
    const text = raw === undefined || raw.trim() === '' ? spec.default : raw.trim();
    const parsed = spec.parse.safeParse(text);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]?.message ?? 'is not valid';
      const got = spec.secret ? '' : ` (got ${JSON.stringify(text.slice(0, 80))})`;
      throw new ConfigError(`${spec.env} ${reason}${got}`);
    }
    values[key] = parsed.data;
  }
  const config = values as Config;
  if (config.publicUrl !== undefined && config.oauthSecrets.length === 0) {
    throw new ConfigError('OAUTH_SECRETS is empty but PUBLIC_URL is set: OAuth sign-in needs both (or neither, for header keys only)');
  }
  if (config.publicUrl === undefined && config.oauthSecrets.length > 0) {
    throw new ConfigError('PUBLIC_URL is empty but OAUTH_SECRETS is set: OAuth sign-in needs both (or neither, for header keys only)');
  }
  return config;
}
