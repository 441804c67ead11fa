/**
 * A list of Avro files read as one table: the files in the order given (the caller sorts them),
 * each file's rows resolved to one reader schema, projected to the selected fields and filtered by
 * a `where` expression while they are decoded. One file and one block are open at a time, so
 * memory stays bounded whatever the number or size of the files; each file has its own output
 * budget (the bomb limits of `row-decoder.ts` apply per file).
 *
 * The reader schema is the writer schema of the last file (in a partitioned export, the newest):
 * every file must be written with it or with one that resolves to it (see `projection.ts`), and
 * the first that does not is refused with {@link AvroTableMismatch} naming it.
 *
 * A page's cursor names the list (a fingerprint of every file's id, revision and path, so a file
 * added, removed or replaced since answers {@link AvroTableChanged}), the query, and the position:
 * the file by index, id and revision, the block by byte offset, and the rows already read in it.
 */

import { createHash } from 'node:crypto';
import { ByteReader } from './byte-reader.js';
import {
  type Block,
  DEFAULT_MAX_BLOCK_BYTES,
  type ParsedHeader,
  readBlock,
  readHeader,
} from './container.js';
import { AvroCursorError, AvroError, AvroFormatError } from './errors.js';
import { CHUNK_BYTES, handOn, lineText } from './line-stream.js';
import { AvroSchemaMismatch, compileProjection, fieldType, type Selection, select } from './projection.js';
import { type RowDecoder, VALUES_PER_BYTE, type ValueMeter, valueMeter } from './row-decoder.js';
import { type RowWriter, rowWriterFor, type TextSink, writeJsonLine, writeRowLine } from './row-writer.js';
import { parseSchema, type SchemaNode } from './schema.js';
import type { JsonValue } from './values.js';
import { AvroQueryError, compileWhere, type RowFilter } from './where.js';

/** One file of a table: what the listing says about it. */
export interface AvroTableFile {
  /** A stable id of the file (Dropbox's `id:…`). */
  readonly id: string;
  /** The revision of its content: a changed file has a new one. */
  readonly rev: string;
  /** Its path, for error messages and the schema answer. */
  readonly path: string;
  readonly size?: number;
}

/** The file's bytes from `offset` to its end (see `ByteSource`), pinned to the file's revision. */
export type TableByteSource = (file: AvroTableFile, offset: number) => Promise<AsyncIterable<Uint8Array>>;

export interface AvroTableQuery {
  /** The files, in table order. */
  readonly files: readonly AvroTableFile[];
  readonly open: TableByteSource;
  /** `a,b.c`: the fields to return (dot paths into nested records); all when absent. */
  readonly fields?: string;
  /** A `where` expression (see `where.ts`); every row when absent. */
  readonly where?: string;
  readonly maxBlockBytes?: number;
}

/** A file does not fit the table's schema (maps to `422`); `file` is its path. */
export class AvroTableMismatch extends AvroError {
  override name = 'AvroTableMismatch';
  readonly file: string;

  constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.file = file;
  }
}

/** The files changed since the cursor was issued: one was added, removed or rewritten (maps to `409`). */
export class AvroTableChanged extends AvroError {
  override name = 'AvroTableChanged';
}

/** Where a read resumes: `skip` rows into the block at `offset` of file `index` (offset 0: the file's start). */
interface TablePosition {
  readonly index: number;
  readonly offset: number;
  readonly block: number;
  readonly skip: number;
}

const MAX_FIELD_PATHS = 1000;
const MAX_TABLE_CURSOR = 1024;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function digest(text: string): string {
  return createHash('sha256').update(text).digest().subarray(0, 12).toString('base64url');
}

/** Identifies the list of files: a file added, removed, renamed or rewritten changes it. */
export function listingFingerprint(files: readonly AvroTableFile[]): string {
  return digest(JSON.stringify(files.map((f) => [f.id, f.rev, f.path])));
}

/**
 * Parses `fields=` (comma-separated dot paths) against the table's schema into a selection;
 * throws {@link AvroQueryError} at the first path that is malformed or names no field.
 */
export function parseFieldList(text: string, schema: SchemaNode): Selection {
  const selection = new Map<string, Selection | true>();
  let at = 0;
  const parts = text.split(',');
  if (parts.length > MAX_FIELD_PATHS)
    throw new AvroQueryError(`more than ${MAX_FIELD_PATHS} fields`, 0, 'fields');
  for (const part of parts) {
    const path = part.trim();
    const start = at + part.indexOf(path);
    if (!FIELD_PATH.test(path)) {
      throw new AvroQueryError(
        `${JSON.stringify(path.slice(0, 60))} is not a field path such as a or a.b`,
        start,
        'fields',
      );
    }
    const type = fieldType(schema, path.split('.'));
    if (typeof type === 'string') throw new AvroQueryError(type, start, 'fields');
    select(selection, path.split('.'));
    at += part.length + 1;
  }
  return selection;
}

/** The decoders a file written with one writer schema is read with. */
interface FileDecoders {
  /** The selected fields (every field when none are selected). */
  readonly output: RowDecoder;
  /** The fields the filter reads, when there is a filter. */
  readonly filter: RowDecoder | undefined;
  /** Nothing: walks a row to find where the next begins. */
  readonly skip: RowDecoder;
  /** Writes a row's JSON text straight from its bytes, when every field is read as written and no filter runs. */
  readonly writer: RowWriter | undefined;
}

/** A table opened for reading: its schema, its query compiled, decoders per writer schema. */
class OpenTable {
  readonly query: AvroTableQuery;
  readonly schema: JsonValue;
  readonly #reader: SchemaNode;
  readonly #readerText: string;
  readonly #selection: Selection | undefined;
  readonly #filter: RowFilter | undefined;
  readonly #decoders = new Map<string, FileDecoders>();
  readonly maxBlockBytes: number;
  readonly listing: string;
  readonly queryKey: string;

  constructor(query: AvroTableQuery, last: ParsedHeader) {
    this.query = query;
    this.schema = last.schema;
    this.#readerText = JSON.stringify(last.schema);
    this.#reader = parseSchema(last.schema);
    this.maxBlockBytes = query.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
    this.#selection = query.fields === undefined ? undefined : parseFieldList(query.fields, this.#reader);
    this.#filter = query.where === undefined ? undefined : compileWhere(query.where, this.#reader);
    this.listing = listingFingerprint(query.files);
    this.queryKey = digest(`${query.fields ?? '*'}\0${query.where ?? ''}`);
  }

  get filter(): RowFilter | undefined {
    return this.#filter;
  }

  /** The decoders of `file` (written with `header`), or {@link AvroTableMismatch} when it does not fit. */
  decoders(file: AvroTableFile, header: ParsedHeader): FileDecoders {
    const text = JSON.stringify(header.schema);
    const known = this.#decoders.get(text);
    if (known !== undefined) return known;
    const writer = parseSchema(header.schema);
    const last = this.query.files[this.query.files.length - 1];
    try {
      const same = text === this.#readerText;
      const output =
        same && this.#selection === undefined
          ? header.decoder
          : compileProjection(writer, this.#reader, this.#selection);
      const filter =
        this.#filter === undefined ? undefined : compileProjection(writer, this.#reader, this.#filter.fields);
      const skip = compileProjection(writer, this.#reader, new Map());
      const lines =
        output === header.decoder && this.#filter === undefined
          ? rowWriterFor(header.decoder, header.schema)
          : undefined;
      const decoders = { output, filter, skip, writer: lines };
      this.#decoders.set(text, decoders);
      return decoders;
    } catch (cause) {
      if (!(cause instanceof AvroSchemaMismatch)) throw cause;
      throw new AvroTableMismatch(
        file.path,
        `${file.path} does not fit the table's schema (the schema of ${last?.path}, the last file): ${cause.message}`,
        { cause },
      );
    }
  }
}

async function openReader(query: AvroTableQuery, file: AvroTableFile, offset: number): Promise<ByteReader> {
  const source = await query.open(file, offset);
  return new ByteReader(source[Symbol.asyncIterator](), offset);
}

/** A file's download from its start, asked for before its turn, its first chunk already on the way. */
interface Download {
  chunks: AsyncIterator<Uint8Array>;
  first: Promise<IteratorResult<Uint8Array>>;
}

/**
 * Starts `file`'s download. Its first chunk is asked for at once: the request is made and answered
 * while the file before it is read, and stopping it with `return()` ends a source that has started
 * (an async generator that never started cannot run its cleanup, and would leave the answer
 * unread). A failure waits for the file's turn.
 */
function startDownload(query: AvroTableQuery, file: AvroTableFile): Promise<Download> {
  const download = query.open(file, 0).then((source) => {
    const answer = source[Symbol.asyncIterator]();
    const small = file.size !== undefined && file.size <= WHOLE_FILE_AHEAD;
    const chunks = small ? readToEnd(answer) : answer;
    return { chunks, first: chunks.next() };
  });
  download.then((d) => d.first).catch(() => {});
  return download;
}

/**
 * Largest file whose whole answer is read as soon as it is asked for ahead: a folder of small
 * files then never waits for the provider between them (one chunk ahead did: the rest of the
 * answer only came as it was read). At most one such file is held, so at most this much memory.
 */
const WHOLE_FILE_AHEAD = 2 * 1024 * 1024;

/**
 * Pulls `source` to its end at once, keeping its chunks (and an error in its place) until they are
 * asked for, in order. `return()` stops the pulling and ends the source.
 */
function readToEnd(source: AsyncIterator<Uint8Array>): AsyncIterator<Uint8Array> {
  const ready: Array<IteratorResult<Uint8Array> | { error: unknown }> = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  void (async () => {
    for (;;) {
      let result: IteratorResult<Uint8Array> | { error: unknown };
      try {
        result = await source.next();
      } catch (error) {
        result = { error };
      }
      if (stopped) return;
      ready.push(result);
      wake?.();
      if ('error' in result || result.done) return;
    }
  })();
  return {
    next: async () => {
      while (ready.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const result = ready.shift() as IteratorResult<Uint8Array> | { error: unknown };
      if ('error' in result) throw result.error;
      return result;
    },
    return: async () => {
      stopped = true;
      ready.length = 0;
      return (await source.return?.()) ?? { done: true, value: undefined };
    },
  };
}

/** The reader of a started download: its first chunk, then the rest. */
async function readerOf(download: Promise<Download>): Promise<ByteReader> {
  const { chunks, first } = await download;
  let head: Promise<IteratorResult<Uint8Array>> | undefined = first;
  return new ByteReader(
    {
      next: () => {
        const next = head ?? chunks.next();
        head = undefined;
        return next;
      },
      return: async () => (await chunks.return?.()) ?? { done: true, value: undefined },
    },
    0,
  );
}

/** Stops a download asked for ahead that will not be read. */
function cancelDownload(download: Promise<Download>): void {
  download.then((d) => d.chunks.return?.()).catch(() => {});
}

function inFile(file: AvroTableFile, error: unknown): unknown {
  if (error instanceof AvroFormatError && !error.message.startsWith(file.path)) {
    return new AvroFormatError(`${file.path}: ${error.message}`, { cause: error });
  }
  return error;
}

/** Reads a file's header (closing the download once it is parsed). */
async function headerOf(query: AvroTableQuery, file: AvroTableFile): Promise<ParsedHeader> {
  const reader = await openReader(query, file, 0);
  try {
    return await readHeader(reader);
  } catch (error) {
    throw inFile(file, error);
  } finally {
    await reader.close();
  }
}

/** Opens the table: reads the last file's header for the reader schema and compiles the query against it. */
async function openTable(query: AvroTableQuery): Promise<OpenTable | undefined> {
  const last = query.files[query.files.length - 1];
  if (last === undefined) return undefined;
  return new OpenTable(query, await headerOf(query, last));
}

const END = Symbol('end of block');

/**
 * Walks a table's rows from a position: one file open at a time, one block decoded at a time.
 * `next()` answers the next kept row from the block in memory, or {@link END} when the block is
 * used up and {@link load} must read the next one.
 */
class TableScan {
  readonly #table: OpenTable;
  #index: number;
  #reader: ByteReader | undefined;
  #header: ParsedHeader | undefined;
  #decoders: FileDecoders | undefined;
  #meter: ValueMeter = valueMeter();
  #block: Block | undefined;
  #blockNumber = 0;
  #pos = 0;
  #row = 0;
  #start: TablePosition | undefined;
  /** Rows read so far, kept or not. */
  scanned = 0;
  /** Files opened so far. */
  opened = 0;

  /**
   * With `readAhead` (a stream, which reads every file to the end), the next file's download is
   * asked for as soon as a file is opened, so that the provider's latency is paid while a file is
   * read, not once a file between them; a page, which may stop anywhere, asks for none.
   */
  constructor(
    table: OpenTable,
    start: TablePosition | undefined,
    private readonly readAhead = false,
  ) {
    this.#table = table;
    this.#index = start?.index ?? 0;
    this.#start = start;
  }

  #ahead: { index: number; download: Promise<Download> } | undefined;

  /** The reader of the current file from its start: the download asked for ahead, or a new one. */
  async #openFromStart(): Promise<ByteReader> {
    const { files } = this.#table.query;
    const ahead = this.#ahead;
    this.#ahead = undefined;
    let download: Promise<Download>;
    if (ahead?.index === this.#index) download = ahead.download;
    else {
      if (ahead) cancelDownload(ahead.download);
      download = startDownload(this.#table.query, this.#file);
    }
    if (this.readAhead && this.#index + 1 < files.length) {
      this.#ahead = {
        index: this.#index + 1,
        download: startDownload(this.#table.query, files[this.#index + 1]),
      };
    }
    return readerOf(download);
  }

  get #file(): AvroTableFile {
    return this.#table.query.files[this.#index];
  }

  /** The next kept row of the block in memory, or {@link END}. */
  next(): JsonValue | typeof END {
    const block = this.#block;
    const decoders = this.#decoders;
    if (block === undefined || decoders === undefined) return END;
    const { data, count } = block;
    const filter = this.#table.filter;
    while (this.#row < count) {
      const pos = this.#pos;
      if (filter !== undefined && decoders.filter !== undefined) {
        const tested = this.#decode(decoders.filter, data, pos);
        this.#row++;
        this.scanned++;
        if (!filter.keep(tested.value)) {
          this.#pos = tested.offset;
          continue;
        }
        const row = this.#decode(decoders.output, data, pos);
        this.#pos = row.offset;
        return row.value;
      }
      const row = this.#decode(decoders.output, data, pos);
      this.#row++;
      this.scanned++;
      this.#pos = row.offset;
      return row.value;
    }
    return END;
  }

  #decode(decoder: RowDecoder, data: Buffer, pos: number): { value: JsonValue; offset: number } {
    let decoded: { value: JsonValue; offset: number };
    try {
      decoded = decoder.decode(data, pos, this.#meter);
    } catch (cause) {
      throw this.#undecodable(cause);
    }
    if (decoded.offset < 0) throw this.#overrun();
    return decoded;
  }

  /**
   * Writes the next kept row of the block in memory to `sink` as its JSON line (the bytes of
   * `JSON.stringify(next())` and a newline); false at the block's end, as {@link next} answers
   * {@link END}. Straight from the bytes when the file has a writer, else decoded and stringified.
   * A row that fails leaves the sink as it was.
   */
  writeNext(sink: TextSink): boolean {
    const block = this.#block;
    const writer = this.#decoders?.writer;
    if (block === undefined || writer === undefined) {
      const row = this.next();
      if (row === END) return false;
      writeJsonLine(sink, JSON.stringify(row));
      return true;
    }
    if (this.#row >= block.count) return false;
    let offset: number;
    try {
      offset = writeRowLine(writer, block.data, this.#pos, this.#meter, sink);
    } catch (cause) {
      throw this.#undecodable(cause);
    }
    if (offset < 0) throw this.#overrun();
    this.#row++;
    this.scanned++;
    this.#pos = offset;
    return true;
  }

  #undecodable(cause: unknown): AvroFormatError {
    const detail = cause instanceof Error ? cause.message.slice(0, 200) : 'unknown';
    return new AvroFormatError(
      `${this.#file.path}: corrupt block ${this.#blockNumber}: object ${this.#row + 1} does not decode (${detail})`,
      { cause },
    );
  }

  #overrun(): AvroFormatError {
    return new AvroFormatError(
      `${this.#file.path}: corrupt block ${this.#blockNumber}: object ${this.#row + 1} runs past the end of the block`,
    );
  }

  /**
   * Reads the next block: `block` when one with rows is in memory, `file` when the file ended and
   * the next one is up (so a caller can stop at a file boundary), `end` at the table's end.
   */
  async load(): Promise<'block' | 'file' | 'end'> {
    const files = this.#table.query.files;
    if (this.#block !== undefined) {
      const left = this.#block.data.length - this.#pos;
      if (left !== 0) {
        throw new AvroFormatError(
          `${this.#file.path}: corrupt block ${this.#blockNumber}: ${left} bytes left after its ${this.#block.count} objects`,
        );
      }
      this.#block = undefined;
    }
    if (this.#index >= files.length) return 'end';
    if (this.#reader === undefined) await this.#openFile();
    const reader = this.#reader as ByteReader;
    const header = this.#header as ParsedHeader;
    const number = this.#blockNumber + 1;
    let block: Block | undefined;
    try {
      block = await readBlock(reader, header, number, this.#table.maxBlockBytes);
    } catch (error) {
      throw inFile(this.#file, error);
    }
    const start = this.#start;
    this.#start = undefined;
    if (block === undefined) {
      // Also where a page that ended with a file's last block resumes.
      await this.#closeFile();
      this.#index++;
      return this.#index >= files.length ? 'end' : 'file';
    }
    this.#blockNumber = number;
    this.#block = block;
    this.#pos = 0;
    this.#row = 0;
    this.#meter.budget += VALUES_PER_BYTE * (block.data.length + 16);
    if (start !== undefined && start.offset > 0 && start.skip > 0) {
      if (start.skip >= block.count) throw new AvroCursorError('the cursor points past the end of its block');
      this.#skipRows(start.skip);
    }
    return 'block';
  }

  #skipRows(rows: number): void {
    const block = this.#block as Block;
    const skip = (this.#decoders as FileDecoders).skip;
    for (let i = 0; i < rows; i++) {
      this.#pos = this.#decode(skip, block.data, this.#pos).offset;
      this.#row++;
    }
  }

  async #openFile(): Promise<void> {
    const file = this.#file;
    const query = this.#table.query;
    const start = this.#start;
    this.opened++;
    this.#meter = valueMeter();
    this.#blockNumber = 0;
    const headerReader = await this.#openFromStart();
    let header: ParsedHeader;
    try {
      header = await readHeader(headerReader);
    } catch (error) {
      await headerReader.close();
      throw inFile(file, error);
    }
    this.#header = header;
    try {
      this.#decoders = this.#table.decoders(file, header);
    } catch (error) {
      await headerReader.close();
      throw error;
    }
    if (start === undefined || start.offset === 0) {
      this.#reader = headerReader;
      return;
    }
    // Resuming inside the file: the block must follow a sync marker of this very file.
    await headerReader.close();
    if (start.offset < header.dataOffset) {
      throw new AvroCursorError('the cursor does not point at a block');
    }
    const reader = await openReader(query, file, start.offset - header.sync.length);
    this.#reader = reader;
    const ok =
      (await reader.ensure(header.sync.length)) && reader.take(header.sync.length).equals(header.sync);
    if (!ok) throw new AvroCursorError('the cursor does not point at a block of this file');
    this.#blockNumber = start.block - 1;
  }

  async #closeFile(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    this.#header = undefined;
    this.#decoders = undefined;
    await reader?.close();
  }

  /** Where the row after the last one answered starts; undefined at the table's end (which may need a read to know). */
  position(): TablePosition {
    const block = this.#block;
    if (block !== undefined && this.#row < block.count) {
      return { index: this.#index, offset: block.offset, block: this.#blockNumber, skip: this.#row };
    }
    if (block !== undefined && this.#reader !== undefined) {
      return { index: this.#index, offset: this.#reader.offset, block: this.#blockNumber + 1, skip: 0 };
    }
    return { index: this.#index, offset: 0, block: 1, skip: 0 };
  }

  async close(): Promise<void> {
    this.#block = undefined;
    if (this.#ahead) cancelDownload(this.#ahead.download);
    this.#ahead = undefined;
    await this.#closeFile();
  }
}

function encodeTableCursor(table: OpenTable, position: TablePosition): string {
  const file = table.query.files[position.index];
  const { index: i, offset: o, block: b, skip: s } = position;
  const body = {
    v: 2,
    l: table.listing,
    q: table.queryKey,
    i,
    f: file?.id ?? '',
    r: file?.rev ?? '',
    o,
    b,
    s,
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** Reads a table cursor and checks it against the table: the same query, the same files. */
function decodeTableCursor(table: OpenTable, cursor: string): TablePosition {
  if (cursor.length > MAX_TABLE_CURSOR || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new AvroCursorError('malformed cursor');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new AvroCursorError('malformed cursor', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new AvroCursorError('malformed cursor');
  const { v, l, q, i, f, r, o, b, s } = parsed as Record<string, unknown>;
  const valid =
    v === 2 &&
    typeof l === 'string' &&
    typeof q === 'string' &&
    typeof f === 'string' &&
    typeof r === 'string' &&
    isCount(i, 0) &&
    isCount(o, 0) &&
    isCount(b, 1) &&
    isCount(s, 0);
  if (!valid) throw new AvroCursorError('malformed cursor');
  if (q !== table.queryKey)
    throw new AvroCursorError('the cursor belongs to another query (fields or where differ)');
  if (l !== table.listing) {
    const file = table.query.files[i];
    const which =
      file !== undefined && (file.id !== f || file.rev !== r)
        ? `${file.path} is not the file it was`
        : 'a file was added, removed or replaced';
    throw new AvroTableChanged(`the files changed since the cursor was issued: ${which}`);
  }
  const file = table.query.files[i];
  if (file === undefined || file.id !== f || file.rev !== r)
    throw new AvroCursorError('the cursor does not fit the files');
  return { index: i, offset: o, block: b, skip: s };
}

export interface AvroTablePage {
  /** The table's schema (the last file's writer schema); null when there are no files. */
  schema: JsonValue;
  rows: JsonValue[];
  /** Rows read for this page, kept by the filter or not. */
  scanned: number;
  /** Resumes after the last row read; absent once the table is read to its end. */
  nextCursor?: string;
}

/** Most rows a page reads, kept or not, and most files it opens: a selective filter still answers soon. */
export const PAGE_SCAN_LIMITS = Object.freeze({ rows: 200_000, files: 64 });

/**
 * Reads one page of at most `limit` kept rows of the table, from `cursor` or the first row. A page
 * also ends after reading {@link PAGE_SCAN_LIMITS} rows or files, so a filter that keeps few rows
 * answers pages with few rows (or none) and a cursor, rather than reading the whole table at once.
 * Throws {@link AvroQueryError} for a bad `fields` or `where`, {@link AvroCursorError} for a
 * cursor that does not fit, {@link AvroTableChanged} when the files changed since it was issued,
 * {@link AvroTableMismatch} for a file that does not fit the schema and {@link AvroFormatError}
 * for damage (the pages before it were served).
 */
export async function readAvroTablePage(
  query: AvroTableQuery & { limit: number; cursor?: string },
): Promise<AvroTablePage> {
  const { limit } = query;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  const table = await openTable(query);
  if (table === undefined) {
    if (query.cursor !== undefined)
      throw new AvroTableChanged('the files changed since the cursor was issued: there are none now');
    return { schema: null, rows: [], scanned: 0 };
  }
  const start = query.cursor === undefined ? undefined : decodeTableCursor(table, query.cursor);
  const scan = new TableScan(table, start);
  const rows: JsonValue[] = [];
  const over = () => scan.scanned >= PAGE_SCAN_LIMITS.rows;
  try {
    for (;;) {
      const row = scan.next();
      if (row !== END) {
        rows.push(row);
        if (rows.length >= limit || over()) break;
        continue;
      }
      if (over()) break;
      const step = await scan.load();
      if (step === 'end') return { schema: table.schema, rows, scanned: scan.scanned };
      if (step === 'file' && scan.opened >= PAGE_SCAN_LIMITS.files) break;
    }
    return {
      schema: table.schema,
      rows,
      scanned: scan.scanned,
      nextCursor: encodeTableCursor(table, scan.position()),
    };
  } finally {
    await scan.close();
  }
}

/** What {@link streamAvroTable} yields: the schema once, first, then each kept row in table order. */
export type AvroTableEvent =
  | { readonly kind: 'schema'; readonly schema: JsonValue }
  | { readonly kind: 'row'; readonly row: JsonValue };

type Step = IteratorResult<AvroTableEvent, void>;
const DONE: Step = Object.freeze({ done: true, value: undefined });

/**
 * The table's rows as a stream, written by hand like `AvroRowStream`: rows of the block in memory
 * are answered without waiting, only reading a block (or opening the next file) waits.
 */
class AvroTableStream implements AsyncGenerator<AvroTableEvent, void, undefined> {
  readonly #query: AvroTableQuery;
  #scan: TableScan | undefined;
  #done = false;
  #busy: Promise<unknown> | undefined;

  constructor(query: AvroTableQuery) {
    this.#query = query;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Step> {
    if (this.#busy !== undefined) return this.#busy.then(() => this.next());
    if (this.#done) return Promise.resolve(DONE);
    const scan = this.#scan;
    if (scan !== undefined) {
      try {
        const row = scan.next();
        if (row !== END) return Promise.resolve({ done: false, value: { kind: 'row', row } });
      } catch (error) {
        return this.#fail(error);
      }
    }
    const step = this.#advance().then(
      (result) => {
        this.#busy = undefined;
        return result;
      },
      (error: unknown) => {
        this.#busy = undefined;
        return this.#fail(error);
      },
    );
    this.#busy = step.catch(() => undefined);
    return step;
  }

  async #advance(): Promise<Step> {
    if (this.#scan === undefined) {
      const table = await openTable(this.#query);
      if (table === undefined) {
        this.#done = true;
        return { done: false, value: { kind: 'schema', schema: null } };
      }
      this.#scan = new TableScan(table, undefined, true);
      return { done: false, value: { kind: 'schema', schema: table.schema } };
    }
    for (;;) {
      const step = await this.#scan.load();
      if (step === 'end') {
        this.#done = true;
        await this.#scan.close();
        return DONE;
      }
      const row = this.#scan.next();
      if (row !== END) return { done: false, value: { kind: 'row', row } };
    }
  }

  return(): Promise<Step> {
    if (this.#busy !== undefined) return this.#busy.then(() => this.return());
    this.#done = true;
    return (this.#scan?.close() ?? Promise.resolve()).then(() => DONE);
  }

  throw(error: unknown): Promise<Step> {
    if (this.#busy !== undefined) return this.#busy.then(() => this.throw(error));
    return this.#fail(error);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  async #fail(error: unknown): Promise<never> {
    this.#done = true;
    try {
      await this.#scan?.close();
    } catch {
      // The error that stopped the stream is the one worth reporting.
    }
    throw error;
  }
}

/**
 * Streams the whole table: `{kind: 'schema'}` first (null without files), then every kept row.
 * Errors as {@link readAvroTablePage}'s, thrown where they are met, after the rows before them.
 */
export function streamAvroTable(query: AvroTableQuery): AsyncGenerator<AvroTableEvent, void, undefined> {
  return new AvroTableStream(query);
}

/**
 * The same table as {@link streamAvroTable}, as NDJSON text in chunks of whole lines: the bytes of
 * `JSON.stringify` of each event (`{schema}` for the first), a newline after each. The rows of a
 * file written with the table's schema, read whole and unfiltered, go from their bytes to their text
 * through the schema's compiled writer; projected, resolved or filtered rows are decoded and
 * stringified. Errors as {@link streamAvroTable}'s: thrown where they are met, after every line
 * before them was yielded.
 */
export async function* streamAvroTableNdjson(
  query: AvroTableQuery,
): AsyncGenerator<Uint8Array, void, undefined> {
  const table = await openTable(query);
  yield Buffer.from(`${JSON.stringify({ schema: table === undefined ? null : table.schema })}\n`);
  if (table === undefined) return;
  const scan = new TableScan(table, undefined, true);
  const text = lineText();
  try {
    for (;;) {
      let failure: unknown;
      let step: 'block' | 'file' | 'end' | undefined;
      try {
        while (text.at < CHUNK_BYTES && scan.writeNext(text)) {
          // Written.
        }
        if (text.at < CHUNK_BYTES) step = await scan.load();
      } catch (error) {
        failure = error;
      }
      if (failure !== undefined) {
        // The lines before the failure are whole and good: they go out first.
        if (text.at > 0) yield handOn(text);
        throw failure;
      }
      if (step === 'end') break;
      if (text.at >= CHUNK_BYTES) yield handOn(text);
    }
    if (text.at > 0) yield handOn(text);
  } finally {
    await scan.close();
  }
}

/** A file of {@link AvroTableDescription}. */
export interface AvroTableFileDescription {
  readonly path: string;
  readonly id: string;
  readonly rev: string;
  readonly size?: number;
  /** Rows, summed from the blocks' headers (no row decoded); absent when the byte budget ran out first. */
  readonly rows?: number;
}

export interface AvroTableDescription {
  /** The table's schema (the last file's); null without files. */
  readonly schema: JsonValue;
  readonly files: readonly AvroTableFileDescription[];
}

/** Bytes {@link describeAvroTable} passes over to count rows, all files together, by default. */
export const DEFAULT_COUNT_BYTES = 256 * 1024 * 1024;

/**
 * The table's schema and its files, each checked to fit it ({@link AvroTableMismatch} names the
 * first that does not), with row counts read from the block headers: each block's count and size
 * are read and its bytes passed over without being decompressed or decoded. Counting stops once
 * `countBytes` bytes were passed over; files past that point have no `rows`.
 */
export async function describeAvroTable(
  query: Pick<AvroTableQuery, 'files' | 'open' | 'maxBlockBytes'> & { countBytes?: number },
): Promise<AvroTableDescription> {
  const table = await openTable(query);
  if (table === undefined) return { schema: null, files: [] };
  let budget = query.countBytes ?? DEFAULT_COUNT_BYTES;
  const files: AvroTableFileDescription[] = [];
  for (const file of query.files) {
    const reader = await openReader(query, file, 0);
    try {
      let header: ParsedHeader;
      try {
        header = await readHeader(reader);
      } catch (error) {
        throw inFile(file, error);
      }
      table.decoders(file, header);
      const base = {
        path: file.path,
        id: file.id,
        rev: file.rev,
        ...(file.size === undefined ? {} : { size: file.size }),
      };
      const rows = budget > 0 ? await countRows(reader, file, table.maxBlockBytes, budget) : undefined;
      if (rows !== undefined) budget -= reader.offset;
      else budget = 0;
      files.push(rows === undefined ? base : { ...base, rows });
    } finally {
      await reader.close();
    }
  }
  return { schema: table.schema, files };
}

/** Sums the blocks' object counts, passing over their bytes; undefined when over `budget` bytes. */
async function countRows(
  reader: ByteReader,
  file: AvroTableFile,
  maxBlockBytes: number,
  budget: number,
): Promise<number | undefined> {
  const start = reader.offset;
  let rows = 0;
  for (let number = 1; ; number++) {
    const offset = reader.offset;
    if (offset - start > budget) return undefined;
    if (!(await reader.ensure(1))) return rows;
    await reader.ensure(20);
    const count = reader.readLong();
    const size = reader.readLong();
    if (count === undefined || size === undefined || count < 0 || size < 0 || size > maxBlockBytes) {
      throw new AvroFormatError(`${file.path}: corrupt block ${number} (at byte ${offset})`);
    }
    if (!(await reader.skip(size + 16))) {
      throw new AvroFormatError(`${file.path}: truncated in block ${number} (at byte ${offset})`);
    }
    rows += count;
  }
}
