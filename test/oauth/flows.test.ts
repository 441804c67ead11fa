import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formFields, locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
let tenant: { id: string; apiKey: string };
const returnUrl = 'https://app.acme.test/integrations/done';

beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/integrations'] });
});
afterAll(async () => {
  await s?.close();
});

async function session(body: Record<string, unknown>, key = tenant.apiKey) {
  const res = await s.api('POST', '/v1/connect-sessions', key, body);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; connectUrl: string; expiresAt: string };
}

async function connections(endUserId?: string) {
  const res = await s.api(
    'GET',
    `/v1/connections${endUserId ? `?endUserId=${endUserId}` : ''}`,
    tenant.apiKey,
  );
  return ((await res.json()) as { connections: Array<Record<string, unknown>> }).connections;
}

describe('web flow', () => {
  it('connects HubSpot and redirects to the returnUrl', async () => {
    const cs = await session({ provider: 'hubspot', endUserId: 'u-hub', returnUrl });
    expect(cs.connectUrl.startsWith(`${s.url}/connect/${cs.id}?t=`)).toBe(true);
    const browser = new TestBrowser();
    const { callback, authorizeUrl } = await walkConnect(browser, cs.connectUrl, { account: 'acme-hub' });

    const auth = new URL(authorizeUrl);
    expect(auth.searchParams.get('client_id')).toBe('sandbox-hubspot-app');
    expect(auth.searchParams.get('scope')?.split(' ')).toContain('oauth');
    expect(auth.searchParams.get('redirect_uri')).toBe(`${s.url}/oauth/callback`);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');

    expect(callback.status).toBe(302);
    const back = new URL(locationOf(callback));
    expect(back.origin + back.pathname).toBe(returnUrl);
    expect(back.searchParams.get('status')).toBe('connected');
    const id = back.searchParams.get('connectionId')!;

    const res = await s.api('GET', `/v1/connections/${id}`, tenant.apiKey);
    const text = await res.text();
    const conn = JSON.parse(text);
    expect(conn).toMatchObject({
      id,
      provider: 'hubspot',
      endUserId: 'u-hub',
      authScheme: 'oauth2',
      status: 'active',
    });
    expect(conn.account.id).toMatch(/^\d+$/);
    expect(conn.scopes).toContain('hubdb');
    expect(Date.parse(conn.expiresAt) - Date.now()).toBeGreaterThan(25 * 60_000);

    const token = await (await s.api('GET', `/v1/connections/${id}/token`, tenant.apiKey)).json();
    expect(token.tokenType).toBe('bearer');
    expect(text).not.toContain(token.accessToken);
  });

  it('connects Dropbox in a popup: offline access, PKCE, and a message only to allowed origins', async () => {
    const cs = await session({ provider: 'dropbox', endUserId: 'u-drop' });
    const { callback, authorizeUrl } = await walkConnect(new TestBrowser(), cs.connectUrl, {
      account: 'dropper',
    });
    const auth = new URL(authorizeUrl);
    expect(auth.searchParams.get('response_type')).toBe('code');
    expect(auth.searchParams.get('token_access_type')).toBe('offline');
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(callback.status).toBe(200);
    const csp = callback.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await callback.text();
    const data = JSON.parse(
      /<script type="application\/json" id="portico-result">(.*?)<\/script>/.exec(html)![1],
    );
    expect(data.message.type).toBe('portico:connected');
    expect(data.origins).toEqual([new URL(s.url).origin, 'https://app.acme.test']);
    expect(data.origins).not.toContain('*');
    const conn = await (
      await s.api('GET', `/v1/connections/${data.message.connectionId}`, tenant.apiKey)
    ).json();
    expect(conn.account.id).toMatch(/^dbid:/);
    expect(conn.provider).toBe('dropbox');
  });

  it('reconnecting the same user and account updates the one connection', async () => {
    const ids: string[] = [];
    for (const account of ['same-acct', 'same-acct', 'other-acct']) {
      const cs = await session({ provider: 'hubspot', endUserId: 'u-re', returnUrl });
      const { callback } = await walkConnect(new TestBrowser(), cs.connectUrl, { account });
      ids.push(new URL(locationOf(callback)).searchParams.get('connectionId')!);
    }
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    expect((await connections('u-re')).length).toBe(2);
  });
});

describe('web flow refusals store nothing', () => {
  it('a denied consent ends at the returnUrl with access_denied', async () => {
    const cs = await session({ provider: 'hubspot', endUserId: 'u-deny', returnUrl });
    const { callback } = await walkConnect(new TestBrowser(), cs.connectUrl, { decision: 'deny' });
    const back = new URL(locationOf(callback));
    expect(back.searchParams.get('status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(await connections('u-deny')).toEqual([]);
  });

  it('a replayed callback is refused and the connection is stored once', async () => {
    const cs = await session({ provider: 'dropbox', endUserId: 'u-replay', returnUrl });
    const browser = new TestBrowser();
    const { callback, callbackUrl } = await walkConnect(browser, cs.connectUrl);
    expect(new URL(locationOf(callback)).searchParams.get('status')).toBe('connected');
    // The binding cookie was cleared; replay with and without a cookie.
    const replay = await browser.get(callbackUrl);
    expect(replay.status).toBe(302);
    expect(new URL(locationOf(replay)).searchParams.get('error')).toMatch(/already_used|invalid_state/);
    expect((await connections('u-replay')).length).toBe(1);
  });

  it('a tampered state is refused', async () => {
    const cs = await session({ provider: 'hubspot', endUserId: 'u-tamper', returnUrl });
    const { callback } = await walkConnect(new TestBrowser(), cs.connectUrl, {
      tamper: (u) => u.searchParams.set('state', `${u.searchParams.get('state')!.slice(0, -2)}xx`),
    });
    expect(callback.status).toBe(302);
    expect(new URL(locationOf(callback)).searchParams.get('error')).toBe('invalid_state');
    const garbage = await fetch(`${s.url}/oauth/callback?code=abc&state=nonsense`);
    expect(garbage.status).toBe(400);
    const none = await fetch(`${s.url}/oauth/callback`);
    expect(none.status).toBe(400);
    expect(await connections('u-tamper')).toEqual([]);
  });

  it('a callback in another browser (no binding cookie) is refused', async () => {
    const cs = await session({ provider: 'hubspot', endUserId: 'u-foreign', returnUrl });
    const browser = new TestBrowser();
    const open = await browser.get(cs.connectUrl);
    const authorizeUrl = locationOf(open);
    const fields = formFields(await (await browser.get(authorizeUrl)).text());
    const decided = await browser.postForm(authorizeUrl.split('?')[0], { ...fields, decision: 'approve' });
    const other = new TestBrowser();
    const callback = await other.get(locationOf(decided));
    expect(new URL(locationOf(callback)).searchParams.get('error')).toBe('invalid_state');
    expect(await connections('u-foreign')).toEqual([]);
  });

  it('an expired session is refused', async () => {
    const cs = await session({ provider: 'hubspot', endUserId: 'u-expired', returnUrl });
    const browser = new TestBrowser();
    const open = await browser.get(cs.connectUrl);
    const authorizeUrl = locationOf(open);
    const fields = formFields(await (await browser.get(authorizeUrl)).text());
    const decided = await browser.postForm(authorizeUrl.split('?')[0], { ...fields, decision: 'approve' });
    await s.portico.services.db.update(`SESSION#${cs.id}`, 'SESSION', { expiresAt: Date.now() - 1 });
    const callback = await browser.get(locationOf(decided));
    expect(new URL(locationOf(callback)).searchParams.get('error')).toBe('expired');
    expect(await connections('u-expired')).toEqual([]);
  });

  it('a forged or altered connect link is refused before any lookup', async () => {
    const a = await session({ provider: 'hubspot', endUserId: 'u-link' });
    const b = await session({ provider: 'hubspot', endUserId: 'u-link2' });
    const token = new URL(a.connectUrl).searchParams.get('t')!;
    const cases = [
      `${s.url}/connect/${a.id}`,
      `${s.url}/connect/${a.id}?t=${token.slice(0, -3)}abc`,
      `${s.url}/connect/${b.id}?t=${token}`,
      `${s.url}/connect/not-an-id?t=${token}`,
    ];
    for (const url of cases) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status, url).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('refuses a returnUrl outside the allow-list (no open redirect)', async () => {
    for (const bad of [
      'https://evil.test/integrations',
      'https://app.acme.test.evil.test/integrations',
      'https://app.acme.test/other',
      'http://app.acme.test/integrations',
      'https://app.acme.test/integrationsX',
    ]) {
      const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
        provider: 'hubspot',
        endUserId: 'x',
        returnUrl: bad,
      });
      expect(res.status, bad).toBe(400);
      expect((await res.json()).code).toBe('invalid_request');
    }
  });

  it('validates the session body', async () => {
    for (const body of [
      { provider: 'salesforce', endUserId: 'x' },
      { provider: 'hubspot' },
      { provider: 'hubspot', endUserId: '' },
      { provider: 'hubspot', endUserId: 'x', scopes: ['has space'] },
      { provider: 'hubspot', endUserId: 'x', extra: 1 },
    ]) {
      const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('headless flow', () => {
  it('gives the raw URL, then exchanges a code obtained elsewhere, once', async () => {
    const cs = await session({ provider: 'dropbox', endUserId: 'u-headless' });
    const redirectUri = 'https://backend.acme.test/oauth/done';
    const res = await s.api(
      'GET',
      `/v1/connect-sessions/${cs.id}/authorization-url?redirectUri=${encodeURIComponent(redirectUri)}`,
      tenant.apiKey,
    );
    expect(res.status).toBe(200);
    const { authorizationUrl, state } = await res.json();
    expect(new URL(authorizationUrl).searchParams.get('state')).toBe(state);
    expect(new URL(authorizationUrl).searchParams.get('redirect_uri')).toBe(redirectUri);
    const browser = new TestBrowser();
    const fields = formFields(await (await browser.get(authorizationUrl)).text());
    const decided = await browser.postForm(authorizationUrl.split('?')[0], {
      ...fields,
      decision: 'approve',
    });
    const code = new URL(locationOf(decided)).searchParams.get('code')!;

    const ex = await s.api('POST', `/v1/connect-sessions/${cs.id}/exchange`, tenant.apiKey, { code });
    expect(ex.status).toBe(201);
    expect((await ex.json()).endUserId).toBe('u-headless');
    const again = await s.api('POST', `/v1/connect-sessions/${cs.id}/exchange`, tenant.apiKey, { code });
    expect(again.status).toBe(400);

    // The same code with a fresh session: the provider refuses a reused code.
    const cs2 = await session({ provider: 'dropbox', endUserId: 'u-headless' });
    await s.api(
      'GET',
      `/v1/connect-sessions/${cs2.id}/authorization-url?redirectUri=${encodeURIComponent(redirectUri)}`,
      tenant.apiKey,
    );
    const reused = await s.api('POST', `/v1/connect-sessions/${cs2.id}/exchange`, tenant.apiKey, { code });
    expect(reused.status).toBe(400);
    expect((await reused.json()).detail).toMatch(/code/);
    expect((await connections('u-headless')).length).toBe(1);
  });

  it('a provider outage during the exchange gives the session back, so the same code works later', async () => {
    const cs = await session({ provider: 'hubspot', endUserId: 'u-outage' });
    const redirectUri = 'https://backend.acme.test/oauth/done';
    const { authorizationUrl } = await (
      await s.api(
        'GET',
        `/v1/connect-sessions/${cs.id}/authorization-url?redirectUri=${encodeURIComponent(redirectUri)}`,
        tenant.apiKey,
      )
    ).json();
    const browser = new TestBrowser();
    const fields = formFields(await (await browser.get(authorizationUrl)).text());
    const decided = await browser.postForm(authorizationUrl.split('?')[0], {
      ...fields,
      decision: 'approve',
    });
    const code = new URL(locationOf(decided)).searchParams.get('code')!;
    s.sandbox.state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 503, count: 0 });
    try {
      const down = await s.api('POST', `/v1/connect-sessions/${cs.id}/exchange`, tenant.apiKey, { code });
      expect(down.status).toBe(503);
      expect((await down.json()).code).toBe('provider_unavailable');
    } finally {
      s.sandbox.state.clearFaults('hubspot');
    }
    const ok = await s.api('POST', `/v1/connect-sessions/${cs.id}/exchange`, tenant.apiKey, { code });
    expect(ok.status).toBe(201);
    expect((await connections('u-outage')).length).toBe(1);
  }, 60_000);

  it("another tenant's session id answers 404", async () => {
    const cs = await session({ provider: 'hubspot', endUserId: 'u-x' });
    const other = await s.tenant();
    const res = await s.api('GET', `/v1/connect-sessions/${cs.id}/authorization-url`, other.apiKey);
    expect(res.status).toBe(404);
    const ex = await s.api('POST', `/v1/connect-sessions/${cs.id}/exchange`, other.apiKey, { code: 'x' });
    expect(ex.status).toBe(404);
  });
});
