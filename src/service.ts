import { setMaxListeners } from 'node:events';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { FluxClient } from './flux/client.js';
import { createApp } from './http/app.js';
import { resolveHostOriginPolicy } from './http/hostOrigin.js';
import type { RateLimitOptions } from './http/rateLimit.js';
import { listen } from './http/listen.js';
import { createLogger, type Logger } from './logger.js';
import { InFlightCalls } from './mcp/inFlightCalls.js';
import { TOOLS } from './mcp/tools/index.js';
import { ToolRegistry } from './mcp/toolRegistry.js';
import { WaitSlots } from './mcp/waitSlots.js';

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:3000; the MCP endpoint is `${url}/mcp`. */
  readonly url: string;
  readonly logger: Logger;
  /**
   * Ends waits early, drains requests in flight (up to `drainMs`), then releases the upstream
   * connection pool.
   */
  close(drainMs?: number): Promise<void>;
}

export interface ServiceOptions {
  /** Where log lines go; stdout when omitted. */
  readonly logDestination?: DestinationStream;
  /** Counter stores for the rate limiters; in memory when omitted (see RateLimitOptions.store). */
  readonly rateLimitStore?: RateLimitOptions['store'];
}

/** Builds the whole service from a validated configuration and starts listening. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const flux = new FluxClient({
    baseUrl: config.fluxBaseUrl,
    timeoutMs: config.fluxRequestTimeoutSeconds * 1000,
    totalTimeoutMs: config.fluxTotalTimeoutSeconds * 1000,
    maxConcurrency: config.fluxMaxConcurrency,
    logger,
  });
  const registry = new ToolRegistry(TOOLS);
  const stopping = new AbortController();
  // Every waiting call listens to this one signal; thousands of listeners are expected.
  setMaxListeners(0, stopping.signal);
  const waits = { slots: new WaitSlots(config.waitMaxPerKey, config.waitMaxTotal), stopping: stopping.signal };
  const hostOrigin = resolveHostOriginPolicy(config.host, config.allowedHosts, config.allowedOrigins);
  const app = createApp(
    { logger, flux, registry, waits, inFlight: new InFlightCalls() },
    {
      hostOrigin,
      anonymousDiscovery: config.anonymousDiscovery,
      trustProxy: config.trustProxy,
      rateLimit: {
        perKeyPerMinute: config.rateLimitPerMinute,
        anonymousPerMinute: config.rateLimitAnonymousPerMinute,
        store: options.rateLimitStore,
      },
    },
  );
  const http = await listen(app, config.host, config.port);
  logger.info({ url: `${http.url}/mcp`, flux_api: config.fluxBaseUrl }, 'flux-mcp listening');
  if (hostOrigin.allowedHosts === undefined) {
    logger.warn('MCP_ALLOWED_HOSTS is empty on a non-loopback address: any Host header is accepted; list your public host names');
  }
  if (config.anonymousDiscovery) logger.warn('MCP_ANONYMOUS_DISCOVERY is on: initialize and tools/list work without a key');
  return {
    url: http.url,
    logger,
    async close(drainMs = 10_000) {
      // Waiting calls answer now with what they have, so they finish inside the drain.
      stopping.abort();
      await http.close(drainMs);
      await flux.close();
    },
  };
}
