import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Audit } from '../../lib/audit/index.js';
import type { Db } from '../../lib/store/db.js';
import { Tenants } from '../../lib/tenants/index.js';
import { localKeyWrapper, Vault } from '../../lib/vault/index.js';
import { closeEmbeddedDynamo, freshDb } from '../helpers/dynamo.js';

afterAll(closeEmbeddedDynamo);

const cacheMs = 1000;

/** Two processes' worth of Tenants over one table, each with its own key-check cache and a shared fake clock. */
async function twoProcesses() {
  const db = await freshDb();
  let now = Date.now();
  const vault = new Vault({
    wrapper: localKeyWrapper(randomBytes(32)),
    loadWrappedKey: async (id) =>
      (await db.get(`TENANT#${id}`, 'META'))?.wrappedKey as Uint8Array | undefined,
  });
  // Counts the key lookups each process makes, to show which checks were reused.
  // `hold` keeps the next key lookup's answer back until it is resolved (a slow read).
  const counted = (lookups: { n: number; hold?: Promise<void> }): Db =>
    new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === 'get')
          return async (pk: string, sk: string, consistent?: boolean) => {
            if (!pk.startsWith('APIKEY#')) return target.get(pk, sk, consistent);
            lookups.n++;
            const hold = lookups.hold;
            lookups.hold = undefined;
            const item = await target.get(pk, sk, consistent);
            await hold;
            return item;
          };
        return Reflect.get(target, prop, receiver);
      },
    });
  const make = () => {
    const lookups: { n: number; hold?: Promise<void> } = { n: 0 };
    const tenants = new Tenants({
      db: counted(lookups),
      vault,
      audit: new Audit(db),
      now: () => new Date(now),
      keyCacheMs: cacheMs,
    });
    return { tenants, lookups };
  };
  return {
    a: make(),
    b: make(),
    tick: (ms: number) => {
      now += ms;
    },
  };
}

describe('API-key checks reused for CONNECTION_CACHE_MS', () => {
  it('reuses a successful check, never a failed one: a new key works at once', async () => {
    const { a } = await twoProcesses();
    const { tenant, apiKey } = await a.tenants.create({ name: 'Keys' }, 'test');
    const before = a.lookups.n;
    for (let i = 0; i < 5; i++)
      expect(await a.tenants.authenticate(apiKey)).toMatchObject({ tenantId: tenant.id });
    expect(a.lookups.n - before).toBe(1);
    // An unknown key is looked up every time, so a key created meanwhile is never refused from memory.
    const unknown = `ptk_${randomBytes(24).toString('base64url')}`;
    const seen = a.lookups.n;
    expect(await a.tenants.authenticate(unknown)).toBeUndefined();
    expect(await a.tenants.authenticate(unknown)).toBeUndefined();
    expect(a.lookups.n - seen).toBe(2);
  });

  it('concurrent checks of one key share one read', async () => {
    const { a, tick } = await twoProcesses();
    const { apiKey } = await a.tenants.create({ name: 'Keys' }, 'test');
    tick(cacheMs);
    const before = a.lookups.n;
    const all = await Promise.all(Array.from({ length: 20 }, () => a.tenants.authenticate(apiKey)));
    expect(all.every((p) => p !== undefined)).toBe(true);
    expect(a.lookups.n - before).toBe(1);
  });

  it('a key deleted through this process stops here at once', async () => {
    const { a } = await twoProcesses();
    const { tenant } = await a.tenants.create({ name: 'Keys' }, 'test');
    const key = await a.tenants.createApiKey(tenant.id, 'test');
    expect(await a.tenants.authenticate(key.apiKey)).toBeDefined();
    await a.tenants.deleteApiKey(tenant.id, key.id, 'test');
    expect(await a.tenants.authenticate(key.apiKey)).toBeUndefined();
  });

  it('a key deleted through another process stops within CONNECTION_CACHE_MS, and not before its check expires', async () => {
    const { a, b, tick } = await twoProcesses();
    const { tenant } = await a.tenants.create({ name: 'Keys' }, 'test');
    const key = await a.tenants.createApiKey(tenant.id, 'test');
    expect(await b.tenants.authenticate(key.apiKey)).toBeDefined();
    await a.tenants.deleteApiKey(tenant.id, key.id, 'test');
    // Process b still holds its check from a moment ago: the documented window.
    tick(cacheMs - 1);
    expect(await b.tenants.authenticate(key.apiKey)).toBeDefined();
    tick(1);
    expect(await b.tenants.authenticate(key.apiKey)).toBeUndefined();
  });

  it('a check that was reading the store while the key was deleted is not kept', async () => {
    const { a } = await twoProcesses();
    const { tenant } = await a.tenants.create({ name: 'Keys' }, 'test');
    const key = await a.tenants.createApiKey(tenant.id, 'test');
    // The check reads the key's item, then the delete lands before the check's answer is kept.
    let release = () => {};
    a.lookups.hold = new Promise<void>((r) => {
      release = r;
    });
    const racing = a.tenants.authenticate(key.apiKey);
    await a.tenants.deleteApiKey(tenant.id, key.id, 'test');
    release();
    // The slow check answers what it read (the key existed then), but keeps nothing.
    expect(await racing).toBeDefined();
    expect(await a.tenants.authenticate(key.apiKey)).toBeUndefined();
  });

  it("a tenant leaving active stops its keys' reused checks at once", async () => {
    const { a } = await twoProcesses();
    const { tenant, apiKey } = await a.tenants.create({ name: 'Keys' }, 'test');
    expect(await a.tenants.authenticate(apiKey)).toBeDefined();
    await a.tenants.updateTenant(tenant.id, { status: 'revoking' });
    // The lookup item still exists (revocation deletes it next), but the reused check is gone
    // and a fresh one is not kept.
    const before = a.lookups.n;
    await a.tenants.authenticate(apiKey);
    await a.tenants.authenticate(apiKey);
    expect(a.lookups.n - before).toBe(2);
  });

  it('reuses nothing with a cache time of 0', async () => {
    const db = await freshDb();
    const vault = new Vault({
      wrapper: localKeyWrapper(randomBytes(32)),
      loadWrappedKey: async (id) =>
        (await db.get(`TENANT#${id}`, 'META'))?.wrappedKey as Uint8Array | undefined,
    });
    const tenants = new Tenants({ db, vault, audit: new Audit(db), keyCacheMs: 0 });
    const { tenant, apiKey } = await tenants.create({ name: 'Keys' }, 'test');
    const other = new Tenants({ db, vault, audit: new Audit(db), keyCacheMs: 0 });
    expect(await tenants.authenticate(apiKey)).toBeDefined();
    const key = (await other.createApiKey(tenant.id, 'test')).apiKey;
    expect(await tenants.authenticate(key)).toBeDefined();
    await other.deleteApiKey(tenant.id, (await other.authenticate(key))!.keyId, 'test');
    expect(await tenants.authenticate(key)).toBeUndefined();
  });
});
