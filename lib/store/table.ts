import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamodb } from '../aws.js';

const { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, UpdateTimeToLiveCommand } =
  dynamodb;

/** Index names and key attributes of the one table (docs/design.md, "Storage"). */
export const keys = {
  pk: 'pk',
  sk: 'sk',
  /** Due-refresh index: `gsi1pk = DUE#<shard>`, `gsi1sk = <refreshDueAt ISO>#<tenant>#<connection>`. */
  dueIndex: 'due',
  /** Listing index: `gsi2pk = <kind>`, `gsi2sk = <createdAt>#<id>` (tenants). */
  listIndex: 'list',
  /**
   * Three overloaded, sparse filter indexes (`gsi3…gsi5` pk/sk), so a filtered list reads only
   * what it answers. Connections: `byProvider` `CONNP#<tid>#<provider>` / `<status>#<created>#<id>`,
   * `byStatus` `CONNS#<tid>#<status>` / `<created>#<id>`, `byEndUser` `CONNU#<tid>#<sha256(user)>` /
   * `<provider>#<status>#<created>#<id>`. Audit: by connection, action, outcome (sk `<at>#<id>`).
   * Webhook deliveries: by status, all of a tenant's, by event (sk `<created>#<id>`).
   */
  filterIndexes: ['filter1', 'filter2', 'filter3'],
  ttl: 'ttl',
} as const;

/** The key attributes of each filter index, in the order of {@link keys.filterIndexes}. */
export const filterIndexAttributes = [
  ['gsi3pk', 'gsi3sk'],
  ['gsi4pk', 'gsi4sk'],
  ['gsi5pk', 'gsi5sk'],
] as const;

/** How many partitions the due-refresh index is spread over. */
export const dueShards = 8;

/**
 * Creates the table when it is missing (local and tests only: in AWS the CDK stack owns it).
 * Waits until it is ACTIVE.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const found = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (found.Table?.TableStatus === 'ACTIVE') return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException')
      throw err;
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'gsi1pk', AttributeType: 'S' },
            { AttributeName: 'gsi1sk', AttributeType: 'S' },
            { AttributeName: 'gsi2pk', AttributeType: 'S' },
            { AttributeName: 'gsi2sk', AttributeType: 'S' },
            ...filterIndexAttributes
              .flat()
              .map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: keys.dueIndex,
              KeySchema: [
                { AttributeName: 'gsi1pk', KeyType: 'HASH' },
                { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
            {
              IndexName: keys.listIndex,
              KeySchema: [
                { AttributeName: 'gsi2pk', KeyType: 'HASH' },
                { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
            ...keys.filterIndexes.map((name, i) => ({
              IndexName: name,
              KeySchema: [
                { AttributeName: filterIndexAttributes[i][0], KeyType: 'HASH' as const },
                { AttributeName: filterIndexAttributes[i][1], KeyType: 'RANGE' as const },
              ],
              Projection: { ProjectionType: 'ALL' as const },
            })),
          ],
        }),
      );
    } catch (createErr) {
      // Another process created it first.
      if ((createErr as Error).name !== 'ResourceInUseException') throw createErr;
    }
  }
  for (let i = 0; i < 200; i++) {
    const found = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (found.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: keys.ttl, Enabled: true },
      }),
    );
  } catch {
    // dynalite does not implement TTL; correctness never depends on it (every read checks expiry).
  }
}
