import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectClient, INITIALIZE, postRaw, startHarness, textOf, type Harness } from '../helpers/harness.js';

const KEY = 'key-protocol-0001';
const AUTH = { authorization: `Bearer ${KEY}` };
const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
const PING = { jsonrpc: '2.0', id: 3, method: 'ping' };

describe('protocol rules', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  it('refuses an unsupported MCP-Protocol-Version with 400', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify(LIST), { ...AUTH, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(response.status, 400);
    assert.match((response.json as { error: { message: string } }).error.message, /unsupported MCP-Protocol-Version "1999-01-01"/);
  });

  it('accepts every supported version', async () => {
    for (const version of ['2025-11-25', '2025-06-18', '2025-03-26']) {
      const response = await postRaw(harness.mcpUrl, JSON.stringify(LIST), { ...AUTH, 'mcp-protocol-version': version });
      assert.equal(response.status, 200, version);
    }
  });

  it('refuses a JSON-RPC batch on versions that removed batching', async () => {
    for (const version of ['2025-06-18', '2025-11-25']) {
      const response = await postRaw(harness.mcpUrl, JSON.stringify([LIST, PING]), { ...AUTH, 'mcp-protocol-version': version });
      assert.equal(response.status, 400, version);
      const body = response.json as { error: { code: number; message: string } };
      assert.equal(body.error.code, -32600);
      assert.match(body.error.message, /no JSON-RPC batching/);
    }
  });

  it('answers a small batch on 2025-03-26, which still had batching', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify([LIST, PING]), { ...AUTH, 'mcp-protocol-version': '2025-03-26' });
    assert.equal(response.status, 200);
    const answers = response.json as { id: number }[];
    assert.deepEqual(answers.map((answer) => answer.id).sort(), [2, 3]);
  });

  it('refuses an empty or oversized batch', async () => {
    const headers = { ...AUTH, 'mcp-protocol-version': '2025-03-26' };
    assert.equal((await postRaw(harness.mcpUrl, '[]', headers)).status, 400);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ ...PING, id: i }));
    assert.equal((await postRaw(harness.mcpUrl, JSON.stringify(eleven), headers)).status, 400);
  });

  it('declares logging and accepts logging/setLevel', async () => {
    const client = await connectClient(harness.mcpUrl, KEY);
    try {
      assert.ok(client.getServerCapabilities()?.logging);
      assert.deepEqual(await client.setLoggingLevel('warning'), {});
      assert.deepEqual(await client.ping(), {});
    } finally {
      await client.close();
    }
  });

  it('bounds the size of tool arguments', async () => {
    const client = await connectClient(harness.mcpUrl, KEY);
    try {
      const padded = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`extra${i}`, i]));
      const result = await callTool(client, 'flux_get_task', { task_id: 'abc', ...padded });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /more than 256 values/);
    } finally {
      await client.close();
    }
  });
});

describe('anonymous discovery', () => {
  let harness: Harness;
  let client: Client;

  before(async () => {
    harness = await startHarness({ env: { MCP_ANONYMOUS_DISCOVERY: 'true' } });
    client = await connectClient(harness.mcpUrl, undefined);
  });
  after(async () => {
    await client.close();
    await harness.close();
  });

  it('lets a client without a key initialize, ping, list tools and set the log level', async () => {
    assert.equal(client.getServerVersion()?.name, 'flux-mcp');
    assert.deepEqual(await client.ping(), {});
    assert.equal((await client.listTools()).tools.length, 2);
    assert.deepEqual(await client.setLoggingLevel('info'), {});
  });

  it('still needs a key for tools/call: 401 with the challenge', async () => {
    const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: 'x' } } };
    const response = await postRaw(harness.mcpUrl, JSON.stringify(call));
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match((response.json as { error: { message: string } }).error.message, /tools\/call needs an API key/);
    await assert.rejects(client.callTool({ name: 'flux_get_task', arguments: { task_id: 'x' } }));
    assert.equal(harness.sandbox.requests.length, 0);
  });

  it('does not let a batch smuggle a tools/call in', async () => {
    const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: 'x' } } };
    const response = await postRaw(harness.mcpUrl, JSON.stringify([PING, call]), { 'mcp-protocol-version': '2025-03-26' });
    assert.equal(response.status, 401);
  });

  it('still refuses a malformed Authorization header', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), { authorization: 'Basic abc' });
    assert.equal(response.status, 401);
  });

  it('works with a key as usual', async () => {
    harness.sandbox.addKey(KEY);
    const keyed = await connectClient(harness.mcpUrl, KEY);
    try {
      const result = await callTool(keyed, 'flux_get_task', { task_id: 'x' });
      assert.equal((result.structuredContent as { result: { status: string } }).result.status, 'not_found');
    } finally {
      await keyed.close();
    }
  });
});
