import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../../lib/dev/sandbox/index.js';
import { bearer, consent, formPost, ORIGIN, pkcePair, REDIRECT_URI } from './flows.js';

const AUTHORIZE = '/hubspot/oauth/authorize';
const TOKEN = `${ORIGIN}/hubspot/api/oauth/2026-03/token`;
const CLIENT = { client_id: 'sandbox-hubspot-app', client_secret: 'sandbox-hubspot-secret' };

function authorizeQuery(extra: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: CLIENT.client_id,
    redirect_uri: REDIRECT_URI,
    scope: 'oauth hubdb',
    state: 'st-1',
    ...extra,
  };
}

async function codeFor(sandbox = createSandbox(), extra: Record<string, string> = {}, account?: string) {
  const location = await consent(sandbox.app, AUTHORIZE, authorizeQuery(extra), 'approve', account);
  return { sandbox, code: location.searchParams.get('code') ?? '', location };
}

async function exchange(
  sandbox: ReturnType<typeof createSandbox>,
  fields: Record<string, string | undefined>,
) {
  const res = await sandbox.app.request(
    TOKEN,
    formPost({ grant_type: 'authorization_code', ...CLIENT, ...fields }),
  );
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe('HubSpot consent page', () => {
  it('shows app name, scopes, account field and Approve/Deny under a strict CSP', async () => {
    const { app } = createSandbox();
    const res = await app.request(
      `${ORIGIN}${AUTHORIZE}?${new URLSearchParams(authorizeQuery({ optional_scope: 'crm.objects.contacts.read' }))}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('Portico Demo');
    expect(html).toContain('<code>hubdb</code>');
    expect(html).toContain('crm.objects.contacts.read');
    expect(html).toMatch(/<form method="post" action="authorize">/);
    expect(html).toMatch(/id="approve"/);
    expect(html).toMatch(/id="deny"/);
    expect(html).toMatch(/name="account"/);
    expect(html).toContain('name="state" value="st-1"');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('answers an error page, never a redirect, for an unknown client or a missing redirect_uri', async () => {
    const { app } = createSandbox();
    for (const query of [
      authorizeQuery({ client_id: 'nope' }),
      { client_id: CLIENT.client_id, scope: 'oauth' },
      authorizeQuery({ redirect_uri: 'javascript:alert(1)' }),
    ]) {
      const res = await app.request(`${ORIGIN}${AUTHORIZE}?${new URLSearchParams(query)}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
    }
    // The POST re-checks its (untrusted) hidden fields too.
    const post = await app.request(
      `${ORIGIN}${AUTHORIZE}`,
      formPost({ ...authorizeQuery({ client_id: 'nope' }), decision: 'approve' }),
    );
    expect(post.status).toBe(400);
    expect(post.headers.get('location')).toBeNull();
  });

  it('rejects a malformed S256 challenge on the page', async () => {
    const { app } = createSandbox();
    const query = authorizeQuery({ code_challenge: 'short', code_challenge_method: 'S256' });
    const res = await app.request(`${ORIGIN}${AUTHORIZE}?${new URLSearchParams(query)}`);
    expect(res.status).toBe(400);
  });

  it('approves with code and state, and denies with access_denied and state', async () => {
    const { code, location } = await codeFor();
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(code).not.toBe('');
    expect(location.searchParams.get('state')).toBe('st-1');
    const denied = await consent(createSandbox().app, AUTHORIZE, authorizeQuery(), 'deny');
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('error_description')).toBeTruthy();
    expect(denied.searchParams.get('state')).toBe('st-1');
    expect(denied.searchParams.get('code')).toBeNull();
  });
});

describe('HubSpot token endpoint', () => {
  it('exchanges a code for the documented answer', async () => {
    const { sandbox, code } = await codeFor(undefined, {}, 'acme');
    const { res, body } = await exchange(sandbox, { code, redirect_uri: REDIRECT_URI });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      token_type: 'bearer',
      expires_in: 1800,
      hub_id: 1000002,
      scopes: ['oauth', 'hubdb'],
    });
    expect(typeof body.access_token).toBe('string');
    expect(body.refresh_token).toMatch(/^na1-/);
    expect(typeof body.user_id).toBe('number');
  });

  it('maps the same account string to the same hub_id in every sandbox', async () => {
    const first = await codeFor(undefined, {}, 'Wayne Enterprises');
    const a = await exchange(first.sandbox, { code: first.code, redirect_uri: REDIRECT_URI });
    const second = await codeFor(undefined, {}, 'wayne enterprises ');
    const b = await exchange(second.sandbox, { code: second.code, redirect_uri: REDIRECT_URI });
    expect(a.body.hub_id).toBe(b.body.hub_id);
    expect(a.body.hub_id).toBeGreaterThanOrEqual(2000000);
    const demo = await codeFor();
    expect((await exchange(demo.sandbox, { code: demo.code, redirect_uri: REDIRECT_URI })).body.hub_id).toBe(
      1000001,
    );
  });

  it('refuses a replayed code with BAD_AUTH_CODE', async () => {
    const { sandbox, code } = await codeFor();
    expect((await exchange(sandbox, { code, redirect_uri: REDIRECT_URI })).res.status).toBe(200);
    const again = await exchange(sandbox, { code, redirect_uri: REDIRECT_URI });
    expect(again.res.status).toBe(400);
    expect(again.body).toMatchObject({ status: 'BAD_AUTH_CODE', error: 'invalid_grant' });
    expect(typeof again.body.message).toBe('string');
    expect(typeof again.body.correlationId).toBe('string');
    expect(typeof again.body.error_description).toBe('string');
  });

  it('refuses an expired code with EXPIRED_AUTH_CODE', async () => {
    let now = Date.UTC(2025, 0, 1);
    const sandbox = createSandbox({ now: () => now });
    const { code } = await codeFor(sandbox);
    now += 10 * 60 * 1000 + 1;
    const { res, body } = await exchange(sandbox, { code, redirect_uri: REDIRECT_URI });
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ status: 'EXPIRED_AUTH_CODE', error: 'invalid_grant' });
  });

  it('refuses a redirect_uri that differs from the authorize one', async () => {
    const { sandbox, code } = await codeFor();
    const { body } = await exchange(sandbox, { code, redirect_uri: 'https://client.example/other' });
    expect(body).toMatchObject({ status: 'BAD_REDIRECT_URI', error: 'invalid_grant' });
  });

  it('refuses unknown clients, wrong secrets, credentials outside the body and bad grant types', async () => {
    const { sandbox, code } = await codeFor();
    expect(
      (await exchange(sandbox, { code, redirect_uri: REDIRECT_URI, client_id: 'x' })).body,
    ).toMatchObject({
      status: 'BAD_CLIENT_ID',
      error: 'invalid_client',
    });
    expect(
      (await exchange(sandbox, { code, redirect_uri: REDIRECT_URI, client_secret: 'wrong' })).body,
    ).toMatchObject({ status: 'BAD_CLIENT_SECRET', error: 'invalid_client' });
    const basic = Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64');
    const viaBasic = await sandbox.app.request(
      TOKEN,
      formPost(
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
        { authorization: `Basic ${basic}` },
      ),
    );
    expect(((await viaBasic.json()) as { status: string }).status).toBe('BAD_CLIENT_ID');
    expect((await exchange(sandbox, { grant_type: 'password' })).body).toMatchObject({
      status: 'BAD_GRANT_TYPE',
      error: 'unsupported_grant_type',
    });
  });

  it('checks code_verifier when the code was issued with a challenge', async () => {
    const pkce = pkcePair();
    const extra = { code_challenge: pkce.challenge, code_challenge_method: 'S256' };
    const first = await codeFor(undefined, extra);
    const missing = await exchange(first.sandbox, { code: first.code, redirect_uri: REDIRECT_URI });
    expect(missing.body).toMatchObject({ status: 'BAD_AUTH_CODE', error: 'invalid_grant' });
    const second = await codeFor(undefined, extra);
    const wrong = await exchange(second.sandbox, {
      code: second.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkcePair().verifier,
    });
    expect(wrong.res.status).toBe(400);
    const right = await exchange(second.sandbox, {
      code: second.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce.verifier,
    });
    expect(right.res.status).toBe(200);
  });

  it('refreshes without rotating the refresh token, and only for the app that owns the grant', async () => {
    const { sandbox, code } = await codeFor();
    const first = (await exchange(sandbox, { code, redirect_uri: REDIRECT_URI })).body;
    const refreshed = await sandbox.app.request(
      TOKEN,
      formPost({ grant_type: 'refresh_token', refresh_token: String(first.refresh_token), ...CLIENT }),
    );
    const body = (await refreshed.json()) as Record<string, unknown>;
    expect(refreshed.status).toBe(200);
    expect(body.refresh_token).toBe(first.refresh_token);
    expect(body.access_token).not.toBe(first.access_token);
    // hub_id and scopes are optional in the 2026-03 answer; the sandbox leaves them out of refreshes.
    expect(body).not.toHaveProperty('hub_id');
    expect(body).not.toHaveProperty('scopes');

    sandbox.state.registerApp('hubspot', {
      clientId: 'tenant-app',
      clientSecret: 'tenant-secret',
      name: 'Tenant',
    });
    const foreign = await sandbox.app.request(
      TOKEN,
      formPost({
        grant_type: 'refresh_token',
        refresh_token: String(first.refresh_token),
        client_id: 'tenant-app',
        client_secret: 'tenant-secret',
      }),
    );
    expect(((await foreign.json()) as { status: string }).status).toBe('BAD_REFRESH_TOKEN');
  });

  it('also answers at the v3 alias of the 2026-03 token path', async () => {
    const { sandbox, code } = await codeFor();
    const res = await sandbox.app.request(
      `${ORIGIN}/hubspot/api/oauth/v3/token`,
      formPost({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...CLIENT }),
    );
    expect(res.status).toBe(200);
  });
});

describe('HubSpot token introspection and revocation', () => {
  const INTROSPECT = `${TOKEN}/introspect`;
  const REVOKE = `${TOKEN}/revoke`;

  it('describes access and refresh tokens, from a form with the app credentials only', async () => {
    const { sandbox, code } = await codeFor(undefined, {}, 'globex');
    const tokens = (await exchange(sandbox, { code, redirect_uri: REDIRECT_URI })).body;
    const access = await sandbox.app.request(
      INTROSPECT,
      formPost({ ...CLIENT, token: String(tokens.access_token), token_type_hint: 'access_token' }),
    );
    expect(await access.json()).toMatchObject({
      active: true,
      hub_id: 1000003,
      hub_domain: expect.stringContaining('globex'),
      token_use: 'access_token',
      scopes: ['oauth', 'hubdb'],
      signed_access_token: { hublet: 'na1' },
    });
    const refresh = await sandbox.app.request(
      INTROSPECT,
      formPost({ ...CLIENT, token: String(tokens.refresh_token), token_type_hint: 'refresh_token' }),
    );
    expect(await refresh.json()).toMatchObject({
      active: true,
      hub_id: 1000003,
      client_id: CLIENT.client_id,
    });
    const unknown = await sandbox.app.request(INTROSPECT, formPost({ ...CLIENT, token: 'nope' }));
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({ active: false });
  });

  it('refuses a token in the URL and a form without client credentials', async () => {
    const { sandbox, code } = await codeFor();
    const tokens = (await exchange(sandbox, { code, redirect_uri: REDIRECT_URI })).body;
    const inUrl = await sandbox.app.request(
      `${INTROSPECT}?token=${tokens.access_token}`,
      formPost({ ...CLIENT, token: String(tokens.access_token) }),
    );
    expect(inUrl.status).toBe(400);
    expect(JSON.stringify(await inUrl.json())).not.toContain(String(tokens.access_token));
    for (const url of [INTROSPECT, REVOKE]) {
      const noSecret = await sandbox.app.request(
        url,
        formPost({ client_id: CLIENT.client_id, token: String(tokens.refresh_token) }),
      );
      expect(noSecret.status, url).toBe(400);
      expect(await noSecret.json()).toMatchObject({ status: 'BAD_CLIENT_SECRET' });
      const noClient = await sandbox.app.request(url, formPost({ token: String(tokens.refresh_token) }));
      expect(await noClient.json()).toMatchObject({ status: 'BAD_CLIENT_ID' });
    }
    expect(sandbox.state.stats().hubspot.revokes).toBe(0);
  });

  it('answers 404 on every v1 OAuth path, as HubSpot does after 2027-02-16', async () => {
    const { sandbox, code } = await codeFor();
    const tokens = (await exchange(sandbox, { code, redirect_uri: REDIRECT_URI })).body;
    const v1 = `${ORIGIN}/hubspot/api/oauth/v1`;
    const calls: Array<[string, RequestInit]> = [
      [
        `${v1}/token`,
        formPost({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token), ...CLIENT }),
      ],
      [`${v1}/access-tokens/${tokens.access_token}`, {}],
      [`${v1}/refresh-tokens/${tokens.refresh_token}`, {}],
      [`${v1}/refresh-tokens/${tokens.refresh_token}`, { method: 'DELETE' }],
    ];
    for (const [url, init] of calls) expect((await sandbox.app.request(url, init)).status, url).toBe(404);
    expect(sandbox.state.stats().hubspot.revokes).toBe(0);
  });

  it('revokes a refresh token with a form post; the access token lives on, refresh then fails', async () => {
    const { sandbox, code } = await codeFor();
    const tokens = (await exchange(sandbox, { code, redirect_uri: REDIRECT_URI })).body;
    const form = { ...CLIENT, token: String(tokens.refresh_token), token_type_hint: 'refresh_token' };
    const revoked = await sandbox.app.request(REVOKE, formPost(form));
    expect(revoked.status).toBe(200);
    const refresh = await sandbox.app.request(
      TOKEN,
      formPost({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token), ...CLIENT }),
    );
    expect(await refresh.json()).toMatchObject({ status: 'BAD_REFRESH_TOKEN', error: 'invalid_grant' });
    const data = await sandbox.app.request(
      `${ORIGIN}/hubspot/api/account-info/2026-03/details`,
      bearer(String(tokens.access_token)),
    );
    expect(data.status).toBe(200);
    expect(sandbox.state.stats().hubspot.revokes).toBe(1);
  });
});
