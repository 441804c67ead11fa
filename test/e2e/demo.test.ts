import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, startHarness } from './harness.js';

/**
 * The demo page at `/` in a real Chromium: connect HubSpot and Dropbox through the SDK's popup
 * against the sandbox's consent screens, see the data, deny, close, disconnect, reconnect.
 */
describe.skipIf(!hasChromium)('demo app in a browser', () => {
  let h: Harness;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness();
    page = await h.newPage();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Clicks a Connect button and answers the popup the SDK opened. */
  async function openPopup(selector: string): Promise<Page> {
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click(selector)]);
    // The demo tenant requires confirmation: Portico's consent step names it and the end user first.
    await popup.waitForSelector('#continue');
    await expect(popup.textContent('main')).resolves.toContain('Portico demo');
    await expect(popup.textContent('#end-user')).resolves.toBe(await page.inputValue('#end-user'));
    await Promise.all([popup.waitForSelector('#approve'), popup.click('#continue')]);
    return popup;
  }

  async function decide(popup: Page, decision: 'approve' | 'deny', account?: string) {
    if (account) await popup.fill('#account', account);
    await Promise.all([popup.waitForEvent('close'), popup.click(`#${decision}`)]);
  }

  it('serves the page with a strict CSP and an opener policy that keeps popups', async () => {
    const res = await page.goto(`${h.server.url}/`);
    expect(res?.status()).toBe(200);
    const headers = res?.headers() ?? {};
    const csp = headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(headers['cross-origin-opener-policy']).toBe('same-origin-allow-popups');
    await page.waitForSelector('#no-connections');
    await expect(page.textContent('#hubspot-status')).resolves.toContain('Not connected');
    await h.shot(page, 'demo-empty');
  });

  it('connects HubSpot through the popup and shows its HubDB tables', async () => {
    const popup = await openPopup('#connect-hubspot');
    expect(popup.url()).toContain('/sandbox/hubspot/oauth/authorize');
    await h.shot(popup, 'sandbox-consent-hubspot');
    await decide(popup, 'approve', 'acme');

    await page.waitForSelector('#notice.success');
    await expect(page.textContent('#hubspot-status')).resolves.toContain('Connected to');
    await page.waitForSelector('#connections-table tr[data-provider="hubspot"]');
    await expect(page.isVisible('#disconnect-hubspot')).resolves.toBe(true);

    // HubDB: the seeded tables, the first one's rows.
    await page.waitForSelector('#hubdb-table-list button[data-table="products"]', { timeout: 10_000 });
    const tables = await page.$$eval('#hubdb-table-list button', (bs) => bs.map((b) => b.dataset.table));
    expect(tables).toEqual(expect.arrayContaining(['products', 'stores', 'archive']));
    await page.waitForSelector('#hubdb-rows-table tbody tr');
    expect(await page.$$eval('#hubdb-rows-table tbody tr', (rows) => rows.length)).toBe(25);
    await page.click('#hubdb-table-list button[data-table="stores"]');
    await page.waitForFunction(() =>
      document.querySelector('#hubdb-rows-title')?.textContent?.includes('Stores'),
    );
    await expect(page.textContent('#hubdb-rows-table')).resolves.toContain('München');
    await h.shot(page, 'demo-hubspot-hubdb');
  });

  it('connects Dropbox and previews an Avro file', async () => {
    const popup = await openPopup('#connect-dropbox');
    expect(popup.url()).toContain('/sandbox/dropbox/oauth2/authorize');
    await h.shot(popup, 'sandbox-consent-dropbox');
    await decide(popup, 'approve', 'acme');

    await page.waitForFunction(() =>
      document.querySelector('#dropbox-status')?.textContent?.includes('Connected to'),
    );
    await page.waitForSelector('#files li[data-path="/data"] button', { timeout: 10_000 });
    await page.click('#files li[data-path="/data"] button');
    await page.waitForSelector('#files li[data-path="/data/users.avro"]');
    await page.click('#files li[data-path="/data/users.avro"] button');
    await page.waitForSelector('#avro-rows tbody tr');
    expect(await page.$$eval('#avro-rows tbody tr', (rows) => rows.length)).toBeGreaterThan(0);
    await h.shot(page, 'demo-dropbox-avro');

    // A file that is not Avro: the route's 422 shown in place.
    await page.click('#files li[data-path="/data/not-avro.avro"] button');
    await page.waitForSelector('#avro-error');
    await h.shot(page, 'demo-dropbox-not-avro', false);
  });

  it("the demo backend answers only its own page, and only a connection's own user", async () => {
    const id =
      (await page.getAttribute('#connections-table tr[data-provider="dropbox"]', 'data-connection')) ?? '';
    const base = `${h.server.url}/demo/api`;
    // The page's per-start token, as the page itself sends it.
    const token = { 'x-portico-demo-token': (await page.getAttribute('#main', 'data-demo-token')) ?? '' };
    const crossSite = await fetch(`${base}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', ...token },
      body: JSON.stringify({ provider: 'hubspot', endUserId: 'user_42' }),
    });
    expect(crossSite.status).toBe(403);
    const mine = await fetch(`${base}/connections/${id}/dropbox/files?endUserId=user_42&path=`, {
      headers: token,
    });
    expect(mine.status).toBe(200);
    const tokenless = await fetch(`${base}/connections/${id}/dropbox/files?endUserId=user_42&path=`);
    expect(tokenless.status).toBe(403);
    const theirs = await fetch(`${base}/connections/${id}/dropbox/files?endUserId=someone_else&path=`, {
      headers: token,
    });
    expect(theirs.status).toBe(404);
    // No key ever reaches the browser side.
    const page1 = await (await fetch(`${h.server.url}/`)).text();
    const script = await (await fetch(`${h.server.url}/demo/app.js`)).text();
    expect(`${page1}${script}`).not.toMatch(/ptk_|pak_/);
  });

  it('shows the error when the user denies consent or closes the popup', async () => {
    await page.fill('#end-user', 'user_denied');
    await page.press('#end-user', 'Enter');
    await page.dispatchEvent('#end-user', 'change');
    await page.waitForSelector('#no-connections');

    const popup = await openPopup('#connect-hubspot');
    await decide(popup, 'deny');
    await page.waitForSelector('#notice.error');
    await expect(page.textContent('#notice')).resolves.toContain(
      'declined access on the HubSpot consent screen',
    );
    await expect(page.isVisible('#no-connections')).resolves.toBe(true);
    await h.shot(page, 'demo-denied');

    const closing = await openPopup('#connect-dropbox');
    await closing.close();
    await page.waitForFunction(() => document.querySelector('#notice')?.textContent?.includes('was closed'));
    await expect(page.isEnabled('#connect-dropbox')).resolves.toBe(true);
  });

  it('disconnects a connection', async () => {
    await page.fill('#end-user', 'user_42');
    await page.dispatchEvent('#end-user', 'change');
    await page.waitForSelector('#connections-table tr[data-provider="hubspot"]');
    await page.click('#disconnect-hubspot');
    await page.waitForFunction(
      () => document.querySelector('#hubspot-status')?.textContent === 'Not connected',
    );
    await expect(page.$$('#connections-table tr[data-provider="hubspot"]')).resolves.toHaveLength(0);
    await expect(page.$$('#connections-table tr[data-provider="dropbox"]')).resolves.toHaveLength(1);
    await expect(page.isVisible('#hubdb')).resolves.toBe(false);
    await expect(page.isVisible('#connect-hubspot')).resolves.toBe(true);
  });

  it('offers Reconnect when a grant dies, and reconnecting restores it', async () => {
    // The provider forgets every Dropbox grant and access token: the next use finds out.
    const control = `${h.server.url}/sandbox/_control`;
    const post = (path: string, body: unknown) =>
      fetch(`${control}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/revoke-grants', { provider: 'dropbox' })).ok).toBe(true);
    expect((await post('/expire-tokens', { provider: 'dropbox' })).ok).toBe(true);

    await page.reload();
    await page.waitForSelector('#reconnect-dropbox:not([hidden])', { timeout: 10_000 });
    await expect(page.textContent('#dropbox-status')).resolves.toContain('stopped working');
    await h.shot(page, 'demo-needs-reauth');

    const popup = await openPopup('#reconnect-dropbox');
    await decide(popup, 'approve', 'acme');
    await page.waitForFunction(() =>
      document.querySelector('#dropbox-status')?.textContent?.includes('Connected to'),
    );
    // The same end user and account: the connection was updated, not duplicated.
    await expect(page.$$('#connections-table tr[data-provider="dropbox"]')).resolves.toHaveLength(1);
    await page.waitForSelector('#files li[data-path="/data"]');
  });

  it('reads well on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.waitForSelector('#files li');
    await h.shot(page, 'demo-phone');
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
        .map((e) => `${e.tagName}#${e.id}.${e.className}`),
    );
    expect(wide).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('reported no script errors or CSP violations', () => {
    expect(h.problems).toEqual([]);
  });
});
