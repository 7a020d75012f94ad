import { spawn, type ChildProcess } from 'node:child_process';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Base URL, from the service's own "listening" log line. */
  readonly url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
}

export interface SpawnOptions {
  /** Node arguments; the TypeScript entry point by default. */
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
}

/** Starts the service in its own process, as `npm start` would, and waits until it listens. */
export async function spawnService(env: Record<string, string>, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? ['--import', 'tsx', 'src/index.ts'])], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 20_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)\/mcp"[^\n]*"msg":"flux-mcp listening"/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', look);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then(() => reject(new Error(`service exited early:\n${output}`)));
  });
  return { child, url, output: () => output, exited };
}
