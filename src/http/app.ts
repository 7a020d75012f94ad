import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from '../logger.js';
import type { McpServerDeps } from '../mcp/server.js';
import { readBearerKey, requireKey } from './bearerAuth.js';
import { mcpCors } from './cors.js';
import { healthz } from './health.js';
import { hostOriginGuard, type HostOriginPolicy } from './hostOrigin.js';
import { jsonBody } from './jsonBody.js';
import { sendJsonRpcError } from './jsonRpcError.js';
import './locals.js';
import { mcpMethodNotAllowed, mcpPost } from './mcpRoute.js';
import { protocolGuard } from './protocolGuard.js';
import { rateLimits, type RateLimitOptions } from './rateLimit.js';
import { requestLog } from './requestLog.js';

export type AppDeps = McpServerDeps;

export interface AppOptions {
  readonly hostOrigin: HostOriginPolicy;
  readonly anonymousDiscovery: boolean;
  readonly rateLimit: RateLimitOptions;
  /** Reverse proxies whose X-Forwarded-For is trusted (0: none). */
  readonly trustProxy: number;
}

const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: 'not_found', message: `Nothing at ${req.method} ${req.path}; the MCP endpoint is POST /mcp.` });
};

function lastResort(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    logger.error({ err: error }, 'unhandled request error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJsonRpcError(res, 500, -32603, 'Internal error.');
  };
}

/** The HTTP app: the order of the middlewares is the path a request takes. */
export function createApp(deps: AppDeps, options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy);
  app.use(requestLog(deps.logger));
  app.use(helmet());
  app.get('/healthz', healthz);
  app.use('/mcp', hostOriginGuard(options.hostOrigin), mcpCors());
  app.post(
    '/mcp',
    readBearerKey,
    ...rateLimits(options.rateLimit),
    requireKey(options.anonymousDiscovery),
    ...jsonBody(),
    protocolGuard(),
    mcpPost(deps),
  );
  app.all('/mcp', mcpMethodNotAllowed);
  app.use(notFound);
  app.use(lastResort(deps.logger));
  return app;
}
