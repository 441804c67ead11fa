import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AvroFormatError,
  type AvroTableFile,
  type AvroTableQuery,
  decodeAvro,
  decodeAvroNdjson,
  streamAvroTable,
  streamAvroTableNdjson,
  type TableByteSource,
} from '../../lib/avro/index.js';
import {
  createRowDecoder,
  type JsonValue,
  type RowDecoder,
  type ValueMeter,
} from '../../lib/avro/row-decoder.js';
import { compileRowWriter, type RowWriter, type TextSink } from '../../lib/avro/row-writer.js';
import { parseSchema, type SchemaNode } from '../../lib/avro/schema.js';
import { chunkedSource, handMadeFile, SYNC, varint } from './fixtures.js';
import { seededRandom } from './values.js';

/**
 * The compiled text path against its definition: for random schemas and random bytes, every row's
 * text must be the bytes of `JSON.stringify` of what the decoder makes of it, and every row the
 * decoder refuses must be refused with the same message, at the same place, with the same budget.
 */

type Random = () => number;

const pick = <T>(random: Random, options: readonly T[]): T => options[Math.floor(random() * options.length)];

/** Names the schema parser accepts, and the ones an object or a JSON writer could trip on. */
const FIELD_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  '_',
  'a',
  'B9',
  'x_'.repeat(40),
  'then',
  'length',
];

/** Map keys and strings: escapes, lone surrogates, numbers that object key order puts first. */
const TEXTS = [
  '',
  'plain',
  '"quoted"',
  'back\\slash',
  'tab\tnew\nline\r',
  '\u0000\u0001\u001f',
  '\u007f',
  '\u2028\u2029',
  'héllo wörld',
  '日本語',
  '🦀',
  '\ud800',
  'a\udfffb',
  '\ud83d',
  '__proto__',
  'constructor',
  '0',
  '1',
  '7',
  '01',
  '-1',
  '4294967294',
  '4294967295',
  '1.5',
  '</script>',
];

/** Raw string bytes the decoder must cope with: invalid UTF-8, encoded surrogates, overlong forms. */
const RAW_STRINGS = [
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xed, 0xb0, 0x80, 0x41]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0x41, 0x22, 0x5c, 0x7f, 0x80]),
];

interface SchemaState {
  names: number;
  fields: number;
}

/** A random writer schema (JSON), nesting at most `depth` more levels. */
function randomSchema(random: Random, depth: number, state: SchemaState): unknown {
  const name = () => `T${state.names++}`;
  const leaf = () =>
    pick(random, [
      'null',
      'boolean',
      'int',
      'long',
      'float',
      'double',
      'bytes',
      'string',
      { type: 'long', logicalType: 'timestamp-millis' },
      { type: 'long', logicalType: 'timestamp-micros' },
      { type: 'long', logicalType: 'timestamp-nanos' },
      { type: 'long', logicalType: 'local-timestamp-millis' },
      { type: 'long', logicalType: 'local-timestamp-micros' },
      { type: 'long', logicalType: 'local-timestamp-nanos' },
      { type: 'int', logicalType: 'date' },
      { type: 'int', logicalType: 'time-millis' },
      { type: 'long', logicalType: 'time-micros' },
      { type: 'string', logicalType: 'uuid' },
      { type: 'bytes', logicalType: 'decimal', precision: 20, scale: Math.floor(random() * 6) },
      { type: 'bytes', logicalType: 'decimal', precision: 0 },
      { type: 'int', logicalType: 'unknown-kind' },
    ]);
  if (depth <= 0 || random() < 0.35) {
    const r = random();
    if (r < 0.08) return { type: 'fixed', name: name(), size: Math.floor(random() * 20) };
    if (r < 0.12) {
      const size = 1 + Math.floor(random() * 12);
      return {
        type: 'fixed',
        name: name(),
        size,
        logicalType: 'decimal',
        precision: 30,
        scale: Math.floor(random() * 4),
      };
    }
    if (r < 0.2) {
      const symbols = [
        ...new Set(Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(random, FIELD_NAMES))),
      ];
      return { type: 'enum', name: name(), symbols };
    }
    return leaf();
  }
  const r = random();
  if (r < 0.2) return { type: 'array', items: randomSchema(random, depth - 1, state) };
  if (r < 0.35) return { type: 'map', values: randomSchema(random, depth - 1, state) };
  if (r < 0.55) {
    // Branches of distinct kinds: a null and one other, or several.
    const other = randomSchema(random, depth - 1, state);
    if (Array.isArray(other)) return other;
    const branches = random() < 0.5 ? ['null', other] : [other, 'null'];
    if (random() < 0.3) {
      for (const extra of ['int', 'string', 'double', 'boolean']) if (random() < 0.5) branches.push(extra);
    }
    // Branches must differ by name: drop the extras that clash (a named type is registered once).
    while (branches.length > 1) {
      try {
        parseSchema(branches);
        return branches;
      } catch {
        branches.pop();
      }
    }
    return other;
  }
  const count = Math.floor(random() * 6);
  const names = [...new Set(Array.from({ length: count }, () => pick(random, FIELD_NAMES)))];
  state.fields += names.length;
  return {
    type: 'record',
    name: name(),
    ...(random() < 0.3 ? { namespace: 'com.example.deep' } : {}),
    fields: names.map((n) => ({ name: n, type: randomSchema(random, depth - 1, state) })),
  };
}

/** A chain of records and arrays `levels` deep, the deepest holding a random leaf. */
function deepSchema(random: Random, levels: number): unknown {
  let schema: unknown = 'string';
  for (let i = 0; i < levels; i++) {
    schema =
      random() < 0.7
        ? { type: 'record', name: `D${i}`, fields: [{ name: pick(random, FIELD_NAMES), type: schema }] }
        : { type: 'array', items: schema };
  }
  return schema;
}

function zigzag(value: number | bigint): Buffer {
  return varint(value);
}

const INTS = [
  0,
  1,
  -1,
  63,
  -64,
  64,
  2 ** 31 - 1,
  -(2 ** 31),
  86_399_999,
  86_400_000,
  100_000_000,
  -100_000_001,
];
const LONGS: readonly (number | bigint)[] = [
  0,
  -1,
  1,
  999,
  -999,
  1_700_000_000_123,
  1_700_000_000_123_456,
  -1_700_000_000_123_456n,
  8_640_000_000_000_000n,
  8_640_000_000_000_001n,
  -8_640_000_000_000_000n,
  8_640_000_000_000_000_000n,
  2n ** 53n - 1n,
  -(2n ** 53n - 1n),
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  253_402_300_799_999,
  253_402_300_800_000,
  -62_167_219_200_001,
  86_399_999_999,
];
const DOUBLES = [
  0,
  -0,
  1.5,
  -2.25,
  0.1,
  1e21,
  1e-7,
  5e-324,
  Number.MAX_VALUE,
  Number.NaN,
  Infinity,
  -Infinity,
  123456789012,
];

/** Random bytes of one value of `node`, mostly valid, now and then not. */
function encode(node: SchemaNode, random: Random, out: Buffer[], depth = 0): void {
  const small = depth > 4;
  switch (node.kind) {
    case 'null':
      return;
    case 'boolean':
      out.push(Buffer.from([random() < 0.9 ? (random() < 0.5 ? 0 : 1) : 7]));
      return;
    case 'int':
    case 'date':
    case 'time-millis':
      out.push(zigzag(random() < 0.6 ? pick(random, INTS) : Math.floor((random() - 0.5) * 2 ** 32)));
      return;
    case 'long':
    case 'timestamp':
    case 'time-micros':
      out.push(zigzag(random() < 0.6 ? pick(random, LONGS) : Math.floor((random() - 0.5) * 2 ** 53)));
      return;
    case 'float': {
      const b = Buffer.alloc(4);
      if (random() < 0.5) b.writeFloatLE(pick(random, DOUBLES));
      else b.writeUInt32LE(Math.floor(random() * 2 ** 32));
      out.push(b);
      return;
    }
    case 'double': {
      const b = Buffer.alloc(8);
      if (random() < 0.7) b.writeDoubleLE(pick(random, DOUBLES));
      else b.writeDoubleLE((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20));
      out.push(b);
      return;
    }
    case 'string':
    case 'bytes': {
      const r = random();
      const bytes =
        r < 0.5
          ? Buffer.from(pick(random, TEXTS))
          : r < 0.7
            ? pick(random, RAW_STRINGS)
            : r < 0.85
              ? Buffer.from(
                  Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)),
                )
              : Buffer.from('x'.repeat(Math.floor(random() * 300)));
      out.push(varint(bytes.length), bytes);
      return;
    }
    case 'decimal': {
      const size = node.size ?? Math.floor(random() * 20);
      const bytes = Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256)));
      if (node.size === undefined) out.push(varint(size));
      out.push(bytes);
      return;
    }
    case 'fixed':
      out.push(Buffer.from(Array.from({ length: node.size }, () => Math.floor(random() * 256))));
      return;
    case 'enum':
      out.push(varint(random() < 0.95 ? Math.floor(random() * node.symbols.length) : node.symbols.length));
      return;
    case 'array':
    case 'map': {
      const blocks = small ? (random() < 0.5 ? 0 : 1) : Math.floor(random() * 3);
      for (let b = 0; b < blocks; b++) {
        const n = 1 + Math.floor(random() * (small ? 2 : 4));
        const items: Buffer[] = [];
        for (let i = 0; i < n; i++) {
          if (node.kind === 'map') {
            const key = Buffer.from(pick(random, TEXTS));
            items.push(varint(key.length), key);
            encode(node.values, random, items, depth + 1);
          } else encode(node.items, random, items, depth + 1);
        }
        const body = Buffer.concat(items);
        // A negative count carries the block's byte size.
        if (random() < 0.3) out.push(varint(-n), varint(body.length), body);
        else out.push(varint(n), body);
      }
      out.push(varint(0));
      return;
    }
    case 'union': {
      const index = random() < 0.97 ? Math.floor(random() * node.branches.length) : node.branches.length;
      out.push(varint(index));
      if (index < node.branches.length) encode(node.branches[index], random, out, depth + 1);
      return;
    }
    case 'record':
      for (const field of node.fields) encode(field.type, random, out, depth + 1);
      return;
  }
}

/** Damages a row now and then: a byte flipped, bytes cut off or added. */
function damage(row: Buffer, random: Random): Buffer {
  const r = random();
  if (row.length === 0 || r < 0.8) return row;
  const copy = Buffer.from(row);
  if (r < 0.9) {
    copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
    return copy;
  }
  if (r < 0.95) return copy.subarray(0, Math.floor(random() * copy.length));
  return Buffer.concat([copy, Buffer.from([0xff, 0xff, 0x01])]);
}

type Outcome = { ok: true; offset: number; text: string; budget: number } | { ok: false; error: string };

function viaDecoder(decoder: RowDecoder, buf: Buffer, pos: number, budget: number): Outcome {
  const meter: ValueMeter = { budget };
  try {
    const { value, offset } = decoder.decode(buf, pos, meter);
    if (offset < 0) return { ok: false, error: 'overrun' };
    return { ok: true, offset, text: JSON.stringify(value), budget: meter.budget };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function viaWriter(writer: RowWriter, buf: Buffer, pos: number, budget: number): Outcome {
  const meter: ValueMeter = { budget };
  // A small sink, so that growing it is tested too.
  const sink: TextSink = { out: Buffer.alloc(8), at: 3 };
  sink.out.write('abc');
  try {
    const offset = writer.write(buf, pos, meter, sink);
    if (offset < 0) return { ok: false, error: 'overrun' };
    expect(sink.out.subarray(0, 3).toString()).toBe('abc');
    return { ok: true, offset, text: sink.out.subarray(3, sink.at).toString('utf8'), budget: meter.budget };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Every row of `rows` (concatenated, as in a block) through both paths; answers how many decoded. */
function compareRows(schema: unknown, rows: Buffer[], budget: number): number {
  const decoder = createRowDecoder(schema as JsonValue);
  const writer = compileRowWriter(parseSchema(schema));
  if (writer === undefined) throw new Error('a writer was expected for a schema that does not recurse');
  const buf = Buffer.concat(rows);
  let pos = 0;
  let decoded = 0;
  for (let i = 0; i < rows.length && pos < buf.length; i++) {
    const expected = viaDecoder(decoder, buf, pos, budget);
    const actual = viaWriter(writer, buf, pos, budget);
    expect(actual).toEqual(expected);
    // The text is exactly what JSON.stringify writes, as bytes too (lone surrogates escaped).
    if (expected.ok) {
      decoded++;
      pos = expected.offset;
    } else pos += rows[i].length;
  }
  return decoded;
}

describe('the compiled row writer', () => {
  it('writes what JSON.stringify writes of the decoded row, for random schemas and bytes', () => {
    let decoded = 0;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 4 }), (seed, depth) => {
        const random = seededRandom(seed);
        const schema = randomSchema(random, depth, { names: 0, fields: 0 });
        const node = parseSchema(schema);
        const rows = Array.from({ length: 8 }, () => {
          const parts: Buffer[] = [];
          encode(node, random, parts);
          return damage(Buffer.concat(parts), random);
        });
        decoded += compareRows(schema, rows, random() < 0.1 ? 40 : 1 << 20);
      }),
      { numRuns: 800 },
    );
    // The property compared real rows, not only refusals.
    expect(decoded).toBeGreaterThan(1500);
  }, 120_000);

  it('writes deep nesting within the schema limit, and hostile field names as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 250 }), (seed, levels) => {
        const random = seededRandom(seed);
        const schema = deepSchema(random, levels);
        const node = parseSchema(schema);
        const rows = Array.from({ length: 3 }, () => {
          const parts: Buffer[] = [];
          encode(node, random, parts);
          return Buffer.concat(parts);
        });
        compareRows(schema, rows, 1 << 20);
      }),
      { numRuns: 200 },
    );
  });

  it('writes every string value exactly as JSON.stringify, lone surrogates and escapes included', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom(...TEXTS)),
          {
            maxLength: 6,
          },
        ),
        fc.uint8Array({ maxLength: 64 }),
        (texts, raw) => {
          const schema = {
            type: 'record',
            name: 'S',
            fields: [
              { name: 'texts', type: { type: 'array', items: 'string' } },
              { name: 'tags', type: { type: 'map', values: 'string' } },
              { name: 'raw', type: 'string' },
            ],
          };
          const strings = texts.map((t) => Buffer.from(t));
          const row = Buffer.concat([
            ...(strings.length
              ? [varint(strings.length), ...strings.flatMap((b) => [varint(b.length), b])]
              : []),
            varint(0),
            ...(strings.length
              ? [
                  varint(strings.length),
                  ...strings.flatMap((b) => [varint(b.length), b, varint(b.length), b]),
                ]
              : []),
            varint(0),
            varint(raw.length),
            Buffer.from(raw),
          ]);
          expect(compareRows(schema, [row], 1 << 20)).toBe(1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('has no writer for a recursive schema (its rows are decoded and stringified)', () => {
    const schema = {
      type: 'record',
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'] }],
    };
    expect(compileRowWriter(parseSchema(schema))).toBeUndefined();
  });
});

/** The NDJSON the route wrote before the compiled path: JSON.stringify of each event, then the error. */
async function stringifiedNdjson(file: Buffer, chunk: number): Promise<{ text: string; error?: string }> {
  let text = '';
  try {
    for await (const event of decodeAvro(chunkedSource(file, chunk))) {
      text += `${JSON.stringify(event.kind === 'schema' ? { schema: event.schema } : event.row)}\n`;
    }
    return { text };
  } catch (error) {
    return { text, error: (error as Error).message };
  }
}

async function compiledNdjson(file: Buffer, chunk: number): Promise<{ text: string; error?: string }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of decodeAvroNdjson(chunkedSource(file, chunk))) {
      // Every chunk is whole lines.
      expect(c[c.length - 1]).toBe(0x0a);
      chunks.push(Buffer.from(c));
    }
    return { text: Buffer.concat(chunks).toString('utf8') };
  } catch (error) {
    expect(error).toBeInstanceOf(AvroFormatError);
    return { text: Buffer.concat(chunks).toString('utf8'), error: (error as Error).message };
  }
}

describe('decodeAvroNdjson', () => {
  it('yields the bytes of JSON.stringify of every decodeAvro event, and fails where it fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 7, max: 5000 }),
        async (seed, depth, chunk) => {
          const random = seededRandom(seed);
          const schema =
            random() < 0.1 ? deepSchema(random, 40) : randomSchema(random, depth, { names: 0, fields: 0 });
          const node = parseSchema(schema);
          const blocks = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
            const rows = Array.from({ length: Math.floor(random() * 300) }, () => {
              const parts: Buffer[] = [];
              encode(node, random, parts);
              return random() < 0.02 ? damage(Buffer.concat(parts), random) : Buffer.concat(parts);
            });
            const data = Buffer.concat(rows);
            const r = random();
            // Now and then a block whose count or sync marker lies.
            if (r < 0.03) return { count: rows.length + 1, data };
            if (r < 0.05) return { count: rows.length, data, sync: Buffer.from('fedcba9876543210') };
            return { count: rows.length, data };
          });
          const file = handMadeFile({ schema, sync: SYNC, blocks });
          const expected = await stringifiedNdjson(file, chunk);
          const actual = await compiledNdjson(file, chunk);
          expect(actual.error).toBe(expected.error);
          expect(actual.text).toBe(expected.text);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('decodes and stringifies the rows of a recursive schema', async () => {
    const schema = {
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'v', type: 'int' },
        { name: 'next', type: ['null', 'Node'] },
      ],
    };
    const row = Buffer.concat([varint(1), varint(1), varint(2), varint(0)]);
    const file = handMadeFile({ schema, blocks: [{ count: 2, data: Buffer.concat([row, row]) }] });
    const actual = await compiledNdjson(file, 10);
    expect(actual.text.split('\n').slice(1)).toEqual([
      '{"v":1,"next":{"v":2,"next":null}}',
      '{"v":1,"next":{"v":2,"next":null}}',
      '',
    ]);
    expect(actual).toEqual(await stringifiedNdjson(file, 10));
  });

  it('ends a damaged stream after the last whole row, as decodeAvro does', async () => {
    const schema = { type: 'record', name: 'R', fields: [{ name: 's', type: 'string' }] };
    const good = Buffer.concat([varint(2), Buffer.from('ok')]);
    const bad = Buffer.concat([varint(50), Buffer.from('short')]);
    const file = handMadeFile({
      schema,
      blocks: [
        { count: 1, data: good },
        { count: 3, data: Buffer.concat([good, good, bad]) },
      ],
    });
    const actual = await compiledNdjson(file, 16);
    expect(actual.error).toBe('corrupt block 2: object 3 runs past the end of the block');
    expect(actual.text.split('\n').slice(1)).toEqual(['{"s":"ok"}', '{"s":"ok"}', '{"s":"ok"}', '']);
    expect(actual).toEqual(await stringifiedNdjson(file, 16));
  });
});

/** A table served from memory, each file one chunk after `offset`. */
function memoryTable(files: Buffer[]): { files: AvroTableFile[]; open: TableByteSource } {
  return {
    files: files.map((_, i) => ({ id: `id:${i}`, rev: '1', path: `/t/${String(i).padStart(3, '0')}.avro` })),
    open: async (file, offset) => chunkedSource(files[Number(file.id.slice(3))].subarray(offset), 997),
  };
}

async function tableStringified(query: AvroTableQuery): Promise<{ text: string; error?: string }> {
  let text = '';
  try {
    for await (const event of streamAvroTable(query)) {
      text += `${JSON.stringify(event.kind === 'schema' ? { schema: event.schema } : event.row)}\n`;
    }
    return { text };
  } catch (error) {
    return { text, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

async function tableCompiled(query: AvroTableQuery): Promise<{ text: string; error?: string }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of streamAvroTableNdjson(query)) chunks.push(Buffer.from(c));
    return { text: Buffer.concat(chunks).toString('utf8') };
  } catch (error) {
    return {
      text: Buffer.concat(chunks).toString('utf8'),
      error: `${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

describe('streamAvroTableNdjson', () => {
  it('yields the bytes of JSON.stringify of every streamAvroTable event, and fails where it fails', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const random = seededRandom(seed);
        const schema = randomSchema(random, 3, { names: 0, fields: 0 });
        const node = parseSchema(schema);
        const files = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
          const rows = Array.from({ length: Math.floor(random() * 100) }, () => {
            const parts: Buffer[] = [];
            encode(node, random, parts);
            return random() < 0.01 ? damage(Buffer.concat(parts), random) : Buffer.concat(parts);
          });
          return handMadeFile({ schema, blocks: [{ count: rows.length, data: Buffer.concat(rows) }] });
        });
        const query = memoryTable(files);
        expect(await tableCompiled(query)).toEqual(await tableStringified(query));
      }),
      { numRuns: 100 },
    );
  });

  it('is the same with fields, filters and files read through schema resolution', async () => {
    const v1 = {
      type: 'record',
      name: 'E',
      fields: [
        { name: 'id', type: 'int' },
        { name: 'name', type: 'string' },
      ],
    };
    const v2 = {
      type: 'record',
      name: 'E',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'name', type: 'string' },
        { name: 'tags', type: { type: 'map', values: 'string' }, default: {} },
      ],
    };
    const row1 = (id: number, name: string) =>
      Buffer.concat([varint(id), varint(Buffer.byteLength(name)), Buffer.from(name)]);
    const row2 = (id: number, name: string, key: string) =>
      Buffer.concat([
        row1(id, name),
        varint(1),
        varint(Buffer.byteLength(key)),
        Buffer.from(key),
        varint(1),
        Buffer.from('v'),
        varint(0),
      ]);
    const old = handMadeFile({
      schema: v1,
      blocks: [{ count: 3, data: Buffer.concat([row1(1, 'a"b'), row1(2, 'ü'), row1(3, '\u0001')]) }],
    });
    const now = handMadeFile({
      schema: v2,
      blocks: [
        { count: 3, data: Buffer.concat([row2(4, 'x', '1'), row2(5, 'y', '__proto__'), row2(6, 'z', 'k')]) },
      ],
    });
    const cut = handMadeFile({ schema: v2, blocks: [{ count: 2, data: row2(7, 'w', 'q') }] });
    for (const files of [
      [old, now],
      [now, now],
      [old, cut, now],
    ]) {
      for (const extra of [
        {},
        { fields: 'name' },
        { where: 'id > 2' },
        { fields: 'tags', where: "name != 'y'" },
      ]) {
        const query = { ...memoryTable(files), ...extra };
        const expected = await tableStringified(query);
        expect(expected.text.split('\n').length).toBeGreaterThan(2);
        expect(await tableCompiled(query)).toEqual(expected);
      }
    }
  });
});
