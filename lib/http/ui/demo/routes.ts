import { type Context, Hono } from 'hono';
import * as z from 'zod/mini';
import { safeEqual } from '../../../ids.js';
import { once } from '../../../once.js';
import type { Services } from '../../../services.js';
import { pageHeaders } from '../../security.js';
import { asset, serveAsset } from '../assets.js';
import { bundleBrowserScript } from '../build.js';
import { renderPage } from '../layout.js';
import type { DemoBackend } from './backend.js';
import { DemoPage } from './page.js';
import { demoCss } from './styles.js';

const paths = { script: '/demo/app.js', stylesheet: '/demo/app.css' } as const;

/** The page's assets, built in process on first use (the demo runs only locally). */
const demoAssets = once(async () => {
  const script = asset(paths.script, 'text/javascript; charset=utf-8', await bundleBrowserScript('demo'));
  const stylesheet = asset(paths.stylesheet, 'text/css; charset=utf-8', demoCss);
  return { script, stylesheet };
});

/** The header the demo page sends its backend calls with (the token is in the page it was served). */
export const DEMO_TOKEN_HEADER = 'x-portico-demo-token';

const EndUserId = z.string().check(z.trim(), z.minLength(1), z.maxLength(256));
const SessionBody = z.strictObject({ provider: z.enum(['hubspot', 'dropbox']), endUserId: EndUserId });

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

function problem(c: Context, status: 400 | 403 | 404, code: string, detail: string): Response {
  return c.body(JSON.stringify({ type: 'about:blank', title: code, status, detail, code }), status, {
    'content-type': 'application/problem+json',
  });
}

/** Portico's answer, passed to the browser as it is (status, JSON or problem JSON). */
async function relay(res: Response): Promise<Response> {
  const type = res.headers.get('content-type') ?? 'application/json';
  return new Response(res.status === 204 ? null : await res.arrayBuffer(), {
    status: res.status,
    headers: { 'content-type': type, 'cache-control': 'no-store' },
  });
}

/**
 * The demo app (local only): `GET /` plays a SaaS product's page, and `/demo/api/*` plays its
 * backend, which calls Portico with the demo tenant's key. Every route that touches a connection
 * first checks that it belongs to the end user asking, as a real product must.
 */
export function demoRoutes(services: Services, backend: DemoBackend, token: string): Hono {
  const app = new Hono();
  const demoContent = once(async () => {
    const { script, stylesheet } = await demoAssets();
    const page = await renderPage(DemoPage({ stylesheet: stylesheet.url, script: script.url, token }));
    return { script, stylesheet, page };
  });

  app.get('/', async (c) => {
    // The popup posts its result to the public URL's origin: send a loopback alias there first.
    const publicUrl = new URL(services.config.publicUrl);
    const here = new URL(c.req.url);
    if (
      loopbackHosts.has(here.hostname) &&
      loopbackHosts.has(publicUrl.hostname) &&
      here.host !== publicUrl.host
    ) {
      return c.redirect(`${publicUrl.origin}/${here.search}`, 302);
    }
    const { page } = await demoContent();
    pageHeaders(c);
    return c.html(page);
  });
  app.get(paths.script, async (c) => serveAsset(c, (await demoAssets()).script));
  app.get(paths.stylesheet, async (c) => serveAsset(c, (await demoAssets()).stylesheet));

  const api = new Hono();
  // Only this page may call the demo backend: no cross-site requests.
  api.use('*', async (c, next) => {
    const site = c.req.header('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') {
      return problem(c, 403, 'forbidden', 'The demo backend answers its own page only.');
    }
    // The per-start token only the served page holds: another local process, or a page that
    // reached this port some other way, cannot drive the demo tenant.
    const given = c.req.header(DEMO_TOKEN_HEADER);
    if (!given || !safeEqual(given, token)) {
      return problem(c, 403, 'forbidden', 'The demo backend answers its own page only.');
    }
    await next();
  });

  api.post('/sessions', async (c) => {
    if (!c.req.header('content-type')?.startsWith('application/json')) {
      return problem(c, 400, 'invalid_request', 'Send JSON.');
    }
    const parsed = z.safeParse(SessionBody, await c.req.json().catch(() => undefined));
    if (!parsed.success) return problem(c, 400, 'invalid_request', 'Give a provider and an end-user id.');
    const res = await backend.call('POST', '/v1/connect-sessions', parsed.data);
    if (res.status !== 201) return relay(res);
    const { connectUrl, expiresAt } = (await res.json()) as { connectUrl: string; expiresAt: string };
    return c.json({ connectUrl, expiresAt }, 201);
  });

  // The SDK hands the page the flow's code; the backend confirms it for the user signed in here
  // (Portico refuses a session of another end user: a forwarded link cannot land on this user).
  const ConfirmBody = z.strictObject({
    connectCode: z.string().check(z.minLength(1), z.maxLength(200)),
    endUserId: EndUserId,
  });
  api.post('/sessions/:id/confirm', async (c) => {
    if (!c.req.header('content-type')?.startsWith('application/json')) {
      return problem(c, 400, 'invalid_request', 'Send JSON.');
    }
    const parsed = z.safeParse(ConfirmBody, await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return problem(c, 400, 'invalid_request', 'Give the connect code and the end-user id.');
    const sid = encodeURIComponent(c.req.param('id'));
    return relay(await backend.call('POST', `/v1/connect-sessions/${sid}/confirm`, parsed.data));
  });

  api.get('/connections', async (c) => {
    const user = z.safeParse(EndUserId, c.req.query('endUserId'));
    if (!user.success) return problem(c, 400, 'invalid_request', 'Give an end-user id.');
    return relay(
      await backend.call('GET', `/v1/connections?limit=100&endUserId=${encodeURIComponent(user.data)}`),
    );
  });

  /** Answers `undefined` when connection `id` belongs to the end user of the query, else the answer to send. */
  async function owned(c: Context, id: string): Promise<Response | undefined> {
    const user = z.safeParse(EndUserId, c.req.query('endUserId'));
    if (!user.success) return problem(c, 400, 'invalid_request', 'Give an end-user id.');
    const res = await backend.call('GET', `/v1/connections/${encodeURIComponent(id)}`);
    if (res.status !== 200) return relay(res);
    const connection = (await res.json()) as { endUserId: string };
    if (connection.endUserId !== user.data) return problem(c, 404, 'not_found', 'No such connection.');
    return undefined;
  }

  const pass = (c: Context, keep: string[]) => {
    const out = new URLSearchParams();
    for (const k of keep) {
      const v = c.req.query(k);
      if (v !== undefined) out.set(k, v);
    }
    const s = out.toString();
    return s ? `?${s}` : '';
  };
  const conn = (c: Context) => `/v1/connections/${encodeURIComponent(c.req.param('id') ?? '')}`;

  api.delete('/connections/:id', async (c) => {
    const denied = await owned(c, c.req.param('id'));
    return denied ?? relay(await backend.call('DELETE', conn(c)));
  });
  api.get('/connections/:id/hubdb/tables', async (c) => {
    const denied = await owned(c, c.req.param('id'));
    return (
      denied ?? relay(await backend.call('GET', `${conn(c)}/hubdb/tables${pass(c, ['limit', 'cursor'])}`))
    );
  });
  api.get('/connections/:id/hubdb/tables/:table/rows', async (c) => {
    const denied = await owned(c, c.req.param('id'));
    const table = encodeURIComponent(c.req.param('table'));
    return (
      denied ??
      relay(await backend.call('GET', `${conn(c)}/hubdb/tables/${table}/rows${pass(c, ['limit', 'cursor'])}`))
    );
  });
  api.get('/connections/:id/dropbox/files', async (c) => {
    const denied = await owned(c, c.req.param('id'));
    return (
      denied ?? relay(await backend.call('GET', `${conn(c)}/dropbox/files${pass(c, ['path', 'cursor'])}`))
    );
  });
  api.get('/connections/:id/dropbox/avro', async (c) => {
    const denied = await owned(c, c.req.param('id'));
    return denied ?? relay(await backend.call('GET', `${conn(c)}/dropbox/avro${pass(c, ['path', 'limit'])}`));
  });
  api.all('*', (c) => problem(c, 404, 'not_found', 'No such demo route.'));

  app.route('/demo/api', api);
  return app;
}
