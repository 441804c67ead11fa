/**
 * Avro object container files decoded to JSON rows while they download, in constant memory, with
 * cursors that resume at a block's byte offset (an HTTP `Range` request) instead of re-reading the
 * file. Implements https://avro.apache.org/docs/1.12.0/specification/#object-container-files
 * (codecs `null`, `deflate` and `snappy`).
 *
 * ## How Avro values become JSON
 *
 * Rows are decoded with the file's own (writer) schema.
 *
 * | Avro | JSON |
 * | --- | --- |
 * | `null`, `boolean`, `int`, `string` | as is |
 * | `long` | a number when within ±(2^53−1), else its exact decimal string (`"9007199254740993"`) |
 * | `float`, `double` | a number (a `float` widened to double, e.g. `0.1` → `0.10000000149011612`); NaN and infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` |
 * | `bytes`, `fixed` | a base64 string (standard alphabet, padded) |
 * | `enum` | its symbol |
 * | `array` | an array |
 * | `map` | an object (a `"__proto__"` key is an ordinary key) |
 * | `record` | an object whose own properties are the fields, in schema order |
 * | union | the branch's plain value, never wrapped (`null` is `null`): which branch was written is not kept, so `["int", "long"]` or a union of two records cannot be told apart |
 *
 * Logical types are converted; a logical type whose annotation is invalid is ignored, as the
 * specification requires, and the value comes out as its underlying type.
 *
 * | logical type | JSON |
 * | --- | --- |
 * | `timestamp-millis`, `-micros`, `-nanos` | ISO-8601 UTC with 3, 6 or 9 fraction digits: `"2024-05-01T12:30:00.123456Z"` |
 * | `local-timestamp-millis`, `-micros`, `-nanos` | the same without the `Z` |
 * | `date` | `"YYYY-MM-DD"` |
 * | `time-millis`, `time-micros` | `"HH:MM:SS.sss"`, `"HH:MM:SS.ssssss"` |
 * | `decimal` (on `bytes` or `fixed`) | a decimal string with `scale` fraction digits: `"-123.45"`, `"0.005"` |
 * | `uuid` | its string |
 * | `duration` and any other | as its underlying type (`duration` is a `fixed`, so base64) |
 *
 * A timestamp or date outside JavaScript's `Date` range (±8.64e15 ms around 1970), or a time of day
 * outside one day, comes out as its underlying value instead (a long by the `long` rule). Years
 * beyond 9999 take ISO-8601's expanded form (`"+010000-01-01T00:00:00.000Z"`).
 *
 * ## Failures and limits
 *
 * Bytes that are not an Avro container, or are truncated or corrupt, throw {@link AvroFormatError}
 * saying what is wrong and where (blocks are numbered from 1): a bad magic, a truncated header or
 * block, a sync marker mismatch, an unsupported codec, an object that does not decode or overruns
 * its block, bytes left over after a block's objects. Limits that keep a hostile file from
 * exhausting memory or time are refused the same way, before anything is allocated: a header over
 * 16 MiB; a block over 64 MiB (`maxBlockBytes`) before or after decompression, declaring over 64 Mi
 * objects or more than its bytes can hold; arrays and maps in a row declaring more items than the
 * block has bytes (plus 2^20 items of zero size, such as nulls); a decimal over 512 bytes; a writer
 * schema nesting more than 256 levels. A row of a recursive schema nesting deeper than the stack
 * holds does not decode.
 *
 * A cursor that is malformed, comes from another file, or no longer fits the file throws
 * {@link AvroCursorError}. A file is identified by its header, whose 16-byte sync marker writers
 * pick at random per file, so a rewritten file refuses old cursors while one that was only appended
 * to keeps them valid. Errors of the byte source itself pass through unchanged.
 */

import { ByteReader } from './byte-reader.js';
import { BlockRows, DEFAULT_MAX_BLOCK_BYTES, type ParsedHeader, readBlock, readHeader } from './container.js';
import { decodeCursor, encodeCursor, type PagePosition } from './cursor.js';
import { AvroCursorError } from './errors.js';
import { avroNdjsonChunks } from './line-stream.js';
import { type JsonValue, valueMeter } from './row-decoder.js';
import { AvroRowStream, type AvroStreamEvent } from './row-stream.js';

export type { AvroHeader } from './container.js';
export { AvroCursorError, AvroError, AvroFormatError } from './errors.js';
export { AvroSchemaMismatch } from './projection.js';
export type { JsonValue } from './row-decoder.js';
export type { AvroStreamEvent } from './row-stream.js';
export {
  AvroTableChanged,
  type AvroTableDescription,
  type AvroTableEvent,
  type AvroTableFile,
  type AvroTableFileDescription,
  AvroTableMismatch,
  type AvroTablePage,
  type AvroTableQuery,
  describeAvroTable,
  listingFingerprint,
  PAGE_SCAN_LIMITS,
  readAvroTablePage,
  streamAvroTable,
  streamAvroTableNdjson,
  type TableByteSource,
} from './table.js';
export { AvroQueryError, WHERE_LIMITS } from './where.js';

/**
 * The file's bytes from `offset` (inclusive) to its end; an offset at or past the end yields no bytes
 * (map an HTTP `416` to an empty body). Portico implements it with a ranged download; stopping early
 * calls the iterator's `return()`, which should abort the download.
 */
export type ByteSource = (offset: number) => Promise<AsyncIterable<Uint8Array>>;

/** Shared by {@link decodeAvro} and {@link readAvroPage}. */
export interface AvroReadOptions {
  /** Largest block accepted, compressed or not; a bigger one is refused as corrupt. Default 64 MiB. */
  maxBlockBytes?: number;
}

export interface AvroPage {
  /** The file's writer schema. */
  schema: JsonValue;
  rows: JsonValue[];
  /** Resumes after the last row; absent on the last page. */
  nextCursor?: string;
}

/**
 * Decodes an Avro object container file as its bytes arrive: the schema first, then the rows as
 * JSON-safe values (see the conversion table above). Holds at most one block and the chunk being
 * read, whatever the file's size. Stopping early (`break`, `return()`, a throw in the consumer)
 * closes the source through its iterator's `return()`; so does any failure. Damage throws
 * {@link AvroFormatError} where it is met, after the rows before it were yielded. The source is
 * not touched until the first `next()`.
 */
export function decodeAvro(
  source: AsyncIterable<Uint8Array>,
  options: AvroReadOptions = {},
): AsyncGenerator<AvroStreamEvent, void, undefined> {
  return new AvroRowStream(source, options.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES);
}

/**
 * The same file as {@link decodeAvro}, as NDJSON text: `{"schema": …}` and then one row a line,
 * yielded in chunks of whole lines whose bytes are exactly those of `JSON.stringify` of each event
 * `decodeAvro` yields (`{schema}` for the first), a newline after each. Rows go from the block's
 * bytes to their text through a writer compiled from the schema, without a decoded value between.
 * Memory, limits, closing and failures are `decodeAvro`'s: damage throws its
 * {@link AvroFormatError} after every line before it was yielded.
 */
export function decodeAvroNdjson(
  source: AsyncIterable<Uint8Array>,
  options: AvroReadOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  return avroNdjsonChunks(source, options.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES);
}

async function openAt(open: ByteSource, offset: number): Promise<ByteReader> {
  const source = await open(offset);
  return new ByteReader(source[Symbol.asyncIterator](), offset);
}

/**
 * Reads one page of at most `limit` rows, starting at `cursor` (or the first row). A cursor is
 * opaque: it names a block's byte offset and the rows to skip in it, tied to the file by a
 * fingerprint of its header. Resuming reads the header (closing that download as soon as it is
 * parsed), checks the fingerprint, then opens the file at the block and checks that the file's sync
 * marker precedes it, so a cursor from another file or a tampered offset is refused with
 * {@link AvroCursorError} instead of decoding garbage.
 *
 * Memory is bounded by one block plus the page's rows (the caller bounds `limit`). A page reaching
 * damage throws {@link AvroFormatError}; the pages before it were served. `nextCursor` is absent once
 * the file is exhausted, including when a page ends exactly at its end.
 */
export async function readAvroPage(
  open: ByteSource,
  options: AvroReadOptions & { limit: number; cursor?: string },
): Promise<AvroPage> {
  const { limit, cursor } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  const maxBlockBytes = options.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
  const position = cursor === undefined ? undefined : decodeCursor(cursor);

  const headerReader = await openAt(open, 0);
  let header: ParsedHeader;
  try {
    header = await readHeader(headerReader);
  } catch (error) {
    await headerReader.close();
    throw error;
  }
  let reader = headerReader;
  if (position !== undefined) {
    await headerReader.close();
    if (position.fingerprint !== header.fingerprint) {
      throw new AvroCursorError('the cursor belongs to another file, or the file has changed');
    }
    if (position.offset < header.dataOffset) {
      throw new AvroCursorError('the cursor does not point at a block');
    }
    reader = await openAt(open, position.offset - header.sync.length);
  }

  try {
    if (position !== undefined) {
      const ok =
        (await reader.ensure(header.sync.length)) && reader.take(header.sync.length).equals(header.sync);
      if (!ok) throw new AvroCursorError('the cursor does not point at a block of this file');
    }
    return await readPage(reader, header, limit, maxBlockBytes, position);
  } finally {
    await reader.close();
  }
}

async function readPage(
  reader: ByteReader,
  header: ParsedHeader,
  limit: number,
  maxBlockBytes: number,
  start: PagePosition | undefined,
): Promise<AvroPage> {
  const rows: JsonValue[] = [];
  const page = (next?: Omit<PagePosition, 'fingerprint'>): AvroPage =>
    next === undefined
      ? { schema: header.schema, rows }
      : {
          schema: header.schema,
          rows,
          nextCursor: encodeCursor({ fingerprint: header.fingerprint, ...next }),
        };

  // A page's output grows with the bytes it reads, like a stream's.
  const meter = valueMeter();
  let number = start?.block ?? 1;
  let skip = start?.skip ?? 0;
  for (;;) {
    const block = await readBlock(reader, header, number, maxBlockBytes);
    if (block === undefined) {
      if (start !== undefined && number === start.block) {
        throw new AvroCursorError('the cursor points past the end of the file');
      }
      return page();
    }
    if (skip > 0 && skip >= block.count) {
      throw new AvroCursorError('the cursor points past the end of its block');
    }
    const blockRows = new BlockRows(block, header, meter);
    while (blockRows.index < skip) blockRows.next();
    while (!blockRows.done && rows.length < limit) rows.push(blockRows.next());
    if (!blockRows.done) return page({ block: number, offset: block.offset, skip: blockRows.index });
    blockRows.finish();
    number++;
    skip = 0;
    if (rows.length === limit) {
      return (await reader.ensure(1)) ? page({ block: number, offset: reader.offset, skip: 0 }) : page();
    }
  }
}
