import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { Db } from '../../lib/store/db.js';
import { type PorticoProcess, startPorticoProcess } from '../helpers/processes.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';

let dynamo: EmbeddedDynamo;
let sandbox: Sandbox;
let procs: PorticoProcess[] = [];
const adminKey = `pak_${randomBytes(24).toString('base64url')}`;
const env = () => ({
  ...sandboxEnv(sandbox.url),
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  TABLE_NAME: 'portico-stampede',
  LOCAL_MASTER_KEY: masterKey,
  ADMIN_API_KEY: adminKey,
});
const masterKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  sandbox = await startSandbox();
  // Start one first so it creates the table, then the others.
  procs.push(await startPorticoProcess(env()));
  procs.push(...(await Promise.all([1, 2, 3].map(() => startPorticoProcess(env())))));
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  procs = [];
  await sandbox?.close();
  await dynamo?.close();
});

describe('refresh stampede across processes', () => {
  it('4 processes x 50 concurrent GET /token on an expired token: one provider refresh, no errors', async () => {
    const call = (url: string, method: string, path: string, key: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await (
      await call(procs[0].url, 'POST', '/v1/tenants', adminKey, { name: 'Stampede' })
    ).json();
    const minted = sandbox.state.mint({ provider: 'hubspot', account: 'stampede' });
    const imported = await call(procs[1].url, 'POST', '/v1/connections', created.apiKey, {
      provider: 'hubspot',
      endUserId: 'herd',
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    expect(imported.status).toBe(201);
    const { id } = await imported.json();

    // Expire our stored token: every caller must now see a refresh.
    const db = new Db({ tableName: 'portico-stampede', endpoint: dynamo.endpoint });
    await db.update(`TENANT#${created.tenant.id}`, `CONN#${id}`, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    db.client.destroy();

    sandbox.state.resetStats();
    const answers = await Promise.all(
      procs.flatMap((p) =>
        Array.from({ length: 50 }, async () => {
          const res = await call(p.url, 'GET', `/v1/connections/${id}/token`, created.apiKey);
          return { status: res.status, body: (await res.json()) as { accessToken?: string } };
        }),
      ),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(sandbox.state.stats().hubspot.refreshes).toBe(1);
    const tokens = new Set(answers.map((a) => a.body.accessToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(minted.access_token);
  }, 120_000);
});
