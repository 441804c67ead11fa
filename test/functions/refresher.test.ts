import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Db } from '../../lib/store/db.js';
import { fixture, type LambdaWorld, startLambdaWorld } from './lambda-env.js';

let world: LambdaWorld;
let handler: typeof import('../../functions/refresher.js').handler;
const savedLogLevel = process.env.LOG_LEVEL;

beforeAll(async () => {
  world = await startLambdaWorld();
  // The stack gives the refresher the provider secrets only, never the admin key.
  delete process.env.ADMIN_API_KEY_SECRET_ARN;
  process.env.LOG_LEVEL = 'info';
  ({ handler } = await import('../../functions/refresher.js'));

  // Two entries of the due-refresh index (lib/store/table.ts: `DUE#<shard>`,
  // `<due ISO>#<tenant>#<connection>`): one overdue, pointing at a connection that does not
  // exist, and one due in the far future.
  const db = new Db({ tableName: world.tableName });
  await db.put({
    pk: 'TEST#due',
    sk: 'overdue',
    gsi1pk: 'DUE#3',
    gsi1sk: '2026-01-01T00:00:00.000Z#ten_ghost#conn_ghost',
  });
  await db.put({
    pk: 'TEST#due',
    sk: 'later',
    gsi1pk: 'DUE#5',
    gsi1sk: '2999-01-01T00:00:00.000Z#ten_later#conn_later',
  });
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  if (savedLogLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = savedLogLevel;
  await world?.close();
});

describe('functions/refresher.ts with a scheduled EventBridge event', () => {
  it('sweeps the due index, logs its result as JSON, and reads only the provider secrets', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const event = fixture<ScheduledEvent>('scheduled-event.json');
    const result = await handler(event);
    vi.restoreAllMocks();

    // Only the overdue entry is read; its connection is gone, so that refresh fails (and is counted).
    expect(result).toEqual({
      read: 1,
      refreshed: 0,
      failed: 1,
      webhooks: { delivered: 0, retried: 0, dead: 0 },
    });
    expect(world.secrets.calls.GetSecretValue).toBe(1);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The run's counts as an embedded-metric-format line: the failed refresh is a metric to alarm on.
    const emf = logged.find((l) => l._aws) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> };
    };
    expect(emf).toMatchObject({
      Service: 'Portico',
      Refreshes: 0,
      RefreshFailures: 1,
      WebhooksDeadLettered: 0,
    });
    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe('Portico');
    expect(emf._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort()).toEqual(
      ['RefreshFailures', 'Refreshes', 'WebhooksDeadLettered'].sort(),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'info',
        msg: 'refresher run',
        scheduledAt: event.time,
        read: 1,
        refreshed: 0,
        failed: 1,
      }),
    );
    expect(lines.join('')).not.toContain('client-secret-fixture');

    // A second run in the same container reuses the services: no further secret reads.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await handler({ ...event, time: '2026-11-22T08:10:00Z' });
    expect(world.secrets.calls.GetSecretValue).toBe(1);
  });
});
