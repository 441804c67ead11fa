import { once } from 'node:events';
import avro from 'avsc';
import type { ByteSource } from '../../lib/avro/index.js';

export type Schema = Parameters<typeof avro.Type.forSchema>[0];
type EncoderOptions = NonNullable<ConstructorParameters<typeof avro.streams.BlockEncoder>[1]>;

/** A long that writes any 64-bit value: tests give longs as bigints (or safe numbers). */
export const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (json: number | string) => BigInt(json),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint' || Number.isSafeInteger(n),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** The writer's view of a schema: 64-bit longs, and unions always wrapped so tests pick the branch. */
export function writerType(schema: Schema): avro.Type {
  return avro.Type.forSchema(schema, {
    wrapUnions: 'always',
    registry: {},
    typeHook: (s) =>
      s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long')
        ? bigLong
        : undefined,
  });
}

/**
 * Encodes `values` into an object container file with avsc's own encoder; a stream cannot carry a
 * top-level `null`, so files with such rows (or none) are framed here from avsc's `toBuffer` instead.
 */
export async function encodeFile(
  schema: Schema,
  values: readonly unknown[],
  options: Partial<EncoderOptions> = {},
  type: avro.Type = writerType(schema),
): Promise<Buffer> {
  if (values.length === 0 || values.includes(null)) return frameFile(schema, type, values, options);
  const codecs = { ...avro.streams.BlockEncoder.defaultCodecs(), ...options.codecs };
  const encoder = new avro.streams.BlockEncoder(type, { writeHeader: 'auto', ...options, codecs });
  // Given a Type, avsc writes the schema as the type sees it, without the logical types the test
  // writer ignores; put the schema as written in the header.
  (encoder as unknown as { _schema: Schema })._schema = schema;
  const chunks: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(encoder, 'end');
  for (const value of values) encoder.write(value);
  encoder.end();
  await ended;
  return Buffer.concat(chunks);
}

async function frameFile(
  schema: Schema,
  type: avro.Type,
  values: readonly unknown[],
  options: Partial<EncoderOptions>,
) {
  const codec = options.codec ?? 'null';
  const compress = options.codecs?.[codec] ?? avro.streams.BlockEncoder.defaultCodecs()[codec];
  const blockSize = options.blockSize ?? 65536;
  const blocks: HandBlock[] = [];
  let rows: Buffer[] = [];
  let bytes = 0;
  const flush = async () => {
    const raw = Buffer.concat(rows);
    const data = await new Promise<Buffer>((resolve, reject) =>
      compress(raw, (error, out) => (error ? reject(error) : resolve(out ?? Buffer.alloc(0)))),
    );
    blocks.push({ count: rows.length, data });
    rows = [];
    bytes = 0;
  };
  for (const value of values) {
    const row = type.toBuffer(value);
    rows.push(row);
    bytes += row.length;
    if (bytes >= blockSize || rows.length >= 50) await flush();
  }
  if (rows.length > 0) await flush();
  return handMadeFile({ schema, codec, sync: options.syncMarker, blocks });
}

/** A fixed sync marker, so tests can find block boundaries. */
export const SYNC = Buffer.from('0123456789abcdef');

/** Offsets where blocks start: the header's end and after every block's sync marker but the last. */
export function blockOffsets(file: Buffer, sync: Buffer = SYNC): number[] {
  const offsets: number[] = [];
  for (let at = file.indexOf(sync); at !== -1; at = file.indexOf(sync, at + 1))
    offsets.push(at + sync.length);
  return offsets.slice(0, -1);
}

/** A chunked source over `bytes` that records how it was used. */
export interface RecordingSource extends AsyncIterable<Uint8Array> {
  /** Bytes handed out so far. */
  readonly pulled: number;
  /** How many times the iterator's `return()` ran. */
  readonly returned: number;
  readonly finished: boolean;
}

export function chunkedSource(
  bytes: Buffer,
  chunkSize: number,
  fail?: { afterBytes: number; error: Error },
): RecordingSource {
  let pulled = 0;
  let returned = 0;
  let finished = false;
  return {
    get pulled() {
      return pulled;
    },
    get returned() {
      return returned;
    },
    get finished() {
      return finished;
    },
    [Symbol.asyncIterator]() {
      let pos = 0;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          if (fail !== undefined && pos >= fail.afterBytes) throw fail.error;
          if (pos >= bytes.length) {
            finished = true;
            return { done: true, value: undefined };
          }
          const end = Math.min(bytes.length, pos + chunkSize);
          // A plain Uint8Array view, as fetch's body stream yields.
          const chunk = new Uint8Array(bytes.buffer, bytes.byteOffset + pos, end - pos);
          pulled += end - pos;
          pos = end;
          return { done: false, value: chunk };
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          returned++;
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** A ByteSource over `file` (what a Range download gives), recording each opening. */
export function rangeSource(
  file: Buffer,
  chunkSize = 4096,
): ByteSource & { opened: Array<{ offset: number; source: RecordingSource }> } {
  const opened: Array<{ offset: number; source: RecordingSource }> = [];
  const open = async (offset: number) => {
    const source = chunkedSource(file.subarray(offset), chunkSize);
    opened.push({ offset, source });
    return source;
  };
  return Object.assign(open, { opened });
}

/** Avro's zigzag varint. */
export function varint(value: number | bigint): Buffer {
  let z = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) < 0n ? -1n : 0n));
  const bytes: number[] = [];
  do {
    let b = Number(z & 0x7fn);
    z >>= 7n;
    if (z !== 0n) b |= 0x80;
    bytes.push(b);
  } while (z !== 0n);
  return Buffer.from(bytes);
}

function avroBytes(bytes: Buffer): Buffer {
  return Buffer.concat([varint(bytes.length), bytes]);
}

export interface HandBlock {
  count: number | bigint;
  data: Buffer;
  /** Declared size; defaults to the data's length. */
  size?: number | bigint;
  sync?: Buffer;
}

/** An object container file written byte by byte, for damage avsc's encoder would never produce. */
export function handMadeFile(options: {
  schema: unknown;
  codec?: string;
  sync?: Buffer;
  blocks: HandBlock[];
}): Buffer {
  const sync = options.sync ?? SYNC;
  const metadata: Buffer[] = [
    avroBytes(Buffer.from('avro.schema')),
    avroBytes(Buffer.from(JSON.stringify(options.schema))),
  ];
  if (options.codec !== undefined) {
    metadata.push(avroBytes(Buffer.from('avro.codec')), avroBytes(Buffer.from(options.codec)));
  }
  const parts: Buffer[] = [
    Buffer.from('Obj\x01', 'latin1'),
    varint(metadata.length / 2),
    ...metadata,
    varint(0),
    sync,
  ];
  for (const block of options.blocks) {
    parts.push(varint(block.count), varint(block.size ?? block.data.length), block.data, block.sync ?? sync);
  }
  return Buffer.concat(parts);
}

/** Collects every event of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
