import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface BenchProcess<Info> {
  readonly child: ChildProcess;
  readonly info: Info;
  /** Resident set size now, in bytes. */
  rss(): number;
  /** CPU time the process has used so far (user + system), in milliseconds. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Whether processes can be pinned: cores for the measured services apart from the load and the
 * upstream stub, so they never take turns on one core and rounds vary far less. Needs two cores
 * and `taskset`; `PIN=0` turns it off, `PIN=1` asks for it where it would be off by default.
 */
export function pinningWanted(byDefault: boolean): boolean {
  const asked = process.env.PIN === undefined ? byDefault : process.env.PIN !== '0';
  if (!asked || availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Core 0 for the load and the upstream stub, core 1 for the measured services, all threads of each; 'any' undoes it. */
export function pinTo(role: 'load' | 'measured' | 'any', pid: number | undefined): void {
  if (pid === undefined) return;
  const cores = role === 'load' ? '0' : role === 'measured' ? '1' : `0-${availableParallelism() - 1}`;
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/** Runs `load` and adds the CPU time `target` used meanwhile, per request answered. */
export async function withCpuPerCall<Result extends { total: number }>(
  target: Pick<BenchProcess<unknown>, 'cpuMs'>,
  load: () => Promise<Result>,
): Promise<Result & { cpuUsPerCall: number }> {
  const cpuBefore = target.cpuMs();
  const result = await load();
  return { ...result, cpuUsPerCall: ((target.cpuMs() - cpuBefore) * 1000) / Math.max(1, result.total) };
}

/**
 * Starts a process and waits for the first stdout line that parses as JSON and passes `accept`;
 * later output is discarded (but still read, so the process never blocks on a full pipe).
 */
export async function startProcess<Info>(
  args: string[],
  env: Record<string, string>,
  accept: (value: unknown) => value is Info,
  nodeOptions: string[] = [],
  cwd: string = ROOT,
): Promise<BenchProcess<Info>> {
  const child = spawn(process.execPath, [...nodeOptions, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<Info>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${stderr}`)), 30_000);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const value: unknown = JSON.parse(line);
          if (accept(value)) {
            clearTimeout(timer);
            // From now on the output is only drained, not parsed: it must not cost the benchmark CPU.
            child.stdout!.off('data', onData);
            child.stdout!.resume();
            resolve(value);
            return;
          }
        } catch {
          // not a JSON line
        }
      }
      if (buffer.length > 100_000) buffer = '';
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`${args.join(' ')} exited: ${stderr}`)));
  });
  return {
    child,
    info,
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    cpuMs() {
      // Fields 14 and 15 of /proc/<pid>/stat, counted after the parenthesised command name.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
    },
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** A process whose first JSON line names its URL (the upstream stub, the lean proxy). */
export const isUrl = (value: unknown): value is { url: string } => typeof value === 'object' && value !== null && 'url' in value;

/** The service's "listening" log line; its `url` is the MCP endpoint. */
export const isListening = (value: unknown): value is { url: string } =>
  typeof value === 'object' && value !== null && (value as { msg?: unknown }).msg === 'flux-mcp listening';

/**
 * Starts a built service (`dist/index.js` of `cwd`, this checkout by default) against `upstream`,
 * as in production but with the rate limits raised so they run without refusing.
 */
export function startBenchService(upstream: string, options: { cwd?: string; nodeOptions?: string[] } = {}): Promise<BenchProcess<{ url: string }>> {
  return startProcess(
    ['dist/index.js'],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ACEDATACLOUD_API_BASE_URL: upstream,
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      NODE_ENV: 'production',
    },
    isListening,
    options.nodeOptions,
    options.cwd,
  );
}
