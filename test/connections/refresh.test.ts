import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepDueConnections } from '../../lib/connections/sweep.js';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
let tenant: { id: string; apiKey: string };

beforeAll(async () => {
  // These tests change items straight in the table, as another process would: no reuse of reads.
  s = await startStack({ env: { CONNECTION_CACHE_MS: '0' } });
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
});
afterAll(async () => {
  await s?.close();
});

async function connect(provider: 'hubspot' | 'dropbox', endUserId: string, account = endUserId, t = tenant) {
  const res = await s.api('POST', '/v1/connect-sessions', t.apiKey, {
    provider,
    endUserId,
    returnUrl: 'https://app.acme.test/done',
  });
  const { connectUrl } = await res.json();
  const { callback } = await walkConnect(new TestBrowser(), connectUrl, { account });
  const back = new URL(locationOf(callback));
  if (back.searchParams.get('status') !== 'connected') throw new Error(`not connected: ${back}`);
  return back.searchParams.get('connectionId')!;
}

/** Makes our stored access token look about to expire (the provider's copy stays valid). */
async function ageToken(connectionId: string, t = tenant, msLeft = 60_000) {
  await s.portico.services.db.update(`TENANT#${t.id}`, `CONN#${connectionId}`, {
    expiresAt: new Date(Date.now() + msLeft).toISOString(),
  });
}

const refreshes = (p: 'hubspot' | 'dropbox') => s.sandbox.state.stats()[p].refreshes;

describe('refresh', () => {
  it('refreshes a token that expires within 5 minutes, once, and keeps the refresh token', async () => {
    const id = await connect('hubspot', 'r-hub');
    const first = await (await s.api('GET', `/v1/connections/${id}/token`, tenant.apiKey)).json();
    await ageToken(id);
    const before = refreshes('hubspot');
    const second = await (await s.api('GET', `/v1/connections/${id}/token`, tenant.apiKey)).json();
    expect(refreshes('hubspot') - before).toBe(1);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(Date.parse(second.expiresAt) - Date.now()).toBeGreaterThan(25 * 60_000);
    const third = await (await s.api('GET', `/v1/connections/${id}/token`, tenant.apiKey)).json();
    expect(third.accessToken).toBe(second.accessToken);
    expect(refreshes('hubspot') - before).toBe(1);
  });

  it('Dropbox refresh answers carry no refresh token; the old one keeps working', async () => {
    const id = await connect('dropbox', 'r-drop');
    for (let i = 0; i < 2; i++) {
      const res = await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey);
      expect(res.status).toBe(200);
      expect((await res.json()).status).toBe('active');
    }
  });

  it('50 concurrent callers on an expired token make one provider refresh', async () => {
    const id = await connect('hubspot', 'r-stampede');
    await ageToken(id, tenant, -1000);
    const before = refreshes('hubspot');
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        s.api('GET', `/v1/connections/${id}/token`, tenant.apiKey).then((r) => r.json()),
      ),
    );
    expect(refreshes('hubspot') - before).toBe(1);
    expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
  });

  it('a dead grant moves to needs_reauth (409), and reconnecting brings the same connection back', async () => {
    const tenant2 = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
    const id = await connect('dropbox', 'r-dead', 'dead-account', tenant2);
    s.sandbox.state.revokeGrants('dropbox');
    const res = await s.api('POST', `/v1/connections/${id}/refresh`, tenant2.apiKey);
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe('needs_reauth');
    const conn = await (await s.api('GET', `/v1/connections/${id}`, tenant2.apiKey)).json();
    expect(conn.status).toBe('needs_reauth');
    const token = await s.api('GET', `/v1/connections/${id}/token`, tenant2.apiKey);
    expect(token.status).toBe(409);
    const again = await connect('dropbox', 'r-dead', 'dead-account', tenant2);
    expect(again).toBe(id);
    const back = await (await s.api('GET', `/v1/connections/${id}`, tenant2.apiKey)).json();
    expect(back.status).toBe('active');
    const audit = await (await s.api('GET', '/v1/audit', tenant2.apiKey)).json();
    expect(
      audit.events.some(
        (e: { action: string; outcome: string }) =>
          e.action === 'connection.refresh' && e.outcome === 'failure',
      ),
    ).toBe(true);
  });

  it('a lease held by a dead process makes callers wait at most 10 s, then answer 503 with Retry-After', async () => {
    const id = await connect('hubspot', 'r-stuck');
    await s.portico.services.db.update(`TENANT#${tenant.id}`, `CONN#${id}`, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
      leaseOwner: 'a-dead-process',
      leaseUntil: Date.now() + 30_000,
    });
    const res = await s.api('GET', `/v1/connections/${id}/token`, tenant.apiKey);
    expect(res.status).toBe(503);
    expect((await res.json()).code).toBe('provider_unavailable');
    // A 503 (not a refresh) with most of the lease left: the caller did not wait the lease out.
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(10);
  }, 40_000);

  it('5xx and 429 from the token endpoint are retried and never mark the grant dead', async () => {
    const id = await connect('hubspot', 'r-flaky');
    s.sandbox.state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 503, count: 2 });
    const ok = await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey);
    expect(ok.status).toBe(200);
    s.sandbox.state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 500, count: 0 });
    try {
      const res = await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey);
      expect(res.status).toBe(503);
      expect((await res.json()).code).toBe('provider_unavailable');
    } finally {
      s.sandbox.state.clearFaults('hubspot');
    }
    const conn = await (await s.api('GET', `/v1/connections/${id}`, tenant.apiKey)).json();
    expect(conn.status).toBe('active');
    expect((await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey)).status).toBe(200);
  }, 60_000);

  it('the sweep refreshes due connections, reading only the due ones', async () => {
    const ids = [
      await connect('hubspot', 'sw-1'),
      await connect('dropbox', 'sw-2'),
      await connect('hubspot', 'sw-3'),
    ];
    // Everything connected so far is due only in ~20 minutes; age two of them.
    for (const id of ids.slice(0, 2)) await s.portico.services.connections.accessToken(tenant.id, id);
    const svc = s.portico.services;
    const item0 = await svc.connections.getItem(tenant.id, ids[0]);
    const item1 = await svc.connections.getItem(tenant.id, ids[1]);
    const result = await sweepDueConnections(svc, {
      now: new Date(Date.parse(item1.expiresAt as string) - 9 * 60_000),
    });
    // (Other tests revoked every sandbox Dropbox grant, so some due connections fail here.)
    expect(result.refreshed).toBeGreaterThanOrEqual(2);
    const after0 = await svc.connections.getItem(tenant.id, ids[0]);
    expect(after0.expiresAt).not.toBe(item0.expiresAt);
    const after1 = await svc.connections.getItem(tenant.id, ids[1]);
    expect(after1.expiresAt).not.toBe(item1.expiresAt);
    // Nothing is due now: the sweep reads nothing.
    const idle = await sweepDueConnections(svc, { now: new Date() });
    expect(idle.read).toBe(0);
  });
});

describe('import', () => {
  it('imports a refresh token obtained elsewhere, checked by refreshing it', async () => {
    const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'imported' });
    const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'dropbox',
      endUserId: 'imp-1',
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    expect(res.status).toBe(201);
    const conn = await res.json();
    expect(conn).toMatchObject({ provider: 'dropbox', authScheme: 'oauth2', status: 'active' });
    expect(conn.account.id).toBe(minted.account);
    expect(JSON.stringify(conn)).not.toContain(minted.refresh_token);
  });

  it('refuses a refresh token the provider does not know, storing nothing', async () => {
    const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'imp-bad',
      credentials: { type: 'oauth2', refreshToken: 'not-a-real-token' },
    });
    expect(res.status).toBe(422);
    const body = await res.text();
    expect(body).not.toContain('not-a-real-token');
    const list = await (await s.api('GET', '/v1/connections?endUserId=imp-bad', tenant.apiKey)).json();
    expect(list.connections).toEqual([]);
  });

  it('imports a HubSpot private-app token, which never refreshes', async () => {
    s.sandbox.state.registerPrivateApp({
      token: 'pat-na1-11111111-2222-3333-4444-555555555555',
      hubId: 4242,
      scopes: ['hubdb'],
    });
    const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'imp-pat',
      credentials: { type: 'private_app', token: 'pat-na1-11111111-2222-3333-4444-555555555555' },
    });
    expect(res.status).toBe(201);
    const conn = await res.json();
    expect(conn).toMatchObject({ authScheme: 'private_app', expiresAt: null, account: { id: '4242' } });
    const token = await (await s.api('GET', `/v1/connections/${conn.id}/token`, tenant.apiKey)).json();
    expect(token).toEqual({
      accessToken: 'pat-na1-11111111-2222-3333-4444-555555555555',
      tokenType: 'bearer',
      expiresAt: null,
    });

    const bad = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'imp-pat2',
      credentials: { type: 'private_app', token: 'pat-na1-00000000-0000-0000-0000-000000000000' },
    });
    expect(bad.status).toBe(422);
    const dropbox = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'dropbox',
      endUserId: 'imp-pat3',
      credentials: { type: 'private_app', token: 'pat-na1-11111111-2222-3333-4444-555555555555' },
    });
    expect(dropbox.status).toBe(400);
  });
});

describe("a tenant's own OAuth app", () => {
  it('takes precedence over the platform app, and its grants keep refreshing after it is removed', async () => {
    const t = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
    s.sandbox.state.registerApp('hubspot', {
      clientId: 'tenant-own-app',
      clientSecret: 'tenant-own-secret',
      name: 'Acme CRM Sync',
    });
    const put = await s.api('PUT', `/v1/tenants/${t.id}/apps/hubspot`, s.adminKey, {
      clientId: 'tenant-own-app',
      clientSecret: 'tenant-own-secret',
      scopes: ['oauth', 'hubdb'],
    });
    expect(put.status).toBe(200);
    const cs = await (
      await s.api('POST', '/v1/connect-sessions', t.apiKey, {
        provider: 'hubspot',
        endUserId: 'own',
        returnUrl: 'https://app.acme.test/x',
      })
    ).json();
    const browser = new TestBrowser();
    const { callback, authorizeUrl } = await walkConnect(browser, cs.connectUrl);
    expect(new URL(authorizeUrl).searchParams.get('client_id')).toBe('tenant-own-app');
    expect(new URL(authorizeUrl).searchParams.get('scope')).toBe('oauth hubdb');
    const id = new URL(locationOf(callback)).searchParams.get('connectionId')!;

    expect((await s.api('DELETE', `/v1/tenants/${t.id}/apps/hubspot`, s.adminKey)).status).toBe(204);
    const refreshed = await s.api('POST', `/v1/connections/${id}/refresh`, t.apiKey);
    expect(refreshed.status).toBe(200);
    // New sessions use the platform app again.
    const cs2 = await (
      await s.api('POST', '/v1/connect-sessions', t.apiKey, { provider: 'hubspot', endUserId: 'own2' })
    ).json();
    const open = await new TestBrowser().get(cs2.connectUrl);
    expect(new URL(locationOf(open)).searchParams.get('client_id')).toBe('sandbox-hubspot-app');
  });
});

describe('connections API', () => {
  it("lists with filters and pages, and hides other tenants' connections", async () => {
    const t = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
    const mine = [
      await connect('hubspot', 'l-1', 'l-a', t),
      await connect('dropbox', 'l-1', 'l-b', t),
      await connect('hubspot', 'l-2', 'l-c', t),
    ];
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await (
        await s.api('GET', `/v1/connections?limit=2${cursor ? `&cursor=${cursor}` : ''}`, t.apiKey)
      ).json();
      all.push(...page.connections.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.sort()).toEqual([...mine].sort());
    const hub = await (await s.api('GET', '/v1/connections?provider=hubspot&endUserId=l-1', t.apiKey)).json();
    expect(hub.connections.map((c: { id: string }) => c.id)).toEqual([mine[0]]);

    for (const path of [`/v1/connections/${mine[0]}`, `/v1/connections/${mine[0]}/token`]) {
      const foreign = await s.api('GET', path, tenant.apiKey);
      expect(foreign.status).toBe(404);
      const missing = await s.api('GET', path.replace(mine[0], 'conn_0000000000000000'), tenant.apiKey);
      expect(missing.status).toBe(404);
      const strip = (p: Record<string, unknown>) => ({ ...p, requestId: undefined });
      expect(strip(await foreign.json())).toEqual(strip(await missing.json()));
    }
    expect((await s.api('DELETE', `/v1/connections/${mine[0]}`, tenant.apiKey)).status).toBe(404);
    expect((await s.api('POST', `/v1/connections/${mine[0]}/refresh`, tenant.apiKey)).status).toBe(404);
  });

  it('deleting revokes at the provider, then deletes', async () => {
    const id = await connect('hubspot', 'del-1');
    const before = s.sandbox.state.stats().hubspot.revokes;
    expect((await s.api('DELETE', `/v1/connections/${id}`, tenant.apiKey)).status).toBe(204);
    expect(s.sandbox.state.stats().hubspot.revokes - before).toBe(1);
    expect((await s.api('GET', `/v1/connections/${id}`, tenant.apiKey)).status).toBe(404);
    const id2 = await connect('dropbox', 'del-2');
    const before2 = s.sandbox.state.stats().dropbox.revokes;
    expect((await s.api('DELETE', `/v1/connections/${id2}`, tenant.apiKey)).status).toBe(204);
    expect(s.sandbox.state.stats().dropbox.revokes - before2).toBe(1);
  });
});

describe('reused connection reads', () => {
  it('a write by this process is seen at once; another process sees it within CONNECTION_CACHE_MS', async () => {
    const cached = await startStack({ env: { CONNECTION_CACHE_MS: '60000' } });
    try {
      const t = await cached.tenant();
      const minted = cached.sandbox.state.mint({ provider: 'hubspot', account: 'cache' });
      const { id } = await (
        await cached.api('POST', '/v1/connections', t.apiKey, {
          provider: 'hubspot',
          endUserId: 'cache',
          credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
        })
      ).json();
      const first = await (await cached.api('GET', `/v1/connections/${id}/token`, t.apiKey)).json();
      // This process refreshes: the next read answers the new token at once.
      await cached.api('POST', `/v1/connections/${id}/refresh`, t.apiKey);
      const second = await (await cached.api('GET', `/v1/connections/${id}/token`, t.apiKey)).json();
      expect(second.accessToken).not.toBe(first.accessToken);
      // This process deletes: gone at once.
      await cached.api('DELETE', `/v1/connections/${id}`, t.apiKey);
      expect((await cached.api('GET', `/v1/connections/${id}/token`, t.apiKey)).status).toBe(404);
    } finally {
      await cached.close();
    }
  });
});
