import { z } from 'zod';

export const MAX_TASK_ID_LENGTH = 128;
export const MAX_BATCH_SIZE = 50;

/** A task id as callers send it: surrounding whitespace is dropped, the rest must be visible ASCII. */
export const taskIdSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, { error: 'must not be empty', abort: true })
  .max(MAX_TASK_ID_LENGTH, { error: `must be at most ${MAX_TASK_ID_LENGTH} characters`, abort: true })
  .regex(/^[\x21-\x7e]+$/, 'must contain only visible ASCII characters, without spaces');
