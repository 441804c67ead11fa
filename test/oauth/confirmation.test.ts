import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connKey } from '../../lib/store/items.js';
import { formFields, locationOf, TestBrowser } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Issue 14, item 2: connect-link phishing. An attacker forwards their own connect link; the victim
 * consents; without confirmation the victim's account would land on the attacker's end user. With
 * `requireConfirmation`, Portico's consent step names whose link it is, and the connection stays
 * `pending` until the tenant's backend confirms it for the user signed in there.
 */
let s: Stack;
let tenant: { id: string; apiKey: string };
const returnUrl = 'https://app.acme.test/integrations/done';

beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant({
    name: 'Acme Insights',
    returnUrls: ['https://app.acme.test/integrations'],
    requireConfirmation: true,
  });
});
afterAll(async () => {
  await s?.close();
});

async function session(endUserId: string, key = tenant.apiKey) {
  const res = await s.api('POST', '/v1/connect-sessions', key, { provider: 'hubspot', endUserId, returnUrl });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; connectUrl: string };
}

/** A browser opening the link, reading Portico's consent page, continuing, and approving at HubSpot. */
async function consentAndApprove(connectUrl: string, account: string) {
  const browser = new TestBrowser();
  const page = await browser.get(connectUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
  const sid = new URL(connectUrl).pathname.split('/').pop() ?? '';
  const cont = await browser.request(`${s.url}/connect/${sid}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(s.url).origin },
    body: new URLSearchParams(formFields(html)).toString(),
  });
  expect(cont.status).toBe(303);
  const authorizeUrl = locationOf(cont);
  const consent = await browser.get(authorizeUrl);
  const decided = await browser.postForm(authorizeUrl.split('?')[0] ?? '', {
    ...formFields(await consent.text()),
    account,
    decision: 'approve',
  });
  const callback = await browser.get(locationOf(decided, authorizeUrl));
  expect(callback.status).toBe(302);
  return { html, back: new URL(locationOf(callback)) };
}

describe('a tenant that requires confirmation', () => {
  it('shows the tenant and the end user before the provider, and refuses a cross-site continue', async () => {
    const cs = await session('mallory');
    const page = await fetch(cs.connectUrl, { redirect: 'manual' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Acme Insights');
    expect(html).toContain('mallory');
    expect(page.headers.get('location')).toBeNull();
    const forged = await fetch(`${s.url}/connect/${cs.id}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams(formFields(html)).toString(),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
    const crossSite = await fetch(`${s.url}/connect/${cs.id}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams(formFields(html)).toString(),
    });
    expect(crossSite.status).toBe(403);
  });

  it("keeps a forwarded link's connection pending, unserved, and unconfirmable for the victim", async () => {
    const cs = await session('mallory'); // the attacker's own link, forwarded to the victim
    const { back } = await consentAndApprove(cs.connectUrl, 'victim-portal');
    expect(back.searchParams.get('status')).toBe('connected');
    const id = back.searchParams.get('connectionId') ?? '';
    const code = back.searchParams.get('connectCode') ?? '';
    expect(back.searchParams.get('connectSessionId')).toBe(cs.id);
    expect(code.length).toBeGreaterThan(20);

    const conn = await (await s.api('GET', `/v1/connections/${id}`, tenant.apiKey)).json();
    expect(conn).toMatchObject({ status: 'pending', endUserId: 'mallory' });
    // Never served: no token, no provider call.
    const before = s.sandbox.state.stats().hubspot;
    for (const path of ['token', 'hubdb/tables', 'proxy/cms/hubdb/2026-03/tables']) {
      const res = await s.api('GET', `/v1/connections/${id}/${path}`, tenant.apiKey);
      expect(res.status, path).toBe(409);
      expect(await res.text(), path).not.toContain('accessToken');
    }
    expect((await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey)).status).toBe(409);
    const after = s.sandbox.state.stats().hubspot;
    expect(after.dataRequests).toBe(before.dataRequests);
    expect(after.tokenRequests).toEqual(before.tokenRequests);
    // Never refreshed by the sweep: it is not in the due index.
    const { pk, sk } = connKey(tenant.id, id);
    const item = await s.portico.services.db.get(pk, sk);
    expect(item?.gsi1pk).toBeUndefined();

    // The victim's browser lands on the tenant's site, where the victim is signed in: the backend
    // confirms for its signed-in user, and Portico refuses (the session is mallory's).
    const victim = await s.api('POST', `/v1/connect-sessions/${cs.id}/confirm`, tenant.apiKey, {
      connectCode: code,
      endUserId: 'victim',
    });
    expect(victim.status).toBe(409);
    expect((await (await s.api('GET', `/v1/connections/${id}`, tenant.apiKey)).json()).status).toBe(
      'pending',
    );

    // Unconfirmed past its time: gone, as if it never was.
    await s.portico.services.db.update(pk, sk, { pendingUntil: Date.now() - 1 });
    expect((await s.api('GET', `/v1/connections/${id}`, tenant.apiKey)).status).toBe(404);
    const list = await (await s.api('GET', '/v1/connections?endUserId=mallory', tenant.apiKey)).json();
    expect(list.connections).toEqual([]);
  });

  it("activates the connection when the backend confirms its own user's flow, once", async () => {
    const cs = await session('alice');
    const { back } = await consentAndApprove(cs.connectUrl, 'alice-portal');
    const id = back.searchParams.get('connectionId') ?? '';
    const code = back.searchParams.get('connectCode') ?? '';
    const wrong = await s.api('POST', `/v1/connect-sessions/${cs.id}/confirm`, tenant.apiKey, {
      connectCode: `${code}x`,
    });
    expect(wrong.status).toBe(400);
    const state = await (await s.api('GET', `/v1/connect-sessions/${cs.id}`, tenant.apiKey)).json();
    expect(state).toMatchObject({
      id: cs.id,
      endUserId: 'alice',
      status: 'completed',
      connectionId: id,
      confirmed: false,
    });

    const ok = await s.api('POST', `/v1/connect-sessions/${cs.id}/confirm`, tenant.apiKey, {
      connectCode: code,
      endUserId: 'alice',
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id, status: 'active', endUserId: 'alice' });
    expect((await s.api('GET', `/v1/connections/${id}/token`, tenant.apiKey)).status).toBe(200);
    const { pk, sk } = connKey(tenant.id, id);
    expect((await s.portico.services.db.get(pk, sk))?.gsi1pk).toMatch(/^DUE#/);
    // Single use.
    const again = await s.api('POST', `/v1/connect-sessions/${cs.id}/confirm`, tenant.apiKey, {
      connectCode: code,
    });
    expect(again.status).toBe(400);
    // Another tenant cannot confirm it.
    const other = await s.tenant();
    expect(
      (await s.api('POST', `/v1/connect-sessions/${cs.id}/confirm`, other.apiKey, { connectCode: code }))
        .status,
    ).toBe(404);
  });
});

describe('a tenant without confirmation (the default)', () => {
  it('goes straight to the provider and gets an active connection, with a code it may still check', async () => {
    const plain = await s.tenant({ returnUrls: ['https://app.acme.test/integrations'] });
    const got = await (await s.api('GET', `/v1/tenants/${plain.id}`, s.adminKey)).json();
    expect(got.requireConfirmation).toBe(false);
    const cs = await session('bob', plain.apiKey);
    const browser = new TestBrowser();
    const open = await browser.get(cs.connectUrl);
    expect(open.status).toBe(302);
    const authorizeUrl = locationOf(open);
    const consent = await browser.get(authorizeUrl);
    const decided = await browser.postForm(authorizeUrl.split('?')[0] ?? '', {
      ...formFields(await consent.text()),
      account: 'bob-portal',
      decision: 'approve',
    });
    const back = new URL(locationOf(await browser.get(locationOf(decided, authorizeUrl))));
    const id = back.searchParams.get('connectionId') ?? '';
    expect((await (await s.api('GET', `/v1/connections/${id}`, plain.apiKey)).json()).status).toBe('active');
    const confirmed = await s.api('POST', `/v1/connect-sessions/${cs.id}/confirm`, plain.apiKey, {
      connectCode: back.searchParams.get('connectCode'),
      endUserId: 'bob',
    });
    expect(confirmed.status).toBe(200);
  });
});
