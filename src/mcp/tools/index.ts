import type { ToolDefinition } from '../toolDefinition.js';
import { getTaskTool } from './getTask.js';
import { getTasksBatchTool } from './getTasksBatch.js';

/** Every tool the service offers, in the order tools/list shows them. */
export const TOOLS: readonly ToolDefinition[] = [getTaskTool, getTasksBatchTool];
