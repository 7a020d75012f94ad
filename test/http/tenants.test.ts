import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectClient, startHarness, type ClientKind, type Harness, type TestClient } from '../helpers/harness.js';

/** Three tenants, each on another kind of client, so both protocol eras interleave on one endpoint. */
const TENANTS = ['key-tenant-alpha-0001', 'key-tenant-bravo-0002', 'key-tenant-charlie-0003'] as const;
const KINDS: Record<(typeof TENANTS)[number], ClientKind> = {
  'key-tenant-alpha-0001': 'modern',
  'key-tenant-bravo-0002': 'legacy',
  'key-tenant-charlie-0003': 'auto',
};
const ROUNDS = 60;

type TaskResult = { result: { task_id: string; status: string; prompt?: string } };
type BatchResult = { result: { tasks: { task_id: string; status: string; prompt?: string }[] } };

describe('three tenants through one service, in both protocol eras', () => {
  let harness: Harness;
  const clients = new Map<string, TestClient>();
  const tasks = new Map<string, string[]>();

  before(async () => {
    harness = await startHarness({ sandbox: { latencyMs: 2 } });
    for (const key of TENANTS) {
      tasks.set(
        key,
        Array.from({ length: 5 }, (_, i) => harness.sandbox.addTask(key, { prompt: `prompt of ${key} #${i}` })),
      );
      clients.set(key, await connectClient(harness.mcpUrl, key, KINDS[key]));
    }
  });
  after(async () => {
    for (const client of clients.values()) await client.close();
    await harness.close();
  });

  it('keeps every call, upstream request and answer with its own caller', async () => {
    harness.sandbox.clearRequests();
    const calls: Promise<void>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const key of TENANTS) {
        const client = clients.get(key)!;
        const own = tasks.get(key)!;
        const id = own[round % own.length]!;
        calls.push(
          callTool(client, 'flux_get_task', { task_id: id }).then((result) => {
            const task = (result.structuredContent as TaskResult).result;
            assert.equal(task.task_id, id);
            assert.equal(task.status, 'succeeded');
            assert.equal(task.prompt, `prompt of ${key} #${round % own.length}`);
          }),
          callTool(client, 'flux_get_tasks_batch', { task_ids: own }).then((result) => {
            const batch = (result.structuredContent as BatchResult).result.tasks;
            assert.deepEqual(
              batch.map((task) => task.task_id),
              own,
            );
            for (const task of batch) assert.ok(task.prompt?.startsWith(`prompt of ${key} `));
          }),
        );
      }
    }
    await Promise.all(calls);

    // Every upstream request carried the key of the tenant whose tasks it asked about.
    const owner = new Map<string, string>();
    for (const [key, ids] of tasks) for (const id of ids) owner.set(id, key);
    const requests = harness.sandbox.taskRequests();
    assert.equal(requests.length, ROUNDS * TENANTS.length * 2);
    for (const request of requests) {
      const body = request.body as { id?: string; ids?: string[] };
      const asked = body.id ? [body.id] : body.ids!;
      for (const id of asked) assert.equal(request.headers.authorization, `Bearer ${owner.get(id)}`);
    }
  });

  it("does not let one tenant see another's task", async () => {
    const [alpha, bravo] = TENANTS;
    const bravoTask = tasks.get(bravo)![0]!;
    const single = await callTool(clients.get(alpha)!, 'flux_get_task', { task_id: bravoTask });
    assert.equal((single.structuredContent as TaskResult).result.status, 'not_found');
    const batch = await callTool(clients.get(alpha)!, 'flux_get_tasks_batch', { task_ids: [bravoTask, tasks.get(alpha)![0]!] });
    assert.deepEqual(
      (batch.structuredContent as BatchResult).result.tasks.map((task) => task.status),
      ['not_found', 'succeeded'],
    );
  });
});
