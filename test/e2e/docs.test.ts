import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, startHarness } from './harness.js';

/**
 * `/docs` in a real Chromium: Scalar's reference of the OpenAPI document, served from this service
 * under its CSP (no request leaves the origin), with navigation, search, schemas and each
 * operation's curl and SDK samples, readable at phone width.
 */
describe.skipIf(!hasChromium)('API reference in a browser', () => {
  let h: Harness;
  let page: Page;
  const elsewhere: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    page = await h.newPage();
    page.on('request', (r) => {
      if (!r.url().startsWith(h.server.url) && !r.url().startsWith('data:')) elsewhere.push(r.url());
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('serves the page with its CSP: scripts only from here, inline style only for this page', async () => {
    const res = await page.goto(`${h.server.url}/docs`);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp.match(/unsafe-inline/g)).toHaveLength(1);
    expect(csp).not.toContain('unsafe-eval');
    const admin = await fetch(`${h.server.url}/admin`);
    expect(admin.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('renders every tag and the operations, with curl and SDK samples', async () => {
    await page.waitForSelector('text=Portico API', { timeout: 30_000 });
    const text = await page.evaluate(() => document.body.textContent ?? '');
    for (const tag of ['Connections', 'HubDB', 'Dropbox', 'Admin', 'Webhooks', 'Models'])
      expect(text).toContain(tag);
    // A link straight to one operation (the sidebar's own anchors).
    const direct = await h.newPage();
    await direct.goto(`${h.server.url}/docs#tag/connections/GET/v1/connections`);
    const operation = direct.locator('[id$="/tag/connections/GET/v1/connections"]');
    await operation.getByText('curl "$PORTICO_URL/v1/connections"').first().waitFor({ timeout: 30_000 });
    // The samples' picker shows curl first; the SDK's snippet is the other choice.
    await operation.getByRole('button', { name: /curl/ }).first().click();
    await direct.getByRole('option', { name: '@portico/node' }).first().click();
    await operation.getByText('portico.connections.list').first().waitFor({ timeout: 10_000 });
    await h.shot(direct, 'docs-operation', false);
    await direct.close();
  });

  it('finds an operation through search', async () => {
    await page.keyboard.press('Control+k');
    const input = page.locator('input[type="search"], [role="dialog"] input').first();
    await input.waitFor({ timeout: 10_000 });
    await input.fill('HubDB rows');
    await page.waitForSelector('[role="dialog"] >> text=List rows', { timeout: 10_000 });
    await page.keyboard.press('Escape');
  });

  it('has no console errors, fetches nothing elsewhere, and does not scroll sideways at 390 px', async () => {
    const phone = await h.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${h.server.url}/docs`);
    await phone.waitForSelector('text=Portico API', { timeout: 30_000 });
    await phone.waitForTimeout(500);
    const [scrollWidth, clientWidth] = await phone.evaluate(() => [
      document.documentElement.scrollWidth,
      document.documentElement.clientWidth,
    ]);
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    await h.shot(phone, 'docs-phone', false);
    expect(h.problems).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
