/**
 * The benchmark suite: npm run bench (full, writes BENCHMARKS.md) or npm run bench:smoke (CI:
 * a few seconds, correctness only, no timing assertion, writes nothing).
 *
 * Processes: the sandbox Flux API, the service (built, from dist/, as in production, logging at
 * info) and a bare proxy baseline, each on its own. autocannon drives the service and the baseline
 * in alternation (A B A B …) at 20 connections for each scenario and checks every answer, so a
 * fast wrong answer never scores. Then: memory over 200,000 calls in a row, and RSS while 2,000
 * waiting calls are held at once.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Agent, request } from 'undici';
import { runLoad, type LoadResult } from './lib/load.js';
import { startProcess, type BenchProcess } from './lib/processes.js';

const SMOKE = process.argv.includes('--smoke');
const ONLY = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
/** Runs only the throughput scenario with this id: task, batch, list or init (for profiling). */
const SCENARIO = process.argv.find((arg) => arg.startsWith('--scenario='))?.slice('--scenario='.length);
const ROUNDS = SMOKE ? 1 : Number(process.env.ROUNDS ?? 3);
const DURATION = SMOKE ? 1 : Number(process.env.DURATION ?? 8);
/** Seconds each target runs a scenario before the measured rounds, so JIT warm-up is not measured. */
const WARMUP = SMOKE ? 0 : 3;
const CONNECTIONS = 20;
const MEMORY_CALLS = SMOKE ? 2_000 : 200_000;
const MEMORY_WARMUP = SMOKE ? 500 : 20_000;
const WAITS = SMOKE ? 40 : Number(process.env.WAITS ?? 2_000);
const WAIT_KEYS = Math.ceil(WAITS / 10);
const GENERATION_MS = SMOKE ? 3_000 : 25_000;
const MIB = 1024 * 1024;

interface SandboxInfo {
  url: string;
  keys: string[];
  ids: string[];
}
const isSandbox = (value: unknown): value is SandboxInfo => typeof value === 'object' && value !== null && 'ids' in value;
/** The service's "listening" log line; its `url` is the MCP endpoint. */
const isListening = (value: unknown): value is { url: string } =>
  typeof value === 'object' && value !== null && (value as { msg?: unknown }).msg === 'flux-mcp listening';
const isProxy = (value: unknown): value is { url: string } => typeof value === 'object' && value !== null && 'url' in value;

type Json = Record<string, any>;
function parse(body: string): Json | undefined {
  try {
    return JSON.parse(body) as Json;
  } catch {
    return undefined;
  }
}

interface Scenario {
  /** Short name for --scenario=. */
  readonly id: string;
  readonly name: string;
  readonly body: string;
  readonly checkService: (answer: Json) => boolean;
  readonly checkBaseline: (answer: Json) => boolean;
}

function scenarios(ids: string[]): Scenario[] {
  const call = (name: string, args: object) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
  const [one] = ids;
  return [
    {
      id: 'task',
      name: 'tools/call flux_get_task',
      body: call('flux_get_task', { task_id: one }),
      checkService: (a) => {
        const task = a.result?.structuredContent?.result;
        return task?.task_id === one && task.status === 'succeeded' && task.images.length === 2 && !a.result.isError;
      },
      checkBaseline: (a) => a.result?.structuredContent?.id === one && a.result.structuredContent.response?.success === true,
    },
    {
      id: 'batch',
      name: 'tools/call flux_get_tasks_batch (50 ids)',
      body: call('flux_get_tasks_batch', { task_ids: ids }),
      checkService: (a) => {
        const batch = a.result?.structuredContent?.result;
        return batch?.counts?.succeeded === 50 && batch.tasks[0].task_id === ids[0] && batch.tasks[49].task_id === ids[49];
      },
      checkBaseline: (a) => a.result?.structuredContent?.items?.length === 50,
    },
    {
      id: 'list',
      name: 'tools/list',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      checkService: (a) => a.result?.tools?.length === 2,
      checkBaseline: (a) => a.result?.tools?.length === 2,
    },
    {
      id: 'init',
      name: 'initialize',
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
      }),
      checkService: (a) => a.result?.serverInfo?.name === 'flux-mcp',
      checkBaseline: (a) => a.result?.serverInfo?.name === 'bare-proxy',
    },
  ];
}

function headers(key: string): Record<string, string> {
  return {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
  };
}

function checker(check: (answer: Json) => boolean) {
  return (status: number, body: string) => {
    if (status !== 200) return `HTTP ${status}`;
    const answer = parse(body);
    return answer && check(answer) ? undefined : 'wrong answer';
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

function failIf(condition: boolean, message: string): void {
  if (condition) {
    process.stderr.write(`bench: FAILED: ${message}\n`);
    process.exitCode = 1;
  }
}

async function throughput(service: string, baseline: string, sandbox: SandboxInfo): Promise<string[]> {
  const lines = [
    `| scenario | round | service calls/s | p50 / p99 ms | errors | baseline calls/s | p50 / p99 ms | errors | ratio |`,
    `|---|---|---|---|---|---|---|---|---|`,
  ];
  const summary: string[] = [];
  for (const scenario of scenarios(sandbox.ids).filter((s) => !SCENARIO || s.id === SCENARIO)) {
    const ratios: number[] = [];
    const common = { headers: headers(sandbox.keys[0]!), body: scenario.body, connections: CONNECTIONS, duration: DURATION };
    if (WARMUP > 0) {
      await runLoad({ ...common, duration: WARMUP, url: service, check: checker(scenario.checkService) });
      await runLoad({ ...common, duration: WARMUP, url: baseline, check: checker(scenario.checkBaseline) });
    }
    for (let r = 1; r <= ROUNDS; r++) {
      const a: LoadResult = await runLoad({ ...common, url: service, check: checker(scenario.checkService) });
      const b: LoadResult = await runLoad({ ...common, url: baseline, check: checker(scenario.checkBaseline) });
      failIf(a.errors > 0, `${scenario.name} (service): ${a.errors} errors, ${a.wrong} wrong; first: ${a.firstWrong}`);
      failIf(b.errors > 0, `${scenario.name} (baseline): ${b.errors} errors; first: ${b.firstWrong}`);
      const ratio = a.perSecond / b.perSecond;
      ratios.push(ratio);
      lines.push(
        `| ${scenario.name} | ${r} | ${round(a.perSecond)} | ${a.p50} / ${a.p99} | ${a.errors} | ${round(b.perSecond)} | ${b.p50} / ${b.p99} | ${b.errors} | ${round(ratio, 2)} |`,
      );
      process.stdout.write(`${lines.at(-1)}\n`);
    }
    summary.push(`| ${scenario.name} | ${round(median(ratios), 2)} |`);
  }
  return [...lines, '', '| scenario | median service/baseline ratio |', '|---|---|', ...summary];
}

async function memory(service: BenchProcess<{ url: string }>, sandbox: SandboxInfo): Promise<string[]> {
  const [scenario] = scenarios(sandbox.ids);
  const common = { url: service.info.url, headers: headers(sandbox.keys[0]!), body: scenario!.body, connections: CONNECTIONS, check: checker(scenario!.checkService) };
  const warm = await runLoad({ ...common, amount: MEMORY_WARMUP });
  failIf(warm.errors > 0, `memory warm-up: ${warm.errors} errors; first: ${warm.firstWrong}`);
  // RSS after each tenth of the run: a leak shows as a steady climb, heap sizing as a plateau.
  const steps = 10;
  const samples = [service.rss()];
  let calls = 0;
  let errors = 0;
  let firstWrong: string | undefined;
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    const run = await runLoad({ ...common, amount: MEMORY_CALLS / steps });
    calls += run.total;
    errors += run.errors;
    firstWrong ??= run.firstWrong;
    samples.push(service.rss());
  }
  const perSecond = calls / ((performance.now() - started) / 1000);
  failIf(errors > 0 || calls < MEMORY_CALLS, `memory run: ${calls} calls, ${errors} errors; first: ${firstWrong}`);
  const [before, after] = [samples[0]!, samples.at(-1)!];
  const growth = (after - before) / before;
  const series = samples.map((rss) => round(rss / MIB)).join(', ');
  const line = `${calls} calls of tools/call flux_get_task in a row (after ${MEMORY_WARMUP} warm-up calls): RSS ${round(before / MIB, 1)} MiB → ${round(after / MIB, 1)} MiB, growth ${round(growth * 100, 1)} % (goal: under 10 %); RSS after each ${MEMORY_CALLS / steps} calls (MiB): ${series}; ${round(perSecond)} calls/s, ${errors} errors`;
  process.stdout.write(`${line}\n`);
  return [line];
}

async function waits(service: BenchProcess<{ url: string }>, sandbox: SandboxInfo): Promise<string[]> {
  const agent = new Agent({ connections: WAITS + 10, keepAliveTimeout: 60_000 });
  const mcpUrl = service.info.url;
  // One pending task per waiting call, spread over keys at 10 waits each (the default per-key cap).
  const tasks: { key: string; id: string }[] = [];
  for (let i = 0; i < WAITS; i++) {
    const key = sandbox.keys[Math.floor(i / 10) % sandbox.keys.length]!;
    const answer = await request(`${sandbox.url}/flux/images`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'generate', prompt: `wait ${i}`, model: 'flux-dev', size: '1:1', async: true }),
    });
    tasks.push({ key, id: ((await answer.body.json()) as { task_id: string }).task_id });
  }
  const created = performance.now();
  const before = service.rss();
  const calls = tasks.map(async ({ key, id }) => {
    const answer = await request(mcpUrl, {
      method: 'POST',
      dispatcher: agent,
      headers: headers(key),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: id, wait_seconds: 45 } } }),
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
    const body = parse(await answer.body.text());
    const task = body?.result?.structuredContent?.result;
    return answer.statusCode === 200 && task?.task_id === id && task.status === 'succeeded';
  });
  let peak = before;
  let held = 0;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, service.rss());
    const metrics = await (await fetch(service.info.url.replace(/\/mcp$/, '/metrics'))).text();
    held = Math.max(held, Number(/^flux_mcp_active_waits (\d+)/m.exec(metrics)?.[1] ?? 0));
  }, 250);
  const outcomes = await Promise.all(calls);
  clearInterval(sampler);
  const answeredAfter = (performance.now() - created) / 1000;
  const correct = outcomes.filter(Boolean).length;
  await agent.close();
  failIf(correct !== WAITS, `waits: only ${correct} of ${WAITS} answered succeeded`);
  failIf(!SMOKE && peak - before > 512 * MIB, 'waits: RSS grew by more than 512 MiB');
  const perCall = (peak - before) / WAITS;
  const line = `${WAITS} waiting calls (wait_seconds 45, ${WAIT_KEYS} keys, 10 each) on tasks that settle ${GENERATION_MS / 1000} s after they were created: up to ${held} held at once; service RSS ${round(before / MIB, 1)} MiB before, peak ${round(peak / MIB, 1)} MiB while held (goal: under 512 MiB), about ${round(perCall / 1024, 1)} KiB per waiting call; ${correct} of ${WAITS} answered succeeded, the last ${round(answeredAfter, 1)} s after the last task was created`;
  process.stdout.write(`${line}\n`);
  return [line];
}

function writeResults(sections: Record<string, string[]>): void {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const cpu = os.cpus();
  const body = [
    start,
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} cores (${cpu[0]?.model.trim()}), ${round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}, Linux ${os.release()}.`,
    `Command: \`npm run bench\` (per scenario and target: ${WARMUP} s of warm-up, then ${ROUNDS} rounds of ${DURATION} s, alternating; ${CONNECTIONS} connections; autocannon on the same machine).`,
    '',
    ...Object.entries(sections).flatMap(([title, lines]) => [`### ${title}`, '', ...lines, '']),
    end,
  ].join('\n');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  writeFileSync(file, from === -1 ? `${text}\n${body}\n` : text.slice(0, from) + body + text.slice(to + end.length));
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const sandbox = await startProcess(['--import', 'tsx', 'bench/processes/sandbox.ts'], { BENCH_KEYS: String(WAIT_KEYS), BENCH_TASKS: '50', GENERATION_MS: String(GENERATION_MS) }, isSandbox);
  // Each part gets a fresh service process, so one part's heap does not colour the next one's RSS.
  const startService = () =>
    startProcess(
      ['dist/index.js'],
      {
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ACEDATACLOUD_API_BASE_URL: sandbox.info.url,
        RATE_LIMIT_PER_MINUTE: '1000000',
        NODE_ENV: 'production',
      },
      isListening,
      process.env.SERVICE_NODE_OPTIONS ? process.env.SERVICE_NODE_OPTIONS.split(' ') : [],
    );
  const sections: Record<string, string[]> = {};
  const parts: [string, string, (service: BenchProcess<{ url: string }>) => Promise<string[]>][] = [
    ['throughput', 'Throughput: service vs bare proxy', async (service) => {
      const baseline = await startProcess(['--import', 'tsx', 'bench/processes/bareProxy.ts'], { UPSTREAM_URL: sandbox.info.url }, isProxy);
      try {
        return await throughput(service.info.url, baseline.info.url, sandbox.info);
      } finally {
        await baseline.stop();
      }
    }],
    ['memory', 'Memory over many calls', (service) => memory(service, sandbox.info)],
    ['waits', 'Held waits', (service) => waits(service, sandbox.info)],
  ];
  try {
    for (const [id, title, run] of parts) {
      if (ONLY && ONLY !== id) continue;
      const service = await startService();
      try {
        sections[title] = await run(service);
      } finally {
        await service.stop();
      }
    }
  } finally {
    await sandbox.stop();
  }
  if (!SMOKE && !ONLY && !SCENARIO && process.exitCode !== 1) writeResults(sections);
  process.stdout.write(process.exitCode === 1 ? 'bench: FAILED\n' : `bench: ${SMOKE ? 'smoke run correct' : 'done'}\n`);
}

await main();
