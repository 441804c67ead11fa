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
