import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepDueConnections } from '../../lib/connections/index.js';
import { VaultError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import type { Db } from '../../lib/store/db.js';
import { readWrappedKey, tenantKey } from '../../lib/store/items.js';
import { revocationKey } from '../../lib/store/revocation-items.js';
import { localKeyWrapper, Vault } from '../../lib/vault/index.js';
import { ADMIN_KEY, type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo, freshDb } from '../helpers/dynamo.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';

/**
 * Tenant revocation as a job, through the real app over the embedded DynamoDB and the sandbox
 * over real HTTP. Each test drives the job itself (no worker loop runs here) on a virtual clock,
 * so retries a day long take no real time.
 */
let sandbox: Sandbox;
const masterKey = randomBytes(32);
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox?.close();
  await closeEmbeddedDynamo();
});

interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  advance(ms: number): void;
  set(at: number): void;
}
function virtualClock(): Clock {
  let at = Date.now();
  return {
    now: () => at,
    sleep: async (ms) => {
      at += Math.max(0, ms);
    },
    advance: (ms) => {
      at += ms;
    },
    set: (t) => {
      at = Math.max(at, t);
    },
  };
}

/** A Portico "process": its own services (caches, vaults) over the shared table. */
function portico(db: Db, clock: Clock, revocations = {}, env: Record<string, string> = {}) {
  return testApp(
    {
      ...sandboxEnv(sandbox.url),
      LOCAL_MASTER_KEY: masterKey.toString('base64'),
      KEY_CACHE_MS: '1000',
      REFRESH_LEASE_MS: '1000',
      ...env,
    },
    { db, log: silentLogger, clock, revocations },
  );
}

async function importGrants(app: TestApp, apiKey: string, n: number, provider: 'hubspot' | 'dropbox') {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const account = `${provider}-${randomBytes(4).toString('hex')}`;
    const minted = sandbox.state.mint({ provider, account });
    const res = await app.call('POST', '/v1/connections', {
      key: apiKey,
      body: {
        provider,
        endUserId: account,
        credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
      },
    });
    expect(res.status).toBe(201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

const revoke = (app: TestApp, tenantId: string) =>
  app.call('DELETE', `/v1/tenants/${tenantId}`, { key: ADMIN_KEY });

async function scanTenant(db: Db, tenantId: string) {
  const out = await db.client.send(new ScanCommand({ TableName: db.tableName }));
  return (out.Items ?? []).map((i) => unmarshall(i)).filter((i) => JSON.stringify(i).includes(tenantId));
}

/** Drives the job as a worker would, the clock jumping to each next step, until it is done. */
async function driveToDone(app: TestApp, clock: Clock, tenantId: string, rounds = 200) {
  for (let i = 0; i < rounds; i++) {
    const job = await (await app.services.revocations()).job(tenantId);
    if (job?.status === 'done') return job;
    if (job) clock.set(job.nextRunAt);
    await (await app.services.revocations()).runDue(60_000);
  }
  throw new Error('the revocation did not finish');
}

const revokes = () => {
  const s = sandbox.state.stats();
  return s.hubspot.revokes + s.dropbox.revokes;
};

describe('revoking a tenant', () => {
  it('answers 200 at once for a small tenant, with every grant revoked; repeats answer the same', async () => {
    const clock = virtualClock();
    const app = await portico(await freshDb(), clock);
    const t = await app.tenant();
    await importGrants(app, t.apiKey, 3, 'hubspot');
    await importGrants(app, t.apiKey, 2, 'dropbox');
    const before = revokes();

    const res = await revoke(app, t.id);
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer).toEqual({ tenantId: t.id, status: 'revoked', connections: { revoked: 5, failed: 0 } });
    expect(revokes() - before).toBe(5);
    expect((await app.call('GET', '/v1/connections', { key: t.apiKey })).status).toBe(401);

    const again = await revoke(app, t.id);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(answer);
    expect(revokes() - before).toBe(5);
    const got = await (await app.call('GET', `/v1/tenants/${t.id}`, { key: ADMIN_KEY })).json();
    expect(got.status).toBe('revoked');
    expect(got.revocation).toMatchObject({ total: 5, revoked: 5, failed: 0, pending: 0 });
    expect(typeof got.revocation.startedAt).toBe('string');
    const audit = await (await app.call('GET', `/v1/tenants/${t.id}/audit`, { key: ADMIN_KEY })).json();
    expect(audit.events[0].action).toBe('tenant.revoked');
    expect((await app.call('POST', `/v1/tenants/${t.id}/api-keys`, { key: ADMIN_KEY })).status).toBe(409);
  });

  it('answers 202 with progress for a big one; progress moves, each grant counted once', async () => {
    const clock = virtualClock();
    const db = await freshDb();
    const app = await portico(db, clock, { pageSize: 2, inlineMs: 0 });
    const t = await app.tenant();
    await importGrants(app, t.apiKey, 4, 'hubspot');
    await importGrants(app, t.apiKey, 3, 'dropbox');
    const before = revokes();

    const first = await revoke(app, t.id);
    expect(first.status).toBe(202);
    const a = await first.json();
    expect(a).toEqual({
      tenantId: t.id,
      status: 'revoking',
      // No time left for more than the first grant of the first page.
      revocation: { total: 7, revoked: 1, failed: 0, pending: 6, startedAt: expect.any(String) },
    });
    const got = await (await app.call('GET', `/v1/tenants/${t.id}`, { key: ADMIN_KEY })).json();
    expect(got).toMatchObject({ status: 'revoking', revocation: a.revocation });

    // A repeat is idempotent: the same job, moved on by its own bit of work.
    const second = await (await revoke(app, t.id)).json();
    expect(second.status).toBe('revoking');
    expect(second.revocation.startedAt).toBe(a.revocation.startedAt);
    expect(second.revocation.revoked).toBe(2);

    const done = await driveToDone(app, clock, t.id);
    expect(done).toMatchObject({ revoked: 7, failed: 0, total: 7 });
    expect(revokes() - before).toBe(7);
    expect(await (await revoke(app, t.id)).json()).toEqual({
      tenantId: t.id,
      status: 'revoked',
      connections: { revoked: 7, failed: 0 },
    });
  });

  it('stops keys, links, token reads and data within CONNECTION_CACHE_MS in another process, and keeps the key from every route', async () => {
    const clock = virtualClock();
    const db = await freshDb();
    const a = await portico(db, clock);
    const b = await portico(db, clock, { pageSize: 1, inlineMs: 0 });
    const t = await a.tenant();
    const [id] = await importGrants(a, t.apiKey, 2, 'hubspot');
    // Process A is warm: key hints, the connection cache and the tenant's data key.
    for (let i = 0; i < 2; i++) {
      expect((await a.call('GET', `/v1/connections/${id}/token`, { key: t.apiKey })).status).toBe(200);
      expect((await a.call('GET', `/v1/connections/${id}/hubdb/tables`, { key: t.apiKey })).status).toBe(200);
    }
    const session = await (
      await a.call('POST', '/v1/connect-sessions', {
        key: t.apiKey,
        body: { provider: 'hubspot', endUserId: 'late' },
      })
    ).json();

    expect((await revoke(b, t.id)).status).toBe(202);
    // Process A may reuse its successful key checks and connection reads for CONNECTION_CACHE_MS
    // (1 s here, the default): past that, nothing of the tenant is served (README, "Revoking a tenant").
    clock.advance(1_001);

    expect((await a.call('GET', `/v1/connections/${id}/token`, { key: t.apiKey })).status).toBe(401);
    expect((await a.call('GET', `/v1/connections/${id}/hubdb/tables`, { key: t.apiKey })).status).toBe(401);
    expect((await a.call('GET', `/v1/connections/${id}`, { key: t.apiKey })).status).toBe(401);
    expect(
      (
        await a.call('POST', '/v1/connect-sessions', {
          key: t.apiKey,
          body: { provider: 'hubspot', endUserId: 'x' },
        })
      ).status,
    ).toBe(401);
    const link = await a.app.request(
      new URL(session.connectUrl).pathname + new URL(session.connectUrl).search,
    );
    expect(link.status).toBe(410);
    expect(
      (
        await a.call('PUT', `/v1/tenants/${t.id}/apps/hubspot`, {
          key: ADMIN_KEY,
          body: { clientId: 'x', clientSecret: 'y' },
        })
      ).status,
    ).toBe(409);

    // The routes' vault of a process that did not cache the key cannot open a grant; the job's can.
    const c = await portico(db, clock);
    const left = await db.query({ pk: `TENANT#${t.id}`, skPrefix: 'CONN#' });
    expect(left.items).toHaveLength(1); // one page of one grant done
    const [item] = left.items;
    const sealed = String(item.credentials);
    const leftId = String(item.id);
    await expect(c.services.vault.openString(t.id, leftId, sealed)).rejects.toBeInstanceOf(VaultError);
    await expect((await c.services.revocations()).job(t.id)).resolves.toMatchObject({ status: 'running' });
    const jobVault = new Vault({
      wrapper: localKeyWrapper(masterKey),
      loadWrappedKey: async () => (await (await c.services.revocations()).job(t.id))?.wrappedKey,
    });
    expect(JSON.parse(await jobVault.openString(t.id, leftId, sealed)).refreshToken).toBeTruthy();
    await driveToDone(b, clock, t.id);
  });

  it('retries a provider that fails (500) with backoff, and counts the grant once when it revokes', async () => {
    const clock = virtualClock();
    const app = await portico(await freshDb(), clock);
    const t = await app.tenant();
    const [id] = await importGrants(app, t.apiKey, 1, 'hubspot');
    await importGrants(app, t.apiKey, 1, 'dropbox');
    sandbox.state.addFault({ provider: 'hubspot', match: '/token/revoke', status: 500, count: 0 });
    let answer: { status: string; revocation: Record<string, number> };
    try {
      const res = await revoke(app, t.id);
      expect(res.status).toBe(202);
      answer = await res.json();
    } finally {
      sandbox.state.clearFaults('hubspot');
    }
    expect(answer.revocation).toMatchObject({ total: 2, revoked: 1, failed: 0, pending: 1 });
    const parked = await app.db.get(`TENANT#${t.id}`, `CONN#${id}`);
    expect(parked).toMatchObject({
      revokeAttempts: 1,
      revokeError: expect.stringContaining('provider_unavailable'),
    });
    expect(Number(parked?.revokeRetryAt)).toBeGreaterThanOrEqual(clock.now() + 30_000);
    // Not before its backoff.
    await (await app.services.revocations()).runDue(60_000);
    expect((await (await app.services.revocations()).job(t.id))?.revoked).toBe(1);

    const done = await driveToDone(app, clock, t.id);
    expect(done).toMatchObject({ revoked: 2, failed: 0, retrying: 0 });
    const failures = await (
      await app.call('GET', `/v1/tenants/${t.id}/revocation/failures`, { key: ADMIN_KEY })
    ).json();
    expect(failures).toEqual({ failures: [] });
  });

  it('gives up after the retry window: 404 and 429 (honouring Retry-After) counted failed and listed', async () => {
    const clock = virtualClock();
    const app = await portico(await freshDb(), clock, { giveUpMs: 10 * 60_000 });
    const t = await app.tenant();
    const [hub] = await importGrants(app, t.apiKey, 1, 'hubspot');
    const [box] = await importGrants(app, t.apiKey, 1, 'dropbox');
    sandbox.state.addFault({ provider: 'hubspot', match: '/token/revoke', status: 404, count: 0 });
    sandbox.state.addFault({
      provider: 'dropbox',
      match: '/auth/token/revoke',
      status: 429,
      retryAfter: 300,
      count: 0,
    });
    try {
      const started = clock.now();
      const res = await revoke(app, t.id);
      expect(res.status).toBe(202);
      // Dropbox asked for 300 s: its retry waits that long, longer than the first backoff.
      const parked = await app.db.get(`TENANT#${t.id}`, `CONN#${box}`);
      expect(Number(parked?.revokeRetryAt)).toBeGreaterThanOrEqual(started + 300_000);
      const done = await driveToDone(app, clock, t.id);
      expect(done).toMatchObject({ revoked: 0, failed: 2 });
    } finally {
      sandbox.state.clearFaults();
    }
    const res = await revoke(app, t.id);
    expect(await res.json()).toEqual({
      tenantId: t.id,
      status: 'revoked',
      connections: { revoked: 0, failed: 2 },
    });
    const page = await (
      await app.call('GET', `/v1/tenants/${t.id}/revocation/failures?limit=1`, { key: ADMIN_KEY })
    ).json();
    expect(page.failures).toHaveLength(1);
    const rest = await (
      await app.call('GET', `/v1/tenants/${t.id}/revocation/failures?cursor=${page.nextCursor}`, {
        key: ADMIN_KEY,
      })
    ).json();
    const all = [...page.failures, ...rest.failures];
    expect(all.map((f: { connectionId: string }) => f.connectionId).sort()).toEqual([hub, box].sort());
    const byId: Record<string, { attempts: number }> = Object.fromEntries(
      all.map((f: { connectionId: string; attempts: number }) => [f.connectionId, f]),
    );
    expect(byId[hub]).toMatchObject({
      provider: 'hubspot',
      lastError: expect.stringContaining('provider_error'),
    });
    expect(byId[box]).toMatchObject({
      provider: 'dropbox',
      lastError: expect.stringContaining('rate_limited'),
    });
    expect(byId[hub].attempts).toBeGreaterThan(2);
    // 300 s apart at least: fewer attempts fit in the window than with the 30 s backoff.
    expect(byId[box].attempts).toBeLessThan(byId[hub].attempts);
    expect(JSON.stringify(all)).not.toMatch(/token|secret/i);
    const bad = await app.call('GET', `/v1/tenants/${t.id}/revocation/failures?cursor=bm9wZQ`, {
      key: ADMIN_KEY,
    });
    expect(bad.status).toBe(400);
  });

  it('counts a provider that never answers (timeout) as failed attempts, then failed', async () => {
    const clock = virtualClock();
    const app = await portico(await freshDb(), clock, { giveUpMs: 2 * 60_000, callTimeoutMs: 150 });
    const t = await app.tenant();
    await importGrants(app, t.apiKey, 1, 'hubspot');
    sandbox.state.addFault({ provider: 'hubspot', match: '/token/revoke', delayMs: 1500, count: 0 });
    try {
      expect((await revoke(app, t.id)).status).toBe(202);
      expect(await driveToDone(app, clock, t.id)).toMatchObject({ revoked: 0, failed: 1 });
    } finally {
      sandbox.state.clearFaults('hubspot');
    }
    const { failures } = await (
      await app.call('GET', `/v1/tenants/${t.id}/revocation/failures`, { key: ADMIN_KEY })
    ).json();
    expect(failures).toEqual([
      expect.objectContaining({ attempts: 3, lastError: expect.stringContaining('did not answer in time') }),
    ]);
  });

  it('leaves nothing of the tenant decryptable once done (every item tried with the master key)', async () => {
    const clock = virtualClock();
    const db = await freshDb();
    const app = await portico(db, clock);
    const t = await app.tenant();
    await importGrants(app, t.apiKey, 2, 'hubspot');
    await importGrants(app, t.apiKey, 1, 'dropbox');
    await app.call('PUT', `/v1/tenants/${t.id}/apps/dropbox`, {
      key: ADMIN_KEY,
      body: { clientId: 'sandbox-dropbox-app', clientSecret: 'sandbox-dropbox-secret' },
    });
    await app.call('POST', '/v1/connect-sessions', {
      key: t.apiKey,
      body: { provider: 'dropbox', endUserId: 'pending' },
    });

    // Opens every string of every item with the master key: through the tenant's wrapped key,
    // wherever an item of the tenant keeps one, under every record id the items name.
    const wrapper = localKeyWrapper(masterKey);
    const openAll = async () => {
      const items = await scanTenant(db, t.id);
      const keys = items.map((i) => readWrappedKey(i)).filter((k): k is Uint8Array => k !== undefined);
      const recordIds = new Set<string>(['app:hubspot', 'app:dropbox']);
      for (const i of items) {
        if (typeof i.id === 'string') recordIds.add(i.id);
        if (typeof i.id === 'string') recordIds.add(`session:${i.id}`);
      }
      let opened = 0;
      for (const wrapped of keys) {
        const vault = new Vault({ wrapper, loadWrappedKey: async () => wrapped });
        for (const i of items)
          for (const v of Object.values(i)) {
            if (typeof v !== 'string' || v.length < 40) continue;
            for (const rid of recordIds) {
              if (
                await vault.open(t.id, rid, v).then(
                  () => true,
                  () => false,
                )
              )
                opened++;
            }
          }
      }
      return { opened, items };
    };
    const before = await openAll();
    expect(before.opened).toBeGreaterThanOrEqual(4); // 3 grants and the app's secret: the check can see them
    expect(before.items.some((i) => String(i.pk).startsWith('SESSION#'))).toBe(true);

    expect((await revoke(app, t.id)).status).toBe(200);
    // Accounted, but the last round is still to come: the key waits in the job item, out of the routes' reach.
    expect((await db.get(tenantKey(t.id).pk, 'META'))?.wrappedKey).toBeUndefined();
    expect((await db.get(revocationKey(t.id).pk, 'REVOCATION'))?.wrappedKey).toBeDefined();
    await driveToDone(app, clock, t.id);

    const after = await openAll();
    expect(after.opened).toBe(0);
    expect(after.items.filter((i) => 'wrappedKey' in i || 'credentials' in i || 'clientSecret' in i)).toEqual(
      [],
    );
    expect(after.items.filter((i) => String(i.pk).startsWith('SESSION#'))).toEqual([]);
    const partition = after.items.filter((i) => i.pk === `TENANT#${t.id}`).map((i) => i.sk);
    expect(partition.sort()).toEqual(['META', 'REVOCATION']);
  });

  it("does not count a revoking tenant's due grants as failed refreshes in the scheduled sweep", async () => {
    const clock = virtualClock();
    const db = await freshDb();
    const a = await portico(db, clock, { pageSize: 1, inlineMs: 0 });
    const t = await a.tenant();
    await importGrants(a, t.apiKey, 3, 'hubspot');
    expect((await revoke(a, t.id)).status).toBe(202);
    // Another process, its key cache cold, sweeps an hour ahead: both grants left are due.
    const c = await portico(db, clock);
    const swept = await sweepDueConnections(c.services, { now: new Date(Date.now() + 3600_000) });
    expect(swept).toMatchObject({ refreshed: 0, failed: 0 });
    expect(swept.read).toBeGreaterThanOrEqual(2);
  });

  it('answers 404 for unknown tenants', async () => {
    const app = await portico(await freshDb(), virtualClock());
    expect((await revoke(app, 'ten_0000000000000000')).status).toBe(404);
    expect(
      (await app.call('GET', '/v1/tenants/ten_0000000000000000/revocation/failures', { key: ADMIN_KEY }))
        .status,
    ).toBe(404);
  });
});
