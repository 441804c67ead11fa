import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { Db } from '../../lib/store/db.js';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type PorticoProcess, startPorticoProcess } from '../helpers/processes.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';
import { RETURN_URL } from './flow.js';

/** Real processes killed mid-work (SIGKILL), on a shared embedded DynamoDB and sandbox. */
let dynamo: EmbeddedDynamo;
let sandbox: Sandbox;
const adminKey = `pak_${randomBytes(24).toString('base64url')}`;
const masterKey = randomBytes(32).toString('base64');
const procs: PorticoProcess[] = [];
const env = () => ({
  ...sandboxEnv(sandbox.url),
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  TABLE_NAME: 'portico-crash',
  LOCAL_MASTER_KEY: masterKey,
  ADMIN_API_KEY: adminKey,
  REFRESH_LEASE_MS: '1500',
  KEY_CACHE_MS: '2000',
});
const start = async (extra: Record<string, string> = {}) => {
  const p = await startPorticoProcess({ ...env(), ...extra });
  procs.push(p);
  return p;
};
const call = (url: string, method: string, path: string, key: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function tenantWithGrants(url: string, n: number, prefix: string) {
  const created = await (await call(url, 'POST', '/v1/tenants', adminKey, { name: prefix })).json();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const minted = sandbox.state.mint({ provider: 'hubspot', account: `${prefix}-${i}` });
    const res = await call(url, 'POST', '/v1/connections', created.apiKey, {
      provider: 'hubspot',
      endUserId: `${prefix}-${i}`,
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    ids.push((await res.json()).id);
  }
  return { tenantId: created.tenant.id as string, apiKey: created.apiKey as string, ids };
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  sandbox = await startSandbox();
}, 60_000);
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await sandbox?.close();
  await dynamo?.close();
});

describe('crashes', () => {
  it('a revocation worker killed mid-batch (kill -9): the next one continues from the stored cursor, each grant once', async () => {
    const a = await start();
    const t = await tenantWithGrants(a.url, 40, 'crash-rv');
    const grants = () =>
      [...sandbox.state.hubspot.grants.values()].filter((g) => g.account.includes('crash-rv'));
    expect(grants().filter((g) => !g.revoked)).toHaveLength(40);
    // Slow provider revocations, so the kill lands while a page is in flight.
    sandbox.state.addFault({
      provider: 'hubspot',
      match: '/oauth/2026-03/token/revoke',
      delayMs: 3000,
      count: 0,
    });
    const db = new Db({ tableName: 'portico-crash', endpoint: dynamo.endpoint });
    try {
      const first = await call(a.url, 'DELETE', `/v1/tenants/${t.tenantId}`, adminKey);
      expect(first.status).toBe(202);
      const progress = (await first.json()).revocation;
      expect(progress.total).toBe(40);
      expect(progress.revoked).toBeGreaterThan(0);
      expect(progress.revoked).toBeLessThan(40);
      // A's own worker goes on; kill it while it holds the job with revocations in flight.
      let job = await db.get(`TENANT#${t.tenantId}`, 'REVOCATION');
      // The worker loop looks every second; on a loaded machine, give it a while.
      for (let i = 0; i < 800 && !job?.leaseOwner; i++) {
        await new Promise((r) => setTimeout(r, 25));
        job = await db.get(`TENANT#${t.tenantId}`, 'REVOCATION');
      }
      expect(job?.leaseOwner).toBeDefined();
      await new Promise((r) => setTimeout(r, 1000));
      await a.stop('SIGKILL');
      sandbox.state.clearFaults('hubspot');
      job = await db.get(`TENANT#${t.tenantId}`, 'REVOCATION');
      expect(Number(job?.revoked)).toBeLessThan(40);

      // B's in-process worker takes the job over once A's lease expires, and finishes it.
      const b = await start();
      let answer: { status: string; connections?: { revoked: number; failed: number } } = { status: '' };
      for (let i = 0; i < 240 && answer.status !== 'revoked'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        answer = await (await call(b.url, 'GET', `/v1/tenants/${t.tenantId}`, adminKey)).json();
      }
      expect(answer.status).toBe('revoked');
      const again = await (await call(b.url, 'DELETE', `/v1/tenants/${t.tenantId}`, adminKey)).json();
      expect(again).toEqual({
        tenantId: t.tenantId,
        status: 'revoked',
        connections: { revoked: 40, failed: 0 },
      });
      expect(grants().filter((g) => !g.revoked)).toEqual([]);
      expect((await call(b.url, 'GET', '/v1/connections', t.apiKey)).status).toBe(401);
      // The last round, then the key is destroyed.
      let done = await db.get(`TENANT#${t.tenantId}`, 'REVOCATION');
      for (let i = 0; i < 200 && done?.status !== 'done'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        done = await db.get(`TENANT#${t.tenantId}`, 'REVOCATION');
      }
      expect(done).toMatchObject({ status: 'done', revoked: 40, failed: 0, total: 40 });
      expect(done?.wrappedKey).toBeUndefined();
      const items = (await db.client.send(new ScanCommand({ TableName: db.tableName }))).Items ?? [];
      const left = items.map((i) => unmarshall(i)).filter((i) => i.pk === `TENANT#${t.tenantId}`);
      expect(left.map((i) => i.sk).sort()).toEqual(['META', 'REVOCATION']);
      expect(left.some((i) => 'wrappedKey' in i)).toBe(false);
    } finally {
      sandbox.state.clearFaults('hubspot');
      db.client.destroy();
    }
  }, 120_000);

  it('a callback finishing in one process while another revokes the tenant stores nothing, and its grant is revoked', async () => {
    // Keys stay cached for a minute: A can still seal when its exchange comes back.
    const a = await start({ KEY_CACHE_MS: '60000' });
    const b = await start({ KEY_CACHE_MS: '60000' });
    const created = await (
      await call(a.url, 'POST', '/v1/tenants', adminKey, { name: 'race', returnUrls: [RETURN_URL] })
    ).json();
    const tenantId = created.tenant.id as string;
    const session = await (
      await call(a.url, 'POST', '/v1/connect-sessions', created.apiKey, {
        provider: 'hubspot',
        endUserId: 'racer',
        returnUrl: RETURN_URL,
      })
    ).json();
    // The code exchange hangs at the provider: the callback in A has passed its tenant check.
    sandbox.state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', delayMs: 2500, count: 1 });
    const revokesBefore = sandbox.state.stats().hubspot.revokes;
    const flow = walkConnect(new TestBrowser(), session.connectUrl, { account: 'race-account' });
    for (let i = 0; i < 200 && sandbox.state.listFaults().length; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(sandbox.state.listFaults()).toEqual([]);

    const revoked = await call(b.url, 'DELETE', `/v1/tenants/${tenantId}`, adminKey);
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ connections: { revoked: 0, failed: 0 } });

    const { callback } = await flow;
    const back = new URL(locationOf(callback));
    expect(back.searchParams.get('status')).toBe('error');
    // At once, not at the job's last round: the writer looked again after its write.
    const db = new Db({ tableName: 'portico-crash', endpoint: dynamo.endpoint });
    try {
      const stored = await db.query({ pk: `TENANT#${tenantId}`, skPrefix: 'CONN#' });
      expect(stored.items).toEqual([]);
      const grant = [...sandbox.state.hubspot.grants.values()].find((g) =>
        g.account.includes('race-account'),
      );
      expect(grant?.revoked).toBe(true);
      expect(sandbox.state.stats().hubspot.revokes - revokesBefore).toBe(1);
    } finally {
      db.client.destroy();
    }
  }, 90_000);

  it('a process killed while holding a refresh lease: another refreshes after the lease expires', async () => {
    const a = procs.find((p) => p.child.exitCode === null && !p.child.signalCode) ?? (await start());
    const t = await tenantWithGrants(a.url, 1, 'crash-lease');
    const id = t.ids[0];
    const db = new Db({ tableName: 'portico-crash', endpoint: dynamo.endpoint });
    await db.update(`TENANT#${t.tenantId}`, `CONN#${id}`, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    // The refresh hangs at the provider; the holder dies with the lease held.
    sandbox.state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', delayMs: 5000, count: 1 });
    void call(a.url, 'GET', `/v1/connections/${id}/token`, t.apiKey).catch(() => undefined);
    // Wait (bounded) until the holder has taken the lease.
    let leased = await db.get(`TENANT#${t.tenantId}`, `CONN#${id}`);
    for (let i = 0; i < 100 && !leased?.leaseOwner; i++) {
      await new Promise((r) => setTimeout(r, 50));
      leased = await db.get(`TENANT#${t.tenantId}`, `CONN#${id}`);
    }
    expect(leased?.leaseOwner).toBeDefined();
    await a.stop('SIGKILL');

    const b = await start();
    const res = await call(b.url, 'GET', `/v1/connections/${id}/token`, t.apiKey);
    expect(res.status).toBe(200);
    const { accessToken } = await res.json();
    // The token works at the provider.
    const tables = await call(b.url, 'GET', `/v1/connections/${id}/hubdb/tables`, t.apiKey);
    expect(tables.status).toBe(200);
    const after = await db.get(`TENANT#${t.tenantId}`, `CONN#${id}`);
    expect(after?.leaseOwner).toBeUndefined();
    expect(accessToken).toBeTruthy();
    db.client.destroy();
  }, 90_000);
});
