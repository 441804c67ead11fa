import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { Stats } from '../../lib/stats/index.js';
import { Db } from '../../lib/store/db.js';
import { type PorticoProcess, startPorticoProcess } from '../helpers/processes.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';

/**
 * Stats counters under concurrent updates from two real processes sharing one table: every
 * count lands (atomic ADD), none is lost or doubled.
 */
let dynamo: EmbeddedDynamo;
let sandbox: Sandbox;
const procs: PorticoProcess[] = [];
const adminKey = `pak_${randomBytes(24).toString('base64url')}`;
const randomKey = randomBytes(32).toString('base64');
const env = () => ({
  ...sandboxEnv(sandbox.url),
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  TABLE_NAME: 'portico-stats',
  LOCAL_MASTER_KEY: randomKey,
  ADMIN_API_KEY: adminKey,
});
const call = (url: string, method: string, path: string, key: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  sandbox = await startSandbox();
}, 60_000);
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await sandbox?.close();
  await dynamo?.close();
});

describe('stats counters', () => {
  it('count every token read of two processes at once, and the connections once', async () => {
    const a = await startPorticoProcess(env());
    procs.push(a);
    const b = await startPorticoProcess(env());
    procs.push(b);
    const created = await (await call(a.url, 'POST', '/v1/tenants', adminKey, { name: 'Stats' })).json();
    const tenantId = created.tenant.id as string;
    sandbox.state.registerPrivateApp({ token: 'pat-na1-statscounter1', hubId: 9001, scopes: ['hubdb'] });
    const conn = await (
      await call(a.url, 'POST', '/v1/connections', created.apiKey, {
        provider: 'hubspot',
        endUserId: 'stats-user',
        credentials: { type: 'private_app', token: 'pat-na1-statscounter1' },
      })
    ).json();
    expect(conn.id).toMatch(/^conn_/);

    const perProcess = 150;
    const reads = (url: string) =>
      Array.from({ length: perProcess }, () =>
        call(url, 'GET', `/v1/connections/${conn.id}/token`, created.apiKey).then((r) => r.status),
      );
    const statuses = await Promise.all([...reads(a.url), ...reads(b.url)]);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Each process writes what it holds when it stops (and every 2 s before).
    await Promise.all([a.stop(), b.stop()]);

    const db = new Db({ tableName: 'portico-stats', endpoint: dynamo.endpoint });
    const stats = new Stats({ db });
    for (const bucket of ['hour', 'day'] as const) {
      const mine = await stats.read(tenantId, { bucket });
      const total = mine.buckets.reduce((n, x) => n + x.tokenReads, 0);
      expect(total, bucket).toBe(2 * perProcess);
      expect(mine.connections).toEqual({ hubspot: { active: 1 } });
    }
    const overall = await stats.read('ALL', { bucket: 'day' });
    expect(overall.buckets.reduce((n, x) => n + x.tokenReads, 0)).toBe(2 * perProcess);
    db.client.destroy();
  }, 120_000);
});
