import { describe, expect, it } from 'vitest';
import { AvroCursorError, AvroFormatError, readAvroPage } from '../../lib/avro/index.js';
import { blockOffsets, encodeFile, rangeSource, type Schema, SYNC } from './fixtures.js';

const SCHEMA: Schema = {
  type: 'record',
  name: 'Row',
  fields: [
    { name: 'n', type: 'int' },
    { name: 'text', type: 'string' },
  ],
};
const values = (count: number, prefix = 'row') =>
  Array.from({ length: count }, (_, n) => ({ n, text: `${prefix} ${n}` }));

async function file(options: { syncMarker?: Buffer; prefix?: string } = {}): Promise<Buffer> {
  return encodeFile(SCHEMA, values(50, options.prefix), {
    blockSize: 100,
    syncMarker: options.syncMarker ?? SYNC,
  });
}

type CursorFields = { v: number; f: string; b: number; o: number; s: number };
const readCursor = (cursor: string): CursorFields =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
const writeCursor = (fields: CursorFields) => Buffer.from(JSON.stringify(fields)).toString('base64url');

async function refusal(bytes: Buffer, cursor: string): Promise<Error> {
  const error = await readAvroPage(rangeSource(bytes, 64), { limit: 5, cursor }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('resuming from a cursor', () => {
  it('reads only the header from the start, then opens the file at the block', async () => {
    const bytes = await file();
    const blocks = blockOffsets(bytes);
    const first = await readAvroPage(rangeSource(bytes, 64), { limit: 3 });
    expect(first.nextCursor).toBeDefined();

    const open = rangeSource(bytes, 64);
    const second = await readAvroPage(open, { limit: 3, cursor: first.nextCursor });
    expect(second.rows).toEqual(values(6).slice(3));
    const [header, resumed] = open.opened;
    expect(header.offset).toBe(0);
    expect(header.source.returned).toBe(1);
    expect(header.source.pulled).toBeLessThan(blocks[0] + 64);
    const cursor = readCursor(first.nextCursor ?? '');
    expect(blocks).toContain(cursor.o);
    expect(resumed.offset).toBe(cursor.o - SYNC.length);
    expect(resumed.source.returned + Number(resumed.source.finished)).toBeGreaterThan(0);
  });

  it('closes every download it opens, including on the last page', async () => {
    const bytes = await file();
    const open = rangeSource(bytes, 64);
    let cursor: string | undefined;
    do cursor = (await readAvroPage(open, { limit: 8, cursor })).nextCursor;
    while (cursor !== undefined);
    expect(open.opened.length).toBeGreaterThan(2);
    for (const { source } of open.opened) expect(source.returned === 1 || source.finished).toBe(true);
  });

  it('gives no cursor when a page ends exactly at the end of the file', async () => {
    const bytes = await file();
    const page = await readAvroPage(rangeSource(bytes), { limit: 50 });
    expect(page.rows).toHaveLength(50);
    expect(page.nextCursor).toBeUndefined();
  });
});

describe('a cursor that does not fit the file', () => {
  it('is refused when it comes from another file', async () => {
    const mine = await file();
    const theirs = await file({ syncMarker: Buffer.from('fedcba9876543210') });
    const cursor = (await readAvroPage(rangeSource(theirs), { limit: 4 })).nextCursor ?? '';
    const error = await refusal(mine, cursor);
    expect(error).toBeInstanceOf(AvroCursorError);
    expect(error.message).toMatch(/belongs to another file, or the file has changed/);
  });

  it('is refused when the file was rewritten under the same path (writers pick a new sync marker)', async () => {
    const before = await file();
    const after = await file({ prefix: 'edited', syncMarker: Buffer.from('new sync marker!') });
    const cursor = (await readAvroPage(rangeSource(before), { limit: 4 })).nextCursor ?? '';
    expect((await refusal(after, cursor)).message).toMatch(/another file, or the file has changed/);
  });

  it('is refused when its offset was moved off a block boundary', async () => {
    const bytes = await file();
    const cursor = readCursor((await readAvroPage(rangeSource(bytes), { limit: 4 })).nextCursor ?? '');
    for (const o of [cursor.o + 1, cursor.o - 1, cursor.o + 7, 1]) {
      const error = await refusal(bytes, writeCursor({ ...cursor, o }));
      expect(error).toBeInstanceOf(AvroCursorError);
      expect(error.message).toMatch(/does not point at a block/);
    }
  });

  it('is refused when it points past the end of the file or of its block', async () => {
    const bytes = await file();
    const cursor = readCursor((await readAvroPage(rangeSource(bytes), { limit: 4 })).nextCursor ?? '');
    const pastEnd = await refusal(bytes, writeCursor({ ...cursor, o: bytes.length + 100 }));
    expect(pastEnd).toBeInstanceOf(AvroCursorError);
    const pastBlock = await refusal(bytes, writeCursor({ ...cursor, s: 10_000 }));
    expect(pastBlock).toBeInstanceOf(AvroCursorError);
    expect(pastBlock.message).toMatch(/past the end of its block/);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['empty', ''],
    ['not JSON', Buffer.from('{{{').toString('base64url')],
    ['an array', Buffer.from('[1,2]').toString('base64url')],
    ['another version', Buffer.from('{"v":2,"f":"x","b":1,"o":10,"s":0}').toString('base64url')],
    ['a negative skip', Buffer.from('{"v":1,"f":"x","b":1,"o":10,"s":-1}').toString('base64url')],
    ['a fractional offset', Buffer.from('{"v":1,"f":"x","b":1,"o":10.5,"s":0}').toString('base64url')],
    ['too long', 'A'.repeat(10_000)],
  ])('is refused when malformed: %s', async (_, cursor) => {
    const bytes = await file();
    const open = rangeSource(bytes);
    const error = await readAvroPage(open, { limit: 5, cursor }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AvroCursorError);
    expect((error as Error).name).toBe('AvroCursorError');
    expect((error as Error).message).toBe('malformed cursor');
    expect(open.opened).toHaveLength(0);
  });

  it('is told apart from a damaged file', async () => {
    const bytes = await file();
    const cursor = (await readAvroPage(rangeSource(bytes), { limit: 4 })).nextCursor;
    const error = await readAvroPage(rangeSource(Buffer.from('not avro')), { limit: 4, cursor }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AvroFormatError);
    expect(error).not.toBeInstanceOf(AvroCursorError);
  });
});

describe('the limit', () => {
  it.each([0, -1, 1.5, Number.NaN])('%s is refused before any download', async (limit) => {
    const open = rangeSource(await file());
    await expect(readAvroPage(open, { limit })).rejects.toBeInstanceOf(RangeError);
    expect(open.opened).toHaveLength(0);
  });
});
