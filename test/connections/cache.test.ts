import { describe, expect, it } from 'vitest';
import { RecentConnections } from '../../lib/connections/cache.js';
import type { ConnectionRecord } from '../../lib/store/items.js';

const now = Date.parse('2026-12-01T09:00:00Z');
const record = (version: number, expiresInMs = 3600_000): ConnectionRecord => ({
  id: 'conn_1',
  tenantId: 'ten_1',
  provider: 'hubspot',
  endUserId: 'u',
  authScheme: 'oauth2',
  status: 'active',
  accountId: 'a',
  expiresAt: new Date(now + expiresInMs).toISOString(),
  credentials: 'sealed',
  createdAt: new Date(now).toISOString(),
  updatedAt: new Date(now).toISOString(),
  version,
});

/** A store read that answers when told to, counting reads. */
function slowStore() {
  let version = 1;
  const reads: Array<() => void> = [];
  return {
    reads,
    write: () => {
      version++;
    },
    load: () =>
      new Promise<ConnectionRecord>((resolve) => {
        const v = version;
        reads.push(() => resolve(record(v)));
      }),
  };
}

describe('hot-path connection reads', () => {
  it('callers that ask while a read is under way share it: a burst is one read', async () => {
    const cache = new RecentConnections(1000, () => now);
    const store = slowStore();
    const burst = Array.from({ length: 50 }, () => cache.read('ten_1', 'conn_1', store.load));
    expect(store.reads).toHaveLength(1);
    store.reads[0]();
    const got = await Promise.all(burst);
    expect(new Set(got.map((r) => r.version))).toEqual(new Set([1]));
    // Kept for the cache's time: the next caller reads nothing.
    await cache.read('ten_1', 'conn_1', store.load);
    expect(store.reads).toHaveLength(1);
  });

  it("a write of this process detaches the read under way: later callers read again, and the older read isn't kept", async () => {
    const cache = new RecentConnections(1000, () => now);
    const store = slowStore();
    const before = cache.read('ten_1', 'conn_1', store.load);
    store.write();
    cache.forget('ten_1', 'conn_1');
    const after = cache.read('ten_1', 'conn_1', store.load);
    expect(store.reads).toHaveLength(2);
    store.reads[0]();
    store.reads[1]();
    expect((await before).version).toBe(1);
    expect((await after).version).toBe(2);
    expect((await cache.read('ten_1', 'conn_1', store.load)).version).toBe(2);
  });

  it('shares nothing with a cache time of 0', async () => {
    const cache = new RecentConnections(0, () => now);
    const store = slowStore();
    const both = [cache.read('ten_1', 'conn_1', store.load), cache.read('ten_1', 'conn_1', store.load)];
    expect(store.reads).toHaveLength(2);
    for (const r of store.reads) r();
    await Promise.all(both);
  });

  it('shares a read of a token due for refresh, but never keeps it', async () => {
    const cache = new RecentConnections(1000, () => now);
    let reads = 0;
    const load = async () => {
      reads++;
      return record(1, 60_000);
    };
    await Promise.all([cache.read('ten_1', 'conn_1', load), cache.read('ten_1', 'conn_1', load)]);
    expect(reads).toBe(1);
    await cache.read('ten_1', 'conn_1', load);
    expect(reads).toBe(2);
  });
});
