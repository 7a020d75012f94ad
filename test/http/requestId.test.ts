import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postRaw, startHarness, toolCallBody, type Harness } from '../helpers/harness.js';

const KEY = 'key-request-id-0001';

const call = (taskId: string) => toolCallBody('flux_get_task', { task_id: taskId });

describe('request ids', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness({ env: { LOG_LEVEL: 'debug' } });
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  it('takes a sane X-Request-Id, returns it, sends it upstream and puts it in every log line of the request', async () => {
    const requestId = 'trace-7f3a.9c2e:01';
    const id = harness.sandbox.addTask(KEY);
    harness.sandbox.clearRequests();
    const response = await postRaw(harness.mcpUrl, call(id), { authorization: `Bearer ${KEY}`, 'x-request-id': requestId });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-request-id'), requestId);
    assert.equal(harness.sandbox.taskRequests()[0]?.headers['x-request-id'], requestId);
    const lines = harness.logs.records().filter((record) => record.request_id === requestId);
    assert.deepEqual(lines.map((record) => record.msg).sort(), ['flux api call', 'request']);
  });

  it('makes one up when there is none', async () => {
    const response = await postRaw(harness.mcpUrl, call('x'), { authorization: `Bearer ${KEY}` });
    const requestId = response.headers.get('x-request-id');
    assert.match(requestId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(harness.logs.records('request').some((record) => record.request_id === requestId));
  });

  for (const [what, offered] of [
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'two words'],
    ['with odd characters', 'id<script>'],
    ['the caller’s own key', KEY],
  ] as const) {
    it(`replaces one that is ${what}`, async () => {
      const response = await postRaw(harness.mcpUrl, call('x'), { authorization: `Bearer ${KEY}`, 'x-request-id': offered });
      const requestId = response.headers.get('x-request-id');
      assert.notEqual(requestId, offered);
      assert.match(requestId ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(!harness.logs.text.includes(KEY));
    });
  }

  it('is present on answers that never reach MCP', async () => {
    const refused = await postRaw(harness.mcpUrl, '{}', { 'x-request-id': 'refused-1' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-request-id'), 'refused-1');
    assert.ok(harness.logs.records('request').some((record) => record.request_id === 'refused-1' && record.status === 401));
  });
});
