import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, startHarness } from './harness.js';

/**
 * The admin console at `/admin` in a real Chromium: sign in with the admin key, create a tenant
 * (its key shown once), see its connections and audit trail, revoke it after typing its name.
 */
describe.skipIf(!hasChromium)('admin console in a browser', () => {
  let h: Harness;
  let page: Page;
  let tenantId = '';
  let apiKey = '';

  beforeAll(async () => {
    // A grant that fails to revoke is given up within a second here (24 hours by default).
    h = await startHarness({ revocations: { giveUpMs: 1000 } });
    page = await h.newPage();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A grant the sandbox issues out of band, imported through the tenant API (as a backend would). */
  async function importConnection(provider: 'hubspot' | 'dropbox', endUserId: string) {
    const minted = await fetch(`${h.server.url}/sandbox/_control/mint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider, account: 'globex' }),
    });
    expect(minted.status).toBe(201);
    const { refresh_token } = (await minted.json()) as { refresh_token: string };
    const res = await h.api('POST', '/v1/connections', apiKey, {
      provider,
      endUserId,
      credentials: { type: 'oauth2', refreshToken: refresh_token },
    });
    expect(res.status).toBe(201);
  }

  it('serves the console with a strict CSP', async () => {
    const res = await page.goto(`${h.server.url}/admin`);
    expect(res?.status()).toBe(200);
    const headers = res?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("form-action 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    await page.waitForSelector('#signin-submit:not([disabled])');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('admin-key');
    await h.shot(page, 'admin-signin');
  });

  it('refuses a wrong key and signs in with the admin key', async () => {
    // Every message the sign-in error shows: a wrong key is never told it "is no longer accepted"
    // (that is for a session whose credential went stale), not even for a moment.
    await page.evaluate(() => {
      const box = document.getElementById('signin-error');
      const seen: string[] = [];
      (window as unknown as { signinMessages: string[] }).signinMessages = seen;
      if (box)
        new MutationObserver(() => seen.push(box.textContent ?? '')).observe(box, {
          childList: true,
          characterData: true,
          subtree: true,
        });
    });
    await page.fill('#admin-key', 'pak_not-the-key');
    await page.press('#admin-key', 'Enter');
    await page.waitForFunction(() =>
      document.getElementById('signin-error')?.textContent?.includes('not accepted'),
    );
    await expect(page.isVisible('#signin-error')).resolves.toBe(true);
    const seen = await page.evaluate(
      () => (window as unknown as { signinMessages: string[] }).signinMessages,
    );
    expect(seen.filter((m) => m.includes('no longer'))).toEqual([]);

    await page.fill('#admin-key', h.server.adminKey);
    await page.click('#signin-submit');
    await page.waitForSelector('#console:not([hidden])');
    await expect(page.inputValue('#admin-key')).resolves.toBe('');
    // The demo tenant the local server made at start.
    await page.waitForSelector('#tenant-list button:text("Portico demo")');
  });

  it('creates a tenant and shows its API key once', async () => {
    await page.fill('#tenant-name', 'Globex');
    await page.fill('#tenant-return-urls', 'https://app.globex.example/integrations');
    await page.click('#create-submit');
    await page.waitForSelector('#created:not([hidden])');
    apiKey = (await page.textContent('#created-api-key')) ?? '';
    expect(apiKey).toMatch(/^ptk_/);
    await expect(page.textContent('#created-webhook-secret')).resolves.toMatch(/^whsec_/);
    await page.waitForSelector('#tenant-list button:text("Globex")');
    tenantId = (await page.getAttribute('#tenant-list button:text("Globex")', 'data-tenant')) ?? '';
    expect(tenantId).toMatch(/^ten_/);
    await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent === 'Globex');
    await h.shot(page, 'admin-tenant-created');

    await page.click('#created-dismiss');
    await expect(page.isVisible('#created')).resolves.toBe(false);
    await expect(page.textContent('#created-api-key')).resolves.toBe('');
  });

  it("shows a tenant's connections and audit trail", async () => {
    await importConnection('hubspot', 'globex-user-1');
    await importConnection('dropbox', 'globex-user-2');
    await page.click(`#tenant-list button[data-tenant="${tenantId}"]`);
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 2);
    await expect(page.textContent('#connections-table')).resolves.toContain('globex-user-1');
    await expect(page.textContent('#audit-table')).resolves.toContain('tenant.created');
    // Focus moves to the tenant's title once its details have loaded (later on a loaded machine).
    await page.waitForFunction(() => document.activeElement?.id === 'detail-title');
    await h.shot(page, 'admin-tenant-detail');
  });

  it('revokes a tenant only after its name is typed, and its connections are gone', async () => {
    await expect(page.isDisabled('#revoke')).resolves.toBe(true);
    await page.fill('#revoke-confirm', 'globex');
    await expect(page.isDisabled('#revoke')).resolves.toBe(true);
    await page.fill('#revoke-confirm', 'Globex');
    await expect(page.isEnabled('#revoke')).resolves.toBe(true);
    await h.shot(page, 'admin-revoke-confirm', false);
    await page.click('#revoke');

    await page.waitForSelector('#revoke-result:not([hidden])');
    await expect(page.textContent('#revoke-result')).resolves.toContain('2 connections revoked');
    await page.waitForSelector('#connections-empty');
    await expect(page.textContent('#detail-status')).resolves.toBe('revoked');
    await expect(page.isVisible('#revoke-zone')).resolves.toBe(false);
    await h.shot(page, 'admin-tenant-revoked');

    // The tenant's key stopped working, and the admin route agrees nothing is left.
    expect((await h.api('GET', '/v1/connections', apiKey)).status).toBe(401);
    const left = await h.api('GET', `/v1/tenants/${tenantId}/connections`, h.server.adminKey);
    expect(await left.json()).toEqual({ connections: [] });
  });

  it("shows a big tenant's revocation as a progress bar that moves, then the grants that failed", async () => {
    const created = await (await h.api('POST', '/v1/tenants', h.server.adminKey, { name: 'Initech' })).json();
    tenantId = created.tenant.id;
    apiKey = created.apiKey;
    for (let i = 0; i < 50; i++) await importConnection('hubspot', `initech-${i}`);
    await importConnection('dropbox', 'initech-box');
    const fault = (spec: Record<string, unknown>) =>
      fetch(`${h.server.url}/sandbox/_control/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
    // Slow HubSpot revocations (the job outlasts the request); Dropbox refuses every revocation.
    await fault({ provider: 'hubspot', match: '/token/revoke', delayMs: 2500, count: 0 });
    await fault({ provider: 'dropbox', match: '/auth/token/revoke', status: 404, count: 0 });
    try {
      await page.click('#tenants-refresh');
      await page.click(`#tenant-list button[data-tenant="${tenantId}"]`);
      await page.waitForFunction(
        () => document.querySelectorAll('#connections-table tbody tr').length === 51,
      );
      await page.fill('#revoke-confirm', 'Initech');
      await page.click('#revoke');
      await page.waitForSelector('#revocation:not([hidden])');
      await page.waitForSelector('#revoke-result:not([hidden])');
      await expect(page.textContent('#revoke-result')).resolves.toContain('being revoked');
      const seen: number[] = [];
      const bar = () =>
        page.evaluate(() => {
          const p = document.querySelector<HTMLProgressElement>('#revocation-progress')!;
          return { value: p.value, max: p.max };
        });
      for (let i = 0; i < 150; i++) {
        const { value, max } = await bar();
        expect(max).toBe(51);
        if (seen.at(-1) !== value) seen.push(value);
        if (value === max) break;
        if (seen.length === 2) await h.shot(page, 'admin-revocation-progress');
        await new Promise((r) => setTimeout(r, 200));
      }
      // It moved on its own, with no reload, from a step between start and end to the end.
      expect(seen.at(-1)).toBe(51);
      expect(seen.filter((v) => v > 0 && v < 51).length).toBeGreaterThanOrEqual(1);
      await page.waitForSelector('#revocation-failures-table');
      await expect(page.textContent('#revocation-counts')).resolves.toContain(
        '50 of 51 grants revoked, 1 failed',
      );
      await expect(page.textContent('#revocation-failures-table')).resolves.toContain('initech-box');
      await expect(page.textContent('#revocation-failures-table')).resolves.toContain('provider_error');
      await expect(page.textContent('#detail-status')).resolves.toBe('revoked');
      await h.shot(page, 'admin-revocation-failures');
    } finally {
      await fetch(`${h.server.url}/sandbox/_control/faults`, { method: 'DELETE' });
    }
  }, 120_000);

  it('keeps the admin key out of storage, cookies and URLs, and forgets it on sign-out', async () => {
    expect(page.url()).toBe(`${h.server.url}/admin`);
    await expect(page.evaluate(() => localStorage.length + sessionStorage.length)).resolves.toBe(0);
    await expect(h.context.cookies()).resolves.toEqual([]);
    await expect(page.content()).resolves.not.toContain(h.server.adminKey);
    await page.click('#sign-out');
    await page.waitForSelector('#signin:not([hidden])');
    await expect(page.isVisible('#console')).resolves.toBe(false);
  });

  it('the admin-only connections route refuses tenant keys and no key', async () => {
    expect((await h.api('GET', `/v1/tenants/${tenantId}/connections`, 'nope')).status).toBe(401);
    const created = await h.api('POST', '/v1/tenants', h.server.adminKey, { name: 'Initech' });
    const { apiKey: key } = (await created.json()) as { apiKey: string };
    const res = await h.api('GET', `/v1/tenants/${tenantId}/connections`, key);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('reads well on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.fill('#admin-key', h.server.adminKey);
    await page.click('#signin-submit');
    await page.waitForSelector('#console:not([hidden])');
    await page.click(`#tenant-list button[data-tenant="${tenantId}"]`);
    await page.waitForSelector('#connections-empty');
    await h.shot(page, 'admin-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('reported no script errors or CSP violations', () => {
    expect(h.problems).toEqual([]);
  });
});
