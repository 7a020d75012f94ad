import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { createCore, type Core } from './core.js';
import { createApp, createMetricsApp } from './http/app.js';
import type { Readiness } from './http/health.js';
import { resolveHostOriginPolicy } from './http/hostOrigin.js';
import { listen, type RunningHttpServer } from './http/listen.js';
import type { RateLimitOptions } from './http/rateLimit.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:3000; the MCP endpoint is `${url}/mcp`. */
  readonly url: string;
  /** Where /metrics is served, when metrics are on. */
  readonly metricsUrl: string | undefined;
  readonly logger: Logger;
  /**
   * Shuts down: /readyz turns 503, and after `delayMs` the listener closes, waits answer with what
   * they have, requests in flight get up to `drainMs` to finish, and the upstream pool is released.
   * Both default to the configuration (SHUTDOWN_DELAY, SHUTDOWN_TIMEOUT).
   */
  close(drainMs?: number, delayMs?: number): Promise<void>;
}

export interface ServiceOptions {
  /** Where log lines go; stdout when omitted. */
  readonly logDestination?: DestinationStream;
  /** Counter stores for the rate limiters; in memory when omitted (see RateLimitOptions.store). */
  readonly rateLimitStore?: RateLimitOptions['store'];
  /** Origins the MCP Apps view may load images from (see CoreOptions); the Flux CDN when omitted. */
  readonly viewImageOrigins?: readonly string[];
}

/** Builds the whole HTTP service from a validated configuration and starts listening. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = createLogger(config.logLevel, options.logDestination);
  let core: Core | undefined;
  const metrics = new Metrics({
    activeWaits: () => core?.waits.slots.active ?? 0,
    upstreamInFlight: () => core?.flux.inFlight ?? 0,
  });
  core = createCore(config, logger, {
    onAttempt: (attempt) => metrics.upstreamAttempted(attempt.action, attempt.outcome, attempt.attempt, attempt.durationMs),
    viewImageOrigins: options.viewImageOrigins,
  });
  const readiness: Readiness = { draining: false };
  const hostOrigin = resolveHostOriginPolicy(config.host, config.allowedHosts, config.allowedOrigins);
  const { app, mcp } = createApp(
    { ...core, metrics, readiness },
    {
      hostOrigin,
      anonymousDiscovery: config.anonymousDiscovery,
      trustProxy: config.trustProxy,
      serveMetrics: config.metricsPort === 'main',
      rateLimit: {
        perKeyPerMinute: config.rateLimitPerMinute,
        anonymousPerMinute: config.rateLimitAnonymousPerMinute,
        store: options.rateLimitStore,
      },
    },
  );
  const http = await listen(app, config.host, config.port);
  let metricsServer: RunningHttpServer | undefined;
  if (typeof config.metricsPort === 'number') metricsServer = await listen(createMetricsApp(metrics), config.host, config.metricsPort);
  const metricsUrl = metricsServer ? `${metricsServer.url}/metrics` : config.metricsPort === 'main' ? `${http.url}/metrics` : undefined;

  logger.info({ url: `${http.url}/mcp`, metrics: metricsUrl ?? 'off', flux_api: config.fluxBaseUrl }, 'flux-mcp listening');
  if (hostOrigin.allowedHosts === undefined) {
    logger.warn('MCP_ALLOWED_HOSTS is empty on a non-loopback address: any Host header is accepted; list your public host names');
  }
  if (config.anonymousDiscovery) logger.warn('MCP_ANONYMOUS_DISCOVERY is on: initialize and tools/list work without a key');

  const running = core;
  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    metricsUrl,
    logger,
    close(drainMs = config.shutdownTimeoutSeconds * 1000, delayMs = config.shutdownDelaySeconds * 1000) {
      closing ??= (async () => {
        readiness.draining = true;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        // Waiting calls answer now with what they have, so they finish inside the drain.
        running.stopWaits();
        await Promise.all([http.close(drainMs), metricsServer?.close(drainMs)]);
        await mcp.close();
        await running.close();
      })();
      return closing;
    },
  };
}
