import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FluxSandbox } from '../src/sandbox/fluxSandbox.js';
import { postRaw, toolCallBody } from './helpers/harness.js';
import { spawnService } from './helpers/process.js';

const KEY = 'key-shutdown-0001';

const callFor = (taskId: string) => toolCallBody('flux_get_task', { task_id: taskId });

describe('graceful shutdown', () => {
  let sandbox: FluxSandbox;

  before(async () => {
    sandbox = await FluxSandbox.start();
    sandbox.addKey(KEY);
  });
  after(async () => {
    await sandbox.close();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} finishes requests in flight, refuses new connections, exits 0`, async () => {
      const service = await spawnService({ ACEDATACLOUD_API_BASE_URL: sandbox.url });
      const mcpUrl = new URL('/mcp', service.url);
      const id = sandbox.addTask(KEY);
      sandbox.injectFault({ kind: 'delay', ms: 1_000 }, 3);
      const inFlight = Promise.all([1, 2, 3].map(() => postRaw(mcpUrl, callFor(id), { authorization: `Bearer ${KEY}` })));
      await new Promise((resolve) => setTimeout(resolve, 300));
      service.child.kill(signal);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await assert.rejects(fetch(new URL('/healthz', service.url)), 'new connections are refused while draining');
      for (const response of await inFlight) {
        assert.equal(response.status, 200);
        const result = (response.json as { result: { structuredContent: { result: { status: string } } } }).result;
        assert.equal(result.structuredContent.result.status, 'succeeded');
      }
      assert.equal(await service.exited, 0);
      assert.match(service.output(), /"msg":"stopped"/);
    });
  }

  it('cuts requests that outlast SHUTDOWN_TIMEOUT, then exits 0', async () => {
    const service = await spawnService({ ACEDATACLOUD_API_BASE_URL: sandbox.url, SHUTDOWN_TIMEOUT: '1', FLUX_REQUEST_TIMEOUT: '30' });
    sandbox.injectFault({ kind: 'hang' });
    const stuck = postRaw(new URL('/mcp', service.url), callFor('x'), { authorization: `Bearer ${KEY}` }).catch(() => 'cut');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0);
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 3_000, `exited after ${took} ms`);
    assert.equal(await stuck, 'cut');
    sandbox.clearFaults();
  });
});
