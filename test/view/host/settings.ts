import type { CallToolResult } from '@modelcontextprotocol/client';

/** What the test host page is told to do, as JSON in its URL's fragment. */
export interface HostSettings {
  readonly mcpUrl: string;
  readonly key: string;
  /** `legacy`: the 2025 initialize handshake; `modern`: 2026-07-28. */
  readonly era: 'legacy' | 'modern';
  readonly sandboxUrl: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly theme: 'light' | 'dark';
  /** Hands the view the result without structuredContent, as some hosts have been seen to. */
  readonly withoutStructuredContent?: boolean;
}

/** What the test host page saw, on `window.__host`. */
export interface HostState {
  ready: boolean;
  error?: string;
  /** Every tools/call this page sent: the host's own first, then the view's. */
  toolCalls: { name: string; arguments?: Record<string, unknown> }[];
  openedLinks: string[];
  csp: string;
  result?: CallToolResult;
  setTheme?: (theme: 'light' | 'dark') => void;
  teardown?: () => Promise<void>;
}
