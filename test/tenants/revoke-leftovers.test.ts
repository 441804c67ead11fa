import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../lib/webhooks/index.js';
import { startReceiver } from '../helpers/receiver.js';
import { type Stack, startStack } from '../helpers/stack.js';

/** Issue 14, item 5: revoking a tenant leaves no session and, once its last event is out, no secret. */
let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

async function itemsOf(tenantId: string) {
  const db = s.portico.services.db;
  const out = await db.client.send(new ScanCommand({ TableName: db.tableName }));
  return (out.Items ?? []).map((i) => unmarshall(i)).filter((i) => JSON.stringify(i).includes(tenantId));
}

const tombstone = async (tenantId: string) =>
  (await itemsOf(tenantId)).find((i) => i.pk === `TENANT#${tenantId}` && i.sk === 'META');

describe('revoking a tenant', () => {
  it("deletes its connect sessions, which live outside the tenant's partition", async () => {
    const t = await s.tenant();
    for (const endUserId of ['alice@example.com', 'bob@example.com']) {
      const res = await s.api('POST', '/v1/connect-sessions', t.apiKey, { provider: 'hubspot', endUserId });
      expect(res.status).toBe(201);
    }
    expect((await itemsOf(t.id)).filter((i) => String(i.pk).startsWith('SESSION#'))).toHaveLength(2);

    expect((await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey)).status).toBe(200);
    const left = await itemsOf(t.id);
    expect(left.filter((i) => String(i.pk).startsWith('SESSION#'))).toEqual([]);
    expect(JSON.stringify(left)).not.toContain('alice@example.com');
  });

  it('deletes the webhook secret at once when there is no webhook to send tenant.revoked to', async () => {
    const t = await s.tenant();
    expect((await tombstone(t.id))?.webhookSecret).toBeDefined();
    await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
    expect((await tombstone(t.id))?.webhookSecret).toBeUndefined();
    expect(await s.portico.services.tenants.webhookSecret(t.id)).toBeUndefined();
  });

  it('keeps the secret to sign tenant.revoked, and deletes it once that is delivered', async () => {
    const receiver = await startReceiver();
    try {
      const t = await s.tenant({ webhookUrl: receiver.url });
      await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
      // The local drain loop delivers it; the signature proves the secret was still there to sign.
      await receiver.waitFor((r) => r.some((x) => x.body.includes('"tenant.revoked"')));
      const event = receiver.received.find((x) => x.body.includes('"tenant.revoked"'));
      expect(event?.headers['webhook-signature']).toMatch(/^v1,/);
      await until(async () => (await tombstone(t.id))?.webhookSecret === undefined);
    } finally {
      await receiver.close();
    }
  });

  it('deletes the secret once tenant.revoked is dead-lettered', async () => {
    const t = await s.tenant({ webhookUrl: 'http://127.0.0.1:9/hooks' });
    await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
    expect((await tombstone(t.id))?.webhookSecret).toBeDefined();
    // A day later (the clock injected): the receiver never answered, so the event is given up.
    const { db, tenants, log } = s.portico.services;
    const later = new Outbox({ db, tenants, log, allowPrivate: true, now: () => Date.now() + 25 * 3600_000 });
    for (let i = 0; i < 3 && (await later.dead(t.id)).length === 0; i++) await later.drain();
    expect((await later.dead(t.id)).map((e) => e.eventType)).toContain('tenant.revoked');
    expect((await tombstone(t.id))?.webhookSecret).toBeUndefined();
  });
});

/** Waits for work the local drain loop does in the background (bounded). */
async function until(done: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
