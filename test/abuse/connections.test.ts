import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FluxSandbox } from '../../src/sandbox/fluxSandbox.js';
import { postRaw, toolCallBody } from '../helpers/harness.js';
import { spawnService, type ServiceProcess } from '../helpers/process.js';

const KEY = 'key-connections-0001';
const MIB = 1024 * 1024;

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

/** A raw socket to the service; resolves once connected. */
function open(url: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves with how long the server took to close `socket` (or undefined if it is still open at `withinMs`). */
function closedWithin(socket: Socket, withinMs: number): Promise<number | undefined> {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

describe('connections and time', () => {
  let sandbox: FluxSandbox;
  let service: ServiceProcess;

  before(async () => {
    sandbox = await FluxSandbox.start();
    sandbox.addKey(KEY);
    service = await spawnService({
      ACEDATACLOUD_API_BASE_URL: sandbox.url,
      HTTP_UPLOAD_TIMEOUT: '3',
      MAX_CONNECTIONS: '400',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
    });
  });
  after(async () => {
    service.child.kill('SIGTERM');
    await service.exited;
    await sandbox.close();
  });

  it('keeps memory flat under 150 slow uploads that never finish, cuts them at the upload limit, and serves others meanwhile', async () => {
    const url = new URL(service.url);
    const before = rssOf(service.child.pid!);
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const sockets = await Promise.all(Array.from({ length: 150 }, () => open(url)));
    const drips: NodeJS.Timeout[] = [];
    for (const socket of sockets) {
      socket.on('error', () => undefined);
      socket.write(
        `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      socket.write(`${(25).toString(16)}\r\n{"jsonrpc":"2.0","id":1,"p":"\r\n`);
      // 16 KiB every 100 ms, for ever: 3.9 MiB would take about 25 s.
      drips.push(setInterval(() => socket.writable && socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`), 100));
    }
    const closed = sockets.map((socket) => closedWithin(socket, 8_000));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const during = rssOf(service.child.pid!);
    const normal = await postRaw(new URL('/mcp', service.url), toolCallBody('flux_get_task', { task_id: sandbox.addTask(KEY) }), { authorization: `Bearer ${KEY}` });
    const times = await Promise.all(closed);
    for (const drip of drips) clearInterval(drip);
    for (const socket of sockets) socket.destroy();
    assert.equal(normal.status, 200, 'a normal call is served during the attack');
    assert.match(normal.text, /"status":"succeeded"/);
    assert.ok(during - before < 64 * MIB, `RSS grew by ${((during - before) / MIB).toFixed(1)} MiB under 150 slow uploads`);
    assert.equal(times.filter((time) => time === undefined).length, 0, 'every slow upload was cut');
    assert.ok(times.every((time) => time! < 5_000), `cut after at most ${Math.max(...times.map((time) => time!))} ms (limit 3 s)`);
  });

  it('does not cut an answer that takes longer than the upload limit: a 5 s wait', async () => {
    const id = sandbox.addTask(KEY, { settleAfterMs: 600_000 });
    const started = Date.now();
    const answer = await postRaw(new URL('/mcp', service.url), toolCallBody('flux_get_task', { task_id: id, wait_seconds: 5 }), { authorization: `Bearer ${KEY}` });
    assert.equal(answer.status, 200);
    assert.match(answer.text, /"status":"pending"/);
    assert.ok(Date.now() - started >= 5_000);
  });

  it('cuts a client that sends its headers too slowly', async () => {
    const socket = await open(new URL(service.url));
    socket.on('error', () => undefined);
    socket.write('POST /mcp HTTP/1.1\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
    const took = await closedWithin(socket, 8_000);
    clearInterval(drip);
    assert.ok(took !== undefined && took < 5_000, `closed after ${took} ms`);
  });
});

describe('a connection cap', () => {
  it('refuses connections past MAX_CONNECTIONS and takes new ones once old ones leave', async () => {
    const service = await spawnService({ MAX_CONNECTIONS: '20' });
    try {
      const url = new URL(service.url);
      const held = await Promise.all(Array.from({ length: 20 }, () => open(url)));
      for (const socket of held) socket.on('error', () => undefined);
      const extra = await open(url);
      extra.on('error', () => undefined);
      assert.notEqual(await closedWithin(extra, 2_000), undefined, 'the 21st connection was closed at once');
      held[0]!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const health = await fetch(new URL('/healthz', service.url));
      assert.equal(health.status, 200, 'a freed slot takes a new connection');
      for (const socket of held) socket.destroy();
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
