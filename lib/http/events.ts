import * as z from 'zod/mini';
import type { EventType } from '../connections/events.js';
import type { WebhookSpec } from './openapi.js';
import { ConnectionSchema, doc, named } from './schemas.js';

/**
 * The webhook events as the OpenAPI document's `webhooks` section lists them: every
 * {@link EventType} (the `satisfies` makes a new one fail to compile until it is documented here),
 * its payload, and the Standard Webhooks headers each delivery carries (lib/webhooks).
 */

const at = '2026-12-01T09:30:00.000Z';
const Timestamp = doc(z.string(), { description: 'When the event happened (ISO-8601)', example: at });

function connectionEvent(type: EventType, id: string, description: string) {
  return named(
    z.object({
      type: z.literal(type),
      timestamp: Timestamp,
      data: z.object({ tenantId: z.string(), connection: ConnectionSchema() }),
    }),
    id,
    { description },
  );
}

const events = {
  'connection.created': {
    operationId: 'connectionCreated',
    summary: 'A connection was created (a completed flow, a headless exchange or an import)',
    payload: connectionEvent('connection.created', 'ConnectionCreatedEvent', 'A new connection.'),
  },
  'connection.updated': {
    operationId: 'connectionUpdated',
    summary: 'A connection was updated (the same end user connected the same account again)',
    payload: connectionEvent('connection.updated', 'ConnectionUpdatedEvent', 'A connection connected again.'),
  },
  'connection.needs_reauth': {
    operationId: 'connectionNeedsReauth',
    summary: 'A grant is dead: the end user must connect again',
    payload: connectionEvent(
      'connection.needs_reauth',
      'ConnectionNeedsReauthEvent',
      'The provider refused the refresh token (`invalid_grant`).',
    ),
  },
  'connection.deleted': {
    operationId: 'connectionDeleted',
    summary: 'A connection was deleted (and revoked at the provider)',
    payload: connectionEvent('connection.deleted', 'ConnectionDeletedEvent', 'A deleted connection.'),
  },
  'connection.refresh_failed': {
    operationId: 'connectionRefreshFailed',
    summary: 'A refresh failed for a transient reason (the grant is kept; Portico retries)',
    payload: connectionEvent(
      'connection.refresh_failed',
      'ConnectionRefreshFailedEvent',
      'A failed refresh; the connection carries `lastError` and `refreshFailures`.',
    ),
  },
  'connection.recovered': {
    operationId: 'connectionRecovered',
    summary: 'A connection refreshed again after failures',
    payload: connectionEvent('connection.recovered', 'ConnectionRecoveredEvent', 'A recovered connection.'),
  },
  'tenant.revoked': {
    operationId: 'tenantRevoked',
    summary: 'The tenant was revoked',
    payload: named(
      z.object({
        type: z.literal('tenant.revoked'),
        timestamp: Timestamp,
        data: z.object({
          tenantId: z.string(),
          connections: doc(z.optional(z.object({ revoked: z.number(), failed: z.number() })), {
            description:
              'The final counts: grants revoked at their provider, and grants given up after 24 hours of retries (`GET /v1/tenants/{tenantId}/revocation/failures`)',
          }),
        }),
      }),
      'TenantRevokedEvent',
      {
        description: 'The last event a revoked tenant receives, once every grant is revoked or given up.',
      },
    ),
  },
} satisfies Record<EventType, Omit<WebhookSpec, 'event'>>;

export const webhookSpecs: WebhookSpec[] = Object.entries(events).map(([event, spec]) => ({
  event,
  ...spec,
}));

/** https://www.standardwebhooks.com/ headers, as lib/webhooks sends them. */
export const webhookHeaders = [
  {
    name: 'webhook-id',
    description: 'The message id (the same on every retry of one event: use it to deduplicate)',
    example: 'msg_2ZRrCbl1hKbJ2pWq',
  },
  {
    name: 'webhook-timestamp',
    description: 'Seconds since the epoch when this attempt was signed; refuse ones far from now',
    example: '1796117400',
  },
  {
    name: 'webhook-signature',
    description:
      'Space-separated `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` under the tenant\'s webhook secret (`whsec_…`)',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  },
];
