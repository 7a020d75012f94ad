/**
 * The baseline: the least a proxy could do for the same calls. node:http in, one fetch to the
 * same upstream per tools/call, the JSON-RPC answer out; no validation, no auth checks, no
 * limits, no logging, no MCP SDK. initialize and tools/list answer from constants (the same
 * tools/list document as the service's). Prints {"url": ...} once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { ToolRegistry } from '../../src/mcp/toolRegistry.js';

const UPSTREAM = `${process.env.UPSTREAM_URL}/flux/tasks`;
const TOOLS_LIST = new ToolRegistry(TOOLS).listResult;
const INITIALIZE = {
  protocolVersion: '2025-06-18',
  capabilities: { tools: {} },
  serverInfo: { name: 'bare-proxy', version: '0.0.0' },
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        id: number;
        method: string;
        params?: { name: string; arguments: { task_id?: string; task_ids?: string[] } };
      };
      let result: unknown;
      if (message.method === 'initialize') result = INITIALIZE;
      else if (message.method === 'tools/list') result = TOOLS_LIST;
      else {
        const args = message.params!.arguments;
        const body = args.task_ids ? { action: 'retrieve_batch', ids: args.task_ids, limit: args.task_ids.length } : { action: 'retrieve', id: args.task_id };
        const upstream = await fetch(UPSTREAM, {
          method: 'POST',
          headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
        });
        const data: unknown = await upstream.json();
        result = { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
      }
      const text = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    })().catch(() => res.writeHead(500).end());
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
