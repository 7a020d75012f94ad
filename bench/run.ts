/**
 * The benchmark suite: npm run bench (full, writes BENCHMARKS.md) or npm run bench:smoke (CI:
 * a few seconds, correctness only, no timing assertion, writes nothing).
 *
 * Throughput: the service (built, from dist/, as in production, logging at info, every check on)
 * against a lean bare proxy (keep-alive node:http in, one undici Pool request per call, no MCP),
 * both in front of a lean upstream stub that answers any id with one fixed succeeded record.
 * autocannon drives them in alternation (A B A B …) at 20 connections per scenario, in both
 * protocol eras, and checks every answer, so a fast wrong answer never scores; each target's CPU
 * time is read from /proc around every round. Then, against the sandbox Flux API: memory over
 * 200,000 calls in a row, and RSS while 2,000 waiting calls are held at once.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Agent, request } from 'undici';
import { runLoad, type LoadResult, type LoadStep } from './lib/load.js';
import { isUrl, pinningWanted, pinTo, startBenchService, startProcess, withCpuPerCall, type BenchProcess } from './lib/processes.js';
import { BATCH_IDS, TASK_ID } from './lib/tasks.js';

const SMOKE = process.argv.includes('--smoke');
/** Runs only these parts, comma-separated: throughput, memory, waits. */
const ONLY = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
/**
 * Another built checkout (e.g. the commit before a change) whose service runs as a third target
 * in the same rounds, for an A/B of the change: --compare=/path/to/checkout.
 */
const COMPARE = process.argv.find((arg) => arg.startsWith('--compare='))?.slice('--compare='.length);
/**
 * Throughput with the targets on one core and the load and upstream stub on the other, so that they
 * never take turns on a core: on by default for an A/B (--compare), whose ratio it steadies; PIN=1
 * or PIN=0 to choose.
 */
const PIN = !SMOKE && pinningWanted(COMPARE !== undefined);
/** Runs only the throughput scenarios with these ids, comma-separated (for profiling). */
const SCENARIOS = process.argv.find((arg) => arg.startsWith('--scenario='))?.slice('--scenario='.length).split(',');
const ROUNDS = SMOKE ? 1 : Number(process.env.ROUNDS ?? 3);
const DURATION = SMOKE ? 1 : Number(process.env.DURATION ?? 8);
/**
 * Seconds each target runs a scenario before the measured rounds (and, with FRESH=1, each fresh
 * process before its round), so JIT warm-up is not measured.
 */
const WARMUP = SMOKE ? 0 : Number(process.env.WARMUP ?? 3);
/**
 * Seconds of unmeasured load each target gets right before each of its rounds: a process left idle
 * while the others ran starts its round with cold caches and a heap V8 has shrunk meanwhile.
 */
const ROUND_WARMUP = SMOKE ? 0 : Number(process.env.ROUND_WARMUP ?? 1);
/**
 * FRESH=1 with --compare: each round after the first runs on fresh processes of both checkouts,
 * warmed for WARMUP s. One process of a build can settle into a steady state 20–30 % slower or
 * faster than another process of the same build and keep it for minutes, so rounds on one pair
 * of processes measure that pair's luck as much as the builds; fresh processes sample that luck,
 * but are measured young (BENCHMARKS.md says what each way showed).
 */
const FRESH = COMPARE !== undefined && process.env.FRESH === '1';
const CONNECTIONS = 20;
const MEMORY_CALLS = SMOKE ? 2_000 : 200_000;
const MEMORY_WARMUP = SMOKE ? 500 : 20_000;
const WAITS = SMOKE ? 40 : Number(process.env.WAITS ?? 2_000);
const WAIT_KEYS = Math.ceil(WAITS / 10);
const GENERATION_MS = SMOKE ? 3_000 : 25_000;
const MIB = 1024 * 1024;
const MODERN = '2026-07-28';
const LEGACY = '2025-06-18';
const BENCH_KEY = 'bench-key-0000';

interface SandboxInfo {
  url: string;
  keys: string[];
  ids: string[];
}
const isSandbox = (value: unknown): value is SandboxInfo => typeof value === 'object' && value !== null && 'ids' in value;

type Json = Record<string, any>;
function parse(body: string): Json | undefined {
  try {
    return JSON.parse(body) as Json;
  } catch {
    return undefined;
  }
}

type Era = 'legacy' | 'modern';

/** One request as both targets get it; each checks the answer in its own shape. */
interface Step {
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly service: (answer: Json) => boolean;
  readonly baseline: (answer: Json) => boolean;
  /** A notification: answered 202 with no body by both. */
  readonly accepted?: boolean;
}

interface Scenario {
  /** Short name for --scenario=. */
  readonly id: string;
  readonly name: string;
  readonly era: Era;
  readonly steps: readonly Step[];
}

function message(era: Era, id: number | undefined, method: string, params: Record<string, unknown> = {}): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    authorization: `Bearer ${BENCH_KEY}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': era === 'modern' ? MODERN : LEGACY,
  };
  let full = params;
  if (era === 'modern') {
    headers['mcp-method'] = method;
    if (typeof params.name === 'string') headers['mcp-name'] = params.name;
    full = {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN,
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
      },
    };
  }
  return { body: JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method, params: full }), headers };
}

const completeIn = (era: Era, result: Json | undefined) => (era === 'modern' ? result?.resultType === 'complete' : result?.resultType === undefined);

function taskCall(era: Era, id = 1): Step {
  return {
    ...message(era, id, 'tools/call', { name: 'flux_get_task', arguments: { task_id: TASK_ID } }),
    service: (a) => {
      const task = a.result?.structuredContent?.result;
      return a.id === id && task?.task_id === TASK_ID && task.status === 'succeeded' && task.images.length === 2 && !a.result.isError && completeIn(era, a.result);
    },
    baseline: (a) => a.result?.structuredContent?.id === TASK_ID && a.result.structuredContent.response?.success === true,
  };
}

function batchCall(era: Era): Step {
  return {
    ...message(era, 1, 'tools/call', { name: 'flux_get_tasks_batch', arguments: { task_ids: BATCH_IDS } }),
    service: (a) => {
      const batch = a.result?.structuredContent?.result;
      return batch?.counts?.succeeded === 50 && batch.tasks[0].task_id === BATCH_IDS[0] && batch.tasks[49].task_id === BATCH_IDS[49] && completeIn(era, a.result);
    },
    baseline: (a) => a.result?.structuredContent?.items?.length === 50,
  };
}

function toolsList(era: Era, id = 1): Step {
  return { ...message(era, id, 'tools/list'), service: (a) => a.result?.tools?.length === 2 && completeIn(era, a.result), baseline: (a) => a.result?.tools?.length === 2 };
}

const discover: Step = {
  ...message('modern', 1, 'server/discover'),
  service: (a) => a.result?.supportedVersions?.includes(MODERN) && a.result?.resultType === 'complete',
  baseline: (a) => a.result?.supportedVersions?.includes(MODERN),
};

const initialize: Step = {
  ...message('legacy', 1, 'initialize', { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'bench', version: '1' } }),
  service: (a) => a.result?.serverInfo?.name === 'flux-mcp',
  baseline: (a) => a.result?.serverInfo?.name === 'bare-proxy',
};

const initialized: Step = { ...message('legacy', undefined, 'notifications/initialized'), service: () => true, baseline: () => true, accepted: true };

function scenarios(): Scenario[] {
  return [
    { id: 'task-legacy', name: 'tools/call flux_get_task', era: 'legacy', steps: [taskCall('legacy')] },
    { id: 'task-modern', name: 'tools/call flux_get_task', era: 'modern', steps: [taskCall('modern')] },
    { id: 'batch-legacy', name: 'tools/call flux_get_tasks_batch (50 ids)', era: 'legacy', steps: [batchCall('legacy')] },
    { id: 'batch-modern', name: 'tools/call flux_get_tasks_batch (50 ids)', era: 'modern', steps: [batchCall('modern')] },
    { id: 'list-legacy', name: 'tools/list', era: 'legacy', steps: [toolsList('legacy')] },
    { id: 'list-modern', name: 'tools/list', era: 'modern', steps: [toolsList('modern')] },
    { id: 'init', name: 'initialize', era: 'legacy', steps: [initialize] },
    { id: 'discover', name: 'server/discover', era: 'modern', steps: [discover] },
    {
      id: 'session-legacy',
      name: 'session: initialize, initialized, tools/list, 3 calls',
      era: 'legacy',
      steps: [initialize, initialized, toolsList('legacy', 2), taskCall('legacy', 3), taskCall('legacy', 4), taskCall('legacy', 5)],
    },
    {
      id: 'session-modern',
      name: 'session: server/discover, tools/list, 3 calls',
      era: 'modern',
      steps: [discover, toolsList('modern', 2), taskCall('modern', 3), taskCall('modern', 4), taskCall('modern', 5)],
    },
  ];
}

function loadSteps(steps: readonly Step[], target: 'service' | 'baseline'): LoadStep[] {
  return steps.map((step) => ({
    body: step.body,
    headers: step.headers,
    check: (status: number, body: string) => {
      if (step.accepted) return status === 202 ? undefined : `HTTP ${status}`;
      if (status !== 200) return `HTTP ${status}`;
      const answer = parse(body);
      return answer && step[target](answer) ? undefined : 'wrong answer';
    },
  }));
}

/** The middle value; the mean of the two middle ones for an even count (an A/B reverses every other round). */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

function failIf(condition: boolean, message: string): void {
  if (condition) {
    process.stderr.write(`bench: FAILED: ${message}\n`);
    process.exitCode = 1;
  }
}

/** One measured run of a scenario against one target, with the CPU time the target used per request. */
function measured(target: BenchProcess<{ url: string }>, steps: LoadStep[]): Promise<LoadResult & { cpuUsPerCall: number }> {
  return withCpuPerCall(target, () => runLoad({ url: target.info.url, steps, connections: CONNECTIONS, duration: DURATION }));
}

/** Unmeasured load, `seconds` (WARMUP unless told) for each target in turn, so JIT warm-up is not measured. */
async function warmUp(targets: (BenchProcess<{ url: string }> | undefined)[], steps: LoadStep[], seconds = WARMUP): Promise<void> {
  if (seconds === 0) return;
  for (const target of targets) if (target) await runLoad({ url: target.info.url, steps, connections: CONNECTIONS, duration: seconds });
}

/** The services of this checkout and, for an A/B, of the other one; `renew` replaces both with fresh, pinned processes. */
interface Checkouts {
  service: BenchProcess<{ url: string }>;
  before?: BenchProcess<{ url: string }>;
  renew(): Promise<void>;
}

async function throughput(checkouts: Checkouts, baseline: BenchProcess<{ url: string }>): Promise<string[]> {
  const ab = checkouts.before !== undefined;
  const lines = [
    `| scenario | era | round | service calls/s | p50 / p99 ms | CPU µs/call | baseline calls/s | p50 / p99 ms | CPU µs/call | ratio |${ab ? ' before calls/s | CPU µs/call | service/before |' : ''}`,
    `|---|---|---|---|---|---|---|---|---|---|${ab ? '---|---|---|' : ''}`,
  ];
  const summary: string[] = [];
  const abSummary: string[] = [];
  for (const scenario of scenarios().filter((s) => !SCENARIOS || SCENARIOS.includes(s.id))) {
    const ratios: number[] = [];
    const abRatios: number[] = [];
    const cpu: number[] = [];
    const baselineCpu: number[] = [];
    const beforeCpu: number[] = [];
    const serviceSteps = loadSteps(scenario.steps, 'service');
    const baselineSteps = loadSteps(scenario.steps, 'baseline');
    await warmUp([checkouts.service, checkouts.before], serviceSteps);
    await warmUp([baseline], baselineSteps);
    for (let r = 1; r <= ROUNDS; r++) {
      if (ab && FRESH && r > 1) {
        await checkouts.renew();
        await warmUp([checkouts.service, checkouts.before], serviceSteps);
      }
      const { service, before } = checkouts;
      // With --compare, every other round runs in reverse (before, baseline, service): a target that
      // runs right after another heavy one pays for what it left in the caches, so each checkout
      // follows the baseline in half the rounds and itself in the other half.
      const targets: [BenchProcess<{ url: string }>, LoadStep[]][] = [[service, serviceSteps], [baseline, baselineSteps]];
      if (before) targets.push([before, serviceSteps]);
      if (before && r % 2 === 0) targets.reverse();
      const results = new Map<BenchProcess<{ url: string }>, Awaited<ReturnType<typeof measured>>>();
      for (const [target, steps] of targets) {
        await warmUp([target], steps, ROUND_WARMUP);
        results.set(target, await measured(target, steps));
      }
      const a = results.get(service)!;
      const b = results.get(baseline)!;
      const c = before && results.get(before);
      if (c) {
        failIf(c.errors > 0, `${scenario.id} (before): ${c.errors} errors, ${c.wrong} wrong; first: ${c.firstWrong}`);
        abRatios.push(a.perSecond / c.perSecond);
        beforeCpu.push(c.cpuUsPerCall);
      }
      failIf(a.errors > 0, `${scenario.id} (service): ${a.errors} errors, ${a.wrong} wrong; first: ${a.firstWrong}`);
      failIf(b.errors > 0, `${scenario.id} (baseline): ${b.errors} errors; first: ${b.firstWrong}`);
      const ratio = a.perSecond / b.perSecond;
      ratios.push(ratio);
      cpu.push(a.cpuUsPerCall);
      baselineCpu.push(b.cpuUsPerCall);
      lines.push(
        `| ${scenario.name} | ${scenario.era} | ${r} | ${round(a.perSecond)} | ${a.p50} / ${a.p99} | ${round(a.cpuUsPerCall)} | ${round(b.perSecond)} | ${b.p50} / ${b.p99} | ${round(b.cpuUsPerCall)} | ${round(ratio, 2)} |${c ? ` ${round(c.perSecond)} | ${round(c.cpuUsPerCall)} | ${round(a.perSecond / c.perSecond, 2)} |` : ''}`,
      );
      process.stdout.write(`${lines.at(-1)}\n`);
    }
    summary.push(`| ${scenario.name} | ${scenario.era} | ${round(median(ratios), 2)} | ${round(median(cpu))} | ${round(median(baselineCpu))} |`);
    if (ab) abSummary.push(`| ${scenario.name} | ${scenario.era} | ${round(median(abRatios), 2)} | ${round(median(cpu))} | ${round(median(beforeCpu))} |`);
  }
  const summaries = [
    '',
    '| scenario | era | median service/baseline ratio | service CPU µs per request (median) | baseline CPU µs per request |',
    '|---|---|---|---|---|',
    ...summary,
    ...(ab
      ? ['', `A/B against ${COMPARE} (same rounds):`, '', '| scenario | era | median service/before ratio | service CPU µs per request | before CPU µs per request |', '|---|---|---|---|---|', ...abSummary]
      : []),
  ];
  // The rounds were printed as they ran; a run that does not rewrite BENCHMARKS.md still shows its medians.
  process.stdout.write(`${summaries.join('\n')}\n\n`);
  return [...lines, ...summaries];
}

function bearer(key: string): Record<string, string> {
  return { ...message('legacy', 1, 'ping').headers, authorization: `Bearer ${key}` };
}

async function memory(service: BenchProcess<{ url: string }>, sandbox: SandboxInfo): Promise<string[]> {
  // Alternating eras, against the sandbox (which checks the key and keeps per-key task stores).
  const steps: LoadStep[] = (['legacy', 'modern'] as const).map((era) => {
    const call = message(era, 1, 'tools/call', { name: 'flux_get_task', arguments: { task_id: sandbox.ids[0] } });
    return {
      body: call.body,
      headers: call.headers,
      check: (status: number, body: string) => {
        const task = parse(body)?.result?.structuredContent?.result;
        return status === 200 && task?.task_id === sandbox.ids[0] && task.status === 'succeeded' ? undefined : `HTTP ${status}`;
      },
    };
  });
  const common = { url: service.info.url, steps, connections: CONNECTIONS };
  const warm = await runLoad({ ...common, amount: MEMORY_WARMUP });
  failIf(warm.errors > 0, `memory warm-up: ${warm.errors} errors; first: ${warm.firstWrong}`);
  // RSS after each tenth of the run: a leak shows as a steady climb, heap sizing as a plateau.
  const tenths = 10;
  const samples = [service.rss()];
  let calls = 0;
  let errors = 0;
  let firstWrong: string | undefined;
  const started = performance.now();
  for (let tenth = 0; tenth < tenths; tenth++) {
    const run = await runLoad({ ...common, amount: MEMORY_CALLS / tenths });
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
  const line = `${calls} calls of tools/call flux_get_task in a row, the eras alternating (after ${MEMORY_WARMUP} warm-up calls): RSS ${round(before / MIB, 1)} MiB → ${round(after / MIB, 1)} MiB, growth ${round(growth * 100, 1)} % (goal: under 10 %); RSS after each ${MEMORY_CALLS / tenths} calls (MiB): ${series}; ${round(perSecond)} calls/s, ${errors} errors`;
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
  let firstWrong: string | undefined;
  const calls = tasks.map(async ({ key, id }) => {
    const answer = await request(mcpUrl, {
      method: 'POST',
      dispatcher: agent,
      headers: bearer(key),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: id, wait_seconds: 45 } } }),
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
    const text = await answer.body.text();
    const task = parse(text)?.result?.structuredContent?.result;
    const succeeded = answer.statusCode === 200 && task?.task_id === id && task.status === 'succeeded';
    if (!succeeded) firstWrong ??= `HTTP ${answer.statusCode}: ${text.slice(0, 300)}`;
    return succeeded;
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
  failIf(correct !== WAITS, `waits: only ${correct} of ${WAITS} answered succeeded; first other answer: ${firstWrong}`);
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
    `Command: \`npm run bench\` (per scenario and target: ${WARMUP} s of warm-up, then ${ROUNDS} rounds of ${DURATION} s, alternating, each after ${ROUND_WARMUP} s unmeasured${FRESH ? ', the checkouts on fresh processes every round' : ''}; ${CONNECTIONS} connections; autocannon on the same machine${PIN ? '; targets pinned to one core, autocannon and the upstream stub to the other' : ''}).`,
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
  const startService = (upstream: string, cwd?: string) =>
    startBenchService(upstream, { cwd, nodeOptions: process.env.SERVICE_NODE_OPTIONS ? process.env.SERVICE_NODE_OPTIONS.split(' ') : [] });
  const sections: Record<string, string[]> = {};
  try {
    if (!ONLY || ONLY.split(',').includes('throughput')) {
      const upstream = await startProcess(['--import', 'tsx', 'bench/processes/leanUpstream.ts'], {}, isUrl);
      const baseline = await startProcess(['--import', 'tsx', 'bench/processes/leanProxy.ts'], { UPSTREAM_URL: upstream.info.url }, isUrl);
      if (PIN) {
        for (const pid of [process.pid, upstream.child.pid]) pinTo('load', pid);
        pinTo('measured', baseline.child.pid);
      }
      const startCheckouts = async () => {
        const service = await startService(upstream.info.url);
        const before = COMPARE ? await startService(upstream.info.url, COMPARE) : undefined;
        if (PIN) for (const target of [service, before]) pinTo('measured', target?.child.pid);
        return { service, before };
      };
      const checkouts: Checkouts = {
        ...(await startCheckouts()),
        async renew() {
          await Promise.all([this.service.stop(), this.before?.stop()]);
          Object.assign(this, await startCheckouts());
        },
      };
      try {
        sections['Throughput: service vs lean proxy'] = await throughput(checkouts, { ...baseline, info: { url: `${baseline.info.url}/mcp` } });
      } finally {
        await Promise.all([checkouts.service.stop(), baseline.stop(), checkouts.before?.stop()]);
        await upstream.stop();
        if (PIN) pinTo('any', process.pid);
      }
    }
    for (const [id, title, run] of [
      ['memory', 'Memory over many calls', memory],
      ['waits', 'Held waits', waits],
    ] as const) {
      if (ONLY && !ONLY.split(',').includes(id)) continue;
      const service = await startService(sandbox.info.url);
      try {
        sections[title] = await run(service, sandbox.info);
      } finally {
        await service.stop();
      }
    }
  } finally {
    await sandbox.stop();
  }
  if (!SMOKE && !ONLY && !SCENARIOS && process.exitCode !== 1) writeResults(sections);
  process.stdout.write(process.exitCode === 1 ? 'bench: FAILED\n' : `bench: ${SMOKE ? 'smoke run correct' : 'done'}\n`);
}

await main();
