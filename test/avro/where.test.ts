import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSchema } from '../../lib/avro/schema.js';
import { AvroQueryError, compileWhere, likeMatcher, WHERE_LIMITS } from '../../lib/avro/where.js';
import { exprArbitrary, type Family, keeps, type OracleField, printExpr } from './where-oracle.js';

const SCHEMA = parseSchema({
  type: 'record',
  name: 'Row',
  fields: [
    { name: 's', type: 'string' },
    { name: 'n', type: 'int' },
    { name: 'd', type: 'double' },
    { name: 'l', type: 'long' },
    { name: 'b', type: 'boolean' },
    { name: 'ns', type: ['null', 'string'] },
    { name: 'nn', type: ['null', 'int'] },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'and', type: 'int' },
    {
      name: 'rec',
      type: [
        'null',
        {
          type: 'record',
          name: 'Rec',
          fields: [
            { name: 'x', type: 'int' },
            { name: 'y', type: ['null', 'string'] },
          ],
        },
      ],
    },
    { name: 'list', type: { type: 'array', items: 'int' } },
  ],
});

const STRINGS = ['', 'a', 'b', 'ab', 'ba', "it's", 'a%b', 'DE'];
const BIG = ['9007199254740993', '-9223372036854775808', '9223372036854775807'];
const FIELDS: OracleField[] = [
  { path: 's', family: 'string', literals: STRINGS },
  { path: 'n', family: 'number', literals: [-2, -1, 0, 1, 2, 1.5] },
  { path: 'd', family: 'number', literals: [-1.5, 0, 0.5, 2, 1e300] },
  {
    path: 'l',
    family: 'number',
    literals: [0, 1, 9007199254740992n, 9007199254740993n, -9223372036854775808n],
  },
  { path: 'b', family: 'boolean', literals: [true, false] },
  { path: 'ns', family: 'string', literals: STRINGS },
  { path: 'nn', family: 'number', literals: [-1, 0, 1] },
  { path: 'kind', family: 'string', literals: ['A', 'B', 'C'] },
  { path: 'ts', family: 'string', literals: ['2026-11-01', '2026-11-15T00:00:00.000Z', '2027'] },
  { path: 'rec.x', family: 'number', literals: [0, 1, 2] },
  { path: 'rec.y', family: 'string', literals: STRINGS },
];
const FAMILIES = new Map<string, Family>(FIELDS.map((f) => [f.path, f.family]));
const PATTERNS = ['%', 'a%', '%a', '%a%', 'a%b', '%b%a%', '', 'ab', '%%', "it'%"];

const rowArbitrary = fc.record({
  s: fc.constantFrom(...STRINGS),
  n: fc.integer({ min: -2, max: 2 }),
  d: fc.constantFrom(-1.5, 0, 0.5, 2, 3.25),
  l: fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom(...BIG), fc.constant(9007199254740991)),
  b: fc.boolean(),
  ns: fc.option(fc.constantFrom(...STRINGS), { nil: null }),
  nn: fc.option(fc.integer({ min: -1, max: 1 }), { nil: null }),
  kind: fc.constantFrom('A', 'B'),
  ts: fc.constantFrom('2026-10-31T23:59:59.999Z', '2026-11-01T00:00:00.000Z', '2026-11-20T12:00:00.000Z'),
  and: fc.integer(),
  rec: fc.option(
    fc.record({
      x: fc.integer({ min: 0, max: 2 }),
      y: fc.option(fc.constantFrom(...STRINGS), { nil: null }),
    }),
    {
      nil: null,
    },
  ),
  list: fc.constant<number[]>([1, 2]),
});

describe('where= against an oracle', () => {
  it('keeps exactly the rows the oracle keeps, for generated expressions of every operator', () => {
    fc.assert(
      fc.property(
        exprArbitrary(FIELDS, PATTERNS),
        fc.array(rowArbitrary, { minLength: 1, maxLength: 20 }),
        fc.nat(30),
        (expr, rows, style) => {
          const text = printExpr(expr, style);
          const filter = compileWhere(text, SCHEMA);
          for (const row of rows)
            expect(filter.keep(row), `${text} on ${JSON.stringify(row)}`).toBe(keeps(expr, row, FAMILIES));
        },
      ),
      { numRuns: 1500, seed: 18 },
    );
  });

  it('reports the fields an expression reads, nested ones by their path', () => {
    const { fields } = compileWhere("rec.x = 1 and (s like 'a%' or ns is null)", SCHEMA);
    expect(fields).toEqual(
      new Map<string, unknown>([
        ['rec', new Map([['x', true]])],
        ['s', true],
        ['ns', true],
      ]),
    );
  });

  it('follows three-valued logic: a null compares as unknown, and not unknown is unknown', () => {
    const row = { ns: null, s: 'x' };
    expect(compileWhere("ns = 'a'", SCHEMA).keep(row)).toBe(false);
    expect(compileWhere("not (ns = 'a')", SCHEMA).keep(row)).toBe(false);
    expect(compileWhere("ns != 'a' or ns is null", SCHEMA).keep(row)).toBe(true);
    expect(compileWhere("ns = 'a' or s = 'x'", SCHEMA).keep(row)).toBe(true);
  });

  it('compares longs beyond 2^53 exactly', () => {
    const filter = compileWhere('l > 9007199254740992', SCHEMA);
    expect(filter.keep({ l: '9007199254740993' })).toBe(true);
    expect(filter.keep({ l: 9007199254740992 })).toBe(false);
    expect(compileWhere('l = 9007199254740993', SCHEMA).keep({ l: '9007199254740993' })).toBe(true);
  });

  it('matches like patterns in time linear in the value, however many % they hold', () => {
    const value = 'a'.repeat(200_000);
    expect(likeMatcher('%a%a%a%a%a%a%a%a%a%a%b')(value)).toBe(false);
    expect(likeMatcher('%a%a%a%a%a%a%a%a%a%a%')(value)).toBe(true);
    expect(likeMatcher('a%a')('a')).toBe(false);
  });
});

describe('where= refusals', () => {
  const refused: Array<[string, RegExp, number]> = [
    ['', /empty/, 0],
    ["s = 'DE", /unterminated string/, 4],
    ['s =', /expected a field or a literal/, 3],
    ["s = 'a' and", /expected a field or a literal/, 11],
    ["s == 'a'", /expected a field or a literal/, 3],
    ["(s = 'a'", /expected "\)"/, 8],
    ["s = 'a')", /expected "and", "or" or the end/, 7],
    ["s ~ 'a'", /unexpected character "~"/, 2],
    ["nope = 'a'", /no field nope/, 0],
    ['rec.z = 1', /no field rec.z/, 0],
    ['s.x = 1', /s is not a record/, 0],
    ['s > 1', /cannot compare string with number/, 4],
    ["n = 'a'", /cannot compare number with string/, 4],
    ['b < true', /booleans compare with "=" and "!=" only/, 4],
    ['rec = 1', /only "is null" applies/, 0],
    ['list = 1', /only "is null" applies/, 0],
    ['s = null', /is null/, 4],
    ['n like 1', /"like" takes a string/, 7],
    ["n like '1%'", /"like" applies to strings only/, 0],
    ['s in (n)', /literals only/, 6],
    ["s is 'a'", /expected "null"/, 5],
    ["s not = 'a'", /expected "in" or "like"/, 6],
    ['and = 1', /"and" is a keyword/, 0],
  ];

  it.each(refused)('refuses %j with a message and its position', (text, message, position) => {
    let error: unknown;
    try {
      compileWhere(text, SCHEMA);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AvroQueryError);
    expect((error as AvroQueryError).message).toMatch(message);
    expect((error as AvroQueryError).position).toBe(position);
  });

  it('reads a keyword-named field in double quotes', () => {
    expect(compileWhere('"and" = 1', SCHEMA).keep({ and: 1 })).toBe(true);
    expect(compileWhere('"rec.x" = 1', SCHEMA).keep({ rec: { x: 1 } })).toBe(true);
  });

  it('refuses hostile expressions at the limits, before compiling them', () => {
    const deep = `${'('.repeat(WHERE_LIMITS.depth + 1)}n = 1${')'.repeat(WHERE_LIMITS.depth + 1)}`;
    expect(() => compileWhere(deep, SCHEMA)).toThrow(/nests more than 32/);
    const nots = `${'not '.repeat(WHERE_LIMITS.depth + 1)}n = 1`;
    expect(() => compileWhere(nots, SCHEMA)).toThrow(/nests more than 32/);
    expect(() => compileWhere(`s = '${'x'.repeat(WHERE_LIMITS.literalChars + 1)}'`, SCHEMA)).toThrow(
      /longer than 1024/,
    );
    const list = Array.from({ length: WHERE_LIMITS.inItems + 1 }, (_, i) => i).join(',');
    expect(() => compileWhere(`n in (${list})`, SCHEMA)).toThrow(/more than 1000 items/);
    const many = Array.from({ length: WHERE_LIMITS.tests + 1 }, () => 'n=1').join(' or ');
    expect(() => compileWhere(many, SCHEMA)).toThrow(/more than 256 tests/);
    expect(() => compileWhere(`n = ${'9'.repeat(41)}`, SCHEMA)).toThrow(/longer than 40/);
    expect(() => compileWhere(`n = 1 ${' '.repeat(WHERE_LIMITS.length)}`, SCHEMA)).toThrow(
      /longer than 4096/,
    );
    // Just inside the limits, it compiles.
    const inside = `${'('.repeat(WHERE_LIMITS.depth - 1)}n = 1${')'.repeat(WHERE_LIMITS.depth - 1)}`;
    expect(compileWhere(inside, SCHEMA).keep({ n: 1 })).toBe(true);
  });
});
