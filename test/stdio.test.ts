import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TASK_VIEW_FILE, TASK_VIEW_URI } from '../src/mcp/apps/taskView.js';
import { FluxSandbox } from '../src/sandbox/fluxSandbox.js';
import { VERSION } from '../src/version.js';
import { CLIENT_KINDS, connectStdioClient, eventually, textOf, type TestClient } from './helpers/harness.js';

const ROOT = new URL('..', import.meta.url).pathname;
const KEY = 'key-stdio-tests-0001';
const ENTRY = ['--import', 'tsx', 'src/index.ts'];

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...ENTRY, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
}

describe('command line', () => {
  it('--help explains the modes', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /flux-mcp --stdio/);
    assert.match(help.stdout, /ACEDATACLOUD_API_TOKEN/);
  });

  it('--version prints the version', () => {
    const version = run(['--version']);
    assert.equal(version.status, 0);
    assert.equal(version.stdout.trim(), VERSION);
  });

  it('refuses an unknown flag with the usage and exit code 2', () => {
    const wrong = run(['--sdtio']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /Unknown option '--sdtio'/);
    assert.match(wrong.stderr, /Usage:/);
  });

  it('--stdio without ACEDATACLOUD_API_TOKEN stops at once with a clear line', () => {
    const env = { ...process.env };
    delete env.ACEDATACLOUD_API_TOKEN;
    const missing = spawnSync(process.execPath, [...ENTRY, '--stdio'], { cwd: ROOT, env, encoding: 'utf8', timeout: 20_000 });
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^flux-mcp: ACEDATACLOUD_API_TOKEN is not set: stdio mode needs your AceDataCloud API key/);
  });
});

for (const kind of CLIENT_KINDS) {
  describe(`stdio mode, driven by the ${kind} SDK stdio client`, () => {
    let sandbox: FluxSandbox;
    let client: TestClient;
    let stderr = '';

    before(async () => {
      sandbox = await FluxSandbox.start();
      sandbox.addKey(KEY);
      client = await connectStdioClient(
        kind,
        {
          command: process.execPath,
          args: [...ENTRY, '--stdio'],
          cwd: ROOT,
          env: { ...(process.env as Record<string, string>), ACEDATACLOUD_API_TOKEN: KEY, ACEDATACLOUD_API_BASE_URL: sandbox.url, LOG_LEVEL: 'debug' },
        },
        (text) => (stderr += text),
      );
    });
    after(async () => {
      await client.close();
      await sandbox.close();
    });

    it(`speaks the ${kind === 'legacy' ? '2025' : '2026-07-28'} era`, () => {
      assert.equal(client.era, kind === 'legacy' ? 'legacy' : 'modern');
      assert.equal(client.serverInfo?.name, 'flux-mcp');
      assert.match(client.instructions ?? '', /flux_get_tasks_batch/);
    });

    it('serves the same tools as the HTTP endpoint', async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ['flux_get_task', 'flux_get_tasks_batch'],
      );
    });

    it('serves the MCP Apps view: tools name it, resources/list and resources/read answer, images come as links', async () => {
      const { tools } = await client.listTools();
      for (const tool of tools) assert.deepEqual(tool._meta?.ui, { resourceUri: TASK_VIEW_URI });
      assert.deepEqual((await client.listResources()).resources.map((resource) => [resource.uri, resource.mimeType]), [[TASK_VIEW_URI, 'text/html;profile=mcp-app']]);
      const read = await client.readResource(TASK_VIEW_URI);
      assert.equal((read.contents[0] as { text: string }).text, readFileSync(TASK_VIEW_FILE, 'utf8'));
      const id = sandbox.addTask(KEY, { images: 1 });
      const result = await client.callTool('flux_get_task', { task_id: id });
      assert.deepEqual(result.content.map((block) => block.type), ['text', 'resource_link']);
      assert.equal(result.content[1]?.uri, `${sandbox.url}/cdn/flux/${id}.png`);
    });

    it('calls the Flux API with the key from ACEDATACLOUD_API_TOKEN', async () => {
      const id = sandbox.addTask(KEY, { images: 1 });
      const result = await client.callTool('flux_get_task', { task_id: id });
      assert.equal((result.structuredContent as { result: { status: string } }).result.status, 'succeeded');
      assert.equal(sandbox.taskRequests().at(-1)?.headers.authorization, `Bearer ${KEY}`);
    });

    it('answers a batch in request order, every status', async () => {
      const ok = sandbox.addTask(KEY);
      const failed = sandbox.addTask(KEY, { outcome: 'failed' });
      const pending = sandbox.addTask(KEY, { settleAfterMs: 60_000 });
      const result = await client.callTool('flux_get_tasks_batch', { task_ids: [failed, 'missing', ok, pending] });
      const tasks = (result.structuredContent as { result: { tasks: { status: string }[] } }).result.tasks;
      assert.deepEqual(
        tasks.map((task) => task.status),
        ['failed', 'not_found', 'succeeded', 'pending'],
      );
    });

    it('reports an upstream failure as an error result', async () => {
      sandbox.injectFault({ kind: 'status', status: 401, code: 'invalid_token', message: 'bad' }, 1);
      const result = await client.callTool('flux_get_task', { task_id: 'x' });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /rejected the API key/);
    });

    it('waits with progress over stdio too', async () => {
      const id = sandbox.addTask(KEY, { settleAfterMs: 1_200 });
      const seen: number[] = [];
      const result = await client.callTool('flux_get_task', { task_id: id, wait_seconds: 5 }, { onprogress: (progress) => seen.push(progress.progress) });
      assert.equal((result.structuredContent as { result: { status: string } }).result.status, 'succeeded');
      assert.ok(seen.length >= 2);
    });

    it('stops polling when the client cancels a wait', async () => {
      const id = sandbox.addTask(KEY, { settleAfterMs: 120_000 });
      const polls = () => sandbox.taskRequests().filter((request) => (request.body as { id?: string }).id === id).length;
      const controller = new AbortController();
      const call = client.callTool('flux_get_task', { task_id: id, wait_seconds: 40 }, { signal: controller.signal });
      await eventually(() => polls() >= 2, 5_000, 'the wait to poll twice');
      controller.abort();
      await assert.rejects(call);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const seen = polls();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      assert.equal(polls(), seen, 'no poll after the cancellation');
    });

    it('logs on stderr only, and never the key', async () => {
      // The client would have failed on any non-JSON-RPC line on stdout; the logs went to stderr.
      assert.match(stderr, /"msg":"flux-mcp serving MCP over stdio"/);
      assert.match(stderr, /"msg":"flux api call"/);
      assert.ok(!stderr.includes(KEY));
    });
  });
}
