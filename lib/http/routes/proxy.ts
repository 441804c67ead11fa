import type { ProviderName } from '../../config.js';
import { once } from '../../once.js';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';

const MiB = 1024 * 1024;

/**
 * The proxy's provider client (lib/providers/proxy.ts and its keep-alive sockets), loaded by the
 * first proxied call: in Lambda a chunk beside the bundle, so a cold start that proxies nothing
 * neither parses nor runs it. A failed load is forgotten (`once`), so the next call tries again.
 */
const loadProxy = once(() => import('../../providers/proxy.js'));

/**
 * `ANY /v1/connections/:id/proxy/<path>`: the request goes to the provider's API host (Dropbox
 * `content/…` to its content host) with the connection's token, and the provider's answer
 * streams back unchanged (status, headers less hop-by-hop ones and cookies, body).
 */
export const proxyRoutes = new Hono<AppEnv>();

proxyRoutes.all('/v1/connections/:id/proxy/*', async (c) => {
  const { connections, config } = c.get('services');
  const { bufferedBody, forwardHeaders, proxyRequest, proxyTarget, returnHeaders } = await loadProxy();
  const tenantId = tenantOf(c.get('principal'));
  const id = c.req.param('id');
  const url = new URL(c.req.url);
  // The raw (still percent-encoded) path after /proxy/, so encoded dot segments are seen as such.
  const marker = `/v1/connections/${id}/proxy/`;
  const rawPath = url.pathname.startsWith(marker) ? url.pathname.slice(marker.length) : '';
  const item = await connections.getItemForUse(tenantId, id);
  const provider = item.provider as ProviderName;
  const target = proxyTarget(config, provider, rawPath, url.search);

  const method = c.req.method;
  let body: ArrayBuffer | ReadableStream<Uint8Array> | null = null;
  if (method !== 'GET' && method !== 'HEAD' && c.req.raw.body) {
    const length = Number(c.req.header('content-length') ?? Number.NaN);
    body = Number.isFinite(length) && length <= MiB ? await c.req.arrayBuffer() : c.req.raw.body;
  }
  const res = await connections.withToken(
    tenantId,
    id,
    (token) => proxyRequest(target, method, forwardHeaders(c.req.raw.headers, token), body, provider),
    { item },
  );
  // Marks the answer as the provider's own (its 404 is not Portico's `not_found`; docs/api.md, "Proxy").
  const headers = returnHeaders(res);
  headers.set('portico-upstream', item.provider);
  // A small answer read whole goes back as bytes: one write with its length, no stream.
  const answer = method === 'HEAD' ? null : (bufferedBody(res) ?? res.body);
  return new Response(answer, { status: res.status, headers });
});
