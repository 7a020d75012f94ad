/**
 * What a hostile caller can do to the service, measured against a built checkout (this one by
 * default, another with --dir=<path>, to compare before and after):
 *   1. event-loop delay and a normal call's latency while three clients send 3.3 MiB bodies of
 *      300,000 keys with made-up keys;
 *   2. RSS while 150 connections each upload a 3.9 MiB chunked body, 16 KiB every 100 ms, never
 *      finishing;
 *   3. tenant B's success rate and p99 while tenant A floods the upstream with 1,500 calls at once.
 *   npm run bench:abuse [-- --dir=/path/to/other/checkout]
 * Prints one JSON line of figures; BENCHMARKS.md gives them side by side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Agent, request } from 'undici';
import { FluxSandbox } from '../src/sandbox/fluxSandbox.js';
import { unusedPort } from '../test/helpers/net.js';

const DIR = process.argv.find((arg) => arg.startsWith('--dir='))?.slice('--dir='.length) ?? new URL('..', import.meta.url).pathname;
const MIB = 1024 * 1024;
const KEY_A = 'bench-abuse-tenant-a';
const KEY_B = 'bench-abuse-tenant-b';

interface Service {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const port = await unusedPort();
  const child = spawn(process.execPath, ['dist/index.js'], {
    cwd: DIR,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (const started = Date.now(); ; ) {
    if (await fetch(`${url}/healthz`).then((answer) => answer.ok, () => false)) return { child, url };
    if (Date.now() - started > 20_000) throw new Error(`the service in ${DIR} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(service: Service): Promise<void> {
  const gone = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGKILL');
  await gone;
}

const rss = (service: Service) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${service.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

function post(url: string, key: string, body: string, dispatcher?: Agent): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  return request(`${url}/mcp`, {
    method: 'POST',
    ...(dispatcher ? { dispatcher } : {}),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  }).then(
    async (answer) => ({ status: answer.statusCode, text: await answer.body.text(), ms: performance.now() - started }),
    (error: Error) => ({ status: 0, text: error.message, ms: performance.now() - started }),
  );
}

const call = (id: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: id } } });
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function adversarialBodies(sandbox: FluxSandbox): Promise<Record<string, number>> {
  const service = await startService({ ACEDATACLOUD_API_BASE_URL: sandbox.url, RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000' });
  try {
    const members = Array.from({ length: 300_000 }, (_, i) => `"k${i}":1`).join(',');
    const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"flux_get_task","arguments":{"task_id":"x","junk":{${members}}}}}`;
    const id = sandbox.addTask(KEY_B);
    const lag = async () => Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await (await fetch(`${service.url}/metrics`)).text())?.[1]) * 1000;
    await post(service.url, 'made-up-key-warm-up', body);
    await lag();
    const attacks = [1, 2, 3].map((i) => post(service.url, `made-up-key-${i}`, body));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const normal = await post(service.url, KEY_B, call(id));
    await Promise.all(attacks);
    return { event_loop_max_delay_ms: Math.round(await lag()), normal_call_ms: Math.round(normal.ms), normal_call_status: normal.status };
  } finally {
    await stop(service);
  }
}

async function slowUploads(sandbox: FluxSandbox): Promise<Record<string, number>> {
  const service = await startService({ ACEDATACLOUD_API_BASE_URL: sandbox.url, RATE_LIMIT_IP_PER_MINUTE: '100000' });
  try {
    const url = new URL(service.url);
    const before = rss(service);
    const chunk = `${(16 * 1024).toString(16)}\r\n${' '.repeat(16 * 1024)}\r\n`;
    const sockets: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    for (let i = 0; i < 150; i++) {
      const socket = connect(Number(url.port), url.hostname);
      socket.on('error', () => undefined);
      socket.write(
        `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${KEY_A}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      let sent = 0;
      // 3.9 MiB each, 16 KiB every 100 ms: about 25 s to send, never finished.
      timers.push(setInterval(() => socket.writable && sent++ < 250 && socket.write(chunk), 100));
      sockets.push(socket);
    }
    let peak = before;
    for (let second = 0; second < 28; second++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      peak = Math.max(peak, rss(service));
    }
    const open = sockets.filter((socket) => !socket.destroyed).length;
    for (const timer of timers) clearInterval(timer);
    for (const socket of sockets) socket.destroy();
    return { rss_before_mib: Math.round(before / MIB), rss_peak_mib: Math.round(peak / MIB), connections_still_open_after_28_s: open };
  } finally {
    await stop(service);
  }
}

async function noisyNeighbour(): Promise<Record<string, number>> {
  const slow = await FluxSandbox.start({ latencyMs: 200, recordRequests: false });
  slow.addKey(KEY_A).addKey(KEY_B);
  const service = await startService({ ACEDATACLOUD_API_BASE_URL: slow.url, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000' });
  const agent = new Agent({ connections: 1_600 });
  try {
    const idB = slow.addTask(KEY_B);
    const flood = Array.from({ length: 1_500 }, () => post(service.url, KEY_A, call('x'), agent));
    // B starts once A's flood has arrived and is queued, so B meets A's queue, not A's burst.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const latencies: number[] = [];
    let ok = 0;
    for (let i = 0; i < 50; i++) {
      const answer = await post(service.url, KEY_B, call(idB), agent);
      latencies.push(answer.ms);
      if (answer.status === 200 && answer.text.includes('"status":"succeeded"')) ok++;
    }
    await Promise.all(flood);
    return { tenant_b_success_percent: Math.round((ok / 50) * 100), tenant_b_p50_ms: Math.round(percentile(latencies, 50)), tenant_b_p99_ms: Math.round(percentile(latencies, 99)) };
  } finally {
    await agent.close();
    await stop(service);
    await slow.close();
  }
}

const sandbox = await FluxSandbox.start({ recordRequests: false });
sandbox.addKey(KEY_A).addKey(KEY_B);
const figures = { dir: DIR, ...(await adversarialBodies(sandbox)), ...(await slowUploads(sandbox)), ...(await noisyNeighbour()) };
await sandbox.close();
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
