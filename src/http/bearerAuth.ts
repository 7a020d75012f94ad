import type { RequestHandler } from 'express';
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
 * Requires `Authorization: Bearer <key>` and puts the key on `res.locals.apiKey` for this request.
 * Anything else is answered 401 with a `WWW-Authenticate: Bearer` challenge and a JSON body that
 * says how to supply a key; the offending header is never echoed.
 */
export function bearerAuth(): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const apiKey = bearerKey(header);
    if (apiKey !== undefined) {
      res.locals.apiKey = apiKey;
      next();
      return;
    }
    const challenge = header
      ? 'Bearer realm="flux-mcp", error="invalid_request", error_description="Authorization must be: Bearer <AceDataCloud API key>"'
      : 'Bearer realm="flux-mcp"';
    const problem = header ? 'The Authorization header is not a bearer key.' : 'No API key was sent.';
    sendJsonRpcError(res, 401, -32001, `${problem} ${HOW_TO}`, { 'WWW-Authenticate': challenge });
  };
}
