import { createHash } from 'node:crypto';
import avro from 'avsc';
import { prng } from '../common/prng.js';
import { type AvroSchema, avroHeader, bigIntLongHook } from './avro-container.js';

/**
 * `users.avro`: one record type touching every Avro type a decoder must handle,
 * including `long`s beyond 2^53, unions, enum, array, map, bytes, fixed, a nested
 * record and the logical types timestamp-millis, date and decimal.
 */
export const USERS_SCHEMA = {
  type: 'record',
  name: 'User',
  namespace: 'com.portico.sandbox',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'username', type: 'string' },
    { name: 'big_counter', type: 'long' },
    { name: 'active', type: 'boolean' },
    { name: 'nickname', type: ['null', 'string'], default: null },
    { name: 'plan', type: { type: 'enum', name: 'Plan', symbols: ['FREE', 'PRO', 'ENTERPRISE'] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attributes', type: { type: 'map', values: 'string' } },
    { name: 'avatar', type: 'bytes' },
    { name: 'fingerprint', type: { type: 'fixed', name: 'Fingerprint', size: 8 } },
    { name: 'created_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'birth_date', type: { type: 'int', logicalType: 'date' } },
    { name: 'balance', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'score', type: 'double' },
    { name: 'ratio', type: 'float' },
    {
      name: 'address',
      type: [
        'null',
        {
          type: 'record',
          name: 'Address',
          fields: [
            { name: 'city', type: 'string' },
            { name: 'zip', type: 'string' },
          ],
        },
      ],
      default: null,
    },
  ],
} satisfies AvroSchema;

/** `events-deflate.avro`: about ten thousand small events over many deflate blocks. */
export const EVENTS_SCHEMA = {
  type: 'record',
  name: 'Event',
  namespace: 'com.portico.sandbox',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'user_id', type: 'int' },
    {
      name: 'type',
      type: { type: 'enum', name: 'EventType', symbols: ['PAGE_VIEW', 'SIGN_UP', 'PURCHASE', 'LOGOUT'] },
    },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'amount', type: ['null', 'double'], default: null },
    { name: 'props', type: { type: 'map', values: 'string' } },
  ],
} satisfies AvroSchema;

/** The file cut short and the file with a damaged sync marker are both made from these orders. */
export const ORDERS_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'com.portico.sandbox',
  fields: [
    { name: 'order_id', type: 'int' },
    { name: 'sku', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'price', type: 'double' },
    { name: 'placed_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
} satisfies AvroSchema;

/** Rows of `events-deflate.avro`. */
export const EVENT_COUNT = 10000;
/** Rows of the orders file behind `truncated.avro` and `corrupt.avro`. */
export const ORDER_COUNT = 2000;

/** The Avro files of the Dropbox `/data` folder (all but the generated `big.avro`). */
export interface AvroFixtures {
  users: Buffer;
  eventsDeflate: Buffer;
  empty: Buffer;
  notAvro: Buffer;
  truncated: Buffer;
  corrupt: Buffer;
}

function syncFor(label: string): Buffer {
  return createHash('sha256').update(`portico-sandbox:${label}`).digest().subarray(0, 16);
}

/** Minimal two's-complement big-endian bytes of an integer: Avro's decimal encoding. */
export function decimalBytes(unscaled: bigint): Buffer {
  let bytes = 1;
  while (unscaled >= 1n << BigInt(8 * bytes - 1) || unscaled < -(1n << BigInt(8 * bytes - 1))) bytes++;
  const buf = Buffer.alloc(bytes);
  let v = BigInt.asUintN(8 * bytes, unscaled);
  for (let i = bytes - 1; i >= 0; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return buf;
}

/**
 * Encodes records into an object container with avsc's `BlockEncoder` (blocks) behind
 * our own header (see {@link avroHeader}); longs are `bigint`s throughout.
 */
export async function encodeContainer(
  schema: AvroSchema,
  records: readonly unknown[],
  options: { codec: 'null' | 'deflate'; blockSize: number; label: string },
): Promise<Buffer> {
  const sync = syncFor(options.label);
  const type = avro.Type.forSchema(schema, { typeHook: bigIntLongHook });
  const chunks: Buffer[] = [avroHeader(schema, options.codec, sync)];
  if (records.length === 0) return chunks[0] as Buffer;
  const encoder = new avro.streams.BlockEncoder(type, {
    codec: options.codec,
    blockSize: options.blockSize,
    syncMarker: sync,
    writeHeader: 'never',
  });
  const done = new Promise<void>((resolve, reject) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('end', () => resolve());
    encoder.on('error', reject);
  });
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

/** Values of `big_counter`: the edges of a signed 64-bit long and around 2^53. */
export const BIG_COUNTERS: readonly bigint[] = [
  0n,
  1n,
  -1n,
  9007199254740991n,
  9007199254740992n,
  9007199254740993n,
  -9007199254740993n,
  9223372036854775807n,
  -9223372036854775808n,
  1234567890123456789n,
];

const NAMES = ['alice', 'bob', 'zoë', 'José', '李雷', 'Łukasz', 'ömer', 'Ana María', 'dmitri', 'yusuf'];

/** The 50 records of `users.avro` (longs as bigint, bytes as Buffer). */
export function usersRecords(): Array<Record<string, unknown>> {
  const rand = prng(7);
  return Array.from({ length: 50 }, (_, i) => ({
    id: i + 1,
    username: `${NAMES[i % NAMES.length]}${i >= NAMES.length ? i : ''}`,
    big_counter: BIG_COUNTERS[i % BIG_COUNTERS.length] ?? BigInt(i) * 1000000007n,
    active: i % 3 !== 0,
    nickname: i % 4 === 0 ? null : `nick-${i + 1}`,
    plan: ['FREE', 'PRO', 'ENTERPRISE'][i % 3],
    tags: ['alpha', 'beta', 'gamma', 'δέλτα'].slice(0, i % 5),
    attributes: i % 6 === 0 ? {} : { region: i % 2 ? 'eu' : 'us', tier: String(i % 3) },
    avatar: Buffer.from(Array.from({ length: i % 9 }, () => rand.int(0, 255))),
    fingerprint: Buffer.from(Array.from({ length: 8 }, () => rand.int(0, 255))),
    created_at: 1700000000000n + BigInt(i) * 86400000n,
    birth_date: 7000 + i * 137,
    balance: decimalBytes(BigInt((i % 2 ? -1 : 1) * (i * 123457 + 99))),
    score: i / 7,
    ratio: (i % 10) / 4,
    address:
      i % 5 === 0 ? null : { city: ['Paris', 'München', 'São Paulo', 'Boston'][i % 4], zip: `${10000 + i}` },
  }));
}

function eventsRecords(): Array<Record<string, unknown>> {
  const rand = prng(11);
  const types = ['PAGE_VIEW', 'SIGN_UP', 'PURCHASE', 'LOGOUT'];
  return Array.from({ length: EVENT_COUNT }, (_, i) => {
    const type = types[i % 7 === 0 ? 2 : rand.int(0, 3)] as string;
    return {
      event_id: createHash('md5').update(`event-${i}`).digest('hex'),
      user_id: rand.int(1, 5000),
      type,
      ts: 1704067200000n + BigInt(i) * 1500n,
      amount: type === 'PURCHASE' ? Math.round(rand.next() * 50000) / 100 : null,
      props: i % 3 === 0 ? { path: `/pricing/${i % 11}`, referrer: 'https://example.com/' } : {},
    };
  });
}

function ordersRecords(): Array<Record<string, unknown>> {
  const rand = prng(13);
  return Array.from({ length: ORDER_COUNT }, (_, i) => ({
    order_id: i + 1,
    sku: `SKU-${String(rand.int(1, 999999)).padStart(6, '0')}`,
    qty: rand.int(1, 12),
    price: Math.round(rand.next() * 100000) / 100,
    placed_at: 1710000000000n + BigInt(i) * 60000n,
  }));
}

async function build(): Promise<AvroFixtures> {
  const users = await encodeContainer(USERS_SCHEMA, usersRecords(), {
    codec: 'null',
    blockSize: 2048,
    label: 'users',
  });
  const eventsDeflate = await encodeContainer(EVENTS_SCHEMA, eventsRecords(), {
    codec: 'deflate',
    blockSize: 16 * 1024,
    label: 'events',
  });
  const empty = await encodeContainer(USERS_SCHEMA, [], { codec: 'null', blockSize: 1024, label: 'empty' });
  const orders = await encodeContainer(ORDERS_SCHEMA, ordersRecords(), {
    codec: 'null',
    blockSize: 8 * 1024,
    label: 'orders',
  });

  // Cut at 60%: past the first blocks (decodable rows first) and inside a block.
  const truncated = orders.subarray(0, Math.floor(orders.length * 0.6));

  // Damage the sync marker after the second block: block one decodes, block two fails.
  const sync = syncFor('orders');
  const headerEnd = avroHeader(ORDERS_SCHEMA, 'null', sync).length;
  const first = orders.indexOf(sync, headerEnd);
  const second = orders.indexOf(sync, first + sync.length);
  const corrupt = Buffer.from(orders);
  for (let i = second; i < second + sync.length; i++) corrupt[i] = (corrupt[i] ?? 0) ^ 0xff;

  const rand = prng(99);
  const notAvro = Buffer.from(Array.from({ length: 4096 }, () => rand.int(0, 255)));
  notAvro[0] = 0x50; // never the "Obj" magic by chance

  return { users, eventsDeflate, empty, notAvro, truncated, corrupt };
}

let cached: Promise<AvroFixtures> | undefined;

/** The fixture files, encoded once per process (they are identical every time). */
export function avroFixtures(): Promise<AvroFixtures> {
  cached ??= build();
  return cached;
}
