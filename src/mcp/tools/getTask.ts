import { z } from 'zod';
import { normaliseTask, taskSchema } from '../../flux/task.js';
import { defineTool } from '../toolDefinition.js';
import { readOnlyAnnotations } from './annotations.js';
import { taskIdSchema } from './taskInput.js';
import { summariseTask } from './taskSummary.js';

export const getTaskTool = defineTool({
  name: 'flux_get_task',
  title: 'Get Flux task',
  description: [
    'Looks up one Flux image-generation task on AceDataCloud by its id and reports its status and result.',
    'Use it when: you have one task id (from a Flux generate or edit request) and need to know whether its images are ready. For several ids, call flux_get_tasks_batch once instead of this tool many times.',
    'Returns: result.status (pending, succeeded, failed or not_found), result.images (URL, seed, prompt) when succeeded, result.error (code, message) when failed, timestamps, the submitted model, prompt, size and action, and while pending result.poll_after_seconds: wait that long before asking again.',
    'Limits: task_id is 1-128 visible ASCII characters. Only tasks created with the same API key are visible; others are not_found. Read-only and free of charge.',
    'Errors: a rejected API key, Flux API rate limits, outages and timeouts come back as an error result with one sentence saying what failed and what to do next.',
  ].join('\n'),
  inputSchema: z
    .object({
      task_id: taskIdSchema.describe('Id of the Flux task, as returned when it was submitted (usually a UUID).'),
    })
    .strict(),
  outputSchema: z.object({
    result: taskSchema.describe('The task: status, images or error, timestamps and the submitted request.'),
  }),
  annotations: readOnlyAnnotations('Get Flux task'),
  async handler({ task_id }, { apiKey, signal, flux }) {
    const record = await flux.retrieveTask(task_id, { apiKey, signal });
    const task = normaliseTask(task_id, record);
    return { structured: { result: task }, text: summariseTask(task) };
  },
});
