/**
 * Parses and checks a writer schema (https://avro.apache.org/docs/1.12.0/specification/#schema-declaration)
 * into a graph of {@link SchemaNode}s: one node per type, named types shared, so a recursive schema
 * becomes a cycle. The schema comes from an uploaded file: it is only read as data (no code is
 * generated from it), names live in a `Map`, and nesting deeper than {@link MAX_SCHEMA_DEPTH} is
 * refused before it can exhaust the stack.
 */

/** Nesting levels a schema may have (a record's field, an array's items, a union's branch: one level each). */
export const MAX_SCHEMA_DEPTH = 256;
/** Most record fields a schema may declare, all records together (a row of 400,000 nulls is a bomb, not data). */
export const MAX_SCHEMA_FIELDS = 10_000;
/** Longest unscaled decimal accepted (≈1230 digits): bounds the cost of turning it into digits. */
export const MAX_DECIMAL_BYTES = 512;

export type PrimitiveKind = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface PrimitiveNode {
  readonly kind: PrimitiveKind;
}

/** `timestamp-*` and `local-timestamp-*` on a long: a count of `unitsPerMs`-sized units since the epoch. */
export interface TimestampNode {
  readonly kind: 'timestamp';
  readonly unitsPerMs: number;
  readonly utc: boolean;
}

/** `date` and `time-millis` on an int, `time-micros` on a long. */
export interface TimeNode {
  readonly kind: 'date' | 'time-millis' | 'time-micros';
}

/** `decimal` on bytes (`size` undefined) or on a fixed (named, `size` bytes). */
export interface DecimalNode {
  readonly kind: 'decimal';
  readonly scale: number;
  readonly name: string | undefined;
  readonly size: number | undefined;
}

export interface FixedNode {
  readonly kind: 'fixed';
  readonly name: string | undefined;
  readonly size: number;
  /** Other fullnames the type answers to when a writer schema is resolved against it. */
  readonly aliases?: readonly string[];
}

export interface EnumNode {
  readonly kind: 'enum';
  readonly name: string | undefined;
  readonly symbols: readonly string[];
  readonly aliases?: readonly string[];
  /** The symbol a reader uses for a writer's symbol it does not know. */
  readonly default?: string;
}

export interface ArrayNode {
  readonly kind: 'array';
  readonly items: SchemaNode;
}

export interface MapNode {
  readonly kind: 'map';
  readonly values: SchemaNode;
}

export interface UnionNode {
  readonly kind: 'union';
  readonly branches: readonly SchemaNode[];
}

export interface FieldNode {
  readonly name: string;
  readonly type: SchemaNode;
  /** Other names the field answers to when a writer schema is resolved against it. */
  readonly aliases?: readonly string[];
  /** The field's `default` as the schema wrote it (JSON), when it has one. */
  readonly default?: { readonly json: unknown };
}

export interface RecordNode {
  readonly kind: 'record';
  /** `record` or `error` (they only differ in how an anonymous one is named in a union). */
  readonly type: 'record' | 'error';
  readonly name: string | undefined;
  readonly aliases?: readonly string[];
  /** Filled once the fields are parsed; the node is registered first so that they can refer to it. */
  readonly fields: FieldNode[];
  /** Whether a value of this record can contain another one through a reference back to it. */
  recursive: boolean;
}

export type SchemaNode =
  | PrimitiveNode
  | TimestampNode
  | TimeNode
  | DecimalNode
  | FixedNode
  | EnumNode
  | ArrayNode
  | MapNode
  | UnionNode
  | RecordNode;

type NamedNode = RecordNode | EnumNode | FixedNode | DecimalNode;
type SchemaObject = { readonly [key: string]: unknown };

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PRIMITIVES = new Map<string, PrimitiveNode>(
  (['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'] as const).map((kind) => [
    kind,
    Object.freeze({ kind }),
  ]),
);
const ORDERS = new Set(['ascending', 'descending', 'ignore']);

const TIMESTAMPS = new Map<string, TimestampNode>(
  (
    [
      ['timestamp-millis', 1, true],
      ['timestamp-micros', 1000, true],
      ['timestamp-nanos', 1_000_000, true],
      ['local-timestamp-millis', 1, false],
      ['local-timestamp-micros', 1000, false],
      ['local-timestamp-nanos', 1_000_000, false],
    ] as const
  ).map(([name, unitsPerMs, utc]) => [name, Object.freeze({ kind: 'timestamp', unitsPerMs, utc })]),
);
const DATE: TimeNode = Object.freeze({ kind: 'date' });
const TIME_MILLIS: TimeNode = Object.freeze({ kind: 'time-millis' });
const TIME_MICROS: TimeNode = Object.freeze({ kind: 'time-micros' });

/** A short description of a schema fragment for an error message. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(schema: SchemaObject, key: string): unknown {
  return Object.hasOwn(schema, key) ? schema[key] : undefined;
}

/** The last part of a dotted name. */
function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * The fullname of `name` in `namespace`: a dotted name carries its own namespace (a leading dot
 * means the null namespace), a simple one takes `namespace`. Every part must be a valid name.
 */
function qualify(name: string, namespace: string): string {
  let full: string;
  if (name.includes('.')) full = name.startsWith('.') ? name.slice(1) : name;
  else full = namespace === '' ? name : `${namespace}.${name}`;
  for (const part of full.split('.')) {
    if (!NAME_PATTERN.test(part)) throw new Error(`invalid name: ${show(full)}`);
  }
  return full;
}

/** The namespace a named type's `namespace` attribute sets, or undefined when it has none. */
function namespaceAttribute(schema: SchemaObject): string | undefined {
  const namespace = own(schema, 'namespace');
  if (namespace === undefined || namespace === null) return undefined;
  if (typeof namespace !== 'string') throw new Error(`invalid namespace: ${show(namespace)}`);
  return namespace;
}

/** The branch name a union tells its branches apart by: a named type's fullname, else its type. */
function branchName(node: SchemaNode): string {
  switch (node.kind) {
    case 'record':
      return node.name ?? node.type;
    case 'enum':
    case 'fixed':
      return node.name ?? node.kind;
    case 'decimal':
      return node.size === undefined ? 'bytes' : (node.name ?? 'fixed');
    case 'timestamp':
    case 'time-micros':
      return 'long';
    case 'date':
    case 'time-millis':
      return 'int';
    default:
      return node.kind;
  }
}

class Parser {
  /** Named types by fullname. */
  readonly #names = new Map<string, NamedNode>();
  /** Records whose fields are being parsed: a reference to one of them closes a cycle. */
  readonly #open = new Set<RecordNode>();
  /** How deep a value of each record parsed so far nests below it (not counting cycles). */
  readonly #heights = new Map<SchemaNode, number>();
  /** The deepest level reached so far, references followed. */
  #deepest = 0;
  /** Record fields declared so far, all records together. */
  #fields = 0;

  /**
   * Parses the schema at `depth` levels below the root. A reference to a named type counts as
   * deep as the type's own definition, so that a chain of references cannot nest deeper than
   * {@link MAX_SCHEMA_DEPTH} either.
   */
  parse(schema: unknown, namespace: string, depth: number): SchemaNode {
    this.#reach(depth);
    if (typeof schema === 'string') {
      const node = this.#reference(schema, namespace);
      const height = this.#heights.get(node);
      if (height !== undefined) this.#reach(depth + height);
      return node;
    }
    if (Array.isArray(schema)) return this.#union(schema, namespace, depth);
    if (schema === null) throw new Error('invalid type: null (did you mean "null"?)');
    if (!isSchemaObject(schema)) throw new Error(`invalid type: ${show(schema)}`);

    const type = own(schema, 'type');
    const logical = this.#logical(schema, type, namespace);
    if (logical !== undefined) return logical;
    switch (type) {
      case 'null':
      case 'boolean':
      case 'int':
      case 'long':
      case 'float':
      case 'double':
      case 'bytes':
      case 'string':
        return PRIMITIVES.get(type) as PrimitiveNode;
      case 'record':
      case 'error':
        return this.#record(schema, type, namespace, depth);
      case 'enum':
        return this.#enum(schema, namespace);
      case 'fixed':
        return this.#register<FixedNode>({ kind: 'fixed', ...this.#fixedParts(schema, namespace) });
      case 'array': {
        const items = own(schema, 'items');
        if (items === undefined) throw new Error('an array has no items');
        return { kind: 'array', items: this.parse(items, namespace, depth + 1) };
      }
      case 'map': {
        const values = own(schema, 'values');
        if (values === undefined) throw new Error('a map has no values');
        return { kind: 'map', values: this.parse(values, namespace, depth + 1) };
      }
      default:
        throw new Error(`unknown type: ${show(type)}`);
    }
  }

  #reach(depth: number): void {
    if (depth > MAX_SCHEMA_DEPTH)
      throw new Error(`the schema nests more than ${MAX_SCHEMA_DEPTH} levels deep`);
    if (depth > this.#deepest) this.#deepest = depth;
  }

  /** A type name: a primitive (whatever namespace it is qualified with) or a named type defined before. */
  #reference(name: string, namespace: string): SchemaNode {
    const primitive = PRIMITIVES.get(unqualified(name));
    if (primitive !== undefined) return primitive;
    const full = qualify(name, namespace);
    // A simple name not found in the enclosing namespace is looked up in the null namespace, as
    // Java's parser does (it writes references to null-namespace types that way).
    const node = this.#names.get(full) ?? (name.includes('.') ? undefined : this.#names.get(name));
    if (node === undefined) throw new Error(`undefined type name: ${show(full)}`);
    if (node.kind === 'record' && this.#open.has(node)) node.recursive = true;
    return node;
  }

  #union(schema: readonly unknown[], namespace: string, depth: number): UnionNode {
    if (schema.length === 0) throw new Error('empty union');
    const seen = new Set<string>();
    const branches = schema.map((branch) => {
      const node = this.parse(branch, namespace, depth + 1);
      if (node.kind === 'union') throw new Error('unions cannot be directly nested');
      const name = branchName(node);
      if (seen.has(name)) throw new Error(`duplicate union branch name: ${show(name)}`);
      seen.add(name);
      return node;
    });
    return { kind: 'union', branches };
  }

  /** The fullname a named type's schema declares (undefined for an anonymous one), checked. */
  #name(schema: SchemaObject, namespace: string): string | undefined {
    const name = own(schema, 'name');
    const aliases = own(schema, 'aliases');
    if (aliases !== undefined && aliases !== null) {
      if (!Array.isArray(aliases)) throw new Error(`invalid aliases: ${show(aliases)}`);
      for (const alias of aliases) {
        if (typeof alias !== 'string') throw new Error(`invalid alias: ${show(alias)}`);
        if (!PRIMITIVES.has(unqualified(alias))) qualify(alias, namespace);
      }
    }
    if (name === undefined) return undefined;
    if (typeof name !== 'string') throw new Error(`invalid name: ${show(name)}`);
    if (PRIMITIVES.has(unqualified(name))) throw new Error(`cannot rename primitive type: ${show(name)}`);
    return qualify(name, namespace);
  }

  /** The fullnames of a named type's `aliases` (checked by {@link Parser.#name}). */
  #aliases(schema: SchemaObject, namespace: string): string[] | undefined {
    const aliases = own(schema, 'aliases');
    if (!Array.isArray(aliases) || aliases.length === 0) return undefined;
    return aliases.map((alias) => qualify(alias as string, namespace));
  }

  #register<T extends NamedNode>(node: T): T {
    if (node.name === undefined) return node;
    if (this.#names.has(node.name)) throw new Error(`duplicate type name: ${show(node.name)}`);
    this.#names.set(node.name, node);
    return node;
  }

  #fixedParts(
    schema: SchemaObject,
    namespace: string,
  ): { name: string | undefined; size: number; aliases?: string[] } {
    const space = namespaceAttribute(schema) ?? namespace;
    const name = this.#name(schema, space);
    const size = own(schema, 'size');
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 0x7fffffff) {
      throw new Error(`invalid ${name ?? 'fixed'} size: ${show(size)}`);
    }
    const aliases = this.#aliases(schema, space);
    return aliases === undefined ? { name, size } : { name, size, aliases };
  }

  #enum(schema: SchemaObject, namespace: string): EnumNode {
    const space = namespaceAttribute(schema) ?? namespace;
    const name = this.#name(schema, space);
    const label = name ?? 'enum';
    const symbols = own(schema, 'symbols');
    if (!Array.isArray(symbols)) throw new Error(`invalid ${label} symbols: ${show(symbols)}`);
    if (symbols.length === 0) throw new Error(`${label} has no symbols`);
    const seen = new Set<string>();
    for (const symbol of symbols) {
      if (typeof symbol !== 'string' || !NAME_PATTERN.test(symbol)) {
        throw new Error(`invalid ${label} symbol: ${show(symbol)}`);
      }
      if (seen.has(symbol)) throw new Error(`duplicate ${label} symbol: ${show(symbol)}`);
      seen.add(symbol);
    }
    const fallback = own(schema, 'default');
    if (fallback !== undefined && (typeof fallback !== 'string' || !seen.has(fallback))) {
      throw new Error(`invalid ${label} default: ${show(fallback)}`);
    }
    const aliases = this.#aliases(schema, space);
    return this.#register<EnumNode>({
      kind: 'enum',
      name,
      symbols: [...(symbols as string[])],
      ...(aliases === undefined ? {} : { aliases }),
      ...(fallback === undefined ? {} : { default: fallback as string }),
    });
  }

  #record(schema: SchemaObject, type: 'record' | 'error', outer: string, depth: number): RecordNode {
    // Names inside the record are resolved in its namespace: the one of its fullname (so a dotted
    // name's own namespace wins over a `namespace` attribute), or, for an anonymous record, the attribute.
    const attribute = namespaceAttribute(schema);
    const name = this.#name(schema, attribute ?? outer);
    const namespace =
      name === undefined ? (attribute ?? outer) : name.slice(0, Math.max(0, name.lastIndexOf('.')));
    const fields = own(schema, 'fields');
    if (!Array.isArray(fields)) throw new Error(`${name ?? `anonymous ${type}`} has no fields array`);
    this.#fields += fields.length;
    if (this.#fields > MAX_SCHEMA_FIELDS) {
      throw new Error(`the schema declares more than ${MAX_SCHEMA_FIELDS} record fields`);
    }
    const aliases = this.#aliases(schema, namespace);
    const node = this.#register<RecordNode>({
      kind: 'record',
      type,
      name,
      ...(aliases === undefined ? {} : { aliases }),
      fields: [],
      recursive: false,
    });
    const seen = new Set<string>();
    for (const field of fields) {
      if (!isSchemaObject(field)) throw new Error(`invalid field: ${show(field)}`);
      const fieldName = own(field, 'name');
      if (typeof fieldName !== 'string' || !NAME_PATTERN.test(fieldName)) {
        throw new Error(`invalid field name: ${show(fieldName)}`);
      }
      if (seen.has(fieldName)) throw new Error(`duplicate field name: ${show(fieldName)}`);
      seen.add(fieldName);
      const order = own(field, 'order');
      if (order !== undefined && (typeof order !== 'string' || !ORDERS.has(order))) {
        throw new Error(`invalid order: ${show(order)}`);
      }
      if (!Object.hasOwn(field, 'type')) throw new Error(`field ${show(fieldName)} has no type`);
      const aliases = own(field, 'aliases');
      if (aliases !== undefined && aliases !== null) {
        if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string' && NAME_PATTERN.test(a))) {
          throw new Error(`invalid aliases of field ${show(fieldName)}`);
        }
      }
    }
    this.#open.add(node);
    const deepestOutside = this.#deepest;
    this.#deepest = depth;
    for (const field of fields as SchemaObject[]) {
      const aliases = own(field, 'aliases');
      node.fields.push({
        name: field.name as string,
        type: this.parse(field.type, namespace, depth + 1),
        ...(Array.isArray(aliases) && aliases.length > 0 ? { aliases: aliases as string[] } : {}),
        ...(Object.hasOwn(field, 'default') ? { default: { json: field.default } } : {}),
      });
    }
    this.#heights.set(node, this.#deepest - depth);
    this.#deepest = Math.max(deepestOutside, this.#deepest);
    this.#open.delete(node);
    return node;
  }

  /**
   * The logical type this module converts, or undefined where the specification says to fall back
   * to the underlying type (an unknown logical type, or an invalid annotation).
   */
  #logical(schema: SchemaObject, type: unknown, namespace: string): SchemaNode | undefined {
    const logicalType = own(schema, 'logicalType');
    if (typeof logicalType !== 'string') return undefined;
    if (type === 'long') {
      if (logicalType === 'time-micros') return TIME_MICROS;
      return TIMESTAMPS.get(logicalType);
    }
    if (type === 'int') {
      if (logicalType === 'date') return DATE;
      if (logicalType === 'time-millis') return TIME_MILLIS;
      return undefined;
    }
    if (logicalType !== 'decimal' || (type !== 'bytes' && type !== 'fixed')) return undefined;
    const precision = own(schema, 'precision');
    const declaredScale = own(schema, 'scale');
    const scale = declaredScale === undefined ? 0 : declaredScale;
    const valid =
      typeof precision === 'number' &&
      Number.isInteger(precision) &&
      precision > 0 &&
      typeof scale === 'number' &&
      Number.isInteger(scale) &&
      scale >= 0 &&
      scale <= precision;
    if (!valid) return undefined;
    if (type === 'bytes') return { kind: 'decimal', scale, name: undefined, size: undefined };
    const size = own(schema, 'size');
    if (typeof size !== 'number' || size > MAX_DECIMAL_BYTES) return undefined;
    const parts = this.#fixedParts(schema, namespace);
    return this.#register<DecimalNode>({ kind: 'decimal', scale, name: parts.name, size: parts.size });
  }
}

/** Parses a writer schema, throwing an `Error` that says what is wrong when it is not a valid one. */
export function parseSchema(schema: unknown): SchemaNode {
  return new Parser().parse(schema, '', 0);
}

/** The fewest bytes a value of `node` takes, memoized per node (a record met again inside itself counts 0). */
export function minEncodedBytes(node: SchemaNode, memo = new Map<SchemaNode, number>()): number {
  switch (node.kind) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return node.size;
    case 'decimal':
      return node.size ?? 1;
    case 'record': {
      const known = memo.get(node);
      if (known !== undefined) return known;
      memo.set(node, 0);
      let sum = 0;
      for (const field of node.fields) sum += minEncodedBytes(field.type, memo);
      memo.set(node, sum);
      return sum;
    }
    default:
      return 1;
  }
}

/**
 * The JSON values one value of `node` makes without counting what its unions, arrays and maps
 * choose or hold (those are weighed as they are read): one for a primitive, the fields' weights
 * plus one for a record. Decoding charges these weights against a budget that grows with the
 * block's bytes, so a schema cannot make output out of nothing (zero-width rows, wide records of
 * nulls).
 */
export function staticValues(node: SchemaNode, memo = new Map<SchemaNode, number>()): number {
  if (node.kind === 'record') {
    const known = memo.get(node);
    if (known !== undefined) return known;
    memo.set(node, 1); // a record that contains itself does so through a union or an array
    let sum = 1;
    for (const field of node.fields) sum += staticValues(field.type, memo);
    memo.set(node, sum);
    return sum;
  }
  return 1;
}
