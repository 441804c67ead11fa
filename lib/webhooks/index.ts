import { randomBytes } from 'node:crypto';
import type { Connection, EventSink, EventType } from '../connections/index.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import { ConditionFailed, type Db } from '../store/db.js';
import {
  deadOutboxPk,
  outboxDue,
  outboxItem,
  outboxPk,
  outboxSk,
  readOutbox,
  type StoredOutboxEvent,
} from '../store/items.js';
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
        const outcome = await this.deliver(item);
        if (outcome === 'delivered') {
          await this.o.db.delete(item.pk, item.sk);
          await this.afterLast(item);
          result.delivered++;
          return;
        }
        const attempts = item.attempts + 1;
        if (outcome === 'drop' || now - item.firstAt > giveUpAfterMs) {
          await this.o.db.put(
            outboxItem({ ...item, pk: deadOutboxPk(item.tenantId), attempts, claimedUntil: undefined }),
          );
          await this.o.db.delete(item.pk, item.sk);
          await this.afterLast(item);
          result.dead++;
          return;
        }
        // Re-schedule: the new item first, then the old one goes (a crash in between delivers twice, never zero times).
        const at = now + nextDelayMs(attempts) * (0.8 + Math.random() * 0.4);
        await this.o.db.put(
          outboxItem({ ...item, sk: outboxSk(Math.round(at), item.id), attempts, claimedUntil: undefined }),
        );
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

  private async deliver(item: StoredOutboxEvent): Promise<'delivered' | 'retry' | 'drop'> {
    const { tenantId } = item;
    const tenant = await this.o.tenants.get(tenantId);
    const url = tenant?.webhookUrl;
    const secret = await this.o.tenants.webhookSecret(tenantId).catch(() => undefined);
    if (!url || !secret) return 'drop';
    let pinned: string[] | undefined;
    try {
      pinned = await assertDeliverable(url, { allowPrivate: this.o.allowPrivate, resolve: this.o.resolve });
    } catch (err) {
      if (err instanceof UnsafeWebhookUrl) {
        this.o.log.warn('webhook refused', { tenantId, reason: err.message });
        return 'drop';
      }
      return 'retry';
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
      if (status >= 200 && status < 300) return 'delivered';
      this.o.log.info('webhook not accepted', { tenantId, status, attempt: item.attempts + 1 });
      return 'retry';
    } catch (err) {
      this.o.log.info('webhook delivery failed', { tenantId, error: (err as Error).name });
      return 'retry';
    }
  }

  /** Dead-lettered events of a tenant (for operators). */
  async dead(tenantId: string): Promise<StoredOutboxEvent[]> {
    return (await this.o.db.query({ pk: deadOutboxPk(tenantId) })).items.map(readOutbox);
  }
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
