import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Issue 14, item 5: proxied answers and downloads carry one tenant's data under its key; no
 * shared cache may keep them, whatever caching headers the provider (or its CDN) sends.
 */
let s: Stack;
let tenant: { id: string; apiKey: string };
let hub: string;
let drop: string;
beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant();
  const imported = async (provider: 'hubspot' | 'dropbox') => {
    const minted = s.sandbox.state.mint({ provider, account: `cache-${provider}` });
    const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider,
      endUserId: 'cache',
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    return ((await res.json()) as { id: string }).id;
  };
  hub = await imported('hubspot');
  drop = await imported('dropbox');
});
afterAll(async () => {
  await s?.close();
});

const providerCaching = {
  'cache-control': 'public, max-age=86400',
  expires: 'Wed, 21 Oct 2099 07:28:00 GMT',
  age: '12',
  pragma: 'cache',
  'surrogate-control': 'max-age=86400',
  'cdn-cache-control': 'max-age=86400',
};

function expectNoStore(res: Response) {
  expect(res.headers.get('cache-control')).toBe('no-store');
  for (const name of ['expires', 'age', 'pragma', 'surrogate-control', 'cdn-cache-control']) {
    expect(res.headers.get(name), name).toBeNull();
  }
}

describe('caching of provider data', () => {
  it('the proxy answers no-store and drops the provider caching headers', async () => {
    for (const [provider, id, path] of [
      ['hubspot', hub, 'cms/hubdb/2026-03/tables'],
      ['dropbox', drop, '2/users/get_current_account'],
    ] as const) {
      s.sandbox.state.addFault({ provider, headers: providerCaching, count: 1 });
      const method = provider === 'dropbox' ? 'POST' : 'GET';
      const res = await s.api(method, `/v1/connections/${id}/proxy/${path}`, tenant.apiKey);
      expect(res.status, provider).toBe(200);
      expectNoStore(res);
      await res.arrayBuffer();
    }
  });

  it('a Dropbox download answers no-store', async () => {
    s.sandbox.state.addFault({ provider: 'dropbox', match: '/2/files/download', headers: providerCaching });
    const res = await s.api(
      'GET',
      `/v1/connections/${drop}/dropbox/content?path=/data/not-avro.avro`,
      tenant.apiKey,
    );
    expect(res.status).toBe(200);
    expectNoStore(res);
    await res.arrayBuffer();
  });
});
