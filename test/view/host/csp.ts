import type { McpUiResourceCsp } from '@modelcontextprotocol/ext-apps/app-bridge';

/** Keeps only entries that cannot break out of a CSP source list. */
function sources(list: readonly string[] | undefined): string {
  return (list ?? []).filter((source) => /^[\w.:/*-]+$/.test(source)).join(' ');
}

/**
 * The policy the MCP Apps specification (2026-01-26, "CSP Construction from Metadata") derives
 * from a view's `_meta.ui.csp`: inline code allowed, no eval, and nothing from elsewhere but the
 * listed domains; no connections and no frames unless listed.
 */
export function viewCsp(csp: McpUiResourceCsp | undefined): string {
  const resources = sources(csp?.resourceDomains);
  const connect = sources(csp?.connectDomains);
  const frames = sources(csp?.frameDomains);
  const base = sources(csp?.baseUriDomains);
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline' ${resources}`,
    `style-src 'self' 'unsafe-inline' ${resources}`,
    `img-src 'self' data: ${resources}`,
    `font-src 'self' ${resources}`,
    `media-src 'self' data: ${resources}`,
    connect ? `connect-src 'self' ${connect}` : "connect-src 'none'",
    frames ? `frame-src ${frames}` : "frame-src 'none'",
    "object-src 'none'",
    base ? `base-uri ${base}` : "base-uri 'self'",
  ]
    .map((directive) => directive.trim())
    .join('; ');
}
