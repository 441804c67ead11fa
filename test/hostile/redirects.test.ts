import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAllowedReturnUrl } from '../../lib/oauth/index.js';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Open redirects: a returnUrl is accepted only when it is truly under one of the tenant's
 * returnUrls (same origin, path prefix), whatever tricks the string plays; and where an accepted
 * one sends the browser, checked at the end of a real flow.
 */
let s: Stack;
let tenant: { id: string; apiKey: string };
const allowed = ['https://app.acme.test/integrations', 'http://localhost:3000/'];

beforeAll(async () => {
  // Property runs send hundreds of requests a second with one key: the per-key rate limit
  // (tested in test/http/rate-limit.test.ts) is lifted here, so a 429 is never what they see.
  s = await startStack({ env: { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' } });
  tenant = await s.tenant({ returnUrls: allowed });
});
afterAll(async () => {
  await s?.close();
});

/** Where a browser really goes for this URL: under an allowed returnUrl, or not. */
function trulyUnder(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  return allowed.some((a) => {
    const base = new URL(a);
    if (u.protocol !== base.protocol || u.host !== base.host) return false;
    if (base.pathname === '/') return true;
    return u.pathname === base.pathname || u.pathname.startsWith(`${base.pathname}/`);
  });
}

const scheme = fc.constantFrom(
  'https:',
  'HTTPS:',
  'hTTps:',
  'http:',
  'javascript:',
  'data:',
  'ftp:',
  ' https:',
  'https',
);
const slashes = fc.constantFrom('//', '\\\\', '/\\', '\\/', '///', '', '/', '\t//', '/%2f');
const userinfo = fc.constantFrom(
  '',
  '',
  'user@',
  'app.acme.test@',
  'user:pass@',
  ':@',
  'app.acme.test%40',
  '@',
);
const host = fc.constantFrom(
  'app.acme.test',
  'app.acme.test',
  'APP.ACME.TEST',
  'app.acme.test.',
  'app.acme.test.evil.com',
  'evil.com',
  'app。acme。test',
  'app.acme．test',
  'app.acme.test%2eevil.com',
  'app%2eacme%2etest',
  'app.acme.test\\.evil.com',
  'app.acme.tes',
  'localhost',
  'LOCALHOST',
  '127.0.0.1',
  '[::1]',
  '0x7f.1',
  'evil.com#app.acme.test',
  'evil.com?app.acme.test',
  'evil.com\\@app.acme.test',
  'app.acme.test%00.evil.com',
  'xn--pp-acme-test.evil',
);
const port = fc.constantFrom(
  '',
  '',
  ':443',
  ':8443',
  ':80',
  ':3000',
  ':3001',
  ':0',
  ':65536',
  ':443@evil.com',
);
const path = fc.constantFrom(
  '/integrations',
  '/integrations/',
  '/integrations/done?x=1',
  '/integrationsx',
  '/Integrations',
  '/integrations/../admin',
  '/integrations/%2e%2e/admin',
  '/integrations/%2E%2E/%2e%2e/admin',
  '/integrations%2f..%2fadmin',
  '/integrations/..%2fadmin',
  '/integrations\\..\\admin',
  '//evil.com',
  '/\\evil.com',
  '',
  '/',
  '/integrations?next=//evil.com',
  '/integrations#@evil.com',
  '/integrations/%0d%0aSet-Cookie:x=1',
  '/integrations/\u2024\u2024/admin',
  '/integrations/%252e%252e/admin',
);
const whole = fc.constantFrom(
  '//evil.com/integrations',
  '/integrations',
  'javascript:alert(1)//app.acme.test/integrations',
  'https:app.acme.test/integrations',
  'https:/app.acme.test/integrations',
  'https://app.acme.test/integrations\u0000',
  'https://app.acme.test/integrations\r\nLocation: https://evil.com',
  'HTTPS://APP.ACME.TEST:443/integrations/x',
  'http://localhost:3000',
  'http://localhost:3000@evil.com/',
  'http://evil.com\\@localhost:3000/',
  'http://localhost:3000\\@evil.com/',
);
const trickyUrl = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(scheme, slashes, userinfo, host, port, path).map((p) => p.join('')) },
  { weight: 1, arbitrary: whole },
);

async function createSession(returnUrl: string) {
  return s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
    provider: 'hubspot',
    endUserId: 'redirects',
    returnUrl,
  });
}

describe('returnUrl', () => {
  it('is accepted only when truly under an allowed returnUrl', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(trickyUrl, async (url) => {
        const res = await createSession(url);
        expect(res.status, url).toBeLessThan(500);
        if (res.status === 201) {
          accepted++;
          expect(trulyUnder(url), `accepted ${JSON.stringify(url)}`).toBe(true);
        } else {
          expect(res.status, url).toBe(400);
          expect(((await res.json()) as { code: string }).code).toBe('invalid_request');
        }
        // The check itself agrees, for strings the schema lets through too.
        if (isAllowedReturnUrl(url, allowed)) expect(trulyUnder(url), url).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(5);
  }, 60_000);

  it('truly allowed ones are accepted (no false refusals)', async () => {
    for (const url of [
      'https://app.acme.test/integrations',
      'https://app.acme.test/integrations/done?x=1#y',
      'HTTPS://APP.ACME.TEST:443/integrations/x',
      'http://localhost:3000/anything',
      'http://LOCALHOST:3000',
    ]) {
      expect((await createSession(url)).status, url).toBe(201);
    }
  });

  it('where an accepted one really sends the browser: under the allowed returnUrl', async () => {
    const candidates = fc
      .sample(trickyUrl, { numRuns: 300, seed: 42 })
      .filter((u) => isAllowedReturnUrl(u, allowed));
    const sample = [...new Set(candidates)].slice(0, 8);
    expect(sample.length).toBeGreaterThan(2);
    for (const url of sample) {
      const res = await createSession(url);
      expect(res.status, url).toBe(201);
      const { connectUrl } = (await res.json()) as { connectUrl: string };
      const { callback } = await walkConnect(new TestBrowser(), connectUrl, { account: 'redirects' });
      expect(callback.status).toBe(302);
      const landed = locationOf(callback);
      expect(trulyUnder(landed), `${url} -> ${landed}`).toBe(true);
      expect(new URL(landed).searchParams.get('status')).toBe('connected');
    }
  }, 60_000);
});
