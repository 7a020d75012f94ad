import { z } from 'zod';
import type { FluxTaskRecord } from './client.js';
import { isoTimeOfSeconds } from './isoTime.js';

export const TASK_STATUSES = ['pending', 'succeeded', 'failed', 'not_found'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The normalised view of one Flux task: what both tools return, per task. */
export const taskSchema = z.object({
  task_id: z.string().describe('The task id that was asked for.'),
  status: z
    .enum(TASK_STATUSES)
    .describe(
      'pending: still running, ask again later. succeeded: images are ready. failed: settled without images, see error. not_found: the Flux API knows no task with this id for this API key.',
    ),
  images: z
    .array(
      z.object({
        url: z.string().describe('Public URL of the generated image on the provider CDN.'),
        seed: z.number().int().optional().describe('Seed the image was generated with, when reported.'),
        prompt: z.string().optional().describe('Prompt as the model used it for this image, when reported.'),
      }),
    )
    .describe('Generated images; empty unless status is succeeded.'),
  error: z
    .object({
      code: z.string().describe('Machine-readable reason, e.g. api_error.'),
      message: z.string().describe('Human-readable reason the task failed.'),
    })
    .optional()
    .describe('Why the task failed; present only when status is failed.'),
  created_at: z.string().optional().describe('When the task was created (ISO 8601, UTC).'),
  finished_at: z.string().optional().describe('When the task settled (ISO 8601, UTC); absent while pending.'),
  elapsed_seconds: z.number().optional().describe('Seconds the task took to settle; absent while pending.'),
  action: z.string().optional().describe('The submitted action: generate or edit.'),
  model: z.string().optional().describe('The Flux model the task was submitted with, e.g. flux-dev.'),
  prompt: z.string().optional().describe('The prompt the task was submitted with.'),
  size: z.string().optional().describe('The requested size or aspect ratio, e.g. 1:1 or 1024x1024.'),
  poll_after_seconds: z
    .number()
    .int()
    .optional()
    .describe('Only while pending: seconds to wait before asking about this task again.'),
});

export type Task = z.infer<typeof taskSchema>;
export type TaskImage = Task['images'][number];

const MAX_TEXT = 4000;
const MAX_IMAGES = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, max = MAX_TEXT): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Unix seconds (number or numeric string) to a finite number, else undefined. */
function unixSeconds(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

function isoTime(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : isoTimeOfSeconds(seconds);
}

function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  return /^https?:\/\/\S+$/i.test(value) ? value : undefined;
}

function images(data: unknown): TaskImage[] {
  if (!Array.isArray(data)) return [];
  const result: TaskImage[] = [];
  for (const item of data.slice(0, MAX_IMAGES)) {
    if (!isRecord(item)) continue;
    const url = httpUrl(item.image_url) ?? httpUrl(item.url);
    if (!url) continue;
    const image: TaskImage = { url };
    if (typeof item.seed === 'number' && Number.isSafeInteger(item.seed)) image.seed = item.seed;
    const prompt = text(item.prompt);
    if (prompt) image.prompt = prompt;
    result.push(image);
  }
  return result;
}

function failure(response: Record<string, unknown> | undefined): { code: string; message: string } {
  const error = response?.error;
  if (isRecord(error)) {
    return {
      code: text(error.code, 64) ?? 'task_failed',
      message: text(error.message, 500) ?? 'The task failed without a reason.',
    };
  }
  if (typeof error === 'string' && error !== '') return { code: 'task_failed', message: text(error, 500)! };
  return { code: 'task_failed', message: 'The task failed without a reason.' };
}

/** Seconds to wait before polling a pending task again: sooner while young, less often later. */
export function pollAfterSeconds(createdAtSeconds: number | undefined, nowMs: number): number {
  if (createdAtSeconds === undefined) return 5;
  const age = nowMs / 1000 - createdAtSeconds;
  if (age < 15) return 3;
  if (age < 60) return 5;
  return 10;
}

export function notFoundTask(taskId: string): Task {
  return { task_id: taskId, status: 'not_found', images: [] };
}

/**
 * Derives status and result from an upstream record, following the provider's rules: no
 * `response` and no `finished_at` is pending; `success: true` is succeeded; `success: false` or an
 * error is failed; settled without either is failed too, never pending. Never throws on odd shapes.
 */
export function normaliseTask(taskId: string, record: FluxTaskRecord | undefined, nowMs = Date.now()): Task {
  if (!record || typeof record.id !== 'string' || record.id === '') return notFoundTask(taskId);

  const response = isRecord(record.response) ? record.response : undefined;
  const createdAt = unixSeconds(record.created_at);
  const finishedAt = unixSeconds(record.finished_at);
  const task: Task = { task_id: taskId, status: 'pending', images: [] };

  if (response?.success === true) {
    task.status = 'succeeded';
    task.images = images(response.data);
  } else if (response !== undefined || finishedAt !== undefined) {
    task.status = 'failed';
    task.error =
      response && (response.success === false || response.error !== undefined)
        ? failure(response)
        : { code: 'no_result', message: 'The task settled without a result; submit it again.' };
  }

  const created = isoTime(createdAt);
  if (created) task.created_at = created;
  if (task.status !== 'pending') {
    const finished = isoTime(finishedAt);
    if (finished) task.finished_at = finished;
    const elapsed = unixSeconds(record.elapsed) ?? (createdAt && finishedAt ? finishedAt - createdAt : undefined);
    if (elapsed !== undefined && elapsed >= 0) task.elapsed_seconds = Math.round(elapsed * 100) / 100;
  }

  const request = isRecord(record.request) ? record.request : undefined;
  if (request) {
    const action = text(request.action, 64);
    const model = text(request.model, 64);
    const prompt = text(request.prompt);
    const size = text(request.size, 64);
    if (action) task.action = action;
    if (model) task.model = model;
    if (prompt) task.prompt = prompt;
    if (size) task.size = size;
  }

  if (task.status === 'pending') task.poll_after_seconds = pollAfterSeconds(createdAt, nowMs);
  return task;
}
