import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
let tenant: { id: string; apiKey: string };
let hub: string;
let drop: string;

async function connect(provider: 'hubspot' | 'dropbox', endUserId: string) {
  const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
    provider,
    endUserId,
    returnUrl: 'https://app.acme.test/done',
  });
  const { connectUrl } = await res.json();
  const { callback } = await walkConnect(new TestBrowser(), connectUrl, { account: 'demo' });
  return new URL(locationOf(callback)).searchParams.get('connectionId')!;
}

const get = (path: string, headers: Record<string, string> = {}) =>
  s.api('GET', path, tenant.apiKey, undefined, headers);

beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
  hub = await connect('hubspot', 'data-user');
  drop = await connect('dropbox', 'data-user');
});
afterAll(async () => {
  await s?.close();
});

describe('HubDB', () => {
  it('lists tables with columns, and gets one by id or name', async () => {
    const res = await get(`/v1/connections/${hub}/hubdb/tables`);
    expect(res.status).toBe(200);
    const { tables } = await res.json();
    const products = tables.find((t: { name: string }) => t.name === 'products');
    expect(products).toMatchObject({ label: 'Products', rowCount: 250, published: true });
    expect(products.columns.map((c: { name: string }) => c.name)).toContain('price');
    expect(products.columns.find((c: { name: string }) => c.name === 'price').type).toBe('NUMBER');
    const byName = await (await get(`/v1/connections/${hub}/hubdb/tables/products`)).json();
    const byId = await (await get(`/v1/connections/${hub}/hubdb/tables/${products.id}`)).json();
    expect(byId).toEqual(byName);
    expect((await get(`/v1/connections/${hub}/hubdb/tables/nope`)).status).toBe(404);
  });

  it('pages rows with cursors and passes filters and sort through', async () => {
    const ids = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get(
        `/v1/connections/${hub}/hubdb/tables/products/rows?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      const page = await res.json();
      for (const r of page.rows) ids.add(r.id);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(ids.size).toBe(250);
    expect(pages).toBe(3);

    const cheap = await (
      await get(`/v1/connections/${hub}/hubdb/tables/products/rows?price__lt=100&sort=-price&limit=1000`)
    ).json();
    expect(cheap.rows.length).toBeGreaterThan(0);
    const prices = cheap.rows.map((r: { values: { price: number } }) => r.values.price);
    expect(prices.every((p: number) => p < 100)).toBe(true);
    expect([...prices].sort((a, b) => b - a)).toEqual(prices);

    const bad = await get(`/v1/connections/${hub}/hubdb/tables/products/rows?price__hack=1`);
    expect(bad.status).toBe(400);
  });

  it('streams every row of every page as NDJSON', async () => {
    const res = await get(`/v1/connections/${hub}/hubdb/tables/products/rows`, {
      accept: 'application/x-ndjson',
    });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(250);
    expect(lines.every((l) => l.id && l.values)).toBe(true);
  });

  it('creates, updates, deletes draft rows and publishes', async () => {
    const created = await s.api('POST', `/v1/connections/${hub}/hubdb/tables/stores/rows`, tenant.apiKey, {
      values: { name: 'Portico Store' },
    });
    expect(created.status).toBe(201);
    const row = await created.json();
    const patched = await s.api(
      'PATCH',
      `/v1/connections/${hub}/hubdb/tables/stores/rows/${row.id}`,
      tenant.apiKey,
      {
        values: { name: 'Portico Store 2' },
      },
    );
    expect(patched.status).toBe(200);
    expect((await patched.json()).values.name).toBe('Portico Store 2');
    const published = await s.api(
      'POST',
      `/v1/connections/${hub}/hubdb/tables/stores/publish`,
      tenant.apiKey,
    );
    expect(published.status).toBe(200);
    expect((await get(`/v1/connections/${hub}/hubdb/tables/stores/rows/${row.id}`)).status).toBe(200);
    expect(
      (await s.api('DELETE', `/v1/connections/${hub}/hubdb/tables/stores/rows/${row.id}`, tenant.apiKey))
        .status,
    ).toBe(204);
    const badBody = await s.api('POST', `/v1/connections/${hub}/hubdb/tables/stores/rows`, tenant.apiKey, {
      name: 'x',
    });
    expect(badBody.status).toBe(400);
  });

  it('refreshes once on a 401 from HubSpot and retries', async () => {
    const before = s.sandbox.state.stats().hubspot.refreshes;
    s.sandbox.state.expireTokens('hubspot');
    const res = await get(`/v1/connections/${hub}/hubdb/tables`);
    expect(res.status).toBe(200);
    expect(s.sandbox.state.stats().hubspot.refreshes - before).toBe(1);
  });

  it('retries 429s and 5xx, then answers rate_limited or provider_unavailable', async () => {
    s.sandbox.state.addFault({
      provider: 'hubspot',
      match: '/hubdb/2026-03/tables',
      status: 429,
      retryAfter: 0,
      count: 2,
    });
    expect((await get(`/v1/connections/${hub}/hubdb/tables`)).status).toBe(200);
    s.sandbox.state.addFault({
      provider: 'hubspot',
      match: '/hubdb/2026-03/tables',
      status: 429,
      retryAfter: 30,
      count: 1,
    });
    const limited = await get(`/v1/connections/${hub}/hubdb/tables`);
    expect(limited.status).toBe(429);
    expect((await limited.json()).code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('30');
    s.sandbox.state.addFault({ provider: 'hubspot', match: '/hubdb/2026-03/tables', status: 502, count: 0 });
    try {
      const down = await get(`/v1/connections/${hub}/hubdb/tables`);
      expect(down.status).toBe(503);
      expect((await down.json()).code).toBe('provider_unavailable');
    } finally {
      s.sandbox.state.clearFaults('hubspot');
    }
  }, 60_000);

  it('refuses a HubDB route on a Dropbox connection', async () => {
    const res = await get(`/v1/connections/${drop}/hubdb/tables`);
    expect(res.status).toBe(400);
  });
});

describe('Dropbox files', () => {
  it('lists folders, recursively, with normalized entries', async () => {
    const root = await (await get(`/v1/connections/${drop}/dropbox/files`)).json();
    const names = root.entries.map((e: { name: string }) => e.name);
    expect(names).toEqual(expect.arrayContaining(['Reports', 'data', 'Données']));
    const data = await (await get(`/v1/connections/${drop}/dropbox/files?path=/data`)).json();
    const users = data.entries.find((e: { name: string }) => e.name === 'users.avro');
    expect(users).toMatchObject({ type: 'file', path: '/data/users.avro' });
    expect(users.size).toBeGreaterThan(0);
    expect(users.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const all = await (await get(`/v1/connections/${drop}/dropbox/files?recursive=true`)).json();
    expect(all.entries.some((e: { path: string }) => e.path === '/Données/résumé.txt')).toBe(true);
    expect((await get(`/v1/connections/${drop}/dropbox/files?path=/nope`)).status).toBe(404);
    expect((await get(`/v1/connections/${drop}/dropbox/files?path=nope`)).status).toBe(400);
  });

  it('downloads bytes with Content-Length, non-ASCII paths escaped for Dropbox', async () => {
    const res = await get(
      `/v1/connections/${drop}/dropbox/content?path=${encodeURIComponent('/Données/résumé.txt')}`,
    );
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.length).toBeGreaterThan(0);
    // Header injection through the path is impossible: JSON escapes control characters, and they are refused.
    const evil = await get(
      `/v1/connections/${drop}/dropbox/content?path=${encodeURIComponent('/a\r\nx-evil: 1')}`,
    );
    expect(evil.status).toBe(400);
  });
});

describe('Dropbox Avro', () => {
  it('pages through users.avro matching an in-process decode', async () => {
    const raw = Buffer.from(
      await (await get(`/v1/connections/${drop}/dropbox/content?path=/data/users.avro`)).arrayBuffer(),
    );
    const expected: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      // Encoded records (plain avsc refuses longs beyond 2^53, which this file has on purpose).
      const dec = new avro.streams.BlockDecoder({ noDecode: true });
      dec
        .on('data', (r) => expected.push(r))
        .on('end', () => resolve())
        .on('error', reject);
      dec.end(raw);
    });
    const rows: Array<Record<string, unknown>> = [];
    let cursor: string | undefined;
    let schema: unknown;
    do {
      const res = await get(
        `/v1/connections/${drop}/dropbox/avro?path=/data/users.avro&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      const page = await res.json();
      schema = page.schema;
      rows.push(...page.rows);
      cursor = page.nextCursor;
    } while (cursor);
    expect((schema as { name: string }).name).toBe('User');
    expect(rows.length).toBe(expected.length);
    // Big longs come out as exact strings.
    expect(JSON.stringify(rows)).toMatch(/"\d{16,}"/);
  });

  it('streams NDJSON: schema first, then every row', async () => {
    const res = await get(`/v1/connections/${drop}/dropbox/avro?path=/data/events-deflate.avro`, {
      accept: 'application/x-ndjson',
    });
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].schema).toBeDefined();
    expect(lines.length - 1).toBeGreaterThan(1000);
    expect(lines.some((l) => 'error' in l)).toBe(false);
  });

  it('answers 422 for files that are not Avro, truncated or corrupt', async () => {
    for (const f of ['not-avro', 'truncated', 'corrupt']) {
      // Pages before the damage are served; the page that reaches it answers 422.
      let cursor: string | undefined;
      let res: Response;
      let served = 0;
      for (;;) {
        res = await get(
          `/v1/connections/${drop}/dropbox/avro?path=/data/${f}.avro&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        if (res.status !== 200) break;
        const page = await res.json();
        served += page.rows.length;
        cursor = page.nextCursor;
        expect(cursor, `${f} ended without an error`).toBeDefined();
      }
      expect(res.status, f).toBe(422);
      const body = await res.json();
      expect(body.code).toBe('invalid_request');
      expect(body.detail).toMatch(/Avro/);
      if (f === 'not-avro') expect(served).toBe(0);
      if (f === 'truncated') expect(served).toBeGreaterThan(0);
    }
  });

  it('ends an NDJSON stream that meets damage with an error line', async () => {
    const res = await get(`/v1/connections/${drop}/dropbox/avro?path=/data/truncated.avro`, {
      accept: 'application/x-ndjson',
    });
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].schema).toBeDefined();
    expect(lines.at(-1).error.code).toBe('invalid_request');
    const notAvro = await get(`/v1/connections/${drop}/dropbox/avro?path=/data/not-avro.avro`, {
      accept: 'application/x-ndjson',
    });
    expect(notAvro.status).toBe(422);
  });

  it('refuses a cursor from another file', async () => {
    const page = await (
      await get(`/v1/connections/${drop}/dropbox/avro?path=/data/users.avro&limit=2`)
    ).json();
    const res = await get(
      `/v1/connections/${drop}/dropbox/avro?path=/data/events-deflate.avro&cursor=${page.nextCursor}`,
    );
    expect(res.status).toBe(400);
  });
});

describe('proxy', () => {
  it('forwards to HubSpot with the connection token and streams the answer back', async () => {
    const res = await get(`/v1/connections/${hub}/proxy/cms/hubdb/2026-03/tables?limit=1`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.results.length).toBe(1);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('forwards Dropbox RPC and content calls', async () => {
    const rpc = await s.api('POST', `/v1/connections/${drop}/proxy/2/files/list_folder`, tenant.apiKey, {
      path: '/data',
    });
    expect(rpc.status).toBe(200);
    expect((await rpc.json()).entries.length).toBeGreaterThan(3);
    const dl = await s.api(
      'POST',
      `/v1/connections/${drop}/proxy/content/2/files/download`,
      tenant.apiKey,
      undefined,
      {
        'dropbox-api-arg': JSON.stringify({ path: '/Reports/q1.csv' }),
      },
    );
    expect(dl.status).toBe(200);
    expect(dl.headers.get('dropbox-api-result')).toContain('q1.csv');
  });

  it('passes provider errors through unchanged', async () => {
    const res = await get(`/v1/connections/${hub}/proxy/cms/hubdb/2026-03/tables/does-not-exist`);
    expect(res.status).toBe(404);
    expect((await res.json()).category).toBe('OBJECT_NOT_FOUND');
  });

  it('never leaves the provider host, and never forwards the caller credentials', async () => {
    for (const path of [
      'proxy/..%2f..%2fv1%2ftenants',
      'proxy/%2e%2e/%2e%2e/v1/tenants',
      'proxy/cms/%2E%2E/x',
      'proxy//evil.test/x',
      'proxy/cms%5c..%5cx',
      'proxy/',
    ]) {
      const res = await get(`/v1/connections/${hub}/${path}`);
      expect([400, 404], path).toContain(res.status);
    }
    const seen = s.sandbox.state.stats().hubspot.routes;
    expect(JSON.stringify(seen)).not.toContain('tenants');
  });
});
