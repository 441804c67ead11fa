import * as z from 'zod/mini';
import { CursorQuery, doc, LimitQuery, lazySchema, named, PathId } from './schemas.js';

/**
 * The shared schemas only route families loaded on first use read (lib/http/routes/families.ts:
 * tenants, connect, audit, stats, webhooks): apart from schemas.ts, whose schemas the routes a
 * cold start serves use, so that a cold start does not compile these. Built on first use, like
 * every schema (see {@link lazySchema}).
 */

// The example time of the documents, as in schemas.ts.
const at = '2026-12-01T09:30:00.000Z';

const httpUrl = lazySchema(() =>
  z.string().check(
    z.maxLength(2048),
    z.refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
      } catch {
        return false;
      }
    }, 'must be an absolute http(s) URL without credentials'),
  ),
);

export const ReturnUrlSchema = lazySchema(() =>
  doc(httpUrl(), { example: 'https://app.example.com/integrations' }),
);
export const WebhookUrlSchema = lazySchema(() =>
  doc(httpUrl(), { example: 'https://app.example.com/hooks/portico' }),
);

/** A tenant revocation's progress (docs/api.md, "Additions"). */
export const RevocationSchema = lazySchema(() =>
  named(
    z.object({
      total: z.number(),
      revoked: z.number(),
      failed: z.number(),
      pending: z.number(),
      startedAt: z.string(),
      finishedAt: z.optional(z.string()),
    }),
    'Revocation',
    {
      description:
        "A tenant revocation's progress: grants revoked, given up (`failed`) and still to do (`pending`).",
    },
  ),
);

export const TenantSchema = lazySchema(() =>
  named(
    z.object({
      id: doc(z.string(), { example: 'ten_8x2k4m9q1w3e5r7t' }),
      name: z.string(),
      status: z.enum(['active', 'revoking', 'revoked']),
      revocation: doc(z.optional(RevocationSchema()), {
        description: 'Once a revocation began: its progress (`pending` grants are still to be revoked).',
      }),
      returnUrls: z.array(z.string()),
      webhookUrl: z.optional(z.string()),
      requireConfirmation: doc(z.boolean(), {
        description:
          "New browser connections stay `pending` (never served or refreshed) until the tenant's backend confirms them with the flow's `connectCode` (`POST /v1/connect-sessions/{id}/confirm`). Recommended: it closes connect-link phishing.",
      }),
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
    'Tenant',
    {
      description: 'A customer of this Portico: its keys, apps, connections and webhook.',
      example: {
        id: 'ten_8x2k4m9q1w3e5r7t',
        name: 'Acme',
        status: 'active',
        returnUrls: ['https://app.example.com/integrations'],
        webhookUrl: 'https://app.example.com/hooks/portico',
        requireConfirmation: true,
        createdAt: at,
        updatedAt: at,
      },
    },
  ),
);

export const PageQuery = lazySchema(() => z.object({ limit: LimitQuery(), cursor: CursorQuery() }));

/** An ISO-8601 time in a query (`since`, `until`). */
export const TimeQuery = lazySchema(() => z.optional(z.iso.datetime({ offset: true })));

/** Filters and paging of an audit trail (a tenant's own, or an admin's view of one tenant). */
export const AuditListQuery = lazySchema(() =>
  z.object({
    connectionId: z.optional(PathId()),
    action: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
    outcome: z.optional(z.enum(['success', 'failure'])),
    since: doc(TimeQuery(), { description: 'ISO-8601, inclusive' }),
    until: doc(TimeQuery(), { description: 'ISO-8601, inclusive' }),
    limit: LimitQuery(),
    cursor: CursorQuery(),
  }),
);
