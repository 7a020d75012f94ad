import type { Response } from 'express';

/** An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2): JSON, never cached. */
export function sendOAuthError(res: Response, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  res
    .status(status)
    .set({ 'Cache-Control': 'no-store', Pragma: 'no-cache', ...headers })
    .json({ error, error_description: description });
}
