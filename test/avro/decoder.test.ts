import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroFormatError, decodeAvro, type JsonValue } from '../../lib/avro/index.js';
import { BANK_FIELDS, BANKS } from '../../lib/avro/record-banks.js';
import { createRowDecoder } from '../../lib/avro/row-decoder.js';
import {
  chunkedSource,
  collect,
  encodeFile,
  handMadeFile,
  type Schema,
  varint,
  writerType,
} from './fixtures.js';
import { expectedJson, randomValue, seededRandom } from './values.js';

/** The decoder under test, for a schema as avsc's typings or a literal give it. */
const decoderFor = (schema: unknown) => createRowDecoder(schema as JsonValue);

async function rows(file: Buffer): Promise<JsonValue[]> {
  return (await collect(decodeAvro(chunkedSource(file, 64)))).flatMap((e) =>
    e.kind === 'row' ? [e.row] : [],
  );
}

/** Encodes `values` (or random ones) with avsc and checks that they decode to the documented JSON. */
async function expectRoundTrip(schema: Schema, values?: unknown[], seed = 1) {
  const type = writerType(schema);
  const random = seededRandom(seed);
  const written = values ?? Array.from({ length: 40 }, () => randomValue(type, random));
  const file = await encodeFile(schema, written, { blockSize: 300 }, type);
  expect(await rows(file)).toEqual(written.map((v) => expectedJson(type, v)));
}

/** Decodes the same bytes with avsc, an independent decoder, for the cases without a JSON rule. */
function avscDecode(schema: Schema, bytes: Buffer): unknown {
  return avro.Type.forSchema(schema, { registry: {} }).fromBuffer(bytes);
}

const LIST: Schema = {
  type: 'record',
  name: 'Node',
  fields: [
    { name: 'value', type: 'int' },
    { name: 'next', type: ['null', 'Node'] },
  ],
};

/** A list of `length` nodes as avsc's writer takes it (unions wrapped). */
function list(length: number): unknown {
  let node: unknown = null;
  for (let i = length - 1; i >= 0; i--) node = { value: i, next: node === null ? null : { Node: node } };
  return node;
}

describe('recursive schemas', () => {
  it('decode a record that refers to itself through a union, deep', async () => {
    await expectRoundTrip(LIST, [list(1), list(3), list(300)]);
    const depth = 3000;
    const [row] = await rows(await encodeFile(LIST, [list(depth)]));
    let expected = '';
    for (let i = 0; i < depth; i++) expected += `{"value":${i},"next":`;
    expect(JSON.stringify(row)).toBe(`${expected}null${'}'.repeat(depth)}`);
  });

  it('decode trees, recursion through maps, and records that refer to each other', async () => {
    await expectRoundTrip(
      {
        type: 'record',
        name: 'Tree',
        fields: [
          { name: 'label', type: 'string' },
          { name: 'children', type: { type: 'array', items: 'Tree' } },
          { name: 'byName', type: { type: 'map', values: ['null', 'Tree'] } },
          {
            name: 'other',
            type: [
              'null',
              {
                type: 'record',
                name: 'Other',
                fields: [
                  { name: 'back', type: ['null', 'Tree'] },
                  { name: 'self', type: { type: 'array', items: 'Other' } },
                ],
              },
            ],
          },
        ],
      },
      undefined,
      7,
    );
  });

  it('refuses a row nesting deeper than the stack holds as a row that does not decode', async () => {
    // 200,000 nodes in 400,000 bytes: within every limit, but far deeper than any stack.
    const depth = 200_000;
    const data = Buffer.concat([Buffer.alloc(2 * depth, 2), Buffer.from([2, 0])]);
    const file = handMadeFile({ schema: LIST, blocks: [{ count: 1, data }] });
    const error = await collect(decodeAvro(chunkedSource(file, 65536))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AvroFormatError);
    expect((error as Error).message).toBe(
      'corrupt block 1: object 1 does not decode (a value nests too deeply)',
    );
    // Nothing was left behind: the same schema decodes the next file.
    await expectRoundTrip(LIST, [list(5)]);
  });

  it('refuses a record that contains itself directly (no value of it can exist)', () => {
    const decoder = decoderFor({
      type: 'record',
      name: 'Endless',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'again', type: 'Endless' },
      ],
    });
    expect(() => decoder.decode(Buffer.alloc(100), 0)).toThrow('a value nests too deeply');
  });
});

describe('field names that are Object.prototype members', () => {
  const schema: Schema = {
    type: 'record',
    name: 'R',
    fields: [
      { name: '__proto__', type: { type: 'map', values: 'long' } },
      { name: 'constructor', type: 'string' },
      { name: 'toString', type: 'int' },
      {
        name: 'nested',
        type: [
          'null',
          { type: 'record', name: 'N', fields: [{ name: '__proto__', type: ['null', 'string'] }] },
        ],
      },
    ],
  };

  it('are ordinary own properties, in schema order, and never a prototype', async () => {
    // JSON.parse makes `__proto__` an own property, which avsc's writer then reads.
    const values = [
      JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c", "toString": 3, "nested": null}'),
      JSON.parse(
        '{"__proto__": {}, "constructor": "", "toString": 0, "nested": {"N": {"__proto__": {"string": "x"}}}}',
      ),
    ];
    const [first, second] = (await rows(await encodeFile(schema, values))) as Array<
      Record<string, JsonValue>
    >;
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(Object.keys(first)).toEqual(['__proto__', 'constructor', 'toString', 'nested']);
    expect(Object.hasOwn(first, '__proto__')).toBe(true);
    expect(JSON.stringify(first)).toBe(
      '{"__proto__":{"polluted":1},"constructor":"c","toString":3,"nested":null}',
    );
    expect(JSON.stringify(second)).toBe(
      '{"__proto__":{},"constructor":"","toString":0,"nested":{"__proto__":"x"}}',
    );
    expect(Object.getPrototypeOf(second.nested)).toBe(Object.prototype);
    expect((first as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('values without a JSON rule of their own decode as avsc decodes them', () => {
  it('reads any non-zero byte as true', () => {
    const decoder = decoderFor('boolean');
    for (const byte of [0, 1, 2, 0x7f, 0xff]) {
      const bytes = Buffer.from([byte]);
      expect(decoder.decode(bytes, 0)).toEqual({ value: avscDecode('boolean', bytes), offset: 1 });
    }
  });

  it('decodes invalid UTF-8 to replacement characters', () => {
    const decoder = decoderFor('string');
    for (const raw of [[0xff], [0x61, 0xc3], [0xe2, 0x28, 0xa1], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]]) {
      const bytes = Buffer.concat([varint(raw.length), Buffer.from(raw)]);
      const { value } = decoder.decode(bytes, 0);
      expect(value).toBe(avscDecode('string', bytes));
      expect(value).toContain('\ufffd');
    }
  });

  it('reads array and map blocks with negative counts, followed by their size in bytes', () => {
    const array: Schema = { type: 'array', items: 'int' };
    const arrayBytes = Buffer.concat([
      varint(-2),
      varint(2),
      varint(1),
      varint(2),
      varint(1),
      varint(3),
      varint(0),
    ]);
    expect(decoderFor(array).decode(arrayBytes, 0)).toEqual({
      value: avscDecode(array, arrayBytes),
      offset: arrayBytes.length,
    });
    const map: Schema = { type: 'map', values: 'string' };
    const entry = (key: string, value: string) =>
      Buffer.concat([varint(key.length), Buffer.from(key), varint(value.length), Buffer.from(value)]);
    const entries = Buffer.concat([entry('a', 'x'), entry('b', 'yy')]);
    const mapBytes = Buffer.concat([varint(-2), varint(entries.length), entries, varint(0)]);
    expect(decoderFor(map).decode(mapBytes, 0)).toEqual({
      value: { a: 'x', b: 'yy' },
      offset: mapBytes.length,
    });
    expect(avscDecode(map, mapBytes)).toEqual({ a: 'x', b: 'yy' });
  });

  it('refuses union and enum indexes that do not exist, negative ones too', () => {
    const union = decoderFor(['null', 'int', 'string']);
    expect(() => union.decode(varint(3), 0)).toThrow('union branch 3 does not exist');
    expect(() => union.decode(varint(-1), 0)).toThrow('union branch -1 does not exist');
    const nullable = decoderFor(['int', 'null']);
    expect(nullable.decode(varint(1), 0)).toEqual({ value: null, offset: 1 });
    expect(() => nullable.decode(varint(2), 0)).toThrow('union branch 2 does not exist');
    const symbols = decoderFor({ type: 'enum', name: 'E', symbols: ['A', 'B'] });
    expect(symbols.decode(varint(1), 0)).toEqual({ value: 'B', offset: 1 });
    expect(() => symbols.decode(varint(2), 0)).toThrow('invalid E enum index: 2');
    expect(() => symbols.decode(varint(-1), 0)).toThrow('invalid E enum index: -1');
  });

  it('refuses an item count too long to be a number, which would otherwise lift the item limit', () => {
    // 160 continuation bytes overflow the count to NaN; 2^40 nulls would follow.
    const bytes = Buffer.concat([Buffer.alloc(160, 0x80), Buffer.from([1]), varint(2 ** 40), varint(0)]);
    expect(() => decoderFor({ type: 'array', items: 'null' }).decode(bytes, 0)).toThrow(
      'an array or map declares NaN items, more than the block can hold',
    );
  });

  it('reports a row that runs past the end of the buffer, whatever runs past it', () => {
    const decoder = decoderFor({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'double' },
        { name: 'c', type: { type: 'fixed', name: 'F', size: 3 } },
      ],
    });
    const row = Buffer.concat([varint(2), Buffer.from('hi'), Buffer.alloc(8), Buffer.from([1, 2, 3])]);
    expect(decoder.decode(row, 0)).toEqual({ value: { a: 'hi', b: 0, c: 'AQID' }, offset: row.length });
    for (let end = 0; end < row.length; end++) {
      // A view of the first bytes: the bytes after it are in memory, but not the row's to read.
      expect(decoder.decode(row.subarray(0, end), 0).offset).toBe(-1);
    }
  });

  it('gives the fewest bytes a row can take', () => {
    expect(decoderFor('null').minRowBytes).toBe(0);
    expect(decoderFor({ type: 'fixed', name: 'F', size: 16 }).minRowBytes).toBe(16);
    const fields = [
      { name: 'f', type: 'float' },
      { name: 'd', type: 'double' },
      { name: 'n', type: 'null' },
      { name: 's', type: 'string' },
      { name: 'e', type: { type: 'record', name: 'Empty', fields: [] } },
    ];
    expect(decoderFor({ type: 'record', name: 'R', fields }).minRowBytes).toBe(13);
    expect(decoderFor(LIST).minRowBytes).toBe(2);
  });
});

describe('record code banks', () => {
  it('are all the same code', () => {
    expect(BANKS.length).toBeGreaterThan(1);
    expect(new Set(BANKS.map(String)).size).toBe(1);
  });

  /** A schema of `records` records of `fields` fields each, nested and side by side. */
  function manyRecords(records: number, fields: number, seed: number): Schema {
    const random = seededRandom(seed);
    const types = ['int', 'long', 'string', 'double', 'boolean', ['null', 'string'], 'bytes'];
    const made: Schema[] = [];
    for (let r = 0; r < records; r++) {
      made.push({
        type: 'record',
        name: `R${r}`,
        fields: Array.from({ length: fields }, (_, i) => ({
          name: `f${i}`,
          type: r > 0 && i === 0 ? made[r - 1] : (types[Math.floor(random() * types.length)] as Schema),
        })),
      });
    }
    return {
      type: 'record',
      name: 'Top',
      fields: [
        { name: 'all', type: made[made.length - 1] },
        { name: 'list', type: { type: 'array', items: 'R0' } },
      ],
    };
  }

  it.each([
    [1, 0],
    [1, 1],
    [1, BANK_FIELDS],
    [1, BANK_FIELDS + 1],
    [2, 3],
    [3, 2 * BANK_FIELDS + 3],
    [BANKS.length * 2, 3],
    [5, 130],
  ])('decode %i records of %i fields each, more than the banks hold too', async (records, fields) => {
    await expectRoundTrip(manyRecords(records, fields, records * 100 + fields), undefined, fields);
  });

  it('decode many schemas in one process alike', async () => {
    for (let seed = 0; seed < 30; seed++) {
      await expectRoundTrip(manyRecords(1 + (seed % 4), 1 + ((seed * 7) % 12), seed), undefined, seed);
    }
  });
});
