import { loadConfig } from '../../src/config.js';
import { FluxSandbox, type FluxSandboxOptions } from '../../src/sandbox/fluxSandbox.js';
import { startService, type RunningService, type ServiceOptions } from '../../src/service.js';
import type { TestClient, ToolResult } from './clients.js';
import { LogCapture } from './logCapture.js';

export { CLIENT_KINDS, connectClient, connectStdioClient, textOf, type ClientKind, type ProgressUpdate, type TestClient, type ToolResult } from './clients.js';

export interface Harness {
  readonly sandbox: FluxSandbox;
  readonly service: RunningService;
  /** The MCP endpoint of the service. */
  readonly mcpUrl: URL;
  readonly logs: LogCapture;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra environment for the service's configuration. */
  readonly env?: Record<string, string>;
  readonly sandbox?: FluxSandboxOptions;
  readonly service?: Omit<ServiceOptions, 'logDestination'>;
  /**
   * Lets the MCP Apps view load images from the sandbox, which serves them on its own loopback
   * origin, the way production lets it load them from the Flux CDN (ServiceOptions.viewImageOrigins).
   */
  readonly viewImagesFromSandbox?: boolean;
}

/** A sandbox Flux API and the real service pointed at it, both on loopback, logs captured. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = await FluxSandbox.start(options.sandbox);
  const logs = new LogCapture();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    ACEDATACLOUD_API_BASE_URL: sandbox.url,
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const service = await startService(config, {
    ...options.service,
    ...(options.viewImagesFromSandbox ? { viewImageOrigins: [sandbox.url] } : {}),
    logDestination: logs,
  });
  return {
    sandbox,
    service,
    logs,
    mcpUrl: new URL('/mcp', service.url),
    async close() {
      await service.close(1_000);
      await sandbox.close();
    },
  };
}

export function callTool(client: TestClient, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return client.callTool(name, args);
}

/**
 * POSTs a raw body to the MCP endpoint, for what the SDK client would never send. JSON content
 * type and the MCP Accept header are added unless `bare` asks for exactly the headers given.
 */
export async function postRaw(
  mcpUrl: URL,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
  { bare = false } = {},
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const defaults: Record<string, string> = bare ? {} : { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: { ...defaults, ...headers },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A raw JSON-RPC tools/call body, with a progress token when one is given. */
export function toolCallBody(name: string, args: Record<string, unknown>, progressToken?: string): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name, arguments: args, ...(progressToken ? { _meta: { progressToken } } : {}) },
  });
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

export const MODERN_VERSION = '2026-07-28';

/**
 * A raw 2026-07-28 request: the body with the `_meta` envelope and the headers the revision
 * requires (MCP-Protocol-Version, Mcp-Method and, for tools/call and resources/read, Mcp-Name).
 */
export function modernRequest(
  method: string,
  params: Record<string, unknown> = {},
  { id = 1, meta = {} }: { id?: number | string; meta?: Record<string, unknown> } = {},
): { body: string; headers: Record<string, string> } {
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    ...meta,
  };
  const headers: Record<string, string> = { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method };
  if (method === 'tools/call' && typeof params.name === 'string') headers['mcp-name'] = params.name;
  if (method === 'resources/read' && typeof params.uri === 'string') headers['mcp-name'] = params.uri;
  return { body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope } }), headers };
}

/** Resolves once `check` holds, polling every 25 ms; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5_000, what = 'the condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
