import type { DestinationStream } from 'pino';
import { ClientMetadataDocuments, type ClientMetadataOptions } from './auth/clientMetadataDocuments.js';
import { oauthSettings } from './auth/oauthSettings.js';
import type { Config } from './config.js';
import { createCore, type Core } from './core.js';
import { createApp, createMetricsApp } from './http/app.js';
import type { Readiness } from './http/health.js';
import { resolveHostOriginPolicy } from './http/hostOrigin.js';
import { listen, type RunningHttpServer } from './http/listen.js';
import { createLogger, stdoutLogOutput, type Logger, type LogOutput } from './logger.js';
import { Metrics } from './metrics.js';
import { localState } from './shared/localState.js';
import { redisState } from './shared/redisState.js';
import type { SharedState } from './shared/sharedState.js';

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:3000; the MCP endpoint is `${url}/mcp`. */
  readonly url: string;
  /** Where /metrics is served, when metrics are on. */
  readonly metricsUrl: string | undefined;
  readonly logger: Logger;
  /** Where limits and slots are counted now: per process (`off`), on Redis (`up`), or per process while Redis is away (`down`). */
  readonly shared: SharedState;
  /**
   * Shuts down: /readyz turns 503; after `delayMs` the listener closes and waits answer with what
   * they have; requests in flight get up to `drainMs` to finish, then every tool call still running
   * is answered with a "restarting" error and the last connections are cut; the upstream pool and
   * the shared store are released. Both default to the configuration (SHUTDOWN_DELAY, SHUTDOWN_TIMEOUT).
   */
  close(drainMs?: number, delayMs?: number): Promise<void>;
  /** Writes out buffered log lines, never waiting longer than `ms`. */
  flushLogs(ms: number): Promise<void>;
}

export interface ServiceOptions {
  /** Where log lines go; stdout when omitted. */
  readonly logDestination?: DestinationStream;
  /** What replicas share; from REDIS_URL when omitted (tests pass their own to look inside). */
  readonly shared?: SharedState;
  /** How Client ID Metadata Documents are fetched; tests only (see ClientMetadataOptions.testFixture). */
  readonly clientMetadata?: ClientMetadataOptions;
  /** Origins the MCP Apps view may load images from (see CoreOptions); the Flux CDN when omitted. */
  readonly viewImageOrigins?: readonly string[];
  /** Logged as warnings with the start-up lines (the demo's sandbox warning). */
  readonly startupWarnings?: readonly string[];
}

/** Builds the whole HTTP service from a validated configuration and starts listening. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const output: LogOutput = options.logDestination
    ? { stream: options.logDestination, flush: async () => undefined, writeOut: () => undefined }
    : stdoutLogOutput();
  const logger = createLogger(config.logLevel, output.stream);
  let core: Core | undefined;
  const metrics = new Metrics({
    activeWaits: () => core?.waits.slots.active ?? 0,
    upstreamInFlight: () => core?.flux.inFlight ?? 0,
  });
  const shared =
    options.shared ??
    (config.redisUrl ? redisState({ url: config.redisUrl, logger, onStatus: (state) => metrics.sharedState(state) }) : localState());
  if (!config.redisUrl) metrics.sharedState(shared.status());
  core = createCore(config, logger, shared, {
    onAttempt: (attempt) => metrics.upstreamAttempted(attempt.action, attempt.outcome, attempt.attempt, attempt.durationMs),
    viewImageOrigins: options.viewImageOrigins,
  });
  const readiness: Readiness = { draining: false, shared: () => shared.status() };
  const clientDocuments = config.publicUrl !== undefined ? new ClientMetadataDocuments(options.clientMetadata) : undefined;
  const oauth = clientDocuments && oauthSettings(config, shared, clientDocuments);
  const hostOrigin = resolveHostOriginPolicy(
    config.host,
    config.allowedHosts,
    config.allowedOrigins,
    oauth ? new URL(oauth.issuer).hostname : undefined,
  );
  const { app, mcp } = createApp(
    { ...core, metrics, readiness },
    {
      hostOrigin,
      anonymousDiscovery: config.anonymousDiscovery,
      trustProxy: config.trustProxy,
      serveMetrics: config.metricsPort === 'main',
      ...(oauth ? { oauth: { settings: oauth, perMinute: config.rateLimitOAuthPerMinute, signInPerMinute: config.rateLimitSignInPerMinute } } : {}),
      rateLimit: {
        perKeyPerMinute: config.rateLimitPerMinute,
        perIpPerMinute: config.rateLimitIpPerMinute,
        anonymousPerMinute: config.rateLimitAnonymousPerMinute,
        rejectedKeys: config.rateLimitRejectedKeys,
        store: (prefix) => shared.rateLimitStore(prefix),
      },
    },
  );
  const http = await listen(app, config.host, config.port, {
    maxConnections: config.maxConnections,
    uploadTimeoutMs: config.uploadTimeoutSeconds * 1000,
  });
  let metricsServer: RunningHttpServer | undefined;
  if (typeof config.metricsPort === 'number') metricsServer = await listen(createMetricsApp(metrics), config.host, config.metricsPort);
  const metricsUrl = metricsServer ? `${metricsServer.url}/metrics` : config.metricsPort === 'main' ? `${http.url}/metrics` : undefined;

  logger.info(
    { url: `${http.url}/mcp`, metrics: metricsUrl ?? 'off', flux_api: config.fluxBaseUrl, shared_state: config.redisUrl ? 'redis' : 'per process' },
    'flux-mcp listening',
  );
  if (hostOrigin.allowedHosts === undefined) {
    logger.warn('MCP_ALLOWED_HOSTS is empty on a non-loopback address: any Host header is accepted; list your public host names');
  }
  if (config.anonymousDiscovery) logger.warn('MCP_ANONYMOUS_DISCOVERY is on: initialize and tools/list work without a key');
  if (oauth) {
    logger.info({ issuer: oauth.issuer, resource: oauth.resource }, 'OAuth sign-in on');
    if (!config.redisUrl) logger.info('OAuth codes and refresh tokens are single-use per process: set REDIS_URL so single use holds across replicas');
  }
  for (const warning of options.startupWarnings ?? []) logger.warn(warning);
  // The start-up lines go out at once, not with the first batch: operators and scripts wait for them.
  output.writeOut();

  const running = core;
  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    metricsUrl,
    logger,
    shared,
    close(drainMs = config.shutdownTimeoutSeconds * 1000, delayMs = config.shutdownDelaySeconds * 1000) {
      closing ??= (async () => {
        readiness.draining = true;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        // Waiting calls answer now with what they have, so they finish inside the drain.
        running.stopWaits();
        const answerTheRest = () => {
          const interrupted = running.interruptCalls();
          if (interrupted > 0) logger.warn({ calls: interrupted }, 'drain time is up: answering the tool calls still running with a restarting error');
        };
        await Promise.all([http.close(drainMs, answerTheRest), metricsServer?.close(drainMs)]);
        await mcp.close();
        await running.close();
        await clientDocuments?.close();
        await shared.close();
      })();
      return closing;
    },
    flushLogs: (ms) => output.flush(ms),
  };
}
