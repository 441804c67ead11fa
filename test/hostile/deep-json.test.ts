import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';

/** Issue 14, item 5: JSON nested thousands deep is the client's mistake: 400, never a 500. */
let s: Stack;
let tenant: { id: string; apiKey: string };
let hub: string;
beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant();
  const minted = s.sandbox.state.mint({ provider: 'hubspot', account: 'deep-json' });
  const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
    provider: 'hubspot',
    endUserId: 'deep',
    credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
  });
  hub = ((await res.json()) as { id: string }).id;
});
afterAll(async () => {
  await s?.close();
});

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;
const send = (method: string, path: string, body: string, key = tenant.apiKey) =>
  fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });

describe('deeply nested JSON', () => {
  it('in a HubDB row write answers 400 invalid_request before any provider call', async () => {
    const rows = `/v1/connections/${hub}/hubdb/tables/products/rows`;
    const before = s.sandbox.state.stats().hubspot.dataRequests;
    for (const body of [
      `{"values":{"name":${nested(5000)}}}`,
      `{"values":{"name":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`,
    ]) {
      for (const method of ['POST', 'PATCH']) {
        const res = await send(method, method === 'POST' ? rows : `${rows}/1`, body);
        expect(res.status, method).toBe(400);
        const problem = await res.json();
        expect(problem.code).toBe('invalid_request');
        expect(problem.detail).toMatch(/deeper than 64/);
      }
    }
    expect(s.sandbox.state.stats().hubspot.dataRequests).toBe(before);
  });

  it('anywhere else answers 400 too; brackets inside strings do not count', async () => {
    const res = await send('POST', '/v1/tenants', `{"name":${nested(5000)}}`, s.adminKey);
    expect(res.status).toBe(400);
    const fine = await send('POST', '/v1/tenants', JSON.stringify({ name: '['.repeat(5000) }), s.adminKey);
    expect(fine.status).toBe(400); // too long a name, but refused by its schema, not by depth
    expect((await fine.json()).detail).not.toMatch(/deeper/);
    const ok = await send(
      'POST',
      `/v1/connections/${hub}/hubdb/tables/products/rows`,
      JSON.stringify({ values: { name: 'Nested', tags: [[[['fine']]]] } }),
    );
    expect(ok.status).toBeLessThan(500);
  });
});
