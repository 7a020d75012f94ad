/**
 * A minimal MCP Apps host, for the browser test: a real MCP client connected to flux-mcp, and the
 * tool's view embedded through ext-apps' own host side (AppBridge) in the specification's sandbox
 * proxy (another origin, the view's CSP as an HTTP header). What it saw is on `window.__host`.
 * Its settings come as JSON in the URL's fragment (see HostSettings).
 */
import { Client, StreamableHTTPClientTransport, type CallToolResult, type Tool } from '@modelcontextprotocol/client';
import {
  AppBridge,
  getToolUiResourceUri,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
  type McpUiHostContext,
  type McpUiResourceMeta,
  type McpUiStyles,
} from '@modelcontextprotocol/ext-apps/app-bridge';
import { viewCsp } from './csp.js';
import type { HostSettings, HostState } from './settings.js';

const settings = JSON.parse(decodeURIComponent(location.hash.slice(1))) as HostSettings;
const state: HostState = { ready: false, toolCalls: [], openedLinks: [], csp: '' };
(window as unknown as { __host: HostState }).__host = state;

/** A host's own look: its variables in light-dark() form, so one set serves both themes. */
const STYLES: McpUiStyles = {
  '--color-background-primary': 'light-dark(#ffffff, #30302e)',
  '--color-background-secondary': 'light-dark(#f5f4ef, #262624)',
  '--color-text-primary': 'light-dark(#141413, #faf9f5)',
  '--color-text-secondary': 'light-dark(#5e5d59, #b7b5a9)',
  '--color-border-primary': 'light-dark(#e8e6dc, #4a4945)',
  '--font-sans': '"DejaVu Sans", system-ui, sans-serif',
  '--border-radius-lg': '10px',
} as McpUiStyles;

function hostContext(tool: Tool, theme: 'light' | 'dark'): McpUiHostContext {
  return {
    theme,
    styles: { variables: STYLES },
    displayMode: 'inline',
    availableDisplayModes: ['inline'],
    containerDimensions: { width: 720, maxHeight: 4000 },
    locale: 'en-US',
    timeZone: 'UTC',
    platform: 'web',
    deviceCapabilities: { touch: false, hover: true },
    toolInfo: { tool },
  };
}

function proxyReady(frame: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: MessageEvent) => {
      if (event.source === frame.contentWindow && (event.data as { method?: string })?.method === 'ui/notifications/sandbox-proxy-ready') {
        window.removeEventListener('message', listener);
        resolve();
      }
    };
    window.addEventListener('message', listener);
  });
}

async function main(): Promise<void> {
  document.documentElement.dataset.theme = settings.theme;
  const transport = new StreamableHTTPClientTransport(new URL(settings.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${settings.key}` } },
    // flux-mcp is stateless and offers no standalone event stream (GET /mcp answers 405, as the
    // transport specification allows); answering the client's probe here keeps the expected 405
    // out of the browser's console.
    fetch: (url, init) => (init?.method === 'GET' ? Promise.resolve(new Response(null, { status: 405 })) : fetch(url, init)),
  });
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if ('method' in message && message.method === 'tools/call') state.toolCalls.push(message.params as HostState['toolCalls'][number]);
    return send(message, options);
  };
  const client = new Client(
    { name: 'flux-mcp-test-host', version: '1.0.0' },
    {
      capabilities: { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [RESOURCE_MIME_TYPE] } } },
      ...(settings.era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    } as ConstructorParameters<typeof Client>[1],
  );
  await client.connect(transport);

  const tool = (await client.listTools()).tools.find((each) => each.name === settings.tool);
  const uri = tool && getToolUiResourceUri(tool);
  if (!tool || !uri) throw new Error(`${settings.tool} declares no view`);
  // The model's call runs while the view loads, as in a real host.
  const called = client.callTool({ name: settings.tool, arguments: settings.args }) as Promise<CallToolResult>;

  const read = await client.readResource({ uri });
  const content = read.contents[0];
  if (read.contents.length !== 1 || !content || content.mimeType !== RESOURCE_MIME_TYPE || !('text' in content)) throw new Error(`unexpected view resource for ${uri}`);
  const ui = (content._meta as { ui?: McpUiResourceMeta } | undefined)?.ui;
  state.csp = viewCsp(ui?.csp);

  const frame = document.createElement('iframe');
  frame.id = 'view';
  frame.title = 'Flux tasks';
  frame.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  document.getElementById('slot')!.append(frame);

  const capabilities = client.getServerCapabilities();
  const bridge = new AppBridge(
    client,
    { name: 'flux-mcp-test-host', version: '1.0.0' },
    { openLinks: {}, serverTools: capabilities?.tools ?? {}, serverResources: capabilities?.resources ?? {} },
    { hostContext: hostContext(tool, settings.theme) },
  );
  bridge.onopenlink = async ({ url }) => {
    state.openedLinks.push(url);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) frame.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve) => (bridge.oninitialized = () => resolve()));

  const sandboxUrl = new URL(settings.sandboxUrl);
  sandboxUrl.searchParams.set('csp', state.csp);
  const ready = proxyReady(frame);
  frame.src = sandboxUrl.href;
  await ready;
  await bridge.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
  await bridge.sendSandboxResourceReady({ html: content.text, ...(ui?.csp ? { csp: ui.csp } : {}) });
  await initialized;

  await bridge.sendToolInput({ arguments: settings.args });
  state.result = await called;
  await bridge.sendToolResult(settings.withoutStructuredContent ? { content: state.result.content } : state.result);

  state.setTheme = (theme) => {
    document.documentElement.dataset.theme = theme;
    bridge.setHostContext(hostContext(tool, theme));
  };
  state.teardown = async () => {
    await bridge.teardownResource({});
  };
  state.ready = true;
}

main().catch((error: unknown) => {
  state.error = error instanceof Error ? `${error.message}\n${error.stack}` : String(error);
});
