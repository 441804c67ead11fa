import { type ProviderName, providerNames } from '../config.js';
import type { Item } from './db.js';
import { fields } from './fields.js';
import { type Key, tenantPk } from './items.js';

/**
 * Tenant revocation's items (docs/design.md, "Storage"), apart from lib/store/items.ts so that a
 * cold start does not load them: the job, its failures and the session references it deletes.
 * Attribute names and key shapes are the stored format.
 */

// ---- tenant revocation job (TENANT#<tid> / REVOCATION; failures TENANT#<tid> / REVOKE_FAILED#<cid>) --

export const revocationKey = (tenantId: string): Key => ({ pk: tenantPk(tenantId), sk: 'REVOCATION' });
/** The `list` index partition of the jobs still running, so every worker finds them. */
export const runningRevocationsPk = 'REVOKING';
export const revokeFailedPrefix = 'REVOKE_FAILED#';
export const revokeFailedKey = (tenantId: string, connectionId: string): Key => ({
  pk: tenantPk(tenantId),
  sk: `${revokeFailedPrefix}${connectionId}`,
});
/** A connect session's entry in its tenant's partition, so revocation finds and deletes it. */
export const sessionRefPrefix = 'SESSION#';
export const sessionRefKey = (tenantId: string, sid: string): Key => ({
  pk: tenantPk(tenantId),
  sk: `${sessionRefPrefix}${sid}`,
});

/**
 * A revocation's durable state: every worker can continue it from here. Counts only move in the
 * same conditional write that moves the cursor past the page they count, so a worker killed
 * mid-page or between pages neither loses nor double-counts a grant.
 */
export type RevocationJobRecord = {
  tenantId: string;
  actor: string;
  /** `running`: grants left; `sweeping`: every grant accounted, one last look pending; `done`: key destroyed. */
  status: 'running' | 'sweeping' | 'done';
  /** ISO-8601, as the API shows it; `startedMs` is the same instant in epoch ms. */
  startedAt: string;
  startedMs: number;
  total: number;
  revoked: number;
  failed: number;
  /** Grants whose last attempt failed and that wait for a retry. */
  retrying: number;
  /** The sort key of the last connection of the partition the current round is past. */
  cursor?: string;
  round: number;
  roundStartedMs: number;
  /** Earliest retry due among the grants the current round passed over or parked (epoch ms). */
  nextRetryAt?: number;
  /** No worker needs to look before this (epoch ms). */
  nextRunAt: number;
  /** The last round must start after this: every process's cached key and refresh lease has expired. */
  sweepAfter: number;
  /** Grants still failing at this point (epoch ms) are given up. */
  giveUpAt: number;
  /** The tenant's wrapped data key, moved here from the tenant item: only the job opens with it. */
  wrappedKey?: Uint8Array;
  /** Outcomes of the page counted last, applied to its items right after (JSON; idempotent). */
  batch?: string;
  leaseOwner?: string;
  leaseUntil?: number;
  version: number;
  finishedAt?: string;
};

export type RevocationJobChanges = Partial<Omit<RevocationJobRecord, 'tenantId'>> & {
  gsi2pk?: string;
  gsi2sk?: string;
};

export function revocationJobItem(j: RevocationJobRecord): Item {
  return {
    ...revocationKey(j.tenantId),
    type: 'revocation',
    ...j,
    ...(j.status !== 'done' ? { gsi2pk: runningRevocationsPk, gsi2sk: `${j.startedAt}#${j.tenantId}` } : {}),
  };
}

export function readRevocationJob(item: Item): RevocationJobRecord {
  const f = fields(item, 'revocation job');
  return {
    tenantId: f.string('tenantId'),
    actor: f.string('actor'),
    status: f.oneOf('status', ['running', 'sweeping', 'done'] as const),
    startedAt: f.string('startedAt'),
    startedMs: f.number('startedMs'),
    total: f.number('total'),
    revoked: f.number('revoked'),
    failed: f.number('failed'),
    retrying: f.number('retrying'),
    cursor: f.optionalString('cursor'),
    round: f.number('round'),
    roundStartedMs: f.number('roundStartedMs'),
    nextRetryAt: f.optionalNumber('nextRetryAt'),
    nextRunAt: f.number('nextRunAt'),
    sweepAfter: f.number('sweepAfter'),
    giveUpAt: f.number('giveUpAt'),
    wrappedKey: f.optionalBytes('wrappedKey'),
    batch: f.optionalString('batch'),
    leaseOwner: f.optionalString('leaseOwner'),
    leaseUntil: f.optionalNumber('leaseUntil'),
    version: f.number('version'),
    finishedAt: f.optionalString('finishedAt'),
  };
}

/** A grant whose provider revocation finally failed: what the failures list shows, no secret. */
export type RevocationFailureRecord = {
  connectionId: string;
  provider: ProviderName;
  endUserId: string;
  attempts: number;
  lastError: string;
};

export function revocationFailureItem(tenantId: string, r: RevocationFailureRecord): Item {
  return { ...revokeFailedKey(tenantId, r.connectionId), type: 'revocation-failure', ...r };
}

export function readRevocationFailure(item: Item): RevocationFailureRecord {
  const f = fields(item, 'revocation failure');
  return {
    connectionId: f.string('connectionId'),
    provider: f.oneOf('provider', providerNames),
    endUserId: f.string('endUserId'),
    attempts: f.number('attempts'),
    lastError: f.string('lastError'),
  };
}

export function sessionRefItem(tenantId: string, sid: string, ttl: number): Item {
  return { ...sessionRefKey(tenantId, sid), type: 'session-ref', ttl };
}
