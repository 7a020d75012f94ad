import { DEMO_KEY, type DemoTask } from './demoSeed.js';

/** What `npm run demo` prints: where to connect, with which key, what to try. */
export function demoBanner(mcpUrl: string, tasks: readonly DemoTask[], signInLink?: string): string {
  const config = JSON.stringify({ mcpServers: { 'flux-demo': { url: mcpUrl, headers: { Authorization: `Bearer ${DEMO_KEY}` } } } }, null, 2);
  const curl = (body: object) =>
    [
      `curl -s ${mcpUrl} \\`,
      `  -H 'Authorization: Bearer ${DEMO_KEY}' -H 'Content-Type: application/json' \\`,
      `  -H 'Accept: application/json, text/event-stream' \\`,
      `  -d '${JSON.stringify(body)}'`,
    ].join('\n');
  const width = Math.max(...tasks.map((task) => task.label.length));
  return [
    '',
    '=====================================================================',
    ' flux-mcp demo: SANDBOX MODE. A local fake Flux API answers; nothing',
    ' reaches AceDataCloud. Do not use this mode in production.',
    '=====================================================================',
    '',
    `MCP endpoint   ${mcpUrl}`,
    `Demo API key   ${DEMO_KEY}`,
    '',
    'Sample tasks',
    ...tasks.map((task) => `  ${task.label.padEnd(width)}  ${task.id}`),
    '',
    'Client config (Cursor, Claude Code .mcp.json and others)',
    config,
    '',
    'Try it',
    curl({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: tasks[0]!.id } } }),
    '',
    curl({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'flux_get_tasks_batch', arguments: { task_ids: tasks.map((task) => task.id), wait_seconds: 25 } },
    }),
    ...(signInLink
      ? [
          '',
          'OAuth sign-in (on for this demo, with a secret made at start: tokens die with the process)',
          `  An OAuth client needs only the MCP endpoint above; it signs in with key ${DEMO_KEY}.`,
          '  Try the sign-in page in a browser (it comes back to a demo page that calls a tool):',
          `  ${signInLink}`,
        ]
      : []),
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}
