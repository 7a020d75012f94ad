import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import helmet from 'helmet';
import { INITIALIZE, postRaw, startHarness, type Harness } from '../helpers/harness.js';

const KEY = 'key-endpoint-tests-0001';
const AUTH = { authorization: `Bearer ${KEY}` };

function noStack(text: string): void {
  assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
}

describe('the HTTP endpoint', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  describe('bearer key', () => {
    const refusals: [string, Record<string, string>, RegExp][] = [
      ['no Authorization header', {}, /^Bearer realm="flux-mcp"$/],
      ['a Basic credential', { authorization: 'Basic dXNlcjpwYXNz' }, /error="invalid_request"/],
      ['"Bearer" without a key', { authorization: 'Bearer ' }, /error="invalid_request"/],
      ['a key with a space inside', { authorization: 'Bearer two words' }, /error="invalid_request"/],
    ];
    for (const [what, headers, challenge] of refusals) {
      it(`answers ${what} with 401, a Bearer challenge and how to send a key`, async () => {
        const response = await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), headers);
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate') ?? '', challenge);
        const body = response.json as { error: { message: string } };
        assert.match(body.error.message, /Authorization: Bearer <key>/);
        assert.ok(!response.text.includes('dXNlcjpwYXNz'));
        assert.equal(harness.sandbox.requests.length, 0);
      });
    }

    it('accepts the scheme in any case', async () => {
      const response = await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), { authorization: `bearer ${KEY}` });
      assert.equal(response.status, 200);
    });
  });

  it('answers initialize as plain JSON without a session id', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), AUTH);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(response.headers.get('mcp-session-id'), null);
    const body = response.json as { result: { serverInfo: { name: string }; capabilities: Record<string, unknown> } };
    assert.equal(body.result.serverInfo.name, 'flux-mcp');
    assert.ok(body.result.capabilities.tools);
  });

  for (const method of ['GET', 'DELETE']) {
    it(`answers ${method} /mcp with 405 and Allow: POST`, async () => {
      const response = await fetch(harness.mcpUrl, { method, headers: { ...AUTH, accept: 'text/event-stream' } });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'POST');
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /not allowed/);
    });
  }

  it('refuses a body over 128 KiB with 413 and a JSON error', async () => {
    const huge = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, pad: 'x'.repeat(128 * 1024) } });
    const response = await postRaw(harness.mcpUrl, huge, AUTH);
    assert.equal(response.status, 413);
    assert.match((response.json as { error: { message: string } }).error.message, /too large: the limit is 128 KiB/);
    noStack(response.text);
  });

  it('takes a body just under 128 KiB', async () => {
    const padding = 128 * 1024 - 1024;
    const body = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, clientInfo: { name: 'x'.repeat(padding), version: '1' } } });
    const response = await postRaw(harness.mcpUrl, body, AUTH);
    assert.equal(response.status, 200);
  });

  it('answers malformed JSON with 400 and JSON-RPC error -32700', async () => {
    const response = await postRaw(harness.mcpUrl, '{"jsonrpc": "2.0", "method": ', AUTH);
    assert.equal(response.status, 400);
    const body = response.json as { jsonrpc: string; error: { code: number }; id: null };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.error.code, -32700);
    assert.equal(body.id, null);
    noStack(response.text);
  });

  it('answers notifications and responses alone with 202 and no body', async () => {
    const notification = await postRaw(harness.mcpUrl, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), AUTH);
    assert.equal(notification.status, 202);
    assert.equal(notification.text, '');
    const response = await postRaw(harness.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 5, result: {} }), AUTH);
    assert.equal(response.status, 202);
    const errorResponse = await postRaw(harness.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 6, error: { code: -32000, message: 'no' } }), AUTH);
    assert.equal(errorResponse.status, 202);
    assert.equal(errorResponse.text, '');
  });

  const malformed: [string, unknown][] = [
    ['a null _meta', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: null } }],
    ['an id beyond safe integers', { jsonrpc: '2.0', id: 9007199254740992, method: 'ping' }],
    ['a wrong jsonrpc version', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['params that are not an object', { jsonrpc: '2.0', id: 1, method: 'ping', params: [1, 2] }],
  ];
  for (const [what, message] of malformed) {
    it(`refuses a message with ${what} with 400 at once, never leaving it unanswered`, async () => {
      const response = await postRaw(harness.mcpUrl, JSON.stringify(message), AUTH);
      assert.equal(response.status, 400);
      assert.equal((response.json as { error: { code: number } }).error.code, -32600);
    });
  }

  it('refuses batches with repeated request ids, or an initialize among other messages', async () => {
    const headers = { ...AUTH, 'mcp-protocol-version': '2025-03-26' };
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    assert.equal((await postRaw(harness.mcpUrl, JSON.stringify([ping, ping]), headers)).status, 400);
    assert.equal((await postRaw(harness.mcpUrl, JSON.stringify([{ ...INITIALIZE, id: 7 }, ping]), headers)).status, 400);
  });

  it('aborts the upstream call when the client goes away mid-call', async () => {
    harness.sandbox.injectFault({ kind: 'hang' });
    const controller = new AbortController();
    const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: 'x' } } });
    const request = fetch(harness.mcpUrl, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: call,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(harness.sandbox.inFlight, 1, 'the upstream call is hanging');
    controller.abort();
    await assert.rejects(request);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(harness.sandbox.inFlight, 0, 'and was cut when the client left');
    harness.sandbox.clearFaults();
  });

  it('answers a body that is not JSON-RPC with 400', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify({ hello: 'world' }), AUTH);
    assert.equal(response.status, 400);
    noStack(response.text);
  });

  it('answers a non-JSON content type with 415', async () => {
    const response = await postRaw(harness.mcpUrl, 'hello', { ...AUTH, 'content-type': 'text/plain' });
    assert.equal(response.status, 415);
  });

  it('answers a client that does not accept JSON and SSE with 406', async () => {
    const response = await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), { ...AUTH, accept: 'text/html' });
    assert.equal(response.status, 406);
  });

  it('serves /healthz with a small JSON body', async () => {
    const response = await fetch(new URL('/healthz', harness.service.url));
    assert.equal(response.status, 200);
    const body = (await response.json()) as { status: string; version: string };
    assert.equal(body.status, 'ok');
    assert.match(body.version, /^\d+\.\d+\.\d+/);
  });

  it("sends every one of helmet's security headers, and no x-powered-by", async () => {
    const expected = new Map<string, string>();
    helmet()({} as never, { setHeader: (name: string, value: string) => expected.set(name.toLowerCase(), value), removeHeader() {} } as never, () => {});
    assert.ok(expected.size >= 10);
    for (const response of [
      await fetch(new URL('/healthz', harness.service.url)),
      await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), AUTH),
      await postRaw(harness.mcpUrl, '{', AUTH),
    ]) {
      assert.equal(response.headers.get('x-powered-by'), null);
      for (const [name, value] of expected) assert.equal(response.headers.get(name), value, name);
    }
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(new URL('/nope', harness.service.url));
    assert.equal(response.status, 404);
    assert.match(((await response.json()) as { message: string }).message, /POST \/mcp/);
  });

  it('logs one line per request with method, path, status and duration', async () => {
    const before = harness.logs.records('request').length;
    await postRaw(harness.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), AUTH);
    const lines = harness.logs.records('request').slice(before);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.method, 'POST');
    assert.equal(line?.path, '/mcp');
    assert.equal(line?.rpc_method, 'tools/list');
    assert.equal(line?.status, 200);
    assert.equal(typeof line?.duration_ms, 'number');
  });
});
