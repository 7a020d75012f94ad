import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  callTool,
  CLIENT_KINDS,
  connectClient,
  INITIALIZE,
  MODERN_VERSION,
  modernRequest,
  postRaw,
  startHarness,
  textOf,
  type Harness,
  type TestClient,
} from '../helpers/harness.js';

const KEY = 'key-protocol-0001';
const AUTH = { authorization: `Bearer ${KEY}` };
const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
const PING = { jsonrpc: '2.0', id: 3, method: 'ping' };
const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];
const HOUR_MS = 3_600_000;

type JsonRpcError = { jsonrpc: string; id: unknown; error: { code: number; message: string; data?: Record<string, unknown> } };
type JsonRpcResult<T = Record<string, unknown>> = { jsonrpc: string; id: unknown; result: T };

describe('protocol rules, 2025 era', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  it('refuses an unsupported MCP-Protocol-Version with 400 and -32022 naming every served version', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify(LIST), { ...AUTH, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(response.status, 400);
    const body = response.json as JsonRpcError;
    assert.equal(body.id, 2, "the request's own id");
    assert.equal(body.error.code, -32022);
    assert.deepEqual(body.error.data, { supported: [MODERN_VERSION, ...LEGACY_VERSIONS], requested: '1999-01-01' });
  });

  it('accepts every supported version', async () => {
    for (const version of ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']) {
      const response = await postRaw(harness.mcpUrl, JSON.stringify(LIST), { ...AUTH, 'mcp-protocol-version': version });
      assert.equal(response.status, 200, version);
      const body = response.json as JsonRpcResult<{ tools: unknown[]; resultType?: string }>;
      assert.equal(body.result.tools.length, 2);
      assert.equal(body.result.resultType, undefined, 'no 2026-07-28 fields on a 2025-era answer');
    }
  });

  it('negotiates initialize down to a version it serves, as plain JSON without a session id', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2025-11-25' } }), AUTH);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.headers.get('mcp-session-id'), null);
    const body = response.json as JsonRpcResult<{ protocolVersion: string; serverInfo: { name: string }; instructions: string }>;
    assert.equal(body.result.protocolVersion, '2025-11-25');
    assert.equal(body.result.serverInfo.name, 'flux-mcp');
    assert.match(body.result.instructions, /flux_get_tasks_batch/);
  });

  it('refuses a JSON-RPC batch on versions that removed batching', async () => {
    for (const version of ['2025-06-18', '2025-11-25']) {
      const response = await postRaw(harness.mcpUrl, JSON.stringify([LIST, PING]), { ...AUTH, 'mcp-protocol-version': version });
      assert.equal(response.status, 400, version);
      const body = response.json as JsonRpcError;
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

  it('refuses an empty or oversized batch, and one with a repeated id', async () => {
    const headers = { ...AUTH, 'mcp-protocol-version': '2025-03-26' };
    assert.equal((await postRaw(harness.mcpUrl, '[]', headers)).status, 400);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ ...PING, id: i }));
    assert.equal((await postRaw(harness.mcpUrl, JSON.stringify(eleven), headers)).status, 400);
    const repeated = await postRaw(harness.mcpUrl, JSON.stringify([PING, PING]), headers);
    assert.equal(repeated.status, 400);
    assert.match((repeated.json as JsonRpcError).error.message, /distinct ids/);
  });

  it('declares logging and accepts logging/setLevel and ping', async () => {
    const client = await connectClient(harness.mcpUrl, KEY, 'legacy');
    try {
      assert.ok(client.v1!.getServerCapabilities()?.logging);
      assert.deepEqual(await client.v1!.setLoggingLevel('warning'), {});
      assert.deepEqual(await client.v1!.ping(), {});
    } finally {
      await client.close();
    }
  });
});

describe('protocol rules, 2026-07-28 era', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  async function post(request: { body: string; headers: Record<string, string> }, extra: Record<string, string> = {}) {
    return postRaw(harness.mcpUrl, request.body, { ...AUTH, ...request.headers, ...extra });
  }

  it('answers server/discover with every served version, capabilities, identity, instructions and a long cache hint', async () => {
    const response = await post(modernRequest('server/discover', {}, { id: 'd-1' }));
    assert.equal(response.status, 200);
    const body = response.json as JsonRpcResult<Record<string, unknown>>;
    assert.equal(body.id, 'd-1');
    const result = body.result;
    assert.deepEqual(result.supportedVersions, [MODERN_VERSION, ...LEGACY_VERSIONS]);
    assert.deepEqual(result.capabilities, { tools: {}, resources: {}, logging: {}, extensions: { 'io.modelcontextprotocol/ui': {} } });
    assert.match(result.instructions as string, /flux_get_task .*flux_get_tasks_batch.*wait_seconds.*poll_after_seconds/s);
    assert.equal(result.resultType, 'complete');
    assert.equal(result.ttlMs, HOUR_MS);
    assert.equal(result.cacheScope, 'public');
    const serverInfo = (result._meta as Record<string, { name: string; title: string; version: string; websiteUrl: string }>)['io.modelcontextprotocol/serverInfo']!;
    assert.equal(serverInfo.name, 'flux-mcp');
    assert.equal(serverInfo.title, 'Flux tasks (AceDataCloud)');
    assert.match(serverInfo.version, /^\d+\.\d+\.\d+/);
    assert.match(serverInfo.websiteUrl, /^https:\/\//);
  });

  it('marks tools/list as cacheable for an hour, for every caller', async () => {
    const response = await post(modernRequest('tools/list'));
    const result = (response.json as JsonRpcResult<{ tools: unknown[]; ttlMs: number; cacheScope: string; resultType: string }>).result;
    assert.equal(result.tools.length, 2);
    assert.deepEqual([result.ttlMs, result.cacheScope, result.resultType], [HOUR_MS, 'public', 'complete']);
  });

  it('stamps resultType on tool results', async () => {
    const response = await post(modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: 'nope' } }));
    const result = (response.json as JsonRpcResult<{ resultType: string; structuredContent: { result: { status: string } } }>).result;
    assert.equal(result.resultType, 'complete');
    assert.equal(result.structuredContent.result.status, 'not_found');
  });

  it('refuses an unknown version with 400, -32022, the supported list and the request id', async () => {
    const request = modernRequest('tools/list', {}, { id: 41, meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } });
    const response = await post(request, { 'mcp-protocol-version': '2099-01-01' });
    assert.equal(response.status, 400);
    const body = response.json as JsonRpcError;
    assert.equal(body.id, 41);
    assert.equal(body.error.code, -32022);
    assert.ok((body.error.data!.supported as string[]).includes(MODERN_VERSION));
    assert.equal(body.error.data!.requested, '2099-01-01');
  });

  it('refuses a malformed envelope with 400 and -32602, and the request id', async () => {
    for (const meta of [{ 'io.modelcontextprotocol/protocolVersion': 42 }, { 'io.modelcontextprotocol/clientCapabilities': 'all' }]) {
      const response = await post(modernRequest('tools/list', {}, { id: 42, meta }));
      assert.equal(response.status, 400);
      const body = response.json as JsonRpcError;
      assert.equal(body.id, 42);
      assert.equal(body.error.code, -32602);
    }
  });

  const mismatches: [string, Record<string, string>, RegExp][] = [
    ['an Mcp-Method that names another method', { 'mcp-method': 'tools/list' }, /Mcp-Method header names tools\/list/],
    ['an Mcp-Name that names another tool', { 'mcp-name': 'flux_get_tasks_batch' }, /Mcp-Name/],
    ['no Mcp-Method header', { 'mcp-method': '' }, /Mcp-Method header is absent/],
    ['an MCP-Protocol-Version header that disagrees with the envelope', { 'mcp-protocol-version': '2025-11-25' }, /MCP-Protocol-Version header names 2025-11-25/],
  ];
  for (const [what, headers, message] of mismatches) {
    it(`refuses ${what} with 400 and -32020, before any upstream call`, async () => {
      harness.sandbox.clearRequests();
      const request = modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: 'x' } }, { id: 43 });
      const merged: Record<string, string> = { ...AUTH, ...request.headers, ...headers };
      for (const [name, value] of Object.entries(merged)) if (value === '') delete merged[name];
      const response = await postRaw(harness.mcpUrl, request.body, merged);
      assert.equal(response.status, 400);
      const body = response.json as JsonRpcError;
      assert.equal(body.error.code, -32020);
      assert.match(body.error.message, message);
      assert.equal(body.id, 43);
      assert.equal(harness.sandbox.taskRequests().length, 0);
    });
  }

  for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe']) {
    it(`answers ${method}, removed in 2026-07-28, with 404 and -32601`, async () => {
      const params = method === 'initialize' ? { protocolVersion: MODERN_VERSION, capabilities: {}, clientInfo: { name: 'x', version: '1' } } : method === 'logging/setLevel' ? { level: 'info' } : {};
      const response = await post(modernRequest(method, params, { id: 44 }));
      assert.equal(response.status, 404);
      const body = response.json as JsonRpcError;
      assert.equal(body.error.code, -32601);
      assert.equal(body.id, 44);
    });
  }

  it('accepts a notification with 202', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 9, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN_VERSION } },
    });
    const response = await postRaw(harness.mcpUrl, body, { ...AUTH, 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': 'notifications/cancelled' });
    assert.equal(response.status, 202);
  });

  it('refuses a JSON-RPC batch', async () => {
    const request = modernRequest('tools/list');
    const response = await postRaw(harness.mcpUrl, `[${request.body}]`, { ...AUTH, ...request.headers });
    assert.equal(response.status, 400);
    assert.equal((response.json as JsonRpcError).error.code, -32600);
  });

  it('needs a key: 401 with the Bearer challenge', async () => {
    const request = modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: 'x' } });
    const response = await postRaw(harness.mcpUrl, request.body, request.headers);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="flux-mcp"/);
    assert.equal(harness.sandbox.taskRequests().length, 0);
  });
});

for (const kind of CLIENT_KINDS) {
  describe(`argument bounds (${kind} client)`, () => {
    let harness: Harness;
    let client: TestClient;
    before(async () => {
      harness = await startHarness();
      client = await connectClient(harness.mcpUrl, KEY, kind);
    });
    after(async () => {
      await client.close();
      await harness.close();
    });

    it('bounds the size of tool arguments', async () => {
      const padded = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`extra${i}`, i]));
      const result = await callTool(client, 'flux_get_task', { task_id: 'abc', ...padded });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /more than 256 values/);
    });
  });
}

describe('anonymous discovery', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness({ env: { MCP_ANONYMOUS_DISCOVERY: 'true' } });
  });
  after(async () => {
    await harness.close();
  });

  for (const kind of CLIENT_KINDS) {
    it(`lets a ${kind} client without a key connect and list tools, but not call them`, async () => {
      const client = await connectClient(harness.mcpUrl, undefined, kind);
      try {
        assert.equal(client.serverInfo?.name, 'flux-mcp');
        assert.equal((await client.listTools()).tools.length, 2);
        await assert.rejects(client.callTool('flux_get_task', { task_id: 'x' }));
        assert.equal(harness.sandbox.requests.length, 0);
      } finally {
        await client.close();
      }
    });
  }

  it('lets a legacy client without a key ping and set the log level', async () => {
    const client = await connectClient(harness.mcpUrl, undefined, 'legacy');
    try {
      assert.deepEqual(await client.v1!.ping(), {});
      assert.deepEqual(await client.v1!.setLoggingLevel('info'), {});
    } finally {
      await client.close();
    }
  });

  it('still needs a key for tools/call in either era: 401 with the challenge', async () => {
    const legacy = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: 'x' } } };
    const modern = modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: 'x' } });
    for (const [body, headers] of [
      [JSON.stringify(legacy), {}],
      [modern.body, modern.headers],
    ] as const) {
      const response = await postRaw(harness.mcpUrl, body, headers);
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.match((response.json as JsonRpcError).error.message, /tools\/call needs an API key/);
    }
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
    const keyed = await connectClient(harness.mcpUrl, KEY, 'modern');
    try {
      const result = await callTool(keyed, 'flux_get_task', { task_id: 'x' });
      assert.equal((result.structuredContent as { result: { status: string } }).result.status, 'not_found');
    } finally {
      await keyed.close();
    }
  });
});
