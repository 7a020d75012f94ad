import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { RequestHandler } from 'express';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import type { ToolCallReport, ToolRegistry } from '../mcp/toolRegistry.js';
import { sendJsonRpcError } from './jsonRpcError.js';

/** JSON-RPC method and tool name of a single-message body, for logging. Tool names are only kept when known. */
function describeBody(body: unknown, registry: ToolRegistry): { rpcMethod?: string; tool?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return Array.isArray(body) ? { rpcMethod: 'batch' } : {};
  }
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  if (typeof method !== 'string') return {};
  const rpcMethod = method.length <= 64 ? method : 'unknown';
  if (rpcMethod !== 'tools/call') return { rpcMethod };
  const name = params?.name;
  return { rpcMethod, tool: typeof name === 'string' && registry.names.includes(name) ? name : 'unknown' };
}

function asksForProgress(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const meta = (message as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta;
  return meta?.progressToken !== undefined && meta.progressToken !== null;
}

/**
 * Answer as an SSE stream only when a message asks for progress notifications and the client
 * accepts event streams; plain JSON otherwise, which is cheaper for client and server.
 */
function wantsEventStream(body: unknown, accept: string | undefined): boolean {
  if (!accept?.includes('text/event-stream')) return false;
  return Array.isArray(body) ? body.some(asksForProgress) : asksForProgress(body);
}

/**
 * POST /mcp: a fresh MCP server and a fresh stateless transport for every request, never shared.
 * The caller's key reaches that request's server only; both are closed when the response ends,
 * which also aborts any upstream call still running for a client that went away.
 */
export function mcpPost(deps: McpServerDeps & { onToolCall?: (report: ToolCallReport) => void }): RequestHandler {
  return async (req, res) => {
    Object.assign(res.locals, describeBody(req.body, deps.registry));
    const logger = res.locals.logger;
    const server = createMcpServer(deps, {
      apiKey: res.locals.apiKey,
      owner: res.locals.keyFingerprint,
      requestId: res.locals.requestId,
      logger,
      onToolCall: (report) => {
        res.locals.toolOutcome = report.outcome;
        deps.onToolCall?.(report);
        if (report.outcome === 'internal_error') logger.error({ err: report.error, tool: report.tool }, 'tool failed');
      },
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: !wantsEventStream(req.body, req.headers.accept),
    });
    res.once('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      logger.error({ err: error }, 'mcp request failed');
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error while handling the MCP request.');
    }
  };
}

/** GET and DELETE /mcp: this stateless server offers neither a standalone SSE stream nor sessions. */
export const mcpMethodNotAllowed: RequestHandler = (req, res) => {
  sendJsonRpcError(res, 405, -32000, `Method ${req.method} is not allowed on /mcp; send JSON-RPC messages with POST.`, {
    Allow: 'POST',
  });
};
