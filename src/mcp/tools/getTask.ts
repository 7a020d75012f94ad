import { z } from 'zod';
import { normaliseTask, taskSchema } from '../../flux/task.js';
import { TASK_VIEW_TOOL_META } from '../apps/taskView.js';
import { defineTool, fluxCallOptions } from '../toolDefinition.js';
import { MAX_WAIT_SECONDS, waitForSettled } from '../wait/waitForSettled.js';
import { readOnlyAnnotations } from './annotations.js';
import { taskIdSchema, waitSecondsSchema } from './taskInput.js';
import { linkedImages, summariseTask } from './taskSummary.js';

export const getTaskTool = defineTool({
  name: 'flux_get_task',
  title: 'Get Flux task',
  description: [
    'Looks up one Flux image-generation task on AceDataCloud by its id and reports its status and result; can wait for it to finish.',
    'Use it when: you have one task id (from a Flux generate or edit request) and need to know whether its images are ready. For several ids, call flux_get_tasks_batch once instead of this tool many times.',
    `Waiting: with wait_seconds (up to ${MAX_WAIT_SECONDS}) the server keeps checking and answers as soon as the task settles, or with its latest state when the time is up; prefer this to calling again and again. Keep wait_seconds under your client's own time limit for a tool call (often 60 s).`,
    'Returns: result.status (pending, succeeded, failed or not_found), result.images (URL, seed, prompt) when succeeded, result.error (code, message) when failed, timestamps, the submitted model, prompt, size and action, result.waited_seconds, and while pending result.poll_after_seconds: wait that long before asking again.',
    'Limits: task_id is 1-128 visible ASCII characters. Only tasks created with the same API key are visible; others are not_found. Read-only and free of charge.',
    'Errors: a rejected API key, Flux API rate limits, outages and timeouts come back as an error result with one sentence saying what failed and what to do next.',
  ].join('\n'),
  inputSchema: z
    .object({
      task_id: taskIdSchema.describe('Id of the Flux task, as returned when it was submitted (usually a UUID).'),
      wait_seconds: waitSecondsSchema.describe(
        `Seconds the server may wait for the task to settle before answering, 0-${MAX_WAIT_SECONDS} (default 0: answer at once).`,
      ),
    })
    .strict(),
  outputSchema: z.object({
    result: taskSchema
      .extend({
        waited_seconds: z.number().describe('Seconds the server waited before answering (0 unless wait_seconds was set).'),
      })
      .describe('The task: status, images or error, timestamps and the submitted request.'),
  }),
  meta: TASK_VIEW_TOOL_META,
  annotations: readOnlyAnnotations('Get Flux task'),
  async handler({ task_id, wait_seconds }, context) {
    const { tasks, waitedSeconds } = await waitForSettled(context.wait, wait_seconds, async (signal, deadline) => {
      const record = await context.flux.retrieveTask(task_id, fluxCallOptions(context, signal, deadline));
      return [normaliseTask(task_id, record)];
    });
    const task = tasks[0]!;
    return {
      structured: { result: { ...task, waited_seconds: waitedSeconds } },
      text: summariseTask(task, waitedSeconds),
      images: linkedImages(tasks),
    };
  },
});
