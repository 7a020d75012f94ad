import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's security headers. With its default, request-independent settings helmet sets the same
 * headers on every response, so it runs once at start against a recording response, and each
 * request then gets the recorded headers in one call instead of a chain of thirteen middlewares.
 */
export function securityHeaders(): RequestHandler {
  const headers = new Map<string, string | string[]>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, typeof value === 'number' ? String(value) : (value as string | string[]));
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader: () => undefined,
  };
  let finished = false;
  helmet()({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished || headers.size === 0) throw new Error('helmet did not finish synchronously; security headers cannot be precomputed');
  return (_req, res, next) => {
    res.setHeaders(headers);
    next();
  };
}
