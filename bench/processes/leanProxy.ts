/**
 * The baseline: the least a proxy could do for the same calls. node:http in, one request over a
 * keep-alive undici Pool to the same upstream per tools/call, the JSON-RPC answer out; no MCP,
 * no validation, no auth checks, no limits, no logging. initialize, tools/list and
 * server/discover answer from constants (the same tools/list document as the service's).
 * Prints {"url": ...} once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { ToolRegistry } from '../../src/mcp/toolRegistry.js';

const upstream = new URL(process.env.UPSTREAM_URL!);
const pool = new Pool(upstream.origin, { connections: 64, keepAliveTimeout: 10_000 });
const CONSTANT: Record<string, unknown> = {
  initialize: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'bare-proxy', version: '0.0.0' } },
  'tools/list': new ToolRegistry(TOOLS).listResult,
  'server/discover': { supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'bare-proxy', version: '0.0.0' } } },
};

type Message = { id?: number; method: string; params?: { name: string; arguments: { task_id?: string; task_ids?: string[] } } };

async function answer(message: Message, authorization: string): Promise<unknown> {
  if (message.method !== 'tools/call') return CONSTANT[message.method] ?? {};
  const args = message.params!.arguments;
  const body = args.task_ids ? { action: 'retrieve_batch', ids: args.task_ids, limit: args.task_ids.length } : { action: 'retrieve', id: args.task_id };
  const response = await pool.request({
    path: '/flux/tasks',
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const data: unknown = await response.body.json();
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Message;
    if (message.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    answer(message, req.headers.authorization ?? '')
      .then((result) => {
        const text = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
      })
      .catch(() => res.writeHead(500).end());
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
