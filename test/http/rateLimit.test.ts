import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from 'express-rate-limit';
import { localState } from '../../src/shared/localState.js';
import type { SharedState } from '../../src/shared/sharedState.js';
import { INITIALIZE, postRaw, startHarness, toolCallBody } from '../helpers/harness.js';

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

/** Per-process state whose rate-limit stores remember every key they were asked to count. */
function spyingState(seen: string[]): SharedState {
  const state = localState();
  return {
    ...state,
    rateLimitStore(prefix): Store {
      const store = state.rateLimitStore(prefix);
      const increment = store.increment.bind(store);
      store.increment = (key: string) => {
        seen.push(`${prefix}:${key}`);
        return increment(key);
      };
      return store;
    },
  };
}

/** Headers that make a request come from `address`, with TRUST_PROXY=1. */
const from = (address: string, key?: string) => ({ 'x-forwarded-for': address, ...(key ? { authorization: `Bearer ${key}` } : {}) });

describe('rate limits', () => {
  it('refuses a key over its limit with 429, Retry-After and a JSON-RPC error; other keys are unaffected', async () => {
    const seen: string[] = [];
    const harness = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '5' }, service: { shared: spyingState(seen) } });
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

      // The limiters counted by a fingerprint or an address, never by the key.
      assert.ok(seen.filter((entry) => entry.startsWith('key:')).length >= 7);
      for (const entry of seen) assert.ok(!entry.includes('key-rate-'), entry);
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
      assert.match(limited.headers.get('ratelimit') ?? '', /limit=3, remaining=0/, 'the draft-7 RateLimit headers, as for every limit');
      assert.match((limited.json as { error: { message: string } }).error.message, /per client address without a key/);
      // A caller with a key from the same address is not held back by the anonymous limit.
      assert.equal((await postRaw(harness.mcpUrl, body, { authorization: 'Bearer key-rate-other-0003' })).status, 200);
    } finally {
      await harness.close();
    }
  });

  it('does not let a new made-up key per request dodge the limits: the address is limited too', async () => {
    const harness = await startHarness({ env: { RATE_LIMIT_IP_PER_MINUTE: '20', RATE_LIMIT_REJECTED_KEYS: '1000', TRUST_PROXY: '1' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const answer = await postRaw(harness.mcpUrl, toolCallBody('flux_get_task', { task_id: 'x' }), from('203.0.113.7', `made-up-key-${i}`));
        statuses.push(answer.status);
      }
      assert.deepEqual(statuses.slice(0, 20), Array(20).fill(200));
      assert.deepEqual(statuses.slice(20), Array(10).fill(429));
      assert.equal(harness.sandbox.taskRequests().length, 20, 'no upstream call past the limit');
      const refused = await postRaw(harness.mcpUrl, LIST, from('203.0.113.7', 'yet-another-key'));
      assert.match((refused.json as { error: { message: string } }).error.message, /at most 20 requests per minute from one address/);
      // Another address is not held back.
      assert.equal((await postRaw(harness.mcpUrl, LIST, from('198.51.100.9', 'made-up-key-x'))).status, 200);
    } finally {
      await harness.close();
    }
  });

  it('counts IPv6 clients by their /56 network, and IPv4 clients by their address', async () => {
    const harness = await startHarness({ env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2', TRUST_PROXY: '1' } });
    try {
      const body = JSON.stringify(INITIALIZE);
      // Without a key each request is answered 401 until the address runs out of budget (429).
      // Two addresses of one /56 share a budget: the third request of the network is refused.
      const sameNetwork = ['2001:db8:aa:1100::1', '2001:db8:aa:11ff::2', '2001:db8:aa:1101::3'];
      const statuses = [];
      for (const address of sameNetwork) statuses.push((await postRaw(harness.mcpUrl, body, from(address))).status);
      assert.deepEqual(statuses, [401, 401, 429]);
      // The next /56 over, and IPv4 addresses, each have budgets of their own.
      assert.equal((await postRaw(harness.mcpUrl, body, from('2001:db8:aa:1200::1'))).status, 401);
      for (const address of ['203.0.113.7', '203.0.113.7', '203.0.113.8']) {
        assert.equal((await postRaw(harness.mcpUrl, body, from(address))).status, 401);
      }
      assert.equal((await postRaw(harness.mcpUrl, body, from('203.0.113.7'))).status, 429);
    } finally {
      await harness.close();
    }
  });

  it('holds back an address whose keys the upstream keeps rejecting, for all its keys, and no other address', async () => {
    const harness = await startHarness({ env: { RATE_LIMIT_REJECTED_KEYS: '5', TRUST_PROXY: '1' } });
    try {
      const good = 'key-rate-good-0004';
      harness.sandbox.addKey(good);
      for (let i = 0; i < 5; i++) {
        const answer = await postRaw(harness.mcpUrl, toolCallBody('flux_get_task', { task_id: 'x' }), from('203.0.113.8', `wrong-key-${i}`));
        assert.equal(answer.status, 200);
        assert.match(JSON.stringify(answer.json), /rejected the API key/);
      }
      const upstreamBefore = harness.sandbox.taskRequests().length;
      const penalised = await postRaw(harness.mcpUrl, toolCallBody('flux_get_task', { task_id: 'x' }), from('203.0.113.8', 'wrong-key-5'));
      assert.equal(penalised.status, 429);
      assert.match((penalised.json as { error: { message: string } }).error.message, /Too many API keys from this address were rejected by the Flux API \(5 in 15 minutes\)/);
      const retryAfter = Number(penalised.headers.get('retry-after'));
      assert.ok(retryAfter > 60 && retryAfter <= 900, `Retry-After ${retryAfter}`);
      assert.equal((await postRaw(harness.mcpUrl, LIST, from('203.0.113.8', good))).status, 429, 'every key of that address');
      assert.equal(harness.sandbox.taskRequests().length, upstreamBefore, 'no upstream call from the held-back address');
      assert.equal((await postRaw(harness.mcpUrl, toolCallBody('flux_get_task', { task_id: 'x' }), from('198.51.100.10', good))).status, 200);
    } finally {
      await harness.close();
    }
  });

  it('counts every tools/call of a JSON-RPC batch against the key', async () => {
    const harness = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '10' } });
    try {
      const key = 'key-rate-batch-0005';
      harness.sandbox.addKey(key);
      const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: `t-${id}` } } });
      const headers = { authorization: `Bearer ${key}`, 'mcp-protocol-version': '2025-03-26' };
      const batch = await postRaw(harness.mcpUrl, JSON.stringify(Array.from({ length: 10 }, (_, i) => call(i + 1))), headers);
      assert.equal(batch.status, 200);
      assert.equal((batch.json as unknown[]).length, 10);
      const next = await postRaw(harness.mcpUrl, toolCallBody('flux_get_task', { task_id: 'x' }), headers);
      assert.equal(next.status, 429, 'the batch used up the 10 calls of the minute');
      assert.equal(harness.sandbox.taskRequests().length, 10);
      const over = await postRaw(harness.mcpUrl, JSON.stringify([call(1), call(2)]), headers);
      assert.equal(over.status, 429);
      assert.match((over.json as { error: { message: string } }).error.message, /per API key/);
    } finally {
      await harness.close();
    }
  });
});
