import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connKey } from '../../lib/store/items.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Issue 14, item 5: a key deleted a moment ago must not run one more request that reaches a
 * provider, nor let a token out, before its 401 (the warm-key shortcut of lib/http/auth.ts).
 */
let s: Stack;
let tenant: { id: string; apiKey: string };
let connectionId: string;
beforeAll(async () => {
  s = await startStack({ env: { CONNECTION_CACHE_MS: '0' } });
  tenant = await s.tenant();
  const minted = s.sandbox.state.mint({ provider: 'hubspot', account: 'deleted-key' });
  const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
    provider: 'hubspot',
    endUserId: 'u1',
    credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
  });
  expect(res.status).toBe(201);
  connectionId = (await res.json()).id;
});
afterAll(async () => {
  await s?.close();
});

/** A second key of the tenant, seen once on a cheap read (so this process knows its tenant), then deleted. */
async function deletedKey(): Promise<string> {
  const added = await (await s.api('POST', `/v1/tenants/${tenant.id}/api-keys`, s.adminKey)).json();
  expect((await s.api('GET', `/v1/connections/${connectionId}`, added.apiKey)).status).toBe(200);
  expect((await s.api('DELETE', `/v1/tenants/${tenant.id}/api-keys/${added.id}`, s.adminKey)).status).toBe(
    204,
  );
  return added.apiKey;
}

describe('a just-deleted API key', () => {
  it.each([
    ['the token route, with a refresh due', `/token`],
    ['HubDB', '/hubdb/tables'],
    ['the proxy', '/proxy/cms/hubdb/2026-03/tables'],
  ])('reaches no provider through %s and gets no token', async (_name, suffix) => {
    // A refresh is due: `/token` would call the provider before answering.
    const { pk, sk } = connKey(tenant.id, connectionId);
    await s.portico.services.db.update(pk, sk, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const key = await deletedKey();
    const before = s.sandbox.state.stats().hubspot;
    const res = await s.api('GET', `/v1/connections/${connectionId}${suffix}`, key);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('accessToken');
    const after = s.sandbox.state.stats().hubspot;
    expect(after.dataRequests - before.dataRequests).toBe(0);
    expect(after.tokenRequests).toEqual(before.tokenRequests);
  });

  it('still gets a 401 on the store-only reads that start before the check', async () => {
    for (const path of [`/v1/connections/${connectionId}`, '/v1/connections', '/v1/audit']) {
      const key = await deletedKey();
      expect((await s.api('GET', path, key)).status, path).toBe(401);
    }
  });
});
