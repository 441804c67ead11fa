import { notFound } from '../errors.js';
import { isId } from '../ids.js';
import { type Condition, ConditionFailed, type Db } from '../store/db.js';
import { keyOf } from '../store/items.js';
import {
  readSession,
  type SessionChanges,
  type SessionRecord,
  sessionIndexPk,
  sessionItem,
  sessionKey,
} from '../store/oauth-items.js';
import { sessionRefItem } from '../store/revocation-items.js';
import { keys } from '../store/table.js';

export type { SessionRecord } from '../store/oauth-items.js';

/** A connect session lives 15 minutes and completes once (docs/api.md, "Tenant routes: connecting"). */
export const sessionTtlMs = 15 * 60_000;

const pendingAt = (s: SessionRecord): Condition => ({
  expression: '#v = :v AND #s = :pending',
  names: { '#v': 'version', '#s': 'status' },
  values: { ':v': s.version, ':pending': 'pending' },
});

/**
 * Connect sessions in the table. Every change that decides the flow (a new authorize attempt,
 * the single-use claim) is conditional on the version read, so of two racing callbacks or
 * exchanges exactly one wins; the bookkeeping after a claim is best effort.
 */
export class ConnectSessions {
  constructor(private readonly db: Db) {}

  /** Stores a new session; fails with `ConditionFailed` if its id is taken. */
  async create(s: SessionRecord): Promise<void> {
    // Its tenant's index first, so a revocation always finds every session to delete.
    await this.db.put(sessionRefItem(s.tenantId, s.id, s.ttl));
    await this.db.put(sessionItem(s), { ifNotExists: true });
  }

  /** The session, or `not_found` (a malformed id, an unknown one, or another tenant's). */
  async load(sid: string, tenantId?: string): Promise<SessionRecord> {
    if (!isId(sid, 'cs')) throw notFound('Connect session');
    const { pk, sk } = sessionKey(sid);
    const item = await this.db.get(pk, sk);
    const s = item && readSession(item);
    if (!s || (tenantId && s.tenantId !== tenantId)) throw notFound('Connect session');
    return s;
  }

  /** Records a new authorize attempt on a still-pending, unchanged session; `false` when it changed meanwhile. */
  async startAttempt(s: SessionRecord, changes: SessionChanges): Promise<boolean> {
    return this.conditional(s, { ...changes, version: s.version + 1 }, pendingAt(s));
  }

  /** Ends a pending, unchanged session (the single-use claim); `false` when another caller ended it first. */
  async finish(s: SessionRecord, status: 'completed' | 'failed', extra: SessionChanges): Promise<boolean> {
    return this.conditional(s, { status, ...extra }, pendingAt(s));
  }

  /** Best effort: makes a claimed session pending again, so the same code can be tried again. */
  async giveBack(s: SessionRecord, claimedVersion: number): Promise<void> {
    await this.change(
      s,
      { status: 'pending', version: claimedVersion + 2 },
      {
        expression: '#s = :completed AND attribute_not_exists(connectionId)',
        names: { '#s': 'status' },
        values: { ':completed': 'completed' },
      },
    ).catch(() => undefined);
  }

  /** Best effort: notes why the exchange failed. */
  async noteError(s: SessionRecord, error: string): Promise<void> {
    await this.change(s, { error }).catch(() => undefined);
  }

  /** Best effort: links the stored connection and drops the verifier, unless a newer attempt moved on. */
  async attachConnection(
    s: SessionRecord,
    connectionId: string,
    claimedVersion: number,
    code: Pick<SessionChanges, 'connectCodeHash' | 'connectCodeUntil'>,
  ): Promise<void> {
    await this.change(
      s,
      { connectionId, verifier: undefined, ...code },
      { expression: '#v >= :v', names: { '#v': 'version' }, values: { ':v': claimedVersion } },
    ).catch(() => undefined);
  }

  /** Uses up the session's connect code (single use); `false` when it was used or is gone. */
  async consumeCode(s: SessionRecord, nowMs: number): Promise<boolean> {
    return this.conditional(
      s,
      { connectCodeHash: undefined, confirmedAt: nowMs },
      {
        expression: '#h = :h AND #u >= :now',
        names: { '#h': 'connectCodeHash', '#u': 'connectCodeUntil' },
        values: { ':h': s.connectCodeHash, ':now': nowMs },
      },
    );
  }

  /**
   * Deletes the tenant's sessions whose `ttl` has passed by `nowMs` (all of them with `Infinity`):
   * what DynamoDB's TTL does in AWS, which the embedded store lacks. Answers how many went.
   */
  async purge(tenantId: string, nowMs: number): Promise<number> {
    const upTo = Number.isFinite(nowMs) ? new Date(nowMs).toISOString() : '~';
    const found = [];
    for await (const item of this.db.queryAll({
      index: keys.listIndex,
      pkName: 'gsi2pk',
      pk: sessionIndexPk(tenantId),
      skName: 'gsi2sk',
      skBetween: ['0', upTo],
      projection: ['pk', 'sk'],
    })) {
      found.push(keyOf(item));
    }
    await this.db.deleteMany(found);
    return found.length;
  }

  private async change(s: SessionRecord, changes: SessionChanges, condition?: Condition): Promise<void> {
    const { pk, sk } = sessionKey(s.id);
    await this.db.update(pk, sk, changes, condition);
  }

  private async conditional(
    s: SessionRecord,
    changes: SessionChanges,
    condition: Condition,
  ): Promise<boolean> {
    try {
      await this.change(s, changes, condition);
      return true;
    } catch (err) {
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
  }
}
