import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ENV_EXAMPLE, readmeConfigTable, README, renderConfigTable, renderEnvExample } from '../scripts/configDocs.js';

const readme = readFileSync(README, 'utf8');

describe('README', () => {
  it('has the configuration table of src/config.ts (npm run docs rewrites it)', () => {
    assert.equal(readmeConfigTable(readme), renderConfigTable());
  });

  it('has an .env.example with every variable at its default (npm run docs rewrites it)', () => {
    assert.equal(readFileSync(ENV_EXAMPLE, 'utf8'), renderEnvExample());
  });

  it('shows the consent page screenshot that the browser test takes', () => {
    assert.match(readme, /!\[[^\]]+\]\(docs\/screenshots\/consent\.png\)/);
    const png = readFileSync(new URL('../docs/screenshots/consent.png', import.meta.url));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(png.length > 10_000);
  });

  it('gives the quick-start commands that package.json really has', () => {
    const scripts = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const command of readme.matchAll(/npm (?:run )?([\w:-]+)/g)) {
      const name = command[1]!;
      if (['ci', 'install', 'i', 'link'].includes(name)) continue;
      assert.ok(scripts[name], `README mentions npm ${name}, which package.json does not define`);
    }
  });
});

/** The curl commands of the README that talk to a local /mcp, as headers and body. */
function curlExamples(text: string): { headers: Record<string, string>; body: string }[] {
  const blocks = [...text.matchAll(/```sh\n(curl -s http:\/\/127\.0\.0\.1:3000\/mcp[\s\S]*?)```/g)].map((match) => match[1]!.replace(/\\\n/g, ' '));
  return blocks.map((block) => {
    const headers: Record<string, string> = {};
    for (const header of block.matchAll(/-H "([^:]+): ([^"]+)"/g)) headers[header[1]!.toLowerCase()] = header[2]!;
    const body = /-d '([\s\S]*?)'/.exec(block)![1]!;
    return { headers, body };
  });
}

describe('README examples', () => {
  it('use only the demo key and the demo task ids, so they work against npm run demo', async () => {
    const { seedDemo, DEMO_KEY } = await import('../src/sandbox/demoSeed.js');
    const { FluxSandbox } = await import('../src/sandbox/fluxSandbox.js');
    const sandbox = await FluxSandbox.start({ recordRequests: false });
    try {
      const ids = new Set(seedDemo(sandbox).map((task) => task.id));
      const mentioned = [...readme.matchAll(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g)].map((match) => match[0]);
      assert.ok(mentioned.length >= 3);
      for (const id of mentioned) assert.ok(ids.has(id), `${id} is not a demo task id`);
      assert.ok(readme.includes(DEMO_KEY));
    } finally {
      await sandbox.close();
    }
  });

  it('curl examples answer as the README says, in both eras, against the demo sandbox', async () => {
    const { startHarness } = await import('./helpers/harness.js');
    const { seedDemo, DEMO_KEY } = await import('../src/sandbox/demoSeed.js');
    const harness = await startHarness();
    try {
      seedDemo(harness.sandbox);
      const examples = curlExamples(readme);
      assert.equal(examples.length, 2, 'a 2025-era and a 2026-07-28 example');
      for (const example of examples) {
        assert.equal(example.headers.authorization, `Bearer ${DEMO_KEY}`);
        const response = await fetch(harness.mcpUrl, { method: 'POST', headers: example.headers, body: example.body });
        assert.equal(response.status, 200);
        const answer = (await response.json()) as { result: { isError?: boolean; structuredContent: unknown } };
        assert.equal(answer.result.isError, undefined);
        assert.ok(answer.result.structuredContent);
      }
    } finally {
      await harness.close();
    }
  });
});
