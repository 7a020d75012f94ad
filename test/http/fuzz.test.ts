import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { postRaw, startHarness, type Harness } from '../helpers/harness.js';

const KEY = 'key-fuzz-0001';
const TOOL_INPUT_RUNS = 400;
const JSON_RPC_RUNS = 300;
const RAW_BODY_RUNS = 300;

interface Answer {
  status: number;
  json: unknown;
}

/** Any value JSON can carry, including odd Unicode and long strings. */
const anyJson = fc.jsonValue({ maxDepth: 4 });
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ maxLength: 20_000 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e', '\ud800', '💥'.repeat(100), 'a'.repeat(129), ' 7d1c5b7e ', '../../etc/passwd'),
);
const taskIdLike = fc.oneof(oddString, fc.uuid(), anyJson);

const toolArguments = fc.oneof(
  fc.record({ task_id: taskIdLike }),
  fc.record({ task_ids: fc.oneof(fc.array(taskIdLike, { maxLength: 60 }), anyJson) }),
  fc.dictionary(oddString, anyJson, { maxKeys: 8 }),
  fc.record({ task_id: taskIdLike, task_ids: fc.array(taskIdLike, { maxLength: 5 }), wait_seconds: anyJson }),
);

describe('property-based: nothing a client sends breaks the server', () => {
  let harness: Harness;
  let sent = 0;

  before(async () => {
    harness = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000' } });
    harness.sandbox.addKey(KEY);
  });
  after(async () => {
    await harness.close();
  });

  async function send(body: string | Uint8Array, headers: Record<string, string>): Promise<Answer> {
    sent++;
    return postRaw(harness.mcpUrl, body, { accept: 'application/json, text/event-stream', ...headers }, { bare: true });
  }

  async function stillHealthy(): Promise<void> {
    const answer = await send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), {
      authorization: `Bearer ${KEY}`,
      'content-type': 'application/json',
    });
    assert.equal(answer.status, 200);
  }

  it(`answers ${TOOL_INPUT_RUNS} random tool inputs with a result or an isError, never a 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('flux_get_task', 'flux_get_tasks_batch'), toolArguments, async (name, args) => {
        const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } });
        const answer = await send(body, { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' });
        assert.equal(answer.status, 200);
        const result = (answer.json as { result?: { isError?: boolean; content: { text: string }[]; structuredContent?: { result: unknown } } }).result;
        assert.ok(result, `a tool result for ${body.slice(0, 200)}`);
        if (result.isError) {
          assert.ok(result.content[0]!.text.length > 0);
          assert.equal(result.structuredContent, undefined);
        } else {
          assert.ok(result.structuredContent?.result);
        }
      }),
      { numRuns: TOOL_INPUT_RUNS },
    );
    await stillHealthy();
  });

  it(`answers ${JSON_RPC_RUNS} random JSON-RPC messages with a 2xx or 4xx, never a 5xx or a hang`, async () => {
    const message = fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), anyJson),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), anyJson),
        method: fc.oneof(
          fc.constantFrom('initialize', 'ping', 'tools/list', 'tools/call', 'logging/setLevel', 'resources/list', 'notifications/initialized', 'notifications/cancelled'),
          oddString,
        ),
        params: fc.oneof(anyJson, fc.record({ name: oddString, arguments: anyJson, _meta: anyJson })),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(message, fc.array(message, { maxLength: 12 })), fc.boolean(), fc.constantFrom('2025-03-26', '2025-06-18', undefined), async (body, keyed, version) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (keyed) headers.authorization = `Bearer ${KEY}`;
        if (version) headers['mcp-protocol-version'] = version;
        const answer = await send(JSON.stringify(body), headers);
        assert.ok(answer.status < 500, `HTTP ${answer.status} for ${JSON.stringify(body).slice(0, 200)}`);
        if (answer.status !== 202) assert.ok(answer.json !== undefined, 'a JSON body');
      }),
      { numRuns: JSON_RPC_RUNS },
    );
    await stillHealthy();
  });

  it(`answers ${RAW_BODY_RUNS} random raw bodies and content types with a 4xx, never a 5xx or a hang`, async () => {
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '',
    );
    const rawBody = fc.oneof(
      oddString,
      fc.uint8Array({ maxLength: 2_000 }),
      anyJson.map((value) => JSON.stringify(value)),
      anyJson.map((value) => JSON.stringify(value).slice(0, -1)),
      fc.constantFrom('{', '[', 'null', '"str"', '{"jsonrpc":"2.0"', '\ufeff{}', '{"a":' + '['.repeat(5_000)),
    );
    const auth = fc.constantFrom(`Bearer ${KEY}`, undefined, 'Bearer', 'Basic Zm9vOmJhcg==', `bearer   ${KEY}  `, 'Bearer \u00e9t\u00e9');
    await fc.assert(
      fc.asyncProperty(rawBody, contentType, auth, async (body, type, authorization) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (authorization) headers.authorization = authorization;
        const answer = await send(body, headers);
        assert.ok(answer.status < 500, `HTTP ${answer.status}`);
      }),
      { numRuns: RAW_BODY_RUNS },
    );
    await stillHealthy();
    assert.ok(sent >= TOOL_INPUT_RUNS + JSON_RPC_RUNS + RAW_BODY_RUNS);
  });
});
