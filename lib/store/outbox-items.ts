import type { Item } from './db.js';
import { fields } from './fields.js';
import { type Key, keyOf } from './items.js';

/**
 * The webhook outbox's items (docs/design.md, "Storage"), apart from lib/store/items.ts so that a
 * cold start does not load them. Attribute names and key shapes are the stored format.
 */

// ---- outbox event (pending: OUTBOX#<shard> / <due ms, padded>#<id>; failed: OUTBOX_DEAD#<tid> / <id>;
//      delivered: OUTBOX_DONE#<tid> / <id>) -------------------------------------------------

export const outboxPk = (shard: number) => `OUTBOX#${shard}`;
export const deadOutboxPk = (tenantId: string) => `OUTBOX_DEAD#${tenantId}`;
export const deliveredOutboxPk = (tenantId: string) => `OUTBOX_DONE#${tenantId}`;
/** Sort keys order by due time: milliseconds padded to 15 digits. */
export const outboxSk = (dueMs: number, id: string) => `${outboxDue(dueMs)}#${id}`;
export const outboxDue = (ms: number) => String(ms).padStart(15, '0');

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export const deliveriesByStatusPk = (tenantId: string, status: DeliveryStatus) =>
  `DELIVS#${tenantId}#${status}`;
export const deliveriesPk = (tenantId: string) => `DELIV#${tenantId}`;
export const deliveriesByEventPk = (tenantId: string, event: string) => `DELIVE#${tenantId}#${event}`;

export type OutboxRecord = {
  id: string;
  tenantId: string;
  eventType: string;
  /** The JSON body, exactly as signed and sent. */
  payload: string;
  attempts: number;
  /** Epoch milliseconds the delivery window (a day of retries) started: creation, or the last re-queue. */
  firstAt: number;
  /** Epoch milliseconds until which one drainer holds this attempt. */
  claimedUntil?: number;
  status?: DeliveryStatus;
  /** When the event was made (ISO-8601); older items lack it and show `firstAt`. */
  createdAt?: string;
  /** The receiver's HTTP status of the last attempt (absent when it could not be reached). */
  lastStatus?: number;
  lastAttemptAt?: string;
  /** Why the last attempt failed, in a word (`timeout`, `refused_url`, `http_500`, …). */
  lastError?: string;
  /** Epoch seconds (delivered events are kept 30 days). */
  ttl?: number;
};

/** An outbox event as stored: where it is (its key says when it is due) and what it is. */
export type StoredOutboxEvent = Key & OutboxRecord;

/** An outbox event, with its entries in the filter indexes (by status, all of the tenant's, by event). */
export function outboxItem(e: StoredOutboxEvent): Item {
  const status = e.status ?? 'pending';
  const created = e.createdAt ?? new Date(e.firstAt).toISOString();
  const sk = `${created}#${e.id}`;
  return {
    type: 'webhook',
    ...e,
    status,
    createdAt: created,
    gsi3pk: deliveriesByStatusPk(e.tenantId, status),
    gsi3sk: sk,
    gsi4pk: deliveriesPk(e.tenantId),
    gsi4sk: sk,
    gsi5pk: deliveriesByEventPk(e.tenantId, e.eventType),
    gsi5sk: sk,
  };
}

export function readOutbox(item: Item): StoredOutboxEvent {
  const f = fields(item, 'outbox event');
  return {
    ...keyOf(item),
    id: f.string('id'),
    tenantId: f.string('tenantId'),
    eventType: f.string('eventType'),
    payload: f.string('payload'),
    attempts: f.number('attempts'),
    firstAt: f.number('firstAt'),
    claimedUntil: f.optionalNumber('claimedUntil'),
    status: f.optionalOneOf('status', deliveryStatuses),
    createdAt: f.optionalString('createdAt'),
    lastStatus: f.optionalNumber('lastStatus'),
    lastAttemptAt: f.optionalString('lastAttemptAt'),
    lastError: f.optionalString('lastError'),
    ttl: f.optionalNumber('ttl'),
  };
}
