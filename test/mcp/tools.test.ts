import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { callTool, CLIENT_KINDS, connectClient, startHarness, textOf, type Harness, type TestClient } from '../helpers/harness.js';

const KEY = 'key-tools-tests-0001';

for (const kind of CLIENT_KINDS) describe(`tools over Streamable HTTP with the ${kind} client`, () => {
  let harness: Harness;
  let client: TestClient;

  before(async () => {
    harness = await startHarness({ sandbox: { maxPageSize: 12 } });
    harness.sandbox.addKey(KEY);
    client = await connectClient(harness.mcpUrl, KEY, kind);
  });
  after(async () => {
    await client.close();
    await harness.close();
  });

  it(`lands in the ${kind === 'legacy' ? 'legacy' : 'modern'} era`, () => {
    assert.equal(client.era, kind === 'legacy' ? 'legacy' : 'modern');
  });
  beforeEach(() => {
    harness.sandbox.clearFaults().clearRequests();
  });

  describe('tools/list', () => {
    it('lists both tools with titles, read-only annotations and schemas', async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ['flux_get_task', 'flux_get_tasks_batch'],
      );
      for (const tool of tools) {
        assert.ok(tool.title);
        assert.deepEqual(
          { ...tool.annotations, title: undefined },
          { title: undefined, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
        );
        assert.equal(tool.annotations?.title, tool.title);
        assert.equal(tool.outputSchema?.type, 'object');
        assert.deepEqual(Object.keys(tool.outputSchema?.properties ?? {}), ['result']);
        assert.deepEqual(tool.outputSchema?.required, ['result']);
        for (const section of ['Use it when', 'Returns', 'Limits', 'Errors']) assert.match(tool.description ?? '', new RegExp(section));
      }
    });

    it('describes the inputs with their limits, and each tool points to its sibling', async () => {
      const { tools } = await client.listTools();
      const [single, batch] = tools;
      const taskId = single?.inputSchema.properties?.task_id as Record<string, unknown>;
      assert.deepEqual(single?.inputSchema.required, ['task_id']);
      assert.equal(taskId.minLength, 1);
      assert.equal(taskId.maxLength, 128);
      assert.ok(taskId.description);
      const taskIds = batch?.inputSchema.properties?.task_ids as Record<string, unknown>;
      assert.equal(taskIds.minItems, 1);
      assert.equal(taskIds.maxItems, 50);
      for (const tool of [single, batch]) {
        const wait = tool?.inputSchema.properties?.wait_seconds as Record<string, unknown>;
        assert.deepEqual([wait.type, wait.minimum, wait.maximum, wait.default], ['number', 0, 45, 0]);
        assert.ok(!(tool?.inputSchema.required ?? []).includes('wait_seconds'));
      }
      assert.match(single?.description ?? '', /flux_get_tasks_batch/);
      assert.match(batch?.description ?? '', /flux_get_task\b/);
    });

    it('puts a description on every field of the output schema', async () => {
      const { tools } = await client.listTools();
      const undescribed: string[] = [];
      const walk = (schema: Record<string, unknown>, path: string) => {
        const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
        for (const [name, child] of Object.entries(properties)) {
          if (!child.description) undescribed.push(`${path}.${name}`);
          walk(child, `${path}.${name}`);
          if (child.items) walk(child.items as Record<string, unknown>, `${path}.${name}[]`);
        }
      };
      for (const tool of tools) walk(tool.outputSchema as Record<string, unknown>, tool.name);
      assert.deepEqual(undescribed, []);
    });
  });

  describe('flux_get_task', () => {
    it('returns a succeeded task with its images, as structured content and as text', async () => {
      const id = harness.sandbox.addTask(KEY, { images: 2, prompt: 'a red fox in snow', model: 'flux-2-pro', size: '16:9' });
      const result = await callTool(client, 'flux_get_task', { task_id: id });
      assert.equal(result.isError, undefined);
      const task = (result.structuredContent as { result: Record<string, unknown> }).result;
      assert.equal(task.task_id, id);
      assert.equal(task.status, 'succeeded');
      assert.equal((task.images as unknown[]).length, 2);
      assert.deepEqual([task.model, task.prompt, task.size, task.action], ['flux-2-pro', 'a red fox in snow', '16:9', 'generate']);
      assert.equal(task.poll_after_seconds, undefined);
      const url = (task.images as { url: string }[])[0]!.url;
      assert.match(textOf(result), new RegExp(`succeeded with 2 images`));
      assert.ok(textOf(result).includes(url));
    });

    it('returns a pending task at once with a poll hint', async () => {
      const id = harness.sandbox.addTask(KEY, { settleAfterMs: 60_000 });
      const started = Date.now();
      const result = await callTool(client, 'flux_get_task', { task_id: id });
      assert.ok(Date.now() - started < 1_000);
      const task = (result.structuredContent as { result: Record<string, unknown> }).result;
      assert.equal(task.status, 'pending');
      assert.equal(task.poll_after_seconds, 3);
      assert.equal(task.finished_at, undefined);
      assert.match(textOf(result), /still pending; ask again in about 3 s/);
    });

    it('returns a failed task with the upstream error', async () => {
      const id = harness.sandbox.addTask(KEY, { outcome: 'failed', error: { code: 'api_error', message: 'fetch failed' } });
      const result = await callTool(client, 'flux_get_task', { task_id: id });
      const task = (result.structuredContent as { result: Record<string, unknown> }).result;
      assert.equal(task.status, 'failed');
      assert.deepEqual(task.error, { code: 'api_error', message: 'fetch failed' });
      assert.match(textOf(result), /failed \(api_error: fetch failed\)/);
    });

    it('reports a task that settled without a result as failed, not pending', async () => {
      const id = harness.sandbox.addTask(KEY, { outcome: 'unsettled' });
      const result = await callTool(client, 'flux_get_task', { task_id: id });
      const task = (result.structuredContent as { result: Record<string, unknown> }).result;
      assert.equal(task.status, 'failed');
      assert.equal((task.error as { code: string }).code, 'no_result');
    });

    it('reports an unknown id as not_found', async () => {
      const result = await callTool(client, 'flux_get_task', { task_id: 'ffffffff-0000-0000-0000-000000000000' });
      assert.equal(result.isError, undefined);
      const task = (result.structuredContent as { result: Record<string, unknown> }).result;
      assert.equal(task.status, 'not_found');
      assert.match(textOf(result), /not found/);
    });

    it('follows a task from pending to succeeded', async () => {
      const id = harness.sandbox.addTask(KEY, { settleAfterPolls: 1 });
      const first = await callTool(client, 'flux_get_task', { task_id: id });
      const second = await callTool(client, 'flux_get_task', { task_id: id });
      assert.equal((first.structuredContent as { result: { status: string } }).result.status, 'pending');
      assert.equal((second.structuredContent as { result: { status: string } }).result.status, 'succeeded');
    });

    it('trims the id before asking the Flux API', async () => {
      const id = harness.sandbox.addTask(KEY);
      const result = await callTool(client, 'flux_get_task', { task_id: `  ${id}\n` });
      assert.equal((result.structuredContent as { result: { task_id: string } }).result.task_id, id);
      assert.deepEqual(harness.sandbox.taskRequests()[0]?.body, { action: 'retrieve', id });
    });

    const invalid: [string, Record<string, unknown>, RegExp][] = [
      ['a missing id', {}, /task_id is required/],
      ['an empty id', { task_id: '   ' }, /task_id must not be empty/],
      ['a 129-character id', { task_id: 'x'.repeat(129) }, /task_id must be at most 128 characters/],
      ['a number', { task_id: 42 }, /task_id must be a string/],
      ['spaces inside', { task_id: 'a b' }, /visible ASCII/],
      ['an unknown argument', { task_id: 'abc', wait: 5 }, /unknown argument "wait"/],
    ];
    for (const [what, args, message] of invalid) {
      it(`rejects ${what} with an error result and no upstream call`, async () => {
        const result = await callTool(client, 'flux_get_task', args);
        assert.equal(result.isError, true);
        assert.equal(result.structuredContent, undefined);
        assert.match(textOf(result), message);
        assert.match(textOf(result), /^Invalid arguments for flux_get_task: .*Fix them and call flux_get_task again\.$/);
        assert.equal(harness.sandbox.taskRequests().length, 0);
      });
    }
  });

  describe('flux_get_tasks_batch', () => {
    it('answers in request order, every status, with counts', async () => {
      const ok = harness.sandbox.addTask(KEY);
      const pending = harness.sandbox.addTask(KEY, { settleAfterMs: 60_000 });
      const failed = harness.sandbox.addTask(KEY, { outcome: 'failed' });
      const ids = [pending, 'missing-id', ok, failed];
      const result = await callTool(client, 'flux_get_tasks_batch', { task_ids: ids });
      const { tasks, counts } = (result.structuredContent as { result: { tasks: { task_id: string; status: string }[]; counts: unknown } }).result;
      assert.deepEqual(
        tasks.map((task) => [task.task_id, task.status]),
        [
          [pending, 'pending'],
          ['missing-id', 'not_found'],
          [ok, 'succeeded'],
          [failed, 'failed'],
        ],
      );
      assert.deepEqual(counts, { pending: 1, succeeded: 1, failed: 1, not_found: 1 });
      assert.match(textOf(result), /^4 tasks: 1 succeeded, 1 pending, 1 failed, 1 not found\./);
      assert.equal(harness.sandbox.taskRequests().length, 1);
    });

    it('answers a repeated id at each of its positions', async () => {
      const a = harness.sandbox.addTask(KEY);
      const b = harness.sandbox.addTask(KEY, { outcome: 'failed' });
      const result = await callTool(client, 'flux_get_tasks_batch', { task_ids: [a, b, a, a] });
      const { tasks, counts } = (result.structuredContent as { result: { tasks: { task_id: string }[]; counts: { succeeded: number } } }).result;
      assert.deepEqual(
        tasks.map((task) => task.task_id),
        [a, b, a, a],
      );
      assert.equal(counts.succeeded, 3);
    });

    it('gets all of 20 ids through a provider that pages at 12', async () => {
      const ids = Array.from({ length: 20 }, () => harness.sandbox.addTask(KEY));
      const result = await callTool(client, 'flux_get_tasks_batch', { task_ids: ids });
      const { tasks, counts } = (result.structuredContent as { result: { tasks: { task_id: string }[]; counts: { succeeded: number } } }).result;
      assert.deepEqual(
        tasks.map((task) => task.task_id),
        ids,
      );
      assert.equal(counts.succeeded, 20);
      const first = harness.sandbox.taskRequests()[0]?.body as { limit: number; ids: string[] };
      assert.equal(first.limit, 20);
      assert.equal(first.ids.length, 20);
    });

    it('accepts 50 ids', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
      const result = await callTool(client, 'flux_get_tasks_batch', { task_ids: ids });
      assert.equal(result.isError, undefined);
      assert.equal((result.structuredContent as { result: { counts: { not_found: number } } }).result.counts.not_found, 50);
    });

    const invalid: [string, unknown, RegExp][] = [
      ['0 ids', [], /task_ids must hold at least 1 id/],
      ['51 ids', Array.from({ length: 51 }, (_, i) => `id-${i}`), /task_ids must hold at most 50 ids/],
      ['a string instead of a list', 'abc', /task_ids must be a list of task ids/],
      ['an empty id inside', ['ok', ''], /task_ids\[1\] must not be empty/],
    ];
    for (const [what, taskIds, message] of invalid) {
      it(`rejects ${what} with an error result and no upstream call`, async () => {
        const result = await callTool(client, 'flux_get_tasks_batch', { task_ids: taskIds });
        assert.equal(result.isError, true);
        assert.equal(result.structuredContent, undefined);
        assert.match(textOf(result), message);
        assert.equal(harness.sandbox.taskRequests().length, 0);
      });
    }
  });

  it('answers an unknown tool with JSON-RPC error -32602, not a tool result', async () => {
    await assert.rejects(
      client.callTool('flux_delete_everything', {}),
      (error: { code?: unknown; message?: string }) => error.code === -32602 && /Unknown tool "flux_delete_everything"/.test(error.message ?? ''),
    );
  });
});
