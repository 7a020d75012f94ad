import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 of `text` in base64url: a PKCE S256 challenge, or what binds a consent form to its cookie. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Whether `a` and `b` are the same text, compared in constant time. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
