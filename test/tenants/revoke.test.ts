import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

async function importGrants(apiKey: string, n: number, provider: 'hubspot' | 'dropbox', prefix: string) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const minted = s.sandbox.state.mint({ provider, account: `${prefix}-${i}` });
    const res = await s.api('POST', '/v1/connections', apiKey, {
      provider,
      endUserId: `${prefix}-${i}`,
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    expect(res.status).toBe(201);
    ids.push((await res.json()).id);
  }
  return ids;
}

async function scanTenant(tenantId: string) {
  const db = s.portico.services.db;
  const out = await db.client.send(new ScanCommand({ TableName: db.tableName }));
  return (out.Items ?? []).map((i) => unmarshall(i)).filter((i) => JSON.stringify(i).includes(tenantId));
}

describe('revoking a tenant', () => {
  it('kills keys, revokes every grant at the provider, shreds and deletes everything, idempotently', async () => {
    const t = await s.tenant();
    await importGrants(t.apiKey, 3, 'hubspot', 'rv-h');
    await importGrants(t.apiKey, 2, 'dropbox', 'rv-d');
    const before = s.sandbox.state.stats();

    const res = await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer).toEqual({ tenantId: t.id, status: 'revoked', connections: { revoked: 5, failed: 0 } });

    const after = s.sandbox.state.stats();
    expect(after.hubspot.revokes - before.hubspot.revokes).toBe(3);
    expect(after.dropbox.revokes - before.dropbox.revokes).toBe(2);
    expect((await s.api('GET', '/v1/connections', t.apiKey)).status).toBe(401);

    const left = await scanTenant(t.id);
    const inPartition = left.filter((i) => i.pk === `TENANT#${t.id}`);
    expect(inPartition.map((i) => i.sk)).toEqual(['META']);
    expect(inPartition[0].wrappedKey).toBeUndefined();
    expect(inPartition[0].status).toBe('revoked');
    // Nothing sealed under the tenant is left anywhere (only the audit trail and outbox mention it).
    expect(left.filter((i) => 'credentials' in i || 'clientSecret' in i)).toEqual([]);
    expect(
      left.every(
        (i) =>
          i.pk === `TENANT#${t.id}` || String(i.pk).startsWith('AUDIT#') || String(i.pk).startsWith('OUTBOX'),
      ),
    ).toBe(true);

    const again = await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
    expect(await again.json()).toEqual(answer);
    expect(s.sandbox.state.stats().hubspot.revokes).toBe(after.hubspot.revokes);
    const got = await (await s.api('GET', `/v1/tenants/${t.id}`, s.adminKey)).json();
    expect(got.status).toBe('revoked');
    const audit = await (await s.api('GET', `/v1/tenants/${t.id}/audit`, s.adminKey)).json();
    expect(audit.events[0].action).toBe('tenant.revoked');
    expect((await s.api('POST', `/v1/tenants/${t.id}/api-keys`, s.adminKey)).status).toBe(409);
  });

  it('counts a provider that fails to revoke, and still leaves nothing decryptable', async () => {
    const t = await s.tenant();
    await importGrants(t.apiKey, 2, 'hubspot', 'rf-h');
    await importGrants(t.apiKey, 1, 'dropbox', 'rf-d');
    s.sandbox.state.addFault({
      provider: 'hubspot',
      match: '/oauth/2026-03/token/revoke',
      status: 500,
      count: 0,
    });
    try {
      const res = await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
      expect(res.status).toBe(200);
      expect((await res.json()).connections).toEqual({ revoked: 1, failed: 2 });
    } finally {
      s.sandbox.state.clearFaults('hubspot');
    }
    const left = await scanTenant(t.id);
    expect(left.filter((i) => 'credentials' in i || 'wrappedKey' in i)).toEqual([]);
  }, 60_000);

  it('counts a grant the provider already forgot as revoked', async () => {
    const t = await s.tenant();
    const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'forgot' });
    await s.api('POST', '/v1/connections', t.apiKey, {
      provider: 'dropbox',
      endUserId: 'forgot',
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    s.sandbox.state.revokeGrants('dropbox');
    const res = await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
    expect((await res.json()).connections).toEqual({ revoked: 1, failed: 0 });
  });

  it("refuses a revoked tenant's pending connect links", async () => {
    const t = await s.tenant();
    const cs = await (
      await s.api('POST', '/v1/connect-sessions', t.apiKey, { provider: 'hubspot', endUserId: 'late' })
    ).json();
    await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
    const res = await fetch(cs.connectUrl, { redirect: 'manual' });
    expect(res.status).toBe(410);
    expect(res.headers.get('location')).toBeNull();
  });

  it('answers 404 for unknown tenants', async () => {
    expect((await s.api('DELETE', '/v1/tenants/ten_0000000000000000', s.adminKey)).status).toBe(404);
  });
});
