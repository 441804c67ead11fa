import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroSchemaMismatch, compileProjection, type Selection, select } from '../../lib/avro/projection.js';
import { parseSchema } from '../../lib/avro/schema.js';
import { bigLong, type Schema, varint, writerType } from './fixtures.js';
import { randomValue, seededRandom } from './values.js';

/** avsc's reader as the oracle: plain (unwrapped) unions, 64-bit longs. */
function oracleType(schema: Schema): avro.Type {
  return avro.Type.forSchema(schema, {
    registry: {},
    typeHook: (s) =>
      s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long')
        ? bigLong
        : undefined,
  });
}

/** The JSON the route writes for a value avsc decoded with a reader type (the rules of lib/avro/index.ts). */
function json(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= -(2n ** 53n - 1n) && value <= 2n ** 53n - 1n ? Number(value) : value.toString();
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(json);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, json(v)]));
  }
  return value;
}

function decodeAll(writer: Schema, reader: Schema, rows: Buffer[], selection?: Selection): unknown[] {
  const decoder = compileProjection(parseSchema(writer), parseSchema(reader), selection);
  return rows.map((row) => {
    const { value, offset } = decoder.decode(row, 0);
    expect(offset).toBe(row.length);
    return value;
  });
}

function oracleAll(writer: Schema, reader: Schema, rows: Buffer[]): unknown[] {
  const readerType = oracleType(reader);
  const resolver = readerType.createResolver(oracleType(writer));
  return rows.map((row) => json(readerType.fromBuffer(row, resolver)));
}

/** avsc decodes a map key `__proto__` by assignment, losing it: the oracle's rows leave it out. */
function withoutProtoKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProtoKeys);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || typeof value === 'bigint')
    return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== '__proto__')
      .map(([key, inner]) => [key, withoutProtoKeys(inner)]),
  );
}

function randomRows(schema: Schema, count: number, seed: number): Buffer[] {
  const type = writerType(schema);
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => type.toBuffer(withoutProtoKeys(randomValue(type, random))));
}

const ADDRESS_V1: Schema = {
  type: 'record',
  name: 'Address',
  fields: [
    { name: 'city', type: 'string' },
    { name: 'zip', type: 'string' },
  ],
};

const V1: Schema = {
  type: 'record',
  name: 'Event',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'user', type: 'string' },
    { name: 'score', type: 'float' },
    { name: 'total', type: 'long' },
    { name: 'payload', type: 'bytes' },
    { name: 'tags', type: { type: 'array', items: 'int' } },
    { name: 'counts', type: { type: 'map', values: 'int' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
    { name: 'address', type: ['null', ADDRESS_V1] },
    { name: 'dropped', type: { type: 'array', items: { type: 'map', values: 'string' } } },
  ],
};

/** V1 evolved: promotions, added defaulted fields (also nested), a wider enum, a field renamed with an alias. */
const V2 = {
  type: 'record',
  name: 'Event',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', aliases: ['user'], type: 'bytes' },
    { name: 'score', type: 'double' },
    // long → double is checked against exact values below: avsc's loses the sign of large negatives.
    { name: 'total', type: 'long' },
    { name: 'payload', type: 'string' },
    { name: 'country', type: 'string', default: 'DE' },
    { name: 'tags', type: { type: 'array', items: 'double' } },
    { name: 'counts', type: { type: 'map', values: 'long' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['C', 'B', 'A'] } },
    {
      name: 'address',
      type: [
        'null',
        {
          type: 'record',
          name: 'Address',
          fields: [
            { name: 'city', type: 'string' },
            { name: 'zip', type: ['null', 'string'] },
            { name: 'floor', type: 'int', default: 0 },
          ],
        },
      ],
    },
    { name: 'flags', type: { type: 'array', items: 'boolean' }, default: [true, false] },
    { name: 'nick', type: ['null', 'string'], default: null },
  ],
} as Schema & { fields: Array<{ name: string }> };

describe('schema resolution, against avsc as the oracle', () => {
  it('reads evolved rows as avsc resolves them (promotions, defaults, aliases, enums, nested records)', () => {
    const rows = randomRows(V1, 300, 1);
    // Strings read as bytes and back again only match when they are valid UTF-8: ours are.
    const ours = decodeAll(V1, V2, rows);
    expect(ours).toEqual(oracleAll(V1, V2, rows));
    expect(ours[0]).toMatchObject({ country: 'DE', flags: [true, false], nick: null });
    expect(Object.keys(ours[0] as object)).toEqual(V2.fields.map((f) => f.name));
  });

  it('reads a file written with the reader schema itself exactly as the plain decoder does', () => {
    const rows = randomRows(V2, 200, 2);
    expect(decodeAll(V2, V2, rows)).toEqual(oracleAll(V2, V2, rows));
  });

  it('lays out fields in reader order when the writer wrote them in another', () => {
    const writer: Schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'b', type: 'string' },
        { name: 'a', type: 'int' },
      ],
    };
    const reader: Schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'c', type: 'int', default: 3 },
        { name: 'a', type: 'long' },
        { name: 'b', type: 'string' },
      ],
    };
    const rows = randomRows(writer, 50, 3);
    const ours = decodeAll(writer, reader, rows);
    expect(ours).toEqual(oracleAll(writer, reader, rows));
    expect(Object.keys(ours[0] as object)).toEqual(['c', 'a', 'b']);
  });

  const pairs: Array<[string, Schema, Schema]> = [
    ['int as long', 'int', 'long'],
    ['int as float', 'int', 'float'],
    ['long as double', 'long', 'double'],
    ['float as double', 'float', 'double'],
    ['string as bytes', 'string', 'bytes'],
    ['bytes as string', 'bytes', 'string'],
    ['long as int', 'long', 'int'],
    ['double as float', 'double', 'float'],
    ['int as string', 'int', 'string'],
    ['null as a nullable string', 'null', ['null', 'string']],
    ['int as a union taking long first', 'int', ['string', 'long', 'int']],
    ['a union as one branch', ['null', 'int'], 'int'],
    ['a union whose branches all promote', ['int', 'long'], 'double'],
    ['a union into a wider union', ['null', 'int'], ['null', 'string', 'long']],
    ['a union with a branch the reader lacks', ['null', 'int', 'string'], ['null', 'long']],
    [
      'an enum with a symbol the reader lacks',
      { type: 'enum', name: 'E', symbols: ['A', 'B'] },
      { type: 'enum', name: 'E', symbols: ['A'] },
    ],
    [
      'an enum with a symbol the reader lacks, reader default',
      { type: 'enum', name: 'E', symbols: ['A', 'B'] },
      { type: 'enum', name: 'E', symbols: ['A', 'Z'], default: 'Z' },
    ],
    [
      'an enum of another name',
      { type: 'enum', name: 'E', symbols: ['A'] },
      { type: 'enum', name: 'F', symbols: ['A'] },
    ],
    [
      'an enum known by an alias',
      { type: 'enum', name: 'E', symbols: ['A'] },
      { type: 'enum', name: 'F', aliases: ['E'], symbols: ['A'] },
    ],
    ['a fixed of another size', { type: 'fixed', name: 'F', size: 4 }, { type: 'fixed', name: 'F', size: 5 }],
    [
      'a fixed of the same size',
      { type: 'fixed', name: 'F', size: 4 },
      { type: 'fixed', name: 'F', size: 4 },
    ],
    [
      'a record missing a field without default',
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] },
      {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: 'int' },
          { name: 'b', type: 'int' },
        ],
      },
    ],
    [
      'a record of another name',
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] },
      { type: 'record', name: 'S', fields: [{ name: 'a', type: 'int' }] },
    ],
    [
      'a record whose field changed type',
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] },
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] },
    ],
    [
      'an array of records whose items evolved',
      { type: 'array', items: { type: 'record', name: 'I', fields: [{ name: 'x', type: 'int' }] } },
      {
        type: 'array',
        items: {
          type: 'record',
          name: 'I',
          fields: [
            { name: 'x', type: 'double' },
            { name: 'y', type: 'string', default: 'none' },
          ],
        },
      },
    ],
    ['a map as an array', { type: 'map', values: 'int' }, { type: 'array', items: 'int' }],
  ];

  it.each(pairs)('%s: resolves exactly when avsc resolves, and decodes the same', (_, writer, reader) => {
    let oracle: unknown;
    try {
      oracleType(reader).createResolver(oracleType(writer));
      oracle = 'resolves';
    } catch {
      oracle = 'refused';
    }
    let ours: unknown;
    try {
      compileProjection(parseSchema(writer), parseSchema(reader), undefined);
      ours = 'resolves';
    } catch (error) {
      expect(error).toBeInstanceOf(AvroSchemaMismatch);
      ours = 'refused';
    }
    expect(ours).toBe(oracle);
    if (ours === 'resolves') {
      const rows = randomRows(writer, 100, 4);
      const got = decodeAll(writer, reader, rows);
      const want = oracleAll(writer, reader, rows);
      if (reader === 'float' || reader === 'double') {
        // A number made a float or double is rounded once, to nearest (avsc reads longs beyond 2^53
        // through doubles, losing the sign of -2^63, and keeps an int's precision in a float): the
        // oracle is the writer's exact value, rounded.
        const exact = writerType(writer);
        const round = reader === 'float' ? Math.fround : Number;
        const want2 = rows.map((row) => {
          const value = exact.fromBuffer(row) as unknown;
          const plain = typeof value === 'object' && value !== null ? Object.values(value)[0] : value;
          const n = round(Number(plain as number | bigint));
          return Number.isFinite(n) ? n : String(n);
        });
        expect(got).toEqual(want2);
        expect(want.length).toBe(got.length);
      } else {
        expect(got).toEqual(want);
      }
    }
  });
});

/** A 40-field record with nested records, arrays and maps among scalar fields. */
function wideSchema(): Schema {
  const fields: Array<{ name: string; type: unknown }> = [];
  const kinds: unknown[] = [
    'int',
    'long',
    'string',
    'double',
    'boolean',
    'bytes',
    { type: 'array', items: 'string' },
    { type: 'map', values: 'long' },
    ['null', 'string'],
    'float',
  ];
  for (let i = 0; i < 38; i++) fields.push({ name: `f${i}`, type: kinds[i % kinds.length] });
  fields.push({
    name: 'inner',
    type: {
      type: 'record',
      name: 'Inner',
      fields: [
        { name: 'a', type: 'string' },
        { name: 'b', type: { type: 'array', items: 'int' } },
        {
          name: 'deep',
          type: [
            'null',
            {
              type: 'record',
              name: 'Deep',
              fields: [
                { name: 'x', type: 'int' },
                { name: 'y', type: { type: 'map', values: 'string' } },
              ],
            },
          ],
        },
      ],
    },
  });
  fields.push({ name: 'last', type: 'int' });
  return { type: 'record', name: 'Wide', fields } as Schema;
}

/** Picks dot paths out of a decoded row, keeping the nesting (a null parent stays null). */
function pick(row: unknown, paths: string[][]): unknown {
  const out: Record<string, unknown> = {};
  const order = new Map<string, string[][]>();
  for (const [head, ...rest] of paths) {
    const list = order.get(head) ?? [];
    list.push(rest);
    order.set(head, list);
  }
  const source = row as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const wanted = order.get(key);
    if (wanted === undefined) continue;
    const value = source[key];
    out[key] = wanted.some((rest) => rest.length === 0) || value === null ? value : pick(value, wanted);
  }
  return out;
}

describe('projection', () => {
  const schema = wideSchema();
  const rows = randomRows(schema, 200, 5);
  const full = oracleAll(schema, schema, rows);

  it('returns the selected fields, nested ones too, equal to a full decode then picking', () => {
    const random = seededRandom(6);
    const candidates = [
      ...Array.from({ length: 38 }, (_, i) => [`f${i}`]),
      ['inner'],
      ['inner', 'a'],
      ['inner', 'b'],
      ['inner', 'deep'],
      ['inner', 'deep', 'x'],
      ['inner', 'deep', 'y'],
      ['last'],
    ];
    for (let round = 0; round < 60; round++) {
      const paths = candidates.filter(() => random() < 0.15);
      if (paths.length === 0) paths.push(['last']);
      const selection = new Map();
      for (const path of paths) select(selection, path);
      const ours = decodeAll(schema, schema, rows, selection);
      expect(ours, paths.map((p) => p.join('.')).join(',')).toEqual(full.map((row) => pick(row, paths)));
    }
  });

  it('skips an unselected array by the byte size its block declares', () => {
    const writer: Schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'items', type: { type: 'array', items: 'string' } },
        { name: 'n', type: 'int' },
      ],
    };
    const items = Buffer.concat([varint(5), Buffer.from('hello'), varint(3), Buffer.from('abc')]);
    // A block of -2 items carrying its size, then the end of the array, then `n`.
    const row = Buffer.concat([varint(-2), varint(items.length), items, varint(0), varint(42)]);
    const decoder = compileProjection(parseSchema(writer), parseSchema(writer), new Map([['n', true]]));
    expect(decoder.decode(row, 0)).toEqual({ value: { n: 42 }, offset: row.length });
    expect(
      compileProjection(parseSchema(writer), parseSchema(writer), undefined).decode(row, 0).value,
    ).toEqual({
      items: ['hello', 'abc'],
      n: 42,
    });
  });

  it('refuses to walk a skipped array that declares more items than its bytes hold', () => {
    const writer: Schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'items', type: { type: 'array', items: 'long' } },
        { name: 'n', type: 'int' },
      ],
    };
    const row = Buffer.concat([varint(2 ** 50), Buffer.alloc(64, 1)]);
    const decoder = compileProjection(parseSchema(writer), parseSchema(writer), new Map([['n', true]]));
    expect(decoder.decode(row, 0).offset).toBe(-1);
    // Items of no bytes are counted, not walked: a huge count of nulls is skipped at once.
    const nulls: Schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'items', type: { type: 'array', items: 'null' } },
        { name: 'n', type: 'int' },
      ],
    };
    const zero = Buffer.concat([varint(2 ** 50), varint(0), varint(7)]);
    const skipNulls = compileProjection(parseSchema(nulls), parseSchema(nulls), new Map([['n', true]]));
    expect(skipNulls.decode(zero, 0)).toEqual({ value: { n: 7 }, offset: zero.length });
  });

  it('charges defaults to the output budget, so empty writer rows cannot make wide rows from nothing', () => {
    const writer: Schema = { type: 'record', name: 'R', fields: [] };
    const reader: Schema = {
      type: 'record',
      name: 'R',
      fields: Array.from({ length: 2000 }, (_, i) => ({ name: `d${i}`, type: 'null', default: null })),
    };
    const decoder = compileProjection(parseSchema(writer), parseSchema(reader), undefined);
    expect(decoder.rowValues).toBe(2001);
    const meter = { budget: 10_000 };
    const buf = Buffer.alloc(0);
    for (let i = 0; i < 4; i++) decoder.decode(buf, 0, meter);
    expect(() => decoder.decode(buf, 0, meter)).toThrow(/more values/);
  });
});
