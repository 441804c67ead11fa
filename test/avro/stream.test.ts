import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AvroFormatError, type AvroStreamEvent, decodeAvro } from '../../lib/avro/index.js';
import { blockOffsets, chunkedSource, collect, encodeFile, SYNC } from './fixtures.js';

const VALUES = Array.from({ length: 30 }, (_, i) => i);

async function file(): Promise<Buffer> {
  return encodeFile('int', VALUES, { blockSize: 8, syncMarker: SYNC });
}

const rowValues = (events: IteratorResult<AvroStreamEvent, void>[]) =>
  events.map((r) => (r.done ? 'done' : r.value.kind === 'row' ? r.value.row : 'schema'));

describe('a consumer that stops early', () => {
  it('closes the source when it breaks out of the loop', async () => {
    const source = chunkedSource(await file(), 16);
    const seen: unknown[] = [];
    for await (const event of decodeAvro(source)) {
      if (event.kind === 'row') seen.push(event.row);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(source.returned).toBe(1);
    expect(source.finished).toBe(false);
  });

  it('closes the source when its loop body throws', async () => {
    const source = chunkedSource(await file(), 16);
    const consume = async () => {
      for await (const event of decodeAvro(source))
        if (event.kind === 'row') throw new Error('consumer failed');
    };
    await expect(consume()).rejects.toThrow('consumer failed');
    expect(source.returned).toBe(1);
  });

  it('destroys a Node stream given as the source', async () => {
    const bytes = await file();
    const readable = Readable.from([bytes.subarray(0, 40), bytes.subarray(40, 80), bytes.subarray(80)]);
    for await (const event of decodeAvro(readable)) if (event.kind === 'row') break;
    expect(readable.destroyed).toBe(true);
  });

  it('never opens the source when stopped before the first next()', async () => {
    const source = chunkedSource(await file(), 16);
    const stream = decodeAvro(source);
    expect(await stream.return()).toEqual({ done: true, value: undefined });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(source.pulled).toBe(0);
    expect(source.returned).toBe(0);
  });

  it('closes the source on throw() and on dispose', async () => {
    const source = chunkedSource(await file(), 16);
    const stream = decodeAvro(source);
    await stream.next();
    const reason = new Error('stop');
    await expect(stream.throw(reason)).rejects.toBe(reason);
    expect(source.returned).toBe(1);
    expect((await stream.next()).done).toBe(true);

    const other = chunkedSource(await file(), 16);
    const disposable = decodeAvro(other);
    await disposable.next();
    await (disposable as unknown as AsyncDisposable)[Symbol.asyncDispose]();
    expect(other.returned).toBe(1);
  });
});

describe('the generator protocol', () => {
  it('answers calls made without waiting in order, as a native generator does', async () => {
    const bytes = await file();
    const sequential = rowValues(await collectResults(decodeAvro(chunkedSource(bytes, 5)), 40));
    const stream = decodeAvro(chunkedSource(bytes, 5));
    const concurrent = rowValues(await Promise.all(Array.from({ length: 40 }, () => stream.next())));
    expect(concurrent).toEqual(sequential);
    expect(sequential).toEqual(['schema', ...VALUES, ...Array(9).fill('done')]);
  });

  it('is done for good after an error', async () => {
    const bytes = Buffer.from(await file());
    bytes[blockOffsets(bytes)[3] - 1] ^= 1;
    const stream = decodeAvro(chunkedSource(bytes, 7));
    const results: unknown[] = [];
    let error: unknown;
    for (;;) {
      try {
        const result = await stream.next();
        if (result.done) break;
        results.push(result.value);
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(error).toBeInstanceOf(AvroFormatError);
    expect((error as Error).message).toMatch(/sync marker mismatch after block 3/);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('is also a plain async iterable', async () => {
    expect(await collect(decodeAvro(chunkedSource(await file(), 1000)))).toHaveLength(VALUES.length + 1);
  });
});

async function collectResults(stream: AsyncGenerator<AvroStreamEvent, void, undefined>, calls: number) {
  const results: IteratorResult<AvroStreamEvent, void>[] = [];
  for (let i = 0; i < calls; i++) results.push(await stream.next());
  return results;
}
