import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { FluxCallOptions, FluxClient } from '../flux/client.js';
import type { Logger } from '../logger.js';
import type { CallWait } from './wait/waitSupport.js';

/** What a tool handler may use for one call. Everything here belongs to that call only. */
export interface ToolContext {
  /** The caller's API key, passed through to the Flux API for this call and never kept. */
  readonly apiKey: string;
  /** Aborted when the MCP client disconnects or cancels. */
  readonly signal: AbortSignal;
  readonly flux: FluxClient;
  readonly logger: Logger;
  /** Id of the request this call came in, for logs and the upstream `x-request-id`. */
  readonly requestId: string;
  /** For calls with `wait_seconds`: slots, cancellation and progress. */
  readonly wait: CallWait;
}

/** Options for one Flux API call made on behalf of this tool call. */
export function fluxCallOptions(context: ToolContext, signal: AbortSignal, deadline?: number): FluxCallOptions {
  return { apiKey: context.apiKey, owner: context.wait.owner, signal, deadline, requestId: context.requestId };
}

/** An image the answer refers to, offered to the client as a `resource_link` content block. */
export interface LinkedImage {
  readonly url: string;
  /** What a client shows for the link: the image's file name (its extension gives the MIME type). */
  readonly name: string;
}

/** A successful answer: the structured result, a short readable summary of the same content, and the images it holds. */
export interface ToolAnswer<Output> {
  readonly structured: Output;
  readonly text: string;
  readonly images?: readonly LinkedImage[];
}

/** A tool's whole contract in one object: identity, documentation, schemas, hints and handler. */
export interface ToolDefinition<Input extends z.ZodType = z.ZodType, Output extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: Input;
  readonly outputSchema: Output;
  readonly annotations: ToolAnnotations;
  /** The tool's `_meta` in tools/list, e.g. the MCP Apps view its results are shown with. */
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly handler: (input: z.output<Input>, context: ToolContext) => Promise<ToolAnswer<z.output<Output>>>;
}

/** Keeps the handler's types tied to the schemas it is declared with. */
export function defineTool<Input extends z.ZodType, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}
