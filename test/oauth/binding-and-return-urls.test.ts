import { describe, expect, it } from 'vitest';
import { isAllowedReturnUrl } from '../../lib/oauth/return-urls.js';
import { testApp } from '../helpers/app.js';

/** Issue 14, item 5: encoded separators in a returnUrl, and the binding cookie's prefix under https. */
describe('returnUrl', () => {
  const allowed = ['https://acme.test/back'];

  it('refuses encoded slashes, backslashes and dots in its path', () => {
    for (const url of [
      'https://acme.test/back/..%2f..%2fadmin',
      'https://acme.test/back/%2F%2Fevil.test',
      'https://acme.test/back/..%5cadmin',
      'https://acme.test/back/%2e%2e/admin',
      'https://acme.test/back/%2E%2E%2Fadmin',
    ]) {
      expect(isAllowedReturnUrl(url, allowed), url).toBe(false);
    }
    expect(isAllowedReturnUrl('https://acme.test/back/done?next=%2fhome', allowed)).toBe(true);
    expect(isAllowedReturnUrl('https://acme.test/back/caf%C3%A9', allowed)).toBe(true);
  });

  it('is refused with 400 invalid_request when a session is created with one', async () => {
    const t = await testApp({ HUBSPOT_CLIENT_ID: 'app', HUBSPOT_CLIENT_SECRET: 'app-secret' });
    const { apiKey } = await t.tenant({ returnUrls: allowed });
    const res = await t.call('POST', '/v1/connect-sessions', {
      key: apiKey,
      body: { provider: 'hubspot', endUserId: 'u', returnUrl: 'https://acme.test/back/..%2f..%2fadmin' },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('invalid_request');
  });
});

describe('the binding cookie', () => {
  async function openLink(publicUrl: string) {
    const t = await testApp({
      PUBLIC_URL: publicUrl,
      HUBSPOT_CLIENT_ID: 'app',
      HUBSPOT_CLIENT_SECRET: 'app-secret',
    });
    const { apiKey } = await t.tenant();
    const { connectUrl } = await (
      await t.call('POST', '/v1/connect-sessions', {
        key: apiKey,
        body: { provider: 'hubspot', endUserId: 'u' },
      })
    ).json();
    const u = new URL(connectUrl);
    const res = await t.app.request(`${u.pathname}${u.search}`);
    expect(res.status).toBe(302);
    const setCookie = res.headers.get('set-cookie') ?? '';
    const [pair = ''] = setCookie.split(';');
    const [name = '', value = ''] = pair.split('=');
    const state = new URL(res.headers.get('location') ?? '').searchParams.get('state') ?? '';
    return { t, setCookie, name, value, state };
  }

  it('carries the __Secure- prefix and Secure under https, and only that name is read back', async () => {
    const { t, setCookie, name, value, state } = await openLink('https://portico.example');
    expect(name).toMatch(/^__Secure-portico_cs_cs_/);
    expect(setCookie).toMatch(/; Secure/i);
    const callback = (cookie: string) =>
      t.app.request(`/oauth/callback?error=access_denied&state=${encodeURIComponent(state)}`, {
        headers: { cookie },
      });
    // The same value planted without the prefix (as a plain-http answer could) binds nothing.
    const planted = await callback(`${name.replace('__Secure-', '')}=${value}`);
    expect(planted.status).toBe(400);
    expect(await planted.text()).toContain('started in another browser');
    // The real cookie binds: the flow goes on (to the user's refusal).
    const real = await callback(`${name}=${value}`);
    expect(await real.text()).not.toContain('started in another browser');
  });

  it('has no prefix over plain http (local mode)', async () => {
    const { name, setCookie } = await openLink('http://localhost:8787');
    expect(name).toMatch(/^portico_cs_cs_/);
    expect(setCookie).not.toMatch(/; Secure/i);
  });
});
