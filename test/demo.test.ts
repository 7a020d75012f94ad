import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_KEY } from '../src/sandbox/demoSeed.js';
import { callTool, connectClient, eventually, startHarness, type TestClient } from './helpers/harness.js';
import { spawnService, type ServiceProcess } from './helpers/process.js';

type BatchResult = { result: { tasks: { task_id: string; status: string; images: { url: string }[] }[] } };

describe('demo mode (npm run demo)', () => {
  let demo: ServiceProcess;
  let client: TestClient;

  before(async () => {
    // What `npm run demo` runs: the service with FLUX_SANDBOX on.
    demo = await spawnService({ FLUX_SANDBOX: 'true' });
    await eventually(() => demo.output().includes('Stop with Ctrl-C.'), 10_000, 'the banner');
    client = await connectClient(new URL('/mcp', demo.url), DEMO_KEY, 'modern');
  });
  after(async () => {
    await client.close();
    demo.child.kill('SIGTERM');
    await demo.exited;
  });

  it('prints the endpoint, the demo key, the sample tasks, a client config and two curl commands', () => {
    const output = demo.output();
    assert.ok(output.includes(`MCP endpoint   ${demo.url}/mcp`));
    assert.ok(output.includes(`Demo API key   ${DEMO_KEY}`));
    for (const label of ['succeeded, 2 images', 'pending (stays pending)', 'settles about 20 s after start', 'failed']) {
      assert.ok(output.includes(label), label);
    }
    const config = /Client config[^\n]*\n(\{[\s\S]*?\n\})\n/.exec(output)?.[1];
    assert.deepEqual(JSON.parse(config!), {
      mcpServers: { 'flux-demo': { url: `${demo.url}/mcp`, headers: { Authorization: `Bearer ${DEMO_KEY}` } } },
    });
    assert.equal(output.match(/curl -s /g)?.length, 2);
  });

  it('logs a loud warning that it is a sandbox', () => {
    assert.match(demo.output(), /"level":"warn".*SANDBOX MODE \(FLUX_SANDBOX\)/);
  });

  it('answers the sample tasks through a real MCP client, every state included', async () => {
    const ids = [...demo.output().matchAll(/^ {2}.+? {2,}([0-9a-f-]{36})$/gm)].map((match) => match[1]!);
    assert.equal(ids.length, 5);
    const result = await callTool(client, 'flux_get_tasks_batch', { task_ids: ids });
    const tasks = (result.structuredContent as BatchResult).result.tasks;
    assert.deepEqual(
      tasks.map((task) => task.status),
      ['succeeded', 'succeeded', 'pending', 'pending', 'failed'],
    );
    // The sample images are served by the sandbox itself, so they open in a browser.
    const image = await fetch(tasks[0]!.images[0]!.url);
    assert.equal(image.headers.get('content-type'), 'image/png');
  });

  it('turns OAuth sign-in on for its loopback origin and prints a sign-in link that works with the demo key', async () => {
    const link = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m.exec(demo.output())?.[1];
    assert.ok(link, 'a sign-in link in the banner');
    const metadata = (await (await fetch(new URL('/.well-known/oauth-authorization-server', demo.url))).json()) as { issuer: string };
    assert.equal(metadata.issuer, demo.url, 'PUBLIC_URL is where the demo listens');
    const page = await fetch(link, { redirect: 'manual' });
    const html = await page.text();
    assert.equal(page.status, 200);
    const consent = /name="consent" value="([^"]+)"/.exec(html)![1]!;
    const approved = await fetch(new URL('/oauth/authorize', demo.url), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.headers.get('set-cookie')!.split(';')[0]!, origin: demo.url },
      body: new URLSearchParams({ consent, api_key: DEMO_KEY, decision: 'approve' }),
    });
    assert.equal(approved.status, 303);
    const landing = await fetch(approved.headers.get('location')!);
    const text = await landing.text();
    assert.match(text, /Signed in/);
    assert.match(text, /succeeded/, 'the demo page called a tool with the access token');
  });

  it("lets the MCP Apps view show the sandbox's images, and nothing else", async () => {
    const result = await callTool(client, 'flux_get_task', { task_id: 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0001' });
    const images = new URL((result.structuredContent as { result: { images: { url: string }[] } }).result.images[0]!.url);
    const read = await client.readResource('ui://flux-mcp/tasks');
    assert.deepEqual((read.contents[0]?._meta as { ui: { csp: unknown } }).ui.csp, { resourceDomains: [images.origin] });
  });

  it('accepts only the demo key', async () => {
    const stranger = await connectClient(new URL('/mcp', demo.url), 'some-other-key', 'legacy');
    try {
      const result = await callTool(stranger, 'flux_get_task', { task_id: 'x' });
      assert.equal(result.isError, true);
    } finally {
      await stranger.close();
    }
  });
});

describe('sandbox mode is never on by accident', () => {
  it('is off unless FLUX_SANDBOX says otherwise', async () => {
    const harness = await startHarness();
    try {
      assert.ok(!harness.logs.text.includes('SANDBOX MODE'));
      assert.match(harness.logs.text, new RegExp(`"flux_api":"${harness.sandbox.url}"`), 'the configured Flux API is used');
    } finally {
      await harness.close();
    }
  });
});
