/** The task ids every benchmark asks for; the lean upstream stub answers any id as a succeeded task. */
export const TASK_ID = '7d1c5b7e-8f0a-4a8e-9a36-2b7c55a1f001';
/** The 50 ids of a full flux_get_tasks_batch call. */
export const BATCH_IDS = Array.from({ length: 50 }, (_, i) => `7d1c5b7e-8f0a-4a8e-9a36-2b7c55a1${String(i).padStart(4, '0')}`);
