import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { crc32, inflateRaw, inflateRawSync } from 'node:zlib';
import type { ByteReader } from './byte-reader.js';
import { AvroFormatError } from './errors.js';
import {
  createRowDecoder,
  type JsonValue,
  type RowDecoder,
  VALUES_PER_BYTE,
  type ValueMeter,
} from './row-decoder.js';
import { type RowWriter, type TextSink, writeRowLine } from './row-writer.js';
import { snappyUncompress } from './snappy.js';

/** The framing of https://avro.apache.org/docs/1.12.0/specification/#object-container-files */
const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const SYNC_BYTES = 16;
/** Largest header accepted: far beyond any real schema, small enough to hold. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** Default largest block accepted, before and after decompression. */
export const DEFAULT_MAX_BLOCK_BYTES = 64 * 1024 * 1024;
/** Most objects one block may declare. */
const MAX_BLOCK_COUNT = 64 * 1024 * 1024;
const SUPPORTED_CODECS: readonly string[] = ['null', 'deflate', 'snappy'];

const inflateRawAsync = promisify(inflateRaw);
/**
 * Compressed blocks up to this size inflate on the main thread: the thread pool's round trip costs
 * more than inflating them (decoding is 15-20% faster). Larger ones inflate in the pool, so a big
 * block does not hold the event loop.
 */
const SYNC_INFLATE_MAX_BYTES = 256 * 1024;

/** What the file's header says. */
export interface AvroHeader {
  /** The writer schema, as JSON. */
  readonly schema: JsonValue;
  /** `null`, `deflate` or `snappy`. */
  readonly codec: string;
  /** The 16-byte marker that ends every block. */
  readonly sync: Uint8Array;
  /** Offset of the first block. */
  readonly dataOffset: number;
}

export interface ParsedHeader extends AvroHeader {
  readonly sync: Buffer;
  /** Identifies the file's header (schema, codec, sync marker), to tie cursors to it. */
  readonly fingerprint: string;
  readonly decoder: RowDecoder;
}

/** One block, decompressed. Blocks are numbered from 1. */
export interface Block {
  readonly number: number;
  /** File offset of the block's first byte (its object count). */
  readonly offset: number;
  readonly count: number;
  readonly data: Buffer;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

async function readHeaderLong(reader: ByteReader): Promise<number> {
  await reader.ensure(10);
  const value = reader.readLong();
  if (value === undefined) throw new AvroFormatError('truncated in the header');
  return value;
}

async function readHeaderBytes(reader: ByteReader): Promise<Buffer> {
  const length = await readHeaderLong(reader);
  if (length < 0 || reader.offset + length > MAX_HEADER_BYTES) {
    throw new AvroFormatError(`corrupt header: a metadata entry declares ${length} bytes`);
  }
  if (!(await reader.ensure(length))) throw new AvroFormatError('truncated in the header');
  return Buffer.from(reader.take(length));
}

/** Reads and checks the header, leaving `reader` at the first block. */
export async function readHeader(reader: ByteReader): Promise<ParsedHeader> {
  const complete = await reader.ensure(MAGIC.length);
  const magic = reader.take(Math.min(reader.available, MAGIC.length));
  if (magic.length === 0) throw new AvroFormatError('not an Avro object container file (empty)');
  if (!magic.equals(MAGIC.subarray(0, magic.length))) {
    throw new AvroFormatError('not an Avro object container file (bad magic)');
  }
  if (!complete) throw new AvroFormatError('truncated in the header');

  const metadata = new Map<string, Buffer>();
  for (let count = await readHeaderLong(reader); count !== 0; count = await readHeaderLong(reader)) {
    if (count < 0) {
      count = -count;
      await readHeaderLong(reader);
    }
    if (count > MAX_HEADER_BYTES) throw new AvroFormatError(`corrupt header: ${count} metadata entries`);
    for (let i = 0; i < count; i++) {
      const key = (await readHeaderBytes(reader)).toString('utf8');
      metadata.set(key, await readHeaderBytes(reader));
    }
  }
  if (!(await reader.ensure(SYNC_BYTES))) throw new AvroFormatError('truncated in the header');
  const sync = Buffer.from(reader.take(SYNC_BYTES));

  const schemaBytes = metadata.get('avro.schema');
  if (schemaBytes === undefined) throw new AvroFormatError('corrupt header: no avro.schema');
  const schemaText = schemaBytes.toString('utf8');
  let schema: JsonValue;
  try {
    schema = JSON.parse(schemaText) as JsonValue;
  } catch (cause) {
    throw new AvroFormatError('corrupt header: avro.schema is not JSON', { cause });
  }
  const codec = metadata.get('avro.codec')?.toString('utf8') || 'null';
  if (!SUPPORTED_CODECS.includes(codec)) throw new AvroFormatError(`unsupported codec ${quote(codec)}`);
  let decoder: RowDecoder;
  try {
    decoder = createRowDecoder(schema, schemaText);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.slice(0, 200) : 'unknown';
    throw new AvroFormatError(`corrupt header: invalid writer schema (${detail})`, { cause });
  }
  const fingerprint = createHash('sha256')
    .update(sync)
    .update(`\0${codec}\0${schemaText}`)
    .digest()
    .subarray(0, 12)
    .toString('base64url');
  return { schema, codec, sync, dataOffset: reader.offset, fingerprint, decoder };
}

function truncated(number: number, offset: number): AvroFormatError {
  return new AvroFormatError(`truncated in block ${number} (at byte ${offset})`);
}

/**
 * Reads the block at the reader's position, checks its sync marker and decompresses it; undefined
 * at a clean end of file. Holds one block, refusing any over `maxBlockBytes` before allocating it.
 */
export async function readBlock(
  reader: ByteReader,
  header: ParsedHeader,
  number: number,
  maxBlockBytes: number,
): Promise<Block | undefined> {
  const offset = reader.offset;
  if (!(await reader.ensure(1))) return undefined;
  await reader.ensure(20);
  const count = reader.readLong();
  const size = reader.readLong();
  if (count === undefined || size === undefined) throw truncated(number, offset);
  if (count < 0 || count > MAX_BLOCK_COUNT) {
    throw new AvroFormatError(`corrupt block ${number} (at byte ${offset}): it declares ${count} objects`);
  }
  if (size < 0 || size > maxBlockBytes) {
    throw new AvroFormatError(
      `corrupt block ${number} (at byte ${offset}): it declares ${size} bytes, over the ${maxBlockBytes}-byte limit`,
    );
  }
  if (!(await reader.ensure(size + SYNC_BYTES))) throw truncated(number, offset);
  const raw = reader.take(size);
  if (!reader.take(SYNC_BYTES).equals(header.sync)) {
    throw new AvroFormatError(`sync marker mismatch after block ${number} (at byte ${offset})`);
  }
  const data = await decompress(raw, header.codec, number, maxBlockBytes);
  const { minRowBytes, rowValues } = header.decoder;
  if (minRowBytes > 0 && count > data.length / minRowBytes) {
    throw new AvroFormatError(
      `corrupt block ${number} (at byte ${offset}): ${count} objects cannot fit in ${data.length} bytes`,
    );
  }
  // Rows that take (almost) no bytes, such as `"null"` or records of nulls, are bounded by what
  // their block's bytes can carry, like every other value (see BlockRows).
  if (count * rowValues > VALUES_PER_BYTE * (data.length + SYNC_BYTES)) {
    throw new AvroFormatError(
      `corrupt block ${number} (at byte ${offset}): its ${count} objects make more values than its bytes can carry`,
    );
  }
  return { number, offset, count, data };
}

async function decompress(raw: Buffer, codec: string, number: number, maxBytes: number): Promise<Buffer> {
  if (codec === 'null') return raw;
  try {
    if (codec === 'deflate') {
      const options = { maxOutputLength: maxBytes };
      return raw.length <= SYNC_INFLATE_MAX_BYTES
        ? inflateRawSync(raw, options)
        : await inflateRawAsync(raw, options);
    }
    // Avro's snappy blocks end with the big-endian CRC-32 of the uncompressed bytes.
    if (raw.length < 4) throw new Error('snappy block shorter than its checksum');
    const data = snappyUncompress(raw.subarray(0, raw.length - 4), maxBytes);
    if (crc32(data) !== raw.readUInt32BE(raw.length - 4)) throw new Error('snappy checksum mismatch');
    return data;
  } catch (cause) {
    const reason =
      cause instanceof RangeError
        ? `it decompresses to more than ${maxBytes} bytes`
        : `its ${codec} data is corrupt`;
    throw new AvroFormatError(`corrupt block ${number}: ${reason}`, { cause });
  }
}

/**
 * Decodes a block's rows one at a time, so no more than one decoded row is held. Their values are
 * charged to the stream's meter, which the block fills with {@link VALUES_PER_BYTE} values per
 * byte (its sync marker counted): what a stream makes grows with its bytes, whatever its schema
 * or its blocks' declared row counts.
 */
export class BlockRows {
  readonly #block: Block;
  readonly #decoder: RowDecoder;
  readonly #meter: ValueMeter;
  #pos = 0;
  /** Rows decoded so far. */
  index = 0;

  constructor(block: Block, header: ParsedHeader, meter: ValueMeter) {
    this.#block = block;
    this.#decoder = header.decoder;
    this.#meter = meter;
    meter.budget += VALUES_PER_BYTE * (block.data.length + SYNC_BYTES);
  }

  get done(): boolean {
    return this.index >= this.#block.count;
  }

  next(): JsonValue {
    let decoded: { value: JsonValue; offset: number };
    try {
      decoded = this.#decoder.decode(this.#block.data, this.#pos, this.#meter);
    } catch (cause) {
      throw this.#undecodable(cause);
    }
    if (decoded.offset < 0) throw this.#overrun();
    this.#pos = decoded.offset;
    this.index++;
    return decoded.value;
  }

  /**
   * Writes the next row as its JSON text and a newline to `sink` with `writer` (compiled from the
   * same schema): the bytes of `JSON.stringify(next())`, with the same failures. A row that fails
   * leaves `sink.at` where it was, so the sink holds whole lines only.
   */
  writeNext(writer: RowWriter, sink: TextSink): void {
    let offset: number;
    try {
      offset = writeRowLine(writer, this.#block.data, this.#pos, this.#meter, sink);
    } catch (cause) {
      throw this.#undecodable(cause);
    }
    if (offset < 0) throw this.#overrun();
    this.#pos = offset;
    this.index++;
  }

  #undecodable(cause: unknown): AvroFormatError {
    const detail = cause instanceof Error ? cause.message.slice(0, 200) : 'unknown';
    return new AvroFormatError(
      `corrupt block ${this.#block.number}: object ${this.index + 1} does not decode (${detail})`,
      { cause },
    );
  }

  #overrun(): AvroFormatError {
    return new AvroFormatError(
      `corrupt block ${this.#block.number}: object ${this.index + 1} runs past the end of the block`,
    );
  }

  /** Checks, once every row is read, that they filled the block exactly. */
  finish(): void {
    const left = this.#block.data.length - this.#pos;
    if (left !== 0) {
      throw new AvroFormatError(
        `corrupt block ${this.#block.number}: ${left} bytes left after its ${this.#block.count} objects`,
      );
    }
  }
}
