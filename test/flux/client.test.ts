import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FluxClient, type FluxClientOptions } from '../../src/flux/client.js';
import { FluxApiError } from '../../src/flux/errors.js';
import { createLogger } from '../../src/logger.js';
import { FluxSandbox } from '../../src/sandbox/fluxSandbox.js';
import { unusedPort } from '../helpers/net.js';

const KEY = 'key-client-tests-0001';
const silent = createLogger('silent', process.stdout);

/** A client with short timeouts and quick retries, so failure paths stay fast. */
function makeClient(baseUrl: string, options: Partial<FluxClientOptions> = {}): FluxClient {
  return new FluxClient({
    baseUrl,
    timeoutMs: 500,
    totalTimeoutMs: 2_000,
    logger: silent,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<FluxApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FluxApiError, `expected a FluxApiError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('FluxClient against the sandbox Flux API', () => {
  let sandbox: FluxSandbox;
  let client: FluxClient;

  before(async () => {
    sandbox = await FluxSandbox.start({ maxPageSize: 12 });
    sandbox.addKey(KEY);
    client = makeClient(sandbox.url);
  });
  after(async () => {
    await client.close();
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.clearFaults().clearRequests();
  });

  it('sends the documented request: POST /flux/tasks, bearer key, JSON in and out', async () => {
    const id = sandbox.addTask(KEY);
    const record = await client.retrieveTask(id, { apiKey: KEY });
    assert.equal(record?.id, id);
    const [request] = sandbox.taskRequests();
    assert.equal(request?.method, 'POST');
    assert.equal(request?.headers.authorization, `Bearer ${KEY}`);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers.accept, 'application/json');
    assert.deepEqual(request?.body, { action: 'retrieve', id });
  });

  it('reads {} as an unknown id', async () => {
    assert.equal(await client.retrieveTask('no-such-task', { apiKey: KEY }), undefined);
  });

  it('keeps a path prefix of the base URL', async () => {
    const prefixed = makeClient(`${sandbox.url}/gateway`);
    try {
      const error = await failure(prefixed.retrieveTask('x', { apiKey: KEY }));
      assert.equal(error.kind, 'not_served');
      assert.equal(sandbox.requests.at(-1)?.path, '/gateway/flux/tasks');
    } finally {
      await prefixed.close();
    }
  });

  it('gets a batch of 20 in one call when the provider honours limit', async () => {
    const honest = await FluxSandbox.start();
    const batchClient = makeClient(honest.url);
    try {
      const ids = Array.from({ length: 20 }, () => honest.addTask(KEY));
      const records = await batchClient.retrieveTasks(ids, { apiKey: KEY });
      assert.equal(records.size, 20);
      assert.equal(honest.taskRequests().length, 1);
      assert.deepEqual(honest.taskRequests()[0]?.body, { action: 'retrieve_batch', ids, limit: 20 });
    } finally {
      await batchClient.close();
      await honest.close();
    }
  });

  it('fetches what a page left out when the provider pages at 12 whatever limit says', async () => {
    const ids = Array.from({ length: 50 }, () => sandbox.addTask(KEY));
    const records = await client.retrieveTasks(ids, { apiKey: KEY });
    assert.equal(records.size, 50);
    for (const id of ids) assert.equal(records.get(id)?.id, id);
    assert.equal(sandbox.taskRequests().length, 5); // 12 + 12 + 12 + 12 + 2
  });

  it('asks once when unknown ids make a page short', async () => {
    const ids = [sandbox.addTask(KEY), 'unknown-1', sandbox.addTask(KEY), 'unknown-2'];
    const records = await client.retrieveTasks(ids, { apiKey: KEY });
    assert.deepEqual([...records.keys()].sort(), [ids[0], ids[2]].sort());
    assert.equal(sandbox.taskRequests().length, 1);
  });

  it('sends each distinct id once', async () => {
    const id = sandbox.addTask(KEY);
    await client.retrieveTasks([id, id, id], { apiKey: KEY });
    assert.deepEqual(sandbox.taskRequests()[0]?.body, { action: 'retrieve_batch', ids: [id], limit: 1 });
  });

  it('never returns a record for an id it was not asked about', async () => {
    const mine = sandbox.addTask(KEY);
    sandbox.addTask(KEY);
    const records = await client.retrieveTasks([mine], { apiKey: KEY });
    assert.deepEqual([...records.keys()], [mine]);
  });

  it('does not follow a redirect, so the key never reaches another origin', async () => {
    const elsewhere = await FluxSandbox.start();
    try {
      sandbox.injectFault({ kind: 'redirect', location: `${elsewhere.url}/flux/tasks` });
      const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
      assert.match(error.message, /unexpected answer \(HTTP 307\)/);
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await elsewhere.close();
    }
  });

  it('reports a rejected key as such, without echoing the key even when the upstream does', async () => {
    sandbox.injectFault({ kind: 'status', status: 401, code: 'invalid_token', message: 'token {token} is invalid' });
    const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(error.kind, 'key_rejected');
    assert.match(error.message, /rejected the API key \(HTTP 401 invalid_token: token \[redacted\] is invalid\)/);
    assert.ok(!error.message.includes(KEY));
  });

  for (const [form, placeholder] of [
    ['re-cased', '{token_upper}'],
    ['URL-encoded', '{token_url}'],
    ['base64 encoded', '{token_base64}'],
    ['inside a base64 Basic credential', '{token_basic}'],
  ] as const) {
    it(`never repeats the key ${form} when the upstream echoes it so`, async () => {
      const key = 'Key+With/Odd=Chars:0001';
      sandbox.addKey(key);
      sandbox.injectFault({ kind: 'status', status: 500, code: 'api_error', message: `failed for ${placeholder} today` }, 3);
      const error = await failure(client.retrieveTask('x', { apiKey: key }));
      assert.match(error.message, /failed for \S*\[redacted\]\S* today/);
      const encodings = [key, key.toUpperCase(), encodeURIComponent(key), Buffer.from(key).toString('base64'), Buffer.from(`user:${key}`).toString('base64')];
      for (const encoded of encodings) assert.ok(!error.message.includes(encoded), `${form}: ${error.message}`);
      assert.ok(!/S2V5K1dpdGgvT2RkPUNoYXJz|LZXkrV2l0aC9PZGQ9Q2hhcn/.test(error.message), error.message);
    });
  }

  it('maps an unknown key to key_rejected', async () => {
    const error = await failure(client.retrieveTask('x', { apiKey: 'not-a-registered-key' }));
    assert.equal(error.kind, 'key_rejected');
    assert.equal(error.status, 401);
  });

  it('says when to retry after a 429, from Retry-After', async () => {
    sandbox.injectFault({ kind: 'status', status: 429, retryAfter: '7' });
    const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(error.kind, 'rate_limited');
    assert.equal(error.retryAfterSeconds, 7);
    assert.match(error.message, /^Rate limited by the Flux API \(HTTP 429 too_many_requests: .*\); retry after 7 s\.$/);
  });

  it('maps 5xx, 403 used_up and a bare string error body', async () => {
    sandbox.injectFault({ kind: 'status', status: 503, message: 'maintenance' }, 3);
    assert.match((await failure(client.retrieveTask('x', { apiKey: KEY }))).message, /HTTP 503 service_unavailable: maintenance.*try again in a minute/);
    sandbox.injectFault({ kind: 'status', status: 403, message: 'balance exhausted' });
    const forbidden = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(forbidden.kind, 'forbidden');
    assert.match(forbidden.message, /no balance left/);
    sandbox.injectFault({ kind: 'bare_error', status: 500, message: 'boom' }, 3);
    assert.match((await failure(client.retrieveTask('x', { apiKey: KEY }))).message, /\(HTTP 500 boom\)/);
  });

  it('survives an HTML answer and says it was not JSON', async () => {
    sandbox.injectFault({ kind: 'html', status: 200 });
    const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(error.kind, 'invalid_response');
    assert.match(error.message, /not JSON \(text\/html\)/);
    assert.ok(!error.message.includes('<'));
    sandbox.injectFault({ kind: 'html', status: 502 }, 3);
    assert.equal((await failure(client.retrieveTask('x', { apiKey: KEY }))).kind, 'upstream_error');
  });

  it('reports a reset connection and a refused one', async () => {
    sandbox.injectFault({ kind: 'reset' }, 3);
    assert.match((await failure(client.retrieveTask('x', { apiKey: KEY }))).message, /connection reset/);
    const refused = makeClient(`http://127.0.0.1:${await unusedPort()}`);
    try {
      const error = await failure(refused.retrieveTask('x', { apiKey: KEY }));
      assert.equal(error.kind, 'network');
      assert.match(error.message, /connection refused/);
    } finally {
      await refused.close();
    }
  });

  it('gives up on a hanging upstream after the timeout', async () => {
    sandbox.injectFault({ kind: 'hang' });
    const started = Date.now();
    const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /did not answer within 0.5 s/);
    assert.ok(Date.now() - started < 2_000);
  });

  it('stops at once when the caller aborts', async () => {
    sandbox.injectFault({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(client.retrieveTask('x', { apiKey: KEY, signal: controller.signal }));
    assert.equal(error.kind, 'aborted');
  });

  describe('retries (reads only)', () => {
    const transient: [string, Parameters<FluxSandbox['injectFault']>[0]][] = [
      ['a 500', { kind: 'status', status: 500 }],
      ['a 502 HTML page', { kind: 'html', status: 502 }],
      ['a 503', { kind: 'status', status: 503 }],
      ['a 504', { kind: 'status', status: 504 }],
      ['a 429 without Retry-After', { kind: 'status', status: 429 }],
      ['a 429 with Retry-After: 0', { kind: 'status', status: 429, retryAfter: '0' }],
      ['a reset connection', { kind: 'reset' }],
    ];
    for (const [what, fault] of transient) {
      it(`gets past ${what} with a second attempt`, async () => {
        const id = sandbox.addTask(KEY);
        sandbox.injectFault(fault);
        const record = await client.retrieveTask(id, { apiKey: KEY });
        assert.equal(record?.id, id);
        assert.equal(sandbox.taskRequests().length, 2);
      });
    }

    it('gets past a refused connection once the Flux API is back', async () => {
      const port = await unusedPort();
      const late = makeClient(`http://127.0.0.1:${port}`, { retry: { baseDelayMs: 300, maxDelayMs: 300 } });
      let revived: FluxSandbox | undefined;
      try {
        // Attempt 1 is refused; the sandbox comes up on that port before the back-off ends.
        const call = late.retrieveTask('x', { apiKey: KEY });
        revived = await FluxSandbox.start({ port });
        revived.addKey(KEY);
        assert.equal(await call.catch((error: FluxApiError) => error.kind), undefined);
      } finally {
        await late.close();
        await revived?.close();
      }
    });

    it('stops after 3 attempts', async () => {
      sandbox.injectFault({ kind: 'status', status: 503 }, Infinity);
      const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
      assert.equal(error.kind, 'upstream_error');
      assert.equal(sandbox.taskRequests().length, 3);
    });

    const final: [string, Parameters<FluxSandbox['injectFault']>[0]][] = [
      ['400', { kind: 'status', status: 400 }],
      ['401', { kind: 'status', status: 401 }],
      ['403', { kind: 'status', status: 403 }],
      ['404', { kind: 'status', status: 404 }],
      ['an HTML page with 200', { kind: 'html', status: 200 }],
      ['a hang (the attempt timed out)', { kind: 'hang' }],
    ];
    for (const [what, fault] of final) {
      it(`does not retry ${what}`, async () => {
        sandbox.injectFault(fault, Infinity);
        await failure(client.retrieveTask('x', { apiKey: KEY }));
        assert.equal(sandbox.taskRequests().length, 1);
      });
    }

    it('waits for a short Retry-After, and hands a long one back to the caller', async () => {
      const id = sandbox.addTask(KEY);
      sandbox.injectFault({ kind: 'status', status: 429, retryAfter: '1' });
      const started = Date.now();
      assert.equal((await client.retrieveTask(id, { apiKey: KEY }))?.id, id);
      assert.ok(Date.now() - started >= 950, 'waited about a second');

      sandbox.clearRequests();
      sandbox.injectFault({ kind: 'status', status: 429, retryAfter: '30' });
      const error = await failure(client.retrieveTask(id, { apiKey: KEY }));
      assert.equal(error.retryAfterSeconds, 30);
      assert.match(error.message, /retry after 30 s\.$/);
      assert.equal(sandbox.taskRequests().length, 1);
    });

    it('keeps the whole call inside the total deadline', async () => {
      const slow = await FluxSandbox.start({ latencyMs: 300 });
      const bounded = makeClient(slow.url, { totalTimeoutMs: 700, retry: { baseDelayMs: 50, maxDelayMs: 50 } });
      try {
        slow.addKey(KEY).injectFault({ kind: 'status', status: 503 }, Infinity);
        const started = Date.now();
        const error = await failure(bounded.retrieveTask('x', { apiKey: KEY }));
        const elapsed = Date.now() - started;
        assert.ok(['upstream_error', 'timeout'].includes(error.kind), error.kind);
        assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
        assert.ok(slow.taskRequests().length <= 2);
      } finally {
        await bounded.close();
        await slow.close();
      }
    });

    it('stops waiting for a retry at once when the caller aborts', async () => {
      const patient = makeClient(sandbox.url, { totalTimeoutMs: 20_000, retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 } });
      try {
        sandbox.injectFault({ kind: 'status', status: 429, retryAfter: '5' }, Infinity);
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        const started = Date.now();
        const error = await failure(patient.retrieveTask('x', { apiKey: KEY, signal: controller.signal }));
        assert.equal(error.kind, 'aborted');
        assert.ok(Date.now() - started < 1_000);
      } finally {
        await patient.close();
      }
    });
  });

  describe('calls in flight', () => {
    it('never has more than maxConcurrency upstream calls open at once', async () => {
      const slow = await FluxSandbox.start({ latencyMs: 40 });
      const capped = makeClient(slow.url, { maxConcurrency: 3, maxShare: 1 });
      try {
        slow.addKey(KEY);
        const ids = Array.from({ length: 12 }, () => slow.addTask(KEY));
        const records = await Promise.all(ids.map((id) => capped.retrieveTask(id, { apiKey: KEY })));
        assert.deepEqual(
          records.map((record) => record?.id),
          ids,
        );
        assert.equal(slow.peakInFlight, 3);
      } finally {
        await capped.close();
        await slow.close();
      }
    });

    it('refuses calls beyond its queue with a clear sentence', async () => {
      const slow = await FluxSandbox.start({ latencyMs: 100 });
      const capped = makeClient(slow.url, { maxConcurrency: 1, maxShare: 1 });
      try {
        slow.addKey(KEY);
        // 1 in flight + 16 queued are accepted; the rest are refused at once.
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, () =>
            capped.retrieveTask('x', { apiKey: KEY }).then(
              () => 'ok',
              (error: FluxApiError) => error.kind,
            ),
          ),
        );
        assert.equal(outcomes.filter((kind) => kind === 'overloaded').length, 3);
        assert.equal(outcomes.filter((kind) => kind === 'ok').length, 17);
      } finally {
        await capped.close();
        await slow.close();
      }
    });

    it('gives one key at most its share of the slots and of the queue, and says so', async () => {
      const slow = await FluxSandbox.start({ latencyMs: 100 });
      const shared = makeClient(slow.url, { maxConcurrency: 8, maxShare: 0.25 });
      try {
        slow.addKey(KEY);
        // 8 slots at 0.25: 2 in flight for the key; a queue of 128 at 0.25: 32 waiting; the rest refused.
        const outcomes = await Promise.all(
          Array.from({ length: 40 }, () =>
            shared.retrieveTask('x', { apiKey: KEY }).then(
              () => 'ok',
              (error: FluxApiError) => error.kind,
            ),
          ),
        );
        assert.equal(slow.peakInFlight, 2);
        assert.equal(outcomes.filter((kind) => kind === 'ok').length, 34);
        assert.equal(outcomes.filter((kind) => kind === 'key_busy').length, 6);
        const busy = await failure(
          Promise.all(Array.from({ length: 40 }, () => shared.retrieveTask('x', { apiKey: KEY }))).then(() => undefined),
        );
        assert.match(busy.message, /^This API key already has 2 Flux API calls in flight at flux-mcp, its fair share; try again in a few seconds/);
        assert.ok(!busy.message.includes(KEY));
      } finally {
        await shared.close();
        await slow.close();
      }
    });

    it('serves a second key in turn while the first one floods, not after its whole queue', async () => {
      const slow = await FluxSandbox.start({ latencyMs: 50 });
      const shared = makeClient(slow.url, { maxConcurrency: 4, maxShare: 0.5 });
      const heavy = 'key-client-heavy-0002';
      try {
        slow.addKey(KEY).addKey(heavy);
        const flood = Array.from({ length: 30 }, () => shared.retrieveTask('x', { apiKey: heavy }).catch(() => undefined));
        await new Promise((resolve) => setTimeout(resolve, 20));
        const started = performance.now();
        await shared.retrieveTask('x', { apiKey: KEY });
        const took = performance.now() - started;
        // The heavy key holds 2 of 4 slots and queues the rest; the other key takes a free slot at once.
        assert.ok(took < 200, `the second key waited ${took.toFixed(0)} ms`);
        await Promise.all(flood);
        assert.ok(slow.peakInFlight <= 4);
      } finally {
        await shared.close();
        await slow.close();
      }
    });

    it('bounds a call by its total time even when the answer drips in byte by byte', async () => {
      const dripping = makeClient(sandbox.url, { timeoutMs: 1_000, totalTimeoutMs: 1_500 });
      try {
        sandbox.injectFault({ kind: 'drip', intervalMs: 100 }, Infinity);
        const started = performance.now();
        const error = await failure(dripping.retrieveTask('x', { apiKey: KEY }));
        const took = performance.now() - started;
        assert.equal(error.kind, 'timeout');
        assert.ok(took < 1_800, `held ${took.toFixed(0)} ms against a total of 1,500`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        assert.equal(sandbox.inFlight, 0, 'the dripping answer was cut, not left open');
      } finally {
        sandbox.clearFaults();
        await dripping.close();
      }
    });

    it('refuses an answer over 8 MiB as an invalid response, once, and keeps serving', async () => {
      let served = 0;
      const huge = createServer((_req, res) => {
        served++;
        res.writeHead(200, { 'content-type': 'application/json' });
        // 9 MiB of one JSON string, sent in 64 KiB pieces.
        res.write('{"data":"');
        const piece = 'x'.repeat(64 * 1024);
        let left = 9 * 16;
        const more = () => {
          while (left > 0 && !res.destroyed) {
            left--;
            if (!res.write(piece)) return void res.once('drain', more);
          }
          if (!res.destroyed) res.end('"}');
        };
        more();
      });
      await new Promise<void>((resolve) => huge.listen(0, '127.0.0.1', resolve));
      const { port } = huge.address() as AddressInfo;
      const capped = makeClient(`http://127.0.0.1:${port}`, { timeoutMs: 5_000, totalTimeoutMs: 10_000 });
      try {
        const error = await failure(capped.retrieveTask('x', { apiKey: KEY }));
        assert.equal(error.kind, 'invalid_response');
        assert.equal(error.status, 200);
        assert.match(error.message, /^The Flux API sent an answer larger than 8388608 bytes \(HTTP 200\)/);
        assert.equal(served, 1, 'not retried: a read that big would be as big again');
        // The client is still usable: the next call gets the same clear answer.
        assert.equal((await failure(capped.retrieveTask('x', { apiKey: KEY }))).kind, 'invalid_response');
      } finally {
        await capped.close();
        huge.closeAllConnections();
        await new Promise((resolve) => huge.close(resolve));
      }
    });
  });
});
