import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { SandboxFault } from '../../src/sandbox/fluxSandbox.js';
import { callTool, CLIENT_KINDS, connectClient, startHarness, textOf, type Harness, type TestClient } from '../helpers/harness.js';

const KEY = 'key-upstream-errors-0001';

for (const kind of CLIENT_KINDS) describe(`upstream failures that persist become one clear isError sentence (${kind} client)`, () => {
  let harness: Harness;
  let client: TestClient;
  let taskId: string;

  before(async () => {
    harness = await startHarness({ env: { FLUX_REQUEST_TIMEOUT: '1', FLUX_TOTAL_TIMEOUT: '4' } });
    taskId = harness.sandbox.addTask(KEY);
    client = await connectClient(harness.mcpUrl, KEY, kind);
  });
  after(async () => {
    await client.close();
    await harness.close();
  });
  beforeEach(() => {
    harness.sandbox.clearFaults();
  });

  const cases: [string, SandboxFault, RegExp][] = [
    ['a rejected key (401)', { kind: 'status', status: 401, code: 'invalid_token', message: 'token is invalid' }, /^The Flux API rejected the API key \(HTTP 401 invalid_token: token is invalid\)\. Send a valid AceDataCloud API key/],
    ['an expired key', { kind: 'status', status: 401, code: 'token_expired', message: 'expired' }, /rejected the API key \(HTTP 401 token_expired: expired\)/],
    ['no balance (403 used_up)', { kind: 'status', status: 403, code: 'used_up', message: 'no balance' }, /refused the request \(HTTP 403 used_up: no balance\)\. The account behind this key has no balance left/],
    ['a rate limit (429)', { kind: 'status', status: 429, message: 'slow down', retryAfter: '12' }, /^Rate limited by the Flux API \(HTTP 429 too_many_requests: slow down\); retry after 12 s\.$/],
    ['a server error (500)', { kind: 'status', status: 500, message: 'internal' }, /^The Flux API failed \(HTTP 500 api_error: internal\)\. The fault is on the provider's side; try again in a minute\.$/],
    ['an outage (503)', { kind: 'status', status: 503 }, /The Flux API failed \(HTTP 503 service_unavailable/],
    ['a wrong path (404 no_api)', { kind: 'status', status: 404, code: 'no_api', message: 'no api' }, /does not serve the task endpoint.*ACEDATACLOUD_API_BASE_URL/],
    ['a proxy HTML page', { kind: 'html', status: 200 }, /^The Flux API sent an answer that is not JSON \(text\/html\) \(HTTP 200\)\. Try again shortly\.$/],
    ['a proxy HTML error page', { kind: 'html', status: 502 }, /^The Flux API failed \(HTTP 502\)\./],
    ['a reset connection', { kind: 'reset' }, /^Could not reach the Flux API \(connection reset\)\. Try again shortly\.$/],
    ['a hang past the timeout', { kind: 'hang' }, /^The Flux API did not answer within 1 s\. Try again shortly\.$/],
  ];

  for (const [what, fault, sentence] of cases) {
    it(`reports ${what}`, async () => {
      for (const [tool, args] of [
        ['flux_get_task', { task_id: taskId }],
        ['flux_get_tasks_batch', { task_ids: [taskId] }],
      ] as const) {
        harness.sandbox.clearFaults().injectFault(fault, Infinity);
        const started = Date.now();
        const result = await callTool(client, tool, args);
        assert.ok(Date.now() - started < 5_000, 'answered well within the deadline');
        assert.equal(result.isError, true, `${tool} should fail`);
        assert.equal(result.structuredContent, undefined);
        assert.equal(result.content.length, 1);
        const text = textOf(result);
        assert.match(text, sentence);
        assert.doesNotMatch(text, /<html|\bat \w+ \(|node_modules|Error:/);
        assert.ok(!text.includes(KEY));
      }
      // The server keeps serving normally afterwards.
      harness.sandbox.clearFaults();
      const after = await callTool(client, 'flux_get_task', { task_id: taskId });
      assert.equal((after.structuredContent as { result: { status: string } }).result.status, 'succeeded');
    });
  }

  it('reports a refused connection when the Flux API is down', async () => {
    const down = await startHarness();
    const url = down.sandbox.url;
    const downClient = await connectClient(down.mcpUrl, KEY, kind);
    await down.sandbox.close();
    try {
      const result = await callTool(downClient, 'flux_get_task', { task_id: 'abc' });
      assert.equal(result.isError, true);
      assert.equal(textOf(result), 'Could not reach the Flux API (connection refused). Try again shortly.');
      assert.ok(!textOf(result).includes(url));
    } finally {
      await downClient.close();
      await down.service.close(500);
    }
  });
});

describe('transient upstream failures are retried away', () => {
  let harness: Harness;
  let client: TestClient;

  before(async () => {
    harness = await startHarness({ env: { FLUX_REQUEST_TIMEOUT: '1', FLUX_TOTAL_TIMEOUT: '4' } });
    client = await connectClient(harness.mcpUrl, KEY);
  });
  after(async () => {
    await client.close();
    await harness.close();
  });

  const transient: [string, SandboxFault][] = [
    ['one 500', { kind: 'status', status: 500 }],
    ['one reset', { kind: 'reset' }],
    ['one 503 HTML page', { kind: 'html', status: 503 }],
    ['one 429 with Retry-After: 1', { kind: 'status', status: 429, retryAfter: '1' }],
  ];
  for (const [what, fault] of transient) {
    it(`${what} then success is a success`, async () => {
      const id = harness.sandbox.addTask(KEY);
      harness.sandbox.clearRequests().injectFault(fault);
      const result = await callTool(client, 'flux_get_task', { task_id: id });
      assert.equal(result.isError, undefined, textOf(result));
      assert.equal((result.structuredContent as { result: { status: string } }).result.status, 'succeeded');
      assert.equal(harness.sandbox.taskRequests().length, 2);
    });
  }

  it('a hang is cut at FLUX_REQUEST_TIMEOUT and reported, not retried', async () => {
    harness.sandbox.clearRequests().injectFault({ kind: 'hang' }, Infinity);
    const started = Date.now();
    const result = await callTool(client, 'flux_get_task', { task_id: 'abc' });
    const elapsed = Date.now() - started;
    assert.equal(textOf(result), 'The Flux API did not answer within 1 s. Try again shortly.');
    assert.ok(elapsed >= 900 && elapsed < 2_500, `${elapsed} ms`);
    assert.equal(harness.sandbox.taskRequests().length, 1);
    harness.sandbox.clearFaults();
  });
});
