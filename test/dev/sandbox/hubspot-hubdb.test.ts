import { describe, expect, it } from 'vitest';
import { SEED_INVENTORY_COUNT, SEED_PRODUCT_COUNT } from '../../../lib/dev/sandbox/hubspot/hubdb-store.js';
import { createSandbox } from '../../../lib/dev/sandbox/index.js';
import { bearer, ORIGIN } from './flows.js';

const API = `${ORIGIN}/hubspot/api`;
const HUBDB = `${API}/cms/hubdb/2026-03`;

type Row = { id: string; values: Record<string, unknown>; path: string | null; name: string | null };
type Rows = { total: number; results: Row[]; paging?: { next: { after: string; link: string } } };

function setup(account = 'demo', scopes?: string[]) {
  const sandbox = createSandbox();
  const grant = sandbox.state.mint({ provider: 'hubspot', account, ...(scopes ? { scopes } : {}) });
  const get = async (path: string) => {
    const res = await sandbox.app.request(`${HUBDB}${path}`, bearer(grant.access_token));
    return { res, body: (await res.json()) as Record<string, unknown> };
  };
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await sandbox.app.request(`${HUBDB}${path}`, {
      method,
      headers: { authorization: `Bearer ${grant.access_token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { res, body: res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>) };
  };
  const rows = async (query: string) => (await get(`/tables/products/rows?${query}`)).body as unknown as Rows;
  return { sandbox, grant, get, send, rows };
}

describe('HubSpot data-route authentication', () => {
  it('answers 401 INVALID_AUTHENTICATION for unknown or missing tokens', async () => {
    const { sandbox } = setup();
    for (const init of [bearer('not-a-token'), {}]) {
      const res = await sandbox.app.request(`${HUBDB}/tables`, init);
      expect(res.status).toBe(401);
      expect(res.headers.get('x-hubspot-auth-failure')).toBeTruthy();
      expect(await res.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    }
  });

  it('answers 401 EXPIRED_AUTHENTICATION with HubSpot’s message for expired tokens', async () => {
    let now = Date.UTC(2025, 0, 1);
    const sandbox = createSandbox({ now: () => now });
    const grant = sandbox.state.mint({ provider: 'hubspot' });
    now += 1800 * 1000 + 5000;
    const res = await sandbox.app.request(`${HUBDB}/tables`, bearer(grant.access_token));
    expect(res.status).toBe(401);
    expect(res.headers.get('x-hubspot-auth-failure')).toBe('401 Unauthorized');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });
    expect(body.message).toBe('The OAuth token used to make this call expired 5 second(s) ago.');
    expect(typeof body.correlationId).toBe('string');
  });

  it('answers 403 MISSING_SCOPES with requiredScopes when the token lacks hubdb', async () => {
    const { get } = setup('demo', ['oauth']);
    const { res, body } = await get('/tables');
    expect(res.status).toBe(403);
    expect(body).toMatchObject({
      status: 'error',
      category: 'MISSING_SCOPES',
      errors: [{ context: { requiredScopes: ['hubdb'] } }],
    });
  });

  it('serves account info and rate-limit headers', async () => {
    const { sandbox, grant } = setup('acme');
    const res = await sandbox.app.request(`${API}/account-info/2026-03/details`, bearer(grant.access_token));
    expect(await res.json()).toMatchObject({
      portalId: 1000002,
      uiDomain: 'app.hubspot.com',
      timeZone: 'US/Eastern',
    });
    expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('110');
    expect(Number(res.headers.get('x-hubspot-ratelimit-remaining'))).toBe(109);
    expect(res.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
  });

  it('accepts registered private-app tokens as Bearer', async () => {
    const sandbox = createSandbox();
    sandbox.state.registerPrivateApp({ token: 'pat-na1-test', hubId: 4242, scopes: ['hubdb'] });
    const res = await sandbox.app.request(`${API}/account-info/2026-03/details`, bearer('pat-na1-test'));
    expect(await res.json()).toMatchObject({ portalId: 4242 });
    const tables = await sandbox.app.request(`${HUBDB}/tables`, bearer('pat-na1-test'));
    expect(tables.status).toBe(200);
  });
});

describe('HubDB tables', () => {
  it('lists the seeded tables with HubDB’s table fields', async () => {
    const { get } = setup();
    const { res, body } = await get('/tables');
    expect(res.status).toBe(200);
    const results = body.results as Array<Record<string, unknown>>;
    expect(body.total).toBe(4);
    expect(results.map((t) => t.name)).toEqual(['products', 'stores', 'archive', 'inventory']);
    expect(results[0]).toMatchObject({
      id: '10000011',
      label: 'Products',
      published: true,
      rowCount: SEED_PRODUCT_COUNT,
    });
    const columns = (results[0]?.columns ?? []) as Array<{ name: string; type: string }>;
    expect(columns.map((c) => c.type)).toEqual(
      expect.arrayContaining(['TEXT', 'NUMBER', 'BOOLEAN', 'DATE', 'SELECT', 'MULTISELECT']),
    );
    expect(results[2]?.rowCount).toBe(0);
    expect(body.paging).toBeUndefined();
  });

  it('pages tables and sorts them', async () => {
    const { get } = setup();
    const page = (await get('/tables?limit=2&sort=-name')).body;
    expect((page.results as Array<{ name: string }>).map((t) => t.name)).toEqual(['stores', 'products']);
    const after = (page.paging as { next: { after: string } }).next.after;
    const rest = (await get(`/tables?limit=2&sort=-name&after=${after}`)).body;
    expect((rest.results as Array<{ name: string }>).map((t) => t.name)).toEqual(['inventory', 'archive']);
    expect(rest.paging).toBeUndefined();
  });

  it('finds a table by id or name and answers 404 OBJECT_NOT_FOUND otherwise', async () => {
    const { get } = setup();
    expect((await get('/tables/stores')).body.id).toBe('10000012');
    expect((await get('/tables/10000012')).body.name).toBe('stores');
    const { res, body } = await get('/tables/nope');
    expect(res.status).toBe(404);
    expect(body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    expect(typeof body.message).toBe('string');
  });
});

describe('HubDB rows', () => {
  it('pages through all rows with after/link, paging absent on the last page', async () => {
    const { rows } = setup();
    const seen = new Set<string>();
    let query = 'limit=100';
    let pages = 0;
    for (;;) {
      const page = await rows(query);
      pages++;
      expect(page.total).toBe(SEED_PRODUCT_COUNT);
      for (const r of page.results) seen.add(r.id);
      if (!page.paging) break;
      const link = new URL(page.paging.next.link);
      expect(link.origin).toBe(ORIGIN);
      expect(link.searchParams.get('after')).toBe(page.paging.next.after);
      expect(link.searchParams.get('limit')).toBe('100');
      query = link.search.slice(1);
    }
    expect(pages).toBe(3);
    expect(seen.size).toBe(SEED_PRODUCT_COUNT);
  });

  it('pages a RANDOM_ACCESS table with numeric offsets (and its link), STREAMING ones with after', async () => {
    const { get } = setup();
    const first = (await get('/tables/inventory/rows?limit=1000')).body as {
      type: string;
      total: number;
      results: unknown[];
      paging: { next: { offset: number; after?: string; link: string } };
    };
    expect(first).toMatchObject({ type: 'RANDOM_ACCESS', total: SEED_INVENTORY_COUNT });
    expect(first.results).toHaveLength(1000);
    expect(first.paging.next.offset).toBe(1000);
    expect(first.paging.next.after).toBeUndefined();
    expect(new URL(first.paging.next.link).searchParams.get('offset')).toBe('1000');
    const last = (await get('/tables/inventory/rows?limit=1000&offset=1000')).body as { results: unknown[] };
    expect(last.results).toHaveLength(SEED_INVENTORY_COUNT - 1000);
    expect(last).not.toHaveProperty('paging');
    expect((await get('/tables/products/rows?limit=1')).body.type).toBe('STREAMING');
  });

  it('returns HubDB v3 value shapes', async () => {
    const { rows } = setup();
    const [row] = (await rows('limit=1')).results;
    expect(row).toMatchObject({ path: 'product-001', id: '1000001100001' });
    const values = row?.values ?? {};
    expect(typeof values.price).toBe('number');
    expect([0, 1]).toContain(values.in_stock);
    expect(typeof values.launched).toBe('number');
    expect(values.category).toMatchObject({
      type: 'option',
      name: expect.any(String),
      id: expect.any(String),
    });
    expect(Array.isArray(values.tags)).toBe(true);
  });

  it('filters with every operator', async () => {
    const { rows } = setup();
    const all = (await rows('limit=1000')).results;
    const count = (pred: (r: Row) => boolean) => all.filter(pred).length;
    const v = (r: Row, k: string) => r.values[k];
    expect((await rows('price__gt=500&limit=1000')).total).toBe(count((r) => Number(v(r, 'price')) > 500));
    expect((await rows('price__lte=100')).total).toBe(count((r) => Number(v(r, 'price')) <= 100));
    expect((await rows('in_stock=true')).total).toBe(count((r) => v(r, 'in_stock') === 1));
    expect((await rows('in_stock__eq=0')).total).toBe(count((r) => v(r, 'in_stock') === 0));
    expect((await rows('in_stock__ne=1')).total).toBe(count((r) => v(r, 'in_stock') === 0));
    expect((await rows('category__eq=hardware')).total).toBe(
      count((r) => (v(r, 'category') as { name: string }).name === 'Hardware'),
    );
    expect((await rows('category__in=Hardware,Software')).total).toBe(125);
    expect((await rows('category__not_in=Hardware,Software')).total).toBe(125);
    expect((await rows('name__contains=Widget')).total).toBe(
      count((r) => String(v(r, 'name')).includes('Widget')),
    );
    expect((await rows('name__icontains=widget')).total).toBe(
      count((r) => String(v(r, 'name')).includes('Widget')),
    );
    expect((await rows('sku__startswith=SKU-00')).total).toBe(
      count((r) => String(v(r, 'sku')).startsWith('SKU-00')),
    );
    expect((await rows('description__is_null=')).total).toBe(Math.floor(SEED_PRODUCT_COUNT / 17));
    expect((await rows('description__not_null=')).total).toBe(SEED_PRODUCT_COUNT - 14);
    const since = Date.UTC(2022, 0, 1);
    expect((await rows('launched__gte=2022-01-01')).total).toBe(
      count((r) => Number(v(r, 'launched')) >= since),
    );
    expect((await rows(`launched__lt=${since}`)).total).toBe(count((r) => Number(v(r, 'launched')) < since));
    expect((await rows('tags__contains=eco')).total).toBe(
      count((r) => (v(r, 'tags') as Array<{ name: string }>).some((o) => o.name === 'eco')),
    );
  });

  it('sorts ascending and descending, and narrows values with properties', async () => {
    const { rows } = setup();
    const desc = (await rows('sort=-price&limit=250&properties=price,name')).results;
    const prices = desc.map((r) => Number(r.values.price));
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
    expect(Object.keys(desc[0]?.values ?? {}).sort()).toEqual(['name', 'price']);
    const asc = (await rows('sort=name&limit=3')).results.map((r) => String(r.values.name));
    expect(asc).toEqual([...asc].sort());
  });

  it('answers 400 VALIDATION_ERROR for unknown columns, operators and limits', async () => {
    const { get } = setup();
    for (const q of ['nope__eq=1', 'price__between=1', 'limit=abc', 'after=garbage', 'sort=nope']) {
      const { res, body } = await get(`/tables/products/rows?${q}`);
      expect(res.status, q).toBe(400);
      expect(body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    }
  });

  it('gets one row and answers 404 for a missing one', async () => {
    const { get } = setup();
    expect((await get('/tables/stores/rows/1000001200002')).body.values).toMatchObject({ city: 'München' });
    const { res, body } = await get('/tables/stores/rows/999');
    expect(res.status).toBe(404);
    expect(body.category).toBe('OBJECT_NOT_FOUND');
  });
});

describe('HubDB draft writes and publishing', () => {
  it('creates, edits, replaces, deletes draft rows and publishes them', async () => {
    const { get, send, rows } = setup();
    const created = await send('POST', '/tables/products/rows', {
      values: {
        name: 'Sandbox Lamp',
        price: '12.5',
        in_stock: true,
        launched: '2025-02-03',
        category: 'Services',
      },
      path: 'sandbox-lamp',
    });
    expect(created.res.status).toBe(201);
    const id = String(created.body.id);
    expect(created.body.values).toMatchObject({
      name: 'Sandbox Lamp',
      price: 12.5,
      in_stock: 1,
      launched: Date.UTC(2025, 1, 3),
      category: { name: 'Services', type: 'option' },
    });
    expect(created.body.publishedAt).toBeUndefined();
    expect((await rows('limit=1000')).total).toBe(SEED_PRODUCT_COUNT);
    expect((await get(`/tables/products/rows/${id}`)).res.status).toBe(404);
    expect((await get(`/tables/products/rows/${id}/draft`)).res.status).toBe(200);

    const patched = await send('PATCH', `/tables/products/rows/${id}/draft`, {
      values: { price: 20, sku: null },
    });
    expect(patched.body.values).toMatchObject({ name: 'Sandbox Lamp', price: 20 });
    const replaced = await send('PUT', `/tables/products/rows/${id}/draft`, { values: { name: 'Lamp v2' } });
    expect(replaced.body.values).toEqual({ name: 'Lamp v2' });

    const bad = await send('PATCH', `/tables/products/rows/${id}/draft`, { values: { price: 'cheap' } });
    expect(bad.res.status).toBe(400);
    expect(bad.body.category).toBe('VALIDATION_ERROR');
    expect((await send('PATCH', '/tables/products/rows/1/draft', { values: {} })).res.status).toBe(404);

    const published = await send('POST', '/tables/products/draft/publish');
    expect(published.res.status).toBe(200);
    expect(published.body).toMatchObject({ name: 'products', rowCount: SEED_PRODUCT_COUNT + 1 });
    expect((await get(`/tables/products/rows/${id}`)).body).toMatchObject({ values: { name: 'Lamp v2' } });

    expect((await send('DELETE', `/tables/products/rows/${id}/draft`)).res.status).toBe(204);
    expect((await send('DELETE', `/tables/products/rows/${id}/draft`)).res.status).toBe(404);
    expect((await get(`/tables/products/rows/${id}`)).res.status).toBe(200);
    await send('POST', '/tables/products/draft/publish');
    expect((await get(`/tables/products/rows/${id}`)).res.status).toBe(404);
  });

  it('keeps each portal’s HubDB separate', async () => {
    const demo = setup('demo');
    const acme = demo.sandbox.state.mint({ provider: 'hubspot', account: 'acme' });
    await demo.send('POST', '/tables/archive/rows', { values: { title: 'only demo' } });
    await demo.send('POST', '/tables/archive/draft/publish');
    const acmeRows = await demo.sandbox.app.request(
      `${HUBDB}/tables/archive/rows`,
      bearer(acme.access_token),
    );
    expect(((await acmeRows.json()) as Rows).total).toBe(0);
    expect((await demo.get('/tables/archive/rows')).body.total).toBe(1);
  });
});
