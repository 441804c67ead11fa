import type avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { type AvroStreamEvent, decodeAvro, type JsonValue, readAvroPage } from '../../lib/avro/index.js';
import {
  chunkedSource,
  collect,
  encodeFile,
  rangeSource,
  type Schema,
  SYNC,
  writerType,
} from './fixtures.js';
import { avroSnappyCodec } from './snappy-writer.js';
import { expectedJson, randomValue, seededRandom } from './values.js';

const SCHEMAS: Record<string, Schema> = {
  primitives: {
    type: 'record',
    name: 'Primitives',
    fields: [
      { name: 'n', type: 'null' },
      { name: 'b', type: 'boolean' },
      { name: 'i', type: 'int' },
      { name: 'l', type: 'long' },
      { name: 'f', type: 'float' },
      { name: 'd', type: 'double' },
      { name: 'by', type: 'bytes' },
      { name: 's', type: 'string' },
    ],
  },
  complex: {
    type: 'record',
    name: 'Order',
    namespace: 'shop',
    fields: [
      { name: 'id', type: { type: 'fixed', name: 'Id', size: 16 } },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
      {
        name: 'customer',
        type: {
          type: 'record',
          name: 'Customer',
          fields: [
            { name: 'name', type: 'string' },
            { name: 'email', type: ['null', 'string'] },
            { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'long' } } },
          ],
        },
      },
      {
        name: 'lines',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Line',
            fields: [
              { name: 'sku', type: 'string' },
              { name: 'qty', type: 'int' },
              { name: 'price', type: 'double' },
            ],
          },
        },
      },
      { name: 'referrer', type: ['null', 'Customer'] },
      { name: 'ambiguous', type: ['int', 'long', 'float', 'string'] },
      { name: 'records', type: ['Line', 'Customer', 'null'] },
      { name: 'blob', type: ['bytes', 'Id', { type: 'fixed', name: 'Short', size: 2 }] },
      { name: 'maybeStatus', type: ['null', 'Status'] },
    ],
  },
  list: {
    type: 'record',
    name: 'Node',
    fields: [
      { name: 'value', type: 'int' },
      { name: 'next', type: ['null', 'Node'] },
    ],
  },
  topLevelLong: 'long',
  topLevelUnion: ['null', 'double', 'string'],
  topLevelArray: { type: 'array', items: { type: 'map', values: 'float' } },
  nulls: 'null',
};

const CODECS: Array<{ codec: string; codecs?: Record<string, typeof avroSnappyCodec> }> = [
  { codec: 'null' },
  { codec: 'deflate' },
  { codec: 'snappy', codecs: { snappy: avroSnappyCodec } },
];

interface Fixture {
  file: Buffer;
  expected: unknown[];
}

async function fixture(schema: Schema, codec: (typeof CODECS)[number], rows: number, blockSize: number) {
  const type: avro.Type = writerType(schema);
  const random = seededRandom(rows * 31 + blockSize);
  const values = Array.from({ length: rows }, () => randomValue(type, random));
  const file = await encodeFile(schema, values, { ...codec, blockSize, syncMarker: SYNC }, type);
  return { file, expected: values.map((v) => expectedJson(type, v)) } satisfies Fixture;
}

function rowsOf(events: AvroStreamEvent[]): JsonValue[] {
  return events.flatMap((e) => (e.kind === 'row' ? [e.row] : []));
}

async function allPages(file: Buffer, limit: number, chunkSize: number) {
  const open = rangeSource(file, chunkSize);
  const pages: Array<{ rows: JsonValue[]; nextCursor?: string }> = [];
  let cursor: string | undefined;
  do {
    const page = await readAvroPage(open, { limit, cursor });
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > 10_000) throw new Error('paging does not end');
  } while (cursor !== undefined);
  return { pages, open };
}

describe.each(CODECS)('codec $codec', (codec) => {
  describe.each(Object.keys(SCHEMAS))('schema %s', (name) => {
    it('decodes every row, in many small blocks, to the documented JSON', async () => {
      const { file, expected } = await fixture(SCHEMAS[name], codec, 120, 96);
      for (const chunkSize of [1, 13, 4096]) {
        const source = chunkedSource(file, chunkSize);
        const events = await collect(decodeAvro(source));
        expect(events[0]).toMatchObject({ kind: 'schema', schema: SCHEMAS[name] });
        expect(events[0].kind === 'schema' && events[0].header.codec).toBe(codec.codec);
        expect(events.slice(1).every((e) => e.kind === 'row')).toBe(true);
        const rows = rowsOf(events);
        expect(rows).toEqual(expected);
        expect(JSON.parse(JSON.stringify(rows))).toEqual(rows);
        expect(source.finished).toBe(true);
      }
    });

    it('pages through every row exactly once, whatever the limit', async () => {
      const { file, expected } = await fixture(SCHEMAS[name], codec, 60, 80);
      for (const [limit, chunkSize] of [
        [1, 7],
        [2, 4096],
        [5, 64],
        [7, 4096],
        [59, 100],
        [60, 4096],
        [1000, 4096],
      ]) {
        const { pages } = await allPages(file, limit, chunkSize);
        expect(pages.flatMap((p) => p.rows)).toEqual(expected);
        expect(pages.slice(0, -1).every((p) => p.rows.length === limit && p.nextCursor !== undefined)).toBe(
          true,
        );
        expect(pages.length).toBe(Math.max(1, Math.ceil(expected.length / limit)));
      }
    });
  });
});

describe('large blocks', () => {
  it('decodes deflate blocks too big to inflate on the main thread', async () => {
    const random = seededRandom(11);
    const values = Array.from({ length: 3 }, () =>
      Buffer.from(Array.from({ length: 400_000 }, () => Math.floor(random() * 256))),
    );
    const file = await encodeFile('bytes', values, { codec: 'deflate', blockSize: 2 << 20 });
    const rows = rowsOf(await collect(decodeAvro(chunkedSource(file, 65536))));
    expect(rows).toEqual(values.map((v) => v.toString('base64')));
  });
});

describe('longs', () => {
  it('keeps every 64-bit value exact: a number within ±(2^53−1), else a decimal string', async () => {
    const values = [0n, 1n, -1n, 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, -(2n ** 53n), 2n ** 53n + 1n];
    const more = [2n ** 63n - 1n, -(2n ** 63n), 1234567890123456789n, -987654321098765432n];
    const file = await encodeFile('long', [...values, ...more], { blockSize: 16 });
    const rows = rowsOf(await collect(decodeAvro(chunkedSource(file, 3))));
    expect(rows).toEqual([
      0,
      1,
      -1,
      9007199254740991,
      -9007199254740991,
      '9007199254740992',
      '-9007199254740992',
      '9007199254740993',
      '9223372036854775807',
      '-9223372036854775808',
      '1234567890123456789',
      '-987654321098765432',
    ]);
  });
});

describe('floats and doubles', () => {
  it('writes NaN and the infinities as strings', async () => {
    const schema: Schema = {
      type: 'record',
      name: 'F',
      fields: [
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
      ],
    };
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5].map((x) => ({
      f: x,
      d: x,
    }));
    const rows = rowsOf(await collect(decodeAvro(chunkedSource(await encodeFile(schema, values), 64))));
    expect(rows).toEqual([
      { f: 'NaN', d: 'NaN' },
      { f: 'Infinity', d: 'Infinity' },
      { f: '-Infinity', d: '-Infinity' },
      { f: 1.5, d: 1.5 },
    ]);
  });
});

describe('maps', () => {
  it('keeps a "__proto__" key as data instead of a prototype', async () => {
    const value = Object.fromEntries([
      ['__proto__', 1n],
      ['a', 2n],
    ]);
    const file = await encodeFile({ type: 'map', values: 'long' }, [value]);
    const [row] = rowsOf(await collect(decodeAvro(chunkedSource(file, 64))));
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row as object)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(row)).toBe('{"__proto__":1,"a":2}');
  });
});

describe('an empty file (a header and no blocks)', () => {
  it('streams the schema alone and pages to one empty page', async () => {
    const file = await encodeFile('string', []);
    expect(await collect(decodeAvro(chunkedSource(file, 10)))).toMatchObject([
      { kind: 'schema', schema: 'string' },
    ]);
    expect(await readAvroPage(rangeSource(file), { limit: 10 })).toEqual({ schema: 'string', rows: [] });
  });
});

describe('schemas as real writers emit them', () => {
  it('accepts field defaults, docs, aliases, orders and custom attributes on every kind of type', async () => {
    // avsc's typings know no field aliases, so the literal is cast.
    const schema = {
      type: 'record',
      name: 'Event',
      namespace: 'com.example',
      doc: 'an event',
      aliases: ['OldEvent'],
      'x-owner': 'team',
      fields: [
        { name: 'id', type: 'long', default: 0, order: 'descending' },
        { name: 'email', type: ['null', 'string'], default: null, doc: 'optional' },
        { name: 'data', type: 'bytes', default: '\u00ff' },
        { name: 'digest', type: { type: 'fixed', name: 'Digest', size: 2 }, default: '\u0001\u0002' },
        {
          name: 'kind',
          type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'], default: 'A' },
          default: 'B',
        },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0 },
        { name: 'day', type: { type: 'int', logicalType: 'date' }, default: 0 },
        {
          name: 'price',
          type: { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 },
          default: '\u0000',
        },
        { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
        { name: 'attrs', type: { type: 'map', values: 'double' }, default: {} },
        { name: 'ratio', type: 'float', default: 0.5, aliases: ['proportion'] },
      ],
    } as Schema;
    const value = {
      id: 5n,
      email: { string: 'a@example.com' },
      data: Buffer.from([1]),
      digest: Buffer.from([3, 4]),
      kind: 'A',
      at: 1000n,
      day: 1,
      price: Buffer.from([0x01, 0x00]),
      tags: ['x'],
      attrs: { k: 1.25 },
      ratio: 0.25,
    };
    const file = await encodeFile(schema, [value]);
    const rows = rowsOf(await collect(decodeAvro(chunkedSource(file, 64))));
    expect(rows).toEqual([
      {
        id: 5,
        email: 'a@example.com',
        data: 'AQ==',
        digest: 'AwQ=',
        kind: 'A',
        at: '1970-01-01T00:00:01.000Z',
        day: '1970-01-02',
        price: '2.56',
        tags: ['x'],
        attrs: { k: 1.25 },
        ratio: 0.25,
      },
    ]);
  });
});
