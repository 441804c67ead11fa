/**
 * Rows written straight from a block's bytes to their JSON text: the bytes `JSON.stringify` makes
 * of what `row-decoder.ts` decodes (the rules are in `index.ts`), without the object in between.
 * A writer schema is compiled once into one writer closure per type, built from the parsed schema
 * as data: no code is generated from it, and every text that comes from the schema (field names,
 * enum symbols) is written as `JSON.stringify` writes it, computed once.
 *
 * The writers walk the bytes exactly as the decoder's readers do, with the decoder's own
 * primitives (varints, lengths, item counts, the output budget), so a row that does not decode
 * fails here with the same message at the same place, and a row that runs past its block is
 * reported the same way. Strings of printable ASCII, most of real data, are copied byte for byte;
 * every other string goes through the decoder's UTF-8 decoding and `JSON.stringify`. Maps, whose key
 * order in `JSON.stringify` depends on which keys look like array indices and which repeat, are
 * decoded by the decoder's reader and stringified. Recursive schemas have no writer: their rows
 * nest as deep as their bytes say, and a stack overflow must fail where the decoder's does.
 */

import { decimalString, isoDate, isoTimeMicros, isoTimeMillis, isoTimestamp, MS_PER_DAY } from './logical.js';
import {
  charge,
  compileReader,
  cursorAt,
  type RowDecoder,
  readBase64,
  readBoolean,
  readDouble,
  readExactLong,
  readFloat,
  readItemCount,
  readString,
  readVarint,
  settle,
  take,
  type ValueMeter,
} from './row-decoder.js';
import {
  type DecimalNode,
  type EnumNode,
  parseSchema,
  type RecordNode,
  type SchemaNode,
  staticValues,
  type UnionNode,
} from './schema.js';
import type { Cursor, JsonValue } from './values.js';

/** Where JSON text is written: `out[0, at)` holds it; writers replace `out` with a larger buffer when it is full. */
export interface TextSink {
  out: Buffer;
  at: number;
}

/** Writes one value of one Avro type at the cursor as JSON text. */
type Writer = (c: Cursor, s: TextSink) => void;

/** Writes the rows of one writer schema as JSON text. */
export interface RowWriter {
  /**
   * Writes the row at `pos` to `s` as the bytes (UTF-8) of `JSON.stringify` of what the schema's
   * `RowDecoder.decode` makes of it, charging `meter` as that does; answers where the next row
   * starts, or -1 when the row overruns `buf`. Throws what `decode` throws. On -1 or a throw, what
   * was written past `s.at` (as it was at the call) is garbage for the caller to drop.
   */
  write(buf: Buffer, pos: number, meter: ValueMeter | undefined, s: TextSink): number;
}

/** Node's own string writers, which the public `write` wraps in argument checks. */
type NodeBuffer = Buffer & {
  utf8Write(text: string, offset: number): number;
  latin1Write(text: string, offset: number, length: number): number;
};

/** Makes room for `n` more bytes and answers the buffer to write them to. */
function room(s: TextSink, n: number): Buffer {
  if (s.at + n > s.out.length) {
    const out = Buffer.allocUnsafe(Math.max(s.at + n, s.out.length * 2));
    s.out.copy(out, 0, 0, s.at);
    s.out = out;
  }
  return s.out;
}

function writeByte(s: TextSink, byte: number): void {
  room(s, 1)[s.at++] = byte;
}

/** Writes JSON text (from `JSON.stringify`) and a newline. */
export function writeJsonLine(s: TextSink, text: string): void {
  writeJsonText(s, text);
  writeNewline(s);
}

/** Ends a line. */
export function writeNewline(s: TextSink): void {
  room(s, 1)[s.at++] = 0x0a;
}

/**
 * Writes the row at `pos` of `buf` and a newline to `s`: answers where the next row starts, or -1
 * when the row overruns `buf`; rethrows what the writer throws. On -1 or a throw `s` is as it was,
 * so a sink holds whole lines only.
 */
export function writeRowLine(
  writer: RowWriter,
  buf: Buffer,
  pos: number,
  meter: ValueMeter | undefined,
  s: TextSink,
): number {
  const at = s.at;
  let offset: number;
  try {
    offset = writer.write(buf, pos, meter, s);
  } catch (cause) {
    s.at = at;
    throw cause;
  }
  if (offset < 0) {
    s.at = at;
    return -1;
  }
  writeNewline(s);
  return offset;
}

function writeBytes(s: TextSink, bytes: Buffer): void {
  const n = bytes.length;
  const out = room(s, n);
  let at = s.at;
  for (let i = 0; i < n; i++) out[at++] = bytes[i];
  s.at = at;
}

/** Writes text known to be ASCII (digits, base64, ISO dates). */
function writeAscii(s: TextSink, text: string): void {
  const n = text.length;
  const out = room(s, n);
  if (n > 64) {
    s.at += (out as NodeBuffer).latin1Write(text, s.at, n);
    return;
  }
  let at = s.at;
  for (let i = 0; i < n; i++) out[at++] = text.charCodeAt(i);
  s.at = at;
}

/** Writes ASCII text that needs no escaping as a JSON string. */
function writeQuoted(s: TextSink, text: string): void {
  writeByte(s, 0x22);
  writeAscii(s, text);
  writeByte(s, 0x22);
}

/** Writes JSON text as UTF-8 (it has no lone surrogates: `JSON.stringify` escapes them). */
function writeJsonText(s: TextSink, text: string): void {
  const out = room(s, text.length * 3);
  s.at += (out as NodeBuffer).utf8Write(text, s.at);
}

const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/** A safe integer's decimal digits, as `JSON.stringify` writes them (`-0` as `0`). */
function writeInteger(s: TextSink, value: number): void {
  const out = room(s, 17);
  let at = s.at;
  let n = value;
  if (n < 0) {
    out[at++] = 0x2d;
    n = -n;
  }
  if (n < 10) {
    out[at++] = 0x30 + n;
    s.at = at;
    return;
  }
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let end = at + digits;
  s.at = end;
  // Exact: below 2^53 a tenth never rounds across an integer.
  while (n >= 10) {
    const q = Math.floor(n / 10);
    out[--end] = 0x30 + (n - q * 10);
    n = q;
  }
  out[--end] = 0x30 + n;
}

/**
 * A number as `JSON.stringify` writes it: non-finite ones (an over-long int varint) as `null`.
 * The digits of a fraction come from `JSON.stringify`, never `String()`: V8 keeps `String()`'s
 * answers in its number-to-string cache, so on a stream of doubles every young-generation GC found
 * the cache's last thousands of strings alive and moved them to the old generation, where they
 * died: 30 MB of old-space garbage on the 500 MB bench file, 8 full GCs instead of 1, and the
 * peak RSS of figure 6 at 172 MB instead of 149 (the heap profile's top allocation site).
 */
function writeNumber(s: TextSink, value: number): void {
  if (Number.isSafeInteger(value)) writeInteger(s, value);
  else if (Number.isFinite(value)) writeAscii(s, JSON.stringify(value));
  else writeBytes(s, NULL);
}

/** A long by the `long` rule: a number within ±(2^53−1), else its decimal string. */
function writeLongValue(s: TextSink, value: number | bigint): void {
  if (typeof value === 'number') writeNumber(s, value);
  else writeQuoted(s, value.toString());
}

/** A float or double as the decoder makes it: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`. */
function writeFloating(s: TextSink, value: number | string): void {
  if (typeof value === 'number') writeNumber(s, value);
  else writeQuoted(s, value);
}

/** A logical value the decoder makes as an ASCII string or a number. */
function writeScalar(s: TextSink, value: string | number): void {
  if (typeof value === 'number') writeNumber(s, value);
  else writeQuoted(s, value);
}

const writeNull: Writer = (_c, s) => writeBytes(s, NULL);

const writeBoolean: Writer = (c, s) => writeBytes(s, readBoolean(c) ? TRUE : FALSE);

const writeInt: Writer = (c, s) => writeNumber(s, readVarint(c));

const writeLong: Writer = (c, s) => writeLongValue(s, readExactLong(c));

const writeFloat: Writer = (c, s) => writeFloating(s, readFloat(c));

const writeDouble: Writer = (c, s) => writeFloating(s, readDouble(c));

const writeBytesValue: Writer = (c, s) => writeQuoted(s, readBase64(c, readVarint(c)));

/**
 * A string: printable ASCII without `"` or `\` is its own JSON text, copied as it is checked;
 * anything else is decoded as the decoder does (invalid UTF-8 as U+FFFD) and escaped by
 * `JSON.stringify`.
 */
const writeString: Writer = (c, s) => {
  const pos = c.pos;
  const length = readVarint(c);
  const start = take(c, length);
  if (start < 0) {
    writeBytes(s, EMPTY_STRING);
    return;
  }
  const buf = c.buf;
  const out = room(s, length + 2);
  let at = s.at;
  out[at++] = 0x22;
  for (let i = start, end = start + length; i < end; i++) {
    const b = buf[i];
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) {
      c.pos = pos;
      writeJsonText(s, JSON.stringify(readString(c)));
      return;
    }
    out[at++] = b;
  }
  out[at++] = 0x22;
  s.at = at;
};

const EMPTY_STRING = Buffer.from('""');

function timestampWriter(unitsPerMs: number, utc: boolean): Writer {
  const subDigits = String(unitsPerMs).length - 1;
  // The date part of the last day written: rows of a file are often in time order.
  let day = Number.NaN;
  let datePart = '';
  return (c, s) => {
    const value = readExactLong(c);
    if (typeof value !== 'number') {
      const iso = isoTimestamp(value, unitsPerMs, utc);
      if (iso === undefined) writeLongValue(s, value);
      else writeQuoted(s, iso);
      return;
    }
    // As isoTimestamp splits it: whole milliseconds, and the units below them.
    let ms = Math.floor(value / unitsPerMs);
    let sub = value - ms * unitsPerMs;
    if (sub < 0) {
      ms -= 1;
      sub += unitsPerMs;
    } else if (sub >= unitsPerMs) {
      ms += 1;
      sub -= unitsPerMs;
    }
    if (!(Math.abs(ms) <= 8.64e15)) {
      writeLongValue(s, value);
      return;
    }
    const d = Math.floor(ms / MS_PER_DAY);
    if (d !== day) {
      const iso = new Date(d * MS_PER_DAY).toISOString();
      datePart = iso.slice(0, iso.length - 13);
      day = d;
    }
    writeByte(s, 0x22);
    writeAscii(s, datePart);
    let t = ms - d * MS_PER_DAY;
    const out = room(s, 14 + subDigits);
    let at = s.at;
    const hours = Math.floor(t / 3_600_000);
    t -= hours * 3_600_000;
    const minutes = Math.floor(t / 60_000);
    t -= minutes * 60_000;
    const seconds = Math.floor(t / 1000);
    const millis = t - seconds * 1000;
    out[at++] = 0x30 + Math.floor(hours / 10);
    out[at++] = 0x30 + (hours % 10);
    out[at++] = 0x3a;
    out[at++] = 0x30 + Math.floor(minutes / 10);
    out[at++] = 0x30 + (minutes % 10);
    out[at++] = 0x3a;
    out[at++] = 0x30 + Math.floor(seconds / 10);
    out[at++] = 0x30 + (seconds % 10);
    out[at++] = 0x2e;
    out[at++] = 0x30 + Math.floor(millis / 100);
    out[at++] = 0x30 + (Math.floor(millis / 10) % 10);
    out[at++] = 0x30 + (millis % 10);
    for (let i = subDigits - 1, n = sub; i >= 0; i--) {
      out[at + i] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    at += subDigits;
    if (utc) out[at++] = 0x5a;
    out[at++] = 0x22;
    s.at = at;
  };
}

const writeDate: Writer = (c, s) => writeScalar(s, isoDate(readVarint(c)));

const writeTimeMillis: Writer = (c, s) => writeScalar(s, isoTimeMillis(readVarint(c)));

const writeTimeMicros: Writer = (c, s) => {
  const micros = readExactLong(c);
  const iso = isoTimeMicros(micros);
  if (iso === undefined) writeLongValue(s, micros);
  else writeQuoted(s, iso);
};

function decimalWriter(node: DecimalNode): Writer {
  const { scale, size } = node;
  const write = (c: Cursor, s: TextSink, length: number) => {
    const start = take(c, length);
    writeQuoted(s, start < 0 ? '' : decimalString(c.buf, start, start + length, scale));
  };
  if (size === undefined) return (c, s) => write(c, s, readVarint(c));
  return (c, s) => write(c, s, size);
}

function enumWriter(node: EnumNode): Writer {
  const symbols = node.symbols.map((symbol) => Buffer.from(JSON.stringify(symbol)));
  const count = symbols.length;
  const name = node.name ?? 'anonymous';
  return (c, s) => {
    const index = readVarint(c);
    if (index >= 0 && index < count) writeBytes(s, symbols[index]);
    else throw new Error(`invalid ${name} enum index: ${index}`);
  };
}

function arrayWriter(items: Writer, weight: number): Writer {
  return (c, s) => {
    writeByte(s, 0x5b);
    let first = true;
    for (let n = readItemCount(c, weight); n !== 0; n = readItemCount(c, weight)) {
      for (let i = 0; i < n; i++) {
        if (first) first = false;
        else writeByte(s, 0x2c);
        items(c, s);
      }
    }
    writeByte(s, 0x5d);
  };
}

function noBranch(index: number): Error {
  return new Error(`union branch ${index} does not exist`);
}

/** A union as the decoder reads it: the branch's weight charged when it is taken, its plain value written. */
function unionWriter(node: UnionNode, writers: readonly Writer[], weights: readonly number[]): Writer {
  const count = writers.length;
  // The decoder charges nothing for the null of a two-branch optional; neither may this.
  const free = count === 2 ? node.branches.findIndex((branch) => branch.kind === 'null') : -1;
  if (free !== -1) {
    const other = 1 - free;
    const write = writers[other];
    const weight = weights[other];
    return (c, s) => {
      const index = readVarint(c);
      if (index === free) writeBytes(s, NULL);
      else if (index === other) {
        charge(c, weight);
        write(c, s);
      } else throw noBranch(index);
    };
  }
  return (c, s) => {
    const index = readVarint(c);
    if (index >= 0 && index < count) {
      charge(c, weights[index]);
      writers[index](c, s);
      return;
    }
    throw noBranch(index);
  };
}

/** A record: its fields in schema order, each after its name written as `JSON.stringify` writes it. */
function recordWriter(names: readonly string[], writers: readonly Writer[]): Writer {
  const count = names.length;
  if (count === 0) {
    const empty = Buffer.from('{}');
    return (_c, s) => writeBytes(s, empty);
  }
  const prefixes = names.map((name, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(name)}:`));
  return (c, s) => {
    for (let i = 0; i < count; i++) {
      writeBytes(s, prefixes[i]);
      writers[i](c, s);
    }
    writeByte(s, 0x7d);
  };
}

/** Compiles every node of a non-recursive schema into its writer; a record's is shared by its references. */
class WriterCompiler {
  readonly #records = new Map<RecordNode, Writer>();
  readonly #weights = new Map<SchemaNode, number>();

  rowWeight(root: SchemaNode): number {
    return staticValues(root, this.#weights);
  }

  compile(node: SchemaNode): Writer {
    switch (node.kind) {
      case 'null':
        return writeNull;
      case 'boolean':
        return writeBoolean;
      case 'int':
        return writeInt;
      case 'long':
        return writeLong;
      case 'float':
        return writeFloat;
      case 'double':
        return writeDouble;
      case 'bytes':
        return writeBytesValue;
      case 'string':
        return writeString;
      case 'timestamp':
        return timestampWriter(node.unitsPerMs, node.utc);
      case 'date':
        return writeDate;
      case 'time-millis':
        return writeTimeMillis;
      case 'time-micros':
        return writeTimeMicros;
      case 'decimal':
        return decimalWriter(node);
      case 'fixed': {
        const size = node.size;
        return (c, s) => writeQuoted(s, readBase64(c, size));
      }
      case 'enum':
        return enumWriter(node);
      case 'array':
        return arrayWriter(this.compile(node.items), staticValues(node.items, this.#weights));
      case 'map': {
        // The decoder's own map, stringified: its key order is the object's.
        const { read } = compileReader(node);
        return (c, s) => writeJsonText(s, JSON.stringify(read(c)));
      }
      case 'union':
        return unionWriter(
          node,
          node.branches.map((branch) => this.compile(branch)),
          node.branches.map((branch) => staticValues(branch, this.#weights)),
        );
      case 'record': {
        const done = this.#records.get(node);
        if (done !== undefined) return done;
        const write = recordWriter(
          node.fields.map((field) => field.name),
          node.fields.map((field) => this.compile(field.type)),
        );
        this.#records.set(node, write);
        return write;
      }
    }
  }
}

/** Whether some record of the schema can contain itself. */
function isRecursive(node: SchemaNode, seen = new Set<SchemaNode>()): boolean {
  if (seen.has(node)) return false;
  seen.add(node);
  switch (node.kind) {
    case 'record':
      return node.recursive || node.fields.some((field) => isRecursive(field.type, seen));
    case 'array':
      return isRecursive(node.items, seen);
    case 'map':
      return isRecursive(node.values, seen);
    case 'union':
      return node.branches.some((branch) => isRecursive(branch, seen));
    default:
      return false;
  }
}

/**
 * Compiles a parsed writer schema into a row writer whose text is byte for byte `JSON.stringify` of
 * the row decoder's values; undefined for a recursive schema (decode and stringify those rows).
 */
export function compileRowWriter(root: SchemaNode): RowWriter | undefined {
  if (isRecursive(root)) return undefined;
  const compiler = new WriterCompiler();
  const write = compiler.compile(root);
  const weight = compiler.rowWeight(root);
  return {
    write(buf, pos, meter, s) {
      const c = cursorAt(buf, pos, meter);
      const start = c.budget;
      charge(c, weight);
      write(c, s);
      settle(meter, start, c);
      return c.pos <= buf.length ? c.pos : -1;
    },
  };
}

/** Writers of the decoders seen, so that files and pages with one schema share one. */
const writers = new WeakMap<RowDecoder, RowWriter | null>();

/**
 * The row writer of a file's writer schema (`decoder` is the header's, `schema` its JSON), compiled
 * on first use and shared with every file whose header has the same decoder; undefined for a
 * recursive schema.
 */
export function rowWriterFor(decoder: RowDecoder, schema: JsonValue): RowWriter | undefined {
  let writer = writers.get(decoder);
  if (writer === undefined) {
    writer = compileRowWriter(parseSchema(schema)) ?? null;
    writers.set(decoder, writer);
  }
  return writer ?? undefined;
}
