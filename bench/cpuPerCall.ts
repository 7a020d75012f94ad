/**
 * CPU time per `tools/call flux_get_task` (with TOOL=batch, `flux_get_tasks_batch` of 50 ids) of
 * several built checkouts, in the same run: each checkout's service (from its own `dist/`) answers
 * a fixed number of calls in turn, round after round, against one lean upstream stub, and the CPU
 * time its process used is divided by the calls.
 * For an A/B of a change between two commits, neither of which need be this checkout (each built
 * with `npm run build`, its node_modules installed or linked):
 *
 *   node --import tsx bench/cpuPerCall.ts /path/to/before /path/to/after
 *   ERA=modern ROUNDS=10 CALLS=12000 node --import tsx bench/cpuPerCall.ts …
 *
 * Every answer is checked. Each set of service processes (one for the run, or fresh ones every
 * ROUNDS_PER_PROCESS rounds) first answers a round of calls that does not count, and each turn
 * starts with unmeasured calls (WARM_EACH, a sixth of CALLS by default). The machine's
 * noise moves single rounds by up to ±25 % when nothing is pinned, hence many rounds and the
 * median and lower quartile; with the services alone on a core of their own, about ±8 %. Rounds of
 * 4,000 calls proved too short: they showed `main` at 1.01–1.03 of `8db0eb6` where rounds of
 * 16,000 showed 1.11–1.15 (BENCHMARKS.md), so a round is 12,000 calls unless told otherwise.
 */
import { runLoad, type LoadStep } from './lib/load.js';
import { isUrl, pinningWanted, pinTo, startBenchService, startProcess, withCpuPerCall, type BenchProcess } from './lib/processes.js';
import { BATCH_IDS, TASK_ID } from './lib/tasks.js';

const checkouts = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const ERA = process.env.ERA === 'modern' ? 'modern' : 'legacy';
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const CALLS = Number(process.env.CALLS ?? 12_000);
/**
 * Calls each service answers unmeasured right before each of its turns: one left idle while the
 * others ran starts with cold caches and a heap V8 has shrunk meanwhile.
 */
const WARM_EACH = Number(process.env.WARM_EACH ?? Math.round(CALLS / 6));
/**
 * Rounds each set of service processes serves before fresh ones replace it (0, the default: one
 * set for the whole run). A process can settle into a steady state that differs from another
 * process of the same build by 20–30 % for minutes; fresh processes every round (1) sample that
 * spread, at the price of measuring processes only CALLS calls old.
 */
const ROUNDS_PER_PROCESS = Number(process.env.ROUNDS_PER_PROCESS ?? 0);
// The services on the second core, this process and the upstream stub on the first (PIN=0 turns it off).
const PIN = pinningWanted(true);
const BATCH = process.env.TOOL === 'batch';
const TOOL = BATCH ? 'flux_get_tasks_batch' : 'flux_get_task';
const ARGUMENTS = BATCH ? { task_ids: BATCH_IDS } : { task_id: TASK_ID };

function callRequest(): Pick<LoadStep, 'body' | 'headers'> {
  const headers: Record<string, string> = {
    authorization: 'Bearer bench-key-0000',
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': ERA === 'modern' ? '2026-07-28' : '2025-06-18',
  };
  const params: Record<string, unknown> = { name: TOOL, arguments: ARGUMENTS };
  if (ERA === 'modern') {
    headers['mcp-method'] = 'tools/call';
    headers['mcp-name'] = TOOL;
    params._meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  }
  return { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params }), headers };
}

const quantile = (values: readonly number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * q)]!;

const STEP: LoadStep = {
  ...callRequest(),
  check: (status, answer) => (status === 200 && answer.includes('"succeeded"') && !answer.includes('"isError":true') ? undefined : `HTTP ${status}`),
};

/** `amount` checked calls to `service` at 20 connections. */
function callsTo(service: BenchProcess<{ url: string }>, amount: number) {
  return runLoad({ url: service.info.url, steps: [STEP], connections: 20, amount });
}

/** One service per checkout, pinned, each past a first round of calls that does not count (its code is still being optimised). */
async function startServices(upstream: string): Promise<BenchProcess<{ url: string }>[]> {
  const services = [];
  for (const checkout of checkouts) services.push(await startBenchService(upstream, { cwd: checkout }));
  if (PIN) for (const service of services) pinTo('measured', service.child.pid);
  for (const service of services) await callsTo(service, CALLS);
  return services;
}

async function main(): Promise<void> {
  if (checkouts.length === 0) throw new Error('usage: node --import tsx bench/cpuPerCall.ts <checkout> [<checkout> …]');
  const upstream = await startProcess(['--import', 'tsx', 'bench/processes/leanUpstream.ts'], {}, isUrl);
  if (PIN) {
    pinTo('load', process.pid);
    pinTo('load', upstream.child.pid);
  }
  const perCall: number[][] = checkouts.map(() => []);
  let services: BenchProcess<{ url: string }>[] = [];
  const stopServices = async () => {
    for (const service of services) await service.stop();
    services = [];
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      if (services.length === 0 || (ROUNDS_PER_PROCESS > 0 && round % ROUNDS_PER_PROCESS === 0)) {
        await stopServices();
        services = await startServices(upstream.info.url);
      }
      // Each round starts with the next checkout: a service that runs right after another one on
      // the same core pays for what that one left in the caches, and no checkout should always do.
      for (let turn = 0; turn < services.length; turn++) {
        const i = (round + turn) % services.length;
        const service = services[i]!;
        if (WARM_EACH > 0) await callsTo(service, WARM_EACH);
        const result = await withCpuPerCall(service, () => callsTo(service, CALLS));
        if (result.errors > 0) throw new Error(`${checkouts[i]}: ${result.errors} failed calls (${result.firstWrong ?? 'transport errors'})`);
        perCall[i]!.push(result.cpuUsPerCall);
      }
    }
  } finally {
    await stopServices();
    await upstream.stop();
  }
  console.log(`tools/call ${TOOL}, ${ERA} era: CPU µs per call over ${ROUNDS} rounds of ${CALLS} calls`);
  // A slow spell of the machine hits the checkouts of one round alike: the ratio within each round
  // is steadier than the ratio of medians taken over all rounds.
  console.log('| checkout | median | lower quartile | ratio of medians to the first | median of per-round ratios to the first |');
  console.log('|---|---|---|---|---|');
  const first = quantile(perCall[0]!, 0.5);
  for (const [i, checkout] of checkouts.entries()) {
    const median = quantile(perCall[i]!, 0.5);
    const paired = quantile(perCall[i]!.map((value, round) => value / perCall[0]![round]!), 0.5);
    console.log(`| ${checkout} | ${median.toFixed(0)} | ${quantile(perCall[i]!, 0.25).toFixed(0)} | ${(median / first).toFixed(2)} | ${paired.toFixed(2)} |`);
  }
  console.log('Rounds, µs per call:');
  for (const [i, checkout] of checkouts.entries()) {
    console.log(`${checkout}: ${perCall[i]!.map((value) => value.toFixed(0)).join(' ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
