import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { CallToolRequestSchema, CancelledNotificationSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { FluxClient } from '../flux/client.js';
import type { Logger } from '../logger.js';
import { VERSION } from '../version.js';
import type { InFlightCalls } from './inFlightCalls.js';
import { errorResult } from './result.js';
import type { ProgressReporter, WaitSupport } from './toolDefinition.js';
import type { ToolCallReport, ToolRegistry } from './toolRegistry.js';

/** Long-lived pieces shared by every request: built once at start. */
export interface McpServerDeps {
  readonly registry: ToolRegistry;
  readonly flux: FluxClient;
  readonly logger: Logger;
  readonly waits: WaitSupport;
  readonly inFlight: InFlightCalls;
}

/** Pieces that belong to one request (HTTP) or one connection (stdio). */
export interface McpRequestScope {
  /** The caller's key; absent only on requests that do not call tools. */
  readonly apiKey: string | undefined;
  /** Fingerprint of that key: what per-key limits and cancellation match on. */
  readonly owner: string | undefined;
  readonly onToolCall?: (report: ToolCallReport) => void;
  /** The request's id, written into log lines and sent upstream. */
  readonly requestId?: string;
}

const INSTRUCTIONS =
  'Checks on Flux image-generation tasks run by AceDataCloud. Use flux_get_task for one task id and ' +
  'flux_get_tasks_batch for several. Results carry image URLs once a task has succeeded. To wait for a ' +
  'result, pass wait_seconds (up to 45) instead of calling repeatedly; while a task is pending, wait ' +
  'poll_after_seconds before asking again.';

/**
 * The SDK's Server builds an Ajv instance each time unless given one. flux-mcp never asks the
 * client for elicitation (the only use of it), so one instance serves every request.
 */
const SHARED_JSON_SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();

/** A fresh MCP server for one request or connection; the registry it serves is shared and prebuilt. */
export function createMcpServer(deps: McpServerDeps, scope: McpRequestScope): Server {
  const server = new Server(
    { name: 'flux-mcp', title: 'Flux tasks (AceDataCloud)', version: VERSION },
    { capabilities: { tools: {}, logging: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: SHARED_JSON_SCHEMA_VALIDATOR },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => deps.registry.listResult);

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = deps.registry.resolve(request.params.name);
    if (scope.apiKey === undefined || scope.owner === undefined) {
      return errorResult('No API key came with this call; send your AceDataCloud API key as "Authorization: Bearer <key>".');
    }
    const owner = scope.owner;
    const trackCancellation = () => {
      const call = new AbortController();
      const onAbort = () => call.abort();
      extra.signal.addEventListener('abort', onAbort, { once: true });
      const untrack = deps.inFlight.track(owner, extra.requestId, call);
      return {
        signal: call.signal,
        done: () => {
          untrack();
          extra.signal.removeEventListener('abort', onAbort);
        },
      };
    };
    const progressToken = extra._meta?.progressToken;
    const progress: ProgressReporter | undefined =
      progressToken === undefined
        ? undefined
        : (value, total, message) =>
            extra
              .sendNotification({ method: 'notifications/progress', params: { progressToken, progress: value, total, message } })
              .catch(() => undefined);
    return deps.registry.run(
      tool,
      request.params.arguments,
      {
        apiKey: scope.apiKey,
        owner,
        signal: extra.signal,
        trackCancellation,
        flux: deps.flux,
        logger: deps.logger,
        waits: deps.waits,
        requestId: scope.requestId,
        ...(progress ? { progress } : {}),
      },
      scope.onToolCall,
    );
  });

  // In stateless HTTP a cancellation arrives in its own request; it may stop a call of the same key.
  server.setNotificationHandler(CancelledNotificationSchema, (notification) => {
    const { requestId } = notification.params;
    if (scope.owner !== undefined && requestId !== undefined) deps.inFlight.cancel(scope.owner, requestId);
  });

  return server;
}
