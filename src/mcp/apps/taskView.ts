import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { McpUiResourceMeta, McpUiToolMeta } from '@modelcontextprotocol/ext-apps';
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from '@modelcontextprotocol/ext-apps/server';
import {
  ResourceNotFoundError,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/server';

/** The one MCP Apps view flux-mcp serves: a card per task, with its images (MCP Apps 2026-01-26). */
export const TASK_VIEW_URI = 'ui://flux-mcp/tasks';

/** Where the Flux API's generated images live; the only origin the view may load anything from. */
export const FLUX_CDN_ORIGIN = 'https://platform2.cdn.acedata.cloud';

/**
 * The built view: one self-contained HTML document that `npm run build:view` (part of `npm run
 * build`) writes. The same relative path finds it from src/ (tsx) and from dist/ (compiled).
 */
export const TASK_VIEW_FILE = fileURLToPath(new URL('../../../dist/view/tasks.html', import.meta.url));

/**
 * What both tools carry in their tools/list entry: the view to render their results with. The flat
 * `ui/resourceUri` key is the deprecated form ext-apps still emits for hosts built before the
 * nested one (its `registerAppTool` does the same).
 */
export const TASK_VIEW_TOOL_META: { ui: McpUiToolMeta; [RESOURCE_URI_META_KEY]: string } = {
  ui: { resourceUri: TASK_VIEW_URI },
  [RESOURCE_URI_META_KEY]: TASK_VIEW_URI,
};

/**
 * The view as an MCP resource, prepared once at start: the resources/list and resources/read
 * answers are built here and reused for every request. The CSP metadata lets the view load
 * images from `imageOrigins` and nothing else: no connections, no frames (hosts apply
 * `connect-src 'none'` and `frame-src 'none'` when those lists are absent).
 */
export class TaskView {
  readonly listResult: ListResourcesResult;
  readonly templatesResult: ListResourceTemplatesResult = { resourceTemplates: [] };
  readonly #readResult: ReadResourceResult;

  constructor(html: string, imageOrigins: readonly string[]) {
    // The view draws its own cards, so a host frame around them would be a second border.
    const ui: McpUiResourceMeta = { csp: { resourceDomains: [...imageOrigins] }, prefersBorder: false };
    const resource: Resource = {
      uri: TASK_VIEW_URI,
      name: 'flux-tasks-view',
      title: 'Flux task view',
      description: 'Interactive view of Flux task results for MCP Apps hosts: status, images, prompt and timings, refreshing pending tasks.',
      mimeType: RESOURCE_MIME_TYPE,
      _meta: { ui },
    };
    this.listResult = { resources: [resource] };
    this.#readResult = { contents: [{ uri: TASK_VIEW_URI, mimeType: RESOURCE_MIME_TYPE, text: html, _meta: { ui } }] };
  }

  /** The resources/read answer for `uri`; any other URI is the protocol's resource-not-found error. */
  read(uri: string): ReadResourceResult {
    if (uri !== TASK_VIEW_URI) throw new ResourceNotFoundError(uri, `Resource not found: ${uri.slice(0, 200)}; this server serves ${TASK_VIEW_URI} only.`);
    return this.#readResult;
  }
}

/** Reads the built view once, at start; a missing build is a start-up error that says what to run. */
export function loadTaskView(imageOrigins: readonly string[] = [FLUX_CDN_ORIGIN]): TaskView {
  let html: string;
  try {
    html = readFileSync(TASK_VIEW_FILE, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'cannot be read';
    throw new Error(`The MCP Apps view ${TASK_VIEW_FILE} ${reason}: run npm run build (or npm run build:view) first.`, { cause: error });
  }
  return new TaskView(html, imageOrigins);
}
