import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigAvroChunks, bigAvroLayout } from '../../../lib/dev/sandbox/dropbox/big-avro.js';
import { headerSafeJson } from '../../../lib/dev/sandbox/dropbox/errors.js';
import { createSandbox } from '../../../lib/dev/sandbox/index.js';
import { REDIRECT_URI, walkContainer } from './flows.js';

const BIG = 8 * 1024 * 1024 + 123;

function listen(
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<{ server: ServerType; origin: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({ server, origin: `http://127.0.0.1:${info.port}` });
    });
  });
}

function close(server: ServerType): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('the sandbox served over real HTTP on its own port', () => {
  const sandbox = createSandbox({ bigAvroBytes: BIG });
  const grant = sandbox.state.mint({ provider: 'dropbox' });
  let served: { server: ServerType; origin: string };

  beforeAll(async () => {
    served = await listen(sandbox.app.fetch);
  });
  afterAll(() => close(served.server));

  const download = (headers: Record<string, string>) =>
    fetch(`${served.origin}/dropbox/content/2/files/download`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.access_token}`, ...headers },
    });

  it('downloads a Range of big.avro that resumes decoding mid-file', async () => {
    const layout = bigAvroLayout(BIG);
    const start = layout.header.length + layout.blockBytes * 50;
    const end = start + layout.blockBytes * 3 - 1;
    const res = await download({
      'dropbox-api-arg': headerSafeJson({ path: '/data/big.avro' }),
      range: `bytes=${start}-${end}`,
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${BIG}`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(Buffer.concat([...bigAvroChunks(layout, start, end + 1)]))).toBe(true);
    // Header + the three whole blocks fetched by range form a valid file of exactly those rows.
    const walked = walkContainer(Buffer.concat([layout.header, bytes]));
    expect(walked.rows).toHaveLength(3 * 512);
    expect(walked.rows[0]?.seq).toBe(50n * 512n);
  });

  it('streams the whole file with the exact Content-Length', async () => {
    const res = await download({ 'dropbox-api-arg': headerSafeJson({ path: '/data/big.avro' }) });
    expect(res.headers.get('content-length')).toBe(String(BIG));
    let total = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) total += chunk.length;
    expect(total).toBe(BIG);
  });

  it('rejects a raw non-ASCII Dropbox-API-Arg header arriving over the wire', async () => {
    const res = await download({ 'dropbox-api-arg': '{"path":"/Données/résumé.txt"}' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('could not decode input as JSON');
  });

  it('cuts the connection on a reset fault', async () => {
    sandbox.state.addFault({ provider: 'dropbox', match: '/files/download', reset: true });
    const res = await download({ 'dropbox-api-arg': headerSafeJson({ path: '/data/big.avro' }) });
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });
});

describe.each(['route', 'mount'] as const)('the sandbox under /sandbox of another app (app.%s)', (how) => {
  const sandbox = createSandbox({ bigAvroBytes: 64 * 1024 });
  const main = new Hono();
  main.get('/healthz', (c) => c.json({ ok: true }));
  if (how === 'route') main.route('/sandbox', sandbox.app);
  else main.mount('/sandbox', sandbox.app.fetch);
  let served: { server: ServerType; origin: string };

  beforeAll(async () => {
    served = await listen(main.fetch);
  });
  afterAll(() => close(served.server));

  it('builds paging links from the request’s own URL', async () => {
    const grant = sandbox.state.mint({ provider: 'hubspot' });
    const res = await fetch(
      `${served.origin}/sandbox/hubspot/api/cms/hubdb/2026-03/tables/products/rows?limit=10`,
      {
        headers: { authorization: `Bearer ${grant.access_token}` },
      },
    );
    const body = (await res.json()) as { paging: { next: { link: string } } };
    const link = new URL(body.paging.next.link);
    expect(link.origin).toBe(served.origin);
    expect(link.pathname).toBe('/sandbox/hubspot/api/cms/hubdb/2026-03/tables/products/rows');
    expect((await fetch(link, { headers: { authorization: `Bearer ${grant.access_token}` } })).status).toBe(
      200,
    );
  });

  it('runs the consent flow as a browser would: GET page, POST its form, follow nothing', async () => {
    const query = new URLSearchParams({
      client_id: 'sandbox-dropbox-app',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      state: 'xyz',
      token_access_type: 'offline',
    });
    const pageUrl = `${served.origin}/sandbox/dropbox/oauth2/authorize?${query}`;
    const page = await fetch(pageUrl);
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1] ?? '';
    const target = new URL(action, pageUrl);
    expect(target.pathname).toBe('/sandbox/dropbox/oauth2/authorize');
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
      fields.set(m[1] ?? '', m[2] ?? '');
    fields.set('account', 'acme');
    fields.set('decision', 'approve');
    const res = await fetch(target, { method: 'POST', body: fields, redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('code')).toBeTruthy();
  });
});
