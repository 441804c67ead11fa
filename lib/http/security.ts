import type { Context, MiddlewareHandler } from 'hono';

/**
 * The headers Hono's `secureHeaders` sets by default (nosniff, frame and opener isolation, no
 * referrer, ...), written out: its option handling and CSP builder were code every cold start
 * loaded for a fixed list. No Cross-Origin-Resource-Policy: the browser SDK must load from every
 * origin, so the routes that need one set their own.
 */
const headers: ReadonlyArray<readonly [string, string]> = [
  ['cross-origin-opener-policy', 'same-origin'],
  ['origin-agent-cluster', '?1'],
  ['referrer-policy', 'no-referrer'],
  ['x-content-type-options', 'nosniff'],
  ['x-dns-prefetch-control', 'off'],
  ['x-download-options', 'noopen'],
  ['x-frame-options', 'SAMEORIGIN'],
  ['x-permitted-cross-domain-policies', 'none'],
  ['x-xss-protection', '0'],
];

/**
 * The security headers of every response, set on the answer (replacing a route's own value, as
 * `secureHeaders` does). HSTS only when the public URL is https: a browser that saw it on
 * `http://localhost` would refuse plain http there for a year.
 */
export function securityHeaders(publicUrl: string): MiddlewareHandler {
  const all = publicUrl.startsWith('https:')
    ? [...headers, ['strict-transport-security', 'max-age=31536000'] as const]
    : headers;
  return async (c, next) => {
    await next();
    for (const [name, value] of all) c.res.headers.set(name, value);
    c.res.headers.delete('x-powered-by');
  };
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

/** Headers of every HTML page of the UI: {@link pageCsp}, never cached, no referrer. */
export function pageHeaders(c: Context): void {
  c.header('content-security-policy', pageCsp);
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'no-referrer');
}

/**
 * Content-Security-Policy of the local sandbox's consent pages: no script at all, inline style
 * only. No `form-action`: browsers apply it to the redirect that follows the POST too, and the
 * redirect goes to the client's own origin.
 */
export const sandboxPageCsp =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";
