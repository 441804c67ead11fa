import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { type Db, decodeCursor, encodeCursor, type Item, type QueryOptions } from '../store/db.js';
import {
  type AuditRecord,
  auditByActionPk,
  auditByConnectionPk,
  auditByOutcomePk,
  auditItem,
  auditPk,
  readAudit,
} from '../store/items.js';
import { filterIndexAttributes, keys } from '../store/table.js';

/** An audit event as the API shows it: never a secret. */
export type AuditEvent = AuditRecord;

/** Audit events are kept a year; DynamoDB's TTL removes them after. */
const retentionSeconds = 366 * 24 * 3600;

/**
 * The audit trail: every admin action and every credential change, without secrets. Kept in its
 * own partition per tenant so it outlives the tenant's revocation.
 */
export class Audit {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores one event, stamped with its time and a fresh id; answers it. */
  async record(event: Omit<AuditEvent, 'id' | 'at'>): Promise<AuditEvent> {
    const at = this.now();
    const full: AuditEvent = { id: newId('evt'), at: at.toISOString(), ...event };
    await this.db.put(auditItem(full, Math.floor(at.getTime() / 1000) + retentionSeconds));
    return full;
  }

  /**
   * Newest first, filtered from an index: `connectionId` reads that connection's events, else
   * `action` that action's, else `outcome` that outcome's, else the tenant's trail; `since` and
   * `until` bound the same key range. A second filter narrows the first one's reads (a
   * DynamoDB filter expression). A cursor of another tenant's trail, or of another filter, is refused.
   */
  async list(tenantId: string, filter: AuditFilter): Promise<{ events: AuditEvent[]; nextCursor?: string }> {
    let start = decodeCursor(filter.cursor, (pk) => pk === auditPk(tenantId));
    if (start === null) throw invalidRequest('The cursor is not valid.');
    const query = auditQuery(tenantId, filter);
    const events: AuditEvent[] = [];
    for (let round = 0; round < 50; round++) {
      const page = await this.db.query({ ...query, limit: filter.limit - events.length, startKey: start });
      events.push(...page.items.map(toEvent));
      start = page.lastKey;
      if (!start || events.length >= filter.limit || !query.filter) break;
    }
    return { events, nextCursor: encodeCursor(start ?? undefined) };
  }
}

/** Filters and paging of an audit list. */
export interface AuditFilter {
  connectionId?: string;
  action?: string;
  outcome?: 'success' | 'failure';
  /** ISO-8601, inclusive. */
  since?: string;
  /** ISO-8601, inclusive. */
  until?: string;
  limit: number;
  cursor?: string;
}

function auditQuery(tenantId: string, f: AuditFilter): QueryOptions {
  const [byConnection, byAction, byOutcome] = keys.filterIndexes;
  const attrs = filterIndexAttributes;
  let query: QueryOptions;
  const rest: Array<[string, string]> = [];
  if (f.connectionId) {
    query = {
      index: byConnection,
      pkName: attrs[0][0],
      skName: attrs[0][1],
      pk: auditByConnectionPk(tenantId, f.connectionId),
    };
    if (f.action) rest.push(['action', f.action]);
    if (f.outcome) rest.push(['outcome', f.outcome]);
  } else if (f.action) {
    query = {
      index: byAction,
      pkName: attrs[1][0],
      skName: attrs[1][1],
      pk: auditByActionPk(tenantId, f.action),
    };
    if (f.outcome) rest.push(['outcome', f.outcome]);
  } else if (f.outcome) {
    query = {
      index: byOutcome,
      pkName: attrs[2][0],
      skName: attrs[2][1],
      pk: auditByOutcomePk(tenantId, f.outcome),
    };
  } else {
    query = { pk: auditPk(tenantId) };
  }
  // Stored times are UTC (`…Z`): a time with an offset is compared as the same instant.
  const utc = (t: string) => new Date(t).toISOString();
  if (f.since || f.until)
    query.skBetween = [f.since ? utc(f.since) : '0', `${f.until ? utc(f.until) : '9'}~`];
  if (rest.length) {
    query.filter = {
      expression: rest.map((_, i) => `#f${i} = :f${i}`).join(' AND '),
      names: Object.fromEntries(rest.map(([k], i) => [`#f${i}`, k])),
      values: Object.fromEntries(rest.map(([, v], i) => [`:f${i}`, v])),
    };
  }
  return { ...query, reverse: true };
}

function toEvent(item: Item): AuditEvent {
  const { id, at, actor, action, tenantId, connectionId, outcome, detail } = readAudit(item);
  return {
    id,
    at,
    actor,
    action,
    tenantId,
    ...(connectionId ? { connectionId } : {}),
    outcome,
    ...(detail ? { detail } : {}),
  };
}
