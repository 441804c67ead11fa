import { createHash } from 'node:crypto';
import { type AvroSchema, avroHeader } from './avro-container.js';
import { ContentHasher } from './content-hash.js';

/**
 * `/data/big.avro`: an Avro container of any requested size, generated on demand.
 *
 * Every record encodes to exactly {@link RECORD_BYTES} bytes (the `note` string absorbs
 * the varying varint widths of `seq` and `ts`), so every full block has the same size and
 * the byte at any offset can be produced without generating what precedes it. That gives
 * an exact Content-Length and cheap Range answers; a last, shorter block pads the file to
 * the exact size asked for. Nothing is held in memory beyond one block.
 */
export const BIG_AVRO_SCHEMA = {
  type: 'record',
  name: 'BigEvent',
  namespace: 'com.portico.sandbox',
  doc: 'Generated on demand by the Portico sandbox',
  fields: [
    { name: 'seq', type: 'long' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'user', type: 'string' },
    {
      name: 'kind',
      type: { type: 'enum', name: 'BigEventKind', symbols: ['VIEW', 'CLICK', 'PURCHASE', 'REFUND'] },
    },
    { name: 'amount', type: 'double' },
    { name: 'ok', type: 'boolean' },
    { name: 'note', type: 'string' },
  ],
} satisfies AvroSchema;

/** Encoded size of every full-block record. */
export const RECORD_BYTES = 120;
/** Records per full block (about 60 KiB of data, like avsc's default 64 KiB blocks). */
export const RECORDS_PER_BLOCK = 512;

const SYNC = createHash('sha256').update('portico-sandbox-big-avro').digest().subarray(0, 16);
const TS_BASE = 1_700_000_000_000;
const KINDS = 4;
/** user (1 + 10 bytes), kind (1), amount (8), ok (1). */
const FIXED_FIELDS = 21;
const NOTE_TEXT = Buffer.from(
  'The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. ',
);
const USER_PREFIX = Buffer.from('user-', 'latin1');
/** The note text from `start`, wrapping round, `length` bytes long (views cached by both). */
const noteViews = new Map<number, Uint8Array>();
function noteText(start: number, length: number): Uint8Array {
  const key = length * 64 + start;
  let view = noteViews.get(key);
  if (!view) {
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = NOTE_TEXT[(start + i) % NOTE_TEXT.length];
    view = bytes;
    noteViews.set(key, view);
  }
  return view;
}
/** Smallest last block the layout will produce (one short record and framing). */
const MIN_TAIL = 64;

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** Bytes of an Avro long's zig-zag varint (exact for safe integers). */
export function longLength(n: number): number {
  let v = zigzag(n);
  let len = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    len++;
  }
  return len;
}

function writeLong(buf: Buffer, pos: number, n: number): number {
  let v = zigzag(n);
  let p = pos;
  while (v >= 128) {
    buf[p++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}

const tsOf = (seq: number) => TS_BASE + seq * 1000;
const variable = (seq: number) => longLength(seq) + longLength(tsOf(seq));

/** Note length that makes record `seq` exactly {@link RECORD_BYTES} (its length varint is 2 bytes). */
function normalNote(seq: number): number {
  return RECORD_BYTES - variable(seq) - FIXED_FIELDS - 2;
}

function writeRecord(buf: Buffer, pos: number, seq: number, noteLength: number): number {
  let p = writeLong(buf, pos, seq);
  p = writeLong(buf, p, tsOf(seq));
  buf[p++] = 20; // zig-zag of the user string's length, 10
  buf.set(USER_PREFIX, p);
  p += 5;
  let u = seq % 100000;
  for (let i = 4; i >= 0; i--) {
    buf[p + i] = 48 + (u % 10);
    u = Math.floor(u / 10);
  }
  p += 5;
  buf[p++] = zigzag(seq % KINDS);
  p = buf.writeDoubleLE(((seq * 7919) % 100000) / 100, p);
  buf[p++] = seq % 5 === 0 ? 0 : 1;
  p = writeLong(buf, p, noteLength);
  // TypedArray#set of a cached view, not Buffer#copy: a builtin rather than a call into C++.
  buf.set(noteText(seq % 40, noteLength), p);
  return p + noteLength;
}

/** Where everything sits in a generated file of a given size. */
export interface BigAvroLayout {
  /** Exact file size (the size asked for, or the smallest valid file when less). */
  size: number;
  header: Buffer;
  /** Bytes of each full block. */
  blockBytes: number;
  fullBlocks: number;
  /** The last, shorter block: `normal` full-size records then one padding record. */
  tail?: { firstSeq: number; normal: number; fillerNote: number; bytes: number };
  /** Records in the file. */
  rows: number;
}

function solveTail(rem: number, firstSeq: number): NonNullable<BigAvroLayout['tail']> {
  for (let m = Math.floor(rem / RECORD_BYTES); m >= 0; m--) {
    const fillerBase = variable(firstSeq + m) + FIXED_FIELDS;
    for (let vl = 1; vl <= 4; vl++) {
      for (let vc = 1; vc <= 3; vc++) {
        for (let vd = 1; vd <= 4; vd++) {
          const note = rem - 16 - vc - vd - m * RECORD_BYTES - fillerBase - vl;
          if (note < 0) continue;
          const data = m * RECORD_BYTES + fillerBase + vl + note;
          if (longLength(note) === vl && longLength(m + 1) === vc && longLength(data) === vd) {
            return { firstSeq, normal: m, fillerNote: note, bytes: rem };
          }
        }
      }
    }
  }
  throw new Error(`cannot lay out a final Avro block of ${rem} bytes`);
}

/** Computes the layout of a generated file of `requested` bytes. */
export function bigAvroLayout(requested: number): BigAvroLayout {
  const header = avroHeader(BIG_AVRO_SCHEMA, 'null', SYNC);
  const data = RECORDS_PER_BLOCK * RECORD_BYTES;
  const blockBytes = longLength(RECORDS_PER_BLOCK) + longLength(data) + data + 16;
  const avail = Math.max(0, Math.floor(requested) - header.length);
  let fullBlocks = Math.floor(avail / blockBytes);
  let rem = avail - fullBlocks * blockBytes;
  if (rem > 0 && rem < MIN_TAIL && fullBlocks > 0) {
    fullBlocks--;
    rem += blockBytes;
  }
  if (rem > 0 && rem < MIN_TAIL) rem = MIN_TAIL;
  const tail = rem > 0 ? solveTail(rem, fullBlocks * RECORDS_PER_BLOCK) : undefined;
  return {
    size: header.length + fullBlocks * blockBytes + (tail?.bytes ?? 0),
    header,
    blockBytes,
    fullBlocks,
    ...(tail ? { tail } : {}),
    rows: fullBlocks * RECORDS_PER_BLOCK + (tail ? tail.normal + 1 : 0),
  };
}

function fullBlock(layout: BigAvroLayout, index: number): Buffer {
  const buf = Buffer.allocUnsafe(layout.blockBytes);
  let p = writeLong(buf, 0, RECORDS_PER_BLOCK);
  p = writeLong(buf, p, RECORDS_PER_BLOCK * RECORD_BYTES);
  const first = index * RECORDS_PER_BLOCK;
  for (let seq = first; seq < first + RECORDS_PER_BLOCK; seq++) p = writeRecord(buf, p, seq, normalNote(seq));
  SYNC.copy(buf, p);
  return buf;
}

function tailBlock(tail: NonNullable<BigAvroLayout['tail']>): Buffer {
  const buf = Buffer.allocUnsafe(tail.bytes);
  const fillerSeq = tail.firstSeq + tail.normal;
  const data =
    tail.normal * RECORD_BYTES +
    variable(fillerSeq) +
    FIXED_FIELDS +
    longLength(tail.fillerNote) +
    tail.fillerNote;
  let p = writeLong(buf, 0, tail.normal + 1);
  p = writeLong(buf, p, data);
  for (let seq = tail.firstSeq; seq < fillerSeq; seq++) p = writeRecord(buf, p, seq, normalNote(seq));
  p = writeRecord(buf, p, fillerSeq, tail.fillerNote);
  SYNC.copy(buf, p);
  return buf;
}

/** The bytes `[start, end)` of the generated file, one block (or part of one) at a time. */
export function* bigAvroChunks(layout: BigAvroLayout, start = 0, end = layout.size): Generator<Buffer> {
  const H = layout.header.length;
  let pos = Math.max(0, start);
  const stop = Math.min(end, layout.size);
  while (pos < stop) {
    if (pos < H) {
      const upTo = Math.min(H, stop);
      yield layout.header.subarray(pos, upTo);
      pos = upTo;
      continue;
    }
    const index = Math.floor((pos - H) / layout.blockBytes);
    const isTail = index >= layout.fullBlocks;
    const segStart = H + (isTail ? layout.fullBlocks : index) * layout.blockBytes;
    const seg = isTail && layout.tail ? tailBlock(layout.tail) : fullBlock(layout, index);
    const upTo = Math.min(seg.length, stop - segStart);
    yield seg.subarray(pos - segStart, upTo);
    pos = segStart + upTo;
  }
}

/** The bytes `[start, end)` as a pull stream: a block is generated only when the reader wants it. */
export function bigAvroStream(
  layout: BigAvroLayout,
  start = 0,
  end = layout.size,
): ReadableStream<Uint8Array> {
  const chunks = bigAvroChunks(layout, start, end);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.next();
      if (next.done) controller.close();
      else
        controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
    },
    cancel() {
      chunks.return(undefined);
    },
  });
}

const hashes = new Map<number, Promise<string>>();

/**
 * Dropbox content hash of the generated file, computed once per size and cached. Yields
 * to the event loop between blocks, so hashing a large file does not stall the server.
 */
export function bigAvroContentHash(layout: BigAvroLayout): Promise<string> {
  let hash = hashes.get(layout.size);
  if (!hash) {
    hash = (async () => {
      const hasher = new ContentHasher();
      let n = 0;
      for (const chunk of bigAvroChunks(layout)) {
        hasher.update(chunk);
        if (++n % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      return hasher.digest();
    })();
    hashes.set(layout.size, hash);
  }
  return hash;
}
