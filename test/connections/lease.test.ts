import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';

/** The refresh lease on a virtual clock: waiting on another process's lease costs no real time. */
let t: TestApp;
let now = Date.parse('2026-06-01T12:00:00Z');
let slept = 0;
const clock = {
  now: () => now,
  sleep: async (ms: number) => {
    slept += ms;
    now += ms;
  },
};

beforeAll(async () => {
  t = await testApp(undefined, { clock });
});
afterAll(closeEmbeddedDynamo);

async function expiredConnection(tenantId: string, endUserId: string): Promise<string> {
  const { connection } = await t.services.connections.saveGrant({
    tenantId,
    provider: 'hubspot',
    endUserId,
    account: { id: '4242' },
    authScheme: 'oauth2',
    credentials: { accessToken: 'old-access', refreshToken: 'a-refresh-token' },
    scopes: ['oauth'],
    expiresAt: new Date(now - 1000).toISOString(),
    actor: 'test',
  });
  return connection.id;
}

describe('refresh lease', () => {
  it("another process's live lease: callers look again until 10 s have passed, then answer 503 with the lease's time left", async () => {
    const res = await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'Lease Co' } });
    const { tenant, apiKey } = await res.json();
    const id = await expiredConnection(tenant.id, 'lease-user');
    await t.db.update(`TENANT#${tenant.id}`, `CONN#${id}`, {
      leaseOwner: 'another-process',
      leaseUntil: now + 30_000,
    });
    const started = now;
    slept = 0;
    const answer = await t.call('GET', `/v1/connections/${id}/token`, { key: apiKey });
    expect(answer.status).toBe(503);
    expect((await answer.json()).code).toBe('provider_unavailable');
    // Virtual time: the deadline is 10 s of the clock, never a real 10 s wait.
    expect(now - started).toBeGreaterThan(10_000);
    expect(now - started).toBeLessThan(10_500);
    expect(slept).toBeCloseTo(now - started, 3);
    // The lease had about 20 s left when the caller gave up.
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
    expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    // Nothing was taken over: the other process still holds the lease.
    const stored = await t.services.connections.getItem(tenant.id, id);
    expect(stored.leaseOwner).toBe('another-process');
  });
});
