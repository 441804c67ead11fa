/**
 * The `where=` expression language: a small SQL-like filter over a table's fields, parsed by hand,
 * checked against the table's schema and compiled once into a predicate over decoded rows.
 *
 * ```text
 * expr       := or
 * or         := and ("or" and)*
 * and        := unary ("and" unary)*
 * unary      := "not" unary | "(" expr ")" | test
 * test       := operand ( ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") operand
 *                       | ["not"] "in" "(" literal ("," literal)* ")"
 *                       | ["not"] "like" string
 *                       | "is" ["not"] "null" )
 * operand    := field | literal
 * field      := name ("." name)* | '"' any text, "" for a quote '"'
 * literal    := string | number | "true" | "false" | "null"
 * string     := "'" any text, '' for a quote "'"
 * ```
 *
 * Keywords are case-insensitive. A field is a dot path into nested records (`address.city`); in
 * double quotes it may be any text. Comparisons follow SQL's three-valued logic: a comparison with
 * a null value is unknown, `not` of unknown is unknown, and a row is kept only when the expression
 * is true (so `country != 'DE'` keeps no row whose country is null: add `or country is null`).
 * Numbers compare as numbers (longs beyond 2^53 exactly, decimals by their value), strings by code
 * unit (timestamps and dates are ISO-8601 strings, so `ts >= '2026-11-01'` works), booleans only
 * with `=` and `!=`. `like` matches a whole string, `%` standing for any run of characters (there
 * is no other wildcard and no escape). The schema decides what a field can be compared with: a
 * string field with a number, a record with anything but `is null`, or a name that is not a field
 * is refused before any row is read.
 *
 * Every mistake throws {@link AvroQueryError} with the position (0-based) it was found at; so do
 * expressions over the limits ({@link WHERE_LIMITS}), which keep a hostile one from costing more
 * than a small one.
 */

import { AvroError } from './errors.js';
import { fieldType, type Selection, select } from './projection.js';
import type { SchemaNode } from './schema.js';
import type { JsonValue } from './values.js';

/** Bounds on an expression: its text, its nesting, one literal, one `in` list, and its tests. */
export const WHERE_LIMITS = Object.freeze({
  length: 4096,
  depth: 32,
  literalChars: 1024,
  inItems: 1000,
  tests: 256,
});

/** A `where` expression that does not parse, does not fit the table's schema, or is over a limit (maps to `400`). */
export class AvroQueryError extends AvroError {
  override name = 'AvroQueryError';
  /** Where in the text the problem was found: the offset of its first character, from 0. */
  readonly position: number;
  /** The query parameter the text came from. */
  readonly parameter: 'where' | 'fields';

  constructor(message: string, position: number, parameter: 'where' | 'fields' = 'where') {
    super(`${message} (at offset ${position})`);
    this.position = position;
    this.parameter = parameter;
  }
}

type Literal = null | boolean | number | bigint | string;

type Token =
  | { kind: 'name'; text: string; at: number }
  | { kind: 'quoted'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'number'; value: number | bigint; at: number }
  | { kind: 'op'; text: string; at: number }
  | { kind: 'end'; at: number };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'like', 'true', 'false']);
const OPERATORS = ['<=', '>=', '!=', '<>', '=', '<', '>', '(', ')', ','];
const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const NUMBER = /-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SPACE = /\s*/y;

/** The text between quotes starting at `at`, a doubled quote standing for one. */
function quoted(text: string, at: number, quote: string): { value: string; end: number } {
  let value = '';
  let i = at + 1;
  for (;;) {
    const next = text.indexOf(quote, i);
    if (next === -1)
      throw new AvroQueryError(`unterminated ${quote === "'" ? 'string' : 'quoted field name'}`, at);
    value += text.slice(i, next);
    if (value.length > WHERE_LIMITS.literalChars) {
      throw new AvroQueryError(`a literal is longer than ${WHERE_LIMITS.literalChars} characters`, at);
    }
    if (text[next + 1] === quote) {
      value += quote;
      i = next + 2;
      continue;
    }
    return { value, end: next + 1 };
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const skipSpace = () => {
    SPACE.lastIndex = i;
    SPACE.exec(text);
    i = SPACE.lastIndex;
  };
  for (skipSpace(); i < text.length; skipSpace()) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const { value, end } = quoted(text, i, ch);
      tokens.push({ kind: ch === "'" ? 'string' : 'quoted', text: value, at: i });
      i = end;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = /[-\d]/.test(ch) ? NUMBER.exec(text) : null;
    if (number !== null) {
      const digits = number[0];
      if (digits.length > 40) throw new AvroQueryError('a number is longer than 40 characters', i);
      const exact = /^-?\d+$/.test(digits) && !Number.isSafeInteger(Number(digits));
      tokens.push({ kind: 'number', value: exact ? BigInt(digits) : Number(digits), at: i });
      i = NUMBER.lastIndex;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(text);
    if (name !== null) {
      tokens.push({ kind: 'name', text: name[0], at: i });
      i = NAME.lastIndex;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new AvroQueryError(`unexpected character ${JSON.stringify(ch)}`, i);
    tokens.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

type Operand =
  | { kind: 'field'; path: readonly string[]; at: number }
  | { kind: 'literal'; value: Literal; at: number };

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A parsed expression (before it is checked against a schema). */
export type WhereNode =
  | { kind: 'and' | 'or'; left: WhereNode; right: WhereNode }
  | { kind: 'not'; operand: WhereNode }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'in'; operand: Operand; items: readonly Literal[]; negated: boolean }
  | { kind: 'like'; operand: Operand; pattern: string; negated: boolean; at: number }
  | { kind: 'null'; operand: Operand; negated: boolean };

class Parser {
  readonly #tokens: Token[];
  #index = 0;
  #tests = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  get #peek(): Token {
    return this.#tokens[this.#index];
  }

  #atEnd(): boolean {
    return this.#peek.kind === 'end';
  }

  #keyword(word: string): boolean {
    const token = this.#peek;
    if (token.kind === 'name' && token.text.toLowerCase() === word) {
      this.#index++;
      return true;
    }
    return false;
  }

  #op(text: string): boolean {
    const token = this.#peek;
    if (token.kind === 'op' && token.text === text) {
      this.#index++;
      return true;
    }
    return false;
  }

  #expect(text: string): void {
    if (!this.#op(text)) throw new AvroQueryError(`expected "${text}"`, this.#peek.at);
  }

  parse(): WhereNode {
    if (this.#peek.kind === 'end') throw new AvroQueryError('the expression is empty', 0);
    const node = this.#or(0);
    if (!this.#atEnd()) throw new AvroQueryError('expected "and", "or" or the end', this.#peek.at);
    return node;
  }

  #or(depth: number): WhereNode {
    let left = this.#and(depth);
    while (this.#keyword('or')) left = { kind: 'or', left, right: this.#and(depth) };
    return left;
  }

  #and(depth: number): WhereNode {
    let left = this.#unary(depth);
    while (this.#keyword('and')) left = { kind: 'and', left, right: this.#unary(depth) };
    return left;
  }

  #unary(depth: number): WhereNode {
    if (depth >= WHERE_LIMITS.depth) {
      throw new AvroQueryError(
        `the expression nests more than ${WHERE_LIMITS.depth} levels deep`,
        this.#peek.at,
      );
    }
    if (this.#keyword('not')) return { kind: 'not', operand: this.#unary(depth + 1) };
    if (this.#op('(')) {
      const inner = this.#or(depth + 1);
      this.#expect(')');
      return inner;
    }
    return this.#test();
  }

  #test(): WhereNode {
    const start = this.#peek.at;
    if (++this.#tests > WHERE_LIMITS.tests) {
      throw new AvroQueryError(`the expression has more than ${WHERE_LIMITS.tests} tests`, start);
    }
    const operand = this.#operand();
    const token = this.#peek;
    if (token.kind === 'op' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(token.text)) {
      this.#index++;
      const op = (token.text === '<>' ? '!=' : token.text) as CompareOp;
      return { kind: 'compare', op, left: operand, right: this.#operand() };
    }
    if (this.#keyword('is')) {
      const negated = this.#keyword('not');
      if (!this.#keyword('null')) throw new AvroQueryError('expected "null"', this.#peek.at);
      return { kind: 'null', operand, negated };
    }
    const negated = this.#keyword('not');
    if (this.#keyword('in')) {
      this.#expect('(');
      const items: Literal[] = [];
      do {
        if (items.length === WHERE_LIMITS.inItems) {
          throw new AvroQueryError(`an "in" list has more than ${WHERE_LIMITS.inItems} items`, this.#peek.at);
        }
        const item = this.#operand();
        if (item.kind !== 'literal') throw new AvroQueryError('an "in" list holds literals only', item.at);
        items.push(item.value);
      } while (this.#op(','));
      this.#expect(')');
      return { kind: 'in', operand, items, negated };
    }
    if (this.#keyword('like')) {
      const pattern = this.#peek;
      if (pattern.kind !== 'string')
        throw new AvroQueryError('"like" takes a string in single quotes', pattern.at);
      this.#index++;
      return { kind: 'like', operand, pattern: pattern.text, negated, at: pattern.at };
    }
    throw new AvroQueryError(
      negated ? 'expected "in" or "like"' : 'expected a comparison, "in", "like" or "is"',
      this.#peek.at,
    );
  }

  #operand(): Operand {
    const token = this.#peek;
    this.#index++;
    switch (token.kind) {
      case 'string':
        return { kind: 'literal', value: token.text, at: token.at };
      case 'number':
        return { kind: 'literal', value: token.value, at: token.at };
      case 'quoted':
        if (token.text === '') throw new AvroQueryError('a field name is empty', token.at);
        return { kind: 'field', path: token.text.split('.'), at: token.at };
      case 'name': {
        const word = token.text.toLowerCase();
        if (word === 'true' || word === 'false')
          return { kind: 'literal', value: word === 'true', at: token.at };
        if (word === 'null') return { kind: 'literal', value: null, at: token.at };
        if (KEYWORDS.has(word)) {
          throw new AvroQueryError(
            `"${token.text}" is a keyword: quote a field of that name ("${token.text}")`,
            token.at,
          );
        }
        return { kind: 'field', path: token.text.split('.'), at: token.at };
      }
      default:
        this.#index--;
        throw new AvroQueryError('expected a field or a literal', token.at);
    }
  }
}

/** Parses an expression without a schema (its grammar and limits only). */
export function parseWhere(text: string): WhereNode {
  if (text.length > WHERE_LIMITS.length) {
    throw new AvroQueryError(
      `the expression is longer than ${WHERE_LIMITS.length} characters`,
      WHERE_LIMITS.length,
    );
  }
  return new Parser(tokenize(text)).parse();
}

// ---------------------------------------------------------------------------------------------
// Checking against the schema, and compiling.

/** What a field's values can be compared as. */
type Family = 'number' | 'string' | 'boolean';

/** The families a field's type can take, and how its JSON values become comparable ones. */
interface FieldKind {
  families: ReadonlySet<Family>;
  /** Whether it is a record, array or map (only `is null` applies). */
  composite: boolean;
  /** Turns a JSON value into what comparisons use (exact longs, numbers of float strings). */
  coerce: (value: JsonValue) => JsonValue | bigint;
}

function familiesOf(node: SchemaNode, out: Set<Family>, numericStrings: Set<string>): boolean {
  switch (node.kind) {
    case 'null':
      return false;
    case 'boolean':
      out.add('boolean');
      return false;
    case 'int':
      out.add('number');
      return false;
    case 'long':
    case 'float':
    case 'double':
    case 'decimal':
      out.add('number');
      numericStrings.add(node.kind);
      return false;
    case 'string':
    case 'bytes':
    case 'fixed':
    case 'enum':
    case 'timestamp':
    case 'date':
    case 'time-millis':
    case 'time-micros':
      out.add('string');
      return false;
    case 'union': {
      let composite = false;
      for (const branch of node.branches) composite = familiesOf(branch, out, numericStrings) || composite;
      return composite;
    }
    default:
      return true;
  }
}

const identity = (value: JsonValue): JsonValue => value;

function kindOf(node: SchemaNode): FieldKind {
  const families = new Set<Family>();
  const numericStrings = new Set<string>();
  const composite = familiesOf(node, families, numericStrings);
  // A string value of a numeric field is a long beyond 2^53, a decimal, or a float's NaN or
  // infinity; in a union that also holds strings it could be a string, and is left alone.
  if (numericStrings.size === 0 || families.has('string')) return { families, composite, coerce: identity };
  const exact = numericStrings.has('long') && !numericStrings.has('decimal');
  return {
    families,
    composite,
    coerce: (value) => {
      if (typeof value !== 'string') return value;
      if (exact && /^-?\d+$/.test(value)) return BigInt(value);
      return Number(value);
    },
  };
}

function literalFamily(value: Literal): Family | undefined {
  if (value === null) return undefined;
  if (typeof value === 'bigint') return 'number';
  return typeof value as Family;
}

/** A compiled operand: reads the value of a row. */
type Value = (row: JsonValue) => JsonValue | bigint;
/** Three-valued: true, false or unknown (null). */
type Truth = boolean | null;
type Test = (row: JsonValue) => Truth;

function reader(path: readonly string[]): (row: JsonValue) => JsonValue {
  if (path.length === 1) {
    const [name] = path;
    return (row) =>
      row !== null && typeof row === 'object' && !Array.isArray(row) ? (row[name] ?? null) : null;
  }
  return (row) => {
    let value: JsonValue = row;
    for (const name of path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
      value = value[name] ?? null;
    }
    return value;
  };
}

/** Compares two comparable values: negative, zero, positive, or undefined when they cannot be compared. */
function compare(a: JsonValue | bigint, b: JsonValue | bigint): number | undefined {
  const ta = typeof a === 'bigint' ? 'number' : typeof a;
  const tb = typeof b === 'bigint' ? 'number' : typeof b;
  if (ta !== tb || a === null || b === null) return undefined;
  if (ta === 'number') {
    const x = a as number | bigint;
    const y = b as number | bigint;
    if (x < y) return -1;
    if (x > y) return 1;
    // biome-ignore lint/suspicious/noDoubleEquals: a bigint equals a number only by loose equality
    return x == y ? 0 : undefined; // NaN
  }
  if (ta === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (ta === 'boolean') return a === b ? 0 : Number(a) - Number(b);
  return undefined;
}

/** `like`: the pattern split at `%`, each part found in order, without backtracking (linear in the value). */
export function likeMatcher(pattern: string): (value: string) => boolean {
  const parts = pattern.split('%');
  if (parts.length === 1) return (value) => value === pattern;
  const first = parts[0];
  const last = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  return (value) => {
    if (value.length < first.length + last.length) return false;
    if (!value.startsWith(first) || !value.endsWith(last)) return false;
    let at = first.length;
    const end = value.length - last.length;
    for (const part of middle) {
      const found = value.indexOf(part, at);
      if (found === -1 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

class Checker {
  readonly #schema: SchemaNode;
  readonly fields = new Map<string, Selection | true>();

  constructor(schema: SchemaNode) {
    this.#schema = schema;
  }

  #field(operand: Operand & { kind: 'field' }): FieldKind {
    if (operand.path.some((part) => part === '')) {
      throw new AvroQueryError(`${JSON.stringify(operand.path.join('.'))} is not a field path`, operand.at);
    }
    const type = fieldType(this.#schema, operand.path);
    if (typeof type === 'string') throw new AvroQueryError(type, operand.at);
    select(this.fields, operand.path);
    return kindOf(type);
  }

  /** An operand compiled for comparisons, with the families its values can take. */
  #value(operand: Operand): { read: Value; families: ReadonlySet<Family>; at: number; literal?: Literal } {
    if (operand.kind === 'literal') {
      const value = operand.value;
      const family = literalFamily(value);
      if (family === undefined)
        throw new AvroQueryError('compare with null using "is null" or "is not null"', operand.at);
      return { read: () => value, families: new Set([family]), at: operand.at, literal: value };
    }
    const kind = this.#field(operand);
    const name = operand.path.join('.');
    if (kind.composite) {
      throw new AvroQueryError(`${name} is a record, array or map: only "is null" applies to it`, operand.at);
    }
    const get = reader(operand.path);
    const { coerce } = kind;
    return { read: (row) => coerce(get(row)), families: kind.families, at: operand.at };
  }

  compile(node: WhereNode): Test {
    switch (node.kind) {
      case 'and': {
        const left = this.compile(node.left);
        const right = this.compile(node.right);
        return (row) => {
          const a = left(row);
          if (a === false) return false;
          const b = right(row);
          if (b === false) return false;
          return a === null || b === null ? null : true;
        };
      }
      case 'or': {
        const left = this.compile(node.left);
        const right = this.compile(node.right);
        return (row) => {
          const a = left(row);
          if (a === true) return true;
          const b = right(row);
          if (b === true) return true;
          return a === null || b === null ? null : false;
        };
      }
      case 'not': {
        const operand = this.compile(node.operand);
        return (row) => {
          const a = operand(row);
          return a === null ? null : !a;
        };
      }
      case 'null': {
        const negated = node.negated;
        const operand = node.operand;
        if (operand.kind === 'literal') return () => (operand.value === null) !== negated;
        this.#field(operand);
        const get = reader(operand.path);
        return (row) => (get(row) === null) !== negated;
      }
      case 'compare':
        return this.#compare(node.op, this.#value(node.left), this.#value(node.right));
      case 'in': {
        const operand = this.#value(node.operand);
        const items = node.items.map((item) => {
          const value = this.#value({ kind: 'literal', value: item, at: operand.at });
          this.#comparable(operand, value, 'in');
          return item;
        });
        const negated = node.negated;
        const read = operand.read;
        return (row) => {
          const value = read(row);
          if (value === null) return null;
          let unknown = false;
          for (const item of items) {
            const order = compare(value, item);
            if (order === 0) return !negated;
            if (order === undefined) unknown = true;
          }
          return unknown ? null : negated;
        };
      }
      case 'like': {
        const operand = this.#value(node.operand);
        if (!operand.families.has('string')) {
          throw new AvroQueryError('"like" applies to strings only', operand.at);
        }
        const matches = likeMatcher(node.pattern);
        const negated = node.negated;
        const read = operand.read;
        return (row) => {
          const value = read(row);
          if (typeof value !== 'string') return null;
          return matches(value) !== negated;
        };
      }
    }
  }

  #comparable(
    left: { families: ReadonlySet<Family>; at: number },
    right: { families: ReadonlySet<Family>; at: number },
    op: string,
  ): void {
    const shared = [...left.families].filter((family) => right.families.has(family));
    if (shared.length === 0) {
      const show = (families: ReadonlySet<Family>) => [...families].join(' or ') || 'null';
      throw new AvroQueryError(
        `cannot compare ${show(left.families)} with ${show(right.families)}`,
        right.at,
      );
    }
    if (op !== '=' && op !== '!=' && op !== 'in' && shared.length === 1 && shared[0] === 'boolean') {
      throw new AvroQueryError(`booleans compare with "=" and "!=" only`, right.at);
    }
  }

  #compare(
    op: CompareOp,
    left: { read: Value; families: ReadonlySet<Family>; at: number },
    right: { read: Value; families: ReadonlySet<Family>; at: number },
  ): Test {
    this.#comparable(left, right, op);
    const a = left.read;
    const b = right.read;
    const holds: (order: number) => boolean = {
      '=': (order: number) => order === 0,
      '!=': (order: number) => order !== 0,
      '<': (order: number) => order < 0,
      '<=': (order: number) => order <= 0,
      '>': (order: number) => order > 0,
      '>=': (order: number) => order >= 0,
    }[op];
    return (row) => {
      const order = compare(a(row), b(row));
      return order === undefined ? null : holds(order);
    };
  }
}

/** A compiled `where`: the predicate and the fields it reads (to decode even when they are not selected). */
export interface RowFilter {
  /** True when the row is kept (the expression is true, not false or unknown). */
  readonly keep: (row: JsonValue) => boolean;
  readonly fields: Selection;
}

/**
 * Parses and checks `text` against the table's (reader) schema and compiles it once into a
 * predicate over rows decoded with at least {@link RowFilter.fields}. Throws {@link AvroQueryError}
 * pointing at the first problem.
 */
export function compileWhere(text: string, schema: SchemaNode): RowFilter {
  const tree = parseWhere(text);
  const checker = new Checker(schema);
  const test = checker.compile(tree);
  return { keep: (row) => test(row) === true, fields: checker.fields };
}
