import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../../lib/dev/sandbox/index.js';
import { consent, formPost, ORIGIN, pkcePair, REDIRECT_URI, rpc } from './flows.js';

const AUTHORIZE = '/dropbox/oauth2/authorize';
const TOKEN = `${ORIGIN}/dropbox/api/oauth2/token`;
const ID = 'sandbox-dropbox-app';
const SECRET = 'sandbox-dropbox-secret';
const BASIC = { authorization: `Basic ${Buffer.from(`${ID}:${SECRET}`).toString('base64')}` };

function query(extra: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    state: 'dbx-state',
    token_access_type: 'offline',
    ...extra,
  };
}

async function approve(sandbox = createSandbox(), extra: Record<string, string> = {}, account?: string) {
  const location = await consent(sandbox.app, AUTHORIZE, query(extra), 'approve', account);
  return { sandbox, code: location.searchParams.get('code') ?? '', location };
}

async function token(
  sandbox: ReturnType<typeof createSandbox>,
  fields: Record<string, string | undefined>,
  headers: Record<string, string> = BASIC,
) {
  const res = await sandbox.app.request(TOKEN, formPost(fields, headers));
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe('Dropbox consent page', () => {
  it('shows the app, the default scopes and the buttons', async () => {
    const { app } = createSandbox();
    const res = await app.request(`${ORIGIN}${AUTHORIZE}?${new URLSearchParams(query())}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Dropbox');
    expect(html).toContain('files.content.read');
    expect(html).toMatch(/id="approve"/);
    expect(html).not.toMatch(/<script/i);
  });

  it('answers an error page for a bad client, a missing redirect_uri or response_type', async () => {
    const { app } = createSandbox();
    for (const q of [query({ client_id: 'nope' }), query({ response_type: 'token' })]) {
      const res = await app.request(`${ORIGIN}${AUTHORIZE}?${new URLSearchParams(q)}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    const { redirect_uri: _, ...noRedirect } = query();
    const res = await app.request(`${ORIGIN}${AUTHORIZE}?${new URLSearchParams(noRedirect)}`);
    expect(res.status).toBe(400);
  });

  it('denies with access_denied', async () => {
    const location = await consent(createSandbox().app, AUTHORIZE, query(), 'deny');
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('dbx-state');
  });
});

describe('Dropbox token endpoint', () => {
  it('exchanges a code (Basic auth) for the documented answer', async () => {
    const { sandbox, code, location } = await approve(undefined, {}, 'acme');
    expect(location.searchParams.get('state')).toBe('dbx-state');
    const { res, body } = await token(sandbox, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    expect(res.status).toBe(200);
    expect(body.access_token).toMatch(/^sl\./);
    expect(body).toMatchObject({
      token_type: 'bearer',
      expires_in: 14400,
      scope: 'account_info.read files.metadata.read files.content.read',
    });
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.account_id).toMatch(/^dbid:AA[\w-]{33}$/);
    expect(body.uid).toMatch(/^\d+$/);
    const again = await approve(undefined, {}, 'ACME');
    const second = await token(again.sandbox, {
      grant_type: 'authorization_code',
      code: again.code,
      redirect_uri: REDIRECT_URI,
    });
    expect(second.body.account_id).toBe(body.account_id);
  });

  it('gives no refresh token without token_access_type=offline', async () => {
    const { sandbox, code } = await approve(undefined, { token_access_type: 'online' });
    const { body } = await token(sandbox, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    expect(body.access_token).toBeTruthy();
    expect(body.refresh_token).toBeUndefined();
  });

  it('takes client credentials in the body too', async () => {
    const { sandbox, code } = await approve();
    const { res } = await token(
      sandbox,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: ID,
        client_secret: SECRET,
      },
      {},
    );
    expect(res.status).toBe(200);
  });

  it('lets a PKCE public client exchange and refresh without a secret, and checks the verifier', async () => {
    const pkce = pkcePair();
    const extra = { code_challenge: pkce.challenge, code_challenge_method: 'S256' };
    const wrong = await approve(undefined, extra);
    const bad = await token(
      wrong.sandbox,
      {
        grant_type: 'authorization_code',
        code: wrong.code,
        redirect_uri: REDIRECT_URI,
        client_id: ID,
        code_verifier: pkcePair().verifier,
      },
      {},
    );
    expect(bad.res.status).toBe(400);
    expect(bad.body.error).toBe('invalid_grant');

    const { sandbox, code } = await approve(undefined, extra);
    const ok = await token(
      sandbox,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: ID,
        code_verifier: pkce.verifier,
      },
      {},
    );
    expect(ok.res.status).toBe(200);
    const refreshed = await token(
      sandbox,
      { grant_type: 'refresh_token', refresh_token: String(ok.body.refresh_token), client_id: ID },
      {},
    );
    expect(refreshed.res.status).toBe(200);
  });

  it('refuses a secret-less exchange of a code issued without PKCE', async () => {
    const { sandbox, code } = await approve();
    const { res, body } = await token(
      sandbox,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: ID },
      {},
    );
    expect(res.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('refuses replayed or expired codes with invalid_grant', async () => {
    let now = Date.UTC(2025, 0, 1);
    const sandbox = createSandbox({ now: () => now });
    const first = await approve(sandbox);
    const fields = { grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT_URI };
    expect((await token(sandbox, fields)).res.status).toBe(200);
    const replay = await token(sandbox, fields);
    expect(replay.res.status).toBe(400);
    expect(replay.body).toEqual({
      error: 'invalid_grant',
      error_description: "code doesn't exist or has expired",
    });
    const late = await approve(sandbox);
    now += 11 * 60 * 1000;
    expect((await token(sandbox, { ...fields, code: late.code })).body.error).toBe('invalid_grant');
  });

  it('refuses a wrong secret or unknown client with invalid_client', async () => {
    const { sandbox, code } = await approve();
    const wrong = { authorization: `Basic ${Buffer.from(`${ID}:nope`).toString('base64')}` };
    const { res, body } = await token(
      sandbox,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      wrong,
    );
    expect(res.status).toBe(400);
    expect(body.error).toBe('invalid_client');
    const unknown = { authorization: `Basic ${Buffer.from('who:nope').toString('base64')}` };
    expect(
      (await token(sandbox, { grant_type: 'refresh_token', refresh_token: 'x' }, unknown)).body.error,
    ).toBe('invalid_client');
  });

  it('refreshes with a short answer carrying no refresh token', async () => {
    const { sandbox, code } = await approve();
    const first = await token(sandbox, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    const { res, body } = await token(sandbox, {
      grant_type: 'refresh_token',
      refresh_token: String(first.body.refresh_token),
    });
    expect(res.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(body.access_token).not.toBe(first.body.access_token);
  });

  it('revokes the grant: its access tokens die and refresh answers invalid_grant', async () => {
    const { sandbox, code } = await approve();
    const first = await token(sandbox, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    const access = String(first.body.access_token);
    const revoke = await sandbox.app.request(`${ORIGIN}/dropbox/api/2/auth/token/revoke`, rpc(access));
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toBeNull();
    const after = await sandbox.app.request(`${ORIGIN}/dropbox/api/2/users/get_current_account`, rpc(access));
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({
      error_summary: 'invalid_access_token/',
      error: { '.tag': 'invalid_access_token' },
    });
    const refresh = await token(sandbox, {
      grant_type: 'refresh_token',
      refresh_token: String(first.body.refresh_token),
    });
    expect(refresh.body).toEqual({
      error: 'invalid_grant',
      error_description: 'refresh token is invalid or revoked',
    });
    expect(sandbox.state.stats().dropbox.revokes).toBe(1);
  });
});
