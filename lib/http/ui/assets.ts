import { createHash } from 'node:crypto';
import type { Context } from 'hono';

/** A static text file served by the UI (script, stylesheet, types), addressed by a content hash. */
export interface Asset {
  path: string;
  type: string;
  body: string;
  etag: string;
  version: string;
  /** `path?v=<version>`: what pages link, cached for a year since the URL changes with the content. */
  url: string;
}

export function asset(path: string, type: string, body: string): Asset {
  const digest = createHash('sha256').update(body).digest('base64url');
  const version = digest.slice(0, 16);
  return { path, type, body, etag: `"${version}"`, version, url: `${path}?v=${version}` };
}

/** Answers an asset with an ETag; immutable caching only when the request names this version. */
export function serveAsset(c: Context, a: Asset, headers: Record<string, string> = {}): Response {
  const cache =
    c.req.query('v') === a.version ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
  const common = { etag: a.etag, 'cache-control': cache, ...headers };
  if (c.req.header('if-none-match') === a.etag) return c.body(null, 304, common);
  return c.body(a.body, 200, { 'content-type': a.type, ...common });
}

/**
 * The Content-Security-Policy of the admin console and the demo: scripts and styles only from
 * this origin's files (no inline code at all), no framing, forms only back here, and Trusted
 * Types enforced (the pages build their DOM with `textContent`, never HTML strings).
 */
export const pageCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Headers of every HTML page of the UI. */
export function pageHeaders(c: Context): void {
  c.header('content-security-policy', pageCsp);
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'no-referrer');
}
