import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FluxSandbox } from '../../src/sandbox/fluxSandbox.js';
import { eventually, postRaw, toolCallBody } from '../helpers/harness.js';
import { unusedPort } from '../helpers/net.js';
import { authorizeParams, authorizeUrl, newSecret, pkce, registeredClientId, signInWithoutBrowser, tokenRequest } from '../helpers/oauth.js';
import { spawnService, type ServiceProcess } from '../helpers/process.js';
import { redisUnavailable, startRedis, type RedisServer } from '../helpers/redisServer.js';

const KEY = 'key-redis-tests-0001';
const AUTH = { authorization: `Bearer ${KEY}` };
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const unavailable = redisUnavailable();
if (unavailable) process.stdout.write(`# skipping the Redis tests: ${unavailable}\n`);

/** Two replicas of the service sharing one real redis-server, as behind a round-robin balancer. */
async function twoReplicas(
  redis: RedisServer,
  sandbox: FluxSandbox,
  env: Record<string, string> = {},
  firstEnv: Record<string, string> = {},
): Promise<[ServiceProcess, ServiceProcess]> {
  const common = { ACEDATACLOUD_API_BASE_URL: sandbox.url, REDIS_URL: redis.url, ...env };
  const replicas = await Promise.all([spawnService({ ...common, ...firstEnv }), spawnService(common)]);
  for (const replica of replicas) await eventually(() => /shared state: Redis is up/.test(replica.output()), 5_000, 'Redis to be up');
  return replicas as [ServiceProcess, ServiceProcess];
}

async function stop(...replicas: ServiceProcess[]): Promise<void> {
  for (const replica of replicas) replica.child.kill('SIGTERM');
  await Promise.all(replicas.map((replica) => replica.exited));
}

const mcp = (replica: ServiceProcess) => new URL('/mcp', replica.url);

describe('state shared across replicas on a real Redis', { skip: unavailable }, () => {
  let redis: RedisServer;
  let sandbox: FluxSandbox;

  before(async () => {
    redis = await startRedis();
    sandbox = await FluxSandbox.start();
    sandbox.addKey(KEY);
  });
  after(async () => {
    await redis?.stop();
    await sandbox?.close();
  });

  it('counts one rate limit over both replicas: 20 a minute in all, not 20 each', async () => {
    const [a, b] = await twoReplicas(redis, sandbox, { RATE_LIMIT_PER_MINUTE: '20' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await postRaw(mcp(i % 2 === 0 ? a : b), LIST, AUTH)).status);
      assert.equal(statuses.filter((status) => status === 200).length, 20);
      assert.deepEqual(statuses.slice(20), Array(20).fill(429));
    } finally {
      await stop(a, b);
    }
  });

  it('stops a wait on one replica when its cancellation lands on the other', async () => {
    const [a, b] = await twoReplicas(redis, sandbox);
    try {
      const id = sandbox.addTask(KEY, { settleAfterMs: 600_000 });
      const polls = () => sandbox.taskRequests().filter((request) => (request.body as { id?: string }).id === id).length;
      const call = postRaw(mcp(a), JSON.stringify({ jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: id, wait_seconds: 30 } } }), AUTH);
      await eventually(() => polls() >= 2, 5_000, 'the wait on replica A to poll');
      const cancelled = await postRaw(mcp(b), JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 77, reason: 'user' } }), AUTH);
      assert.equal(cancelled.status, 202);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const seen = polls();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      assert.equal(polls(), seen, 'replica A stopped polling');
      await call.catch(() => undefined);
    } finally {
      await stop(a, b);
    }
  });

  it("counts a key's waiting calls over both replicas", async () => {
    const [a, b] = await twoReplicas(redis, sandbox, { WAIT_MAX_PER_KEY: '2' });
    try {
      const id = sandbox.addTask(KEY, { settleAfterMs: 600_000 });
      const wait = (replica: ServiceProcess) => postRaw(mcp(replica), toolCallBody('flux_get_task', { task_id: id, wait_seconds: 4 }), AUTH);
      const held = [wait(a), wait(b)];
      await new Promise((resolve) => setTimeout(resolve, 500));
      const third = await wait(a);
      assert.match(third.text, /already has 2 waiting calls open/);
      for (const answer of await Promise.all(held)) assert.match(answer.text, /"status":"pending"/);
    } finally {
      await stop(a, b);
    }
  });

  it("counts a key's upstream calls over both replicas", async () => {
    const slow = await FluxSandbox.start({ latencyMs: 1_500 });
    slow.addKey(KEY);
    const [a, b] = await twoReplicas(redis, slow, { FLUX_MAX_CONCURRENCY: '4', FLUX_MAX_SHARE: '0.5' });
    try {
      const call = (replica: ServiceProcess) => postRaw(mcp(replica), toolCallBody('flux_get_task', { task_id: 'x' }), AUTH);
      const held = [call(a), call(a)];
      await eventually(() => slow.inFlight === 2, 5_000, 'two calls of the key upstream');
      const onB = await call(b);
      assert.match(onB.text, /already has 2 Flux API calls in flight at flux-mcp, its fair share/);
      for (const answer of await Promise.all(held)) assert.match(answer.text, /not_found/);
    } finally {
      await stop(a, b);
      await slow.close();
    }
  });

  it('keeps serving with per-process limits when Redis dies, says so, and shares again when it returns', async () => {
    const [a, b] = await twoReplicas(redis, sandbox, { RATE_LIMIT_PER_MINUTE: '1000' });
    try {
      assert.equal(((await (await fetch(new URL('/readyz', a.url))).json()) as { shared_state: string }).shared_state, 'up');
      await redis.kill();
      await eventually(() => /shared state: Redis is unreachable/.test(a.output()), 5_000, 'replica A to notice');
      for (const replica of [a, b]) {
        for (let i = 0; i < 5; i++) {
          const started = Date.now();
          const answer = await postRaw(mcp(replica), toolCallBody('flux_get_task', { task_id: 'x' }), AUTH);
          assert.equal(answer.status, 200);
          assert.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms without Redis`);
        }
      }
      const ready = await fetch(new URL('/readyz', a.url));
      assert.equal(ready.status, 200, 'still ready: serving with per-process limits');
      assert.deepEqual(await ready.json(), {
        status: 'degraded',
        shared_state: 'down',
        limits: 'Redis unreachable: limits and slots count per process until it returns',
      });
      assert.match(await (await fetch(new URL('/metrics', a.url))).text(), /^flux_mcp_shared_state\{state="down"\} 1$/m);
      await redis.restart();
      await eventually(() => (a.output().match(/shared state: Redis is up/g) ?? []).length >= 2, 15_000, 'replica A to reconnect');
      assert.equal(((await (await fetch(new URL('/readyz', a.url))).json()) as { shared_state: string }).shared_state, 'up');
      assert.equal((await postRaw(mcp(a), LIST, AUTH)).status, 200);
    } finally {
      await stop(a, b);
    }
  });

  it('honours each OAuth sign-in step once over both replicas, revokes replays everywhere, and refuses while Redis is away', async () => {
    const port = await unusedPort();
    const issuer = `http://127.0.0.1:${port}`;
    const oauth = { PUBLIC_URL: issuer, OAUTH_SECRETS: newSecret() };
    const [a, b] = await twoReplicas(redis, sandbox, oauth, { PORT: String(port) });
    const resource = `${issuer}/mcp`;
    const redirectUri = 'http://127.0.0.1:9/callback';
    try {
      const clientId = await registeredClientId(issuer, redirectUri);
      const code = async () => {
        const { verifier, challenge } = pkce();
        const back = await signInWithoutBrowser(authorizeUrl(issuer, authorizeParams({ issuer, resource }, clientId, redirectUri, challenge)), issuer, KEY);
        return { grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri, resource };
      };
      const refresh = (token: unknown) => ({ grant_type: 'refresh_token', refresh_token: String(token), client_id: clientId, resource });

      const first = await code();
      const onA = await tokenRequest(a.url, first);
      assert.equal(onA.status, 200, 'replica A redeems the code');
      const replayOnB = await tokenRequest(b.url, first);
      assert.equal(replayOnB.status, 400);
      assert.equal(replayOnB.body.error, 'invalid_grant');
      assert.equal((await tokenRequest(b.url, refresh(onA.body.refresh_token))).body.error, 'invalid_grant', 'the replay on B revoked what A gave');

      const second = await tokenRequest(b.url, await code());
      assert.equal(second.status, 200, 'replica B redeems a code of its own');
      const refreshedOnA = await tokenRequest(a.url, refresh(second.body.refresh_token));
      assert.equal(refreshedOnA.status, 200, 'replica A honours a refresh token B issued');
      assert.equal((await tokenRequest(b.url, refresh(second.body.refresh_token))).body.error, 'invalid_grant', 'its replay on B is refused');
      assert.equal((await tokenRequest(b.url, refresh(refreshedOnA.body.refresh_token))).body.error, 'invalid_grant', 'and revoked the sign-in');

      const third = await tokenRequest(a.url, await code());
      assert.equal(third.status, 200);
      await redis.kill();
      await eventually(() => /shared state: Redis is unreachable/.test(b.output()), 5_000, 'replica B to notice');
      const meanwhile = await tokenRequest(b.url, refresh(third.body.refresh_token));
      assert.equal(meanwhile.status, 503, 'no replica can tell whether another one honoured the step');
      assert.equal(meanwhile.body.error, 'temporarily_unavailable');
      await redis.restart();
      await eventually(() => (b.output().match(/shared state: Redis is up/g) ?? []).length >= 2, 15_000, 'replica B to reconnect');
      assert.equal((await tokenRequest(b.url, refresh(third.body.refresh_token))).status, 200, 'the refresh works once Redis is back');
    } finally {
      await stop(a, b);
    }
  });
});
