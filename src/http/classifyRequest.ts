import { classifyInboundRequest } from '@modelcontextprotocol/server';
import type { RequestHandler } from 'express';
import type { ToolRegistry } from '../mcp/toolRegistry.js';

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** JSON-RPC method and tool name of a single-message body, for logs. Tool names are only kept when known. */
function describe(body: unknown, registry: ToolRegistry): { rpcMethod?: string; tool?: string } {
  if (Array.isArray(body)) return { rpcMethod: 'batch' };
  if (typeof body !== 'object' || body === null) return {};
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  if (typeof method !== 'string') return {};
  const rpcMethod = method.length <= 64 ? method : 'unknown';
  if (rpcMethod !== 'tools/call') return { rpcMethod };
  const name = params?.name;
  return { rpcMethod, tool: typeof name === 'string' && registry.has(name) ? name : 'unknown' };
}

/**
 * Notes on the caller which protocol era the parsed body speaks, by the SDK's own classification
 * (the one its handler routes on), and which JSON-RPC method and tool it names, so that logs and
 * metrics carry them also for requests refused later on.
 */
export function classifyRequest(registry: ToolRegistry): RequestHandler {
  return (req, res, next) => {
    if (req.body !== undefined) {
      const caller = res.locals.caller;
      const outcome = classifyInboundRequest({
        httpMethod: 'POST',
        protocolVersionHeader: header(req.headers['mcp-protocol-version']),
        mcpMethodHeader: header(req.headers['mcp-method']),
        mcpNameHeader: header(req.headers['mcp-name']),
        body: req.body,
      });
      caller.era = outcome.kind === 'legacy' ? 'legacy' : 'modern';
      Object.assign(caller, describe(req.body, registry));
    }
    next();
  };
}
