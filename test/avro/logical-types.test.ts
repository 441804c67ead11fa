import { describe, expect, it } from 'vitest';
import { decodeAvro, type JsonValue } from '../../lib/avro/index.js';
import { chunkedSource, collect, encodeFile, type Schema } from './fixtures.js';

/** Big-endian two's complement of `value` in `size` bytes (or the fewest that hold it). */
function twosComplement(value: bigint, size?: number): Buffer {
  let length = size ?? 1;
  while (
    size === undefined &&
    (value >= 1n << BigInt(8 * length - 1) || value < -(1n << BigInt(8 * length - 1)))
  ) {
    length++;
  }
  const bytes = Buffer.alloc(length);
  let v = BigInt.asUintN(8 * length, value);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

async function decodeOne(schema: Schema, value: unknown): Promise<JsonValue> {
  const file = await encodeFile(schema, [value]);
  const rows = (await collect(decodeAvro(chunkedSource(file, 50)))).flatMap((e) =>
    e.kind === 'row' ? [e.row] : [],
  );
  expect(rows).toHaveLength(1);
  return rows[0];
}

const field = (type: unknown) => ({ type: 'record', name: 'R', fields: [{ name: 'v', type }] }) as Schema;

describe('logical types', () => {
  it.each([
    ['timestamp-millis', 'long', 1714566600123n, '2024-05-01T12:30:00.123Z'],
    ['timestamp-millis', 'long', -1n, '1969-12-31T23:59:59.999Z'],
    ['timestamp-micros', 'long', 1714566600123456n, '2024-05-01T12:30:00.123456Z'],
    ['timestamp-micros', 'long', -1n, '1969-12-31T23:59:59.999999Z'],
    ['timestamp-nanos', 'long', 1714566600123456789n, '2024-05-01T12:30:00.123456789Z'],
    ['timestamp-nanos', 'long', 2n ** 63n - 1n, '2262-04-11T23:47:16.854775807Z'],
    ['timestamp-nanos', 'long', -(2n ** 63n), '1677-09-21T00:12:43.145224192Z'],
    ['local-timestamp-millis', 'long', 1714566600123n, '2024-05-01T12:30:00.123'],
    ['local-timestamp-micros', 'long', 1714566600000001n, '2024-05-01T12:30:00.000001'],
    ['local-timestamp-nanos', 'long', 5n, '1970-01-01T00:00:00.000000005'],
    ['date', 'int', 19844, '2024-05-01'],
    ['date', 'int', -1, '1969-12-31'],
    ['time-millis', 'int', 45_000_123, '12:30:00.123'],
    ['time-micros', 'long', 45_000_123_456n, '12:30:00.123456'],
  ])('%s (%s) %s → %j', async (logicalType, type, value, expected) => {
    expect(await decodeOne(field({ type, logicalType }), { v: value })).toEqual({ v: expected });
  });

  it('falls back to the underlying value outside Date range or outside a day', async () => {
    expect(
      await decodeOne(field({ type: 'long', logicalType: 'timestamp-millis' }), { v: 9n * 10n ** 15n }),
    ).toEqual({
      v: 9e15,
    });
    expect(
      await decodeOne(field({ type: 'long', logicalType: 'timestamp-micros' }), { v: 2n ** 63n - 1n }),
    ).toEqual({
      v: '9223372036854775807',
    });
    expect(await decodeOne(field({ type: 'int', logicalType: 'date' }), { v: 2 ** 31 - 1 })).toEqual({
      v: 2 ** 31 - 1,
    });
    expect(await decodeOne(field({ type: 'int', logicalType: 'time-millis' }), { v: 86_400_000 })).toEqual({
      v: 86_400_000,
    });
  });

  it.each([
    [{ type: 'bytes', logicalType: 'decimal', precision: 7, scale: 2 }, twosComplement(-12345n), '-123.45'],
    [{ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 3 }, twosComplement(5n), '0.005'],
    [{ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 3 }, twosComplement(-5n), '-0.005'],
    [{ type: 'bytes', logicalType: 'decimal', precision: 3 }, twosComplement(127n), '127'],
    [{ type: 'bytes', logicalType: 'decimal', precision: 3, scale: 1 }, Buffer.alloc(0), '0.0'],
    [
      { type: 'bytes', logicalType: 'decimal', precision: 40, scale: 10 },
      twosComplement(-123456789012345678901234567890n),
      '-12345678901234567890.1234567890',
    ],
    [
      { type: 'fixed', name: 'Money', size: 16, logicalType: 'decimal', precision: 30, scale: 4 },
      twosComplement(10n ** 29n + 1n, 16),
      '10000000000000000000000000.0001',
    ],
    [
      { type: 'fixed', name: 'Small', size: 4, logicalType: 'decimal', precision: 9, scale: 0 },
      twosComplement(-2n, 4),
      '-2',
    ],
  ])('decimal %j', async (type, bytes, expected) => {
    expect(await decodeOne(field(type), { v: bytes })).toEqual({ v: expected });
  });

  it('ignores an invalid logical type, as the spec requires, and decodes the underlying type', async () => {
    const bytes = Buffer.from([1, 2, 3]);
    const badDecimal = { type: 'bytes', logicalType: 'decimal', precision: 2, scale: 5 };
    expect(await decodeOne(field(badDecimal), { v: bytes })).toEqual({ v: 'AQID' });
    expect(await decodeOne(field({ type: 'string', logicalType: 'timestamp-millis' }), { v: 'x' })).toEqual({
      v: 'x',
    });
    expect(await decodeOne(field({ type: 'long', logicalType: 'no-such-type' }), { v: 2n ** 60n })).toEqual({
      v: '1152921504606846976',
    });
  });

  it('passes uuid strings through and leaves duration as base64 fixed', async () => {
    const uuid = '123e4567-e89b-12d3-a456-426614174000';
    expect(await decodeOne(field({ type: 'string', logicalType: 'uuid' }), { v: uuid })).toEqual({ v: uuid });
    const duration = { type: 'fixed', name: 'Duration', size: 12, logicalType: 'duration' };
    expect(await decodeOne(field(duration), { v: Buffer.alloc(12, 1) })).toEqual({
      v: Buffer.alloc(12, 1).toString('base64'),
    });
  });

  it('converts logical types inside unions, arrays and maps', async () => {
    const ts: Schema = { type: 'long', logicalType: 'timestamp-millis' };
    const schema: Schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'maybe', type: ['null', ts] },
        { name: 'list', type: { type: 'array', items: ts } },
        { name: 'byDay', type: { type: 'map', values: { type: 'int', logicalType: 'date' } } },
      ],
    };
    const value = { maybe: { long: 0n }, list: [0n, 1000n], byDay: { a: 0 } };
    expect(await decodeOne(schema, value)).toEqual({
      maybe: '1970-01-01T00:00:00.000Z',
      list: ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:01.000Z'],
      byDay: { a: '1970-01-01' },
    });
  });
});
