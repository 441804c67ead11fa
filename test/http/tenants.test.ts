import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(closeEmbeddedDynamo);

describe('admin: tenants', () => {
  it('creates a tenant and shows its key once, stored only as a hash', async () => {
    const res = await t.call('POST', '/v1/tenants', {
      key: ADMIN_KEY,
      body: { name: 'Acme', returnUrls: ['https://acme.test/back'] },
    });
    expect(res.status).toBe(201);
    const out = await res.json();
    expect(out.apiKey).toMatch(/^ptk_[A-Za-z0-9_-]{43}$/);
    expect(out.webhookSecret).toMatch(/^whsec_/);
    expect(out.tenant).toMatchObject({
      name: 'Acme',
      status: 'active',
      returnUrls: ['https://acme.test/back'],
    });

    const get = await t.call('GET', `/v1/tenants/${out.tenant.id}`, { key: ADMIN_KEY });
    expect(await get.json()).toEqual(out.tenant);
    // Nothing in the table holds the key itself.
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const scan = await t.db.client.send(new ScanCommand({ TableName: t.db.tableName }));
    const raw = JSON.stringify(scan.Items);
    expect(raw).not.toContain(out.apiKey);
    expect(raw).not.toContain(out.webhookSecret);
  });

  it('lists tenants page by page', async () => {
    const made = new Set<string>();
    for (let i = 0; i < 5; i++) made.add((await t.tenant({ name: `Page ${i}` })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await t.call('GET', `/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        key: ADMIN_KEY,
      });
      expect(res.status).toBe(200);
      const page = await res.json();
      expect(page.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...page.tenants.map((x: { id: string }) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    for (const id of made) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('patches a tenant', async () => {
    const { id } = await t.tenant();
    const res = await t.call('PATCH', `/v1/tenants/${id}`, {
      key: ADMIN_KEY,
      body: { name: 'Renamed', webhookUrl: 'https://acme.test/hook' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'Renamed', webhookUrl: 'https://acme.test/hook' });
    const cleared = await t.call('PATCH', `/v1/tenants/${id}`, {
      key: ADMIN_KEY,
      body: { webhookUrl: null },
    });
    expect((await cleared.json()).webhookUrl).toBeUndefined();
  });

  it('adds and deletes API keys; a deleted key stops working at once', async () => {
    const { id, apiKey } = await t.tenant();
    expect((await t.call('GET', '/v1/audit', { key: apiKey })).status).toBe(200);
    const added = await t.call('POST', `/v1/tenants/${id}/api-keys`, { key: ADMIN_KEY });
    expect(added.status).toBe(201);
    const { id: keyId, apiKey: second } = await added.json();
    expect((await t.call('GET', '/v1/audit', { key: second })).status).toBe(200);
    expect((await t.call('DELETE', `/v1/tenants/${id}/api-keys/${keyId}`, { key: ADMIN_KEY })).status).toBe(
      204,
    );
    const refused = await t.call('GET', '/v1/audit', { key: second });
    expect(refused.status).toBe(401);
    expect((await refused.json()).code).toBe('unauthorized');
    expect((await t.call('GET', '/v1/audit', { key: apiKey })).status).toBe(200);
    expect((await t.call('DELETE', `/v1/tenants/${id}/api-keys/${keyId}`, { key: ADMIN_KEY })).status).toBe(
      404,
    );
  });

  it("sets a tenant's own OAuth app with the secret sealed and never returned", async () => {
    const { id } = await t.tenant();
    const res = await t.call('PUT', `/v1/tenants/${id}/apps/hubspot`, {
      key: ADMIN_KEY,
      body: { clientId: 'my-client', clientSecret: 'my-very-secret-value', scopes: ['oauth', 'hubdb'] },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('my-very-secret-value');
    expect(JSON.parse(text)).toEqual({
      provider: 'hubspot',
      clientId: 'my-client',
      scopes: ['oauth', 'hubdb'],
    });
    expect((await t.services.tenants.getApp(id, 'hubspot'))?.clientSecret).toBe('my-very-secret-value');
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const scan = await t.db.client.send(new ScanCommand({ TableName: t.db.tableName }));
    expect(JSON.stringify(scan.Items)).not.toContain('my-very-secret-value');
    expect(t.logLines.join('\n')).not.toContain('my-very-secret-value');
    expect((await t.call('DELETE', `/v1/tenants/${id}/apps/hubspot`, { key: ADMIN_KEY })).status).toBe(204);
    expect(await t.services.tenants.getApp(id, 'hubspot')).toBeUndefined();
    expect((await t.call('DELETE', `/v1/tenants/${id}/apps/hubspot`, { key: ADMIN_KEY })).status).toBe(404);
    expect(
      (
        await t.call('PUT', `/v1/tenants/${id}/apps/salesforce`, {
          key: ADMIN_KEY,
          body: { clientId: 'a', clientSecret: 'b' },
        })
      ).status,
    ).toBe(400);
  });

  it('records admin actions in the audit trail without secrets', async () => {
    const { id, apiKey } = await t.tenant();
    await t.call('POST', `/v1/tenants/${id}/api-keys`, { key: ADMIN_KEY });
    const res = await t.call('GET', `/v1/tenants/${id}/audit`, { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    const { events } = await res.json();
    expect(events.map((e: { action: string }) => e.action)).toEqual(['api_key.created', 'tenant.created']);
    expect(events[0]).toMatchObject({ actor: 'admin-key', tenantId: id, outcome: 'success' });
    const mine = await (await t.call('GET', '/v1/audit', { key: apiKey })).json();
    expect(mine.events.length).toBe(2);
  });

  it('records every tenant write once, by its actor, and a refused write not at all', async () => {
    const { id } = await t.tenant();
    const admin = { key: ADMIN_KEY };
    const ok = async (res: Response | Promise<Response>) => expect((await res).status).toBeLessThan(300);
    await ok(t.call('PATCH', `/v1/tenants/${id}`, { ...admin, body: { name: 'Renamed' } }));
    const key = await (await t.call('POST', `/v1/tenants/${id}/api-keys`, admin)).json();
    await ok(t.call('DELETE', `/v1/tenants/${id}/api-keys/${key.id}`, admin));
    const app = { clientId: 'own-app', clientSecret: 'own-secret' };
    await ok(t.call('PUT', `/v1/tenants/${id}/apps/dropbox`, { ...admin, body: app }));
    await ok(t.call('DELETE', `/v1/tenants/${id}/apps/dropbox`, admin));
    // Refused: the app is gone already, and the key was deleted.
    expect((await t.call('DELETE', `/v1/tenants/${id}/apps/dropbox`, admin)).status).toBe(404);
    expect((await t.call('DELETE', `/v1/tenants/${id}/api-keys/${key.id}`, admin)).status).toBe(404);
    await ok(t.call('POST', `/v1/tenants/${id}/webhook-secret`, admin));

    const { events } = await (await t.call('GET', `/v1/tenants/${id}/audit`, admin)).json();
    const actions = events.map((e: { action: string }) => e.action).sort();
    expect(actions).toEqual(
      [
        'tenant.created',
        'tenant.updated',
        'api_key.created',
        'api_key.deleted',
        'app.dropbox.set',
        'app.dropbox.deleted',
        'webhook_secret.rotated',
      ].sort(),
    );
    for (const e of events) expect(e).toMatchObject({ actor: 'admin-key', tenantId: id, outcome: 'success' });
    expect(JSON.stringify(events)).not.toMatch(/own-secret|whsec_|ptk_/);
  });
});

describe('refusals', () => {
  it('refuses missing, malformed and unknown keys', async () => {
    for (const auth of [
      undefined,
      'Bearer',
      'Basic abc',
      'Bearer ptk_nope',
      'Bearer pak_nope',
      `Bearer ${ADMIN_KEY}x`,
    ]) {
      const res = await t.app.request('/v1/tenants', { headers: auth ? { authorization: auth } : {} });
      expect(res.status, String(auth)).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await res.json()).code).toBe('unauthorized');
    }
  });

  it('a tenant key cannot use admin routes, and the admin key cannot act as a tenant', async () => {
    const { id, apiKey } = await t.tenant();
    const res = await t.call('GET', `/v1/tenants/${id}`, { key: apiKey });
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('forbidden');
    expect((await t.call('GET', '/v1/audit', { key: ADMIN_KEY })).status).toBe(403);
  });

  it("answers another tenant's ids exactly like missing ids", async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    const foreign = await t.call('GET', `/v1/tenants/${b.id}/audit`, { key: a.apiKey });
    expect(foreign.status).toBe(403);
    const missing = await t.call('GET', '/v1/tenants/ten_0000000000000000', { key: ADMIN_KEY });
    const malformed = await t.call('GET', '/v1/tenants/whatever', { key: ADMIN_KEY });
    expect(missing.status).toBe(404);
    expect(malformed.status).toBe(404);
    const strip = (p: Record<string, unknown>) => ({ ...p, requestId: undefined });
    expect(strip(await missing.json())).toEqual(strip(await malformed.json()));
  });

  it('refuses a cursor made for another partition', async () => {
    const bogus = Buffer.from(JSON.stringify({ pk: 'AUDIT#ten_other', sk: 'x' })).toString('base64url');
    const { apiKey } = await t.tenant();
    const res = await t.call('GET', `/v1/audit?cursor=${bogus}`, { key: apiKey });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('invalid_request');
  });
});

describe('warm reads check the key concurrently', () => {
  it('a key deleted after it was seen stops working at once on GET routes too', async () => {
    const { id, apiKey } = await t.tenant();
    const added = await (await t.call('POST', `/v1/tenants/${id}/api-keys`, { key: ADMIN_KEY })).json();
    // Seen once: this process now has a hint for the key.
    expect((await t.call('GET', '/v1/audit', { key: added.apiKey })).status).toBe(200);
    expect((await t.call('GET', '/v1/connections', { key: added.apiKey })).status).toBe(200);
    await t.call('DELETE', `/v1/tenants/${id}/api-keys/${added.id}`, { key: ADMIN_KEY });
    for (const path of ['/v1/audit', '/v1/connections', '/v1/connections/conn_0000000000000000']) {
      const res = await t.call('GET', path, { key: added.apiKey });
      expect(res.status, path).toBe(401);
      expect((await res.json()).code).toBe('unauthorized');
    }
    expect((await t.call('GET', '/v1/audit', { key: apiKey })).status).toBe(200);
  });
});
