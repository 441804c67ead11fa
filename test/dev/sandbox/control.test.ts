import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../../lib/dev/sandbox/index.js';
import { bearer, consent, formPost, ORIGIN, REDIRECT_URI, rpc } from './flows.js';

const CONTROL = `${ORIGIN}/_control`;
const HUBDB_ROWS = `${ORIGIN}/hubspot/api/cms/hubdb/2026-03/tables/products/rows`;
const DBX_ACCOUNT = `${ORIGIN}/dropbox/api/2/users/get_current_account`;

function post(app: ReturnType<typeof createSandbox>['app'], path: string, body: unknown) {
  return app.request(`${CONTROL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('control: mint, apps, private apps', () => {
  it('mints a grant obtained elsewhere, usable and refreshable', async () => {
    const { app } = createSandbox();
    const res = await post(app, '/mint', { provider: 'hubspot', account: 'acme' });
    expect(res.status).toBe(201);
    const grant = (await res.json()) as Record<string, unknown>;
    expect(grant).toMatchObject({ account: '1000002', hub_id: 1000002, client_id: 'sandbox-hubspot-app' });
    expect((await app.request(HUBDB_ROWS, bearer(String(grant.access_token)))).status).toBe(200);
    const refreshed = await app.request(
      `${ORIGIN}/hubspot/api/oauth/2026-03/token`,
      formPost({
        grant_type: 'refresh_token',
        refresh_token: String(grant.refresh_token),
        client_id: 'sandbox-hubspot-app',
        client_secret: 'sandbox-hubspot-secret',
      }),
    );
    expect(refreshed.status).toBe(200);

    const dbx = (await (await post(app, '/mint', { provider: 'dropbox' })).json()) as Record<string, unknown>;
    expect(String(dbx.account)).toMatch(/^dbid:/);
    expect((await app.request(DBX_ACCOUNT, rpc(String(dbx.access_token)))).status).toBe(200);
    expect((await post(app, '/mint', { provider: 'dropbox', clientId: 'nope' })).status).toBe(400);
  });

  it('registers a tenant’s own app, whose name the consent page shows', async () => {
    const { app } = createSandbox();
    const added = await post(app, '/apps', {
      provider: 'dropbox',
      clientId: 'tenant-dbx',
      clientSecret: 'tenant-secret',
      name: 'Tenant Reports',
    });
    expect(added.status).toBe(201);
    const query = {
      client_id: 'tenant-dbx',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      token_access_type: 'offline',
    };
    const page = await app.request(`${ORIGIN}/dropbox/oauth2/authorize?${new URLSearchParams(query)}`);
    expect(await page.text()).toContain('Tenant Reports');
    const location = await consent(app, '/dropbox/oauth2/authorize', query);
    const token = await app.request(
      `${ORIGIN}/dropbox/api/oauth2/token`,
      formPost({
        grant_type: 'authorization_code',
        code: location.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT_URI,
        client_id: 'tenant-dbx',
        client_secret: 'tenant-secret',
      }),
    );
    expect(token.status).toBe(200);
  });

  it('registers private-app tokens, which have no refresh', async () => {
    const { app } = createSandbox();
    expect((await post(app, '/private-apps', { token: 'short', hubId: 1 })).status).toBe(400);
    expect(
      (
        await post(app, '/private-apps', {
          token: 'pat-na1-abcdef0123456789',
          hubId: 5550001,
          scopes: ['hubdb'],
        })
      ).status,
    ).toBe(201);
    expect((await app.request(HUBDB_ROWS, bearer('pat-na1-abcdef0123456789'))).status).toBe(200);
    const refresh = await app.request(
      `${ORIGIN}/hubspot/api/oauth/2026-03/token`,
      formPost({
        grant_type: 'refresh_token',
        refresh_token: 'pat-na1-abcdef0123456789',
        client_id: 'sandbox-hubspot-app',
        client_secret: 'sandbox-hubspot-secret',
      }),
    );
    expect(((await refresh.json()) as { status: string }).status).toBe('BAD_REFRESH_TOKEN');
    expect((await post(app, '/expire-tokens', { provider: 'hubspot' })).status).toBe(200);
    expect((await app.request(HUBDB_ROWS, bearer('pat-na1-abcdef0123456789'))).status).toBe(200);
  });
});

describe('control: expiring and revoking', () => {
  it('expires one token or all of a provider’s', async () => {
    const { app, state } = createSandbox();
    const a = state.mint({ provider: 'hubspot' });
    const b = state.mint({ provider: 'hubspot' });
    const one = await post(app, '/expire-tokens', { provider: 'hubspot', accessToken: a.access_token });
    expect(await one.json()).toEqual({ expired: 1 });
    const expired = await app.request(HUBDB_ROWS, bearer(a.access_token));
    expect(((await expired.json()) as { category: string }).category).toBe('EXPIRED_AUTHENTICATION');
    expect((await app.request(HUBDB_ROWS, bearer(b.access_token))).status).toBe(200);
    expect(state.expireTokens('hubspot')).toBe(1);
    expect((await app.request(HUBDB_ROWS, bearer(b.access_token))).status).toBe(401);
  });

  it('revokes every grant so refresh answers invalid_grant', async () => {
    const { app, state } = createSandbox();
    const hub = state.mint({ provider: 'hubspot' });
    const dbx = state.mint({ provider: 'dropbox' });
    expect(await (await post(app, '/revoke-grants', { provider: 'hubspot' })).json()).toEqual({ revoked: 1 });
    expect(state.revokeGrants('dropbox')).toBe(1);
    const hubRefresh = await app.request(
      `${ORIGIN}/hubspot/api/oauth/2026-03/token`,
      formPost({
        grant_type: 'refresh_token',
        refresh_token: hub.refresh_token,
        client_id: 'sandbox-hubspot-app',
        client_secret: 'sandbox-hubspot-secret',
      }),
    );
    expect(await hubRefresh.json()).toMatchObject({ status: 'BAD_REFRESH_TOKEN', error: 'invalid_grant' });
    const dbxRefresh = await app.request(
      `${ORIGIN}/dropbox/api/oauth2/token`,
      formPost({
        grant_type: 'refresh_token',
        refresh_token: dbx.refresh_token,
        client_id: 'sandbox-dropbox-app',
        client_secret: 'sandbox-dropbox-secret',
      }),
    );
    expect(await dbxRefresh.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'refresh token is invalid or revoked',
    });
    // HubSpot access tokens outlive a revoked refresh token; Dropbox's die with the grant.
    expect((await app.request(HUBDB_ROWS, bearer(hub.access_token))).status).toBe(200);
    expect((await app.request(DBX_ACCOUNT, rpc(dbx.access_token))).status).toBe(401);
  });

  it('validates control bodies', async () => {
    const { app } = createSandbox();
    expect((await post(app, '/expire-tokens', { provider: 'github' })).status).toBe(400);
    const broken = await app.request(`${CONTROL}/faults`, { method: 'POST', body: '{' });
    expect(broken.status).toBe(400);
  });
});

describe('control: faults', () => {
  it('answers HubSpot 429s with its body and headers, for `count` requests', async () => {
    const { app, state } = createSandbox();
    const grant = state.mint({ provider: 'hubspot' });
    const armed = await post(app, '/faults', { provider: 'hubspot', match: '/rows', status: 429, count: 2 });
    expect(armed.status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const res = await app.request(HUBDB_ROWS, bearer(grant.access_token));
      expect(res.status).toBe(429);
      expect(res.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
      expect(res.headers.get('x-hubspot-ratelimit-max')).toBeTruthy();
      expect(await res.json()).toMatchObject({
        status: 'error',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
        message: expect.any(String),
      });
    }
    expect((await app.request(HUBDB_ROWS, bearer(grant.access_token))).status).toBe(200);
    expect(state.stats().hubspot.faultsInjected).toBe(2);
  });

  it('answers Dropbox 429s with Retry-After and retry_after, and only on matching paths', async () => {
    const { app, state } = createSandbox();
    const grant = state.mint({ provider: 'dropbox' });
    state.addFault({ provider: 'dropbox', match: 'get_current_account', status: 429, retryAfter: 3 });
    const res = await app.request(DBX_ACCOUNT, rpc(grant.access_token));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({
      error_summary: 'too_many_requests/..',
      error: { reason: { '.tag': 'too_many_requests' }, retry_after: 3 },
    });
    expect((await app.request(DBX_ACCOUNT, rpc(grant.access_token))).status).toBe(200);
  });

  it('injects 5xx and literal bodies, on token endpoints too, until cleared when count is 0', async () => {
    const { app, state } = createSandbox();
    state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 503, count: 0 });
    const grant = state.mint({ provider: 'hubspot' });
    const refresh = () =>
      app.request(
        `${ORIGIN}/hubspot/api/oauth/2026-03/token`,
        formPost({
          grant_type: 'refresh_token',
          refresh_token: grant.refresh_token,
          client_id: 'sandbox-hubspot-app',
          client_secret: 'sandbox-hubspot-secret',
        }),
      );
    expect((await refresh()).status).toBe(503);
    expect((await refresh()).status).toBe(503);
    const cleared = await app.request(`${CONTROL}/faults`, { method: 'DELETE' });
    expect(await cleared.json()).toEqual({ cleared: 1 });
    expect((await refresh()).status).toBe(200);
    state.addFault({ provider: 'dropbox', status: 502, body: '<html>bad gateway</html>' });
    const res = await app.request(DBX_ACCOUNT, rpc(state.mint({ provider: 'dropbox' }).access_token));
    expect(res.status).toBe(502);
    expect(await res.text()).toBe('<html>bad gateway</html>');
  });

  it('delays answers', async () => {
    const { app, state } = createSandbox();
    state.addFault({ provider: 'dropbox', delayMs: 120 });
    const started = Date.now();
    const res = await app.request(DBX_ACCOUNT, rpc(state.mint({ provider: 'dropbox' }).access_token));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('resets mid-body: the body stream errors after part of the bytes', async () => {
    const { app, state } = createSandbox({ bigAvroBytes: 1024 * 1024 });
    const grant = state.mint({ provider: 'dropbox' });
    state.addFault({ provider: 'dropbox', match: '/files/download', reset: true });
    const res = await app.request(`${ORIGIN}/dropbox/content/2/files/download`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${grant.access_token}`,
        'dropbox-api-arg': '{"path":"/data/big.avro"}',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(1024 * 1024));
    const reader = res.body?.getReader();
    let received = 0;
    await expect(
      (async () => {
        for (;;) {
          const next = await reader?.read();
          if (!next || next.done) return;
          received += next.value.length;
        }
      })(),
    ).rejects.toThrow(/reset/);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(1024 * 1024);
  });

  it('slows bodies down chunk by chunk', async () => {
    const { app, state } = createSandbox();
    state.addFault({ provider: 'hubspot', match: 'account-info', slowBodyMs: 100 });
    const grant = state.mint({ provider: 'hubspot' });
    const res = await app.request(
      `${ORIGIN}/hubspot/api/account-info/2026-03/details`,
      bearer(grant.access_token),
    );
    const started = Date.now();
    expect(await res.json()).toMatchObject({ portalId: 1000001 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('lists armed faults', async () => {
    const { app, state } = createSandbox();
    state.addFault({ provider: 'hubspot', status: 500, count: 3 });
    const listed = (await (await app.request(`${CONTROL}/faults`)).json()) as {
      faults: Array<{ remaining: number }>;
    };
    expect(listed.faults).toHaveLength(1);
    expect(listed.faults[0]?.remaining).toBe(3);
  });
});

describe('control: stats', () => {
  it('counts token requests by grant type, refreshes, revokes, data requests and routes', async () => {
    const { app, state } = createSandbox();
    const grant = state.mint({ provider: 'hubspot' });
    const token = (fields: Record<string, string>) =>
      app.request(
        `${ORIGIN}/hubspot/api/oauth/2026-03/token`,
        formPost({ client_id: 'sandbox-hubspot-app', client_secret: 'sandbox-hubspot-secret', ...fields }),
      );
    await token({ grant_type: 'refresh_token', refresh_token: grant.refresh_token });
    await token({ grant_type: 'refresh_token', refresh_token: 'bad' });
    await token({ grant_type: 'authorization_code', code: 'bad', redirect_uri: REDIRECT_URI });
    await app.request(HUBDB_ROWS, bearer(grant.access_token));
    await app.request(`${HUBDB_ROWS}/1000001100001`, bearer(grant.access_token));
    await app.request(HUBDB_ROWS, bearer('nope'));
    await app.request(
      `${ORIGIN}/hubspot/api/oauth/2026-03/token/revoke`,
      formPost({
        client_id: 'sandbox-hubspot-app',
        client_secret: 'sandbox-hubspot-secret',
        token: grant.refresh_token,
        token_type_hint: 'refresh_token',
      }),
    );

    const stats = (await (await app.request(`${CONTROL}/stats`)).json()) as ReturnType<typeof state.stats>;
    expect(stats.hubspot.tokenRequests).toEqual({ refresh_token: 2, authorization_code: 1 });
    expect(stats.hubspot.refreshes).toBe(1);
    expect(stats.hubspot.revokes).toBe(1);
    expect(stats.hubspot.dataRequests).toBe(3);
    expect(stats.hubspot.routes).toMatchObject({
      'POST /hubspot/api/oauth/2026-03/token': 3,
      'GET /hubspot/api/cms/hubdb/2026-03/tables/:table/rows': 2,
      'GET /hubspot/api/cms/hubdb/2026-03/tables/:table/rows/:rowId': 1,
      'POST /hubspot/api/oauth/2026-03/token/revoke': 1,
    });
    expect(stats.dropbox.dataRequests).toBe(0);

    expect((await app.request(`${CONTROL}/reset-stats`, { method: 'POST' })).status).toBe(204);
    expect(state.stats().hubspot).toMatchObject({ refreshes: 0, tokenRequests: {}, routes: {} });
  });

  it('counts consent decisions', async () => {
    const { app, state } = createSandbox();
    const query = { client_id: 'sandbox-hubspot-app', redirect_uri: REDIRECT_URI, scope: 'oauth' };
    await consent(app, '/hubspot/oauth/authorize', query, 'approve');
    await consent(app, '/hubspot/oauth/authorize', query, 'deny');
    expect(state.stats().hubspot.authorizations).toEqual({ approved: 1, denied: 1 });
  });
});
