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

  it('gives the quick-start commands that package.json really has', () => {
    const scripts = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const command of readme.matchAll(/npm (?:run )?([\w:-]+)/g)) {
      const name = command[1]!;
      if (['ci', 'install', 'i', 'link'].includes(name)) continue;
      assert.ok(scripts[name], `README mentions npm ${name}, which package.json does not define`);
    }
  });
});
