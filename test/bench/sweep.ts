import { createHash, randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, ScanCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { loadConfig } from '../../lib/config.js';
import { sweepLeadMs } from '../../lib/connections/index.js';
import type { SealedCredentials } from '../../lib/connections/model.js';
import { sweepDueConnections } from '../../lib/connections/sweep.js';
import { newId } from '../../lib/ids.js';
import { silentLogger } from '../../lib/log.js';
import { createServices } from '../../lib/services.js';
import type { Item } from '../../lib/store/db.js';
import { dueShards, ensureTable } from '../../lib/store/table.js';
import { sandboxEnv, startSandbox } from '../helpers/stack.js';
import { envNumber, int, type Row, startChild } from './util.js';

/** The due-index attributes exactly as lib/connections/index.ts `dueIndex()` writes them. */
function dueIndex(tenantId: string, id: string, expiresAt: string): Item {
  const due = new Date(Date.parse(expiresAt) - sweepLeadMs).toISOString();
  const shard = createHash('sha256').update(id).digest()[0] % dueShards;
  return { gsi1pk: `DUE#${shard}`, gsi1sk: `${due}#${tenantId}#${id}` };
}

/**
 * Figure 7: the due-refresh sweep among `total` connections of which `due` are due. Items go
 * straight into the table with batch writes; the due ones are real grants minted at the sandbox,
 * so the sweep's refreshes succeed. Baseline: a full table scan (what a sweep without the index
 * would read), in the same run.
 */
export async function sweepFigures(log: (line: string) => void): Promise<Row[]> {
  const total = envNumber('BENCH_SWEEP_CONNECTIONS', 100_000, 10_000);
  const dueCount = envNumber('BENCH_SWEEP_DUE', 1000, 200);
  const dynamo = await startChild('dynamo');
  const sandbox = await startSandbox();
  const config = loadConfig({
    ...sandboxEnv(sandbox.url),
    DYNAMODB_ENDPOINT: dynamo.url,
    TABLE_NAME: 'portico-sweep',
    LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
    ADMIN_API_KEY: `pak_${randomBytes(24).toString('base64url')}`,
  });
  const services = createServices(config, { log: silentLogger });
  try {
    await ensureTable(services.db.client, config.tableName);
    const { tenant } = await services.tenants.create({ name: 'Sweep' }, 'bench');
    const now = Date.now();
    const at = new Date(now).toISOString();

    const loadStarted = performance.now();
    const queue: Item[] = [];
    const write = async (items: Item[]) => {
      let requests: Record<string, WriteRequest[]> = {
        [config.tableName]: items.map((item) => ({
          PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
        })),
      };
      for (let attempt = 0; attempt < 10 && Object.keys(requests).length; attempt++) {
        const out = await services.db.client.send(new BatchWriteItemCommand({ RequestItems: requests }));
        requests = (out.UnprocessedItems ?? {}) as typeof requests;
      }
      if (Object.keys(requests).length) throw new Error('batch write left items unprocessed');
    };
    // Several batches in flight, bounded.
    const inflight = new Set<Promise<void>>();
    const flush = async (force: boolean) => {
      while (queue.length >= 25 || (force && queue.length)) {
        const p: Promise<void> = write(queue.splice(0, 25)).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= 6) await Promise.race(inflight);
      }
      if (force) await Promise.all(inflight);
    };
    for (let i = 0; i < total; i++) {
      const id = newId('conn');
      const isDue = i % Math.floor(total / dueCount) === 0 && i / Math.floor(total / dueCount) < dueCount;
      let creds: SealedCredentials;
      let expiresAt: string;
      if (isDue) {
        const grant = sandbox.state.mint({ provider: 'hubspot', account: `sweep-${i % 50}` });
        creds = {
          accessToken: grant.access_token,
          refreshToken: grant.refresh_token,
          app: { source: 'platform', clientId: grant.client_id },
        };
        // Expires in 2 minutes: inside the sweep's 10-minute lead.
        expiresAt = new Date(now + 2 * 60_000).toISOString();
      } else {
        creds = {
          accessToken: `CJ${randomBytes(54).toString('base64url')}`,
          refreshToken: `na1-${randomBytes(16).toString('hex')}`,
          app: { source: 'platform', clientId: 'sandbox-hubspot-app' },
        };
        // Far in the future (a year), so never due.
        expiresAt = new Date(now + 365 * 86_400_000 + i * 1000).toISOString();
      }
      queue.push({
        pk: `TENANT#${tenant.id}`,
        sk: `CONN#${id}`,
        type: 'connection',
        id,
        tenantId: tenant.id,
        provider: 'hubspot',
        endUserId: `user-${i}`,
        authScheme: 'oauth2',
        status: 'active',
        accountId: String(100000 + (i % 50)),
        scopes: ['oauth', 'hubdb'],
        expiresAt,
        credentials: await services.vault.seal(tenant.id, id, JSON.stringify(creds)),
        createdAt: at,
        updatedAt: at,
        version: 1,
        ...dueIndex(tenant.id, id, expiresAt),
      });
      if (queue.length >= 25) await flush(false);
      if (performance.now() - loadStarted > 600_000)
        throw new Error('loading the table took over 10 minutes');
    }
    await flush(true);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    log(`  loaded ${int(total)} connections (${int(dueCount)} due) in ${loadSeconds.toFixed(1)} s`);

    sandbox.state.resetStats();
    const ops = countCommands(services.db.client);
    const started = performance.now();
    const result = await sweepDueConnections(services, { now: new Date() });
    const sweepMs = performance.now() - started;
    ops.stop();
    const refreshes = sandbox.state.stats().hubspot.refreshes;
    const queries = ops.get('QueryCommand');
    const opsLine = [...ops.all()].map(([name, o]) => `${o.n} ${name.replace('Command', '')}`).join(', ');
    log(
      `  sweep: read ${result.read}, refreshed ${result.refreshed}, failed ${result.failed}, provider refreshes ${refreshes}, ${(sweepMs / 1000).toFixed(2)} s; index queries ${queries.n} in ${queries.ms.toFixed(0)} ms; ${opsLine}`,
    );

    // A second sweep right after finds nothing left to do.
    const again = await sweepDueConnections(services, { now: new Date() });

    // Baseline: reading the whole table (a sweep without the due index), bounded in time.
    const scanStarted = performance.now();
    let scanned = 0;
    let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const page = await services.db.client.send(
        new ScanCommand({ TableName: config.tableName, Select: 'COUNT', ExclusiveStartKey: startKey }),
      );
      scanned += page.ScannedCount ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && performance.now() - scanStarted < 120_000);
    const scanMs = performance.now() - scanStarted;
    log(`  scan baseline: ${int(scanned)} items in ${(scanMs / 1000).toFixed(2)} s`);

    return [
      {
        figure: 7,
        name: `due-refresh sweep, ${int(dueCount)} due among ${int(total)}`,
        value: `${int(result.read)} index items read in ${queries.n} queries, ${queries.ms.toFixed(0)} ms; whole sweep ${(sweepMs / 1000).toFixed(1)} s with ${int(result.refreshed)} refreshes, ${result.failed} failed`,
        baseline: `full scan ${int(scanned)} items, ${(scanMs / 1000).toFixed(2)} s`,
        ratio: `${(result.read / dueCount).toFixed(2)}x the due count`,
        target: 'read ~ due count',
        pass: result.read >= dueCount && result.read <= dueCount * 1.05 && result.failed === 0,
        note: `store calls during the sweep: ${opsLine}; provider refreshes ${refreshes}; a second sweep right after read ${again.read} and refreshed ${again.refreshed}; loading the table took ${loadSeconds.toFixed(0)} s`,
      },
    ];
  } finally {
    services.db.client.destroy();
    await sandbox.close();
    await dynamo.stop();
  }
}

/** Counts and times the commands a DynamoDB client sends (instrumentation only; `stop()` restores it). */
function countCommands(client: { send: unknown }) {
  type Send = (command: object, ...rest: unknown[]) => Promise<unknown>;
  const target = client as { send: Send };
  const original = target.send;
  const ops = new Map<string, { n: number; ms: number }>();
  target.send = async function (this: unknown, command: object, ...rest: unknown[]) {
    const t = performance.now();
    try {
      return await original.call(this, command, ...rest);
    } finally {
      const name = command.constructor.name;
      const o = ops.get(name) ?? { n: 0, ms: 0 };
      o.n++;
      o.ms += performance.now() - t;
      ops.set(name, o);
    }
  };
  return {
    get: (name: string) => ops.get(name) ?? { n: 0, ms: 0 },
    all: () => ops.entries(),
    stop: () => {
      target.send = original;
    },
  };
}
