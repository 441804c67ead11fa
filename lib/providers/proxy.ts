import type { Config } from '../config.js';
import { invalidRequest, TokenRejected } from '../errors.js';
import { fetchWithRetry } from './http.js';
import { keepAliveAttempt } from './keep-alive.js';
import { type ProviderName, providers } from './registry.js';

export { bufferedBody } from './keep-alive.js';

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);
/** Request headers that never reach the provider: ours (credentials, cookies) and the client's network details. */
const dropRequest = new Set([
  'authorization',
  'cookie',
  'origin',
  'referer',
  'accept-encoding',
  'x-request-id',
  'forwarded',
  // Our server has answered the client's 100-continue itself; the provider gets the body at once.
  'expect',
]);
const dropResponse = new Set(['set-cookie', 'content-encoding']);
/**
 * The provider's (or its CDN's) caching directives: an answer carries one tenant's data under
 * that tenant's key, so no shared cache may keep it, whatever the provider says (issue 14).
 */
const cachingHeaders = new Set([
  'cache-control',
  'expires',
  'pragma',
  'age',
  'surrogate-control',
  'cdn-cache-control',
]);

/** Whitespace or a control character (a header- or request-line injection attempt). */
function hasControlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 0x20 || s.charCodeAt(i) === 0x7f) return true;
  return /\s/.test(s);
}

/**
 * Resolves a proxy path against the provider's API host (`content/…` goes to the content host of
 * a provider that declares one, Dropbox's). The path can never leave that host: dot segments (plain or percent-encoded), encoded
 * slashes or backslashes, empty segments and anything that parses to another origin are refused.
 */
export function proxyTarget(config: Config, provider: ProviderName, rawPath: string, search: string): URL {
  const endpoints = config.endpoints[provider];
  let base = endpoints.apiUrl;
  let path = rawPath;
  if (
    providers.get(provider).contentHost &&
    endpoints.contentUrl &&
    (path === 'content' || path.startsWith('content/'))
  ) {
    base = endpoints.contentUrl;
    path = path.slice('content'.length).replace(/^\//, '');
  }
  if (!path) throw invalidRequest('The proxy path is empty.');
  const segments = path.split('/');
  for (const seg of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      throw invalidRequest('The proxy path is not valid percent-encoding.');
    }
    if (
      seg === '' ||
      decoded === '.' ||
      decoded === '..' ||
      /[/\\]/.test(decoded) ||
      hasControlOrSpace(decoded)
    ) {
      throw invalidRequest(
        'The proxy path must stay on the provider host (no dot segments, empty segments or encoded slashes).',
      );
    }
  }
  const baseUrl = new URL(base);
  const target = new URL(`${baseUrl.origin}${baseUrl.pathname.replace(/\/$/, '')}/${path}${search}`);
  if (target.origin !== baseUrl.origin || !target.pathname.startsWith(baseUrl.pathname.replace(/\/$/, ''))) {
    throw invalidRequest('The proxy path must stay on the provider host.');
  }
  return target;
}

/**
 * The client's request headers as the provider receives them: without hop-by-hop headers, our
 * credentials and cookies, the client's network details and `x-forwarded-*`/`x-portico-*`, and
 * with the connection's own `Authorization`.
 */
export function forwardHeaders(incoming: Headers, token: string): Headers {
  const out = new Headers();
  for (const [k, v] of incoming) {
    const key = k.toLowerCase();
    if (
      hopByHop.has(key) ||
      dropRequest.has(key) ||
      key.startsWith('x-forwarded-') ||
      key.startsWith('x-portico-')
    )
      continue;
    out.set(key, v);
  }
  out.set('authorization', `Bearer ${token}`);
  return out;
}

/**
 * The provider's answer headers as the proxy passes them on: without hop-by-hop headers, cookies
 * and the provider's caching directives, and with `Cache-Control: no-store`.
 */
export function returnHeaders(res: Response): Headers {
  const out = new Headers();
  const decoded = res.headers.has('content-encoding');
  for (const [k, v] of res.headers) {
    const key = k.toLowerCase();
    if (dropResponse.has(key) || cachingHeaders.has(key)) continue;
    if (hopByHop.has(key) && !(key === 'content-length' && !decoded)) continue;
    out.set(key, v);
  }
  out.set('cache-control', 'no-store');
  return out;
}

/**
 * Sends one proxied request, over keep-alive sockets (lib/providers/keep-alive.ts: an answer of
 * known length up to 1 MiB comes back read whole, `bufferedBody`). A body of known size up to
 * 1 MiB is buffered, so 429/5xx can be retried (with backoff honouring Retry-After, except a
 * limit the provider declares lasting); a larger or unsized body streams once. A 401
 * throws {@link TokenRejected} so the caller refreshes and retries once (buffered bodies only).
 */
export async function proxyRequest(
  target: URL,
  method: string,
  headers: Headers,
  body: ArrayBuffer | ReadableStream<Uint8Array> | null,
  provider: ProviderName,
): Promise<Response> {
  const replayable = !(body instanceof ReadableStream);
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body: body ?? undefined };
  if (!replayable) init.duplex = 'half';
  // A provider's lasting limit (HubSpot's DAILY 429) goes back to the caller at once, unretried.
  const final = providers.get(provider).lastingRateLimit;
  const { response } = await fetchWithRetry(
    target.toString(),
    init,
    replayable
      ? { attempt: keepAliveAttempt, ...(final ? { final } : {}) }
      : { attempt: keepAliveAttempt, attempts: 1 },
  );
  if (response.status === 401 && replayable) {
    await response.body?.cancel().catch(() => {});
    throw new TokenRejected('the provider refused the access token');
  }
  return response;
}
