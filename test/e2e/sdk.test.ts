import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, startHarness } from './harness.js';

interface Outcome {
  ok?: { connectionId: string };
  error?: { code: string; name: string; isConnectError: boolean; instance: boolean; message: string };
}

/** A page of "another SaaS product" on its own origin, loading the SDK from Portico's origin. */
function productPage(portico: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Other product</title></head><body>
<button id="direct">Connect (URL)</button><button id="deferred">Connect (function)</button>
<script type="module">
import { connect, isConnectError, PorticoConnectError } from '${portico}/sdk/connect.js';
window.outcomes = [];
window.run = (connectUrl) => connect({ connectUrl }).then(
  (ok) => window.outcomes.push({ ok }),
  (e) => window.outcomes.push({ error: { code: e.code, name: e.name, isConnectError: isConnectError(e), instance: e instanceof PorticoConnectError, message: e.message } }),
);
document.getElementById('direct').onclick = () => window.run(window.connectUrl);
document.getElementById('deferred').onclick = () => window.run(() =>
  fetch(window.sessionPath || '/session').then((r) => { if (!r.ok) throw new Error('backend said ' + r.status); return r.json(); }));
window.ready = true;
</script></body></html>`;
}

/**
 * The SDK from a different origin than Portico's (as a real SaaS front end uses it): the popup
 * keeps its opener through Portico's pages, only the popup's own Portico-origin messages count,
 * and every way out settles the promise with a coded error.
 */
describe.skipIf(!hasChromium)('browser SDK from another origin', () => {
  let h: Harness;
  let product: Server;
  let origin = '';
  let tenant: { id: string; apiKey: string };
  let page: Page;

  const session = async (): Promise<string> => {
    const res = await h.api('POST', '/v1/connect-sessions', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'sdk-user',
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { connectUrl: string }).connectUrl;
  };
  const outcomes = () => page.evaluate(() => (window as unknown as { outcomes: Outcome[] }).outcomes);
  const nextOutcome = async (count: number): Promise<Outcome> => {
    await page.waitForFunction(
      (n) => (window as unknown as { outcomes: unknown[] }).outcomes.length >= n,
      count,
    );
    return (await outcomes())[count - 1];
  };

  beforeAll(async () => {
    h = await startHarness();
    product = createServer(async (req, res) => {
      if (req.url === '/session') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ connectUrl: await session() }));
      } else if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(productPage(h.server.url));
      } else {
        res.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => product.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(product.address() as AddressInfo).port}`;
    const created = await h.api('POST', '/v1/tenants', h.server.adminKey, {
      name: 'Other product',
      returnUrls: [`${origin}/`],
    });
    const body = (await created.json()) as { tenant: { id: string }; apiKey: string };
    tenant = { id: body.tenant.id, apiKey: body.apiKey };
    page = await h.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  });
  afterAll(async () => {
    await h?.close();
    await new Promise<void>((resolve) => (product ? product.close(() => resolve()) : resolve()));
  });

  it('serves the SDK and its types to any origin', async () => {
    const js = await fetch(`${h.server.url}/sdk/connect.js`, { headers: { origin } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('access-control-allow-origin')).toBe('*');
    expect(js.headers.get('x-typescript-types')).toBe('/sdk/connect.d.ts');
    expect((await js.text()).length).toBeLessThan(10_000);
    const dts = await fetch(`${h.server.url}/sdk/connect.d.ts`);
    expect(dts.status).toBe(200);
    expect(await dts.text()).toContain('export declare function connect(options: ConnectOptions)');
  });

  it('connects from another origin, ignoring messages that do not come from its popup', async () => {
    const connectUrl = await session();
    await page.evaluate((u) => {
      (window as unknown as { connectUrl: string }).connectUrl = u;
    }, connectUrl);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#direct')]);
    await popup.waitForSelector('#approve');

    // Forgeries: from the product page itself, and from another Portico-origin window.
    const [other] = await Promise.all([
      page.waitForEvent('popup'),
      page.evaluate((u) => {
        window.open(`${u}/healthz`, 'other');
        window.postMessage({ type: 'portico:connected', connectionId: 'conn_forged_self' }, '*');
      }, h.server.url),
    ]);
    await other.waitForLoadState();
    await other.evaluate(() => {
      window.opener?.postMessage({ type: 'portico:connected', connectionId: 'conn_forged_other' }, '*');
    });
    await other.close();
    await page.waitForTimeout(300);
    expect(await outcomes()).toEqual([]);

    await Promise.all([popup.waitForEvent('close'), popup.click('#approve')]);
    const outcome = await nextOutcome(1);
    const list = await h.api('GET', '/v1/connections?endUserId=sdk-user', tenant.apiKey);
    const { connections } = (await list.json()) as { connections: Array<{ id: string }> };
    // Issue 14: the result also carries the flow's single-use code for the backend to confirm.
    expect(outcome).toEqual({
      ok: {
        connectionId: connections[0].id,
        connectCode: expect.any(String),
        connectSessionId: expect.any(String),
      },
    });
  });

  it('takes a function for connectUrl: the popup opens first and navigates when it arrives', async () => {
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#deferred')]);
    await popup.waitForSelector('#deny');
    await Promise.all([popup.waitForEvent('close'), popup.click('#deny')]);
    const outcome = await nextOutcome(2);
    expect(outcome.error).toMatchObject({
      code: 'access_denied',
      name: 'PorticoConnectError',
      isConnectError: true,
      instance: true,
    });
  });

  it('rejects with session_failed and closes the popup when the backend fails', async () => {
    await page.evaluate(() => {
      (window as unknown as { sessionPath: string }).sessionPath = '/broken';
    });
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#deferred')]);
    const outcome = await nextOutcome(3);
    expect(outcome.error?.code).toBe('session_failed');
    expect(outcome.error?.message).toContain('backend said 500');
    await expect.poll(() => popup.isClosed()).toBe(true);
  });

  it('rejects with popup_closed when the user closes the window', async () => {
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#direct')]);
    await popup.waitForLoadState();
    await popup.close();
    expect((await nextOutcome(4)).error?.code).toBe('popup_closed');
  });

  it('rejects with popup_blocked when the browser refuses the window', async () => {
    await page.evaluate(() => {
      window.open = () => null;
    });
    await page.click('#direct');
    expect((await nextOutcome(5)).error?.code).toBe('popup_blocked');
  });

  it('reported no script errors', () => {
    expect(h.problems).toEqual([]);
  });
});
