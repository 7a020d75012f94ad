import type { ToolAnnotations } from '@modelcontextprotocol/server';

/** Hints for a tool that only reads from the Flux API: safe to call again, never changes anything. */
export function readOnlyAnnotations(title: string): ToolAnnotations {
  return { title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
}
