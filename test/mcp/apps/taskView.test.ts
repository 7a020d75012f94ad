import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { VIEW_HTML_PLACEHOLDER, VIEW_RESOURCE_SNAPSHOT } from '../../../scripts/toolDocs.js';
import { FLUX_CDN_ORIGIN, TASK_VIEW_FILE, TASK_VIEW_URI } from '../../../src/mcp/apps/taskView.js';
import { countStatuses, MAX_LINKED_IMAGES, summariseBatch, summariseTask } from '../../../src/mcp/tools/taskSummary.js';
import type { Task } from '../../../src/flux/task.js';
import { CLIENT_KINDS, connectClient, modernRequest, postRaw, startHarness, textOf, type Harness, type TestClient, type ToolResult } from '../../helpers/harness.js';

const KEY = 'key-apps-tests-0001';
const HOUR_MS = 3_600_000;
const MIME = 'text/html;profile=mcp-app';
const snapshot = JSON.parse(readFileSync(VIEW_RESOURCE_SNAPSHOT, 'utf8')) as {
  'resources/list': { resources: Record<string, unknown>[] };
  'resources/read': { contents: Record<string, unknown>[] };
};

type JsonRpcAnswer = { id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };

/** A result's content as the view and link-rendering clients get it: the text block, then one link per image. */
function linksOf(result: ToolResult): { type: string; uri: unknown; name: unknown; mimeType: unknown }[] {
  return result.content.slice(1).map((block) => ({ type: block.type, uri: block.uri, name: block.name, mimeType: block.mimeType }));
}

for (const kind of CLIENT_KINDS) describe(`the MCP Apps view over Streamable HTTP with the ${kind} client`, () => {
  let harness: Harness;
  let client: TestClient;

  before(async () => {
    harness = await startHarness();
    harness.sandbox.addKey(KEY);
    client = await connectClient(harness.mcpUrl, KEY, kind);
  });
  after(async () => {
    await client.close();
    await harness.close();
  });

  it('declares resources and the MCP Apps extension', () => {
    assert.deepEqual(client.serverCapabilities?.resources, {});
    assert.deepEqual((client.serverCapabilities?.extensions as Record<string, unknown>)?.['io.modelcontextprotocol/ui'], {});
  });

  it('both tools name the view, in the nested key and the deprecated flat one', async () => {
    const { tools } = await client.listTools();
    assert.equal(tools.length, 2);
    for (const tool of tools) assert.deepEqual(tool._meta, { ui: { resourceUri: TASK_VIEW_URI }, 'ui/resourceUri': TASK_VIEW_URI }, tool.name);
  });

  it('lists the view, and only it, as the snapshot says: images from the Flux CDN and nothing else from outside', async () => {
    const { resources } = await client.listResources();
    assert.deepEqual(resources, snapshot['resources/list'].resources);
    const [view] = resources;
    assert.equal(view?.uri, TASK_VIEW_URI);
    assert.equal(view?.mimeType, MIME);
    assert.deepEqual(view?._meta?.ui, { csp: { resourceDomains: [FLUX_CDN_ORIGIN] }, prefersBorder: false });
    assert.deepEqual((await client.listResourceTemplates()).resourceTemplates, []);
  });

  it('reads the view: the built HTML document, with the same metadata', async () => {
    const read = await client.readResource(TASK_VIEW_URI);
    assert.equal(read.contents.length, 1);
    const content = read.contents[0]!;
    assert.ok('text' in content);
    assert.equal(content.text, readFileSync(TASK_VIEW_FILE, 'utf8'));
    assert.deepEqual({ ...content, text: VIEW_HTML_PLACEHOLDER }, snapshot['resources/read'].contents[0]);
    // One self-contained document: inline script and style, nothing fetched from elsewhere.
    assert.match(content.text, /^<!doctype html>/i);
    assert.equal(content.text.match(/<script\b/gi)?.length, 1);
    assert.doesNotMatch(content.text, /<script[^>]*\bsrc=|<link\b|@import|https?:\/\/[^"'\s)]*\.(js|css)\b/i);
  });

  it('answers a read of any other URI with resource-not-found (-32602, the URI in data)', async () => {
    await assert.rejects(client.readResource('ui://flux-mcp/other'), (error: Error & { code?: number; data?: { uri?: string } }) => {
      assert.equal(error.code, -32602);
      assert.equal(error.data?.uri, 'ui://flux-mcp/other');
      assert.match(error.message, /Resource not found: ui:\/\/flux-mcp\/other; this server serves ui:\/\/flux-mcp\/tasks only/);
      return true;
    });
  });

  it('keeps the text and structured content of a task, and adds a resource link per image', async () => {
    const id = harness.sandbox.addTask(KEY, { images: 2, prompt: 'a red fox in snow' });
    const result = await client.callTool('flux_get_task', { task_id: id });
    const task = (result.structuredContent as { result: Task & { waited_seconds: number } }).result;
    const { waited_seconds: _waited, ...plain } = task;
    assert.equal(result.content[0]?.type, 'text');
    assert.equal(textOf(result), summariseTask(plain, 0), 'the same text as before');
    assert.deepEqual(Object.keys(result.structuredContent ?? {}), ['result']);
    assert.deepEqual(linksOf(result), [
      { type: 'resource_link', uri: `${harness.sandbox.url}/cdn/flux/${id}.png`, name: `${id}.png`, mimeType: 'image/png' },
      { type: 'resource_link', uri: `${harness.sandbox.url}/cdn/flux/${id}-1.png`, name: `${id}-1.png`, mimeType: 'image/png' },
    ]);
  });

  it('links the images of a batch in request order, and none for tasks without images', async () => {
    const first = harness.sandbox.addTask(KEY, { images: 1 });
    const failed = harness.sandbox.addTask(KEY, { outcome: 'failed' });
    const pending = harness.sandbox.addTask(KEY, { settleAfterMs: 60_000 });
    const second = harness.sandbox.addTask(KEY, { images: 2 });
    const result = await client.callTool('flux_get_tasks_batch', { task_ids: [second, failed, 'missing', pending, first] });
    const { tasks } = (result.structuredContent as { result: { tasks: Task[] } }).result;
    assert.equal(textOf(result), summariseBatch(tasks, countStatuses(tasks), 0));
    assert.deepEqual(
      linksOf(result).map((link) => link.uri),
      [`${second}.png`, `${second}-1.png`, `${first}.png`].map((file) => `${harness.sandbox.url}/cdn/flux/${file}`),
    );
  });

  it(`links at most ${MAX_LINKED_IMAGES} images; the text still holds every URL`, async () => {
    const ids = Array.from({ length: 11 }, () => harness.sandbox.addTask(KEY, { images: 2 }));
    const result = await client.callTool('flux_get_tasks_batch', { task_ids: ids });
    const urls = ids.flatMap((id) => [`${id}.png`, `${id}-1.png`]).map((file) => `${harness.sandbox.url}/cdn/flux/${file}`);
    assert.deepEqual(linksOf(result).map((link) => link.uri), urls.slice(0, MAX_LINKED_IMAGES));
    for (const url of urls) assert.ok(textOf(result).includes(url));
  });

  it('adds no links to an error result', async () => {
    harness.sandbox.injectFault({ kind: 'status', status: 503 }, 3);
    const result = await client.callTool('flux_get_task', { task_id: 'x' });
    assert.equal(result.isError, true);
    assert.equal(result.content.length, 1);
    harness.sandbox.clearFaults();
  });
});

describe('the MCP Apps view in the 2026-07-28 era: cache hints', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness.close();
  });

  for (const [method, params] of [
    ['resources/list', {}],
    ['resources/templates/list', {}],
    ['resources/read', { uri: TASK_VIEW_URI }],
  ] as const) {
    it(`${method} carries a long public cache hint: the view is fixed for the process`, async () => {
      const request = modernRequest(method, params);
      const response = await postRaw(harness.mcpUrl, request.body, { authorization: `Bearer ${KEY}`, ...request.headers });
      assert.equal(response.status, 200);
      const answer = response.json as JsonRpcAnswer;
      assert.equal(answer.result?.ttlMs, HOUR_MS);
      assert.equal(answer.result?.cacheScope, 'public');
    });
  }
});

describe('the MCP Apps view: image origins', () => {
  it('allows only the origins it is given, for the sandbox in tests and the demo', async () => {
    const harness = await startHarness({ viewImagesFromSandbox: true });
    try {
      const client = await connectClient(harness.mcpUrl, KEY, 'legacy');
      const read = await client.readResource(TASK_VIEW_URI);
      assert.deepEqual(read.contents[0]?._meta, { ui: { csp: { resourceDomains: [harness.sandbox.url] }, prefersBorder: false } });
      assert.deepEqual((await client.listResources()).resources[0]?._meta, read.contents[0]?._meta);
      await client.close();
    } finally {
      await harness.close();
    }
  });
});
