/**
 * Reading a file's rows as another schema, and only some of their fields: Avro's schema resolution
 * (https://avro.apache.org/docs/1.12.0/specification/#schema-resolution) joined with a projection.
 * A writer schema, a reader schema and a selection of the reader's fields compile once into one
 * reader that walks the writer's bytes: a selected field is decoded (and converted to the reader's
 * type), a field that is not selected, or that the reader does not have, is skipped without making
 * a value (strings, bytes and fixeds by their length, arrays and maps by their block's byte size
 * when the writer wrote it, else item by item), and a reader field the writer lacks takes its
 * default.
 *
 * Resolution follows the specification and avsc's resolver: numeric promotion (int → long, float,
 * double; long → float, double; float → double), string ↔ bytes, unions on either side (a writer
 * union resolves when every one of its branches does; a reader union takes the first branch that
 * resolves), enums by symbol (a symbol the reader lacks takes the reader's default, and without one
 * the schemas do not resolve), named types by their unqualified name or the reader's aliases,
 * record fields by name or the reader field's aliases. A logical type resolves with the same
 * logical type or its underlying type; read as a plain type, a logical type is its underlying type.
 */

import { AvroError } from './errors.js';
import { decimalString, isoDate, isoTimeMicros, isoTimeMillis, isoTimestamp } from './logical.js';
import {
  charge,
  compileReader,
  cursorAt,
  isStackOverflow,
  overrun,
  type RowDecoder,
  readBase64,
  readExactLong,
  readFloat,
  readItemCount,
  readString,
  readVarint,
  recordReader,
  settle,
  skipVarint,
  take,
} from './row-decoder.js';
import {
  type EnumNode,
  type FieldNode,
  type FixedNode,
  minEncodedBytes,
  type RecordNode,
  type SchemaNode,
} from './schema.js';
import type { Cursor, Fields, JsonValue, Reader } from './values.js';

/** Fields picked from a record: a field maps to `true` (all of it) or to the fields picked inside it. */
export type Selection = ReadonlyMap<string, Selection | true>;

/** A writer schema that does not resolve to the reader schema; `path` is where (`"address.zip"`, `""` for the root). */
export class AvroSchemaMismatch extends AvroError {
  override name = 'AvroSchemaMismatch';
  readonly path: string;

  constructor(path: string, reason: string) {
    super(path === '' ? reason : `${path}: ${reason}`);
    this.path = path;
  }
}

interface Compiled {
  read: Reader;
  /** The values it makes before its unions, arrays and maps add theirs. */
  weight: number;
}

type Skipper = (c: Cursor) => void;

const skipNothing: Skipper = () => {};

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** Whether a reader's named type answers to the writer's name (unqualified, or one of the reader's aliases). */
function namesMatch(
  writer: string | undefined,
  reader: string | undefined,
  aliases: readonly string[] | undefined,
): boolean {
  if (writer === undefined || reader === undefined) return writer === reader;
  if (unqualified(writer) === unqualified(reader)) return true;
  return (aliases ?? []).some((alias) => alias === writer || unqualified(alias) === unqualified(writer));
}

/** A logical type's underlying type, as a plain reader sees it. */
function underlying(node: SchemaNode): SchemaNode {
  switch (node.kind) {
    case 'timestamp':
    case 'time-micros':
      return { kind: 'long' };
    case 'date':
    case 'time-millis':
      return { kind: 'int' };
    case 'decimal':
      return node.size === undefined
        ? { kind: 'bytes' }
        : { kind: 'fixed', name: node.name, size: node.size };
    default:
      return node;
  }
}

function isLogical(node: SchemaNode): boolean {
  return (
    node.kind === 'timestamp' ||
    node.kind === 'date' ||
    node.kind === 'time-millis' ||
    node.kind === 'time-micros' ||
    node.kind === 'decimal'
  );
}

function sameLogical(writer: SchemaNode, reader: SchemaNode): boolean {
  if (writer.kind !== reader.kind) return false;
  if (writer.kind === 'timestamp' && reader.kind === 'timestamp') {
    return writer.unitsPerMs === reader.unitsPerMs && writer.utc === reader.utc;
  }
  if (writer.kind === 'decimal' && reader.kind === 'decimal') {
    return writer.scale === reader.scale && writer.size === reader.size;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Skipping: walking a writer value without making it.

function skipLengthPrefixed(c: Cursor): void {
  take(c, readVarint(c));
}

/**
 * Skips an array's or map's blocks. A block whose count is negative carries its byte size, which is
 * skipped at once; otherwise items are skipped one by one, after checking that the bytes left can
 * hold them, so a corrupt count cannot loop for long. Items of no bytes (nulls) are not walked.
 */
function itemsSkipper(item: Skipper, minItemBytes: number): Skipper {
  return (c) => {
    for (;;) {
      let n = readVarint(c);
      if (n === 0) return;
      if (n < 0) {
        const size = readVarint(c);
        if (take(c, size) < 0) return;
        continue;
      }
      if (c.pos > c.buf.length || n * minItemBytes > c.buf.length - c.pos) {
        overrun(c);
        return;
      }
      if (minItemBytes === 0) continue;
      for (; n > 0; n--) item(c);
    }
  };
}

function unionSkipper(branches: readonly Skipper[]): Skipper {
  const count = branches.length;
  return (c) => {
    const index = readVarint(c);
    if (index >= 0 && index < count) branches[index](c);
    else throw new Error(`union branch ${index} does not exist`);
  };
}

function sequence(skippers: readonly Skipper[]): Skipper {
  const parts = skippers.filter((s) => s !== skipNothing);
  if (parts.length === 0) return skipNothing;
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) {
    const [a, b] = parts;
    return (c) => {
      a(c);
      b(c);
    };
  }
  return (c) => {
    for (const skip of parts) skip(c);
  };
}

/** Skippers of a writer schema's nodes, a record's shared by its references (so recursion terminates). */
class Skippers {
  readonly #records = new Map<RecordNode, Skipper>();

  of(node: SchemaNode): Skipper {
    switch (node.kind) {
      case 'null':
        return skipNothing;
      case 'boolean':
        return (c) => {
          c.pos++;
        };
      case 'int':
      case 'long':
      case 'enum':
      case 'timestamp':
      case 'date':
      case 'time-millis':
      case 'time-micros':
        return skipVarint;
      case 'float':
        return (c) => {
          c.pos += 4;
        };
      case 'double':
        return (c) => {
          c.pos += 8;
        };
      case 'string':
      case 'bytes':
        return skipLengthPrefixed;
      case 'decimal': {
        const size = node.size;
        if (size === undefined) return skipLengthPrefixed;
        return (c) => {
          take(c, size);
        };
      }
      case 'fixed': {
        const size = node.size;
        return (c) => {
          take(c, size);
        };
      }
      case 'array':
        return itemsSkipper(this.of(node.items), minEncodedBytes(node.items));
      case 'map':
        return itemsSkipper(
          sequence([skipLengthPrefixed, this.of(node.values)]),
          1 + minEncodedBytes(node.values),
        );
      case 'union':
        return unionSkipper(node.branches.map((branch) => this.of(branch)));
      case 'record': {
        const known = this.#records.get(node);
        if (known !== undefined) return known;
        const slot = { skip: skipNothing };
        this.#records.set(node, (c) => slot.skip(c));
        const skip = sequence(node.fields.map((field) => this.of(field.type)));
        slot.skip = skip;
        this.#records.set(node, skip);
        return skip;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Defaults: a reader field's `default`, as the JSON the decoder would have made of it.

function countValues(value: JsonValue): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countValues(item), 1);
  if (value !== null && typeof value === 'object') {
    let sum = 1;
    for (const key of Object.keys(value)) sum += 1 + countValues(value[key] as JsonValue);
    return sum;
  }
  return 1;
}

function latin1(json: unknown, path: string, size?: number): Buffer {
  if (
    typeof json !== 'string' ||
    /[\u0100-\uffff]/.test(json) ||
    (size !== undefined && json.length !== size)
  ) {
    throw new AvroSchemaMismatch(path, 'its default is not valid for its type');
  }
  return Buffer.from(json, 'latin1');
}

function plainObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setField(record: Fields, key: string, value: JsonValue): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The JSON value a field's default stands for (per the specification's table of default values). */
function defaultValue(node: SchemaNode, json: unknown, path: string): JsonValue {
  const invalid = () => new AvroSchemaMismatch(path, 'its default is not valid for its type');
  switch (node.kind) {
    case 'null':
      if (json !== null) throw invalid();
      return null;
    case 'boolean':
      if (typeof json !== 'boolean') throw invalid();
      return json;
    case 'int':
    case 'long':
      if (typeof json !== 'number' || !Number.isInteger(json)) throw invalid();
      return json;
    case 'float':
      if (typeof json !== 'number') throw invalid();
      return Math.fround(json);
    case 'double':
      if (typeof json !== 'number') throw invalid();
      return json;
    case 'string':
      if (typeof json !== 'string') throw invalid();
      return json;
    case 'bytes':
      return latin1(json, path).toString('base64');
    case 'fixed':
      return latin1(json, path, node.size).toString('base64');
    case 'enum':
      if (typeof json !== 'string' || !node.symbols.includes(json)) throw invalid();
      return json;
    case 'timestamp':
      if (typeof json !== 'number' || !Number.isInteger(json)) throw invalid();
      return isoTimestamp(json, node.unitsPerMs, node.utc) ?? json;
    case 'date':
      if (typeof json !== 'number' || !Number.isInteger(json)) throw invalid();
      return isoDate(json);
    case 'time-millis':
      if (typeof json !== 'number' || !Number.isInteger(json)) throw invalid();
      return isoTimeMillis(json);
    case 'time-micros':
      if (typeof json !== 'number' || !Number.isInteger(json)) throw invalid();
      return isoTimeMicros(json) ?? json;
    case 'decimal': {
      const bytes = latin1(json, path, node.size);
      return bytes.length === 0 ? '0' : decimalString(bytes, 0, bytes.length, node.scale);
    }
    case 'array':
      if (!Array.isArray(json)) throw invalid();
      return json.map((item, i) => defaultValue(node.items, item, `${path}[${i}]`));
    case 'map': {
      if (!plainObject(json)) throw invalid();
      const map: Fields = {};
      for (const key of Object.keys(json)) setField(map, key, defaultValue(node.values, json[key], path));
      return map;
    }
    case 'union':
      // A union's default is a value of its first branch.
      return defaultValue(node.branches[0], json, path);
    case 'record': {
      if (!plainObject(json)) throw invalid();
      const record: Fields = {};
      for (const field of node.fields) {
        const at = join(path, field.name);
        if (Object.hasOwn(json, field.name))
          setField(record, field.name, defaultValue(field.type, json[field.name], at));
        else if (field.default !== undefined)
          setField(record, field.name, defaultValue(field.type, field.default.json, at));
        else throw invalid();
      }
      return record;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution.

function promoted(read: (c: Cursor) => number | bigint | string): Reader {
  return (c) => {
    const value = read(c);
    return typeof value === 'bigint' ? Number(value) : value;
  };
}

/** Reads a writer's long exactly and hands it on as a float or double (a number, like the JSON of any double). */
function readLongAsFloat(c: Cursor): number {
  return Number(readExactLong(c));
}

function readLongAsFloat32(c: Cursor): number {
  return Math.fround(Number(readExactLong(c)));
}

function readIntAsFloat32(c: Cursor): number {
  return Math.fround(readVarint(c));
}

/** The writer's bytes read as a string: invalid UTF-8 becomes U+FFFD, as in any string. */
const readBytesAsString: Reader = readString;

function readStringAsBytes(c: Cursor): string {
  return readBase64(c, readVarint(c));
}

/** Numeric promotions and string ↔ bytes: the reader for a writer primitive read as another, or undefined. */
function promotion(writer: SchemaNode['kind'], reader: SchemaNode['kind']): Reader | undefined {
  switch (`${writer}>${reader}`) {
    case 'int>long':
    case 'int>double':
      return readVarint;
    case 'int>float':
      return readIntAsFloat32;
    case 'long>float':
      return readLongAsFloat32;
    case 'long>double':
      return readLongAsFloat;
    case 'float>double':
      return promoted(readFloat);
    case 'string>bytes':
      return readStringAsBytes;
    case 'bytes>string':
      return readBytesAsString;
    default:
      return undefined;
  }
}

function arrayOf(items: Compiled): Compiled {
  const { read, weight } = items;
  return {
    weight: 1,
    read: (c) => {
      const array: JsonValue[] = [];
      for (let n = readItemCount(c, weight); n !== 0; n = readItemCount(c, weight)) {
        for (let i = 0; i < n; i++) array.push(read(c));
      }
      return array;
    },
  };
}

function mapOf(values: Compiled): Compiled {
  const { read } = values;
  const weight = values.weight + 1;
  return {
    weight: 1,
    read: (c) => {
      const map: Fields = {};
      for (let n = readItemCount(c, weight); n !== 0; n = readItemCount(c, weight)) {
        for (let i = 0; i < n; i++) {
          const key = readString(c);
          const value = read(c);
          if (key === '__proto__') setField(map, key, value);
          else map[key] = value;
        }
      }
      return map;
    },
  };
}

/** A writer union: each writer branch read as the reader (each must resolve). */
function writerUnion(branches: readonly Compiled[]): Compiled {
  const count = branches.length;
  const reads = branches.map((b) => b.read);
  const weights = branches.map((b) => b.weight);
  return {
    weight: 0,
    read: (c) => {
      const index = readVarint(c);
      if (index >= 0 && index < count) {
        charge(c, weights[index]);
        return reads[index](c);
      }
      throw new Error(`union branch ${index} does not exist`);
    },
  };
}

function enumResolved(writer: EnumNode, reader: EnumNode, path: string): Compiled {
  if (!namesMatch(writer.name, reader.name, reader.aliases)) {
    throw new AvroSchemaMismatch(
      path,
      `enum ${writer.name ?? ''} is not ${reader.name ?? 'the reader enum'}`,
    );
  }
  const symbols = writer.symbols.map((symbol) => {
    if (reader.symbols.includes(symbol)) return symbol;
    if (reader.default !== undefined) return reader.default;
    throw new AvroSchemaMismatch(
      path,
      `symbol ${symbol} is not a symbol of ${reader.name ?? 'the reader enum'}`,
    );
  });
  const count = symbols.length;
  return {
    weight: 1,
    read: (c) => {
      const index = readVarint(c);
      if (index >= 0 && index < count) return symbols[index];
      throw new Error(`invalid ${writer.name ?? 'anonymous'} enum index: ${index}`);
    },
  };
}

/** A reader field and where its value comes from. */
interface FieldPlan {
  readonly name: string;
  /** Index of the writer field it is read from, or -1 for its default. */
  readonly writer: number;
  readonly compiled: Compiled;
}

/** A reader that first skips `before`, reads with `read`, then skips `after`. */
function around(before: Skipper, read: Reader, after: Skipper): Reader {
  if (before === skipNothing && after === skipNothing) return read;
  if (after === skipNothing) {
    return (c) => {
      before(c);
      return read(c);
    };
  }
  if (before === skipNothing) {
    return (c) => {
      const value = read(c);
      after(c);
      return value;
    };
  }
  return (c) => {
    before(c);
    const value = read(c);
    after(c);
    return value;
  };
}

function constant(value: JsonValue): Reader {
  return () => value;
}

class Resolver {
  readonly #skippers = new Skippers();
  /** Whole-record resolutions by writer then reader record, so recursive schemas resolve to a cycle. */
  readonly #records = new Map<RecordNode, Map<RecordNode, Compiled>>();

  resolve(writer: SchemaNode, reader: SchemaNode, selection: Selection | undefined, path: string): Compiled {
    if (writer.kind === 'union') {
      return writerUnion(writer.branches.map((branch) => this.resolve(branch, reader, selection, path)));
    }
    if (reader.kind === 'union') {
      for (const branch of reader.branches) {
        try {
          return this.resolve(writer, branch, selection, path);
        } catch (error) {
          if (!(error instanceof AvroSchemaMismatch)) throw error;
        }
      }
      throw new AvroSchemaMismatch(path, `${describe(writer)} matches no branch of the reader's union`);
    }
    if (isLogical(writer) && !sameLogical(writer, reader))
      return this.resolve(underlying(writer), reader, selection, path);
    if (isLogical(reader)) {
      const plain = underlying(reader);
      const same =
        writer.kind === plain.kind &&
        (plain.kind !== 'fixed' || this.#fixedMatch(writer, plain as FixedNode));
      if (!sameLogical(writer, reader) && !same) throw mismatch(writer, reader, path);
      return { read: compileReader(reader).read, weight: 1 };
    }
    switch (reader.kind) {
      case 'null':
      case 'boolean':
      case 'int':
      case 'long':
      case 'float':
      case 'double':
      case 'bytes':
      case 'string': {
        if (writer.kind === reader.kind) return { read: compileReader(reader).read, weight: 1 };
        const read = promotion(writer.kind, reader.kind);
        if (read === undefined) throw mismatch(writer, reader, path);
        return { read, weight: 1 };
      }
      case 'fixed': {
        if (!this.#fixedMatch(writer, reader)) throw mismatch(writer, reader, path);
        const size = reader.size;
        return { read: (c) => readBase64(c, size), weight: 1 };
      }
      case 'enum':
        if (writer.kind !== 'enum') throw mismatch(writer, reader, path);
        return enumResolved(writer, reader, path);
      case 'array':
        if (writer.kind !== 'array') throw mismatch(writer, reader, path);
        return arrayOf(this.resolve(writer.items, reader.items, undefined, `${path}[]`));
      case 'map':
        if (writer.kind !== 'map') throw mismatch(writer, reader, path);
        return mapOf(this.resolve(writer.values, reader.values, undefined, `${path}{}`));
      case 'record':
        if (writer.kind !== 'record') throw mismatch(writer, reader, path);
        return this.#record(writer, reader, selection, path);
      default:
        throw mismatch(writer, reader, path);
    }
  }

  #fixedMatch(writer: SchemaNode, reader: FixedNode): boolean {
    return (
      writer.kind === 'fixed' &&
      writer.size === reader.size &&
      namesMatch(writer.name, reader.name, reader.aliases)
    );
  }

  #record(writer: RecordNode, reader: RecordNode, selection: Selection | undefined, path: string): Compiled {
    if (!namesMatch(writer.name, reader.name, reader.aliases)) {
      throw new AvroSchemaMismatch(
        path,
        `record ${writer.name ?? ''} is not ${reader.name ?? 'the reader record'}`,
      );
    }
    if (selection !== undefined) return this.#fields(writer, reader, selection, path);
    let byReader = this.#records.get(writer);
    if (byReader === undefined) {
      byReader = new Map();
      this.#records.set(writer, byReader);
    }
    const known = byReader.get(reader);
    if (known !== undefined) return known;
    const slot: Compiled = { read: () => null, weight: 1 };
    const pending: Compiled = { read: (c) => slot.read(c), weight: 1 };
    byReader.set(reader, pending);
    try {
      const done = this.#fields(writer, reader, undefined, path);
      slot.read = done.read;
      // A record met again inside itself is weighed as 1 there, as `staticValues` does.
      byReader.set(reader, done);
      return done;
    } catch (error) {
      byReader.delete(reader);
      throw error;
    }
  }

  #fields(writer: RecordNode, reader: RecordNode, selection: Selection | undefined, path: string): Compiled {
    const writerIndex = new Map<string, number>();
    for (const [i, field] of writer.fields.entries()) writerIndex.set(field.name, i);
    const used = new Set<number>();
    const plans: FieldPlan[] = [];
    for (const field of reader.fields) {
      const picked = selection === undefined ? true : selection.get(field.name);
      const index = this.#writerField(field, writerIndex, path);
      const at = join(path, field.name);
      if (index === -1) {
        if (field.default === undefined) {
          throw new AvroSchemaMismatch(at, 'the file does not have this field, and it has no default');
        }
        const value = defaultValue(field.type, field.default.json, at);
        if (picked !== undefined)
          plans.push({
            name: field.name,
            writer: -1,
            compiled: { read: constant(value), weight: countValues(value) },
          });
        continue;
      }
      if (used.has(index)) throw new AvroSchemaMismatch(at, 'two reader fields match one writer field');
      used.add(index);
      const sub = picked === true ? undefined : picked;
      // Fields not picked are still resolved, so that whether the schemas fit does not depend on the selection.
      const compiled = this.resolve(writer.fields[index].type, field.type, sub, at);
      if (picked !== undefined) plans.push({ name: field.name, writer: index, compiled });
    }
    return this.#assemble(writer, plans);
  }

  /** The writer field a reader field reads: by name, else by one of its aliases; -1 when none. */
  #writerField(field: FieldNode, writerIndex: ReadonlyMap<string, number>, path: string): number {
    const byName = writerIndex.get(field.name);
    if (byName !== undefined) return byName;
    const matches = (field.aliases ?? []).filter((alias) => writerIndex.has(alias));
    if (matches.length > 1)
      throw new AvroSchemaMismatch(join(path, field.name), 'its aliases match several fields');
    return matches.length === 1 ? (writerIndex.get(matches[0]) as number) : -1;
  }

  /** One reader for the record: the writer's fields walked in order, the picked ones read, the rest skipped. */
  #assemble(writer: RecordNode, plans: readonly FieldPlan[]): Compiled {
    const weight = plans.reduce((sum, plan) => sum + plan.compiled.weight, 1);
    const fromWriter = plans.filter((plan) => plan.writer >= 0);
    const writerOrder = [...fromWriter].sort((a, b) => a.writer - b.writer);
    const inOrder =
      fromWriter.every((plan, i) => plan === writerOrder[i]) &&
      plans.every((plan, i) => plan.writer >= 0 || plans.slice(i).every((later) => later.writer < 0));
    const skipBetween = (from: number, to: number): Skipper =>
      sequence(writer.fields.slice(from, to).map((field) => this.#skippers.of(field.type)));

    if (inOrder) {
      // Reader order is writer order (defaults last): the fields go straight into the record banks.
      const readers: Reader[] = [];
      let next = 0;
      fromWriter.forEach((plan, i) => {
        const before = skipBetween(next, plan.writer);
        next = plan.writer + 1;
        const after = i === fromWriter.length - 1 ? skipBetween(next, writer.fields.length) : skipNothing;
        readers.push(around(before, plan.compiled.read, after));
      });
      const defaults = plans.filter((plan) => plan.writer < 0);
      const names = plans.map((plan) => plan.name);
      for (const plan of defaults) readers.push(plan.compiled.read);
      if (fromWriter.length === 0) {
        const skipAll = skipBetween(0, writer.fields.length);
        const fill = recordReader(names, readers);
        return {
          weight,
          read: (c) => {
            skipAll(c);
            return fill(c);
          },
        };
      }
      return { weight, read: recordReader(names, readers) };
    }

    // Reader order differs from writer order: read in writer order, then lay out in reader order.
    const steps: Array<{ skip: Skipper; read: Reader; slot: number }> = [];
    let next = 0;
    for (const plan of writerOrder) {
      steps.push({
        skip: skipBetween(next, plan.writer),
        read: plan.compiled.read,
        slot: plans.indexOf(plan),
      });
      next = plan.writer + 1;
    }
    const tail = skipBetween(next, writer.fields.length);
    const names = plans.map((plan) => plan.name);
    const constants = plans.map((plan) => (plan.writer < 0 ? plan.compiled.read : undefined));
    return {
      weight,
      read: (c) => {
        const values: JsonValue[] = new Array(names.length);
        for (const step of steps) {
          step.skip(c);
          values[step.slot] = step.read(c);
        }
        tail(c);
        const record: Fields = {};
        for (let i = 0; i < names.length; i++) {
          const fill = constants[i];
          setField(record, names[i], fill === undefined ? values[i] : fill(c));
        }
        return record;
      },
    };
  }
}

function describe(node: SchemaNode): string {
  switch (node.kind) {
    case 'record':
    case 'enum':
    case 'fixed':
      return node.name === undefined ? node.kind : `${node.kind} ${node.name}`;
    case 'timestamp':
      return 'a timestamp';
    default:
      return node.kind;
  }
}

function mismatch(writer: SchemaNode, reader: SchemaNode, path: string): AvroSchemaMismatch {
  return new AvroSchemaMismatch(path, `the file's ${describe(writer)} cannot be read as ${describe(reader)}`);
}

/**
 * Compiles the reader of rows written with `writer` read as `reader`, making only the fields
 * `selection` picks (all when undefined). Throws {@link AvroSchemaMismatch} when the schemas do
 * not resolve, whatever the selection. The result is a {@link RowDecoder}: its rows are charged to
 * the meter like the writer's own decoder's (defaults included, so a writer's empty rows cannot
 * make a reader's wide defaults out of nothing).
 */
export function compileProjection(
  writer: SchemaNode,
  reader: SchemaNode,
  selection: Selection | undefined,
): RowDecoder {
  const compiled = new Resolver().resolve(writer, reader, selection, '');
  const { read, weight } = compiled;
  return {
    minRowBytes: minEncodedBytes(writer),
    rowValues: weight,
    decode(buf, pos, meter) {
      const c = cursorAt(buf, pos, meter);
      const start = c.budget;
      charge(c, weight);
      let value: JsonValue;
      try {
        value = read(c);
      } catch (error) {
        if (isStackOverflow(error)) throw new Error('a value nests too deeply', { cause: error });
        throw error;
      }
      settle(meter, start, c);
      return c.pos <= buf.length ? { value, offset: c.pos } : { value: null, offset: -1 };
    },
  };
}

/** The record a dot path may step into at `node`: the node itself, or the one record of a nullable union. */
function recordOf(node: SchemaNode): RecordNode | undefined {
  if (node.kind === 'record') return node;
  if (node.kind !== 'union') return undefined;
  const others = node.branches.filter((branch) => branch.kind !== 'null');
  return others.length === 1 && others[0].kind === 'record' ? others[0] : undefined;
}

/**
 * The type of the field a dot path (`["address", "city"]`) names in a record schema, stepping into
 * nested records and nullable ones; a message saying which part does not exist otherwise.
 */
export function fieldType(root: SchemaNode, path: readonly string[]): SchemaNode | string {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const record = recordOf(node);
    const name = path.slice(0, i).join('.');
    if (record === undefined) return `${name} is not a record, so ${path.join('.')} does not exist`;
    const field = record.fields.find((f) => f.name === path[i]);
    if (field === undefined) return `the table has no field ${path.slice(0, i + 1).join('.')}`;
    node = field.type;
  }
  return node;
}

/** Adds a dot path to a selection being built (a path inside a field already picked whole changes nothing). */
export function select(selection: Map<string, Selection | true>, path: readonly string[]): void {
  const [head, ...rest] = path;
  const current = selection.get(head);
  if (current === true) return;
  if (rest.length === 0) {
    selection.set(head, true);
    return;
  }
  const inner =
    current === undefined ? new Map<string, Selection | true>() : (current as Map<string, Selection | true>);
  selection.set(head, inner);
  select(inner, rest);
}

/** Selections merged: everything either picks. */
export function mergeSelections(a: Selection, b: Selection): Selection {
  const out = new Map<string, Selection | true>(a);
  for (const [name, picked] of b) {
    const mine = out.get(name);
    if (mine === undefined) out.set(name, picked);
    else if (mine === true || picked === true) out.set(name, true);
    else out.set(name, mergeSelections(mine, picked));
  }
  return out;
}
