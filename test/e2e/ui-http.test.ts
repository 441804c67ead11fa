import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBrowserScript } from '../../lib/http/ui/build.js';
import { ADMIN_KEY, type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';

/**
 * The UI's routes over `app.request()`, as every deployment serves them (no local extras, no
 * browser): headers, caching, the admin-only connections route, and the opener policy.
 */
let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(closeEmbeddedDynamo);

describe('browser code', () => {
  it.each(['sdk', 'admin', 'demo'] as const)('the %s script is a valid ES module', async (name) => {
    const code = await bundleBrowserScript(name);
    await expect(transform(code, { loader: 'js', format: 'esm', target: 'es2020' })).resolves.toBeTruthy();
  });
});

describe('GET /sdk/connect.js and /sdk/connect.d.ts', () => {
  it('serves the module to any origin, with an ETag and its types', async () => {
    const res = await t.call('GET', '/sdk/connect.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag') ?? '';
    expect(await res.text()).toBe(await bundleBrowserScript('sdk'));

    const again = await t.call('GET', '/sdk/connect.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const pinned = await t.call('GET', `/sdk/connect.js?v=${etag.replaceAll('"', '')}`);
    expect(pinned.headers.get('cache-control')).toContain('immutable');

    const types = await t.call('GET', '/sdk/connect.d.ts');
    expect(types.status).toBe(200);
    expect(await types.text()).toContain('export declare class PorticoConnectError extends Error');
  });
});

describe('GET /admin', () => {
  it('is a page with a strict CSP and same-origin assets', async () => {
    const res = await t.call('GET', '/admin');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/);
    const [, script] = /<script type="module" src="([^"]+)"/.exec(html) ?? [];
    const [, css] = /<link rel="stylesheet" href="([^"]+)"/.exec(html) ?? [];
    expect((await t.call('GET', script)).headers.get('cache-control')).toContain('immutable');
    expect((await t.call('GET', css)).headers.get('content-type')).toContain('text/css');
  });
});

describe('GET /v1/tenants/:tenantId/connections (admin)', () => {
  it("lists a tenant's connections for the admin only", async () => {
    const tenant = await t.tenant({ name: 'Umbrella' });
    const res = await t.call('GET', `/v1/tenants/${tenant.id}/connections`, { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ connections: [] });

    expect((await t.call('GET', `/v1/tenants/${tenant.id}/connections`)).status).toBe(401);
    const asTenant = await t.call('GET', `/v1/tenants/${tenant.id}/connections`, { key: tenant.apiKey });
    expect(asTenant.status).toBe(403);
    expect((await asTenant.json()).code).toBe('forbidden');
    const unknown = await t.call('GET', '/v1/tenants/ten_0000000000000000/connections', { key: ADMIN_KEY });
    expect(unknown.status).toBe(404);
    const bad = await t.call('GET', `/v1/tenants/${tenant.id}/connections?limit=0`, { key: ADMIN_KEY });
    expect(bad.status).toBe(400);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await t.call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(doc.paths).toHaveProperty('/v1/tenants/{tenantId}/connections');
  });
});

describe('opener policy', () => {
  it('keeps window.opener through the connect pages and isolates the rest', async () => {
    const callback = await t.call('GET', '/oauth/callback?state=nope');
    expect(callback.headers.get('cross-origin-opener-policy')).toBeNull();
    const link = await t.call('GET', '/connect/cs_0000000000000000?t=x');
    expect(link.headers.get('cross-origin-opener-policy')).toBeNull();
    expect((await t.call('GET', '/admin')).headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect((await t.call('GET', '/healthz')).headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('leaves unknown paths to the API: no demo outside the local server', async () => {
    const root = await t.call('GET', '/');
    expect(root.status).toBe(404);
    expect(root.headers.get('content-type')).toContain('application/problem+json');
    expect((await t.call('GET', '/demo/app.js')).status).toBe(404);
  });
});
