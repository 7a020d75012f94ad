import { EXTENSION_ID } from '@modelcontextprotocol/ext-apps/server';
import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type CacheHint,
  type Implementation,
  type JSONRPCRequest,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import type { FluxClient } from '../flux/client.js';
import type { Logger } from '../logger.js';
import { VERSION } from '../version.js';
import type { TaskView } from './apps/taskView.js';
import type { Caller } from './caller.js';
import { SERVED_PROTOCOL_VERSIONS } from './protocolVersions.js';
import { errorResult } from './result.js';
import type { ToolCallReport, ToolRegistry } from './toolRegistry.js';
import { progressReporter } from './wait/progress.js';
import type { WaitSupport } from './wait/waitSupport.js';

/** Long-lived pieces shared by every request: built once at start. */
export interface McpServerDeps {
  readonly registry: ToolRegistry;
  /** The MCP Apps view both tools declare, served as the one resource. */
  readonly taskView: TaskView;
  readonly flux: FluxClient;
  readonly logger: Logger;
  readonly waits: WaitSupport;
}

export const SERVER_INFO: Implementation = {
  name: 'flux-mcp',
  title: 'Flux tasks (AceDataCloud)',
  version: VERSION,
  description: 'Status and results (image URLs, metadata) of Flux image-generation tasks run by AceDataCloud.',
  websiteUrl: 'https://platform.acedata.cloud',
};

export const INSTRUCTIONS = [
  'Checks on Flux image-generation tasks run by AceDataCloud; it reads tasks and never creates or changes one.',
  'Use flux_get_task for one task id and flux_get_tasks_batch for two or more (up to 50) in one call, rather than many single calls.',
  'Results carry image URLs once a task has succeeded; a failed task carries its error, and an id created with another API key is not_found.',
  'To wait for a result, pass wait_seconds (up to 45) and the server answers as soon as the task settles; while a task is still pending, wait poll_after_seconds before asking again instead of calling in a loop.',
].join(' ');

/** The tool list and the view never change while a process runs, and are the same for every caller. */
const FIXED_FOR_THE_PROCESS: CacheHint = { ttlMs: 60 * 60 * 1000, cacheScope: 'public' };

/**
 * The SDK's Server builds a JSON Schema validator each time unless given one. flux-mcp never asks
 * the client for elicitation (its only use), so one instance serves every request.
 */
const SHARED_JSON_SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();

type RequestHandler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The SDK's Server, with three changes:
 * - the SDK's `server/discover` lists only the 2026-07-28-era versions, while this endpoint also
 *   serves every 2025-era version through `initialize`. A dual-era server names them all, as the
 *   specification's own example does; the SDK still builds the rest of the answer and adds cache
 *   hints, serverInfo and resultType to it;
 * - a tools/call whose `arguments` is not an object is refused (-32602, as the SDK would) with a
 *   sentence a model can act on, instead of the SDK's dump of its schema check;
 * - closing it once no handler runs skips the stack trace of the "connection closed" error the
 *   SDK makes on every close (it closes after every 2026-07-28 exchange). That error aborts
 *   running handlers only, so with none it is never seen, and its stack cost 2 % of a call.
 */
class DualEraServer extends Server {
  #running = 0;

  protected override _onclose(): void {
    if (this.#running > 0) {
      super._onclose();
      return;
    }
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super._onclose();
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  // Called from the SDK's constructor too, before private methods exist: everything stays inline.
  protected override _wrapHandler(method: string, handler: RequestHandler): RequestHandler {
    const counted: RequestHandler = async (request, ctx) => {
      this.#running++;
      try {
        return await handler(request, ctx);
      } finally {
        this.#running--;
      }
    };
    if (method === 'server/discover') {
      return super._wrapHandler(method, async (request, ctx) => ({ ...(await counted(request, ctx)), supportedVersions: [...SERVED_PROTOCOL_VERSIONS] }));
    }
    if (method === 'tools/call') {
      const wrapped = super._wrapHandler(method, counted);
      return async (request, ctx) => {
        const args = (request.params as { arguments?: unknown } | undefined)?.arguments;
        if (args !== undefined && !isPlainObject(args)) {
          throw new ProtocolError(
            ProtocolErrorCode.InvalidParams,
            'Invalid params: tools/call "arguments" must be a JSON object of named arguments, e.g. {"task_id": "…"}.',
          );
        }
        return wrapped(request, ctx);
      };
    }
    return super._wrapHandler(method, counted);
  }
}

/**
 * A fresh MCP server for one request (HTTP) or one connection (stdio), serving `caller` only.
 * The registry it serves is shared and prebuilt; the SDK owns the protocol around it.
 */
export function createMcpServer(deps: McpServerDeps, caller: Caller, onToolCall?: (report: ToolCallReport) => void): Server {
  const server = new DualEraServer(SERVER_INFO, {
    capabilities: { tools: {}, resources: {}, logging: {}, extensions: { [EXTENSION_ID]: {} } },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: SHARED_JSON_SCHEMA_VALIDATOR,
    cacheHints: {
      'tools/list': FIXED_FOR_THE_PROCESS,
      'resources/list': FIXED_FOR_THE_PROCESS,
      'resources/templates/list': FIXED_FOR_THE_PROCESS,
      'resources/read': FIXED_FOR_THE_PROCESS,
      'server/discover': FIXED_FOR_THE_PROCESS,
    },
  });

  server.setRequestHandler('tools/list', () => deps.registry.listResult);
  server.setRequestHandler('resources/list', () => deps.taskView.listResult);
  server.setRequestHandler('resources/templates/list', () => deps.taskView.templatesResult);
  server.setRequestHandler('resources/read', (request) => deps.taskView.read(request.params.uri));

  server.setRequestHandler('tools/call', async (request, ctx: ServerContext) => {
    const tool = deps.registry.resolve(request.params.name);
    const { apiKey, fingerprint } = caller;
    if (apiKey === undefined || fingerprint === undefined) {
      return errorResult('No API key came with this call; send your AceDataCloud API key as "Authorization: Bearer <key>".');
    }
    const signal = ctx.mcpReq.signal;
    return deps.registry.run(
      tool,
      request.params.arguments,
      {
        apiKey,
        signal,
        flux: deps.flux,
        logger: deps.logger,
        requestId: caller.requestId,
        wait: {
          support: deps.waits,
          owner: fingerprint,
          callId: ctx.mcpReq.id,
          signal,
          progress: progressReporter(ctx.mcpReq._meta?.progressToken, ctx.mcpReq.notify),
          logger: deps.logger,
          requestId: caller.requestId,
        },
      },
      onToolCall,
    );
  });

  // A legacy client cancels with a notification that, over stateless HTTP, comes in its own
  // request; it may stop a running call of the same key only.
  server.setNotificationHandler('notifications/cancelled', (notification) => {
    const { requestId } = notification.params;
    if (caller.fingerprint !== undefined && requestId !== undefined) deps.waits.inFlight.cancel(caller.fingerprint, requestId);
  });

  return server;
}
