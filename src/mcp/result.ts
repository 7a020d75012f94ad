import type { CallToolResult, ContentBlock, ResourceLink } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { UserFacingError } from '../userFacingError.js';
import type { LinkedImage, ToolAnswer } from './toolDefinition.js';

/** What a call still running when the service has to stop gets, instead of a cut connection. */
export const RESTARTING_SENTENCE = 'flux-mcp is restarting and could not finish this call; call again in a few seconds.';

const IMAGE_TYPES: ReadonlyMap<string, string> = new Map([
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['webp', 'image/webp'],
  ['gif', 'image/gif'],
  ['avif', 'image/avif'],
]);

/** The MIME type an image file name's extension names, when it is one of the usual image formats. */
export function imageMimeType(fileName: string): string | undefined {
  const dot = fileName.lastIndexOf('.');
  return dot === -1 ? undefined : IMAGE_TYPES.get(fileName.slice(dot + 1).toLowerCase());
}

function imageLink(image: LinkedImage): ResourceLink {
  const mimeType = imageMimeType(image.name);
  return { type: 'resource_link', uri: image.url, name: image.name, ...(mimeType ? { mimeType } : {}) };
}

/**
 * The one place that builds a successful tool result: readable text first, then a resource link
 * per image the answer names (for clients that show links), and the structured content.
 */
export function successResult(answer: ToolAnswer<Record<string, unknown>>): CallToolResult {
  const content: ContentBlock[] = [{ type: 'text', text: answer.text }];
  if (answer.images) for (const image of answer.images) content.push(imageLink(image));
  return { content, structuredContent: answer.structured };
}

/** The one place that builds a failed tool result: a single sentence, no structured content. */
export function errorResult(sentence: string): CallToolResult {
  return { content: [{ type: 'text', text: sentence }], isError: true };
}

function issuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    text += typeof part === 'number' ? `[${part}]` : text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

/** Turns schema violations into one sentence naming each offending argument. */
export function invalidArgumentsSentence(toolName: string, error: z.ZodError): string {
  const problems = error.issues.slice(0, 3).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const named = issue.keys.slice(0, 5).map((key) => JSON.stringify(key.slice(0, 40)));
      if (issue.keys.length > 5) named.push(`${issue.keys.length - 5} more`);
      return `unknown argument${issue.keys.length === 1 ? '' : 's'} ${named.join(', ')}`;
    }
    const where = issuePath(issue.path);
    return where === '' ? `the arguments ${issue.message === 'is required' ? 'must be an object' : issue.message}` : `${where} ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `Invalid arguments for ${toolName}: ${problems.join('; ')}${more}. Fix them and call ${toolName} again.`;
}

/** The sentence a caller sees for a failure thrown by a handler. */
export function failureSentence(toolName: string, error: unknown): string {
  if (error instanceof UserFacingError) return error.message;
  return `${toolName} failed inside flux-mcp because of an unexpected error; try again, and report it to the service operator if it keeps happening.`;
}
