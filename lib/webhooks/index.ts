import { randomBytes } from 'node:crypto';
import type { Connection, EventSink, EventType } from '../connections/index.js';
import { conflict, invalidRequest, notFound } from '../errors.js';
import { isId, newId } from '../ids.js';
import type { Logger } from '../log.js';
import { ConditionFailed, type Db, decodeCursor, encodeCursor } from '../store/db.js';
import {
  type DeliveryStatus,
  deadOutboxPk,
  deliveredOutboxPk,
  deliveriesByEventPk,
  deliveriesByStatusPk,
  deliveriesPk,
  outboxDue,
  outboxItem,
  outboxPk,
  outboxSk,
  readOutbox,
  type StoredOutboxEvent,
} from '../store/outbox-items.js';
import { filterIndexAttributes, keys } from '../store/table.js';
import type { Tenants } from '../tenants/index.js';
import { postWebhook, signWebhook } from './deliver.js';
import { assertDeliverable, UnsafeWebhookUrl } from './ssrf.js';

const shards = 4;

/** Retry schedule: 5 s doubling up to 1 h a wait, for 24 hours, then the event is dead-lettered. */
export function nextDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}
const giveUpAfterMs = 24 * 3_600_000;

export interface OutboxOptions {
  db: Db;
  tenants: Tenants;
  log: Logger;
  /** Local mode: http and loopback receivers are allowed. */
  allowPrivate: boolean;
  now?: () => number;
  /** Per-delivery timeout. Default 5 s. */
  timeoutMs?: number;
  /** Wakes the local drain loop after an event is written. */
  onEnqueue?: () => void;
  resolve?: (host: string) => Promise<string[]>;
}

/**
 * Webhook delivery through a durable outbox in DynamoDB (Standard Webhooks signing). An event is
 * written before the API answers; delivery happens later (a local loop, or a scheduled Lambda),
 * at least once, retried with backoff for a day. A slow receiver never slows an API answer.
 */
export class Outbox implements EventSink {
  private readonly now: () => number;
  /** Set by a local drain loop: called after an event is written. */
  wake?: () => void;
  constructor(private readonly o: OutboxOptions) {
    this.now = o.now ?? Date.now;
  }

  async emit(
    tenantId: string,
    type: EventType,
    data: { connection?: Connection; tenantId?: string },
  ): Promise<void> {
    const tenant = await this.o.tenants.get(tenantId);
    if (!tenant?.webhookUrl) return;
    const id = newId('msg');
    const at = this.now();
    const payload = JSON.stringify({
      type,
      timestamp: new Date(at).toISOString(),
      data: { tenantId, ...data },
    });
    const shard = randomBytes(1)[0] % shards;
    await this.o.db.put(
      outboxItem({
        pk: outboxPk(shard),
        sk: outboxSk(at, id),
        id,
        tenantId,
        eventType: type,
        payload,
        attempts: 0,
        firstAt: at,
        status: 'pending',
        createdAt: new Date(at).toISOString(),
      }),
    );
    this.o.onEnqueue?.();
    this.wake?.();
  }

  /** Delivers every due event once (a pass). Answers how many were delivered, retried and dropped. */
  async drain(max = 200): Promise<{ delivered: number; retried: number; dead: number }> {
    const result = { delivered: 0, retried: 0, dead: 0 };
    const now = this.now();
    const due: StoredOutboxEvent[] = [];
    for (let s = 0; s < shards && due.length < max; s++) {
      const page = await this.o.db.query({
        pk: outboxPk(s),
        skBetween: ['0', `${outboxDue(now)}~`],
        limit: max - due.length,
      });
      due.push(...page.items.map(readOutbox));
    }
    await Promise.all(
      due.map(async (item) => {
        // Claim: only one drainer delivers a given attempt.
        try {
          await this.o.db.update(
            item.pk,
            item.sk,
            { claimedUntil: now + 30_000 },
            {
              expression:
                'attribute_exists(pk) AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)',
              values: { ':now': now },
            },
          );
        } catch (err) {
          if (err instanceof ConditionFailed) return;
          throw err;
        }
        const attempt = await this.deliver(item);
        const attempts = item.attempts + 1;
        const last = {
          attempts,
          claimedUntil: undefined,
          lastStatus: attempt.status,
          lastError: attempt.error,
          lastAttemptAt: new Date(now).toISOString(),
        };
        if (attempt.outcome === 'delivered') {
          // Kept a month under the tenant, so operators see what was delivered.
          await this.o.db.put(
            outboxItem({
              ...item,
              ...last,
              pk: deliveredOutboxPk(item.tenantId),
              sk: item.id,
              status: 'delivered',
              ttl: Math.floor(now / 1000) + keepDeliveredSeconds,
            }),
          );
          await this.o.db.delete(item.pk, item.sk);
          await this.afterLast(item);
          result.delivered++;
          return;
        }
        if (attempt.outcome === 'drop' || now - item.firstAt > giveUpAfterMs) {
          await this.o.db.put(
            outboxItem({ ...item, ...last, pk: deadOutboxPk(item.tenantId), sk: item.id, status: 'failed' }),
          );
          await this.o.db.delete(item.pk, item.sk);
          await this.afterLast(item);
          result.dead++;
          return;
        }
        // Re-schedule: the new item first, then the old one goes (a crash in between delivers twice, never zero times).
        const at = now + nextDelayMs(attempts) * (0.8 + Math.random() * 0.4);
        await this.o.db.put(outboxItem({ ...item, ...last, sk: outboxSk(Math.round(at), item.id) }));
        await this.o.db.delete(item.pk, item.sk);
        result.retried++;
      }),
    );
    return result;
  }

  /** A revoked tenant's last event is done with (delivered or dead-lettered): its secret goes too. */
  private async afterLast(item: StoredOutboxEvent): Promise<void> {
    if (item.eventType !== 'tenant.revoked') return;
    await this.o.tenants
      .forgetWebhookSecret(item.tenantId)
      .catch((err) => this.o.log.warn('webhook secret not deleted', { tenantId: item.tenantId, err }));
  }

  private async deliver(item: StoredOutboxEvent): Promise<Attempt> {
    const { tenantId } = item;
    const tenant = await this.o.tenants.get(tenantId);
    const url = tenant?.webhookUrl;
    const secret = await this.o.tenants.webhookSecret(tenantId).catch(() => undefined);
    if (!url) return { outcome: 'drop', error: 'no_webhook_url' };
    if (!secret) return { outcome: 'drop', error: 'no_webhook_secret' };
    let pinned: string[] | undefined;
    try {
      pinned = await assertDeliverable(url, { allowPrivate: this.o.allowPrivate, resolve: this.o.resolve });
    } catch (err) {
      if (err instanceof UnsafeWebhookUrl) {
        this.o.log.warn('webhook refused', { tenantId, reason: err.message });
        return { outcome: 'drop', error: 'refused_url' };
      }
      return { outcome: 'retry', error: 'dns_error' };
    }
    const { payload } = item;
    const timestamp = Math.floor(this.now() / 1000);
    try {
      const status = await postWebhook(
        url,
        {
          'content-type': 'application/json',
          'webhook-id': item.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, item.id, timestamp, payload),
          'user-agent': 'Portico-Webhooks/1',
        },
        payload,
        { pinned, timeoutMs: this.o.timeoutMs ?? 5000 },
      );
      if (status >= 200 && status < 300) return { outcome: 'delivered', status };
      this.o.log.info('webhook not accepted', { tenantId, status, attempt: item.attempts + 1 });
      return { outcome: 'retry', status, error: `http_${status}` };
    } catch (err) {
      const name = (err as Error).name;
      this.o.log.info('webhook delivery failed', { tenantId, error: name });
      return { outcome: 'retry', error: name === 'TimeoutError' ? 'timeout' : 'unreachable' };
    }
  }

  /** Dead-lettered events of a tenant (for operators). */
  async dead(tenantId: string): Promise<StoredOutboxEvent[]> {
    return (await this.o.db.query({ pk: deadOutboxPk(tenantId) })).items.map(readOutbox);
  }

  /**
   * A tenant's deliveries, newest first, from the filter indexes: by `status` (then `event`
   * narrows it), by `event`, or all; each page reads what it returns. Another tenant's cursor is refused.
   */
  async deliveries(
    tenantId: string,
    filter: { status?: DeliveryStatus; event?: string; limit: number; cursor?: string },
  ): Promise<{ deliveries: Delivery[]; nextCursor?: string }> {
    let start = decodeCursor(filter.cursor, (pk) => typeof pk === 'string');
    if (start === null || (start && start.tenantId !== undefined))
      throw invalidRequest('The cursor is not valid.');
    const [byStatus, all, byEvent] = keys.filterIndexes;
    const [sa, aa, ea] = filterIndexAttributes;
    const index = filter.status
      ? { index: byStatus, pkName: sa[0], pk: deliveriesByStatusPk(tenantId, filter.status) }
      : filter.event
        ? { index: byEvent, pkName: ea[0], pk: deliveriesByEventPk(tenantId, filter.event) }
        : { index: all, pkName: aa[0], pk: deliveriesPk(tenantId) };
    const narrow =
      filter.status && filter.event
        ? { expression: '#e = :e', names: { '#e': 'eventType' }, values: { ':e': filter.event } }
        : undefined;
    // The cursor must be of this very index partition (a cursor is the last key read).
    if (start && start[index.pkName] !== index.pk) throw invalidRequest('The cursor is not valid.');
    const out: Delivery[] = [];
    for (let round = 0; round < 50; round++) {
      const page = await this.o.db.query({
        ...index,
        reverse: true,
        filter: narrow,
        limit: filter.limit - out.length,
        startKey: start,
      });
      for (const item of page.items) out.push(toDelivery(readOutbox(item)));
      start = page.lastKey;
      if (!start || out.length >= filter.limit || !narrow) break;
    }
    return { deliveries: out, nextCursor: encodeCursor(start ?? undefined) };
  }

  /**
   * Re-queues a failed delivery of the tenant for delivery now, with a fresh day of retries.
   * Of two concurrent retries one wins (the other is a `conflict`); a delivery that is not failed is a `conflict` too.
   */
  async retry(tenantId: string, id: string): Promise<Delivery> {
    if (!isId(id, 'msg')) throw notFound('Delivery');
    const dead = await this.o.db.get(deadOutboxPk(tenantId), id);
    if (!dead) {
      const delivered = await this.o.db.get(deliveredOutboxPk(tenantId), id);
      if (delivered) throw conflict('This delivery succeeded; only failed deliveries can be retried.');
      throw notFound('Delivery');
    }
    const now = this.now();
    try {
      await this.o.db.update(
        deadOutboxPk(tenantId),
        id,
        { requeuedAt: now },
        {
          expression: 'attribute_exists(pk) AND (attribute_not_exists(requeuedAt) OR requeuedAt < :stale)',
          values: { ':stale': now - 60_000 },
        },
      );
    } catch (err) {
      if (err instanceof ConditionFailed) throw conflict('This delivery is being retried already.');
      throw err;
    }
    const item = readOutbox(dead);
    const shard = randomBytes(1)[0] % shards;
    const queued: StoredOutboxEvent = {
      ...item,
      pk: outboxPk(shard),
      sk: outboxSk(now, id),
      status: 'pending',
      firstAt: now,
      claimedUntil: undefined,
    };
    // The pending copy first, then the failed one goes: a crash in between leaves both, never neither.
    await this.o.db.put(outboxItem(queued));
    await this.o.db.delete(deadOutboxPk(tenantId), id);
    this.o.onEnqueue?.();
    this.wake?.();
    return toDelivery(queued);
  }
}

/** One attempt's result: what the receiver answered, or why it could not be reached. */
type Attempt = { outcome: 'delivered' | 'retry' | 'drop'; status?: number; error?: string };

/** Delivered events are listed for 30 days (DynamoDB's TTL then removes them). */
const keepDeliveredSeconds = 30 * 24 * 3600;

/** A webhook delivery as the API shows it: never its signature. */
export interface Delivery {
  id: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  /** When the next attempt is due (pending deliveries only). */
  nextAttemptAt: string | null;
  createdAt: string;
}

function toDelivery(e: StoredOutboxEvent): Delivery {
  const status = e.status ?? 'pending';
  const due = status === 'pending' ? Number(e.sk.split('#')[0]) : Number.NaN;
  return {
    id: e.id,
    event: e.eventType,
    status,
    attempts: e.attempts,
    lastStatusCode: e.lastStatus ?? null,
    lastError: e.lastError ?? null,
    lastAttemptAt: e.lastAttemptAt ?? null,
    nextAttemptAt: Number.isFinite(due) ? new Date(due).toISOString() : null,
    createdAt: e.createdAt ?? new Date(e.firstAt).toISOString(),
  };
}

/**
 * A local loop that drains the outbox every second, and at once after an event is written.
 * `stop()` resolves once a drain already running has finished (so the store can close after it).
 */
export function startDrainLoop(outbox: Outbox, log: Logger, intervalMs = 1000) {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = outbox
      .drain()
      .then(
        () => undefined,
        (err) => log.warn('outbox drain failed', { err }),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    wake: () => void setTimeout(tick, 0),
    /** Resolves when no drain is running any more. */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
