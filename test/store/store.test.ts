import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Audit } from '../../lib/audit/index.js';
import { startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { ConditionFailed, Db, decodeCursor, encodeCursor } from '../../lib/store/db.js';
import { ensureTable } from '../../lib/store/table.js';
import { Tenants } from '../../lib/tenants/index.js';
import { localKeyWrapper, Vault } from '../../lib/vault/index.js';
import { hasJava, startDynamoDbLocal } from '../helpers/dynamodb-local.js';

type Backend = { name: string; start: () => Promise<{ endpoint: string; close(): Promise<void> }> };
const backends: Backend[] = [{ name: 'embedded dynalite', start: () => startEmbeddedDynamo() }];
if (hasJava()) backends.push({ name: 'AWS DynamoDB Local (java)', start: startDynamoDbLocal });
else
  console.warn('store suite: no `java` on this machine, so the DynamoDB Local run is skipped (CI has java).');

for (const backend of backends) {
  describe(`store on ${backend.name}`, () => {
    let server: { endpoint: string; close(): Promise<void> };
    let db: Db;
    beforeAll(async () => {
      server = await backend.start();
      db = new Db({ tableName: `store-${randomBytes(4).toString('hex')}`, endpoint: server.endpoint });
      await ensureTable(db.client, db.tableName);
      await ensureTable(db.client, db.tableName); // idempotent
    }, 90_000);
    afterAll(async () => {
      db?.client.destroy();
      await server?.close();
    });

    it('puts once with ifNotExists', async () => {
      await db.put({ pk: 'A', sk: '1', v: 1 }, { ifNotExists: true });
      await expect(db.put({ pk: 'A', sk: '1', v: 2 }, { ifNotExists: true })).rejects.toBeInstanceOf(
        ConditionFailed,
      );
      expect((await db.get('A', '1'))?.v).toBe(1);
    });

    it('lets exactly one of many racing versioned updates win', async () => {
      await db.put({ pk: 'R', sk: '1', version: 1 });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          db.update(
            'R',
            '1',
            { version: 2, winner: i },
            { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': 1 } },
          ),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBe(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConditionFailed);
    });

    it('removes attributes set to undefined and keeps binary values', async () => {
      const bytes = new Uint8Array(randomBytes(16));
      await db.put({ pk: 'U', sk: '1', a: 'x', b: 'y', bin: bytes });
      const after = await db.update('U', '1', { a: undefined, c: 3 });
      expect(after).toMatchObject({ b: 'y', c: 3 });
      expect('a' in after).toBe(false);
      expect(Buffer.from((await db.get('U', '1'))!.bin as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    });

    it('queries a partition by prefix, page by page, with cursors', async () => {
      for (let i = 0; i < 7; i++) await db.put({ pk: 'Q', sk: `ITEM#${i}`, n: i });
      await db.put({ pk: 'Q', sk: 'OTHER#1' });
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const start = decodeCursor(cursor, (pk) => pk === 'Q');
        expect(start).not.toBeNull();
        const page = await db.query({ pk: 'Q', skPrefix: 'ITEM#', limit: 3, startKey: start ?? undefined });
        seen.push(...page.items.map((i) => i.n as number));
        cursor = encodeCursor(page.lastKey);
      } while (cursor);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(decodeCursor(encodeCursor({ pk: 'OTHER', sk: 'x' }), (pk) => pk === 'Q')).toBeNull();
      expect(decodeCursor('%%%')).toBeNull();
    });

    it('queries the due index by time range', async () => {
      const t = (m: number) => new Date(Date.UTC(2030, 0, 1, 0, m)).toISOString();
      for (let m = 0; m < 5; m++)
        await db.put({ pk: `D${m}`, sk: 'C', gsi1pk: 'DUE#0', gsi1sk: `${t(m)}#ten#c${m}` });
      const out = [];
      for await (const item of db.queryAll({
        index: 'due',
        pkName: 'gsi1pk',
        pk: 'DUE#0',
        skName: 'gsi1sk',
        skBetween: ['0', `${t(2)}~`],
      }))
        out.push(item);
      expect(out.map((i) => i.gsi1sk)).toEqual([0, 1, 2].map((m) => `${t(m)}#ten#c${m}`));
    });

    it('deletes many items in batches', async () => {
      const keys = Array.from({ length: 60 }, (_, i) => ({ pk: 'M', sk: `K#${String(i).padStart(3, '0')}` }));
      for (const k of keys) await db.put(k);
      await db.deleteMany(keys);
      expect((await db.query({ pk: 'M' })).items).toEqual([]);
    });

    it('stores tenants, keys and apps through the domain layer', async () => {
      const vault = new Vault({
        wrapper: localKeyWrapper(randomBytes(32)),
        loadWrappedKey: async (id) =>
          (await db.get(`TENANT#${id}`, 'META'))?.wrappedKey as Uint8Array | undefined,
      });
      // A clock that ticks a second a reading, so the trail's order is the order of the writes.
      let clock = Date.now();
      const audit = new Audit(db, () => {
        clock += 1000;
        return new Date(clock);
      });
      const tenants = new Tenants({ db, vault, audit });
      const { tenant, apiKey } = await tenants.create(
        { name: 'Store Co', returnUrls: ['https://a.test/'] },
        'test',
      );
      expect(await tenants.authenticate(apiKey)).toMatchObject({ tenantId: tenant.id });
      expect(await tenants.authenticate(`${apiKey}x`)).toBeUndefined();
      await tenants.setApp(tenant.id, 'dropbox', { clientId: 'cid', clientSecret: 'shh' }, 'test');
      expect((await tenants.getApp(tenant.id, 'dropbox'))?.clientSecret).toBe('shh');
      const patched = await tenants.patch(tenant.id, { name: 'Store Co 2' }, 'test');
      expect(patched.name).toBe('Store Co 2');
      // The tenant's own writes are in its trail once each, by whoever made them.
      const trail = await audit.list(tenant.id, { limit: 10 });
      expect(trail.events.map((e) => [e.actor, e.action])).toEqual([
        ['test', 'tenant.updated'],
        ['test', 'app.dropbox.set'],
        ['test', 'tenant.created'],
      ]);
      // Paging, on a trail of its own.
      const other = 'ten_auditpaging0000';
      for (let i = 0; i < 3; i++)
        await audit.record({ actor: 'test', action: `a${i}`, tenantId: other, outcome: 'success' });
      const page = await audit.list(other, { limit: 2 });
      expect(page.events.map((e) => e.action)).toEqual(['a2', 'a1']);
      const rest = await audit.list(other, { limit: 2, cursor: page.nextCursor });
      expect(rest.events.map((e) => e.action)).toEqual(['a0']);
    });
  });
}
