import { z } from 'zod';
import { MAX_WAIT_SECONDS } from '../wait/waitForSettled.js';

export const MAX_TASK_ID_LENGTH = 128;
export const MAX_BATCH_SIZE = 50;

/** A task id as callers send it: surrounding whitespace is dropped, the rest must be visible ASCII. */
export const taskIdSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, { error: 'must not be empty', abort: true })
  .max(MAX_TASK_ID_LENGTH, { error: `must be at most ${MAX_TASK_ID_LENGTH} characters`, abort: true })
  .regex(/^[\x21-\x7e]+$/, 'must contain only visible ASCII characters, without spaces');

/** How long the server may wait for the tasks to settle before it answers. */
export const waitSecondsSchema = z
  .number({ error: 'must be a number of seconds' })
  .min(0, { error: 'must be 0 or more', abort: true })
  .max(MAX_WAIT_SECONDS, `must be at most ${MAX_WAIT_SECONDS}; call again to keep waiting`)
  .default(0);
