import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroFormatError, decodeAvro, type JsonValue } from '../../lib/avro/index.js';
import { createRowDecoder } from '../../lib/avro/row-decoder.js';
import { MAX_SCHEMA_DEPTH } from '../../lib/avro/schema.js';
import { chunkedSource, collect, encodeFile, handMadeFile, type Schema, writerType } from './fixtures.js';
import { expectedJson, randomValue, seededRandom } from './values.js';

/** The decoder under test, for a schema as avsc's typings or a literal give it. */
const decoderFor = (schema: unknown) => createRowDecoder(schema as JsonValue);

const record = (fields: unknown[], extra: object = {}) => ({ type: 'record', name: 'R', fields, ...extra });

async function rows(file: Buffer): Promise<JsonValue[]> {
  return (await collect(decodeAvro(chunkedSource(file, 64)))).flatMap((e) =>
    e.kind === 'row' ? [e.row] : [],
  );
}

/** Encodes random values with avsc and checks that they decode to the documented JSON. */
async function expectRoundTrip(schema: Schema, count = 40, header: unknown = schema) {
  const type = writerType(schema);
  const random = seededRandom(count);
  const values = Array.from({ length: count }, () => randomValue(type, random));
  const file = await encodeFile(header as Schema, values, { blockSize: 200 }, type);
  expect(await rows(file)).toEqual(values.map((v) => expectedJson(type, v)));
}

describe('invalid writer schemas', () => {
  // Each is refused by avsc too: the decoder is no looser than the one it replaces.
  it.each<[string, unknown, RegExp]>([
    ['null', null, /invalid type: null/],
    ['a number', 5, /invalid type: 5/],
    ['an unknown type', { type: 'bogus' }, /unknown type: "bogus"/],
    ['a type given as an object', { type: { type: 'int' } }, /unknown type/],
    ['a reference to an undefined name', record([{ name: 'a', type: 'Foo' }]), /undefined type name: "Foo"/],
    [
      'a reference before the definition',
      record([
        { name: 'a', type: 'Later' },
        { name: 'b', type: { type: 'fixed', name: 'Later', size: 1 } },
      ]),
      /undefined type name: "Later"/,
    ],
    [
      'two types with one name',
      record([
        { name: 'a', type: { type: 'fixed', name: 'F', size: 1 } },
        { name: 'b', type: { type: 'enum', name: 'F', symbols: ['A'] } },
      ]),
      /duplicate type name: "F"/,
    ],
    [
      'a nested record named like its parent',
      record([{ name: 'a', type: { type: 'record', name: 'R', fields: [] } }]),
      /duplicate type name: "R"/,
    ],
    [
      'a name defined again in the same namespace',
      {
        type: 'record',
        name: 'a.R',
        fields: [{ name: 'x', type: { type: 'fixed', name: 'R', namespace: 'a', size: 1 } }],
      },
      /duplicate type name: "a.R"/,
    ],
    [
      'two fields with one name',
      record([
        { name: 'a', type: 'int' },
        { name: 'a', type: 'string' },
      ]),
      /duplicate field name: "a"/,
    ],
    ['a union directly in a union', ['null', ['int', 'string']], /unions cannot be directly nested/],
    ['a union of two ints', ['int', 'int'], /duplicate union branch name: "int"/],
    [
      'a union of two arrays',
      [
        { type: 'array', items: 'int' },
        { type: 'array', items: 'string' },
      ],
      /duplicate union branch name: "array"/,
    ],
    [
      'a union of two maps',
      [
        { type: 'map', values: 'int' },
        { type: 'map', values: 'string' },
      ],
      /duplicate union branch name: "map"/,
    ],
    [
      'a union of a long and a timestamp (a long too)',
      ['long', { type: 'long', logicalType: 'timestamp-millis' }],
      /duplicate union branch name: "long"/,
    ],
    ['a union of one named type twice', [{ type: 'fixed', name: 'F', size: 1 }, 'F'], /branch name: "F"/],
    [
      'a union of two anonymous records',
      [
        { type: 'record', fields: [] },
        { type: 'record', fields: [] },
      ],
      /duplicate union branch name: "record"/,
    ],
    ['an empty union', [], /empty union/],
    ['a fixed without a size', { type: 'fixed', name: 'F' }, /invalid F size: undefined/],
    ['a fixed of negative size', { type: 'fixed', name: 'F', size: -1 }, /invalid F size: -1/],
    ['a fixed of fractional size', { type: 'fixed', name: 'F', size: 1.5 }, /invalid F size: 1\.5/],
    ['a fixed whose size is a string', { type: 'fixed', name: 'F', size: '4' }, /invalid F size: "4"/],
    [
      'a decimal fixed of negative size',
      { type: 'fixed', name: 'F', size: -1, logicalType: 'decimal', precision: 2 },
      /invalid F size: -1/,
    ],
    ['an enum without symbols', { type: 'enum', name: 'E' }, /invalid E symbols: undefined/],
    ['an enum with no symbols', { type: 'enum', name: 'E', symbols: [] }, /E has no symbols/],
    [
      'an enum symbol that is not a name',
      { type: 'enum', name: 'E', symbols: ['1A'] },
      /invalid E symbol: "1A"/,
    ],
    ['an enum symbol twice', { type: 'enum', name: 'E', symbols: ['A', 'A'] }, /duplicate E symbol: "A"/],
    [
      'an enum default that is not a symbol',
      { type: 'enum', name: 'E', symbols: ['A'], default: 'B' },
      /invalid E default: "B"/,
    ],
    ['a record without fields', { type: 'record', name: 'R' }, /R has no fields array/],
    ['a record whose fields are an object', { type: 'record', name: 'R', fields: {} }, /no fields array/],
    ['a name starting with a digit', { type: 'record', name: '1R', fields: [] }, /invalid name: "1R"/],
    ['a name with a dash', { type: 'enum', name: 'a-b', symbols: ['A'] }, /invalid name: "a-b"/],
    ['an empty name', { type: 'fixed', name: '', size: 1 }, /invalid name: ""/],
    ['a name that is not a string', { type: 'record', name: 5, fields: [] }, /invalid name: 5/],
    [
      'a namespace with an empty part',
      { type: 'record', name: 'R', namespace: 'com..x', fields: [] },
      /invalid name: "com\.\.x\.R"/,
    ],
    ['a dotted name with an invalid part', { type: 'record', name: 'com.1x.R', fields: [] }, /invalid name/],
    [
      'a named type called like a primitive',
      { type: 'fixed', name: 'int', size: 1 },
      /cannot rename primitive/,
    ],
    ['a qualified primitive name', { type: 'fixed', name: 'x.string', size: 1 }, /cannot rename primitive/],
    ['a field name with a space', record([{ name: 'a b', type: 'int' }]), /invalid field name: "a b"/],
    ['a field without a name', record([{ type: 'int' }]), /invalid field name: undefined/],
    ['a field without a type', record([{ name: 'a' }]), /field "a" has no type/],
    ['a field that is not an object', record(['a']), /invalid field/],
    ['a field order that does not exist', record([{ name: 'a', type: 'int', order: 'up' }]), /invalid order/],
    ['an array without items', { type: 'array' }, /an array has no items/],
    ['a map without values', { type: 'map' }, /a map has no values/],
    ['aliases that are not an array', { type: 'fixed', name: 'F', size: 1, aliases: 'G' }, /invalid aliases/],
    ['an alias that is not a name', { type: 'fixed', name: 'F', size: 1, aliases: ['1G'] }, /invalid name/],
  ])('refuses %s', (_, schema, message) => {
    expect(() => decoderFor(schema)).toThrow(message);
    expect(() => avro.Type.forSchema(schema as Schema, { registry: {} })).toThrow();
  });

  it('refuses them as a corrupt header, naming the problem', async () => {
    const file = handMadeFile({ schema: record([{ name: 'a', type: 'Missing' }]), blocks: [] });
    const error = await collect(decodeAvro(chunkedSource(file, 64))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AvroFormatError);
    expect((error as Error).message).toBe(
      'corrupt header: invalid writer schema (undefined type name: "Missing")',
    );
  });

  it(`refuses a schema nesting more than ${MAX_SCHEMA_DEPTH} levels, without running out of stack`, () => {
    const nested = (levels: number): unknown => {
      let schema: unknown = 'int';
      for (let i = 0; i < levels; i++) schema = { type: 'array', items: schema };
      return schema;
    };
    expect(decoderFor(nested(MAX_SCHEMA_DEPTH)).minRowBytes).toBe(1);
    expect(() => decoderFor(nested(MAX_SCHEMA_DEPTH + 1))).toThrow(
      `the schema nests more than ${MAX_SCHEMA_DEPTH} levels deep`,
    );
    // JSON.parse builds far deeper values than a recursive walk could visit.
    expect(() => decoderFor(nested(1_000_000))).toThrow(/nests more than/);
  });

  it('counts a chain of references as deep as the definitions it leads through', () => {
    // Every record is defined one level down, but each contains the one before: a row nests as deep
    // as the chain is long.
    const chain = (length: number) =>
      Array.from({ length }, (_, i) => ({
        type: 'record',
        name: `R${i}`,
        fields: i === 0 ? [] : [{ name: 'inner', type: `R${i - 1}` }],
      }));
    expect(() => decoderFor(chain(MAX_SCHEMA_DEPTH - 1))).not.toThrow();
    expect(() => decoderFor(chain(5000))).toThrow(/nests more than/);
  });
});

describe('schemas avsc refused that are valid', () => {
  it('accepts names that are also Object.prototype members, and decodes them', async () => {
    const schema = {
      type: 'record',
      name: 'constructor',
      fields: [
        { name: 'a', type: { type: 'enum', name: 'toString', symbols: ['__proto__', 'valueOf', 'B'] } },
        { name: 'b', type: { type: 'fixed', name: '__proto__', size: 2 } },
        { name: 'c', type: ['null', 'constructor'] },
      ],
    };
    expect(() => avro.Type.forSchema(schema as Schema, { registry: {} })).toThrow(/duplicate/);
    const data = Buffer.from([0, 1, 2, 2, 4, 3, 4, 0]);
    expect(decoderFor(schema).decode(data, 0)).toEqual({
      value: { a: '__proto__', b: 'AQI=', c: { a: 'B', b: 'AwQ=', c: null } },
      offset: data.length,
    });
  });

  it('ignores field defaults, which only matter when resolving against a reader schema', () => {
    // avsc refused a default that does not match the field's type, e.g. `null` for ["string", "null"].
    const schema = record([
      { name: 'a', type: ['string', 'null'], default: null },
      { name: 'b', type: 'int', default: 'x' },
    ]);
    expect(() => avro.Type.forSchema(schema as Schema, { registry: {} })).toThrow(
      /incompatible field default/,
    );
    expect(decoderFor(schema).decode(Buffer.from([2, 6]), 0)).toEqual({
      value: { a: null, b: 3 },
      offset: 2,
    });
  });
});

describe('named types', () => {
  const namespaced: Schema = {
    type: 'record',
    name: 'Outer',
    namespace: 'com.example',
    fields: [
      // com.example.Inner, by the namespace it inherits.
      { name: 'a', type: { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'int' }] } },
      { name: 'b', type: 'Inner' },
      { name: 'c', type: 'com.example.Inner' },
      {
        // A dotted name carries its own namespace, for itself and what it contains.
        name: 'd',
        type: {
          type: 'record',
          name: 'org.other.Thing',
          fields: [
            { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
            { name: 'inner', type: 'com.example.Inner' },
            { name: 'again', type: 'Kind' },
          ],
        },
      },
      { name: 'e', type: 'org.other.Kind' },
      // com.example.Kind: the same simple name in another namespace is another type.
      { name: 'f', type: { type: 'fixed', name: 'Kind', size: 2 } },
      {
        // An explicit namespace, empty here (the null namespace), for the type and what it contains.
        name: 'g',
        type: {
          type: 'record',
          name: 'Rooted',
          namespace: '',
          fields: [{ name: 'hash', type: { type: 'fixed', name: 'Hash', size: 1 } }],
        },
      },
      { name: 'h', type: ['null', 'Outer'] },
      { name: 'i', type: { type: 'array', items: ['com.example.Kind', 'org.other.Kind', 'Inner'] } },
      // A primitive stays a primitive, however qualified.
      { name: 'j', type: 'com.example.int' },
    ],
  };

  it('resolves simple and full names in their namespaces', async () => {
    await expectRoundTrip(namespaced);
    const decoder = decoderFor(namespaced);
    const row = Buffer.from([2, 4, 6, 2, 8, 0, 0, 0x61, 0x62, 0x01, 0, 0, 2]);
    expect(decoder.decode(row, 0)).toEqual({
      value: {
        a: { x: 1 },
        b: { x: 2 },
        c: { x: 3 },
        d: { kind: 'B', inner: { x: 4 }, again: 'A' },
        e: 'A',
        f: 'YWI=',
        g: { hash: 'AQ==' },
        h: null,
        i: [],
        j: 1,
      },
      offset: row.length,
    });
  });

  it('refuses a simple name outside the namespace it was defined in', () => {
    const schema = {
      type: 'record',
      name: 'a.R',
      fields: [
        { name: 'x', type: { type: 'fixed', name: 'F', size: 1 } },
        { name: 'y', type: { type: 'record', name: 'b.S', fields: [{ name: 'z', type: 'F' }] } },
      ],
    };
    expect(() => decoderFor(schema)).toThrow('undefined type name: "b.F"');
  });

  it('falls back to the null namespace for a simple name, as Java does', async () => {
    // Java writes a reference to a null-namespace type by its simple name, even inside a namespace.
    const header = {
      type: 'record',
      name: 'Outer',
      namespace: 'com.example',
      fields: [
        {
          name: 'a',
          type: { type: 'record', name: 'Point', namespace: '', fields: [{ name: 'x', type: 'int' }] },
        },
        { name: 'b', type: 'Point' },
      ],
    };
    // The same schema as avsc takes it: `.Point` is its absolute reference.
    const writer = { ...header, fields: [header.fields[0], { name: 'b', type: '.Point' }] };
    await expectRoundTrip(writer as Schema, 20, header);
  });

  it("gives a dotted name's namespace precedence over a namespace attribute, inside the record too", () => {
    // As the specification says; avsc resolved the names inside in the attribute's namespace.
    const schema = {
      type: 'record',
      name: 'a.R',
      namespace: 'ignored',
      fields: [
        { name: 'x', type: { type: 'fixed', name: 'F', size: 1 } },
        { name: 'y', type: 'a.F' },
      ],
    };
    expect(decoderFor(schema).decode(Buffer.from([1, 2]), 0)).toEqual({
      value: { x: 'AQ==', y: 'Ag==' },
      offset: 2,
    });
  });
});
