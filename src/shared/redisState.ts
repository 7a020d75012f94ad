import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { MemoryStore, type ClientRateLimitInfo, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { Logger } from '../logger.js';
import type { SharedSlots, SharedState, SharedStatus } from './sharedState.js';

/** Longest a Redis command may take before the caller goes on with what this process knows. */
const COMMAND_TIMEOUT_MS = 250;
const CANCEL_CHANNEL = 'flux-mcp:cancel';

/**
 * Takes a slot in a per-key sorted set of holds that expire on their own (a replica that dies
 * cannot leak slots): drops expired holds, refuses when `max` remain, else adds this one.
 * Redis's own clock is the only one used, so replicas need not agree on the time.
 */
const ACQUIRE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/** SharedState.advance on Redis, in one step so two replicas cannot both honour one step. */
const ADVANCE_CHAIN = `
local at = redis.call('GET', KEYS[1])
if at == 'revoked' then return 0 end
if at == false or at == ARGV[1] then
  redis.call('SET', KEYS[1], tostring(tonumber(ARGV[1]) + 1), 'PX', ARGV[2])
  return 1
end
redis.call('SET', KEYS[1], 'revoked', 'KEEPTTL')
return 0`;

type Client = ReturnType<typeof createClient>;

/**
 * A rate-limit store that counts in Redis while it answers and in this process while it does not,
 * so a limit keeps applying (per replica) through an outage instead of failing open or closed.
 */
class FailoverStore implements Store {
  readonly #local = new MemoryStore();
  readonly #shared: RedisStore;
  readonly #isUp: () => boolean;
  readonly #failed: (error: unknown) => void;
  #options: Options | undefined;
  #sharedReady: Promise<boolean> = Promise.resolve(false);

  constructor(shared: RedisStore, isUp: () => boolean, failed: (error: unknown) => void) {
    this.#shared = shared;
    this.#isUp = isUp;
    this.#failed = failed;
  }

  init(options: Options): void {
    this.#options = options;
    this.#local.init(options);
    this.reconnected();
  }

  /** Loads the store's scripts again (Redis came back, possibly empty). */
  reconnected(): void {
    if (!this.#options || !this.#isUp()) return;
    this.#sharedReady = this.#shared.init(this.#options).then(
      () => true,
      (error: unknown) => {
        this.#failed(error);
        return false;
      },
    );
  }

  async #sharedOr<T>(shared: () => Promise<T>, local: () => T | Promise<T>): Promise<T> {
    if (this.#isUp() && (await this.#sharedReady)) {
      try {
        return await shared();
      } catch (error) {
        this.#failed(error);
      }
    }
    return local();
  }

  increment(key: string): Promise<IncrementResponse> {
    return this.#sharedOr(
      () => this.#shared.increment(key),
      () => this.#local.increment(key),
    );
  }

  get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.#sharedOr(
      () => this.#shared.get(key),
      () => this.#local.get(key),
    );
  }

  async decrement(key: string): Promise<void> {
    await Promise.allSettled([this.#local.decrement(key), this.#isUp() ? this.#shared.decrement(key) : undefined]);
  }

  async resetKey(key: string): Promise<void> {
    await Promise.allSettled([this.#local.resetKey(key), this.#isUp() ? this.#shared.resetKey(key) : undefined]);
  }
}

export interface RedisStateOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Told about every change of status (for metrics). */
  readonly onStatus?: (status: SharedStatus) => void;
}

/**
 * Shared state on Redis (REDIS_URL): rate-limit counters, per-key slots for waits and upstream
 * calls, sign-in chains and cancellation fan-out, for every replica pointed at the same Redis.
 * It never blocks start-up or a request on Redis: commands time out after 250 ms, nothing queues
 * while the connection is down, and each piece but sign-in chains falls back to what this process
 * knows, with a log line and a metric saying so, until Redis answers again. Sign-in chains fail
 * closed instead: token requests are refused (503) until Redis answers.
 */
export function redisState(options: RedisStateOptions): SharedState {
  const { logger } = options;
  const replica = randomUUID();
  const client: Client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
  });
  const subscriber: Client = client.duplicate();
  const stores: FailoverStore[] = [];
  const cancelHandlers: ((owner: string, callId: string | number) => void)[] = [];
  let status: SharedStatus = 'down';
  let held = 0;

  const setStatus = (next: SharedStatus, why?: string) => {
    if (next === status) return;
    status = next;
    options.onStatus?.(next);
    if (next === 'up') {
      logger.info('shared state: Redis is up; limits, slots, sign-in chains and cancellations are shared by every replica');
      for (const store of stores) store.reconnected();
    } else {
      logger.warn({ reason: why }, 'shared state: Redis is unreachable; limits and slots count per process until it answers again');
    }
  };
  const failed = (error: unknown) => {
    if (!client.isReady) setStatus('down', error instanceof Error ? error.message : String(error));
  };

  client.on('ready', () => setStatus('up'));
  client.on('error', (error: Error) => setStatus('down', error.message));
  client.on('end', () => setStatus('down', 'connection closed'));
  subscriber.on('error', () => undefined);
  options.onStatus?.(status);
  client.connect().catch((error: unknown) => setStatus('down', error instanceof Error ? error.message : String(error)));
  subscriber
    .connect()
    .then(() =>
      subscriber.subscribe(CANCEL_CHANNEL, (message: string) => {
        try {
          const { from, owner, callId } = JSON.parse(message) as { from: string; owner: string; callId: string | number };
          if (from !== replica) for (const handler of cancelHandlers) handler(owner, callId);
        } catch {
          // Not one of ours.
        }
      }),
    )
    .catch(() => undefined);

  const slots = (kind: string): SharedSlots => ({
    async acquire(owner, max, holdMs) {
      if (status !== 'up') return () => undefined;
      const key = `flux-mcp:slots:${kind}:${owner}`;
      const member = `${replica}:${++held}`;
      try {
        const taken = await client.sendCommand<number>(['EVAL', ACQUIRE_SLOT, '1', key, String(max), String(Math.ceil(holdMs)), member]);
        if (taken === 0) return 'full';
      } catch (error) {
        failed(error);
        return () => undefined;
      }
      return () => void client.sendCommand(['ZREM', key, member]).catch(failed);
    },
  });

  return {
    status: () => status,
    rateLimitStore(prefix) {
      const store = new FailoverStore(
        new RedisStore({ prefix: `flux-mcp:rl:${prefix}:`, sendCommand: (...args: string[]) => client.sendCommand(args) as Promise<never> }),
        () => status === 'up',
        failed,
      );
      stores.push(store);
      return store;
    },
    waitSlots: slots('waits'),
    upstreamSlots: slots('upstream'),
    publishCancel(owner, callId) {
      if (status !== 'up') return;
      client.sendCommand(['PUBLISH', CANCEL_CHANNEL, JSON.stringify({ from: replica, owner, callId })]).catch(failed);
    },
    onCancel(handler) {
      cancelHandlers.push(handler);
    },
    async advance(chain, step, ttlMs) {
      // Fails closed: a replica that cannot ask Redis cannot know whether another one honoured the step.
      if (status !== 'up') throw new Error('Redis is unreachable');
      try {
        const ttl = String(Math.max(1, Math.ceil(ttlMs)));
        return (await client.sendCommand<number>(['EVAL', ADVANCE_CHAIN, '1', `flux-mcp:chain:${chain}`, String(step), ttl])) === 1;
      } catch (error) {
        failed(error);
        throw error;
      }
    },
    async close() {
      await Promise.allSettled([client.close(), subscriber.close()]);
    },
  };
}
