import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { FluxSandbox } from '../src/sandbox/fluxSandbox.js';
import { eventually, postRaw, toolCallBody } from './helpers/harness.js';
import { spawnService } from './helpers/process.js';

const KEY = 'key-shutdown-0001';
const ROOT = new URL('..', import.meta.url).pathname;

const callFor = (taskId: string, waitSeconds = 0) => toolCallBody('flux_get_task', { task_id: taskId, wait_seconds: waitSeconds });

/** One POST over its own connection; resolves with the status and text, or 'reset' if the connection is cut. */
function post(url: URL, body: string): Promise<{ status: number; text: string } | 'reset'> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', () => resolve('reset'));
      },
    );
    req.on('error', () => resolve('reset'));
    req.end(body);
  });
}

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

  it('answers every call still running at the drain deadline instead of cutting it: 200 stuck calls and 50 waits', async () => {
    const service = await spawnService({
      ACEDATACLOUD_API_BASE_URL: sandbox.url,
      SHUTDOWN_TIMEOUT: '2',
      FLUX_REQUEST_TIMEOUT: '30',
      FLUX_MAX_CONCURRENCY: '300',
      FLUX_MAX_SHARE: '1',
      WAIT_MAX_PER_KEY: '100',
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    });
    const mcpUrl = new URL('/mcp', service.url);
    const pending = sandbox.addTask(KEY, { settleAfterMs: 600_000 });
    const waits = Array.from({ length: 50 }, () => post(mcpUrl, callFor(pending, 40)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    sandbox.injectFault({ kind: 'hang' }, Infinity);
    const stuck = Array.from({ length: 200 }, () => post(mcpUrl, callFor('x')));
    // Every stuck call and every wait's next poll hangs upstream: all 250 are in flight.
    await eventually(() => sandbox.inFlight >= 250, 15_000, 'all 250 calls to hang upstream');
    const started = Date.now();
    service.child.kill('SIGTERM');

    const stuckAnswers = await Promise.all(stuck);
    const waitAnswers = await Promise.all(waits);
    assert.equal(stuckAnswers.filter((answer) => answer === 'reset').length, 0, 'no stuck call was cut without an answer');
    for (const answer of stuckAnswers) {
      assert.ok(answer !== 'reset');
      assert.equal(answer.status, 200);
      const result = (JSON.parse(answer.text) as { result: { isError: boolean; content: { text: string }[] } }).result;
      assert.equal(result.isError, true);
      assert.match(result.content[0]!.text, /^flux-mcp is restarting and could not finish this call; call again in a few seconds\.$/);
    }
    for (const answer of waitAnswers) {
      assert.ok(answer !== 'reset', 'no wait was cut');
      assert.equal(answer.status, 200);
      assert.match(answer.text, /"status":"pending"/);
    }
    assert.equal(await service.exited, 0);
    const took = Date.now() - started;
    assert.ok(took >= 1_900 && took < 5_000, `exited ${took} ms after SIGTERM (drain 2 s)`);
    assert.match(service.output(), /"calls":200,"msg":"drain time is up: answering the tool calls still running with a restarting error"/);
    sandbox.clearFaults();
  });

  it('exits promptly on SIGTERM even when nobody reads its log output any more', async () => {
    // stdout is a pipe this test never reads: once the pipe is full, every log write would block.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'trace', ACEDATACLOUD_API_BASE_URL: sandbox.url, SHUTDOWN_TIMEOUT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Read only until the port is known, then stop reading.
    const port = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`no port: ${seen}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /"url":"http:\/\/127\.0\.0\.1:(\d+)\/mcp"/.exec(seen);
        if (match) {
          clearTimeout(timer);
          child.stdout.pause();
          resolve(match[1]!);
        }
      });
    });
    const mcpUrl = new URL(`http://127.0.0.1:${port}/mcp`);
    // Enough requests at trace level to fill the pipe many times over.
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 50 }, () => post(mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }))));
    }
    const started = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
    if (code === 'still running') child.kill('SIGKILL');
    assert.notEqual(code, 'still running', 'the service ignored SIGTERM');
    assert.ok(Date.now() - started < 6_000, `exited ${Date.now() - started} ms after SIGTERM`);
  });

  it('writes out its log, the last line included, before it exits, when the reader falls behind for a moment', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'trace', ACEDATACLOUD_API_BASE_URL: sandbox.url, SHUTDOWN_TIMEOUT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port: ${output}`)), 20_000);
      const look = () => {
        const match = /"url":"http:\/\/127\.0\.0\.1:(\d+)\/mcp"/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        child.stdout.off('data', look);
        resolve(match[1]!);
      };
      child.stdout.on('data', look);
    });
    const mcpUrl = new URL(`http://127.0.0.1:${port}/mcp`);
    child.stdout.pause();
    // The pipe fills while nobody reads: the service's log writes are still under way at SIGTERM.
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 50 }, () => post(mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }))));
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.stdout.resume();
    assert.equal(await exited, 0);
    // What the pipe still holds arrives after the exit; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((output.match(/"msg":"request"/g) ?? []).length, 500, 'every request was logged');
    assert.ok(output.endsWith('"msg":"stopped"}\n'), `the last line was written before the exit: ${JSON.stringify(output.slice(-80))}`);
  });
});
