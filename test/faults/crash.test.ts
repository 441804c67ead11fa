import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { Db } from '../../lib/store/db.js';
import { type PorticoProcess, startPorticoProcess } from '../helpers/processes.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';

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
});
const start = async () => {
  const p = await startPorticoProcess(env());
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
  it('a revocation killed half-way is finished by the next call', async () => {
    const a = await start();
    const t = await tenantWithGrants(a.url, 6, 'crash-rv');
    // Provider revocations are slow, so the kill lands while they are in flight.
    sandbox.state.addFault({
      provider: 'hubspot',
      match: '/oauth/2026-03/token/revoke',
      delayMs: 4000,
      count: 0,
    });
    void call(a.url, 'DELETE', `/v1/tenants/${t.tenantId}`, adminKey).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    await a.stop('SIGKILL');
    sandbox.state.clearFaults('hubspot');

    const b = await start();
    const res = await call(b.url, 'DELETE', `/v1/tenants/${t.tenantId}`, adminKey);
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer.status).toBe('revoked');
    expect(answer.connections.revoked + answer.connections.failed).toBe(6);
    expect((await call(b.url, 'GET', '/v1/connections', t.apiKey)).status).toBe(401);
    const db = new Db({ tableName: 'portico-crash', endpoint: dynamo.endpoint });
    const items = (await db.client.send(new ScanCommand({ TableName: db.tableName }))).Items ?? [];
    const left = items.map((i) => unmarshall(i)).filter((i) => i.pk === `TENANT#${t.tenantId}`);
    db.client.destroy();
    expect(left.map((i) => i.sk)).toEqual(['META']);
    expect(left[0].wrappedKey).toBeUndefined();
    const again = await call(b.url, 'DELETE', `/v1/tenants/${t.tenantId}`, adminKey);
    expect(await again.json()).toEqual(answer);
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
