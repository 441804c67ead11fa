import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PorticoError } from '../../lib/errors.js';
import { hubspotOAuth } from '../../lib/providers/hubspot/oauth.js';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
let tenant: { id: string; apiKey: string };
let hub: string;

const app = { clientId: 'sandbox-hubspot-app', clientSecret: 'sandbox-hubspot-secret' };
const endpoints = () => ({
  authUrl: `${s.sandbox.url}/hubspot/oauth/authorize`,
  apiUrl: `${s.sandbox.url}/hubspot/api`,
});
/** Short timeouts and no real backoff, so timeouts are tested without waiting. */
const oauth = () => hubspotOAuth(endpoints(), { retry: { timeoutMs: 300, baseDelayMs: 1, attempts: 2 } });
const get = (path: string, headers: Record<string, string> = {}) =>
  s.api('GET', path, tenant.apiKey, undefined, headers);

async function connect(endUserId: string, account = 'acme') {
  const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
    provider: 'hubspot',
    endUserId,
    returnUrl: 'https://app.acme.test/done',
  });
  const { connectUrl } = await res.json();
  const { callback } = await walkConnect(new TestBrowser(), connectUrl, { account });
  return new URL(locationOf(callback)).searchParams.get('connectionId')!;
}

beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
  hub = await connect('hs-2026');
});
afterAll(async () => {
  await s?.close();
});

describe('HubSpot OAuth 2026-03', () => {
  it('connects through the 2026-03 token and introspection endpoints, never v1, naming the account by hub_domain', async () => {
    const conn = await (await get(`/v1/connections/${hub}`)).json();
    expect(conn.account.id).toBe('1000002');
    expect(conn.account.name).toMatch(/^acme-1000002\./);
    expect(conn.account.name).not.toBe('app.hubspot.com');
    // The scopes introspection reports as granted: the required ones and the optional one the user allowed.
    expect(conn.scopes).toEqual(['oauth', 'hubdb', 'crm.objects.owners.read']);
    const routes = Object.keys(s.sandbox.state.stats().hubspot.routes);
    expect(routes).toContain('POST /hubspot/api/oauth/2026-03/token');
    expect(routes).toContain('POST /hubspot/api/oauth/2026-03/token/introspect');
    expect(routes.filter((r) => r.includes('/oauth/v1'))).toEqual([]);
  });

  it('identifies a refreshed grant by introspection: refresh answers carry no hub_id', async () => {
    const minted = s.sandbox.state.mint({ provider: 'hubspot', account: 'globex' });
    const grant = await oauth().refresh({ app, refreshToken: minted.refresh_token });
    expect(grant.account).toEqual({ id: '1000003', name: expect.stringMatching(/^globex-/), hublet: 'na1' });
    expect(await oauth().identify(grant)).toEqual(grant.account);
  });

  it('asks for exactly the required scopes in scope and the others in optional_scope', () => {
    const url = new URL(
      oauth().authorizationUrl({
        app,
        redirectUri: 'https://portico.test/oauth/callback',
        scopes: ['hubdb'],
        optionalScopes: ['crm.objects.owners.read', 'hubdb'],
        state: 'st',
      }),
    );
    expect(url.searchParams.get('scope')).toBe('hubdb');
    expect(url.searchParams.get('optional_scope')).toBe('crm.objects.owners.read');
  });

  it("connect sessions ask for the platform app's optional scopes, and a tenant app's own", async () => {
    const session = async (key: string) => {
      const res = await s.api('POST', '/v1/connect-sessions', key, {
        provider: 'hubspot',
        endUserId: 'scoped',
      });
      const { id } = await res.json();
      const out = await (await s.api('GET', `/v1/connect-sessions/${id}/authorization-url`, key)).json();
      return new URL(out.authorizationUrl).searchParams;
    };
    const platform = await session(tenant.apiKey);
    expect(platform.get('scope')).toBe('oauth hubdb');
    expect(platform.get('optional_scope')).toBe('crm.objects.owners.read');

    const own = await s.tenant();
    const put = await s.api('PUT', `/v1/tenants/${own.id}/apps/hubspot`, s.adminKey, {
      clientId: 'sandbox-hubspot-app',
      clientSecret: 'sandbox-hubspot-secret',
      scopes: ['hubdb'],
      optionalScopes: ['crm.objects.contacts.read'],
    });
    expect(await put.json()).toEqual({
      provider: 'hubspot',
      clientId: 'sandbox-hubspot-app',
      scopes: ['hubdb'],
      optionalScopes: ['crm.objects.contacts.read'],
    });
    const tenantApp = await session(own.apiKey);
    expect(tenantApp.get('scope')).toBe('hubdb');
    expect(tenantApp.get('optional_scope')).toBe('crm.objects.contacts.read');
  });

  it('revokes by form post; a 404, a 500 or no answer is a failure, and the retry succeeds', async () => {
    const faults: Array<Record<string, unknown>> = [
      { status: 404 },
      { status: 500, count: 0 },
      { delayMs: 1500, count: 0 },
    ];
    for (const fault of faults) {
      const minted = s.sandbox.state.mint({ provider: 'hubspot', account: 'revoke-me' });
      const before = s.sandbox.state.stats().hubspot.revokes;
      s.sandbox.state.addFault({
        provider: 'hubspot',
        match: '/oauth/2026-03/token/revoke',
        count: 1,
        ...fault,
      });
      // The old client took a 404 as "already revoked": that grant would have stayed live.
      const failed = await oauth()
        .revoke({ app, grant: { refreshToken: minted.refresh_token } })
        .then(
          () => 'revoked',
          (err: unknown) => err,
        );
      s.sandbox.state.clearFaults('hubspot');
      expect(failed, JSON.stringify(fault)).toBeInstanceOf(PorticoError);
      expect(s.sandbox.state.stats().hubspot.revokes).toBe(before);
      await oauth().revoke({ app, grant: { refreshToken: minted.refresh_token } });
      expect(s.sandbox.state.stats().hubspot.revokes).toBe(before + 1);
    }
  });

  it('a tenant revocation counts a 404 from the revoke endpoint as a failed attempt, and retries it', async () => {
    const t = await s.tenant();
    const minted = s.sandbox.state.mint({ provider: 'hubspot', account: 'tenant-404' });
    const imported = await s.api('POST', '/v1/connections', t.apiKey, {
      provider: 'hubspot',
      endUserId: 'u-404',
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    expect(imported.status).toBe(201);
    s.sandbox.state.addFault({
      provider: 'hubspot',
      match: '/oauth/2026-03/token/revoke',
      status: 404,
      count: 0,
    });
    try {
      // A 404 may be a dead path, not a dead token: not revoked, so retried (for up to 24 hours).
      const res = await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
      expect(res.status).toBe(202);
      expect((await res.json()).revocation).toMatchObject({ total: 1, revoked: 0, failed: 0, pending: 1 });
      const job = await (await s.portico.services.revocations()).job(t.id);
      expect(job).toMatchObject({ retrying: 1, revoked: 0 });
      const parked = await s.portico.services.db.get(`TENANT#${t.id}`, `CONN#${(await imported.json()).id}`);
      expect(parked).toMatchObject({ revokeAttempts: 1, revokeError: expect.stringContaining('404') });
    } finally {
      s.sandbox.state.clearFaults('hubspot');
    }
  }, 60_000);

  it('accepts private-app tokens of any hublet and service keys, checked against account-info 2026-03', async () => {
    for (const [token, hubId] of [
      ['pat-eu1-11111111-2222-3333-4444-555555555555', 5151],
      ['svc.key.0123456789abcdef0123456789', 6161],
    ] as const) {
      s.sandbox.state.registerPrivateApp({ token, hubId, scopes: ['hubdb'] });
      expect(await oauth().verifyPrivateApp?.(token)).toMatchObject({ account: { id: String(hubId) } });
    }
    const unknown = await oauth()
      .verifyPrivateApp?.('pat-eu1-00000000-0000-0000-0000-000000000000')
      .catch((err: PorticoError) => err);
    expect(unknown).toBeInstanceOf(PorticoError);
    expect(
      await oauth()
        .verifyPrivateApp?.('a b')
        .catch((err: PorticoError) => err.code),
    ).toBe('invalid_request');
    const imported = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'pat-eu',
      credentials: { type: 'private_app', token: 'pat-eu1-11111111-2222-3333-4444-555555555555' },
    });
    expect(imported.status).toBe(201);
    expect((await imported.json()).account.id).toBe('5151');
    const service = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'service-key',
      credentials: { type: 'private_app', token: 'svc.key.0123456789abcdef0123456789' },
    });
    expect(service.status).toBe(201);
    expect(await service.json()).toMatchObject({ authScheme: 'private_app', account: { id: '6161' } });
  });
});

describe('HubDB 2026-03', () => {
  const rows = (query: string) => `/v1/connections/${hub}/hubdb/tables/inventory/rows${query}`;

  it('pages a RANDOM_ACCESS table by its offsets to the last row', async () => {
    const ids = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get(rows(`?limit=500${cursor ? `&cursor=${cursor}` : ''}`));
      expect(res.status).toBe(200);
      const page = await res.json();
      for (const r of page.rows) ids.add(r.id);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(ids.size).toBe(1234);
  });

  it('streams a RANDOM_ACCESS table whole as NDJSON', async () => {
    const res = await get(rows(''), { accept: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => 'error' in l)).toBe(false);
    expect(new Set(lines.map((l) => l.id)).size).toBe(1234);
  });

  it('never passes reserved names as filters, and refuses operators HubSpot does not have', async () => {
    for (const q of ['?after=abc', '?offset=5', '?archived=maybe', '?price__between=1', '?price__regex=.*']) {
      const res = await get(`/v1/connections/${hub}/hubdb/tables/products/rows${q}`);
      expect(res.status, q).toBe(400);
      expect((await res.json()).code, q).toBe('invalid_request');
    }
    const ok = await get(
      `/v1/connections/${hub}/hubdb/tables/products/rows?price__gt=900&archived=false&limit=5`,
    );
    expect(ok.status).toBe(200);
    for (const r of (await ok.json()).rows) expect(r.values.price).toBeGreaterThan(900);
  });

  const daily = (count: number) =>
    s.sandbox.state.addFault({
      provider: 'hubspot',
      match: '/hubdb/2026-03/tables',
      status: 429,
      count,
      body: JSON.stringify({
        status: 'error',
        message: 'You have reached your daily limit.',
        errorType: 'RATE_LIMIT',
        correlationId: '00000000-0000-0000-0000-000000000000',
        policyName: 'DAILY',
      }),
    });

  it('passes a DAILY 429 through the proxy at once, unretried', async () => {
    const before = s.sandbox.state.stats().hubspot.faultsInjected;
    daily(0);
    try {
      const res = await get(`/v1/connections/${hub}/proxy/cms/hubdb/2026-03/tables?limit=1`);
      expect(res.status).toBe(429);
      expect((await res.json()).policyName).toBe('DAILY');
      expect(s.sandbox.state.stats().hubspot.faultsInjected - before).toBe(1);
    } finally {
      s.sandbox.state.clearFaults('hubspot');
    }
  });

  it("answers HubSpot's DAILY 429 at once with Retry-After, without retrying", async () => {
    const before = s.sandbox.state.stats().hubspot.faultsInjected;
    daily(0);
    try {
      const res = await get(`/v1/connections/${hub}/hubdb/tables`);
      expect(res.status).toBe(429);
      const problem = await res.json();
      expect(problem.code).toBe('rate_limited');
      expect(problem.detail).toMatch(/daily/i);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(s.sandbox.state.stats().hubspot.faultsInjected - before).toBe(1);
    } finally {
      s.sandbox.state.clearFaults('hubspot');
    }
  });
});
