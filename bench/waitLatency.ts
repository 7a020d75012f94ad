/**
 * How soon a waiting call answers after its task settles.
 * Starts the sandbox Flux API and the service, then holds one flux_get_task call with
 * wait_seconds 45 per task, for tasks that settle at times spread evenly over 0.5-30 s, and
 * measures answer arrival minus settle time for each.
 *   npm run bench:wait            (TASKS=60 by default)
 */
import os from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../src/config.js';
import { FluxSandbox } from '../src/sandbox/fluxSandbox.js';
import { startService } from '../src/service.js';

const TASKS = Number(process.env.TASKS ?? 60);
const KEY = 'bench-wait-key';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const sandbox = await FluxSandbox.start({ recordRequests: false });
sandbox.addKey(KEY);
const service = await startService(
  loadConfig({ PORT: '0', ACEDATACLOUD_API_BASE_URL: sandbox.url, LOG_LEVEL: 'warn', WAIT_MAX_PER_KEY: String(TASKS), RATE_LIMIT_PER_MINUTE: '100000' }),
);
const client = new Client({ name: 'bench-wait', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', service.url), { requestInit: { headers: { Authorization: `Bearer ${KEY}` } } }));

const delays = await Promise.all(
  Array.from({ length: TASKS }, async (_, i) => {
    const settleAfterMs = 500 + (i * 29_500) / Math.max(1, TASKS - 1);
    const id = sandbox.addTask(KEY, { settleAfterMs });
    const settlesAt = Date.now() + settleAfterMs;
    const result = await client.callTool({ name: 'flux_get_task', arguments: { task_id: id, wait_seconds: 45 } }, undefined, { timeout: 60_000 });
    const status = (result.structuredContent as { result: { status: string } }).result.status;
    if (status !== 'succeeded') throw new Error(`task ${id} answered ${status}`);
    return Math.round(Date.now() - settlesAt);
  }),
);
await client.close();
await service.close(1_000);
await sandbox.close();

const sorted = [...delays].sort((a, b) => a - b);
const mean = sorted.reduce((sum, d) => sum + d, 0) / sorted.length;
console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}`);
console.log(`${TASKS} waiting calls, tasks settling evenly over 0.5-30 s, poll pauses 1, 2, 3, 4, then 5 s`);
console.log(
  `settle-to-answer delay (ms): min ${sorted[0]}, median ${percentile(sorted, 50)}, mean ${Math.round(mean)}, p90 ${percentile(sorted, 90)}, max ${sorted.at(-1)}`,
);
