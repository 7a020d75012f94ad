import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { modernRequest, postRaw, startHarness, toolCallBody, type Harness } from '../helpers/harness.js';
import { spawnService } from '../helpers/process.js';

const KEY = 'key-body-bounds-0001';
const AUTH = { authorization: `Bearer ${KEY}` };

/** A JSON-RPC request whose params hold an object with `keys` members: about 11 bytes a member. */
function manyKeys(keys: number, where: 'params' | 'meta' | 'notification' = 'params'): string {
  const members = Array.from({ length: keys }, (_, i) => `"k${i}":1`).join(',');
  if (where === 'notification') return `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"junk":{${members}}}}`;
  if (where === 'meta') return `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{${members}}}}`;
  return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"flux_get_task","arguments":{"task_id":"x","junk":{${members}}}}}`;
}

describe('bounded work before parsing', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000' } });
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  it('keeps the event loop responsive while three clients send 3.3 MiB bodies of 300,000 keys', async () => {
    // The service in a process of its own, so its event loop is measured, not the test's.
    const service = await spawnService({ ACEDATACLOUD_API_BASE_URL: harness.sandbox.url, RATE_LIMIT_IP_PER_MINUTE: '100000' });
    try {
      const metricsUrl = new URL('/metrics', service.url);
      const mcpUrl = new URL('/mcp', service.url);
      const id = harness.sandbox.addTask(KEY);
      const adversarial = manyKeys(300_000);
      assert.ok(adversarial.length > 3.3 * 1024 * 1024);
      // One round first, so the first-use compilation of the refusal path is not what gets measured.
      await postRaw(mcpUrl, adversarial, { authorization: 'Bearer made-up-key-0' });
      await fetch(metricsUrl).then((response) => response.text()); // resets the lag histogram
      const attacks = [1, 2, 3].map((i) => postRaw(mcpUrl, adversarial, { authorization: `Bearer made-up-key-${i}` }));
      const started = performance.now();
      const normal = await postRaw(mcpUrl, toolCallBody('flux_get_task', { task_id: id }), AUTH);
      const took = performance.now() - started;
      const answers = await Promise.all(attacks);
      const metrics = await (await fetch(metricsUrl)).text();
      const maxLagMs = Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1]) * 1000;
      assert.equal(normal.status, 200);
      assert.match(normal.text, /"status":"succeeded"/);
      for (const answer of answers) assert.equal(answer.status, 413);
      assert.ok(Number.isFinite(maxLagMs), 'the lag metric is there');
      // Before the body was bounded this was 2 to 4 s per body; the lag metric's resolution is 10 ms.
      assert.ok(maxLagMs < 250, `the event loop was blocked for up to ${maxLagMs.toFixed(1)} ms`);
      assert.ok(took < 1_000, `a normal call took ${took.toFixed(0)} ms`);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });

  for (const where of ['params', 'meta', 'notification'] as const) {
    it(`refuses a message under the size cap with too many values (in ${where}) with 400, in milliseconds`, async () => {
      const body = manyKeys(10_000, where);
      assert.ok(body.length < 128 * 1024);
      const started = performance.now();
      const answer = await postRaw(harness.mcpUrl, body, AUTH);
      const took = performance.now() - started;
      assert.equal(answer.status, 400);
      const error = (answer.json as { error: { code: number; message: string } }).error;
      assert.equal(error.code, -32600);
      assert.match(error.message, /holds more than 4096 values/);
      assert.ok(took < 200, `took ${took.toFixed(0)} ms`);
    });
  }

  it('refuses deep nesting with 400, also in a posted JSON-RPC response, never a 500', async () => {
    const deep = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`;
    for (const body of [
      `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":${deep}}}`,
      `{"jsonrpc":"2.0","id":7,"result":{"x":${deep}}}`,
    ]) {
      const answer = await postRaw(harness.mcpUrl, body, AUTH);
      assert.equal(answer.status, 400);
      assert.match((answer.json as { error: { message: string } }).error.message, /nests deeper than 32 levels/);
    }
    const modern = modernRequest('tools/list', { x: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) as unknown });
    assert.equal((await postRaw(harness.mcpUrl, modern.body, { ...AUTH, ...modern.headers })).status, 400);
  });

  it('refuses a compressed body with 415, whether or not it really is gzip', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    for (const payload of [body, gzipSync(body)]) {
      const answer = await postRaw(harness.mcpUrl, payload, { ...AUTH, 'content-encoding': 'gzip' });
      assert.equal(answer.status, 415);
      assert.match((answer.json as { error: { message: string } }).error.message, /uncompressed/);
    }
  });

  it('refuses a charset other than UTF-8 with 415', async () => {
    const answer = await postRaw(harness.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), {
      ...AUTH,
      'content-type': 'application/json; charset=utf-16',
    });
    assert.equal(answer.status, 415);
  });

  it('cuts a chunked body that grows past the cap without reading the rest', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(harness.mcpUrl, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      req.write('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"');
      let sent = 0;
      const pump = setInterval(() => {
        if (sent++ > 200 || req.destroyed) {
          clearInterval(pump);
          return;
        }
        req.write(chunk);
      }, 2);
    });
    assert.equal(status, 413);
  });
});

describe('small things a hostile client tries', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  it('answers tools/call with "arguments" that is not an object with -32602 and one clear sentence, in both eras', async () => {
    const legacy = JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'flux_get_task', arguments: 'task_id=abc' } });
    const modern = modernRequest('tools/call', { name: 'flux_get_task', arguments: ['abc'] }, { id: 4 });
    for (const [body, headers] of [
      [legacy, AUTH],
      [modern.body, { ...AUTH, ...modern.headers }],
    ] as const) {
      const answer = await postRaw(harness.mcpUrl, body, headers);
      const error = (answer.json as { id: number; error: { code: number; message: string } }).error;
      assert.equal(error.code, -32602);
      assert.equal(error.message, 'Invalid params: tools/call "arguments" must be a JSON object of named arguments, e.g. {"task_id": "…"}.');
      assert.equal((answer.json as { id: number }).id, 4);
    }
    assert.equal(harness.sandbox.taskRequests().length, 0);
  });

  it('answers /metrics on the main port only for an allowed Host', async () => {
    const { rawRequest } = await import('../helpers/rawHttp.js');
    const metricsUrl = new URL('/metrics', harness.service.url);
    const allowed = await rawRequest(metricsUrl, { method: 'GET', headers: { host: metricsUrl.host } });
    assert.equal(allowed.status, 200);
    const foreign = await rawRequest(metricsUrl, { method: 'GET', headers: { host: 'evil.example.com' } });
    assert.equal(foreign.status, 403);
    assert.ok(!foreign.text.includes('flux_mcp_'), 'no metrics for a foreign Host');
  });
});
