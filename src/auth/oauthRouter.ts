import cors from 'cors';
import express, { type ErrorRequestHandler, type RequestHandler, type Response, type Router } from 'express';
import type { FluxClient } from '../flux/client.js';
import { hostAllowed, type HostOriginPolicy } from '../http/hostOrigin.js';
import { clientIpLimit, type RateLimitOptions } from '../http/rateLimit.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { authorizeRoutes } from './authorizeRoute.js';
import { registerClient } from './clientRegistration.js';
import { errorPage, setPageHeaders } from './consentPage.js';
import {
  AS_METADATA_PATH,
  AUTHORIZE_PATH,
  authorizationServerMetadata,
  OAUTH_ROUTES,
  protectedResourceMetadata,
  PRM_MCP_PATH,
  PRM_ROOT_PATH,
  REGISTER_PATH,
  TOKEN_PATH,
} from './metadata.js';
import { sendOAuthError } from './oauthError.js';
import type { OAuthSettings } from './oauthSettings.js';
import { tokenRoute } from './tokenRoute.js';

export interface OAuthRouterDeps {
  readonly flux: FluxClient;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface OAuthRouterOptions {
  readonly hostOrigin: HostOriginPolicy;
  /** Requests to /oauth/* per minute per client IP. */
  readonly perMinute: number;
  /** Submitted sign-in forms per minute per client IP (each one calls the Flux API). */
  readonly signInPerMinute: number;
  readonly store: RateLimitOptions['store'];
}

const BODY_PROBLEMS: Record<string, [number, string]> = {
  'entity.too.large': [413, 'The request body is too large.'],
  'entity.parse.failed': [400, 'The request body could not be parsed.'],
  'encoding.unsupported': [415, 'Send the body as UTF-8.'],
  'charset.unsupported': [415, 'Send the body as UTF-8.'],
  'parameters.too.many': [400, 'The request has too many parameters.'],
};

/**
 * The authorization server and the discovery documents, mounted by app.ts only when OAuth is on.
 * Every route checks the Host header like /mcp does. The metadata documents, the token endpoint
 * and registration answer any browser origin (`Access-Control-Allow-Origin: *`, no cookies):
 * they are public, or need the client's own code, verifier or token. The sign-in page is a
 * top-level page instead, with its own cross-site defences. /oauth/* is rate-limited per client
 * IP, and submitted sign-in forms, which call the Flux API, more tightly.
 */
export function oauthRouter(oauth: OAuthSettings, deps: OAuthRouterDeps, options: OAuthRouterOptions): Router {
  const { metrics } = deps;
  const router = express.Router();

  const hostGuard: RequestHandler = (req, res, next) => {
    if (hostAllowed(options.hostOrigin, req.headers.host)) {
      next();
      return;
    }
    sendOAuthError(res, 403, 'access_denied', 'This Host is not allowed here (see MCP_ALLOWED_HOSTS).');
  };
  const anyOrigin = cors({
    origin: '*',
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'MCP-Protocol-Version', 'X-Request-Id'],
    exposedHeaders: ['Retry-After', 'X-Request-Id'],
    maxAge: 600,
  });
  const pageRefusal = (res: Response, retryAfter: number) => {
    setPageHeaders(res);
    res.status(429).type('html').send(errorPage('Too many attempts', `Wait ${retryAfter} seconds, then try again.`));
  };
  // One count per client IP over /oauth/*; the sign-in page answers in HTML, the API in OAuth JSON.
  const oauthLimited = clientIpLimit({
    limit: options.perMinute,
    prefix: 'oauth',
    store: options.store,
    onLimited: () => metrics.rateLimited('oauth'),
    respond: (req, res, retryAfter) =>
      req.path === AUTHORIZE_PATH
        ? pageRefusal(res, retryAfter)
        : sendOAuthError(res, 429, 'temporarily_unavailable', `Too many requests; retry after ${retryAfter} s.`),
  });
  const signInLimited = clientIpLimit({
    limit: options.signInPerMinute,
    prefix: 'sign_in',
    store: options.store,
    onLimited: () => metrics.rateLimited('sign_in'),
    respond: (_req, res, retryAfter) => pageRefusal(res, retryAfter),
  });
  const methodNotAllowed = (allow: string): RequestHandler => (_req, res) => {
    sendOAuthError(res, 405, 'invalid_request', `Use ${allow}.`, { Allow: allow });
  };
  const document = (build: () => object): RequestHandler => {
    const body = JSON.stringify(build());
    return (_req, res) => {
      res.set('Cache-Control', 'public, max-age=300').type('application/json').send(body);
    };
  };

  router.use(OAUTH_ROUTES, hostGuard);

  for (const [path, build] of [
    [AS_METADATA_PATH, () => authorizationServerMetadata(oauth)],
    [PRM_ROOT_PATH, () => protectedResourceMetadata(oauth)],
    [PRM_MCP_PATH, () => protectedResourceMetadata(oauth)],
  ] as const) {
    router.options(path, anyOrigin);
    router.get(path, anyOrigin, document(build));
    router.all(path, methodNotAllowed('GET'));
  }

  router.options(REGISTER_PATH, anyOrigin);
  router.post(REGISTER_PATH, anyOrigin, oauthLimited, express.json({ limit: '16kb' }), registerClient(oauth, metrics));
  router.all(REGISTER_PATH, methodNotAllowed('POST'));

  const authorize = authorizeRoutes(oauth, deps);
  router.get(AUTHORIZE_PATH, oauthLimited, authorize.show);
  router.post(AUTHORIZE_PATH, oauthLimited, signInLimited, ...authorize.submit);
  router.all(AUTHORIZE_PATH, methodNotAllowed('GET, POST'));

  router.options(TOKEN_PATH, anyOrigin);
  router.post(TOKEN_PATH, anyOrigin, oauthLimited, ...tokenRoute(oauth, deps));
  router.all(TOKEN_PATH, methodNotAllowed('POST'));

  const badBody: ErrorRequestHandler = (error: { type?: string }, req, res, next) => {
    const problem = error.type === undefined ? undefined : BODY_PROBLEMS[error.type];
    if (problem === undefined) {
      next(error);
      return;
    }
    const [status, message] = problem;
    // Mounted with router.use, so req.path is relative to the matched route: take the path the client asked for.
    const path = req.originalUrl.split('?')[0];
    if (path === AUTHORIZE_PATH) {
      setPageHeaders(res);
      res.status(status).type('html').send(errorPage('Sign-in refused', message));
    } else {
      sendOAuthError(res, status, path === REGISTER_PATH ? 'invalid_client_metadata' : 'invalid_request', message);
    }
  };
  router.use(OAUTH_ROUTES, badBody);
  return router;
}
