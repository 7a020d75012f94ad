import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../../src/config.js';
import { FluxSandbox, type FluxSandboxOptions } from '../../src/sandbox/fluxSandbox.js';
import { startService, type RunningService, type ServiceOptions } from '../../src/service.js';
import { LogCapture } from './logCapture.js';

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
  const service = await startService(config, { ...options.service, logDestination: logs });
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

/** The SDK's own client, connected over Streamable HTTP with `key` as the bearer key. */
export async function connectClient(mcpUrl: URL, key: string | undefined, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'flux-mcp-tests', version: '1.0.0' });
  const requestHeaders = key === undefined ? headers : { Authorization: `Bearer ${key}`, ...headers };
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers: requestHeaders } }));
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The text of a tool result's first content block. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
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
