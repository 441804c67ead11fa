import type { Services } from '../services.js';
import { dueShards, keys } from '../store/table.js';
import { sweepLeadMs } from './index.js';

export interface SweepResult {
  /** Index items read (grows with the due count, not the table). */
  read: number;
  refreshed: number;
  failed: number;
}

/**
 * Refreshes connections whose access tokens expire within the sweep's lead time, found through
 * the sharded due-refresh index (`DUE#<shard>`, sorted by due time), so the items read grow with
 * the number due, not with the table. Each refresh takes the same lease as on-demand refreshes,
 * so a sweep racing a request still makes one provider call.
 */
export async function sweepDueConnections(
  services: Services,
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
    for await (const item of services.db.queryAll({
      index: keys.dueIndex,
      pkName: 'gsi1pk',
      pk: `DUE#${shard}`,
      skName: 'gsi1sk',
      skBetween: ['0', upTo],
      limit: Math.min(500, maxItems),
    })) {
      result.read++;
      const [, tenantId, id] = String(item.gsi1sk).split('#');
      if (tenantId && id) due.push({ tenantId, id });
      if (due.length >= maxItems) break;
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const { tenantId, id } = due[next++];
      try {
        const item = await services.connections.getItem(tenantId, id);
        const expiresAt = item.expiresAt ? Date.parse(item.expiresAt as string) : 0;
        // Someone refreshed it since the index was read.
        if (expiresAt - now.getTime() > sweepLeadMs) continue;
        await services.connections.accessToken(tenantId, id, { force: true, item });
        result.refreshed++;
      } catch (err) {
        result.failed++;
        services.log.warn('sweep refresh failed', {
          tenantId,
          connectionId: id,
          code: (err as { code?: string }).code,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  services.log.info('sweep done', { ...result });
  return result;
}
