import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FluxClient } from '../../src/flux/client.js';
import { FluxApiError } from '../../src/flux/errors.js';
import { createLogger } from '../../src/logger.js';
import { FluxSandbox } from '../../src/sandbox/fluxSandbox.js';
import { unusedPort } from '../helpers/net.js';

const KEY = 'key-client-tests-0001';
const silent = createLogger('silent');

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
    client = new FluxClient({ baseUrl: sandbox.url, timeoutMs: 500, logger: silent });
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
    const prefixed = new FluxClient({ baseUrl: `${sandbox.url}/gateway`, timeoutMs: 500, logger: silent });
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
    const batchClient = new FluxClient({ baseUrl: honest.url, timeoutMs: 500, logger: silent });
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

  it('reports a rejected key as such, without echoing the key even when the upstream does', async () => {
    sandbox.injectFault({ kind: 'status', status: 401, code: 'invalid_token', message: 'token {token} is invalid' });
    const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(error.kind, 'key_rejected');
    assert.match(error.message, /rejected the API key \(HTTP 401 invalid_token: token \[redacted\] is invalid\)/);
    assert.ok(!error.message.includes(KEY));
  });

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
    sandbox.injectFault({ kind: 'status', status: 503, message: 'maintenance' });
    assert.match((await failure(client.retrieveTask('x', { apiKey: KEY }))).message, /HTTP 503 service_unavailable: maintenance.*try again in a minute/);
    sandbox.injectFault({ kind: 'status', status: 403, message: 'balance exhausted' });
    const forbidden = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(forbidden.kind, 'forbidden');
    assert.match(forbidden.message, /no balance left/);
    sandbox.injectFault({ kind: 'bare_error', status: 500, message: 'boom' });
    assert.match((await failure(client.retrieveTask('x', { apiKey: KEY }))).message, /\(HTTP 500 boom\)/);
  });

  it('survives an HTML answer and says it was not JSON', async () => {
    sandbox.injectFault({ kind: 'html', status: 200 });
    const error = await failure(client.retrieveTask('x', { apiKey: KEY }));
    assert.equal(error.kind, 'invalid_response');
    assert.match(error.message, /not JSON \(text\/html\)/);
    assert.ok(!error.message.includes('<'));
    sandbox.injectFault({ kind: 'html', status: 502 });
    assert.equal((await failure(client.retrieveTask('x', { apiKey: KEY }))).kind, 'upstream_error');
  });

  it('reports a reset connection and a refused one', async () => {
    sandbox.injectFault({ kind: 'reset' });
    assert.match((await failure(client.retrieveTask('x', { apiKey: KEY }))).message, /connection reset/);
    const refused = new FluxClient({ baseUrl: `http://127.0.0.1:${await unusedPort()}`, timeoutMs: 500, logger: silent });
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
});
