import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { resolveAccessToken } from '../auth/accessToken.js';
import { oauthRouter } from '../auth/oauthRouter.js';
import { SCOPE, type OAuthSettings } from '../auth/oauthSettings.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { McpServerDeps } from '../mcp/server.js';
import { UserFacingError } from '../userFacingError.js';
import { requireKey } from './bearerAuth.js';
import { classifyRequest } from './classifyRequest.js';
import { mcpCors } from './cors.js';
import { healthz, readyz, type Readiness } from './health.js';
import { hostOriginGuard, type HostOriginPolicy } from './hostOrigin.js';
import { httpMetrics } from './httpMetrics.js';
import { jsonBody } from './jsonBody.js';
import { sendJsonRpcError } from './jsonRpcError.js';
import { mcpEndpoint, mcpMethodNotAllowed, type McpEndpoint } from './mcpRoute.js';
import { metricsRoute } from './metricsRoute.js';
import { protocolGuard } from './protocolGuard.js';
import { rateLimits, type RateLimitOptions } from './rateLimit.js';
import { securityHeaders } from './securityHeaders.js';
import { requestContext } from './requestContext.js';
import { requestLog } from './requestLog.js';

export interface AppDeps extends McpServerDeps {
  readonly metrics: Metrics;
  readonly readiness: Readiness;
}

export interface AppOptions {
  readonly hostOrigin: HostOriginPolicy;
  readonly anonymousDiscovery: boolean;
  readonly rateLimit: RateLimitOptions;
  /** Reverse proxies whose X-Forwarded-For is trusted (0: none). */
  readonly trustProxy: number;
  /** Serve GET /metrics on this app (false when metrics are off or have a port of their own). */
  readonly serveMetrics: boolean;
  /** OAuth sign-in, when PUBLIC_URL and OAUTH_SECRETS turn it on. */
  readonly oauth?: {
    readonly settings: OAuthSettings;
    /** Requests to /oauth/* per minute per client IP. */
    readonly perMinute: number;
    /** Submitted sign-in forms per minute per client IP. */
    readonly signInPerMinute: number;
  };
}

const notFound: RequestHandler = (_req, res) => {
  res.status(404).json({ error: 'not_found', message: 'Nothing here; the MCP endpoint is POST /mcp.' });
};

function lastResort(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    logger.error({ err: error, request_id: res.locals.caller?.requestId }, 'unhandled request error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJsonRpcError(res, 500, -32603, 'Internal error.');
  };
}

function baseApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  return app;
}

/** The HTTP app: the order of the middlewares is the path a request takes. */
export function createApp(deps: AppDeps, options: AppOptions): { app: Express; mcp: McpEndpoint } {
  const app = baseApp();
  const limits = rateLimits({ ...options.rateLimit, onLimited: (limiter) => deps.metrics.rateLimited(limiter) });
  const mcp = mcpEndpoint({
    ...deps,
    onToolCall: (report, caller) => {
      deps.metrics.toolCalled(report.tool, report.outcome, caller.era ?? 'legacy', report.durationMs);
      const headerKey = caller.credentials.kind === 'key' && caller.credentials.via === 'header';
      if (headerKey && report.error instanceof UserFacingError && report.error.rejectsCredentials) limits.noteRejectedKey(caller.clientAddress);
    },
  });
  const { oauth } = options;
  app.set('trust proxy', options.trustProxy);
  app.use(requestContext(oauth !== undefined), httpMetrics(deps.metrics), requestLog(deps.logger), securityHeaders());
  app.get('/healthz', healthz);
  app.get('/readyz', readyz(deps.readiness));
  if (options.serveMetrics) app.get('/metrics', hostOriginGuard(options.hostOrigin), metricsRoute(deps.metrics));
  if (oauth) {
    app.use(
      oauthRouter(
        oauth.settings,
        { flux: deps.flux, metrics: deps.metrics, logger: deps.logger },
        { hostOrigin: options.hostOrigin, perMinute: oauth.perMinute, signInPerMinute: oauth.signInPerMinute, store: options.rateLimit.store },
      ),
    );
  }
  app.use('/mcp', hostOriginGuard(options.hostOrigin), mcpCors());
  app.post(
    '/mcp',
    // An access token becomes the key sealed in it before any limit counts, so one key is one tenant however it arrives.
    ...(oauth ? [resolveAccessToken(oauth.settings, deps.metrics)] : []),
    ...limits.byAddress,
    jsonBody(),
    classifyRequest(deps.registry),
    requireKey(options.anonymousDiscovery, oauth ? { resourceMetadataUrl: oauth.settings.resourceMetadataUrl, scope: SCOPE } : undefined),
    ...limits.byKey,
    protocolGuard(),
    mcp.post,
  );
  app.all('/mcp', mcpMethodNotAllowed);
  app.use(notFound);
  app.use(lastResort(deps.logger));
  return { app, mcp };
}

/** A separate app serving only /metrics, for METRICS_PORT. */
export function createMetricsApp(metrics: Metrics): Express {
  const app = baseApp();
  app.get('/metrics', metricsRoute(metrics));
  app.use(notFound);
  return app;
}
