import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandler } from 'express';
import { sendUnauthorized } from './bearerAuth.js';
import { sendJsonRpcError } from './jsonRpcError.js';

/** Protocol revision a request without an MCP-Protocol-Version header is taken to speak. */
const ASSUMED_VERSION = '2025-03-26';
/** The first revision without JSON-RPC batching. */
const BATCHING_REMOVED_IN = '2025-06-18';
export const MAX_BATCH_MESSAGES = 10;
/** What an anonymous caller may do when anonymous discovery is on: everything but calling tools. */
const ANONYMOUS_METHODS = new Set(['initialize', 'ping', 'tools/list', 'logging/setLevel']);

function methodOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const method = (message as { method?: unknown }).method;
  return typeof method === 'string' ? method : undefined;
}

/**
 * Checks the request against the protocol before any MCP work is done: a supported
 * MCP-Protocol-Version, JSON-RPC batches only where the protocol still has them (and small), and,
 * for an anonymous caller, only discovery methods and notifications.
 */
export function protocolGuard(): RequestHandler {
  return (req, res, next) => {
    const header = req.headers['mcp-protocol-version'];
    const version = typeof header === 'string' ? header : undefined;
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      sendJsonRpcError(
        res,
        400,
        -32000,
        `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version.slice(0, 40))}; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
      );
      return;
    }
    const body: unknown = req.body;
    const messages = Array.isArray(body) ? body : [body];
    if (Array.isArray(body)) {
      const spoken = version ?? ASSUMED_VERSION;
      if (spoken >= BATCHING_REMOVED_IN) {
        sendJsonRpcError(res, 400, -32600, `Invalid Request: protocol version ${spoken} has no JSON-RPC batching; send one message per request.`);
        return;
      }
      if (body.length === 0 || body.length > MAX_BATCH_MESSAGES) {
        sendJsonRpcError(res, 400, -32600, `Invalid Request: a batch must hold 1 to ${MAX_BATCH_MESSAGES} messages.`);
        return;
      }
    }
    if (res.locals.anonymous) {
      const forbidden = messages.map(methodOf).find((method) => method !== undefined && !ANONYMOUS_METHODS.has(method) && !method.startsWith('notifications/'));
      if (forbidden !== undefined) {
        sendUnauthorized(res, false, `${forbidden.slice(0, 64)} needs an API key.`);
        return;
      }
    }
    next();
  };
}
