import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { afterAll, describe, expect, it } from 'vitest';
import { pageCsp, sandboxPageCsp, securityHeaders } from '../../../lib/http/security.js';
import { testApp } from '../../helpers/app.js';
import { closeEmbeddedDynamo } from '../../helpers/dynamo.js';

/**
 * The security headers come from one definition (lib/http/security.ts) for the API's routes and
 * the UI's own (mounted before the app's middleware): both answer the same, for either scheme.
 */
afterAll(closeEmbeddedDynamo);

const shared = [
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'x-xss-protection',
  'cross-origin-embedder-policy',
] as const;

async function headersOf(publicUrl: string, paths: string[]) {
  const t = await testApp({ PUBLIC_URL: publicUrl });
  return Promise.all(paths.map(async (path) => (await t.call('GET', path)).headers));
}

describe('security headers', () => {
  it('are the same on the UI routes and the API routes, with HSTS only over https', async () => {
    for (const [publicUrl, hsts] of [
      ['https://portico.example.com', 'max-age=31536000'],
      ['http://localhost:3000', null],
    ] as const) {
      const [api, sdk, admin] = await headersOf(publicUrl, ['/healthz', '/sdk/connect.js', '/admin']);
      expect(api.get('strict-transport-security')).toBe(hsts);
      expect(api.get('x-content-type-options')).toBe('nosniff');
      for (const ui of [sdk, admin]) for (const name of shared) expect(ui.get(name)).toBe(api.get(name));
    }
  });

  it("are exactly the headers Hono's secureHeaders sets with the same options", async () => {
    const headersWith = async (middleware: MiddlewareHandler) => {
      const app = new Hono();
      app.use('*', middleware);
      app.get('/', (c) => {
        c.header('x-powered-by', 'something');
        c.header('x-frame-options', 'ALLOWALL');
        return c.text('ok');
      });
      return Object.fromEntries((await app.request('/')).headers);
    };
    for (const publicUrl of ['https://portico.example.com', 'http://localhost:3000']) {
      const hono = secureHeaders({
        strictTransportSecurity: publicUrl.startsWith('https:') ? 'max-age=31536000' : false,
        crossOriginResourcePolicy: false,
      });
      const ours = await headersWith(securityHeaders(publicUrl));
      expect(ours).toEqual(await headersWith(hono));
      expect(ours['x-frame-options']).toBe('SAMEORIGIN');
      expect(ours['x-powered-by']).toBeUndefined();
    }
  });

  it('leave Cross-Origin-Resource-Policy to the routes: the SDK loads from any origin', async () => {
    const [api, sdk] = await headersOf('https://portico.example.com', ['/healthz', '/sdk/connect.js']);
    expect(api.get('cross-origin-resource-policy')).toBeNull();
    expect(sdk.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('give the UI pages their strict page CSP', async () => {
    const [admin] = await headersOf('http://localhost:3000', ['/admin']);
    expect(admin.get('content-security-policy')).toBe(pageCsp);
    expect(pageCsp).not.toContain('unsafe');
    // The sandbox's consent pages run no script at all.
    expect(sandboxPageCsp).not.toContain('script-src');
  });
});
