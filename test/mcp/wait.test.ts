import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  callTool,
  CLIENT_KINDS,
  connectClient,
  eventually,
  modernRequest,
  postRaw,
  startHarness,
  textOf,
  toolCallBody,
  type Harness,
  type HarnessOptions,
  type ProgressUpdate,
} from '../helpers/harness.js';

const KEY = 'key-wait-tests-0001';
const AUTH = { authorization: `Bearer ${KEY}` };

type TaskResult = { result: { task_id: string; status: string; waited_seconds: number; poll_after_seconds?: number } };
type BatchResult = { result: { tasks: { status: string }[]; counts: Record<string, number>; waited_seconds: number } };

/** A harness of its own, so request counts and timings are not shared with other tests. */
async function withHarness<T>(run: (h: Harness) => Promise<T>, options?: HarnessOptions): Promise<T> {
  const harness = await startHarness(options);
  harness.sandbox.addKey(KEY);
  try {
    return await run(harness);
  } finally {
    await harness.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls of one task the sandbox has seen so far. */
function pollsOf(harness: Harness, id: string): number {
  return harness.sandbox.taskRequests().filter((request) => {
    const body = request.body as { id?: string; ids?: string[] };
    return body.id === id || body.ids?.includes(id);
  }).length;
}

/**
 * Proves a wait is polling (two polls seen), lets `stop` end the call, then proves the polling
 * stopped: no poll in the next 4 s, although the 5 s poll rhythm would have polled again.
 */
async function assertPollingStops(harness: Harness, id: string, stop: () => void | Promise<void>): Promise<void> {
  await eventually(() => pollsOf(harness, id) >= 2, 5_000, 'the wait to poll twice');
  await stop();
  await sleep(300);
  const polls = pollsOf(harness, id);
  assert.ok(polls >= 2, `${polls} polls before the stop`);
  await sleep(4_000);
  assert.equal(pollsOf(harness, id), polls, 'no poll after the stop');
}

for (const kind of CLIENT_KINDS) {
  describe(`waiting for tasks to settle (${kind} client)`, { concurrency: true }, () => {
    it('answers soon after a task succeeds, not at the end of the wait', async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const id = harness.sandbox.addTask(KEY, { settleAfterMs: 2_500 });
        const settlesAt = Date.now() + 2_500;
        const result = await callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 30 });
        const delay = Date.now() - settlesAt;
        const task = (result.structuredContent as TaskResult).result;
        assert.equal(task.status, 'succeeded');
        assert.ok(delay >= 0 && delay < 3_000 + 500, `answered ${delay} ms after the task settled`);
        assert.ok(task.waited_seconds >= 2.5 && task.waited_seconds < 6, `waited ${task.waited_seconds} s`);
        await client.close();
      });
    });

    it('answers soon after a task fails', async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const id = harness.sandbox.addTask(KEY, { settleAfterMs: 1_500, outcome: 'failed' });
        const started = Date.now();
        const result = await callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 30 });
        assert.equal((result.structuredContent as TaskResult).result.status, 'failed');
        assert.ok(Date.now() - started < 4_000);
        await client.close();
      });
    });

    it('answers with the pending state after about wait_seconds, and says when to ask again', async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const id = harness.sandbox.addTask(KEY, { settleAfterMs: 120_000 });
        const started = Date.now();
        const result = await callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 3 });
        const took = Date.now() - started;
        const task = (result.structuredContent as TaskResult).result;
        assert.equal(task.status, 'pending');
        assert.ok(took >= 3_000 && took < 4_500, `took ${took} ms`);
        assert.ok(task.waited_seconds >= 3 && task.waited_seconds < 4);
        assert.equal(typeof task.poll_after_seconds, 'number');
        assert.match(textOf(result), /is still pending after waiting 3(\.\d)? s; ask again in about \d+ s/);
        // Polls at 0, 1 and 3 s: three looks, the last at the end of the wait.
        assert.equal(pollsOf(harness, id), 3);
        await client.close();
      });
    });

    it('does not wait for a task that does not exist', async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const started = Date.now();
        const result = await callTool(client, 'flux_get_task', { task_id: 'no-such-task', wait_seconds: 20 });
        assert.equal((result.structuredContent as TaskResult).result.status, 'not_found');
        assert.ok(Date.now() - started < 1_000);
        await client.close();
      });
    });

    it('waits for every task of a batch, one batch request per round', async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const ids = [500, 1_500, 2_500].map((ms) => harness.sandbox.addTask(KEY, { settleAfterMs: ms }));
        const result = await callTool(client, 'flux_get_tasks_batch', { task_ids: ids, wait_seconds: 20 });
        const batch = (result.structuredContent as BatchResult).result;
        assert.deepEqual(batch.counts, { pending: 0, succeeded: 3, failed: 0, not_found: 0 });
        assert.ok(batch.waited_seconds >= 2.5 && batch.waited_seconds < 6.5);
        const requests = harness.sandbox.taskRequests();
        assert.ok(requests.every((request) => (request.body as { action: string }).action === 'retrieve_batch'));
        assert.equal(requests.length, 3); // polls at 0, 1 and 3 s
        await client.close();
      });
    });

    it('sends progress notifications when asked, one per poll round', async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const ids = [harness.sandbox.addTask(KEY, { settleAfterMs: 500 }), harness.sandbox.addTask(KEY, { settleAfterMs: 2_500 })];
        const seen: ProgressUpdate[] = [];
        const result = await client.callTool('flux_get_tasks_batch', { task_ids: ids, wait_seconds: 10 }, { onprogress: (progress) => seen.push(progress) });
        assert.equal((result.structuredContent as BatchResult).result.counts.succeeded, 2);
        assert.equal(seen.length, harness.sandbox.taskRequests().length);
        assert.ok(seen.length >= 3);
        for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.progress > seen[i - 1]!.progress, 'progress grows');
        assert.ok(seen.every((progress) => progress.total === 10));
        assert.equal(seen[0]!.message, '0 of 2 tasks settled');
        assert.equal(seen.at(-1)!.message, '2 of 2 tasks settled');
        await client.close();
      });
    });

    it(`stops polling at once when the client cancels the call (${kind === 'legacy' ? 'notifications/cancelled' : 'the call stream closes'})`, async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const id = harness.sandbox.addTask(KEY, { settleAfterMs: 120_000 });
        const controller = new AbortController();
        const call = client.callTool('flux_get_task', { task_id: id, wait_seconds: 40 }, { signal: controller.signal });
        await assertPollingStops(harness, id, async () => {
          controller.abort();
          await assert.rejects(call);
        });
        await client.close();
      });
    });

    it('keeps waiting through a failed poll and still answers with the result', async () => {
      await withHarness(async (harness) => {
        const client = await connectClient(harness.mcpUrl, KEY, kind);
        const id = harness.sandbox.addTask(KEY, { settleAfterMs: 3_500 });
        const call = callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 20 });
        await sleep(300);
        harness.sandbox.injectFault({ kind: 'status', status: 503 }, 3); // every attempt of the 1 s poll
        const result = await call;
        assert.equal((result.structuredContent as TaskResult).result.status, 'succeeded');
        await client.close();
      });
    });

    it('answers waits early with their latest state when the service shuts down', async () => {
      const harness = await startHarness();
      harness.sandbox.addKey(KEY);
      const client = await connectClient(harness.mcpUrl, KEY, kind);
      const id = harness.sandbox.addTask(KEY, { settleAfterMs: 120_000 });
      const call = callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 40 });
      await eventually(() => pollsOf(harness, id) >= 2, 5_000, 'the wait to poll');
      const started = Date.now();
      await harness.service.close(10_000);
      const result = await call;
      assert.equal((result.structuredContent as TaskResult).result.status, 'pending');
      assert.ok(Date.now() - started < 1_500, 'the drain did not have to wait for the wait');
      await client.close().catch(() => undefined);
      await harness.sandbox.close();
    });
  });
}

describe('waiting, on the wire', { concurrency: true }, () => {
  it('answers a legacy call with an event stream only when progress is asked for', async () => {
    await withHarness(async (harness) => {
      const id = harness.sandbox.addTask(KEY, { settleAfterMs: 1_200 });
      const streamed = await postRaw(harness.mcpUrl, toolCallBody('flux_get_task', { task_id: id, wait_seconds: 5 }, 'tok-1'), AUTH);
      assert.match(streamed.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = streamed.text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as { method?: string; params?: { progressToken: string }; result?: { structuredContent: TaskResult } });
      const progress = events.filter((event) => event.method === 'notifications/progress');
      assert.ok(progress.length >= 2);
      assert.ok(progress.every((event) => event.params?.progressToken === 'tok-1'));
      assert.equal(events.at(-1)?.result?.structuredContent.result.status, 'succeeded');
    });
  });

  it('answers a modern call as plain JSON without a progress token, and as an event stream with one', async () => {
    await withHarness(async (harness) => {
      const id = harness.sandbox.addTask(KEY, { settleAfterMs: 1_200 });
      const plain = modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: id, wait_seconds: 5 } });
      const answer = await postRaw(harness.mcpUrl, plain.body, { ...AUTH, ...plain.headers });
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      const json = answer.json as { result: { resultType: string; structuredContent: TaskResult } };
      assert.equal(json.result.resultType, 'complete');
      assert.equal(json.result.structuredContent.result.status, 'succeeded');

      const other = harness.sandbox.addTask(KEY, { settleAfterMs: 1_200 });
      const withToken = modernRequest('tools/call', { name: 'flux_get_task', arguments: { task_id: other, wait_seconds: 5 } }, { meta: { progressToken: 'tok-2' } });
      const streamed = await postRaw(harness.mcpUrl, withToken.body, { ...AUTH, ...withToken.headers });
      assert.match(streamed.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = streamed.text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as { method?: string; params?: { progressToken: string }; result?: { structuredContent: TaskResult } });
      assert.ok(events.filter((event) => event.method === 'notifications/progress').every((event) => event.params?.progressToken === 'tok-2'));
      assert.ok(events.some((event) => event.method === 'notifications/progress'));
      assert.equal(events.at(-1)?.result?.structuredContent.result.status, 'succeeded');
    });
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`stops polling at once when a ${era} client disconnects`, async () => {
      await withHarness(async (harness) => {
        const id = harness.sandbox.addTask(KEY, { settleAfterMs: 120_000 });
        const args = { task_id: id, wait_seconds: 40 };
        const raw = era === 'legacy' ? { body: toolCallBody('flux_get_task', args), headers: {} } : modernRequest('tools/call', { name: 'flux_get_task', arguments: args });
        const controller = new AbortController();
        const request = fetch(harness.mcpUrl, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...raw.headers },
          body: raw.body,
          signal: controller.signal,
        });
        await assertPollingStops(harness, id, async () => {
          controller.abort();
          await assert.rejects(request);
        });
      });
    });
  }

  it('lets a legacy cancellation stop only a call of the same key', async () => {
    await withHarness(async (harness) => {
      const id = harness.sandbox.addTask(KEY, { settleAfterMs: 120_000 });
      const call = postRaw(harness.mcpUrl, toolCallBody('flux_get_task', { task_id: id, wait_seconds: 8 }), AUTH);
      await eventually(() => pollsOf(harness, id) >= 2, 5_000, 'the wait to poll');
      const cancel = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'test' } });
      const stranger = await postRaw(harness.mcpUrl, cancel, { authorization: 'Bearer key-of-someone-else' });
      assert.equal(stranger.status, 202);
      await sleep(2_500);
      const polls = pollsOf(harness, id);
      assert.ok(polls >= 3, `still polling after another key's cancellation (${polls} polls)`);
      const own = await postRaw(harness.mcpUrl, cancel, AUTH);
      assert.equal(own.status, 202);
      await sleep(4_000);
      assert.equal(pollsOf(harness, id), polls, 'no poll after its own cancellation');
      await call.catch(() => undefined);
    });
  });

  it('caps waiting calls per key and in all, with a clear error', async () => {
    await withHarness(
      async (harness) => {
        const other = 'key-wait-tests-0002';
        harness.sandbox.addKey(other);
        const client = await connectClient(harness.mcpUrl, KEY, 'modern');
        const otherClient = await connectClient(harness.mcpUrl, other, 'legacy');
        const id = harness.sandbox.addTask(KEY, { settleAfterMs: 3_000 });
        const otherId = harness.sandbox.addTask(other, { settleAfterMs: 3_000 });
        const held = [1, 2].map(() => callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 10 }));
        await sleep(300);
        const third = await callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 10 });
        assert.equal(third.isError, true);
        assert.match(textOf(third), /already has 2 waiting calls open; call again with wait_seconds 0/);
        const notWaiting = await callTool(client, 'flux_get_task', { task_id: id });
        assert.equal(notWaiting.isError, undefined, 'a call without a wait is not capped');

        const otherHeld = callTool(otherClient, 'flux_get_task', { task_id: otherId, wait_seconds: 10 });
        await sleep(300);
        const overall = await callTool(otherClient, 'flux_get_task', { task_id: otherId, wait_seconds: 10 });
        assert.match(textOf(overall), /holding as many waiting calls as it can/);

        for (const result of await Promise.all([...held, otherHeld])) {
          assert.equal((result.structuredContent as TaskResult).result.status, 'succeeded');
        }
        const afterwards = await callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 1 });
        assert.equal(afterwards.isError, undefined, 'slots are given back');
        await client.close();
        await otherClient.close();
      },
      { env: { WAIT_MAX_PER_KEY: '2', WAIT_MAX_TOTAL: '3' } },
    );
  });

  it('rejects a wait out of range', async () => {
    await withHarness(async (harness) => {
      const client = await connectClient(harness.mcpUrl, KEY, 'modern');
      for (const [wait, message] of [
        [46, /wait_seconds must be at most 45/],
        [-1, /wait_seconds must be 0 or more/],
        ['10', /wait_seconds must be a number of seconds/],
      ] as const) {
        const result = await callTool(client, 'flux_get_task', { task_id: 'x', wait_seconds: wait });
        assert.equal(result.isError, true);
        assert.match(textOf(result), message);
      }
      await client.close();
    });
  });
});
