import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AvroFormatError, decodeAvro, type JsonValue, readAvroPage } from '../../lib/avro/index.js';
import {
  blockOffsets,
  chunkedSource,
  encodeFile,
  type HandBlock,
  handMadeFile,
  rangeSource,
  type Schema,
  SYNC,
  varint,
} from './fixtures.js';
import { avroSnappyCodec } from './snappy-writer.js';
import { seededRandom } from './values.js';

const SCHEMA: Schema = {
  type: 'record',
  name: 'Item',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'color', type: ['null', { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] }] },
  ],
};
const VALUES = Array.from({ length: 40 }, (_, i) => ({
  id: i,
  name: `item ${i}`,
  color: i % 3 === 0 ? null : { Color: i % 2 ? 'RED' : 'GREEN' },
}));
const EXPECTED = VALUES.map((v) => ({ ...v, color: v.color === null ? null : v.color.Color }));

async function file(codec = 'null'): Promise<Buffer> {
  return encodeFile(SCHEMA, VALUES, {
    blockSize: 64,
    syncMarker: SYNC,
    codec,
    codecs: { snappy: avroSnappyCodec },
  });
}

/** Decodes with both entry points; returns the rows streamed before the error and the two errors. */
async function failures(bytes: Buffer, options: { maxBlockBytes?: number } = {}) {
  const rows: JsonValue[] = [];
  let streamError: unknown;
  const source = chunkedSource(bytes, 16);
  try {
    for await (const event of decodeAvro(source, options)) if (event.kind === 'row') rows.push(event.row);
  } catch (error) {
    streamError = error;
  }
  expect(source.finished || source.returned === 1).toBe(true);
  let pageError: unknown;
  try {
    let cursor: string | undefined;
    do {
      cursor = (await readAvroPage(rangeSource(bytes, 16), { limit: 7, cursor, ...options })).nextCursor;
    } while (cursor !== undefined);
  } catch (error) {
    pageError = error;
  }
  return { rows, streamError, pageError };
}

async function expectFormatError(bytes: Buffer, message: RegExp, options: { maxBlockBytes?: number } = {}) {
  const { rows, streamError, pageError } = await failures(bytes, options);
  for (const error of [streamError, pageError]) {
    expect(error).toBeInstanceOf(AvroFormatError);
    expect((error as Error).name).toBe('AvroFormatError');
    expect((error as Error).message).toMatch(message);
  }
  return rows;
}

describe('bytes that are not an Avro container', () => {
  it.each([
    ['empty', Buffer.alloc(0), /not an Avro object container file \(empty\)/],
    [
      'a zip',
      Buffer.from('PK\x03\x04 and then some', 'latin1'),
      /not an Avro object container file \(bad magic\)/,
    ],
    ['JSON', Buffer.from('{"rows": []}'), /bad magic/],
    ['a one-byte file', Buffer.from('x'), /bad magic/],
    ['Avro version 2', Buffer.from('Obj\x02 rest', 'latin1'), /bad magic/],
  ])('%s is refused', async (_, bytes, message) => {
    await expectFormatError(bytes, message);
  });

  it('refuses a header whose schema is not JSON, or not a valid schema', async () => {
    const notJson = handMadeFile({ schema: 'x', blocks: [] });
    const broken = Buffer.from(notJson.toString('latin1').replace('"x"', '{x}'), 'latin1');
    await expectFormatError(broken, /corrupt header: avro\.schema is not JSON/);
    await expectFormatError(handMadeFile({ schema: { type: 'bogus' }, blocks: [] }), /invalid writer schema/);
  });

  it('refuses a header with absurd metadata sizes without allocating them', async () => {
    const bytes = Buffer.concat([Buffer.from('Obj\x01', 'latin1'), varint(1), varint(2 ** 40)]);
    await expectFormatError(bytes, /corrupt header: a metadata entry declares 1099511627776 bytes/);
  });

  it('names an unsupported codec', async () => {
    const bytes = handMadeFile({
      schema: 'int',
      codec: 'zstandard',
      blocks: [{ count: 1, data: varint(1) }],
    });
    await expectFormatError(bytes, /unsupported codec "zstandard"/);
  });
});

describe('a truncated file', () => {
  it('is refused wherever it is cut, after the rows of the complete blocks', async () => {
    const whole = await file();
    const blocks = blockOffsets(whole);
    const header = blocks[0];
    expect(blocks.length).toBeGreaterThan(5);
    const cuts: Array<[number, RegExp]> = [
      [2, /truncated in the header/],
      [4, /truncated in the header/],
      [20, /truncated in the header/],
      [header - 3, /truncated in the header/],
      [header + 1, /truncated in block 1 \(at byte \d+\)/],
      [header + 10, /truncated in block 1 /],
      [blocks[3] - 5, /truncated in block 3 /],
      [blocks[4] + 1, /truncated in block 5 /],
      [whole.length - 1, new RegExp(`truncated in block ${blocks.length} `)],
    ];
    for (const [at, message] of cuts) {
      const rows = await expectFormatError(whole.subarray(0, at), message);
      expect(rows).toEqual(EXPECTED.slice(0, rows.length));
      if (at > blocks[3]) expect(rows.length).toBeGreaterThan(0);
    }
  });
});

describe('a corrupt file', () => {
  it('refuses a damaged sync marker, naming the block it follows', async () => {
    const bytes = Buffer.from(await file());
    bytes[blockOffsets(bytes)[2] - 1] ^= 0xff;
    const rows = await expectFormatError(bytes, /sync marker mismatch after block 2 /);
    expect(rows).toEqual(EXPECTED.slice(0, rows.length));
  });

  it('refuses damaged deflate data', async () => {
    const bytes = Buffer.from(await file('deflate'));
    const second = blockOffsets(bytes)[1];
    bytes.fill(0xff, second + 2, second + 8);
    await expectFormatError(bytes, /corrupt block 2: its deflate data is corrupt/);
  });

  it('refuses snappy data whose checksum does not match', async () => {
    const bytes = Buffer.from(await file('snappy'));
    bytes[blockOffsets(bytes)[1] - SYNC.length - 1] ^= 0x01;
    await expectFormatError(bytes, /corrupt block 1: its snappy data is corrupt/);
  });

  const intRows = (blocks: HandBlock[]) => handMadeFile({ schema: 'int', blocks });

  it.each<[string, Schema, HandBlock, RegExp]>([
    [
      'an enum index out of range',
      { type: 'enum', name: 'E', symbols: ['A'] },
      { count: 1, data: varint(7) },
      /corrupt block 1: object 1 does not decode/,
    ],
    [
      'a union branch that does not exist',
      ['null', 'int'],
      { count: 1, data: varint(5) },
      /object 1 does not decode \(union branch 5 does not exist\)/,
    ],
    [
      'a string longer than the block',
      'string',
      { count: 1, data: Buffer.concat([varint(1000), Buffer.from('abc')]) },
      /object 1 runs past the end of the block/,
    ],
    [
      'bytes with a negative length',
      'bytes',
      { count: 1, data: varint(-3) },
      /object 1 runs past the end of the block/,
    ],
    [
      'a long of eleven bytes',
      'long',
      { count: 1, data: Buffer.from([...Array(10).fill(0xff), 1]) },
      /object 1 does not decode \(a long is encoded in more than 10 bytes\)/,
    ],
    [
      'bytes left over after the objects',
      'int',
      { count: 1, data: Buffer.from([2, 4]) },
      /corrupt block 1: 1 bytes left after its 1 objects/,
    ],
    [
      'fewer objects than declared',
      'string',
      { count: 2, data: Buffer.concat([varint(1), Buffer.from('a')]) },
      /corrupt block 1: object 2 runs past the end of the block/,
    ],
  ])('refuses %s', async (_, schema, block, message) => {
    await expectFormatError(handMadeFile({ schema, blocks: [block] }), message);
  });

  it('refuses a negative object count and more objects than the bytes can hold', async () => {
    await expectFormatError(
      intRows([{ count: -1, data: varint(1) }]),
      /corrupt block 1 \(at byte \d+\): it declares -1 objects/,
    );
    await expectFormatError(
      intRows([{ count: 1000, data: varint(1) }]),
      /1000 objects cannot fit in 1 bytes/,
    );
    await expectFormatError(
      intRows([{ count: 2n ** 40n, data: varint(1) }]),
      /it declares 1099511627776 objects/,
    );
  });

  it('refuses an absurd block size before allocating it', async () => {
    const bytes = intRows([{ count: 1, size: 2n ** 40n, data: varint(1) }]);
    await expectFormatError(bytes, /it declares 1099511627776 bytes, over the 67108864-byte limit/);
    const small = intRows([{ count: 1, size: 2000, data: Buffer.alloc(2000, 2) }]);
    await expectFormatError(small, /declares 2000 bytes, over the 1024-byte limit/, { maxBlockBytes: 1024 });
  });

  it('refuses a block that decompresses beyond the limit (a deflate bomb)', async () => {
    const bomb = deflateRawSync(Buffer.alloc(4 << 20));
    expect(bomb.length).toBeLessThan(1 << 20);
    const bytes = handMadeFile({ schema: 'int', codec: 'deflate', blocks: [{ count: 1, data: bomb }] });
    await expectFormatError(bytes, /corrupt block 1: it decompresses to more than 1048576 bytes/, {
      maxBlockBytes: 1 << 20,
    });
  });

  it('refuses a deflate bomb big enough to inflate off the main thread', async () => {
    const random = seededRandom(3);
    const noise = Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(random() * 256)));
    const bomb = deflateRawSync(Buffer.concat([noise, Buffer.alloc(4 << 20)]));
    expect(bomb.length).toBeGreaterThan(256 * 1024);
    const bytes = handMadeFile({ schema: 'int', codec: 'deflate', blocks: [{ count: 1, data: bomb }] });
    await expectFormatError(bytes, /it decompresses to more than 1048576 bytes/, { maxBlockBytes: 1 << 20 });
  });
});

describe('item counts that would make a decoder spin or allocate without end', () => {
  const nulls: Schema = { type: 'array', items: 'null' };
  it.each<[string, Schema, Buffer]>([
    ['2^40 nulls in an array', nulls, Buffer.concat([varint(2 ** 40), varint(0)])],
    [
      '2^40 nulls as a negative-count block',
      nulls,
      Buffer.concat([varint(-(2 ** 40)), varint(0), varint(0)]),
    ],
    [
      'nested arrays of many nulls',
      { type: 'array', items: nulls },
      Buffer.concat([
        varint(100),
        ...Array(100).fill(Buffer.concat([varint(2 ** 30), varint(0)])),
        varint(0),
      ]),
    ],
    [
      'a billion ints in a few bytes',
      { type: 'array', items: 'int' },
      Buffer.concat([varint(1e9), varint(1), varint(0)]),
    ],
    ['2^50 map entries', { type: 'map', values: 'null' }, Buffer.concat([varint(2 ** 50), varint(0)])],
  ])('refuses %s, promptly', { timeout: 2000 }, async (_, schema, data) => {
    await expectFormatError(
      handMadeFile({ schema, blocks: [{ count: 1, data }] }),
      /more than the block can hold/,
    );
  });

  it('still decodes many legitimate zero-size items', async () => {
    const data = Buffer.concat([varint(100_000), varint(0)]);
    const { rows, streamError } = await failures(
      handMadeFile({ schema: nulls, blocks: [{ count: 1, data }] }),
    );
    expect(streamError).toBeUndefined();
    expect(rows).toEqual([Array(100_000).fill(null)]);
  });
});

describe('bombs: files that make output out of nothing', () => {
  // Each is a small file that, without the output budget, decodes to billions of rows or values.
  const zeroRowBlocks = (count: number, blocks: number) =>
    Array.from({ length: blocks }, () => ({ count, data: Buffer.alloc(0) }));

  it.each([
    ['rows of "null"', 'null'],
    ['rows of an empty record', { type: 'record', name: 'Nothing', fields: [] }],
  ])('refuses blocks of %s declaring 64 Mi rows each, at the first block', async (_, schema) => {
    // 21 KB: about a thousand blocks, each declaring 2^26 zero-width rows (the old limit let all through).
    const bytes = handMadeFile({ schema, blocks: zeroRowBlocks(64 * 1024 * 1024, 1000) });
    expect(bytes.length).toBeLessThan(25_000);
    const rows = await expectFormatError(bytes, /block 1 .*make more values than its bytes can carry/);
    expect(rows).toEqual([]);
  });

  it('lets zero-width rows through only as far as the bytes read pay for them', async () => {
    // Blocks of 1,024 "null" rows each fit the per-block bound; the whole file makes at most 64
    // values a byte beyond the allowance.
    const bytes = handMadeFile({ schema: 'null', blocks: zeroRowBlocks(1024, 100) });
    const { rows, streamError, pageError } = await failures(bytes);
    expect(streamError).toBeUndefined();
    expect(pageError).toBeUndefined();
    expect(rows.length).toBe(102_400);
    expect(rows.length).toBeLessThanOrEqual(64 * bytes.length);
  });

  it('refuses a schema of 400,000 null fields before decoding a row', async () => {
    const fields = Array.from({ length: 400_000 }, (_, i) => ({ name: `f${i}`, type: 'null' }));
    const schema = { type: 'record', name: 'Wide', fields };
    await expectFormatError(
      handMadeFile({ schema, blocks: [{ count: 1, data: Buffer.alloc(0) }] }),
      /declares more than 10000 record fields/,
    );
  });

  it('refuses rows of arrays of nulls that together exceed what the bytes can carry', async () => {
    // Each 4-byte row declares 900,000 nulls; 2,000 such rows would be 1.8 billion values.
    const row = Buffer.concat([varint(900_000), varint(0)]);
    const data = Buffer.concat(Array.from({ length: 2000 }, () => row));
    const rows = await expectFormatError(
      handMadeFile({ schema: { type: 'array', items: 'null' }, blocks: [{ count: 2000, data }] }),
      /more than the block can hold/,
    );
    expect(rows.length).toBe(1); // the allowance pays for the first row only
  });

  it('still decodes a wide record of real data and sparse nullable fields', async () => {
    const fields = Array.from({ length: 400 }, (_, i) => ({ name: `f${i}`, type: ['null', 'int'] }));
    const schema: Schema = { type: 'record', name: 'Sparse', fields };
    const values = Array.from({ length: 300 }, (_, r) =>
      Object.fromEntries(fields.map((f, i) => [f.name, (i + r) % 50 === 0 ? { int: i } : null])),
    );
    const bytes = await encodeFile(schema, values, { syncMarker: SYNC });
    const { rows, streamError, pageError } = await failures(bytes);
    expect(streamError).toBeUndefined();
    expect(pageError).toBeUndefined();
    expect(rows).toHaveLength(300);
  });
});

describe('errors of the byte source', () => {
  it('pass through unchanged, and the source is closed', async () => {
    const networkError = new Error('connection reset');
    const source = chunkedSource(await file(), 32, { afterBytes: 200, error: networkError });
    const consume = async () => {
      for await (const _ of decodeAvro(source)) {
        // Drain.
      }
    };
    await expect(consume()).rejects.toBe(networkError);
    expect(source.returned).toBe(1);
  });
});
