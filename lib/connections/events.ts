import type { Connection } from './model.js';

export type EventType =
  | 'connection.created'
  | 'connection.updated'
  | 'connection.needs_reauth'
  | 'connection.deleted'
  /** A transient refresh failure persisted past `refreshFailedAfter` consecutive attempts. */
  | 'connection.refresh_failed'
  /** A refresh succeeded after `connection.refresh_failed`. */
  | 'connection.recovered'
  | 'tenant.revoked';

/** Where connection events go (the webhook outbox). Emitting never blocks on delivery. */
export interface EventSink {
  emit(
    tenantId: string,
    type: EventType,
    data: {
      connection?: Connection;
      tenantId?: string;
      /** `tenant.revoked`: the final counts of the revocation. */
      connections?: { revoked: number; failed: number };
    },
  ): Promise<void>;
}

export const noEvents: EventSink = { emit: async () => {} };
