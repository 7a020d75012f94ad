import { z } from 'zod';
import { normaliseTask, taskSchema } from '../../flux/task.js';
import { TASK_VIEW_TOOL_META } from '../apps/taskView.js';
import { defineTool, fluxCallOptions } from '../toolDefinition.js';
import { MAX_WAIT_SECONDS, waitForSettled } from '../wait/waitForSettled.js';
import { readOnlyAnnotations } from './annotations.js';
import { MAX_BATCH_SIZE, taskIdSchema, waitSecondsSchema } from './taskInput.js';
import { countStatuses, linkedImages, summariseBatch } from './taskSummary.js';

export const getTasksBatchTool = defineTool({
  name: 'flux_get_tasks_batch',
  title: 'Get Flux tasks (batch)',
  description: [
    `Looks up several Flux image-generation tasks on AceDataCloud in one request and reports each one's status and result; can wait for all of them to finish.`,
    'Use it when: you have two or more task ids to check, e.g. after submitting several generations. For a single id, flux_get_task is simpler.',
    `Waiting: with wait_seconds (up to ${MAX_WAIT_SECONDS}) the server keeps checking the whole batch and answers as soon as every task has settled, or with the latest state when the time is up. Keep wait_seconds under your client's own time limit for a tool call (often 60 s).`,
    'Returns: result.tasks, one entry per requested id in request order (a repeated id is answered at each of its positions), each with status (pending, succeeded, failed or not_found), images when succeeded, error when failed, timestamps, the submitted request and poll_after_seconds while pending; result.counts, the number of tasks in each status; and result.waited_seconds.',
    `Limits: 1-${MAX_BATCH_SIZE} ids per call, each 1-128 visible ASCII characters. Only tasks created with the same API key are visible; others are not_found. Read-only and free of charge.`,
    'Errors: a rejected API key, Flux API rate limits, outages and timeouts fail the whole call with one sentence saying what failed and what to do next.',
  ].join('\n'),
  inputSchema: z
    .object({
      task_ids: z
        .array(taskIdSchema, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a list of task ids') })
        .min(1, 'must hold at least 1 id')
        .max(MAX_BATCH_SIZE, `must hold at most ${MAX_BATCH_SIZE} ids; split larger lists into several calls`)
        .describe(`Ids of the Flux tasks to look up, 1-${MAX_BATCH_SIZE}; answered in this order.`),
      wait_seconds: waitSecondsSchema.describe(
        `Seconds the server may wait for every task to settle before answering, 0-${MAX_WAIT_SECONDS} (default 0: answer at once).`,
      ),
    })
    .strict(),
  outputSchema: z.object({
    result: z
      .object({
        tasks: z.array(taskSchema).describe('One entry per requested id, in request order.'),
        counts: z
          .object({
            pending: z.number().int().describe('Tasks still running.'),
            succeeded: z.number().int().describe('Tasks with images ready.'),
            failed: z.number().int().describe('Tasks that settled without images.'),
            not_found: z.number().int().describe('Ids the Flux API does not know for this API key.'),
          })
          .describe('How many entries of tasks are in each status; they add up to the number of ids sent.'),
        waited_seconds: z.number().describe('Seconds the server waited before answering (0 unless wait_seconds was set).'),
      })
      .describe('The tasks in request order, a count per status, and how long the server waited.'),
  }),
  meta: TASK_VIEW_TOOL_META,
  annotations: readOnlyAnnotations('Get Flux tasks (batch)'),
  async handler({ task_ids, wait_seconds }, context) {
    const { tasks, waitedSeconds } = await waitForSettled(context.wait, wait_seconds, async (signal, deadline) => {
      const records = await context.flux.retrieveTasks(task_ids, fluxCallOptions(context, signal, deadline));
      const now = Date.now();
      return task_ids.map((id) => normaliseTask(id, records.get(id), now));
    });
    const counts = countStatuses(tasks);
    return {
      structured: { result: { tasks, counts, waited_seconds: waitedSeconds } },
      text: summariseBatch(tasks, counts, waitedSeconds),
      images: linkedImages(tasks),
    };
  },
});
