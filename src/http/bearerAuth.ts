import type { RequestHandler, Response } from 'express';
import { looksSealed } from '../auth/seal.js';
import { keyFingerprint } from '../keyFingerprint.js';
import type { Credentials } from './caller.js';
import { sendJsonRpcError } from './jsonRpcError.js';

const BEARER = /^Bearer +([\x21-\x7e]{1,1024}) *$/i;
const BEARER_TOKEN = /^Bearer +([A-Za-z0-9._-]{1,8192}) *$/i;
const HOW_TO =
  'Send your AceDataCloud API key in the header "Authorization: Bearer <key>" (get a key at https://platform.acedata.cloud)';
/** What an anonymous caller may do when anonymous discovery is on: everything but calling tools. */
const DISCOVERY_METHODS = new Set(['initialize', 'ping', 'tools/list', 'logging/setLevel', 'server/discover']);

/**
 * Reads an `Authorization` header once: no header, a bearer key (with its fingerprint), one of
 * this service's access tokens (only when `acceptsTokens`: OAuth is on), or something else. A
 * token is told from a key by its shape: a compact JWE whose protected header names one of the
 * kinds this service seals.
 */
export function readCredentials(header: string | undefined, acceptsTokens = false): Credentials {
  if (header === undefined) return { kind: 'none' };
  if (acceptsTokens) {
    const token = BEARER_TOKEN.exec(header)?.[1];
    if (token !== undefined && looksSealed(token)) return { kind: 'sealed', token };
  }
  const apiKey = BEARER.exec(header)?.[1];
  return apiKey === undefined ? { kind: 'malformed' } : { kind: 'key', apiKey, fingerprint: keyFingerprint(apiKey), via: 'header' };
}

/** With OAuth on: where clients discover how to sign in (RFC 9728), named in every challenge. */
export interface OAuthChallenge {
  readonly resourceMetadataUrl: string;
  readonly scope: string;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Answers 401 with a `WWW-Authenticate: Bearer` challenge and a JSON body that says how to supply
 * a key. With OAuth on, the challenge names the resource metadata (and the scope), and a token
 * that did not pass gets `error="invalid_token"` so clients refresh or sign in again. The
 * offending header is never echoed.
 */
export function sendUnauthorized(
  res: Response,
  kind: 'none' | 'malformed' | 'invalid_token',
  oauth: OAuthChallenge | undefined,
  problem?: string,
): void {
  const params = ['realm="flux-mcp"'];
  if (kind === 'malformed') params.push('error="invalid_request"', 'error_description="Authorization must be: Bearer <AceDataCloud API key>"');
  if (kind === 'invalid_token') params.push('error="invalid_token"', `error_description=${quoted(problem ?? 'The access token is not valid.')}`);
  if (oauth) params.push(`resource_metadata=${quoted(oauth.resourceMetadataUrl)}`, `scope=${quoted(oauth.scope)}`);
  const reason =
    kind === 'invalid_token'
      ? `${problem ?? 'The access token is not valid.'} Refresh it, or sign in again.`
      : (problem ?? (kind === 'malformed' ? 'The Authorization header is not a bearer key.' : 'No API key was sent.'));
  const howTo = oauth ? `${HOW_TO}, or connect with an OAuth client, which signs you in with your key.` : `${HOW_TO}.`;
  sendJsonRpcError(res, 401, -32001, `${reason} ${howTo}`, { 'WWW-Authenticate': `Bearer ${params.join(', ')}` });
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
 * Requires a bearer key (given in the header, or sealed in an access token). With anonymous
 * discovery on, a request without any Authorization header may still list tools and discover
 * the server, but never call a tool, also not inside a batch. A token that did not pass is
 * refused even then: its client must learn to refresh.
 */
export function requireKey(anonymousDiscovery: boolean, oauth?: OAuthChallenge): RequestHandler {
  return (req, res, next) => {
    const { credentials } = res.locals.caller;
    switch (credentials.kind) {
      case 'key':
        next();
        return;
      case 'none': {
        if (!anonymousDiscovery) break;
        const forbidden = methodsOf(req.body).find((method) => !DISCOVERY_METHODS.has(method) && !method.startsWith('notifications/'));
        if (forbidden === undefined) {
          next();
          return;
        }
        sendUnauthorized(res, 'none', oauth, `${forbidden.slice(0, 64)} needs an API key.`);
        return;
      }
      case 'invalid_token':
        sendUnauthorized(res, 'invalid_token', oauth, credentials.problem);
        return;
      case 'sealed':
        sendUnauthorized(res, 'invalid_token', oauth);
        return;
      case 'malformed':
        sendUnauthorized(res, 'malformed', oauth);
        return;
    }
    sendUnauthorized(res, 'none', oauth);
  };
}
