import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectClient, eventually, startHarness, textOf, type Harness } from '../helpers/harness.js';

const HEAVY = 'key-fair-heavy-0001';
const LIGHT = 'key-fair-light-0002';
const UPSTREAM_LATENCY_MS = 300;

describe('fair upstream capacity: a heavy tenant slows itself, not others', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness({
      sandbox: { latencyMs: UPSTREAM_LATENCY_MS },
      env: { FLUX_MAX_CONCURRENCY: '8', FLUX_MAX_SHARE: '0.25', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000' },
    });
    harness.sandbox.addKey(HEAVY).addKey(LIGHT);
  });
  after(async () => {
    await harness.close();
  });

  it("serves tenant B at once, every call, while tenant A floods the upstream", async () => {
    const heavy = await connectClient(harness.mcpUrl, HEAVY, 'modern');
    const light = await connectClient(harness.mcpUrl, LIGHT, 'legacy');
    const lightTask = harness.sandbox.addTask(LIGHT);
    // A: 120 calls at once, far more than the 8 upstream slots and the queue.
    const flood = Array.from({ length: 120 }, () => callTool(heavy, 'flux_get_task', { task_id: 'x' }));
    await eventually(() => harness.sandbox.inFlight >= 2, 5_000, 'the flood to reach the upstream');
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const result = await callTool(light, 'flux_get_task', { task_id: lightTask });
      latencies.push(performance.now() - started);
      assert.equal((result.structuredContent as { result: { status: string } }).result.status, 'succeeded', textOf(result));
    }
    const floodResults = await Promise.all(flood);
    const busy = floodResults.filter((result) => /fair share/.test(textOf(result))).length;
    const served = floodResults.filter((result) => !result.isError).length;
    assert.ok(busy > 0, 'A was told it is over its share');
    assert.ok(served >= 30, `A still got ${served} calls through`);
    assert.equal(floodResults.filter((result) => /too many Flux API calls in flight/.test(textOf(result))).length, 0, 'no one was refused for the whole service');
    const worst = Math.max(...latencies);
    assert.ok(worst < UPSTREAM_LATENCY_MS + 400, `B's slowest call took ${worst.toFixed(0)} ms (upstream latency ${UPSTREAM_LATENCY_MS} ms)`);
    assert.ok(harness.sandbox.peakInFlight <= 8);
    await heavy.close();
    await light.close();
  });
});
