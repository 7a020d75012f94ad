import { createHash } from 'node:crypto';
import type { Response } from 'express';

/**
 * The pages a person sees while signing in: the consent page and the error pages. Plain HTML
 * that works without JavaScript and loads nothing from anywhere (one inline style, allowed by its
 * hash), and that no other site can frame.
 */

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6470;--bg:#f4f5f7;--card:#fff;--line:#d9dde3;--accent:#1f5fd6;--warn:#8a4b00;--warnbg:#fff4e0;--err:#a3261d;--errbg:#fdecea}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--muted:#a3aab3;--bg:#15171a;--card:#1f2226;--line:#3a3f45;--accent:#7aa7ff;--warn:#ffc46b;--warnbg:#3a2c12;--err:#ff9a91;--errbg:#3b1a17}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:34rem;margin:3rem auto;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:12px}
h1{font-size:1.4rem;margin:0 0 1rem}
p{margin:.5rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:1.25rem 0;padding:1rem;border:1px solid var(--line);border-radius:8px}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere}
code{font:15px ui-monospace,SFMono-Regular,Menlo,monospace}
.note{color:var(--muted);font-size:.9rem}
.warn{background:var(--warnbg);color:var(--warn);padding:.6rem .8rem;border-radius:8px}
.error{background:var(--errbg);color:var(--err);padding:.6rem .8rem;border-radius:8px}
label{display:block;font-weight:600;margin-top:1.25rem}
input[type=password]{width:100%;margin:.4rem 0;padding:.6rem .7rem;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:8px}
.buttons{display:flex;gap:.75rem;margin-top:1.25rem}
button{font:inherit;font-weight:600;padding:.6rem 1.3rem;border-radius:8px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
a{color:var(--accent)}
`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export const KEY_HELP_URL = 'https://platform.acedata.cloud';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/**
 * Security headers of every sign-in page, over helmet's defaults: a CSP that allows nothing but
 * the page's own style and submitting its form to this origin and to `formTargets` (the form's
 * answer is a redirect to the client, and Chromium applies form-action to that redirect too),
 * no framing, and a Referrer-Policy that keeps the Origin header of the form post (with
 * `no-referrer` Chromium sends `Origin: null`) while telling other sites nothing.
 */
export function setPageHeaders(res: Response, formTargets: readonly string[] = []): void {
  const formAction = ["'self'", ...formTargets].join(' ');
  res.set({
    'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  });
}

export interface ConsentView {
  /** The client's own name for itself (self-asserted), when it gave one. */
  readonly clientName: string | undefined;
  /** The host of a metadata-document client id; undefined for a client registered here. */
  readonly clientHost: string | undefined;
  /** Where the user goes back to (host and port of the redirect URI). */
  readonly redirectHost: string;
  /** The redirect URI is on this computer (localhost, 127.0.0.1, [::1]). */
  readonly loopbackRedirect: boolean;
  /** The sealed form token carrying the authorization request. */
  readonly consent: string;
  /** How long access lasts after signing in, in days. */
  readonly signInDays: number;
  /** A problem with the last submission, shown above the form; never contains the key. */
  readonly error?: string;
}

export function consentPage(view: ConsentView): string {
  const app = view.clientName ?? 'An app';
  const identity = view.clientHost
    ? `<code>${escapeHtml(view.clientHost)}</code> <span class="note">(its client metadata document is published there)</span>`
    : '<span class="note">not verified: the app registered itself with this server</span>';
  const loopbackWarning = view.loopbackRedirect
    ? '<p class="warn">The app receives the result on this computer. Approve only if you started it yourself just now.</p>'
    : '';
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : '';
  const days = view.signInDays === 1 ? '1 day' : `${view.signInDays} days`;
  return page(
    'Sign in to Flux MCP',
    `<p><strong>${escapeHtml(app)}</strong> asks to check your Flux image-generation tasks on AceDataCloud with your AceDataCloud API key.</p>
<dl>
<dt>App</dt><dd>${escapeHtml(app)} <span class="note">(as the app names itself)</span></dd>
<dt>Identity</dt><dd>${identity}</dd>
<dt>Sends you back to</dt><dd><code>${escapeHtml(view.redirectHost)}</code></dd>
</dl>
${loopbackWarning}${error}<form method="post" action="/oauth/authorize">
<input type="hidden" name="consent" value="${escapeHtml(view.consent)}">
<label for="api_key">AceDataCloud API key</label>
<input id="api_key" name="api_key" type="password" autocomplete="off" spellcheck="false" maxlength="1024" required>
<p class="note">Find or create your key at <a href="${KEY_HELP_URL}" rel="noopener noreferrer" target="_blank">platform.acedata.cloud</a>. The app never sees the key: flux-mcp checks it with AceDataCloud and seals it into the tokens it gives the app.</p>
<div class="buttons">
<button class="primary" type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
</div>
</form>
<p class="note">flux-mcp keeps no copy of the key. The app's access ends ${days} after you sign in, or as soon as you rotate the key at AceDataCloud.</p>`,
  );
}

/** A link back to the app that tells it what went wrong, for the user to follow or not. */
export interface ReturnLink {
  readonly href: string;
  readonly label: string;
}

/**
 * A page for a request that cannot go back to the app (or must not by itself): says what is
 * wrong and what to do, and offers `link` back to the app when there is one.
 */
export function errorPage(title: string, message: string, link?: ReturnLink): string {
  const back = link ? `\n<p><a href="${escapeHtml(link.href)}" rel="noreferrer">${escapeHtml(link.label)}</a></p>` : '';
  return page(title, `<p>${escapeHtml(message)}</p>\n<p class="note">Nothing was shared with the app. Go back to it and start signing in again.</p>${back}`);
}
