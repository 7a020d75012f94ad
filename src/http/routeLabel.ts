import { OAUTH_ROUTES } from '../auth/metadata.js';

const ROUTES = new Set(['/mcp', '/healthz', '/readyz', '/metrics', ...OAUTH_ROUTES]);

/**
 * The path of a request as logs and metrics may show it: one of the service's own routes, or
 * "other". A caller can put anything in a path, a key included, and paths are unbounded.
 */
export function routeLabel(path: string): string {
  return ROUTES.has(path) ? path : 'other';
}
