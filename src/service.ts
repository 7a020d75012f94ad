import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { FluxClient } from './flux/client.js';
import { createApp } from './http/app.js';
import { listen } from './http/listen.js';
import { createLogger, type Logger } from './logger.js';
import { TOOLS } from './mcp/tools/index.js';
import { ToolRegistry } from './mcp/toolRegistry.js';

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:3000; the MCP endpoint is `${url}/mcp`. */
  readonly url: string;
  readonly logger: Logger;
  /** Drains requests in flight (up to `drainMs`), then releases the upstream connection pool. */
  close(drainMs?: number): Promise<void>;
}

export interface ServiceOptions {
  /** Where log lines go; stdout when omitted. */
  readonly logDestination?: DestinationStream;
}

/** Builds the whole service from a validated configuration and starts listening. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const flux = new FluxClient({
    baseUrl: config.fluxBaseUrl,
    timeoutMs: config.fluxRequestTimeoutSeconds * 1000,
    logger,
  });
  const registry = new ToolRegistry(TOOLS);
  const app = createApp({ logger, flux, registry });
  const http = await listen(app, config.host, config.port);
  logger.info({ url: `${http.url}/mcp`, flux_api: config.fluxBaseUrl }, 'flux-mcp listening');
  return {
    url: http.url,
    logger,
    async close(drainMs = 10_000) {
      await http.close(drainMs);
      await flux.close();
    },
  };
}
