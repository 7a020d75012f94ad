import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseTask, pollAfterSeconds, taskSchema } from '../../src/flux/task.js';

const ID = '7d1c5b7e-8f0a-4a8e-9a36-2b7c55a1f001';
const created = 1736304669.78;
const base = {
  id: ID,
  type: 'images',
  trace_id: 'trace',
  created_at: created,
  started_at: 1736304669.84,
  request: { action: 'generate', prompt: 'a cat', model: 'flux-dev', size: '1:1', async: true },
};

describe('normaliseTask: status rules of the Flux API contract', () => {
  it('an empty object means not_found', () => {
    assert.deepEqual(normaliseTask(ID, {}), { task_id: ID, status: 'not_found', images: [] });
    assert.equal(normaliseTask(ID, undefined).status, 'not_found');
  });

  it('no response and no finished_at is pending, with a poll hint and no finish time', () => {
    const task = normaliseTask(ID, base, (created + 5) * 1000);
    assert.equal(task.status, 'pending');
    assert.equal(task.poll_after_seconds, 3);
    assert.equal(task.finished_at, undefined);
    assert.equal(task.error, undefined);
    assert.equal(task.created_at, new Date(created * 1000).toISOString());
    assert.deepEqual([task.action, task.model, task.prompt, task.size], ['generate', 'flux-dev', 'a cat', '1:1']);
  });

  it('success: true is succeeded, with image URL, seed and prompt; timings of either shape are accepted', () => {
    const task = normaliseTask(ID, {
      ...base,
      finished_at: 1736304679.44,
      elapsed: 9.6,
      response: {
        success: true,
        task_id: ID,
        data: [
          { prompt: 'a cat', image_url: `https://platform2.cdn.acedata.cloud/flux/${ID}.png`, seed: 281520112, timings: { inference: 3.19 } },
          { image_url: `https://platform2.cdn.acedata.cloud/flux/${ID}-1.png`, timings: 3.2 },
        ],
      },
    });
    assert.equal(task.status, 'succeeded');
    assert.deepEqual(task.images, [
      { url: `https://platform2.cdn.acedata.cloud/flux/${ID}.png`, seed: 281520112, prompt: 'a cat' },
      { url: `https://platform2.cdn.acedata.cloud/flux/${ID}-1.png` },
    ]);
    assert.equal(task.elapsed_seconds, 9.6);
    assert.equal(task.finished_at, new Date(1736304679.44 * 1000).toISOString());
    assert.equal(task.poll_after_seconds, undefined);
  });

  it('success: false is failed with the upstream code and message', () => {
    const task = normaliseTask(ID, {
      ...base,
      finished_at: 1736304679.44,
      response: { success: false, error: { code: 'api_error', message: 'fetch failed' } },
    });
    assert.equal(task.status, 'failed');
    assert.deepEqual(task.error, { code: 'api_error', message: 'fetch failed' });
    assert.deepEqual(task.images, []);
  });

  it('an error without a success flag is failed; a bare string error keeps its text', () => {
    const task = normaliseTask(ID, { ...base, response: { error: 'content moderation' } });
    assert.equal(task.status, 'failed');
    assert.deepEqual(task.error, { code: 'task_failed', message: 'content moderation' });
  });

  it('finished_at without a usable response is failed, never pending', () => {
    const task = normaliseTask(ID, { ...base, finished_at: 1736304679.44 });
    assert.equal(task.status, 'failed');
    assert.equal(task.error?.code, 'no_result');
    assert.equal(task.poll_after_seconds, undefined);
  });

  it('a response without success or error is settled without a result: failed', () => {
    assert.equal(normaliseTask(ID, { ...base, response: { task_id: ID } }).status, 'failed');
  });

  it('elapsed is derived from the timestamps when the record has none', () => {
    const task = normaliseTask(ID, { ...base, finished_at: created + 12.345, response: { success: true, data: [] } });
    assert.equal(task.elapsed_seconds, 12.35);
  });

  it('odd shapes never throw and never invent data', () => {
    const odd = [
      { id: ID, response: { success: true, data: 'nope' } },
      { id: ID, response: { success: true, data: [null, 1, { image_url: 'javascript:alert(1)' }, { image_url: 42 }] } },
      { id: ID, created_at: 'yesterday', finished_at: -5, request: 'x' },
      { id: ID, response: [], request: { model: 7, prompt: null } },
      { id: 42 },
    ];
    for (const record of odd) {
      const task = normaliseTask(ID, record as Record<string, unknown>);
      assert.doesNotThrow(() => taskSchema.parse(task));
      assert.deepEqual(task.images, []);
      assert.equal(task.model, undefined);
    }
  });

  it('every normalised task matches the published output schema', () => {
    const records = [
      {},
      base,
      { ...base, finished_at: created + 3, response: { success: true, data: [{ image_url: 'https://x.test/a.png', seed: 1 }] } },
      { ...base, finished_at: created + 3, response: { success: false, error: { code: 'x', message: 'y' } } },
    ];
    for (const record of records) assert.doesNotThrow(() => taskSchema.strict().parse(normaliseTask(ID, record)));
  });
});

describe('pollAfterSeconds', () => {
  it('asks sooner about young tasks and less often about old ones', () => {
    const now = 1_000_000_000;
    assert.equal(pollAfterSeconds(now / 1000 - 2, now), 3);
    assert.equal(pollAfterSeconds(now / 1000 - 30, now), 5);
    assert.equal(pollAfterSeconds(now / 1000 - 600, now), 10);
    assert.equal(pollAfterSeconds(undefined, now), 5);
  });
});
