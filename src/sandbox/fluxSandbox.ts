import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { placeholderPng } from './placeholderPng.js';

/**
 * A local stand-in for AceDataCloud's Flux API that follows its published contract
 * (`POST /flux/tasks` retrieve / retrieve_batch, `POST /flux/images`): per-key task stores, `{}` for
 * unknown ids, batch paging at 12 unless `limit` is sent, errors in the documented shape, a log of
 * every request received, and switchable faults. Tests, the demo and the benchmarks all use it.
 */

export type SandboxOutcome = 'succeeded' | 'failed' | 'unsettled';

export interface SandboxTaskSpec {
  /** Task id; a random UUID when omitted. */
  readonly id?: string;
  /** How the task ends once settled. `unsettled` sets `finished_at` without a response. */
  readonly outcome?: SandboxOutcome;
  /** How long ago the task was created, in milliseconds (default 0: now). */
  readonly ageMs?: number;
  /** Milliseconds after creation at which the task settles (0: settled from the start). */
  readonly settleAfterMs?: number;
  /** Alternatively, how many retrievals still see it pending before it settles. */
  readonly settleAfterPolls?: number;
  readonly prompt?: string;
  readonly model?: string;
  readonly size?: string;
  readonly action?: 'generate' | 'edit';
  /** Images produced on success (default 1). */
  readonly images?: number;
  /** Error reported on failure. */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Fills a fault message's placeholders with the caller's token the ways an upstream might echo it:
 * {token} as sent, {token_upper} re-cased, {token_url} URL-encoded, {token_base64} base64'd,
 * {token_basic} as the base64 of a Basic credential `user:token`.
 */
function echoToken(message: string, token: string): string {
  return message
    .replaceAll('{token_upper}', token.toUpperCase())
    .replaceAll('{token_url}', encodeURIComponent(token))
    .replaceAll('{token_base64}', Buffer.from(token).toString('base64'))
    .replaceAll('{token_basic}', Buffer.from(`user:${token}`).toString('base64'))
    .replaceAll('{token}', token);
}

export type SandboxFault =
  | { readonly kind: 'status'; readonly status: number; readonly code?: string; readonly message?: string; readonly retryAfter?: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' }
  /** Answers 200 at once, then sends the body one byte at a time, every `intervalMs`, without end. */
  | { readonly kind: 'drip'; readonly intervalMs: number }
  | { readonly kind: 'html'; readonly status?: number }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: number }
  | { readonly kind: 'bare_error'; readonly status: number; readonly message: string };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
  /** The bearer token the request carried, if any. */
  readonly token: string | undefined;
  readonly at: number;
}

export interface FluxSandboxOptions {
  readonly host?: string;
  readonly port?: number;
  /** Page size of batch answers when no `limit` is sent (the provider's is 12). */
  readonly defaultPageSize?: number;
  /** Largest page it will send whatever `limit` asks for (default: no cap), to test paging. */
  readonly maxPageSize?: number;
  /** How long tasks submitted through `/flux/images` take to settle. */
  readonly generationMs?: number;
  /** Fixed extra latency for every answer, in milliseconds. */
  readonly latencyMs?: number;
  /** Keep a log of received requests (turn off for long benchmarks). */
  readonly recordRequests?: boolean;
}

interface StoredTask {
  readonly spec: Required<Pick<SandboxTaskSpec, 'outcome' | 'action' | 'model' | 'prompt' | 'size'>> & SandboxTaskSpec;
  readonly id: string;
  readonly traceId: string;
  readonly createdAt: number;
  polls: number;
  settledAt: number | undefined;
}

export const SANDBOX_MODELS = [
  'flux-dev',
  'flux-pro',
  'flux-kontext-pro',
  'flux-kontext-max',
  'flux-2-flex',
  'flux-2-pro',
  'flux-2-max',
  'flux-2-klein',
] as const;

const MAX_BODY_BYTES = 1024 * 1024;

function readToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export class FluxSandbox {
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #stores = new Map<string, Map<string, StoredTask>>();
  readonly #faults: { fault: SandboxFault; remaining: number }[] = [];
  readonly #options: Required<Omit<FluxSandboxOptions, 'host' | 'port'>>;
  readonly #hanging = new Set<ServerResponse>();
  #inFlight = 0;
  #peakInFlight = 0;

  private constructor(server: Server, url: string, options: FluxSandboxOptions) {
    this.#server = server;
    this.url = url;
    this.#options = {
      defaultPageSize: options.defaultPageSize ?? 12,
      maxPageSize: options.maxPageSize ?? Number.MAX_SAFE_INTEGER,
      generationMs: options.generationMs ?? 8_000,
      latencyMs: options.latencyMs ?? 0,
      recordRequests: options.recordRequests ?? true,
    };
  }

  static async start(options: FluxSandboxOptions = {}): Promise<FluxSandbox> {
    let sandbox: FluxSandbox | undefined;
    const server = createServer((req, res) => {
      sandbox?.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 30_000;
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    sandbox = new FluxSandbox(server, `http://${host.includes(':') ? `[${host}]` : host}:${port}`, options);
    return sandbox;
  }

  /** Requests being answered (or held by a hang fault) now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most requests it has been answering at one time. */
  get peakInFlight(): number {
    return this.#peakInFlight;
  }

  /** Registers an API key the sandbox accepts; each key has its own task store. */
  addKey(key: string): this {
    if (!this.#stores.has(key)) this.#stores.set(key, new Map());
    return this;
  }

  /** Forgets an API key and its tasks, as when its owner rotates it: the key is rejected from now on. */
  removeKey(key: string): this {
    this.#stores.delete(key);
    return this;
  }

  /** Adds a task to `key`'s store and returns its id. */
  addTask(key: string, spec: SandboxTaskSpec = {}): string {
    this.addKey(key);
    const id = spec.id ?? randomUUID();
    const task: StoredTask = {
      spec: {
        outcome: 'succeeded',
        action: 'generate',
        model: 'flux-dev',
        prompt: 'a lighthouse on a cliff at dawn, watercolor',
        size: '1:1',
        ...spec,
      },
      id,
      traceId: randomUUID(),
      createdAt: Date.now() - (spec.ageMs ?? 0),
      polls: 0,
      settledAt: undefined,
    };
    if ((spec.settleAfterMs ?? 0) <= 0 && spec.settleAfterPolls === undefined) task.settledAt = task.createdAt;
    this.#stores.get(key)!.set(id, task);
    return id;
  }

  /** Makes the next `times` requests (Infinity: every request until cleared) meet `fault`. */
  injectFault(fault: SandboxFault, times = 1): this {
    this.#faults.push({ fault, remaining: times });
    return this;
  }

  clearFaults(): this {
    this.#faults.length = 0;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    return this;
  }

  clearRequests(): this {
    this.requests.length = 0;
    return this;
  }

  /** Requests to `/flux/tasks` received so far. */
  taskRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/flux/tasks');
  }

  async close(): Promise<void> {
    this.clearFaults();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  private nextFault(): SandboxFault | undefined {
    const next = this.#faults[0];
    if (!next) return undefined;
    next.remaining--;
    if (next.remaining <= 0) this.#faults.shift();
    return next.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight++;
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
    res.once('close', () => this.#inFlight--);
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const token = readToken(req.headers.authorization);
    let body: unknown = raw;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      // keep the raw text
    }
    if (this.#options.recordRequests) {
      this.requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, body, token, at: Date.now() });
    }

    if (req.method === 'GET' && path.startsWith('/cdn/flux/')) {
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=86400' }).end(placeholderPng(path));
      return;
    }

    if (this.#options.latencyMs > 0) await sleep(this.#options.latencyMs);
    const fault = this.nextFault();
    if (fault && (await this.applyFault(fault, res, token))) return;

    if (req.method !== 'POST' || (path !== '/flux/tasks' && path !== '/flux/images')) {
      this.sendError(res, 404, 'no_api', `No API at ${req.method} ${path}.`);
      return;
    }
    if (token === undefined) {
      this.sendError(res, 400, 'no_token', 'No token was provided: send "authorization: Bearer <token>".');
      return;
    }
    const store = this.#stores.get(token);
    if (!store) {
      this.sendError(res, 401, 'invalid_token', 'The token is invalid.');
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      this.sendError(res, 400, 'bad_request', 'The body must be a JSON object.');
      return;
    }
    if (path === '/flux/tasks') this.answerTasks(store, body as Record<string, unknown>, res);
    else await this.answerImages(token, body as Record<string, unknown>, res);
  }

  /** Applies a fault; returns false when the request should then be answered normally. */
  private async applyFault(fault: SandboxFault, res: ServerResponse, token: string | undefined): Promise<boolean> {
    switch (fault.kind) {
      case 'delay':
        await sleep(fault.ms);
        return false;
      case 'reset':
        res.socket?.destroy();
        return true;
      case 'hang':
        this.#hanging.add(res);
        res.once('close', () => this.#hanging.delete(res));
        return true;
      case 'drip': {
        this.#hanging.add(res);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const drip = setInterval(() => res.write(' '), fault.intervalMs);
        res.once('close', () => {
          clearInterval(drip);
          this.#hanging.delete(res);
        });
        return true;
      }
      case 'html':
        res
          .writeHead(fault.status ?? 502, { 'content-type': 'text/html' })
          .end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>');
        return true;
      case 'redirect':
        res.writeHead(fault.status ?? 307, { location: fault.location }).end();
        return true;
      case 'bare_error':
        sendJson(res, fault.status, { error: fault.message, success: false });
        return true;
      case 'status': {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        const code = fault.code ?? defaultCode(fault.status);
        const message = echoToken(fault.message ?? `Sandbox fault ${fault.status}.`, token ?? '');
        sendJson(res, fault.status, { success: false, error: { code, message }, trace_id: randomUUID() }, headers);
        return true;
      }
    }
  }

  private sendError(res: ServerResponse, status: number, code: string, message: string): void {
    sendJson(res, status, { success: false, error: { code, message }, trace_id: randomUUID() });
  }

  private answerTasks(store: Map<string, StoredTask>, body: Record<string, unknown>, res: ServerResponse): void {
    if (body.action === 'retrieve') {
      const task = typeof body.id === 'string' ? store.get(body.id) : undefined;
      sendJson(res, 200, task ? this.record(task) : {});
      return;
    }
    if (body.action === 'retrieve_batch') {
      if (!Array.isArray(body.ids)) {
        this.sendError(res, 400, 'bad_request', 'ids must be a list.');
        return;
      }
      const wanted = new Set(body.ids.filter((id): id is string => typeof id === 'string'));
      // The shared store answers in its own order (newest first), not in the order asked.
      const matched = [...store.values()].filter((task) => wanted.has(task.id)).reverse();
      const offset = nonNegativeInt(body.offset) ?? 0;
      const limit = Math.min(nonNegativeInt(body.limit) ?? this.#options.defaultPageSize, this.#options.maxPageSize);
      const page = matched.slice(offset, offset + limit).map((task) => this.record(task));
      sendJson(res, 200, { items: page, count: matched.length });
      return;
    }
    this.sendError(res, 400, 'bad_request', 'action must be retrieve or retrieve_batch.');
  }

  private async answerImages(token: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const { action, prompt, model, size, image_url: imageUrl } = body;
    if (action !== 'generate' && action !== 'edit') return this.sendError(res, 400, 'bad_request', 'action must be generate or edit.');
    if (typeof prompt !== 'string' || prompt.trim() === '') return this.sendError(res, 400, 'bad_request', 'prompt is required.');
    if (typeof size !== 'string' || size === '') return this.sendError(res, 400, 'bad_request', 'size is required.');
    const chosenModel = typeof model === 'string' ? model : 'flux-dev';
    if (!(SANDBOX_MODELS as readonly string[]).includes(chosenModel)) {
      return this.sendError(res, 400, 'bad_request', `Unknown model ${chosenModel}.`);
    }
    if (action === 'edit' && typeof imageUrl !== 'string') return this.sendError(res, 400, 'bad_request', 'image_url is required to edit.');
    const count = action === 'generate' && typeof body.count === 'number' ? Math.min(Math.max(1, Math.trunc(body.count)), 4) : 1;
    const id = this.addTask(token, {
      action,
      prompt,
      model: chosenModel,
      size,
      images: count,
      settleAfterMs: this.#options.generationMs,
    });
    const task = this.#stores.get(token)!.get(id)!;
    if (body.async === true) {
      sendJson(res, 200, { task_id: id, trace_id: task.traceId });
      return;
    }
    await sleep(this.#options.generationMs);
    sendJson(res, 200, this.record(task).response);
  }

  /** The task as the Flux API would show it now; each look counts as a poll. */
  private record(task: StoredTask): Record<string, unknown> {
    task.polls++;
    const now = Date.now();
    const { spec } = task;
    if (task.settledAt === undefined) {
      const byTime = spec.settleAfterMs !== undefined && now - task.createdAt >= spec.settleAfterMs;
      const byPolls = spec.settleAfterPolls !== undefined && task.polls > spec.settleAfterPolls;
      if (byTime || byPolls) task.settledAt = byTime ? task.createdAt + spec.settleAfterMs! : now;
    }
    const record: Record<string, unknown> = {
      id: task.id,
      type: 'images',
      trace_id: task.traceId,
      api_id: 'sandbox-flux-api',
      application_id: 'sandbox-application',
      user_id: null,
      credential_id: null,
      created_at: task.createdAt / 1000,
      started_at: (task.createdAt + 60) / 1000,
      request: {
        action: spec.action,
        prompt: spec.prompt,
        model: spec.model,
        size: spec.size,
        ...(spec.action === 'generate' ? { count: spec.images ?? 1 } : { image_url: 'https://example.com/source.png' }),
        async: true,
      },
    };
    if (task.settledAt === undefined) return record;
    record.finished_at = task.settledAt / 1000;
    record.elapsed = round2((task.settledAt - task.createdAt) / 1000);
    if (spec.outcome === 'unsettled') return record;
    const base = { task_id: task.id, trace_id: task.traceId };
    record.response =
      spec.outcome === 'succeeded'
        ? {
            success: true,
            ...base,
            data: Array.from({ length: spec.images ?? 1 }, (_, index) => ({
              prompt: spec.prompt,
              image_url: `${this.url}/cdn/flux/${task.id}${index === 0 ? '' : `-${index}`}.png`,
              seed: 281520112 + index,
              timings: index % 2 === 0 ? { inference: 3.19 } : 3.2,
            })),
            cost: 0.02,
          }
        : { success: false, ...base, error: spec.error ?? { code: 'api_error', message: 'fetch failed' } };
    return record;
  }
}

function defaultCode(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'invalid_token';
    case 403:
      return 'used_up';
    case 404:
      return 'no_api';
    case 429:
      return 'too_many_requests';
    case 503:
      return 'service_unavailable';
    default:
      return 'api_error';
  }
}

function nonNegativeInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
