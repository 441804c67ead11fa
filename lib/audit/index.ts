import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { type Db, decodeCursor, encodeCursor, type Item } from '../store/db.js';
import { type AuditRecord, auditItem, auditPk, readAudit } from '../store/items.js';

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

  /** Newest first. A cursor of another tenant's trail is refused. */
  async list(
    tenantId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ events: AuditEvent[]; nextCursor?: string }> {
    const start = decodeCursor(cursor, (pk) => pk === auditPk(tenantId));
    if (start === null) throw invalidRequest('The cursor is not valid.');
    const page = await this.db.query({ pk: auditPk(tenantId), limit, startKey: start, reverse: true });
    return { events: page.items.map(toEvent), nextCursor: encodeCursor(page.lastKey) };
  }
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
