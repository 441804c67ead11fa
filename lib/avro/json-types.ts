import type avsc from 'avsc';
// Only avsc's type machinery (half the size of the whole package: no RPC, no file streams).
import avscTypes from 'avsc/lib/types.js';

const avro = { Type: avscTypes.Type, types: avscTypes.builtins } as Pick<typeof avsc, 'Type' | 'types'>;

/** A value `JSON.stringify` writes without loss: what every decoded row is made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * avsc's cursor over a buffer (`utils.Tap` in avsc 5.x). The types below override avsc's internal
 * `_read(tap)` so values come out JSON-safe in one pass, without a second walk over each row; these
 * members are the only internals they rely on, and the tests exercise every one of them.
 */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string | undefined;
}

interface TapReader {
  _read(tap: Tap): JsonValue;
}

type Schema = Parameters<typeof avro.Type.forSchema>[0];
type ForSchemaOptions = NonNullable<Parameters<typeof avro.Type.forSchema>[1]>;
type TypeHook = NonNullable<ForSchemaOptions['typeHook']>;
type SchemaObject = { readonly [key: string]: unknown };

/** Array and map items a row may still decode; it bounds the work a corrupt item count can cause. */
let itemBudget = 0;
/** Items of zero encoded size (nulls, empty records) a row may hold beyond one item per byte. */
const ZERO_SIZE_ITEM_ALLOWANCE = 1 << 20;
/** Longest unscaled decimal accepted (≈1230 digits): bounds the cost of turning it into digits. */
const MAX_DECIMAL_BYTES = 512;
/** `Date`'s range, in milliseconds either side of the epoch. */
const MAX_DATE_MS = 8.64e15;
const MS_PER_DAY = 86_400_000;
const MIN_SAFE_BIGINT = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

function asReader(type: avsc.Type): TapReader {
  return type as unknown as TapReader;
}

/** Reads a zigzag varint long exactly: a number when it is a safe integer, else a bigint. */
function readExactLong(tap: Tap): number | bigint {
  const buf = tap.buf;
  const start = tap.pos;
  let pos = start;
  let b = buf[pos++];
  if (b < 0x80) {
    tap.pos = pos;
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
  tap.pos = pos;
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

/** Reads `size` raw bytes as base64, or marks the tap overrun. */
function readBase64(tap: Tap, size: number): string {
  const start = tap.pos;
  const end = start + size;
  if (size < 0 || end > tap.buf.length) {
    tap.pos = tap.buf.length + 1;
    return '';
  }
  tap.pos = end;
  return tap.buf.toString('base64', start, end);
}

function readFinite(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** Reads an array or map block's item count, refusing more items than the row's bytes can hold. */
function readItemCount(tap: Tap): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong();
  }
  if (tap.pos > tap.buf.length) throw new Error('an array or map runs past the end of the block');
  if (n > itemBudget) throw new Error(`an array or map declares ${n} items, more than the block can hold`);
  itemBudget -= n;
  return n;
}

class JsonLong extends avro.types.LongType {
  _read(tap: Tap): JsonValue {
    return longToJson(readExactLong(tap));
  }
}

class JsonFloat extends avro.types.FloatType {
  _read(tap: Tap): JsonValue {
    const pos = tap.pos;
    tap.pos += 4;
    return tap.pos > tap.buf.length ? 0 : readFinite(tap.buf.readFloatLE(pos));
  }
}

class JsonDouble extends avro.types.DoubleType {
  _read(tap: Tap): JsonValue {
    const pos = tap.pos;
    tap.pos += 8;
    return tap.pos > tap.buf.length ? 0 : readFinite(tap.buf.readDoubleLE(pos));
  }
}

class JsonBytes extends avro.types.BytesType {
  _read(tap: Tap): JsonValue {
    return readBase64(tap, tap.readLong());
  }
}

class JsonFixed extends avro.types.FixedType {
  _read(tap: Tap): JsonValue {
    return readBase64(tap, this.size);
  }
}

class JsonArray extends avro.types.ArrayType {
  _read(tap: Tap): JsonValue {
    const items = asReader(this.itemsType);
    const array: JsonValue[] = [];
    for (let n = readItemCount(tap); n !== 0; n = readItemCount(tap)) {
      for (let i = 0; i < n; i++) array.push(items._read(tap));
    }
    return array;
  }
}

class JsonMap extends avro.types.MapType {
  _read(tap: Tap): JsonValue {
    const values = asReader(this.valuesType);
    const map: { [key: string]: JsonValue } = {};
    for (let n = readItemCount(tap); n !== 0; n = readItemCount(tap)) {
      for (let i = 0; i < n; i++) {
        const key = tap.readString() ?? '';
        const value = values._read(tap);
        // A plain assignment to `__proto__` would replace the prototype instead of adding the key.
        if (key === '__proto__') {
          Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
        } else {
          map[key] = value;
        }
      }
    }
    return map;
  }
}

/** Every union, ambiguous ones included, decoded to its branch's plain value. */
class JsonUnion extends avro.types.WrappedUnionType {
  _read(tap: Tap): JsonValue {
    const index = tap.readLong();
    const branch = this.types[index];
    if (branch === undefined) throw new Error(`union branch ${index} does not exist`);
    return asReader(branch)._read(tap);
  }
}

/** ISO-8601 for a count of `unitsPerMs`-sized units since the epoch, or undefined outside `Date`'s range. */
function isoTimestamp(value: number | bigint, unitsPerMs: number, utc: boolean): string | undefined {
  let ms: number;
  let sub: number;
  if (typeof value === 'number') {
    ms = Math.floor(value / unitsPerMs);
    sub = value - ms * unitsPerMs;
    // The division rounds for values near 2^53; correct by one unit either way.
    if (sub < 0) {
      ms -= 1;
      sub += unitsPerMs;
    } else if (sub >= unitsPerMs) {
      ms += 1;
      sub -= unitsPerMs;
    }
  } else {
    const per = BigInt(unitsPerMs);
    let q = value / per;
    let r = value % per;
    if (r < 0n) {
      q -= 1n;
      r += per;
    }
    if (q > BigInt(MAX_DATE_MS) || q < -BigInt(MAX_DATE_MS)) return undefined;
    ms = Number(q);
    sub = Number(r);
  }
  if (Math.abs(ms) > MAX_DATE_MS) return undefined;
  const iso = new Date(ms).toISOString();
  const digits = unitsPerMs === 1 ? '' : String(sub).padStart(String(unitsPerMs).length - 1, '0');
  return `${iso.slice(0, -1)}${digits}${utc ? 'Z' : ''}`;
}

function timestampType(unitsPerMs: number, utc: boolean): avsc.Type {
  return new (class JsonTimestamp extends avro.types.LongType {
    _read(tap: Tap): JsonValue {
      const value = readExactLong(tap);
      return isoTimestamp(value, unitsPerMs, utc) ?? longToJson(value);
    }
  })();
}

class JsonDate extends avro.types.IntType {
  _read(tap: Tap): JsonValue {
    const days = tap.readLong();
    if (Math.abs(days * MS_PER_DAY) > MAX_DATE_MS) return days;
    const iso = new Date(days * MS_PER_DAY).toISOString();
    return iso.slice(0, iso.indexOf('T'));
  }
}

class JsonTimeMillis extends avro.types.IntType {
  _read(tap: Tap): JsonValue {
    const ms = tap.readLong();
    return ms >= 0 && ms < MS_PER_DAY ? new Date(ms).toISOString().slice(11, 23) : ms;
  }
}

class JsonTimeMicros extends avro.types.LongType {
  _read(tap: Tap): JsonValue {
    const micros = readExactLong(tap);
    if (typeof micros !== 'number' || micros < 0 || micros >= MS_PER_DAY * 1000) return longToJson(micros);
    const ms = Math.floor(micros / 1000);
    return `${new Date(ms).toISOString().slice(11, 23)}${String(micros - ms * 1000).padStart(3, '0')}`;
  }
}

/** The decimal string of a big-endian two's-complement unscaled value. */
function decimalString(buf: Buffer, start: number, end: number, scale: number): string {
  const length = end - start;
  if (length > MAX_DECIMAL_BYTES) {
    throw new Error(`a decimal of ${length} bytes is longer than ${MAX_DECIMAL_BYTES}`);
  }
  let unscaled: number | bigint;
  if (length === 0) {
    unscaled = 0;
  } else if (length <= 6) {
    unscaled = buf.readIntBE(start, length);
  } else {
    unscaled = BigInt(`0x${buf.toString('hex', start, end)}`);
    if (buf[start] & 0x80) unscaled -= 1n << BigInt(8 * length);
  }
  const negative = unscaled < 0;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

function readDecimal(tap: Tap, size: number, scale: number): JsonValue {
  const start = tap.pos;
  const end = start + size;
  if (size < 0 || end > tap.buf.length) {
    tap.pos = tap.buf.length + 1;
    return '';
  }
  tap.pos = end;
  return decimalString(tap.buf, start, end, scale);
}

function decimalBytesType(scale: number): avsc.Type {
  return new (class JsonDecimalBytes extends avro.types.BytesType {
    _read(tap: Tap): JsonValue {
      return readDecimal(tap, tap.readLong(), scale);
    }
  })();
}

function decimalFixedType(schema: SchemaObject, opts: ForSchemaOptions, scale: number): avsc.Type {
  return new (class JsonDecimalFixed extends avro.types.FixedType {
    _read(tap: Tap): JsonValue {
      return readDecimal(tap, this.size, scale);
    }
  })(schema as Schema, opts);
}

const SHARED_PRIMITIVES = new Map<string, avsc.Type>([
  ['long', new JsonLong()],
  ['float', new JsonFloat()],
  ['double', new JsonDouble()],
  ['bytes', new JsonBytes()],
]);

const TIMESTAMPS = new Map<string, avsc.Type>([
  ['timestamp-millis', timestampType(1, true)],
  ['timestamp-micros', timestampType(1000, true)],
  ['timestamp-nanos', timestampType(1_000_000, true)],
  ['local-timestamp-millis', timestampType(1, false)],
  ['local-timestamp-micros', timestampType(1000, false)],
  ['local-timestamp-nanos', timestampType(1_000_000, false)],
]);

function isSchemaObject(schema: unknown): schema is SchemaObject {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema) && !avro.Type.isType(schema);
}

/** The logical type this module converts, or undefined where the spec says to fall back to the underlying type. */
function logicalJsonType(schema: SchemaObject, opts: ForSchemaOptions): avsc.Type | undefined {
  const { type, logicalType } = schema;
  if (typeof logicalType !== 'string') return undefined;
  if (type === 'long') {
    if (logicalType === 'time-micros') return new JsonTimeMicros();
    return TIMESTAMPS.get(logicalType);
  }
  if (type === 'int') {
    if (logicalType === 'date') return new JsonDate();
    if (logicalType === 'time-millis') return new JsonTimeMillis();
    return undefined;
  }
  if (logicalType !== 'decimal' || (type !== 'bytes' && type !== 'fixed')) return undefined;
  const { precision, scale = 0, size } = schema;
  const valid =
    typeof precision === 'number' &&
    Number.isInteger(precision) &&
    precision > 0 &&
    typeof scale === 'number' &&
    Number.isInteger(scale) &&
    scale >= 0 &&
    scale <= precision;
  if (!valid) return undefined;
  if (type === 'bytes') return decimalBytesType(scale);
  if (typeof size !== 'number' || size > MAX_DECIMAL_BYTES) return undefined;
  return decimalFixedType(schema, opts, scale);
}

const jsonTypeHook: TypeHook = (schema, opts) => {
  if (typeof schema === 'string') return SHARED_PRIMITIVES.get(schema);
  if (Array.isArray(schema)) return new JsonUnion(schema, opts);
  if (!isSchemaObject(schema)) return undefined;
  const logical = logicalJsonType(schema, opts);
  if (logical !== undefined) return logical;
  switch (schema.type) {
    case 'long':
    case 'float':
    case 'double':
    case 'bytes':
      return SHARED_PRIMITIVES.get(schema.type);
    case 'fixed':
      return new JsonFixed(schema, opts);
    case 'array':
      return new JsonArray(schema, opts);
    case 'map':
      return new JsonMap(schema, opts);
    default:
      return undefined;
  }
};

/** Decodes the rows of one writer schema straight to JSON-safe values. */
export interface RowDecoder {
  /** The fewest bytes one row can take (0 for schemas such as `"null"`). */
  readonly minRowBytes: number;
  /** Decodes the row at `pos`; `offset` is where the next row starts, or -1 when the row overruns `buf`. */
  decode(buf: Buffer, pos: number): { value: JsonValue; offset: number };
}

/**
 * Compiles a writer schema into an avsc type whose longs, floats, bytes, fixeds, unions, arrays, maps
 * and logical types are the JSON-producing ones above (the rules are in `index.ts`). Throws avsc's
 * own error when the schema is invalid.
 */
export function createRowDecoder(schema: JsonValue): RowDecoder {
  const type = avro.Type.forSchema(schema as Schema, {
    typeHook: jsonTypeHook,
    omitRecordMethods: true,
    registry: {},
  });
  return {
    minRowBytes: minEncodedBytes(type, new Set()),
    decode(buf, pos) {
      itemBudget = buf.length - pos + ZERO_SIZE_ITEM_ALLOWANCE;
      return type.decode(buf, pos);
    },
  };
}

function minEncodedBytes(type: avsc.Type, visiting: Set<avsc.Type>): number {
  switch (type.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return (type as avsc.types.FixedType).size;
    case 'record':
    case 'error': {
      if (visiting.has(type)) return 0;
      visiting.add(type);
      let sum = 0;
      for (const field of (type as avsc.types.RecordType).fields) {
        sum += minEncodedBytes(field.type, visiting);
      }
      visiting.delete(type);
      return sum;
    }
    default:
      return 1;
  }
}
