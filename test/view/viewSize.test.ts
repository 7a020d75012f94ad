import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TASK_VIEW_FILE } from '../../src/mcp/apps/taskView.js';

/** BENCHMARKS.md explains the size; this catches a dependency or a change that makes it balloon. */
const BUDGET_GZIP_BYTES = 100_000;

describe('the built MCP Apps view', () => {
  it(`stays under ${BUDGET_GZIP_BYTES / 1000} KB gzipped`, () => {
    const html = readFileSync(TASK_VIEW_FILE);
    const gzipped = gzipSync(html, { level: 9 }).length;
    assert.ok(gzipped < BUDGET_GZIP_BYTES, `${TASK_VIEW_FILE} is ${gzipped} bytes gzipped`);
  });
});
