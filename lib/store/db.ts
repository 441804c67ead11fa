import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamodb, dynamodbUtil } from '../aws.js';
import { invalidRequest, StoreUnavailableError } from '../errors.js';

const {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} = dynamodb;
const { marshall, unmarshall } = dynamodbUtil;

export type Item = Record<string, unknown>;

export interface DbOptions {
  tableName: string;
  /** A DynamoDB endpoint (embedded dynalite, DynamoDB Local); unset = AWS. */
  endpoint?: string;
  region?: string;
  /** The key pair to sign with (the embedded DynamoDB's per-start pair); unset = the SDK's chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  client?: DynamoDBClient;
}

export interface QueryOptions {
  index?: string;
  /** Partition key attribute name (`pk`, `gsi1pk`, `gsi2pk`). */
  pkName?: string;
  pk: string;
  skName?: string;
  skPrefix?: string;
  skBetween?: [string, string];
  limit?: number;
  startKey?: Item;
  reverse?: boolean;
  projection?: string[];
  consistent?: boolean;
  /**
   * A condition on attributes outside the key (DynamoDB's FilterExpression): applied after the
   * page is read, so it narrows an already narrow index query, never a whole partition.
   */
  filter?: Condition;
}

/** Thrown by conditional writes whose condition failed (a lost race, an existing item). */
export class ConditionFailed extends Error {
  override name = 'ConditionFailed';
}

const transient = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

function mapError(err: unknown): never {
  const e = err as { name?: string; code?: string; $metadata?: unknown };
  if (e.name === 'ConditionalCheckFailedException')
    throw new ConditionFailed('condition failed', { cause: err });
  if (
    transient.has(e.name ?? '') ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e.code ?? '') ||
    e.name === 'AbortError' ||
    !e.$metadata
  ) {
    throw new StoreUnavailableError(err);
  }
  throw err;
}

/**
 * The one table, through the real `@aws-sdk/client-dynamodb`. A thin layer: (un)marshalling,
 * conditional writes that throw {@link ConditionFailed}, and unreachable backends mapped to
 * {@link StoreUnavailableError} (503) rather than a 500.
 */
export class Db {
  readonly client: DynamoDBClient;
  readonly tableName: string;

  constructor(options: DbOptions) {
    this.tableName = options.tableName;
    this.client =
      options.client ??
      new dynamodb.DynamoDBClient({
        endpoint: options.endpoint,
        region: options.region ?? process.env.AWS_REGION ?? 'local',
        maxAttempts: 3,
        ...(options.credentials
          ? { credentials: options.credentials }
          : options.endpoint && !process.env.AWS_ACCESS_KEY_ID
            ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
            : {}),
      });
  }

  async get(pk: string, sk: string, consistent = true): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: key(pk, sk), ConsistentRead: consistent }),
      );
      return out.Item ? unmarshall(out.Item) : undefined;
    } catch (err) {
      mapError(err);
    }
  }

  /** Puts an item; with `ifNotExists` the put fails with {@link ConditionFailed} when the key is taken. */
  async put(item: Item, options: { ifNotExists?: boolean; condition?: Condition } = {}): Promise<void> {
    const cond = options.ifNotExists ? { expression: 'attribute_not_exists(pk)' } : options.condition;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }),
          ConditionExpression: cond?.expression,
          ExpressionAttributeNames: cond?.names,
          ExpressionAttributeValues: cond?.values
            ? marshall(cond.values, { removeUndefinedValues: true })
            : undefined,
        }),
      );
    } catch (err) {
      mapError(err);
    }
  }

  /**
   * Sets and removes attributes, optionally under a condition. Returns the new item.
   * `set` values of `undefined` are removed.
   */
  async update(pk: string, sk: string, set: Item, condition?: Condition): Promise<Item> {
    const names: Record<string, string> = { ...condition?.names };
    const values: Item = { ...condition?.values };
    const sets: string[] = [];
    const removes: string[] = [];
    let i = 0;
    for (const [k, v] of Object.entries(set)) {
      const n = `#u${i}`;
      names[n] = k;
      if (v === undefined) removes.push(n);
      else {
        values[`:u${i}`] = v;
        sets.push(`${n} = :u${i}`);
      }
      i++;
    }
    const expr = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(pk, sk),
          UpdateExpression: expr,
          ConditionExpression: condition?.expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length
            ? marshall(values, { removeUndefinedValues: true })
            : undefined,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshall(out.Attributes ?? {});
    } catch (err) {
      mapError(err);
    }
  }

  /**
   * Adds to number attributes atomically (DynamoDB `ADD`): concurrent adds from any number of
   * processes all count, and a missing item or attribute starts at zero. Returns the new item.
   */
  async add(pk: string, sk: string, amounts: Record<string, number>, set: Item = {}): Promise<Item> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const adds: string[] = [];
    const sets: string[] = [];
    let i = 0;
    for (const [k, v] of Object.entries(amounts)) {
      names[`#a${i}`] = k;
      values[`:a${i}`] = v;
      adds.push(`#a${i} :a${i}`);
      i++;
    }
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) continue;
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      sets.push(`#s${i} = :s${i}`);
      i++;
    }
    if (!adds.length && !sets.length) return (await this.get(pk, sk)) ?? {};
    const expr = [adds.length ? `ADD ${adds.join(', ')}` : '', sets.length ? `SET ${sets.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(pk, sk),
          UpdateExpression: expr,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshall(out.Attributes ?? {});
    } catch (err) {
      mapError(err);
    }
  }

  async delete(pk: string, sk: string, condition?: Condition): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: key(pk, sk),
          ConditionExpression: condition?.expression,
          ExpressionAttributeNames: condition?.names,
          ExpressionAttributeValues: condition?.values ? marshall(condition.values) : undefined,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? unmarshall(out.Attributes) : undefined;
    } catch (err) {
      mapError(err);
    }
  }

  /** Deletes many keys, 25 a request, retrying unprocessed ones. */
  async deleteMany(keysToDelete: Array<{ pk: string; sk: string }>): Promise<void> {
    for (let i = 0; i < keysToDelete.length; i += 25) {
      let requests: Record<string, import('@aws-sdk/client-dynamodb').WriteRequest[]> = {
        [this.tableName]: keysToDelete
          .slice(i, i + 25)
          .map((k) => ({ DeleteRequest: { Key: key(k.pk, k.sk) } })),
      };
      for (let attempt = 0; attempt < 8 && Object.keys(requests).length; attempt++) {
        try {
          const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: requests }));
          requests = (out.UnprocessedItems ?? {}) as typeof requests;
          if (Object.keys(requests).length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
        } catch (err) {
          mapError(err);
        }
      }
    }
  }

  async query(options: QueryOptions): Promise<{ items: Item[]; lastKey?: Item }> {
    const names: Record<string, string> = { '#pk': options.pkName ?? 'pk' };
    const values: Item = { ':pk': options.pk };
    let cond = '#pk = :pk';
    if (options.skPrefix !== undefined) {
      names['#sk'] = options.skName ?? 'sk';
      values[':skp'] = options.skPrefix;
      cond += ' AND begins_with(#sk, :skp)';
    } else if (options.skBetween) {
      names['#sk'] = options.skName ?? 'sk';
      values[':a'] = options.skBetween[0];
      values[':b'] = options.skBetween[1];
      cond += ' AND #sk BETWEEN :a AND :b';
    }
    if (options.filter) {
      Object.assign(names, options.filter.names);
      Object.assign(values, options.filter.values);
    }
    let projection: string | undefined;
    if (options.projection) {
      projection = options.projection
        .map((p, i) => {
          names[`#p${i}`] = p;
          return `#p${i}`;
        })
        .join(', ');
    }
    try {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: options.index,
          KeyConditionExpression: cond,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
          Limit: options.limit,
          ExclusiveStartKey: options.startKey ? marshall(options.startKey) : undefined,
          ScanIndexForward: !options.reverse,
          ProjectionExpression: projection,
          FilterExpression: options.filter?.expression,
          ConsistentRead: options.index ? undefined : options.consistent,
        }),
      );
      return {
        items: (out.Items ?? []).map((i) => unmarshall(i)),
        lastKey: out.LastEvaluatedKey ? unmarshall(out.LastEvaluatedKey) : undefined,
      };
    } catch (err) {
      // The start key comes from a client's cursor: one DynamoDB refuses is the client's mistake, not a 500.
      if (options.startKey && (err as { name?: string }).name === 'ValidationException')
        throw invalidRequest('The cursor is not valid.');
      mapError(err);
    }
  }

  /** How many items a partition holds (under an optional sort-key prefix), counted by the store. */
  async count(pk: string, skPrefix?: string): Promise<number> {
    const names: Record<string, string> = { '#pk': 'pk' };
    const values: Item = { ':pk': pk };
    let cond = '#pk = :pk';
    if (skPrefix !== undefined) {
      names['#sk'] = 'sk';
      values[':skp'] = skPrefix;
      cond += ' AND begins_with(#sk, :skp)';
    }
    let total = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      try {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: cond,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: marshall(values),
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        );
        total += out.Count ?? 0;
        startKey = out.LastEvaluatedKey;
      } catch (err) {
        mapError(err);
      }
    } while (startKey);
    return total;
  }

  /** Puts many items, 25 a request, retrying unprocessed ones (seeding, bulk moves). */
  async putMany(items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let requests: Record<string, import('@aws-sdk/client-dynamodb').WriteRequest[]> = {
        [this.tableName]: items.slice(i, i + 25).map((item) => ({
          PutRequest: {
            Item: marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }),
          },
        })),
      };
      for (let attempt = 0; attempt < 8 && Object.keys(requests).length; attempt++) {
        try {
          const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: requests }));
          requests = (out.UnprocessedItems ?? {}) as typeof requests;
          if (Object.keys(requests).length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
        } catch (err) {
          mapError(err);
        }
      }
    }
  }

  /** Every item of a partition, page by page (revocation). */
  async *queryAll(options: Omit<QueryOptions, 'startKey'>): AsyncGenerator<Item> {
    let startKey: Item | undefined;
    do {
      const page = await this.query({ ...options, startKey });
      yield* page.items;
      startKey = page.lastKey;
    } while (startKey);
  }
}

export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Item;
}

function key(pk: string, sk: string): Record<string, AttributeValue> {
  return { pk: { S: pk }, sk: { S: sk } };
}

/** Opaque, tamper-evident-enough page cursors: base64url JSON of the last evaluated key. */
export function encodeCursor(lastKey: Item | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : undefined;
}

/** Decodes a cursor made by {@link encodeCursor}; `undefined` when malformed (the caller answers 400). */
export function decodeCursor(
  cursor: string | undefined,
  expectPk?: (pk: unknown) => boolean,
): Item | undefined | null {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
    for (const val of Object.values(v)) if (typeof val !== 'string') return null;
    if (expectPk && !expectPk((v as Item).pk ?? (v as Item).gsi2pk)) return null;
    return v as Item;
  } catch {
    return null;
  }
}
