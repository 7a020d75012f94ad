import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, type Store } from 'express-rate-limit';
import { INITIALIZE, postRaw, startHarness } from '../helpers/harness.js';

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

/** A memory store that remembers every key it was asked to count. */
function spyingStore(seen: string[]): (prefix: string) => Store {
  return (prefix) => {
    const store = new MemoryStore();
    const increment = store.increment.bind(store);
    store.increment = (key: string) => {
      seen.push(prefix + key);
      return increment(key);
    };
    return store;
  };
}

describe('rate limits', () => {
  it('refuses a key over its limit with 429, Retry-After and a JSON-RPC error; other keys are unaffected', async () => {
    const seen: string[] = [];
    const harness = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '5' }, service: { rateLimitStore: spyingStore(seen) } });
    try {
      const busy = { authorization: 'Bearer key-rate-busy-0001' };
      const calm = { authorization: 'Bearer key-rate-calm-0002' };
      for (let i = 0; i < 5; i++) assert.equal((await postRaw(harness.mcpUrl, LIST, busy)).status, 200);
      const limited = await postRaw(harness.mcpUrl, LIST, busy);
      assert.equal(limited.status, 429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      const body = limited.json as { jsonrpc: string; error: { code: number; message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.match(body.error.message, /^Rate limit reached: at most 5 requests per minute per API key; retry after \d+ s\.$/);
      assert.equal((await postRaw(harness.mcpUrl, LIST, calm)).status, 200);

      // The limiter counted by a fingerprint, never by the key.
      assert.ok(seen.length >= 7);
      for (const key of seen) assert.ok(!key.includes('key-rate-'), key);
    } finally {
      await harness.close();
    }
  });

  it('limits requests without a key per client address, before answering 401', async () => {
    const harness = await startHarness({ env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' } });
    try {
      const body = JSON.stringify(INITIALIZE);
      for (let i = 0; i < 3; i++) assert.equal((await postRaw(harness.mcpUrl, body)).status, 401);
      const limited = await postRaw(harness.mcpUrl, body);
      assert.equal(limited.status, 429);
      assert.ok(limited.headers.get('retry-after'));
      assert.match((limited.json as { error: { message: string } }).error.message, /per client address without a key/);
      // A caller with a key from the same address is not held back by the anonymous limit.
      assert.equal((await postRaw(harness.mcpUrl, body, { authorization: 'Bearer key-rate-other-0003' })).status, 200);
    } finally {
      await harness.close();
    }
  });
});
