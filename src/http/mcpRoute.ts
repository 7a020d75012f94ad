import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Request, RequestHandler, Response } from 'express';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import type { ToolCallReport, ToolRegistry } from '../mcp/toolRegistry.js';
import { sendJsonRpcError } from './jsonRpcError.js';
import { classifyMessage, JsonResponseTransport } from './jsonResponseTransport.js';

type Message = Record<string, unknown>;

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
  return { rpcMethod, tool: typeof name === 'string' && registry.has(name) ? name : 'unknown' };
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
 * The checks the Streamable HTTP transport makes before it hands messages on; answers the request
 * and returns undefined when one fails, else returns the messages and which of them are requests.
 */
function acceptedMessages(req: Request, res: Response): { messages: Message[]; requests: Message[] } | undefined {
  const accept = req.headers.accept;
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
    sendJsonRpcError(res, 406, -32000, 'Not Acceptable: the client must accept both application/json and text/event-stream.');
    return undefined;
  }
  if (req.body === undefined) {
    sendJsonRpcError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json.');
    return undefined;
  }
  const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
  const requests: Message[] = [];
  for (const message of messages) {
    const kind = classifyMessage(message);
    if (kind === undefined) {
      sendJsonRpcError(res, 400, -32600, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response.');
      return undefined;
    }
    if (kind === 'request') requests.push(message as Message);
  }
  if (new Set(requests.map((message) => message.id)).size !== requests.length) {
    sendJsonRpcError(res, 400, -32600, 'Invalid Request: the requests of a batch need distinct ids.');
    return undefined;
  }
  if (messages.length > 1 && requests.some((message) => message.method === 'initialize')) {
    sendJsonRpcError(res, 400, -32600, 'Invalid Request: initialize must be sent on its own.');
    return undefined;
  }
  return { messages: messages as Message[], requests };
}

/** Serves one POST as an SSE stream through the SDK's transport (progress notifications on the way). */
async function serveEventStream(server: Server, req: Request, res: Response): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: false });
  res.once('close', () => void server.close());
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}

/** Serves one POST with a plain JSON answer (or 202 when there is nothing to answer). */
async function serveJson(server: Server, req: Request, res: Response): Promise<void> {
  const accepted = acceptedMessages(req, res);
  if (!accepted) return;
  const transport = new JsonResponseTransport();
  // Closing a server aborts its running handlers; once the answer is out there are none, and
  // closing costs an Error with its stack trace, so only a client that left early gets one.
  res.once('close', () => {
    if (!res.writableFinished) void transport.close();
  });
  await server.connect(transport);
  const answer = await transport.dispatch(accepted.messages, accepted.requests, Array.isArray(req.body), {
    requestInfo: { headers: req.headers },
  });
  if (res.headersSent || res.destroyed) return;
  if (answer === undefined) {
    res.writeHead(202).end();
    return;
  }
  const body = JSON.stringify(answer);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

/**
 * POST /mcp: a fresh MCP server and a fresh stateless transport for every request, never shared.
 * The caller's key reaches that request's server only. When the client goes away before its
 * answer, the transport is closed, which aborts the upstream calls still running for it.
 */
export function mcpPost(deps: McpServerDeps & { onToolCall?: (report: ToolCallReport) => void }): RequestHandler {
  return async (req, res) => {
    Object.assign(res.locals, describeBody(req.body, deps.registry));
    const { logger } = deps;
    const requestId = res.locals.requestId;
    const server = createMcpServer(deps, {
      apiKey: res.locals.apiKey,
      owner: res.locals.keyFingerprint,
      requestId,
      onToolCall: (report) => {
        res.locals.toolOutcome = report.outcome;
        deps.onToolCall?.(report);
        if (report.outcome === 'internal_error') logger.error({ err: report.error, tool: report.tool, request_id: requestId }, 'tool failed');
      },
    });
    try {
      if (wantsEventStream(req.body, req.headers.accept)) await serveEventStream(server, req, res);
      else await serveJson(server, req, res);
    } catch (error) {
      logger.error({ err: error, request_id: requestId }, 'mcp request failed');
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
