import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHarness } from '../helpers/harness.js';

describe('/readyz', () => {
  it('is 200 while serving and 503 once shutdown starts, while /healthz and /mcp still answer', async () => {
    const harness = await startHarness({ env: { MCP_ANONYMOUS_DISCOVERY: 'true' } });
    try {
      const readyz = new URL('/readyz', harness.service.url);
      const first = await fetch(readyz);
      assert.equal(first.status, 200);
      assert.deepEqual(await first.json(), { status: 'ready', shared_state: 'off', limits: 'per process (no REDIS_URL)' });

      const closing = harness.service.close(2_000, 1_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const draining = await fetch(readyz);
      assert.equal(draining.status, 503);
      assert.deepEqual(((await draining.json()) as { status: string }).status, 'draining');
      assert.equal((await fetch(new URL('/healthz', harness.service.url))).status, 200, 'still alive');
      const ping = await fetch(harness.mcpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      assert.equal(ping.status, 200, 'still serving during the readiness delay');
      await closing;
      await assert.rejects(fetch(readyz), 'closed after the delay and the drain');
    } finally {
      await harness.sandbox.close();
    }
  });
});
