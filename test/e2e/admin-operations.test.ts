import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../lib/webhooks/index.js';
import { startReceiver } from '../helpers/receiver.js';
import { type Harness, hasChromium, startHarness } from './harness.js';

/**
 * Operating a tenant from the admin console in a real Chromium: paging through 250 connections
 * with filters and search, each showing its health; the activity chart drawn from the tenant's
 * real stats; a failed webhook delivery retried; the tenant's settings edited, a key rotated and
 * an OAuth app set, each unlocked by typing the tenant's name; a favicon; no console errors.
 */
describe.skipIf(!hasChromium)('admin console: operations', () => {
  let h: Harness;
  let page: Page;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let receiverStatus = 500;
  let tenant: { id: string; apiKey: string };
  const name = 'Umbrella Ops';

  beforeAll(async () => {
    receiver = await startReceiver(() => receiverStatus);
    h = await startHarness();
    const created = await (
      await h.api('POST', '/v1/tenants', h.server.adminKey, { name, webhookUrl: receiver.url })
    ).json();
    tenant = { id: created.tenant.id, apiKey: created.apiKey };
    // 250 connections straight into the store (as 250 completed flows would leave them): ten
    // HubSpot ones of "ops-user-7", the rest spread over users and providers.
    const { connections } = h.server.services;
    for (let i = 0; i < 250; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) => {
          const n = i + j;
          return connections.saveGrant({
            tenantId: tenant.id,
            provider: n % 2 ? 'dropbox' : 'hubspot',
            endUserId: n < 20 ? 'ops-user-7' : `ops-user-${n}`,
            account: { id: `acct-${n}` },
            authScheme: 'oauth2',
            credentials: { accessToken: `at-${n}`, refreshToken: `rt-${n}` },
            scopes: [],
            expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
            actor: 'test',
          });
        }),
      );
    }
    page = await h.newPage();
    await page.goto(`${h.server.url}/admin`);
    await page.waitForSelector('#signin-submit:not([disabled])');
    await page.fill('#admin-key', h.server.adminKey);
    await page.click('#signin-submit');
    await page.waitForSelector(`#tenant-list button[data-tenant="${tenant.id}"]`);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  const rows = (table: string) =>
    page.evaluate((t) => document.querySelectorAll(`#${t} tbody tr`).length, table);

  it('pages through 250 connections, filters them and finds an end user', async () => {
    await page.click(`#tenant-list button[data-tenant="${tenant.id}"]`);
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 100);
    expect(await page.isVisible('#connections-more')).toBe(true);
    await page.click('#connections-more');
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 200);
    await page.click('#connections-more');
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 250);
    await page.waitForSelector('#connections-more', { state: 'hidden' });
    const ids = await page.evaluate(() =>
      [...document.querySelectorAll('#connections-table tbody tr td:nth-child(2)')].map(
        (td) => td.textContent,
      ),
    );
    expect(new Set(ids).size).toBe(231); // 20 rows of ops-user-7, 230 users of their own
    await h.shot(page, 'admin-ops-250');

    await page.selectOption('#filter-provider', 'dropbox');
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 100);
    const providers = await page.evaluate(() =>
      [...document.querySelectorAll('#connections-table tbody tr td:first-child')].map(
        (td) => td.textContent,
      ),
    );
    expect(new Set(providers)).toEqual(new Set(['dropbox']));
    await page.selectOption('#filter-provider', '');

    await page.fill('#filter-user', 'ops-user-7');
    await page.click('#filter-submit');
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 20);
    await page.selectOption('#filter-provider', 'hubspot');
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 10);
    await page.selectOption('#filter-status', 'needs_reauth');
    await page.waitForSelector('#connections-empty');
    await page.selectOption('#filter-status', '');
    await page.selectOption('#filter-provider', '');
    await page.fill('#filter-user', '');
    await page.click('#filter-submit');
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 100);
  });

  it('shows a broken connection with its last error', async () => {
    const page1 = await (await h.api('GET', '/v1/connections?endUserId=ops-user-42', tenant.apiKey)).json();
    const id = page1.connections[0].id as string;
    // Its refresh token is one the sandbox never issued: the refresh is refused, the grant is dead.
    const res = await h.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey);
    expect(res.status).toBe(409);
    await page.selectOption('#filter-status', 'needs_reauth');
    await page.waitForFunction(() => document.querySelectorAll('#connections-table tbody tr').length === 1);
    const row = await page.textContent('#connections-table tbody tr');
    expect(row).toContain('ops-user-42');
    expect(row).toContain('needs reauth');
    expect(row).toContain('needs_reauth');
    await page.selectOption('#filter-status', '');
  });

  it('draws the activity chart from the tenant’s real stats, 24 hours and 30 days', async () => {
    {
      // Real activity: a private-app connection read and used through the proxy.
      await fetch(`${h.server.url}/sandbox/_control/private-apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'pat-na1-consolechart1', hubId: 4242, scopes: ['hubdb'] }),
      });
      const conn = await (
        await h.api('POST', '/v1/connections', tenant.apiKey, {
          provider: 'hubspot',
          endUserId: 'chart-user',
          credentials: { type: 'private_app', token: 'pat-na1-consolechart1' },
        })
      ).json();
      for (let i = 0; i < 7; i++)
        await h.api('GET', `/v1/connections/${conn.id}/proxy/cms/hubdb/2026-03/tables`, tenant.apiKey);
    }
    const stats = await (await h.api('GET', `/v1/tenants/${tenant.id}/stats`, h.server.adminKey)).json();
    const total = (k: string) => stats.buckets.reduce((n: number, b: Record<string, number>) => n + b[k], 0);
    expect(total('dataCalls')).toBeGreaterThanOrEqual(7);
    expect(total('refreshFailures')).toBe(1);

    await page.click(`#tenant-list button[data-tenant="${tenant.id}"]`);
    // The chart drawn before this activity is replaced once the new stats arrive.
    await page.waitForFunction(
      (n) =>
        document.querySelector('#chart polyline[data-series="dataCalls"]')?.getAttribute('data-total') ===
        String(n),
      total('dataCalls'),
    );
    const drawn = async () =>
      page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll('#chart polyline')].map((p) => [
            p.getAttribute('data-series'),
            Number(p.getAttribute('data-total')),
          ]),
        ),
      );
    expect(await drawn()).toEqual({
      refreshes: total('refreshes'),
      refreshFailures: total('refreshFailures'),
      dataCalls: total('dataCalls'),
    });
    expect(await page.getAttribute('#chart svg', 'data-buckets')).toBe('25');
    expect(await page.getAttribute('#chart svg', 'aria-label')).toContain(`${total('dataCalls')} data calls`);
    await h.shot(page, 'admin-ops-chart');
    await page.click('#chart-month');
    await page.waitForSelector('#chart svg[data-bucket="day"]');
    expect(await page.getAttribute('#chart svg', 'data-buckets')).toBe('31');
    expect((await drawn()).dataCalls).toBe(total('dataCalls'));
    await expect(page.textContent('#connection-counts')).resolves.toContain('hubspot');
  });

  it('lists webhook deliveries and retries a failed one', async () => {
    const { services } = h.server;
    await (await services.outbox()).drain();
    // The day of retries is over (an outbox on a clock a day ahead): every pending one fails.
    await new Outbox({
      db: services.db,
      tenants: services.tenants,
      log: services.log,
      allowPrivate: true,
      now: () => Date.now() + 25 * 3_600_000,
    }).drain();
    receiverStatus = 204;
    await page.selectOption('#deliveries-status', 'failed');
    await page.waitForSelector('#deliveries-table [data-retry]');
    const failed = await rows('deliveries-table');
    expect(failed).toBeGreaterThan(0);
    const id = await page.getAttribute('#deliveries-table [data-retry]', 'data-retry');
    await page.click(`#deliveries-table [data-retry="${id}"]`);
    await page.waitForSelector('#deliveries-result:not([hidden])');
    await expect(page.textContent('#deliveries-result')).resolves.toContain(id!);
    // Queued again: no longer among the failed ones.
    await page.waitForFunction((d) => !document.querySelector(`#deliveries-table [data-retry="${d}"]`), id);
    await receiver.waitFor((r) => r.some((x) => x.headers['webhook-id'] === id));
    await page.selectOption('#deliveries-status', 'delivered');
    await page.waitForSelector(`#deliveries-table tbody tr:has-text("delivered")`);
    await h.shot(page, 'admin-ops-deliveries');
  });

  it('edits the tenant, rotates a key and sets an OAuth app, each unlocked by its name', async () => {
    await page.selectOption('#deliveries-status', '');
    await expect(page.isDisabled('#edit-submit')).resolves.toBe(true);
    await expect(page.isDisabled('#key-add')).resolves.toBe(true);
    await page.fill('#manage-confirm', 'umbrella ops');
    await expect(page.isDisabled('#edit-submit')).resolves.toBe(true);
    await page.fill('#manage-confirm', name);
    await expect(page.isEnabled('#edit-submit')).resolves.toBe(true);

    await page.fill('#edit-name', 'Umbrella Operations');
    await page.fill('#edit-return-urls', 'https://umbrella.example/back\nhttps://umbrella.example/other');
    await page.fill('#edit-webhook', '');
    await page.click('#edit-submit');
    await page.waitForSelector('#manage-result:not([hidden])');
    await page.waitForFunction(
      () => document.querySelector('#detail-title')?.textContent === 'Umbrella Operations',
    );
    const stored = await (await h.api('GET', `/v1/tenants/${tenant.id}`, h.server.adminKey)).json();
    expect(stored).toMatchObject({
      name: 'Umbrella Operations',
      returnUrls: ['https://umbrella.example/back', 'https://umbrella.example/other'],
    });
    expect(stored.webhookUrl).toBeUndefined();
    await page.waitForSelector('#tenant-list button:text("Umbrella Operations")');
    // A new name locks the changes again until it is typed.
    await expect(page.isDisabled('#key-add')).resolves.toBe(true);
    await page.fill('#manage-confirm', 'Umbrella Operations');

    // Rotate: add a key (shown once), then delete the old one.
    const before = (await (await h.api('GET', `/v1/tenants/${tenant.id}/api-keys`, h.server.adminKey)).json())
      .apiKeys;
    await page.click('#key-add');
    await page.waitForSelector('#key-created:not([hidden])');
    const newKey = (await page.textContent('#key-created-value')) ?? '';
    expect(newKey).toMatch(/^ptk_/);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#keys-table tbody tr').length === n + 1,
      before.length,
    );
    await page.click(`#keys-table [data-key="${before[0].id}"]`);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#keys-table tbody tr').length === n,
      before.length,
    );
    expect((await h.api('GET', '/v1/connections?limit=1', tenant.apiKey)).status).toBe(401);
    expect((await h.api('GET', '/v1/connections?limit=1', newKey)).status).toBe(200);
    await page.click('#key-created-dismiss');

    await page.selectOption('#app-provider', 'dropbox');
    await page.fill('#app-client-id', 'umbrella-dropbox-app');
    await page.fill('#app-client-secret', 'umbrella-dropbox-secret');
    await page.fill('#app-scopes', 'files.metadata.read account_info.read');
    await page.click('#app-submit');
    await page.waitForSelector('#apps-table [data-app="dropbox"]');
    await expect(page.textContent('#apps-table')).resolves.toContain('umbrella-dropbox-app');
    await expect(page.content()).resolves.not.toContain('umbrella-dropbox-secret');
    await expect(page.inputValue('#app-client-secret')).resolves.toBe('');
    await page.click('#apps-table [data-app="dropbox"]');
    await page.waitForSelector('#apps-table', { state: 'detached' });
    await h.shot(page, 'admin-ops-manage');
    const audit = await (
      await h.api('GET', `/v1/tenants/${tenant.id}/audit?limit=20`, h.server.adminKey)
    ).json();
    const actions = audit.events.map((e: { action: string }) => e.action);
    for (const a of [
      'tenant.updated',
      'api_key.created',
      'api_key.deleted',
      'app.dropbox.set',
      'app.dropbox.deleted',
    ])
      expect(actions).toContain(a);
  });

  it('has a favicon', async () => {
    const res = await page.request.get(`${h.server.url}/favicon.ico`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('image/svg+xml');
    expect(await page.getAttribute('link[rel="icon"]', 'href')).toBe('/favicon.svg');
  });

  it('reported no script errors or CSP violations, and no failed request but the API answers it shows', () => {
    expect(h.problems).toEqual([]);
  });
});
