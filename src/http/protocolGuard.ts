import { UnsupportedProtocolVersionError } from '@modelcontextprotocol/server';
import type { RequestHandler, Response } from 'express';
import { LEGACY_PROTOCOL_VERSIONS, SERVED_PROTOCOL_VERSIONS } from '../mcp/protocolVersions.js';
import { sendJsonRpcError } from './jsonRpcError.js';

/** Protocol revision a 2025-era request without an MCP-Protocol-Version header is taken to speak. */
const ASSUMED_LEGACY_VERSION = '2025-03-26';
/** The first revision without JSON-RPC batching. */
const BATCHING_REMOVED_IN = '2025-06-18';
export const MAX_BATCH_MESSAGES = 10;

function requestIdOf(body: unknown): string | number | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function refuseVersion(res: Response, requested: string, body: unknown): void {
  const error = new UnsupportedProtocolVersionError({ supported: [...SERVED_PROTOCOL_VERSIONS], requested: requested.slice(0, 40) });
  res.status(400).json({ jsonrpc: '2.0', error: { code: error.code, message: error.message, data: error.data }, id: requestIdOf(body) });
}

/**
 * Rules for 2025-era requests that the SDK's legacy transport does not enforce, checked before
 * any MCP work is done (2026-07-28 requests are checked by the SDK's handler):
 * - an MCP-Protocol-Version this endpoint does not serve gets the same answer a 2026-07-28
 *   request would: -32022 naming every served version, with the request's own id;
 * - JSON-RPC batches only on revisions that still had them, of 1 to 10 messages, with distinct
 *   request ids (a repeated id would go unanswered).
 */
export function protocolGuard(): RequestHandler {
  return (req, res, next) => {
    if (res.locals.caller.era !== 'legacy') {
      next();
      return;
    }
    const header = req.headers['mcp-protocol-version'];
    const version = typeof header === 'string' ? header : undefined;
    if (version !== undefined && !LEGACY_PROTOCOL_VERSIONS.includes(version)) {
      refuseVersion(res, version, req.body);
      return;
    }
    const body: unknown = req.body;
    if (!Array.isArray(body)) {
      next();
      return;
    }
    const spoken = version ?? ASSUMED_LEGACY_VERSION;
    if (spoken >= BATCHING_REMOVED_IN) {
      sendJsonRpcError(res, 400, -32600, `Invalid Request: protocol version ${spoken} has no JSON-RPC batching; send one message per request.`);
      return;
    }
    if (body.length === 0 || body.length > MAX_BATCH_MESSAGES) {
      sendJsonRpcError(res, 400, -32600, `Invalid Request: a batch must hold 1 to ${MAX_BATCH_MESSAGES} messages.`);
      return;
    }
    const ids = body.map((message) => requestIdOf(message)).filter((id) => id !== null);
    if (new Set(ids).size !== ids.length) {
      sendJsonRpcError(res, 400, -32600, 'Invalid Request: the requests of a batch need distinct ids.');
      return;
    }
    next();
  };
}
