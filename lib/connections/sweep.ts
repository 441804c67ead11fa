import { codeOf, VaultError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { type ConnectionRecord, dueIndexPk, readDueEntry } from '../store/items.js';
import { dueShards, keys } from '../store/table.js';
import { sweepLeadMs } from './model.js';

export interface SweepResult {
  /** Index items read (grows with the due count, not the table). */
  read: number;
  refreshed: number;
  failed: number;
}

/** What a sweep needs: the table's due index, the connections, a log. */
export interface SweepDeps {
  db: Db;
  connections: {
    getItem(tenantId: string, id: string): Promise<ConnectionRecord>;
    accessToken(
      tenantId: string,
      id: string,
      options: { force: true; item: ConnectionRecord },
    ): Promise<unknown>;
  };
  log: Logger;
}

/**
 * Refreshes connections whose access tokens expire within the sweep's lead time, found through
 * the sharded due-refresh index (`DUE#<shard>`, sorted by due time), so the items read grow with
 * the number due, not with the table. Each refresh takes the same lease as on-demand refreshes,
 * so a sweep racing a request still makes one provider call.
 */
export async function sweepDueConnections(
  deps: SweepDeps,
  options: { now?: Date; maxItems?: number; concurrency?: number } = {},
): Promise<SweepResult> {
  const now = options.now ?? new Date();
  const maxItems = options.maxItems ?? 5000;
  const concurrency = options.concurrency ?? 8;
  // Index keys hold the due time (expiry minus the lead), so everything due up to now is ripe.
  const upTo = `${now.toISOString()}~`;
  const result: SweepResult = { read: 0, refreshed: 0, failed: 0 };
  const due: Array<{ tenantId: string; id: string }> = [];
  for (let shard = 0; shard < dueShards && due.length < maxItems; shard++) {
    for await (const item of deps.db.queryAll({
      index: keys.dueIndex,
      pkName: 'gsi1pk',
      pk: dueIndexPk(shard),
      skName: 'gsi1sk',
      skBetween: ['0', upTo],
      limit: Math.min(500, maxItems),
    })) {
      result.read++;
      const entry = readDueEntry(item);
      if (entry) due.push(entry);
      if (due.length >= maxItems) break;
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const { tenantId, id } = due[next++];
      try {
        const item = await deps.connections.getItem(tenantId, id);
        const expiresAt = item.expiresAt ? Date.parse(item.expiresAt) : 0;
        // Someone refreshed it since the index was read.
        if (expiresAt - now.getTime() > sweepLeadMs) continue;
        await deps.connections.accessToken(tenantId, id, { force: true, item });
        result.refreshed++;
      } catch (err) {
        // A revoking tenant's key has left every route's reach: its revocation job handles the grant.
        if (err instanceof VaultError) {
          deps.log.debug('sweep skipped a grant that no longer opens', { tenantId, connectionId: id });
          continue;
        }
        result.failed++;
        deps.log.warn('sweep refresh failed', {
          tenantId,
          connectionId: id,
          code: codeOf(err),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  deps.log.info('sweep done', { ...result });
  return result;
}
