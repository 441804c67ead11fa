import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Received, startReceiver } from '../helpers/receiver.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Operating Portico through the API alone: connection health, filters that filter (and refuse
 * what they do not know), connect-session state, refresh-failure events, stats, the proxy's
 * upstream marker. A real local server and a real sandbox over HTTP.
 */
let s: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let tenant: { id: string; apiKey: string };

type Conn = {
  id: string;
  provider: string;
  endUserId: string;
  status: string;
  lastRefreshedAt: string | null;
  lastUsedAt: string | null;
  lastError: { code: string; detail: string; at: string } | null;
  refreshFailures: number;
};

beforeAll(async () => {
  receiver = await startReceiver();
  // Tests change items straight in the table, as another process would: no reuse of reads.
  s = await startStack({ env: { CONNECTION_CACHE_MS: '0' } });
  tenant = await s.tenant({ webhookUrl: receiver.url });
}, 60_000);
afterAll(async () => {
  await s?.close();
  await receiver?.close();
});

const get = async <T>(path: string, key = tenant.apiKey): Promise<T> => {
  const res = await s.api('GET', path, key);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

/** A grant minted at the sandbox, imported (the import refreshes it once to check it). */
async function importGrant(provider: 'hubspot' | 'dropbox', endUserId: string, t = tenant): Promise<Conn> {
  const minted = s.sandbox.state.mint({ provider, account: `${endUserId}-acct` });
  const res = await s.api('POST', '/v1/connections', t.apiKey, {
    provider,
    endUserId,
    credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
  });
  if (res.status !== 201) throw new Error(`import: ${res.status} ${await res.text()}`);
  return (await res.json()) as Conn;
}

const events = (type: string, id: string) =>
  receiver.received
    .map((r: Received) => JSON.parse(r.body) as { type: string; data: { connection?: { id: string } } })
    .filter((e) => e.type === type && e.data.connection?.id === id);

describe('connection health', () => {
  it('after a successful refresh, a failing one, N failing ones (told once), and a recovery', async () => {
    const c = await importGrant('dropbox', 'health-1');
    // An import is checked by refreshing it: it starts healthy, refreshed, never used.
    expect(c).toMatchObject({ refreshFailures: 0, lastError: null, lastUsedAt: null });
    expect(c.lastRefreshedAt).not.toBeNull();

    const ok = await (await s.api('POST', `/v1/connections/${c.id}/refresh`, tenant.apiKey)).json();
    expect(Date.parse(ok.lastRefreshedAt)).toBeGreaterThanOrEqual(Date.parse(c.lastRefreshedAt!));
    expect(ok).toMatchObject({ refreshFailures: 0, lastError: null });

    s.sandbox.state.addFault({ provider: 'dropbox', match: '/oauth2/token', status: 503, count: 0 });
    try {
      for (let i = 1; i <= 3; i++) {
        const res = await s.api('POST', `/v1/connections/${c.id}/refresh`, tenant.apiKey);
        expect(res.status).toBe(503);
        const now = await get<Conn>(`/v1/connections/${c.id}`);
        // Transient: still active, counted, with the reason; never a provider body or token.
        expect(now).toMatchObject({ status: 'active', refreshFailures: i });
        expect(now.lastError).toMatchObject({ code: 'provider_unavailable' });
        expect(now.lastError!.detail).toMatch(/Dropbox/);
        expect(now.lastRefreshedAt).toBe(ok.lastRefreshedAt);
        if (i < 3) expect(events('connection.refresh_failed', c.id)).toHaveLength(0);
      }
      await receiver.waitFor(() => events('connection.refresh_failed', c.id).length === 1);
    } finally {
      s.sandbox.state.clearFaults('dropbox');
    }
    const back = await (await s.api('POST', `/v1/connections/${c.id}/refresh`, tenant.apiKey)).json();
    expect(back).toMatchObject({ status: 'active', refreshFailures: 0, lastError: null });
    await receiver.waitFor(() => events('connection.recovered', c.id).length === 1);
    expect(events('connection.refresh_failed', c.id)).toHaveLength(1);
  }, 60_000);

  it('a dead grant: needs_reauth, with lastError saying so', async () => {
    const other = await s.tenant();
    const c = await importGrant('hubspot', 'health-dead', other);
    s.sandbox.state.revokeGrants('hubspot');
    const res = await s.api('POST', `/v1/connections/${c.id}/refresh`, other.apiKey);
    expect(res.status).toBe(409);
    const now = await get<Conn>(`/v1/connections/${c.id}`, other.apiKey);
    expect(now).toMatchObject({ status: 'needs_reauth', refreshFailures: 1 });
    expect(now.lastError).toMatchObject({ code: 'needs_reauth' });
  });

  it('lastUsedAt: set by a token read, written at most once a minute', async () => {
    const c = await importGrant('hubspot', 'health-used');
    await s.api('GET', `/v1/connections/${c.id}/token`, tenant.apiKey);
    const first = (await get<Conn>(`/v1/connections/${c.id}`)).lastUsedAt;
    expect(first).not.toBeNull();
    for (let i = 0; i < 3; i++) await s.api('GET', `/v1/connections/${c.id}/token`, tenant.apiKey);
    expect((await get<Conn>(`/v1/connections/${c.id}`)).lastUsedAt).toBe(first);
    // A minute later (as the table says), the next use writes it again.
    const old = new Date(Date.parse(first!) - 61_000).toISOString();
    await s.portico.services.db.update(`TENANT#${tenant.id}`, `CONN#${c.id}`, { lastUsedAt: old });
    await s.api('GET', `/v1/connections/${c.id}/proxy/account-info/v3/details`, tenant.apiKey);
    expect(Date.parse((await get<Conn>(`/v1/connections/${c.id}`)).lastUsedAt!)).toBeGreaterThan(
      Date.parse(old),
    );
  });

  it('private-app connections carry the health fields too', async () => {
    s.sandbox.state.registerPrivateApp({ token: 'pat-na1-healthcheck01', hubId: 4711, scopes: ['hubdb'] });
    const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'health-pat',
      credentials: { type: 'private_app', token: 'pat-na1-healthcheck01' },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      authScheme: 'private_app',
      lastRefreshedAt: null,
      lastUsedAt: null,
      lastError: null,
      refreshFailures: 0,
    });
  });
});

describe('filters that filter', () => {
  let t: { id: string; apiKey: string };
  const made: Record<string, Conn> = {};
  beforeAll(async () => {
    t = await s.tenant();
    made.hubA = await importGrant('hubspot', 'alice', t);
    made.dropA = await importGrant('dropbox', 'alice', t);
    made.hubB = await importGrant('hubspot', 'bob', t);
    made.dropC = await importGrant('dropbox', 'carol', t);
    // carol's grant dies.
    s.sandbox.state.revokeGrants('dropbox');
    await s.api('POST', `/v1/connections/${made.dropC.id}/refresh`, t.apiKey);
    await s.api('POST', `/v1/connections/${made.dropA.id}/refresh`, t.apiKey);
  }, 60_000);

  const ids = async (query: string, key = t.apiKey) => {
    const page = await get<{ connections: Conn[] }>(`/v1/connections?${query}`, key);
    return page.connections.map((c) => c.id).sort();
  };
  const sorted = (...names: string[]) => names.map((n) => made[n].id).sort();

  it('connections by provider, end user, status, and their combinations', async () => {
    expect(await ids('provider=hubspot')).toEqual(sorted('hubA', 'hubB'));
    expect(await ids('provider=dropbox')).toEqual(sorted('dropA', 'dropC'));
    expect(await ids('endUserId=alice')).toEqual(sorted('hubA', 'dropA'));
    expect(await ids('endUserId=alice&provider=dropbox')).toEqual(sorted('dropA'));
    expect(await ids('status=needs_reauth')).toEqual(sorted('dropA', 'dropC'));
    expect(await ids('status=active')).toEqual(sorted('hubA', 'hubB'));
    expect(await ids('status=active&provider=dropbox')).toEqual([]);
    expect(await ids('status=needs_reauth&provider=dropbox')).toEqual(sorted('dropA', 'dropC'));
    expect(await ids('endUserId=alice&status=active')).toEqual(sorted('hubA'));
    expect(await ids('endUserId=alice&provider=hubspot&status=active')).toEqual(sorted('hubA'));
    expect(await ids('status=pending')).toEqual([]);
    expect(await ids('endUserId=nobody')).toEqual([]);
    expect(await ids('')).toEqual(sorted('hubA', 'dropA', 'hubB', 'dropC'));
    // The admin's view of the tenant filters the same.
    const admin = await get<{ connections: Conn[] }>(
      `/v1/tenants/${t.id}/connections?status=needs_reauth&endUserId=carol`,
      s.adminKey,
    );
    expect(admin.connections.map((c) => c.id)).toEqual([made.dropC.id]);
  });

  it('a filtered list pages without loss or repeat, and a cursor of another filter is refused', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get<{ connections: Conn[]; nextCursor?: string }>(
        `/v1/connections?provider=hubspot&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        t.apiKey,
      );
      expect(page.connections.length).toBeLessThanOrEqual(1);
      seen.push(...page.connections.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(sorted('hubA', 'hubB'));
    const first = await get<{ nextCursor: string }>('/v1/connections?status=needs_reauth&limit=1', t.apiKey);
    const res = await s.api('GET', `/v1/connections?provider=hubspot&cursor=${first.nextCursor}`, t.apiKey);
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('invalid_request');
  });

  it('audit by connection, action, outcome and time, for the tenant and the admin', async () => {
    type Ev = { id: string; at: string; action: string; outcome: string; connectionId?: string };
    const trail = async (query: string, path = '/v1/audit', key = t.apiKey) =>
      (await get<{ events: Ev[] }>(`${path}?${query}`, key)).events;
    const all = await trail('limit=1000');
    expect(all.length).toBeGreaterThan(6);

    const ofC = await trail(`connectionId=${made.dropC.id}`);
    expect(ofC.length).toBeGreaterThan(0);
    expect(ofC.every((e) => e.connectionId === made.dropC.id)).toBe(true);
    expect(ofC).toEqual(all.filter((e) => e.connectionId === made.dropC.id));

    const created = await trail('action=connection.created');
    expect(created.map((e) => e.connectionId).sort()).toEqual(sorted('hubA', 'dropA', 'hubB', 'dropC'));

    const failures = await trail('outcome=failure');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures).toEqual(all.filter((e) => e.outcome === 'failure'));

    const both = await trail(`connectionId=${made.dropC.id}&outcome=failure`);
    expect(both).toEqual(ofC.filter((e) => e.outcome === 'failure'));
    expect(both.length).toBeGreaterThan(0);

    // Times: inclusive bounds, an offset is the same instant.
    const middle = all[Math.floor(all.length / 2)];
    const since = await trail(`since=${encodeURIComponent(middle.at)}&limit=1000`);
    expect(since).toEqual(all.filter((e) => e.at >= middle.at));
    const until = await trail(`until=${encodeURIComponent(middle.at)}&limit=1000`);
    expect(until).toEqual(all.filter((e) => e.at <= middle.at));
    const plusTwo = new Date(Date.parse(middle.at) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect(await trail(`since=${encodeURIComponent(plusTwo)}&limit=1000`)).toEqual(since);
    expect(await trail('since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z')).toEqual([]);

    const admin = await trail(`connectionId=${made.dropC.id}`, `/v1/tenants/${t.id}/audit`, s.adminKey);
    expect(admin).toEqual(ofC);
    expect(await trail('action=tenant.created', `/v1/tenants/${t.id}/audit`, s.adminKey)).toHaveLength(1);
  });

  it('bad filter values are 400 invalid_request', async () => {
    for (const q of [
      'status=broken',
      'provider=myspace',
      'endUserId=',
      '/audit?outcome=maybe',
      '/audit?since=yesterday',
      '/audit?until=2026-13-01T00:00:00Z',
    ]) {
      const path = q.startsWith('/') ? `/v1${q}` : `/v1/connections?${q}`;
      const res = await s.api('GET', path, t.apiKey);
      expect(res.status, path).toBe(400);
      expect((await res.json()).code).toBe('invalid_request');
    }
  });
});

describe('unknown query parameters', () => {
  it('answer 400 invalid_request naming them, on every route of the API document', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
    };
    const values: Record<string, string> = { tenantId: tenant.id, provider: 'hubspot' };
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      // The proxy passes its query to the provider; the browser flow's pages are not the API.
      if (template.includes('/proxy/') || !template.startsWith('/v1/')) continue;
      for (const method of Object.keys(ops)) {
        const path = template.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? 'x_00000000');
        const admin = template.startsWith('/v1/tenants');
        const res = await s.api(
          method.toUpperCase(),
          `${path}?limit=1&statuss=active`,
          admin ? s.adminKey : tenant.apiKey,
        );
        // HubDB rows take HubSpot's own `<column>__<op>` filters: a pass-through route.
        if (template.endsWith('/hubdb/tables/{table}/rows') && method === 'get') {
          expect(res.status, `${method} ${template}`).not.toBe(400);
          continue;
        }
        expect(res.status, `${method} ${template}`).toBe(400);
        const problem = await res.json();
        expect(problem.code).toBe('invalid_request');
        expect(problem.detail).toContain('statuss');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("the issue's own examples: status and connectionId filter rather than being ignored", async () => {
    const res = await s.api('GET', '/v1/connections?state=needs_reauth', tenant.apiKey);
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/Unknown query parameter: state\./);
  });
});

describe('connect sessions', () => {
  it('GET /v1/connect-sessions/:id: pending, then expired; another tenant is 404', async () => {
    const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'cs-1',
    });
    const cs = await res.json();
    expect(await get(`/v1/connect-sessions/${cs.id}`)).toEqual({
      id: cs.id,
      provider: 'hubspot',
      endUserId: 'cs-1',
      status: 'pending',
      expiresAt: cs.expiresAt,
      confirmed: false,
    });
    await s.portico.services.db.update(`SESSION#${cs.id}`, 'SESSION', { expiresAt: Date.now() - 1 });
    expect(await get(`/v1/connect-sessions/${cs.id}`)).toMatchObject({ status: 'expired' });
    const other = await s.tenant();
    expect((await s.api('GET', `/v1/connect-sessions/${cs.id}`, other.apiKey)).status).toBe(404);
  });

  it('completed, with the connection id, after a headless exchange', async () => {
    const cs = await (
      await s.api('POST', '/v1/connect-sessions', tenant.apiKey, { provider: 'dropbox', endUserId: 'cs-2' })
    ).json();
    const { authorizationUrl } = await get<{ authorizationUrl: string }>(
      `/v1/connect-sessions/${cs.id}/authorization-url`,
    );
    const { TestBrowser, formFields, locationOf } = await import('../helpers/browser.js');
    const browser = new TestBrowser();
    const fields = formFields(await (await browser.get(authorizationUrl)).text());
    const decided = await browser.postForm(authorizationUrl.split('?')[0], {
      ...fields,
      decision: 'approve',
    });
    const code = new URL(locationOf(decided)).searchParams.get('code')!;
    const conn = await (
      await s.api('POST', `/v1/connect-sessions/${cs.id}/exchange`, tenant.apiKey, { code })
    ).json();
    expect(await get(`/v1/connect-sessions/${cs.id}`)).toMatchObject({
      status: 'completed',
      connectionId: conn.id,
    });
  });
});

describe('stats', () => {
  it('counts token reads, data calls, refreshes and connections per bucket, tenant and admin', async () => {
    const t = await s.tenant();
    const c = await importGrant('hubspot', 'stats-1', t);
    for (let i = 0; i < 5; i++) await s.api('GET', `/v1/connections/${c.id}/token`, t.apiKey);
    for (let i = 0; i < 2; i++) await s.api('GET', `/v1/connections/${c.id}/hubdb/tables`, t.apiKey);
    await s.api('POST', `/v1/connections/${c.id}/refresh`, t.apiKey);
    type Stats = {
      bucket: string;
      connections: Record<string, Record<string, number>>;
      buckets: Array<{ start: string } & Record<string, number>>;
    };
    const mine = await get<Stats>('/v1/stats', t.apiKey);
    expect(mine.bucket).toBe('hour');
    expect(mine.buckets).toHaveLength(25);
    const now = mine.buckets.at(-1)!;
    expect(now).toMatchObject({ tokenReads: 5, dataCalls: 2, refreshes: 1, refreshFailures: 0 });
    expect(mine.buckets.slice(0, -2).every((b) => b.tokenReads === 0)).toBe(true);
    expect(mine.connections).toEqual({ hubspot: { active: 1 } });

    const days = await get<Stats>('/v1/stats?bucket=day', t.apiKey);
    expect(days.buckets).toHaveLength(31);
    expect(days.buckets.at(-1)).toMatchObject({ tokenReads: 5, dataCalls: 2, refreshes: 1 });

    const admin = await get<Stats>(`/v1/tenants/${t.id}/stats`, s.adminKey);
    expect(admin.buckets.at(-1)).toEqual(now);
    const overall = await get<Stats>('/v1/stats', s.adminKey);
    expect(overall.buckets.at(-1)!.tokenReads).toBeGreaterThanOrEqual(5);
    expect(overall.connections.hubspot.active).toBeGreaterThanOrEqual(1);

    const window = await get<Stats>(
      '/v1/stats?since=2026-01-01T00:00:00Z&until=2026-01-03T00:00:00Z&bucket=day',
      t.apiKey,
    );
    expect(window.buckets.map((b) => b.start)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
      '2026-01-03T00:00:00.000Z',
    ]);
    for (const q of [
      'bucket=week',
      'since=2020-01-01T00:00:00Z',
      'since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
    ]) {
      const res = await s.api('GET', `/v1/stats?${q}`, t.apiKey);
      expect(res.status, q).toBe(400);
    }
    // Deleting the connection moves it out of the counts.
    await s.api('DELETE', `/v1/connections/${c.id}`, t.apiKey);
    expect((await get<Stats>('/v1/stats', t.apiKey)).connections).toEqual({ hubspot: { active: 0 } });
  });
});

describe('proxy answers', () => {
  it("carry Portico-Upstream: the provider's 404 is told from Portico's", async () => {
    const c = await importGrant('hubspot', 'proxy-1');
    const theirs = await s.api(
      'GET',
      `/v1/connections/${c.id}/proxy/cms/v3/hubdb/tables/nope-nope`,
      tenant.apiKey,
    );
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get('portico-upstream')).toBe('hubspot');
    const ours = await s.api(
      'GET',
      '/v1/connections/conn_0000000000000000/proxy/cms/v3/hubdb/tables',
      tenant.apiKey,
    );
    expect(ours.status).toBe(404);
    expect(ours.headers.get('portico-upstream')).toBeNull();
    expect((await ours.json()).code).toBe('not_found');
  });
});
