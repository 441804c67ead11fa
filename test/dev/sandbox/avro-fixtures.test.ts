import { Readable } from 'node:stream';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { bigIntLongHook } from '../../../lib/dev/sandbox/dropbox/avro-container.js';
import {
  avroFixtures,
  BIG_COUNTERS,
  decimalBytes,
  EVENT_COUNT,
  ORDER_COUNT,
  usersRecords,
} from '../../../lib/dev/sandbox/dropbox/avro-fixtures.js';
import {
  bigAvroChunks,
  bigAvroContentHash,
  bigAvroLayout,
  RECORDS_PER_BLOCK,
} from '../../../lib/dev/sandbox/dropbox/big-avro.js';
import { contentHash } from '../../../lib/dev/sandbox/dropbox/content-hash.js';
import { headerSafeJson } from '../../../lib/dev/sandbox/dropbox/errors.js';
import { createSandbox } from '../../../lib/dev/sandbox/index.js';
import { ORIGIN, walkContainer } from './flows.js';

/** Decodes with avsc's own streaming BlockDecoder (longs as bigint). */
function decode(
  buf: Buffer,
): Promise<{ rows: Array<Record<string, unknown>>; blocks: number; error?: string }> {
  return new Promise((resolve) => {
    const rows: Array<Record<string, unknown>> = [];
    let blocks = 0;
    const decoder = new avro.streams.BlockDecoder({
      parseHook: (schema) => avro.Type.forSchema(schema, { typeHook: bigIntLongHook }),
    });
    decoder.on('block', () => blocks++);
    decoder.on('data', (row: Record<string, unknown>) => rows.push(row));
    decoder.on('end', () => resolve({ rows, blocks }));
    decoder.on('error', (e: Error) => resolve({ rows, blocks, error: e.message }));
    Readable.from([buf]).pipe(decoder);
  });
}

describe('users.avro', () => {
  it('decodes every Avro type, longs beyond 2^53 exactly', async () => {
    const { users } = await avroFixtures();
    const { rows, error } = await decode(users);
    expect(error).toBeUndefined();
    expect(rows).toHaveLength(50);
    expect(rows.slice(0, BIG_COUNTERS.length).map((r) => r.big_counter)).toEqual(BIG_COUNTERS);
    expect(rows.map((r) => r.big_counter)).toContain(9007199254740993n);
    const first = rows[0] as Record<string, unknown>;
    expect(first).toMatchObject({ id: 1, username: 'alice', nickname: null, plan: 'FREE', active: false });
    expect((first.fingerprint as Buffer).length).toBe(8);
    expect(rows[4]?.username).toBe('李雷');
    expect(rows[1]?.address).toMatchObject({ city: 'München' });
    expect(rows[3]?.balance).toEqual(decimalBytes(-(3n * 123457n + 99n)));
    expect(rows).toEqual(usersRecords());
  });

  it('keeps the logical types in the header schema', async () => {
    const { users } = await avroFixtures();
    const { schema } = walkContainer(users);
    const fields = schema.fields as Array<{ name: string; type: unknown }>;
    const byName = Object.fromEntries(fields.map((f) => [f.name, f.type]));
    expect(byName.created_at).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
    expect(byName.birth_date).toEqual({ type: 'int', logicalType: 'date' });
    expect(byName.balance).toEqual({ type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 });
  });
});

describe('events-deflate.avro and empty.avro', () => {
  it('has ten thousand rows over many deflate blocks', async () => {
    const { eventsDeflate } = await avroFixtures();
    const walked = walkContainer(eventsDeflate);
    expect(walked.codec).toBe('deflate');
    expect(walked.blocks).toBeGreaterThan(5);
    expect(walked.rows).toHaveLength(EVENT_COUNT);
    const streamed = await decode(eventsDeflate);
    expect(streamed.error).toBeUndefined();
    expect(streamed.rows).toHaveLength(EVENT_COUNT);
    expect(streamed.rows[EVENT_COUNT - 1]?.ts).toBe(1704067200000n + BigInt(EVENT_COUNT - 1) * 1500n);
  });

  it('empty.avro is a valid file with no rows', async () => {
    const { empty } = await avroFixtures();
    expect(walkContainer(empty).rows).toHaveLength(0);
    expect((await decode(empty)).rows).toHaveLength(0);
  });
});

describe('the broken files', () => {
  it('not-avro.avro fails at the magic bytes', async () => {
    const { notAvro } = await avroFixtures();
    expect(() => walkContainer(notAvro)).toThrow('bad magic');
    expect((await decode(notAvro)).error).toBe('invalid magic bytes');
  });

  it('truncated.avro fails at its cut-off block (avsc’s BlockDecoder alone ends quietly)', async () => {
    const { truncated } = await avroFixtures();
    expect(() => walkContainer(truncated)).toThrow(/truncated/);
    const streamed = await decode(truncated);
    expect(streamed.rows.length).toBeGreaterThan(0);
    expect(streamed.rows.length).toBeLessThan(ORDER_COUNT);
  });

  it('corrupt.avro decodes its first block, then fails on the damaged sync marker', async () => {
    const { corrupt } = await avroFixtures();
    expect(() => walkContainer(corrupt)).toThrow('invalid sync marker');
    const streamed = await decode(corrupt);
    expect(streamed.error).toBe('invalid sync marker');
    expect(streamed.rows.length).toBeGreaterThan(0);
  });
});

describe('big.avro', () => {
  it('is exactly the size asked for and decodes in order', async () => {
    for (const size of [1000, 61_461, 200_001, 1024 * 1024]) {
      const layout = bigAvroLayout(size);
      const bytes = Buffer.concat([...bigAvroChunks(layout)]);
      expect(bytes.length).toBe(size);
      expect(layout.size).toBe(size);
      const walked = walkContainer(bytes);
      expect(walked.rows).toHaveLength(layout.rows);
      walked.rows.forEach((row, i) => {
        expect(row.seq).toBe(BigInt(i));
        expect(row.ts).toBe(1_700_000_000_000n + BigInt(i) * 1000n);
      });
      const streamed = await decode(bytes);
      expect(streamed.error).toBeUndefined();
      expect(streamed.rows).toHaveLength(layout.rows);
    }
  });

  it('falls back to the smallest valid file below the header size', () => {
    const layout = bigAvroLayout(10);
    expect(walkContainer(Buffer.concat([...bigAvroChunks(layout)])).rows).toHaveLength(0);
  });

  it('produces any range without generating what precedes it, identical to the whole', () => {
    const layout = bigAvroLayout(3 * 1024 * 1024 + 77);
    const whole = Buffer.concat([...bigAvroChunks(layout)]);
    for (const [start, end] of [
      [0, 10],
      [500, 70_000],
      [layout.header.length + layout.blockBytes * 7 - 3, layout.header.length + layout.blockBytes * 9 + 5],
      [layout.size - 1000, layout.size],
    ] as const) {
      expect(Buffer.concat([...bigAvroChunks(layout, start, end)]).equals(whole.subarray(start, end))).toBe(
        true,
      );
    }
    expect(layout.rows).toBeGreaterThan(RECORDS_PER_BLOCK * 40);
  });

  it('has a content hash equal to hashing its bytes', async () => {
    const layout = bigAvroLayout(5 * 1024 * 1024);
    expect(await bigAvroContentHash(layout)).toBe(contentHash(Buffer.concat([...bigAvroChunks(layout)])));
  });

  it('downloads with an exact Content-Length, and ranges of it', async () => {
    const size = 2 * 1024 * 1024 + 5;
    const { app, state } = createSandbox({ bigAvroBytes: size });
    const grant = state.mint({ provider: 'dropbox' });
    const request = (range?: string) =>
      app.request(`${ORIGIN}/dropbox/content/2/files/download`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${grant.access_token}`,
          'dropbox-api-arg': headerSafeJson({ path: '/data/big.avro' }),
          ...(range ? { range } : {}),
        },
      });
    const full = await request();
    expect(full.headers.get('content-length')).toBe(String(size));
    const bytes = Buffer.from(await full.arrayBuffer());
    expect(bytes.length).toBe(size);
    expect(JSON.parse(full.headers.get('dropbox-api-result') ?? '{}')).toMatchObject({
      size,
      name: 'big.avro',
    });
    const part = await request('bytes=1000000-1099999');
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1_000_000, 1_100_000))).toBe(true);
  });
});
