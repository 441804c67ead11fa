import { randomBytes } from 'node:crypto';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { Db } from '../../lib/store/db.js';
import { ensureTable } from '../../lib/store/table.js';

/** One embedded DynamoDB (in memory) per test file; each test takes its own table. */
let shared: Promise<EmbeddedDynamo> | undefined;

export function embeddedDynamo(): Promise<EmbeddedDynamo> {
  shared ??= startEmbeddedDynamo();
  return shared;
}

export async function closeEmbeddedDynamo(): Promise<void> {
  if (shared) await (await shared).close();
  shared = undefined;
}

/** A fresh table on the given endpoint (default: the file's embedded DynamoDB). */
export async function freshDb(endpoint?: string): Promise<Db> {
  const ep = endpoint ?? (await embeddedDynamo()).endpoint;
  const db = new Db({ tableName: `t-${randomBytes(6).toString('hex')}`, endpoint: ep });
  await ensureTable(db.client, db.tableName);
  return db;
}
