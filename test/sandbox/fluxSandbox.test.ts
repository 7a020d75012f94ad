import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FluxSandbox } from '../../src/sandbox/fluxSandbox.js';

const KEY = 'key-sandbox-0001';
const OTHER = 'key-sandbox-0002';

describe('the sandbox Flux API follows the published contract', () => {
  let sandbox: FluxSandbox;

  async function post(path: string, body: unknown, key: string | null = KEY) {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    const response = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  before(async () => {
    sandbox = await FluxSandbox.start({ generationMs: 100 });
    sandbox.addKey(KEY).addKey(OTHER);
  });
  after(async () => {
    await sandbox.close();
  });

  it('answers a missing token with 400 no_token and an unknown one with 401 invalid_token', async () => {
    const missing = await post('/flux/tasks', { action: 'retrieve', id: 'x' }, null);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'no_token');
    assert.ok(missing.body.trace_id);
    const unknown = await post('/flux/tasks', { action: 'retrieve', id: 'x' }, 'nobody');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error.code, 'invalid_token');
  });

  it('answers an unknown id with HTTP 200 and {}', async () => {
    const answer = await post('/flux/tasks', { action: 'retrieve', id: 'unknown' });
    assert.deepEqual(answer, { status: 200, body: {} });
  });

  it("keeps each key's tasks apart", async () => {
    const id = sandbox.addTask(OTHER);
    assert.deepEqual((await post('/flux/tasks', { action: 'retrieve', id })).body, {});
    assert.equal((await post('/flux/tasks', { action: 'retrieve', id }, OTHER)).body.id, id);
  });

  it('shows a pending task without response or finished_at, then settled with both', async () => {
    const id = sandbox.addTask(KEY, { settleAfterPolls: 1, images: 2 });
    const pending = (await post('/flux/tasks', { action: 'retrieve', id })).body;
    assert.equal(pending.response, undefined);
    assert.equal(pending.finished_at, undefined);
    assert.equal(pending.type, 'images');
    assert.equal(typeof pending.created_at, 'number');
    const done = (await post('/flux/tasks', { action: 'retrieve', id })).body;
    assert.equal(done.response.success, true);
    assert.equal(done.response.data.length, 2);
    assert.equal(typeof done.finished_at, 'number');
    const image = await fetch(done.response.data[0].image_url);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.deepEqual([...new Uint8Array(await image.arrayBuffer()).slice(1, 4)], [0x50, 0x4e, 0x47]);
  });

  it('pages batch answers at 12 unless limit is sent, and honours offset', async () => {
    const ids = Array.from({ length: 20 }, () => sandbox.addTask(KEY));
    const defaultPage = (await post('/flux/tasks', { action: 'retrieve_batch', ids })).body;
    assert.equal(defaultPage.items.length, 12);
    assert.equal(defaultPage.count, 20);
    const full = (await post('/flux/tasks', { action: 'retrieve_batch', ids, limit: 20 })).body;
    assert.equal(full.items.length, 20);
    const rest = (await post('/flux/tasks', { action: 'retrieve_batch', ids, offset: 12 })).body;
    assert.equal(rest.items.length, 8);
  });

  it('creates tasks through /flux/images and answers async submissions at once', async () => {
    const submitted = await post('/flux/images', { action: 'generate', prompt: 'a cat', model: 'flux-dev', size: '1:1', async: true });
    assert.equal(submitted.status, 200);
    assert.ok(submitted.body.task_id);
    const record = (await post('/flux/tasks', { action: 'retrieve', id: submitted.body.task_id })).body;
    assert.equal(record.request.prompt, 'a cat');
    const missingSize = await post('/flux/images', { action: 'generate', prompt: 'a cat' });
    assert.equal(missingSize.status, 400);
    assert.equal(missingSize.body.error.code, 'bad_request');
  });

  it('answers a wrong path with 404 no_api', async () => {
    const answer = await post('/flux/nothing', {});
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error.code, 'no_api');
  });

  it('records what it received, headers included', async () => {
    sandbox.clearRequests();
    await post('/flux/tasks', { action: 'retrieve', id: 'abc' });
    const [request] = sandbox.requests;
    assert.equal(request?.token, KEY);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.deepEqual(request?.body, { action: 'retrieve', id: 'abc' });
  });

  it('injects faults for a number of requests, then answers normally', async () => {
    sandbox.injectFault({ kind: 'status', status: 503 }, 2);
    assert.equal((await post('/flux/tasks', { action: 'retrieve', id: 'a' })).status, 503);
    assert.equal((await post('/flux/tasks', { action: 'retrieve', id: 'a' })).status, 503);
    assert.equal((await post('/flux/tasks', { action: 'retrieve', id: 'a' })).status, 200);
  });
});
