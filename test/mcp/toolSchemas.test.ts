import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { README } from '../../scripts/configDocs.js';
import { listedTools, readmeToolReference, renderToolReference, snapshotFile, snapshotOf, TOOLSNAPS } from '../../scripts/toolDocs.js';

/**
 * The tool contracts clients see, checked in: a change to a name, description, schema or
 * annotation shows up in review as a diff of test/mcp/toolsnaps/. `npm run docs` rewrites them
 * after an intended change.
 */
describe('tool schema snapshots', () => {
  const tools = listedTools();

  for (const tool of tools) {
    it(`${tool.name} matches test/mcp/toolsnaps/${tool.name}.json`, () => {
      assert.equal(snapshotOf(tool), readFileSync(snapshotFile(tool.name), 'utf8'), 'run npm run docs after an intended change');
    });
  }

  it('has a snapshot for every tool and no other', () => {
    assert.deepEqual(readdirSync(TOOLSNAPS).sort(), tools.map((tool) => `${tool.name}.json`).sort());
  });

  it('the README tool reference is generated from the same registry', () => {
    assert.equal(readmeToolReference(readFileSync(README, 'utf8')), renderToolReference(tools));
  });
});
