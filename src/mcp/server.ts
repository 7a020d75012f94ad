import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { FluxClient } from '../flux/client.js';
import type { Logger } from '../logger.js';
import { VERSION } from '../version.js';
import { errorResult } from './result.js';
import type { ToolCallReport, ToolRegistry } from './toolRegistry.js';

/** Long-lived pieces shared by every request: built once at start. */
export interface McpServerDeps {
  readonly registry: ToolRegistry;
  readonly flux: FluxClient;
  readonly logger: Logger;
}

/** Pieces that belong to one request (HTTP) or one connection (stdio). */
export interface McpRequestScope {
  /** The caller's key; absent only on requests that do not call tools. */
  readonly apiKey: string | undefined;
  readonly onToolCall?: (report: ToolCallReport) => void;
}

const INSTRUCTIONS =
  'Checks on Flux image-generation tasks run by AceDataCloud. Use flux_get_task for one task id and ' +
  'flux_get_tasks_batch for several. Results carry image URLs once a task has succeeded; while a task is ' +
  'pending, wait poll_after_seconds before asking again.';

/** A fresh MCP server for one request or connection; the registry it serves is shared and prebuilt. */
export function createMcpServer(deps: McpServerDeps, scope: McpRequestScope): Server {
  const server = new Server(
    { name: 'flux-mcp', title: 'Flux tasks (AceDataCloud)', version: VERSION },
    { capabilities: { tools: {}, logging: {} }, instructions: INSTRUCTIONS },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => deps.registry.listResult);

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = deps.registry.resolve(request.params.name);
    if (scope.apiKey === undefined) {
      return errorResult('No API key came with this call; send your AceDataCloud API key as "Authorization: Bearer <key>".');
    }
    return deps.registry.run(
      tool,
      request.params.arguments,
      { apiKey: scope.apiKey, signal: extra.signal, flux: deps.flux, logger: deps.logger },
      scope.onToolCall,
    );
  });

  return server;
}
