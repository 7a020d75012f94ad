import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callTool, connectClient, postRaw, startHarness } from './helpers/harness.js';
import { unusedPort } from './helpers/net.js';

const SENTINEL = 'sk-METRICS-SENTINEL-2b9e51f0c7a34d1e';

/** The value of one sample in Prometheus text, e.g. sample(text, 'x_total{a="b"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('moves after calls, with low-cardinality labels and never the key, a task id or an IP', async () => {
    const harness = await startHarness({ env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1', FLUX_REQUEST_TIMEOUT: '1' } });
    try {
      harness.sandbox.addKey(SENTINEL);
      const metricsUrl = new URL('/metrics', harness.service.url);
      const before = await (await fetch(metricsUrl)).text();
      assert.equal(sample(before, 'flux_mcp_tool_calls_total{tool="flux_get_task",outcome="ok",era="legacy"}'), undefined);

      const client = await connectClient(harness.mcpUrl, SENTINEL, 'legacy');
      const modern = await connectClient(harness.mcpUrl, SENTINEL, 'modern');
      const id = harness.sandbox.addTask(SENTINEL);
      await callTool(client, 'flux_get_task', { task_id: id });
      await callTool(modern, 'flux_get_task', { task_id: id });
      await callTool(client, 'flux_get_task', { task_id: '' });
      harness.sandbox.injectFault({ kind: 'status', status: 503 }, 3);
      await callTool(client, 'flux_get_tasks_batch', { task_ids: [id] });
      await client.close();
      await modern.close();
      await postRaw(harness.mcpUrl, '{}');
      await postRaw(harness.mcpUrl, '{}'); // over the anonymous limit of 1 per minute

      const response = await fetch(metricsUrl);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await response.text();
      assert.equal(sample(text, 'flux_mcp_tool_calls_total{tool="flux_get_task",outcome="ok",era="legacy"}'), 1);
      assert.equal(sample(text, 'flux_mcp_tool_calls_total{tool="flux_get_task",outcome="ok",era="modern"}'), 1);
      assert.equal(sample(text, 'flux_mcp_tool_calls_total{tool="flux_get_task",outcome="invalid_input",era="legacy"}'), 1);
      assert.equal(sample(text, 'flux_mcp_tool_calls_total{tool="flux_get_tasks_batch",outcome="upstream_error",era="legacy"}'), 1);
      assert.equal(sample(text, 'flux_mcp_tool_call_duration_seconds_count{tool="flux_get_task",outcome="ok"}'), 2);
      assert.equal(sample(text, 'flux_mcp_upstream_requests_total{action="retrieve",outcome="ok",attempt="1"}'), 2);
      for (const attempt of ['1', '2', '3']) {
        assert.equal(sample(text, `flux_mcp_upstream_requests_total{action="retrieve_batch",outcome="upstream_error",attempt="${attempt}"}`), 1);
      }
      assert.ok((sample(text, 'flux_mcp_http_requests_total{route="/mcp",method="POST",status="200",era="legacy"}') ?? 0) >= 4);
      assert.ok((sample(text, 'flux_mcp_http_requests_total{route="/mcp",method="POST",status="200",era="modern"}') ?? 0) >= 2, 'discover and the call');
      assert.equal(sample(text, 'flux_mcp_http_requests_total{route="/mcp",method="POST",status="429",era="none"}'), 1);
      assert.equal(sample(text, 'flux_mcp_rate_limited_total{limiter="anonymous"}'), 1);
      assert.equal(sample(text, 'flux_mcp_shared_state{state="off"}'), 1);
      assert.equal(sample(text, 'flux_mcp_active_waits'), 0);
      assert.equal(sample(text, 'flux_mcp_http_requests_in_flight'), 1, 'the scrape itself');
      assert.ok(sample(text, 'process_resident_memory_bytes')! > 0, 'default process metrics');

      assert.ok(!text.includes(SENTINEL), 'no key');
      assert.ok(!text.includes(id), 'no task id');
      assert.ok(!text.includes('127.0.0.1'), 'no address');
    } finally {
      await harness.close();
    }
  });

  it('counts waits while they are held', async () => {
    const harness = await startHarness();
    try {
      harness.sandbox.addKey(SENTINEL);
      const client = await connectClient(harness.mcpUrl, SENTINEL);
      const id = harness.sandbox.addTask(SENTINEL, { settleAfterMs: 1_500 });
      const waiting = callTool(client, 'flux_get_task', { task_id: id, wait_seconds: 10 });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const during = await (await fetch(new URL('/metrics', harness.service.url))).text();
      assert.equal(sample(during, 'flux_mcp_active_waits'), 1);
      await waiting;
      const afterwards = await (await fetch(new URL('/metrics', harness.service.url))).text();
      assert.equal(sample(afterwards, 'flux_mcp_active_waits'), 0);
      await client.close();
    } finally {
      await harness.close();
    }
  });

  it('can be turned off', async () => {
    const harness = await startHarness({ env: { METRICS_PORT: 'off' } });
    try {
      assert.equal((await fetch(new URL('/metrics', harness.service.url))).status, 404);
      assert.equal(harness.service.metricsUrl, undefined);
    } finally {
      await harness.close();
    }
  });

  it('can move to a port of its own, leaving the main port without it', async () => {
    const port = await unusedPort();
    const harness = await startHarness({ env: { METRICS_PORT: String(port) } });
    try {
      assert.equal((await fetch(new URL('/metrics', harness.service.url))).status, 404);
      assert.equal(harness.service.metricsUrl, `http://127.0.0.1:${port}/metrics`);
      const own = await fetch(harness.service.metricsUrl!);
      assert.equal(own.status, 200);
      assert.match(await own.text(), /flux_mcp_http_requests_total/);
    } finally {
      await harness.close();
    }
  });
});
