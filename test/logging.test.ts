import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, CLIENT_KINDS, connectClient, eventually, INITIALIZE, modernRequest, postRaw, startHarness, textOf, type Harness } from './helpers/harness.js';
import { spawnService } from './helpers/process.js';

/** A key that must never show up in any log line, at any level. */
const SENTINEL = 'sk-SENTINEL-7f3a9c2e5b1d4068a4e2c9f1b7d3e5a0';

describe('the API key never reaches a log line', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness({ env: { LOG_LEVEL: 'trace', FLUX_REQUEST_TIMEOUT: '1' } });
    harness.sandbox.addKey(SENTINEL);
  });
  after(async () => {
    await harness.close();
  });

  it('not on success, bad input, upstream errors that echo it, or refusals, even at trace level', async () => {
    const id = harness.sandbox.addTask(SENTINEL);
    const answers: string[] = [];
    for (const kind of CLIENT_KINDS) {
      const client = await connectClient(harness.mcpUrl, SENTINEL, kind);
      answers.push(textOf(await callTool(client, 'flux_get_task', { task_id: id })));
      answers.push(textOf(await callTool(client, 'flux_get_tasks_batch', { task_ids: [id, 'x'] })));
      answers.push(textOf(await callTool(client, 'flux_get_task', { task_id: '' })));
      harness.sandbox.injectFault({ kind: 'status', status: 401, message: 'bad token {token}' });
      answers.push(textOf(await callTool(client, 'flux_get_task', { task_id: id })));
      harness.sandbox.injectFault({ kind: 'status', status: 500, message: 'failed for Bearer {token}' });
      answers.push(textOf(await callTool(client, 'flux_get_task', { task_id: id })));
      harness.sandbox.injectFault({ kind: 'hang' });
      answers.push(textOf(await callTool(client, 'flux_get_task', { task_id: id })));
      await client.listTools();
      await client.close();
    }
    // A modern request the SDK refuses (headers that disagree with the body), with the key.
    const mismatched = modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: SENTINEL } });
    await postRaw(harness.mcpUrl, mismatched.body, { ...mismatched.headers, 'mcp-name': 'flux_get_tasks_batch', authorization: `Bearer ${SENTINEL}` });
    // A key in the wrong scheme, and the key with a malformed body.
    await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), { authorization: `Token ${SENTINEL}` });
    await postRaw(harness.mcpUrl, '{not json', { authorization: `Bearer ${SENTINEL}` });
    // The key in a path, a query string and a request id.
    await fetch(new URL(`/mcp/${SENTINEL}?key=${SENTINEL}`, harness.service.url));
    await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), { authorization: `Bearer ${SENTINEL}`, 'x-request-id': SENTINEL });

    assert.ok(harness.sandbox.requests.some((request) => request.token === SENTINEL), 'the key did reach the Flux API');
    assert.ok(harness.logs.lines.length > 10, 'something was logged');
    assert.ok(harness.logs.records().some((record) => record.level === 'debug'), 'debug lines were logged');
    assert.ok(!harness.logs.text.includes(SENTINEL), 'the key is not in the logs');
    assert.ok(!harness.logs.text.includes(SENTINEL.slice(3, 20)), 'nor is part of it');
    for (const answer of answers) assert.ok(!answer.includes(SENTINEL), `the key is not in: ${answer}`);
  });
});

describe('the request log', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness.close();
  });

  function lineFor(requestId: string): Record<string, unknown> {
    const line = harness.logs.records('request').find((record) => record.request_id === requestId);
    assert.ok(line, `a request line for ${requestId}`);
    return line;
  }

  it('names the era and the JSON-RPC method, also of requests refused before any MCP work', async () => {
    const modern = modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: 'x' } });
    await postRaw(harness.mcpUrl, modern.body, { ...modern.headers, 'x-request-id': 'log-modern-401' });
    await postRaw(harness.mcpUrl, JSON.stringify(INITIALIZE), { 'x-request-id': 'log-legacy-401' });
    const discover = modernRequest('server/discover');
    await postRaw(harness.mcpUrl, discover.body, { ...discover.headers, authorization: 'Bearer some-key', 'x-request-id': 'log-modern-200' });
    assert.deepEqual(
      ['log-modern-401', 'log-legacy-401', 'log-modern-200'].map((id) => {
        const line = lineFor(id);
        return [line.status, line.era, line.rpc_method];
      }),
      [
        [401, 'modern', 'tools/call'],
        [401, 'legacy', 'initialize'],
        [200, 'modern', 'server/discover'],
      ],
    );
    assert.equal(lineFor('log-modern-401').tool, 'flux_get_task');
  });
});

describe('log lines on standard output', () => {
  it('go out within two seconds even when too few follow to fill a batch', async () => {
    const service = await spawnService({ ACEDATACLOUD_API_BASE_URL: 'http://127.0.0.1:9' });
    try {
      const mcpUrl = new URL('/mcp', service.url);
      const written = (requestId: string) => service.output().includes(`"request_id":"${requestId}"`);
      // A few hundred bytes: far less than a batch, so only the timer can write it out.
      await postRaw(mcpUrl, JSON.stringify(INITIALIZE), { 'x-request-id': 'quiet-spell-1' });
      const sent = Date.now();
      await eventually(() => written('quiet-spell-1'), 5_000, 'the request line');
      assert.ok(Date.now() - sent < 2_000, `written ${Date.now() - sent} ms after the request`);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
