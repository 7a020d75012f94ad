import type { RequestHandler, Response } from 'express';
import { keyFingerprint } from '../keyFingerprint.js';
import { sendJsonRpcError } from './jsonRpcError.js';

const BEARER = /^Bearer +([\x21-\x7e]{1,1024}) *$/i;
const HOW_TO =
  'Send your AceDataCloud API key in the header "Authorization: Bearer <key>" (get a key at https://platform.acedata.cloud).';

/** The key from an `Authorization: Bearer <key>` header, or undefined when absent or malformed. */
export function bearerKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

/**
 * Answers 401 with a `WWW-Authenticate: Bearer` challenge and a JSON body that says how to supply
 * a key. The offending header is never echoed.
 */
export function sendUnauthorized(res: Response, headerSent: boolean, problem?: string): void {
  const challenge = headerSent
    ? 'Bearer realm="flux-mcp", error="invalid_request", error_description="Authorization must be: Bearer <AceDataCloud API key>"'
    : 'Bearer realm="flux-mcp"';
  const reason = problem ?? (headerSent ? 'The Authorization header is not a bearer key.' : 'No API key was sent.');
  sendJsonRpcError(res, 401, -32001, `${reason} ${HOW_TO}`, { 'WWW-Authenticate': challenge });
}

/**
 * Puts the bearer key, when there is a well-formed one, on `res.locals.apiKey` for this request,
 * with its fingerprint for everything that counts per key.
 */
export const readBearerKey: RequestHandler = (req, res, next) => {
  const apiKey = bearerKey(req.headers.authorization);
  if (apiKey !== undefined) {
    res.locals.apiKey = apiKey;
    res.locals.keyFingerprint = keyFingerprint(apiKey);
  }
  next();
};

/**
 * Requires a bearer key. With anonymous discovery on, a request without any Authorization header
 * is let through as anonymous; which methods it may call is checked once the body is read.
 */
export function requireKey(anonymousDiscovery: boolean): RequestHandler {
  return (req, res, next) => {
    if (res.locals.apiKey !== undefined) {
      next();
      return;
    }
    const headerSent = req.headers.authorization !== undefined;
    if (!headerSent && anonymousDiscovery) {
      res.locals.anonymous = true;
      next();
      return;
    }
    sendUnauthorized(res, headerSent);
  };
}
