import { ProtocolError, ProtocolErrorCode, type CallToolResult, type ListToolsResult, type Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { UserFacingError } from '../userFacingError.js';
import { INTERRUPTED, OpenCalls } from './openCalls.js';
import { errorResult, failureSentence, invalidArgumentsSentence, RESTARTING_SENTENCE, successResult } from './result.js';
import type { ToolContext, ToolDefinition } from './toolDefinition.js';

export type ToolOutcome = 'ok' | 'invalid_input' | 'refused' | 'upstream_error' | 'internal_error';

export interface ToolCallReport {
  readonly tool: string;
  readonly outcome: ToolOutcome;
  readonly durationMs: number;
  readonly error?: unknown;
}

/** Most array elements plus object members one call's arguments may hold (50 ids need 51). */
export const MAX_TOOL_INPUT_ELEMENTS = 256;

/** Counts array elements and object members in `value`, stopping once the count passes `max`. */
function elementCount(value: unknown, max: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= max) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    count += children.length;
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return count;
}

function listing(tool: ToolDefinition): Tool {
  const { $schema: _in, ...inputSchema } = z.toJSONSchema(tool.inputSchema, { target: 'draft-2020-12', io: 'input' });
  const { $schema: _out, ...outputSchema } = z.toJSONSchema(tool.outputSchema, { target: 'draft-2020-12', io: 'output' });
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: inputSchema as Tool['inputSchema'],
    outputSchema: outputSchema as Tool['outputSchema'],
    annotations: tool.annotations,
    ...(tool.meta ? { _meta: { ...tool.meta } } : {}),
  };
}

/**
 * The tools, prepared once at start: the tools/list answer (JSON Schemas included) is built here
 * and reused for every request; calls are validated, run and wrapped into results in one place.
 */
export class ToolRegistry {
  readonly listResult: ListToolsResult;
  /** The calls running now, which shutdown answers instead of cutting. */
  readonly openCalls = new OpenCalls();
  readonly #tools: ReadonlyMap<string, ToolDefinition>;
  readonly #offered: string;

  constructor(tools: readonly ToolDefinition[]) {
    this.#tools = new Map(tools.map((tool) => [tool.name, tool]));
    this.#offered = tools.map((tool) => tool.name).join(', ');
    this.listResult = { tools: tools.map(listing) };
  }

  has(name: string): boolean {
    return this.#tools.has(name);
  }

  /** The tool called `name`; an unknown name is a protocol error (-32602), not a tool result. */
  resolve(name: string): ToolDefinition {
    const tool = this.#tools.get(name);
    if (!tool) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Unknown tool ${JSON.stringify(name.slice(0, 64))}; this server offers ${this.#offered}.`,
      );
    }
    return tool;
  }

  /**
   * Runs one call of `tool`: arguments are validated, the handler runs, and whatever happens
   * becomes a tool result, so the model can read what went wrong and correct itself.
   */
  async run(
    tool: ToolDefinition,
    args: unknown,
    context: ToolContext,
    report?: (report: ToolCallReport) => void,
  ): Promise<CallToolResult> {
    const started = performance.now();
    const done = (outcome: ToolOutcome, error?: unknown) =>
      report?.({ tool: tool.name, outcome, durationMs: performance.now() - started, ...(error === undefined ? {} : { error }) });
    if (elementCount(args, MAX_TOOL_INPUT_ELEMENTS) > MAX_TOOL_INPUT_ELEMENTS) {
      done('invalid_input');
      return errorResult(
        `Invalid arguments for ${tool.name}: they hold more than ${MAX_TOOL_INPUT_ELEMENTS} values in all. Send only the documented arguments.`,
      );
    }
    const parsed = tool.inputSchema.safeParse(args ?? {});
    if (!parsed.success) {
      done('invalid_input');
      return errorResult(invalidArgumentsSentence(tool.name, parsed.error));
    }
    try {
      const answer = await this.openCalls.run(() => tool.handler(parsed.data, context));
      if (answer === INTERRUPTED) {
        done('refused');
        return errorResult(RESTARTING_SENTENCE);
      }
      done('ok');
      return successResult(answer);
    } catch (error) {
      done(error instanceof UserFacingError ? error.outcome : 'internal_error', error);
      return errorResult(failureSentence(tool.name, error));
    }
  }
}
