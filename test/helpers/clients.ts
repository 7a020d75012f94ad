import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2HttpTransport,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type ReadResourceResult,
  type Tool,
  type Transport as V2Transport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as V2StdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport as V1Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * The clients every wire-crossing behaviour is checked with:
 * - `modern`: the SDK v2 client pinned to 2026-07-28 (what newer hosts speak);
 * - `auto`: the SDK v2 client probing with server/discover, falling back to initialize;
 * - `legacy`: the SDK v1 client, the 2025 initialize handshake (what most deployed hosts run).
 */
export const CLIENT_KINDS = ['modern', 'auto', 'legacy'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export interface ToolResult {
  readonly content: readonly { type: string; text?: string; [key: string]: unknown }[];
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
  readonly [key: string]: unknown;
}

export interface ProgressUpdate {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

export interface CallOptions {
  readonly onprogress?: (progress: ProgressUpdate) => void;
  readonly signal?: AbortSignal;
  readonly timeout?: number;
}

/** One MCP client of any kind, with the calls the tests need. */
export interface TestClient {
  readonly kind: ClientKind;
  /** The era the connection landed on. */
  readonly era: 'modern' | 'legacy';
  readonly serverInfo: { name: string; title?: string; version: string } | undefined;
  readonly instructions: string | undefined;
  listTools(): Promise<{ tools: Tool[] }>;
  listResources(): Promise<ListResourcesResult>;
  listResourceTemplates(): Promise<ListResourceTemplatesResult>;
  readResource(uri: string): Promise<ReadResourceResult>;
  /** What the server declared it can do (initialize, or server/discover in the 2026-07-28 era). */
  readonly serverCapabilities: Record<string, unknown> | undefined;
  callTool(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<ToolResult>;
  close(): Promise<void>;
  /** The underlying SDK client, for what only one kind offers. */
  readonly v2: V2Client | undefined;
  readonly v1: V1Client | undefined;
}

const INFO = { name: 'flux-mcp-tests', version: '1.0.0' };

function headersFor(key: string | undefined, headers: Record<string, string>): Record<string, string> {
  return key === undefined ? headers : { Authorization: `Bearer ${key}`, ...headers };
}

/** Connects a client of `kind` over Streamable HTTP, with `key` as the bearer key. */
export function connectClient(
  mcpUrl: URL,
  key: string | undefined,
  kind: ClientKind = 'legacy',
  headers: Record<string, string> = {},
): Promise<TestClient> {
  const requestInit = { headers: headersFor(key, headers) };
  return kind === 'legacy' ? wrapV1(new V1HttpTransport(mcpUrl, { requestInit })) : wrapV2(kind, new V2HttpTransport(mcpUrl, { requestInit }));
}

export interface StdioServerCommand {
  readonly command: string;
  readonly args: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** Starts `server` as a child process and connects a client of `kind` to it over stdio; its stderr goes to `onStderr`. */
export function connectStdioClient(kind: ClientKind, server: StdioServerCommand, onStderr: (text: string) => void): Promise<TestClient> {
  const params = { ...server, stderr: 'pipe' as const };
  const transport = kind === 'legacy' ? new V1StdioTransport(params) : new V2StdioTransport(params);
  transport.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString()));
  return kind === 'legacy' ? wrapV1(transport as V1Transport) : wrapV2(kind, transport as V2Transport);
}

async function wrapV1(transport: V1Transport): Promise<TestClient> {
  const client = new V1Client(INFO);
  await client.connect(transport);
  return {
    kind: 'legacy',
    era: 'legacy',
    serverInfo: client.getServerVersion(),
    instructions: client.getInstructions(),
    listTools: async () => (await client.listTools()) as { tools: Tool[] },
    listResources: async () => (await client.listResources()) as ListResourcesResult,
    listResourceTemplates: async () => (await client.listResourceTemplates()) as ListResourceTemplatesResult,
    readResource: async (uri) => (await client.readResource({ uri })) as ReadResourceResult,
    serverCapabilities: client.getServerCapabilities(),
    callTool: async (name, args, options = {}) =>
      (await client.callTool({ name, arguments: args }, undefined, {
        ...(options.onprogress ? { onprogress: options.onprogress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeout ? { timeout: options.timeout } : {}),
      })) as ToolResult,
    close: () => client.close(),
    v2: undefined,
    v1: client,
  };
}

async function wrapV2(kind: 'modern' | 'auto', transport: V2Transport): Promise<TestClient> {
  const mode = kind === 'modern' ? { pin: '2026-07-28' } : 'auto';
  const client = new V2Client(INFO, { versionNegotiation: { mode } as never });
  await client.connect(transport);
  return {
    kind,
    era: client.getProtocolEra() ?? 'legacy',
    serverInfo: client.getServerVersion(),
    instructions: client.getInstructions(),
    listTools: () => client.listTools(undefined, { cacheMode: 'bypass' }),
    listResources: () => client.listResources(undefined, { cacheMode: 'bypass' }),
    listResourceTemplates: () => client.listResourceTemplates(undefined, { cacheMode: 'bypass' }),
    readResource: (uri) => client.readResource({ uri }, { cacheMode: 'bypass' }),
    serverCapabilities: client.getServerCapabilities(),
    callTool: async (name, args, options = {}) =>
      (await client.callTool({ name, arguments: args }, {
        ...(options.onprogress ? { onprogress: options.onprogress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeout ? { timeout: options.timeout } : {}),
      })) as ToolResult,
    close: () => client.close(),
    v2: client,
    v1: undefined,
  };
}

/** The text of a tool result's first content block. */
export function textOf(result: ToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}
