/**
 * What the view reads from a tool result: `structuredContent.result` of flux_get_task (one task)
 * or flux_get_tasks_batch (tasks in request order, with counts). Parsed defensively: hosts cache
 * views and may hand one a result from another version of the server, or none at all.
 */

export const STATUSES = ['pending', 'succeeded', 'failed', 'not_found'] as const;
export type Status = (typeof STATUSES)[number];

export interface TaskImage {
  readonly url: string;
  readonly seed?: number;
}

export interface Task {
  readonly taskId: string;
  readonly status: Status;
  readonly images: readonly TaskImage[];
  readonly error?: { readonly code: string; readonly message: string };
  readonly createdAt?: string;
  readonly finishedAt?: string;
  readonly elapsedSeconds?: number;
  readonly model?: string;
  readonly prompt?: string;
  readonly size?: string;
  readonly action?: string;
  readonly pollAfterSeconds?: number;
}

export type Shown =
  | { readonly kind: 'single'; readonly task: Task }
  | { readonly kind: 'batch'; readonly tasks: readonly Task[]; readonly counts: Readonly<Record<Status, number>> };

type Loose = Record<string, unknown>;

function record(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isStatus(value: unknown): value is Status {
  return (STATUSES as readonly unknown[]).includes(value);
}

/** Only http(s) URLs become images; anything else could not be shown anyway. */
function images(value: unknown): TaskImage[] {
  if (!Array.isArray(value)) return [];
  const result: TaskImage[] = [];
  for (const item of value) {
    const url = text(record(item)?.url);
    if (url === undefined || !/^https?:\/\//i.test(url)) continue;
    const seed = number(record(item)?.seed);
    result.push(seed === undefined ? { url } : { url, seed });
  }
  return result;
}

function task(value: unknown): Task | undefined {
  const raw = record(value);
  const taskId = text(raw?.task_id);
  if (!raw || taskId === undefined || !isStatus(raw.status)) return undefined;
  const error = record(raw.error);
  const message = text(error?.message);
  return {
    taskId,
    status: raw.status,
    images: images(raw.images),
    ...(message !== undefined ? { error: { code: text(error?.code) ?? 'task_failed', message } } : {}),
    createdAt: text(raw.created_at),
    finishedAt: text(raw.finished_at),
    elapsedSeconds: number(raw.elapsed_seconds),
    model: text(raw.model),
    prompt: text(raw.prompt),
    size: text(raw.size),
    action: text(raw.action),
    pollAfterSeconds: number(raw.poll_after_seconds),
  };
}

export function countStatuses(tasks: readonly Task[]): Record<Status, number> {
  const counts: Record<Status, number> = { pending: 0, succeeded: 0, failed: 0, not_found: 0 };
  for (const each of tasks) counts[each.status]++;
  return counts;
}

/** The view model of a tool result's structured content, or undefined when it holds none. */
export function readResult(structuredContent: unknown): Shown | undefined {
  const result = record(record(structuredContent)?.result);
  if (!result) return undefined;
  if (Array.isArray(result.tasks)) {
    const tasks = result.tasks.map(task).filter((each): each is Task => each !== undefined);
    return { kind: 'batch', tasks, counts: countStatuses(tasks) };
  }
  const single = task(result);
  return single ? { kind: 'single', task: single } : undefined;
}

export function tasksOf(shown: Shown): readonly Task[] {
  return shown.kind === 'single' ? [shown.task] : shown.tasks;
}
