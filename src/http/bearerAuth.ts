import type { RequestHandler, Response } from 'express';
import { keyFingerprint } from '../keyFingerprint.js';
import type { Credentials } from './caller.js';
import { sendJsonRpcError } from './jsonRpcError.js';

const BEARER = /^Bearer +([\x21-\x7e]{1,1024}) *$/i;
const HOW_TO =
  'Send your AceDataCloud API key in the header "Authorization: Bearer <key>" (get a key at https://platform.acedata.cloud).';
/** What an anonymous caller may do when anonymous discovery is on: everything but calling tools. */
const DISCOVERY_METHODS = new Set(['initialize', 'ping', 'tools/list', 'logging/setLevel', 'server/discover']);

/** Reads an `Authorization` header once: no header, a bearer key (with its fingerprint), or something else. */
export function readCredentials(header: string | undefined): Credentials {
  if (header === undefined) return { kind: 'none' };
  const apiKey = BEARER.exec(header)?.[1];
  return apiKey === undefined ? { kind: 'malformed' } : { kind: 'key', apiKey, fingerprint: keyFingerprint(apiKey) };
}

/**
 * Answers 401 with a `WWW-Authenticate: Bearer` challenge and a JSON body that says how to supply
 * a key. The offending header is never echoed.
 */
export function sendUnauthorized(res: Response, malformed: boolean, problem?: string): void {
  const challenge = malformed
    ? 'Bearer realm="flux-mcp", error="invalid_request", error_description="Authorization must be: Bearer <AceDataCloud API key>"'
    : 'Bearer realm="flux-mcp"';
  const reason = problem ?? (malformed ? 'The Authorization header is not a bearer key.' : 'No API key was sent.');
  sendJsonRpcError(res, 401, -32001, `${reason} ${HOW_TO}`, { 'WWW-Authenticate': challenge });
}

function methodsOf(body: unknown): string[] {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const methods: string[] = [];
  for (const message of messages) {
    const method = typeof message === 'object' && message !== null ? (message as { method?: unknown }).method : undefined;
    if (typeof method === 'string') methods.push(method);
  }
  return methods;
}

/**
 * Requires a bearer key. With anonymous discovery on, a request without any Authorization header
 * may still list tools and discover the server, but never call a tool, also not inside a batch.
 */
export function requireKey(anonymousDiscovery: boolean): RequestHandler {
  return (req, res, next) => {
    const { credentials } = res.locals.caller;
    if (credentials.kind === 'key') {
      next();
      return;
    }
    if (credentials.kind === 'none' && anonymousDiscovery) {
      const forbidden = methodsOf(req.body).find((method) => !DISCOVERY_METHODS.has(method) && !method.startsWith('notifications/'));
      if (forbidden === undefined) {
        next();
        return;
      }
      sendUnauthorized(res, false, `${forbidden.slice(0, 64)} needs an API key.`);
      return;
    }
    sendUnauthorized(res, credentials.kind === 'malformed');
  };
}
