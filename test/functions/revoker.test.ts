import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Db } from '../../lib/store/db.js';
import { tenantItem } from '../../lib/store/items.js';
import { readRevocationJob, revocationJobItem, revocationKey } from '../../lib/store/revocation-items.js';
import { type LambdaWorld, startLambdaWorld } from './lambda-env.js';

let world: LambdaWorld;
let handler: typeof import('../../functions/revoker.js').handler;

beforeAll(async () => {
  world = await startLambdaWorld();
  delete process.env.ADMIN_API_KEY_SECRET_ARN;
  ({ handler } = await import('../../functions/revoker.js'));
});
afterAll(async () => {
  await world?.close();
});

const tick: SQSEvent = {
  Records: [
    {
      messageId: 'm1',
      receiptHandle: 'r1',
      body: JSON.stringify({ kind: 'revocations' }),
      attributes: {} as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:RevocationQueue',
      awsRegion: 'eu-west-1',
    },
  ],
};

describe('functions/revoker.ts with an SQS message', () => {
  it('moves a due revocation on from the table: its last round, then the key is destroyed', async () => {
    const db = new Db({ tableName: world.tableName });
    const at = new Date(Date.now() - 3600_000).toISOString();
    const tenantId = 'ten_revokerfunction01';
    await db.put(
      tenantItem({
        id: tenantId,
        name: 'Gone',
        status: 'revoked',
        returnUrls: [],
        createdAt: at,
        updatedAt: at,
        version: 2,
        revocation: { revoked: 3, failed: 0 },
      }),
    );
    const ms = Date.parse(at);
    await db.put(
      revocationJobItem({
        tenantId,
        actor: 'admin-key',
        status: 'sweeping',
        startedAt: at,
        startedMs: ms,
        finishedAt: at,
        total: 3,
        revoked: 3,
        failed: 0,
        retrying: 0,
        round: 2,
        roundStartedMs: ms + 60_000,
        nextRunAt: ms + 60_000,
        sweepAfter: ms + 60_000,
        giveUpAt: ms + 86_400_000,
        wrappedKey: new Uint8Array([1, 2, 3]),
        version: 5,
      }),
    );
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const result = await handler(tick, { getRemainingTimeInMillis: () => 120_000 } as Context);
    vi.restoreAllMocks();
    expect(result).toEqual({ moved: 1 });
    const { pk, sk } = revocationKey(tenantId);
    const job = readRevocationJob((await db.get(pk, sk))!);
    expect(job).toMatchObject({ status: 'done', revoked: 3, failed: 0, total: 3 });
    expect(job.wrappedKey).toBeUndefined();
    // Nothing left to do: the next message moves nothing.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await handler(tick)).toEqual({ moved: 0 });
    vi.restoreAllMocks();
    db.client.destroy();
  });
});
