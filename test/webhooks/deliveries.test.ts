import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../lib/webhooks/index.js';
import { ADMIN_KEY, type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';
import { startReceiver } from '../helpers/receiver.js';

/**
 * Webhook deliveries through the API: listed while pending (with the receiver's last status and
 * the next attempt), failed once the day of retries is over (an outbox on a clock a day ahead,
 * no real wait), retried by the tenant or the admin, then delivered.
 */
let t: TestApp;
let status = 500;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

type Delivery = {
  id: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
};

beforeAll(async () => {
  receiver = await startReceiver(() => status);
  t = await testApp();
});
afterAll(async () => {
  await receiver?.close();
  await closeEmbeddedDynamo();
});

const list = async (key: string, path: string) => {
  const res = await t.call('GET', path, { key });
  expect(res.status, path).toBe(200);
  return (await res.json()) as { deliveries: Delivery[]; nextCursor?: string };
};

/** The same outbox, a day and a bit later: every pending event is past its retries. */
const dayLater = () =>
  new Outbox({
    db: t.db,
    tenants: t.services.tenants,
    log: t.services.log,
    allowPrivate: true,
    now: () => Date.now() + 25 * 3_600_000,
  });

describe('webhook deliveries', () => {
  it('listed, failed, retried, delivered; filtered by status and event', async () => {
    status = 500;
    const tenant = await t.tenant({ webhookUrl: receiver.url });
    const outbox = await t.services.outbox();
    await outbox.emit(tenant.id, 'connection.created', {});
    await outbox.emit(tenant.id, 'connection.needs_reauth', {});
    let page = await list(tenant.apiKey, '/v1/webhooks/deliveries');
    expect(page.deliveries.map((d) => [d.event, d.status, d.attempts])).toEqual([
      ['connection.needs_reauth', 'pending', 0],
      ['connection.created', 'pending', 0],
    ]);

    // First attempt: the receiver answers 500; both stay pending, with the status and when next.
    expect(await outbox.drain()).toMatchObject({ delivered: 0, retried: 2 });
    page = await list(tenant.apiKey, '/v1/webhooks/deliveries?status=pending');
    expect(page.deliveries).toHaveLength(2);
    for (const d of page.deliveries) {
      expect(d).toMatchObject({ attempts: 1, lastStatusCode: 500, lastError: 'http_500' });
      expect(Date.parse(d.nextAttemptAt!)).toBeGreaterThan(Date.parse(d.createdAt));
    }

    // A day later the retries are over: failed.
    expect(await dayLater().drain()).toMatchObject({ dead: 2 });
    const failed = await list(tenant.apiKey, '/v1/webhooks/deliveries?status=failed');
    expect(failed.deliveries).toHaveLength(2);
    expect(failed.deliveries.every((d) => d.nextAttemptAt === null && d.attempts === 2)).toBe(true);
    expect((await list(tenant.apiKey, '/v1/webhooks/deliveries?status=pending')).deliveries).toEqual([]);
    const reauth = await list(
      tenant.apiKey,
      '/v1/webhooks/deliveries?status=failed&event=connection.needs_reauth',
    );
    expect(reauth.deliveries.map((d) => d.event)).toEqual(['connection.needs_reauth']);
    const byEvent = await list(tenant.apiKey, '/v1/webhooks/deliveries?event=connection.created');
    expect(byEvent.deliveries.map((d) => d.status)).toEqual(['failed']);

    // The tenant retries one, the admin the other; the receiver now accepts.
    status = 204;
    const [one, two] = failed.deliveries;
    const retried = await t.call('POST', `/v1/webhooks/deliveries/${one.id}/retry`, { key: tenant.apiKey });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ id: one.id, status: 'pending', attempts: 2 });
    const again = await t.call('POST', `/v1/webhooks/deliveries/${one.id}/retry`, { key: tenant.apiKey });
    expect(again.status).toBe(404); // no longer failed (it is pending)
    const byAdmin = await t.call('POST', `/v1/tenants/${tenant.id}/webhooks/deliveries/${two.id}/retry`, {
      key: ADMIN_KEY,
    });
    expect(byAdmin.status).toBe(202);
    expect(await outbox.drain()).toMatchObject({ delivered: 2 });
    expect(receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual([one.id, two.id].sort());

    const delivered = await list(ADMIN_KEY, `/v1/tenants/${tenant.id}/webhooks/deliveries?status=delivered`);
    expect(delivered.deliveries.map((d) => d.id).sort()).toEqual([one.id, two.id].sort());
    for (const d of delivered.deliveries)
      expect(d).toMatchObject({ attempts: 3, lastStatusCode: 204, lastError: null });
    // A delivered one cannot be retried.
    const done = await t.call('POST', `/v1/webhooks/deliveries/${one.id}/retry`, { key: tenant.apiKey });
    expect(done.status).toBe(409);
    // The admin's retry is in the tenant's audit trail.
    const audit = await (
      await t.call('GET', '/v1/audit?action=webhook.retried', { key: tenant.apiKey })
    ).json();
    expect(audit.events.map((e: { detail: string }) => e.detail)).toEqual([two.id]);
  });

  it("pages, and another tenant's deliveries are neither listed nor retried", async () => {
    status = 500;
    const a = await t.tenant({ webhookUrl: receiver.url });
    const b = await t.tenant({ webhookUrl: receiver.url });
    for (let i = 0; i < 5; i++) await (await t.services.outbox()).emit(a.id, 'connection.updated', {});
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(
        a.apiKey,
        `/v1/webhooks/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.deliveries.length).toBeLessThanOrEqual(2);
      seen.push(...page.deliveries.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(5);
    expect((await list(b.apiKey, '/v1/webhooks/deliveries')).deliveries).toEqual([]);
    await (await t.services.outbox()).drain();
    await dayLater().drain();
    const failed = (await list(a.apiKey, '/v1/webhooks/deliveries?status=failed')).deliveries;
    expect(failed.length).toBeGreaterThan(0);
    const foreign = await t.call('POST', `/v1/webhooks/deliveries/${failed[0].id}/retry`, { key: b.apiKey });
    expect(foreign.status).toBe(404);
    const first = await list(a.apiKey, '/v1/webhooks/deliveries?limit=1');
    const stolen = await t.call('GET', `/v1/webhooks/deliveries?cursor=${first.nextCursor}`, {
      key: b.apiKey,
    });
    expect(stolen.status).toBe(400);
    for (const q of ['status=lost', 'event=nope', 'limit=0', 'foo=1']) {
      const res = await t.call('GET', `/v1/webhooks/deliveries?${q}`, { key: a.apiKey });
      expect(res.status, q).toBe(400);
    }
    const admin404 = await t.call('GET', '/v1/tenants/ten_zzzzzzzzzzzzzzzz/webhooks/deliveries', {
      key: ADMIN_KEY,
    });
    expect(admin404.status).toBe(404);
  });
});
