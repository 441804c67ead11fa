/**
 * Rows decoded straight from a block's bytes to JSON-safe values (the rules are in `index.ts`). A
 * writer schema is compiled once into one reader closure per type; reading a row then walks the
 * bytes with a {@link Cursor}, without a second pass over the value.
 *
 * Bounds are checked where bytes are sliced or lengths and counts are acted on, not at every byte:
 * a varint, boolean or index read past the end of `buf` reads its missing bytes as 0, a string,
 * bytes or fixed that would run past it is not sliced, and once the row is read it is reported as
 * overrunning (`offset` -1). Nothing past `buf` ever reaches a value.
 */

import { decimalString, isoDate, isoTimeMicros, isoTimeMillis, isoTimestamp } from './logical.js';
import { BANK_FIELDS, BANKS, type FieldsReader } from './record-banks.js';
import {
  type DecimalNode,
  type EnumNode,
  minEncodedBytes,
  parseSchema,
  type RecordNode,
  type SchemaNode,
  staticValues,
  type UnionNode,
} from './schema.js';
import type { Cursor, Fields, JsonValue, Reader } from './values.js';

export type { JsonValue } from './values.js';

/** Decodes the rows of one writer schema straight to JSON-safe values. */
export interface RowDecoder {
  /** The fewest bytes one row can take (0 for schemas such as `"null"`). */
  readonly minRowBytes: number;
  /** The fewest JSON values one row makes (its unions, arrays and maps may add more). */
  readonly rowValues: number;
  /**
   * Decodes the row at `pos`; `offset` is where the next row starts, or -1 when the row overruns
   * `buf`. The row's values are charged to `meter` (at most {@link MAX_ROW_VALUES} a row); without
   * one the row may make {@link VALUES_ALLOWANCE} values plus its share of `buf`'s bytes.
   */
  decode(buf: Buffer, pos: number, meter?: ValueMeter): { value: JsonValue; offset: number };
}

/**
 * The output budget: every JSON value a row makes is charged against a {@link ValueMeter} that a
 * stream fills with {@link VALUES_PER_BYTE} values per byte it reads, plus
 * {@link VALUES_ALLOWANCE} once, so no schema makes output out of nothing: rows of `"null"` or of
 * empty records, records of thousands of null fields, arrays of nulls. Real data makes one or two
 * values per byte.
 */
export const VALUES_PER_BYTE = 64;
/** Values a stream may make beyond {@link VALUES_PER_BYTE} per byte: room for real zero-size items. */
export const VALUES_ALLOWANCE = 1 << 20;
/** Most values one row may make, whatever its stream allows. */
export const MAX_ROW_VALUES = 1 << 20;

/** What a stream (or a page) may still make, in JSON values. */
export interface ValueMeter {
  budget: number;
}

/** A meter for a new stream or page: the allowance, before any byte is read. */
export function valueMeter(): ValueMeter {
  return { budget: VALUES_ALLOWANCE };
}

const MIN_SAFE_BIGINT = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** A cursor at `pos` (an object literal: one allocation, one shape, no field initializers). */
function cursorAt(buf: Buffer, pos: number, meter: ValueMeter | undefined): Cursor {
  const budget = meter?.budget ?? VALUES_ALLOWANCE + VALUES_PER_BYTE * (buf.length - pos);
  return { buf, pos, budget: Math.min(budget, MAX_ROW_VALUES) };
}

/** Takes what the row at `c` made (it began with `start` values to spend) off the meter. */
function settle(meter: ValueMeter | undefined, start: number, c: Cursor): void {
  if (meter !== undefined) meter.budget -= start - c.budget;
}

/** Charges `values` against the row's budget. */
function charge(c: Cursor, values: number): void {
  c.budget -= values;
  if (c.budget < 0) throw overBudget();
}

function overBudget(): Error {
  return new Error('the row makes more values than its bytes can carry');
}

/** Node's own UTF-8 decoder, which the public `toString` wraps in argument checks. */
type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string };

/**
 * Reads a zigzag varint as a number (ints, lengths, counts, indices). Past 28 bits it goes on in
 * float arithmetic, so an over-long varint yields a large number rather than wrapping around.
 */
function readVarint(c: Cursor): number {
  const buf = c.buf;
  let pos = c.pos;
  let b = buf[pos++];
  if (b < 0x80) {
    c.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let n = b & 0x7f;
  let k = 7;
  let h = b & 0x80;
  while (h && k < 28) {
    b = buf[pos++];
    h = b & 0x80;
    n |= (b & 0x7f) << k;
    k += 7;
  }
  if (h) {
    let f = n;
    let fk = 268435456; // 2 ** 28
    do {
      b = buf[pos++];
      f += (b & 0x7f) * fk;
      fk *= 128;
    } while (b & 0x80);
    c.pos = pos;
    return (f % 2 ? -(f + 1) : f) / 2;
  }
  c.pos = pos;
  return (n >> 1) ^ -(n & 1);
}

function skipVarint(c: Cursor): void {
  const buf = c.buf;
  let pos = c.pos;
  while (buf[pos++] & 0x80) {
    // Skip.
  }
  c.pos = pos;
}

/** Reads a zigzag varint long exactly: a number when it is a safe integer, else a bigint. */
function readExactLong(c: Cursor): number | bigint {
  const buf = c.buf;
  const start = c.pos;
  let pos = start;
  let b = buf[pos++];
  if (b < 0x80) {
    c.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  // Float accumulation is exact while the zigzag value stays within 2^53.
  let zigzag = b & 0x7f;
  let scale = 128;
  while (b & 0x80) {
    if (pos - start === 10) throw new Error('a long is encoded in more than 10 bytes');
    b = buf[pos++];
    zigzag += (b & 0x7f) * scale;
    scale *= 128;
  }
  c.pos = pos;
  if (zigzag <= 2 ** 53) return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  let z = 0n;
  for (let i = pos - 1; i >= start; i--) z = (z << 7n) | BigInt(buf[i] & 0x7f);
  z = BigInt.asUintN(64, z);
  const value = (z >> 1n) ^ -(z & 1n);
  return value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? Number(value) : value;
}

function longToJson(value: number | bigint): number | string {
  return typeof value === 'number' ? value : value.toString();
}

/** Marks the row as running past the end of the buffer. */
function overrun(c: Cursor): void {
  c.pos = c.buf.length + 1;
}

const readNull: Reader = () => null;

function readBoolean(c: Cursor): boolean {
  // Any non-zero byte is true.
  return !!c.buf[c.pos++];
}

function readLong(c: Cursor): number | string {
  return longToJson(readExactLong(c));
}

function readFinite(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function readFloat(c: Cursor): number | string {
  const pos = c.pos;
  c.pos = pos + 4;
  return c.pos > c.buf.length ? 0 : readFinite(c.buf.readFloatLE(pos));
}

function readDouble(c: Cursor): number | string {
  const pos = c.pos;
  c.pos = pos + 8;
  return c.pos > c.buf.length ? 0 : readFinite(c.buf.readDoubleLE(pos));
}

/** Claims `size` bytes at the cursor: answers where they start, or -1 (the row marked overrun). */
function take(c: Cursor, size: number): number {
  const start = c.pos;
  const end = start + size;
  if (!(size >= 0) || end > c.buf.length) {
    overrun(c);
    return -1;
  }
  c.pos = end;
  return start;
}

/** Reads a length-prefixed UTF-8 string; invalid sequences become U+FFFD. */
function readString(c: Cursor): string {
  const length = readVarint(c);
  const start = take(c, length);
  return start < 0 ? '' : (c.buf as Utf8Buffer).utf8Slice(start, start + length);
}

/** Reads `size` raw bytes as base64, or marks the row overrun. */
function readBase64(c: Cursor, size: number): string {
  const start = take(c, size);
  return start < 0 ? '' : c.buf.toString('base64', start, start + size);
}

function readBytes(c: Cursor): string {
  return readBase64(c, readVarint(c));
}

/**
 * Reads an array or map block's item count, charging `weight` values an item: more items than
 * the row's budget can pay for are refused before any is read.
 */
function readItemCount(c: Cursor, weight: number): number {
  let n = readVarint(c);
  if (n < 0) {
    n = -n;
    skipVarint(c); // The block's size in bytes.
  }
  if (c.pos > c.buf.length) throw new Error('an array or map runs past the end of the block');
  if (!(n * weight <= c.budget)) {
    throw new Error(`an array or map declares ${n} items, more than the block can hold`);
  }
  c.budget -= n * weight;
  return n;
}

function readTimestamp(unitsPerMs: number, utc: boolean): Reader {
  return (c) => {
    const value = readExactLong(c);
    return isoTimestamp(value, unitsPerMs, utc) ?? longToJson(value);
  };
}

function readDate(c: Cursor): string | number {
  return isoDate(readVarint(c));
}

function readTimeMillis(c: Cursor): string | number {
  return isoTimeMillis(readVarint(c));
}

function readTimeMicros(c: Cursor): string | number {
  const micros = readExactLong(c);
  return isoTimeMicros(micros) ?? longToJson(micros);
}

function readDecimal(c: Cursor, size: number, scale: number): string {
  const start = take(c, size);
  return start < 0 ? '' : decimalString(c.buf, start, start + size, scale);
}

function decimalReader(node: DecimalNode): Reader {
  const { scale, size } = node;
  if (size === undefined) return (c) => readDecimal(c, readVarint(c), scale);
  return (c) => readDecimal(c, size, scale);
}

function enumReader(node: EnumNode): Reader {
  const symbols = node.symbols;
  const count = symbols.length;
  const name = node.name ?? 'anonymous';
  return (c) => {
    const index = readVarint(c);
    if (index >= 0 && index < count) return symbols[index];
    throw new Error(`invalid ${name} enum index: ${index}`);
  };
}

function arrayReader(items: Reader, weight: number): Reader {
  return (c) => {
    const array: JsonValue[] = [];
    for (let n = readItemCount(c, weight); n !== 0; n = readItemCount(c, weight)) {
      for (let i = 0; i < n; i++) array.push(items(c));
    }
    return array;
  };
}

function mapReader(values: Reader, weight: number): Reader {
  return (c) => {
    const map: { [key: string]: JsonValue } = {};
    for (let n = readItemCount(c, weight); n !== 0; n = readItemCount(c, weight)) {
      for (let i = 0; i < n; i++) {
        const key = readString(c);
        const value = values(c);
        // A plain assignment to `__proto__` would replace the prototype instead of adding the key.
        if (key === '__proto__') {
          Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
        } else {
          map[key] = value;
        }
      }
    }
    return map;
  };
}

function noBranch(index: number): Error {
  return new Error(`union branch ${index} does not exist`);
}

/**
 * Every union, ambiguous ones included, decoded to its branch's plain value. The branch's static
 * weight ({@link staticValues}) is charged when it is taken: a union is where a row chooses how
 * much it makes.
 */
function unionReader(node: UnionNode, branches: readonly Reader[], weights: readonly number[]): Reader {
  const count = branches.length;
  if (count === 2 && node.branches[0].kind === 'null') {
    const second = branches[1];
    const weight = weights[1];
    return (c) => {
      const index = readVarint(c);
      if (index === 0) return null;
      if (index === 1) {
        c.budget -= weight;
        if (c.budget < 0) throw overBudget();
        return second(c);
      }
      throw noBranch(index);
    };
  }
  if (count === 2 && node.branches[1].kind === 'null') {
    const first = branches[0];
    const weight = weights[0];
    return (c) => {
      const index = readVarint(c);
      if (index === 1) return null;
      if (index === 0) {
        c.budget -= weight;
        if (c.budget < 0) throw overBudget();
        return first(c);
      }
      throw noBranch(index);
    };
  }
  return (c) => {
    const index = readVarint(c);
    if (index >= 0 && index < count) {
      c.budget -= weights[index];
      if (c.budget < 0) throw overBudget();
      return branches[index](c);
    }
    throw noBranch(index);
  };
}

/** Banks of record code (see `record-banks.ts`) given to the field lists seen so far. */
const banksByFields = new Map<string, number>();
/** Field lists whose bank is remembered, at most. */
const REMEMBERED_FIELD_LISTS = 1024;
/** The next bank to hand out; they are handed out again from the first once all are used. */
let nextBank = 0;

/**
 * Reads up to {@link BANK_FIELDS} fields with one of the banks: the one they had before, if a
 * record with the same field names was seen (another file with the same schema, or a page of it),
 * else the next one.
 */
function fieldsReader(names: readonly string[], readers: readonly Reader[]): FieldsReader {
  const key = names.join(',');
  let bank = banksByFields.get(key);
  if (bank === undefined) {
    bank = nextBank;
    nextBank = (nextBank + 1) % BANKS.length;
    if (banksByFields.size < REMEMBERED_FIELD_LISTS) banksByFields.set(key, bank);
  }
  return BANKS[bank](names, readers);
}

/**
 * A record reader: its fields read in schema order into a fresh object literal, so every record
 * of a type goes through the same shapes (and stays a fast-properties object however many fields
 * it has). A field named `__proto__` is defined as an own property: assigning it would set the
 * prototype instead.
 */
function recordReader(names: readonly string[], readers: readonly Reader[]): Reader {
  const count = names.length;
  if (names.includes('__proto__')) {
    return (c) => {
      const record: Fields = {};
      for (let i = 0; i < count; i++) {
        const value = readers[i](c);
        Object.defineProperty(record, names[i], {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return record;
    };
  }
  if (count === 0) return () => ({});
  const parts: FieldsReader[] = [];
  for (let i = 0; i < count; i += BANK_FIELDS) {
    parts.push(fieldsReader(names.slice(i, i + BANK_FIELDS), readers.slice(i, i + BANK_FIELDS)));
  }
  const [first, ...rest] = parts;
  if (rest.length === 0) return first;
  return (c) => {
    const record = first(c);
    for (const read of rest) read(c, record);
    return record;
  };
}

/** Compiles every node of a schema into its reader; a record's reader is shared by its references. */
class Compiler {
  readonly #records = new Map<RecordNode, Reader>();
  /** Records being compiled: a reference back to one reads through its slot, filled once it is done. */
  readonly #pending = new Map<RecordNode, { read: Reader }>();
  /** Whether some record can contain itself, so that a row can nest without bound. */
  recursive = false;
  /** {@link staticValues} of the nodes weighed so far. */
  readonly #weights = new Map<SchemaNode, number>();

  /** The values a row of `root` makes before its unions, arrays and maps add theirs. */
  rowWeight(root: SchemaNode): number {
    return staticValues(root, this.#weights);
  }

  compile(node: SchemaNode): Reader {
    switch (node.kind) {
      case 'null':
        return readNull;
      case 'boolean':
        return readBoolean;
      case 'int':
        return readVarint;
      case 'long':
        return readLong;
      case 'float':
        return readFloat;
      case 'double':
        return readDouble;
      case 'bytes':
        return readBytes;
      case 'string':
        return readString;
      case 'timestamp':
        return readTimestamp(node.unitsPerMs, node.utc);
      case 'date':
        return readDate;
      case 'time-millis':
        return readTimeMillis;
      case 'time-micros':
        return readTimeMicros;
      case 'decimal':
        return decimalReader(node);
      case 'fixed': {
        const size = node.size;
        return (c) => readBase64(c, size);
      }
      case 'enum':
        return enumReader(node);
      case 'array':
        return arrayReader(this.compile(node.items), staticValues(node.items, this.#weights));
      case 'map':
        // A map entry makes its value and its key.
        return mapReader(this.compile(node.values), staticValues(node.values, this.#weights) + 1);
      case 'union':
        return unionReader(
          node,
          node.branches.map((branch) => this.compile(branch)),
          node.branches.map((branch) => staticValues(branch, this.#weights)),
        );
      case 'record':
        return this.#record(node);
    }
  }

  #record(node: RecordNode): Reader {
    const done = this.#records.get(node);
    if (done !== undefined) return done;
    const pending = this.#pending.get(node);
    if (pending !== undefined) return (c) => pending.read(c);
    const slot: { read: Reader } = { read: readNull };
    this.#pending.set(node, slot);
    const readers = node.fields.map((field) => this.compile(field.type));
    const read = recordReader(
      node.fields.map((field) => field.name),
      readers,
    );
    if (node.recursive) this.recursive = true;
    slot.read = read;
    this.#pending.delete(node);
    this.#records.set(node, read);
    return read;
  }
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

function compileRowDecoder(root: SchemaNode): RowDecoder {
  const compiler = new Compiler();
  const read = compiler.compile(root);
  const minRowBytes = minEncodedBytes(root);
  const weight = compiler.rowWeight(root);
  if (!compiler.recursive) {
    // The schema's depth (at most MAX_SCHEMA_DEPTH levels, references followed) bounds the row's.
    return {
      minRowBytes,
      rowValues: weight,
      decode(buf, pos, meter) {
        const c = cursorAt(buf, pos, meter);
        const start = c.budget;
        charge(c, weight);
        const value = read(c);
        settle(meter, start, c);
        return c.pos <= buf.length ? { value, offset: c.pos } : { value: null, offset: -1 };
      },
    };
  }
  return {
    minRowBytes,
    rowValues: weight,
    decode(buf, pos, meter) {
      const c = cursorAt(buf, pos, meter);
      const start = c.budget;
      charge(c, weight);
      let value: JsonValue;
      try {
        value = read(c);
      } catch (error) {
        // A row of a recursive schema can nest as deep as its bytes allow: a hostile one runs the
        // stack out, which is then a row that does not decode like any other.
        if (isStackOverflow(error)) throw new Error('a value nests too deeply', { cause: error });
        throw error;
      }
      settle(meter, start, c);
      return c.pos <= buf.length ? { value, offset: c.pos } : { value: null, offset: -1 };
    },
  };
}

/**
 * Decoders of the schemas seen last, by schema text: a file's pages, each reading its header
 * again, share one, and so do files written with the same schema.
 */
const recentDecoders = new Map<string, RowDecoder>();
const RECENT_DECODERS = 32;
/** Longest schema text kept with its decoder. */
const RECENT_SCHEMA_CHARS = 64 * 1024;

/**
 * Compiles a writer schema into a row decoder. Throws an `Error` saying what is wrong when the
 * schema is not a valid Avro schema. Given the schema's text (what the file's header holds), a
 * decoder made for the same text recently is returned instead.
 */
export function createRowDecoder(schema: JsonValue, schemaText?: string): RowDecoder {
  const cacheable = schemaText !== undefined && schemaText.length <= RECENT_SCHEMA_CHARS;
  if (cacheable) {
    const recent = recentDecoders.get(schemaText);
    if (recent !== undefined) {
      // Most recently used last.
      recentDecoders.delete(schemaText);
      recentDecoders.set(schemaText, recent);
      return recent;
    }
  }
  const decoder = compileRowDecoder(parseSchema(schema));
  if (cacheable) {
    recentDecoders.set(schemaText, decoder);
    if (recentDecoders.size > RECENT_DECODERS)
      recentDecoders.delete(recentDecoders.keys().next().value as string);
  }
  return decoder;
}
