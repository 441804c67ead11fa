import fc from 'fast-check';

/**
 * An oracle for `where=`: expressions generated as trees, printed as text (with random spacing,
 * keyword case, quoting and parentheses), and evaluated here from the documented rules, apart
 * from the parser and compiler under test.
 */

export type Family = 'string' | 'number' | 'boolean';
export type Lit = string | number | bigint | boolean;

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; inner: Expr }
  | { kind: 'cmp'; field: string; op: string; value: Lit; flipped: boolean }
  | { kind: 'in'; field: string; items: Lit[]; negated: boolean }
  | { kind: 'like'; field: string; pattern: string; negated: boolean }
  | { kind: 'null'; field: string; negated: boolean };

/** A field the generator may use, with the family its values take and literals worth comparing with. */
export interface OracleField {
  path: string;
  family: Family;
  literals: readonly Lit[];
}

const OPS = ['=', '!=', '<>', '<', '<=', '>', '>='];

export function exprArbitrary(
  fields: readonly OracleField[],
  patterns: readonly string[],
): fc.Arbitrary<Expr> {
  const field = fc.constantFrom(...fields);
  const leaf: fc.Arbitrary<Expr> = fc.oneof(
    field.chain((f) =>
      fc.record({
        kind: fc.constant('cmp' as const),
        field: fc.constant(f.path),
        op: f.family === 'boolean' ? fc.constantFrom('=', '!=') : fc.constantFrom(...OPS),
        value: fc.constantFrom(...f.literals),
        flipped: fc.boolean(),
      }),
    ),
    field.chain((f) =>
      fc.record({
        kind: fc.constant('in' as const),
        field: fc.constant(f.path),
        items: fc.array(fc.constantFrom(...f.literals), { minLength: 1, maxLength: 4 }),
        negated: fc.boolean(),
      }),
    ),
    fc.constantFrom(...fields.filter((f) => f.family === 'string')).chain((f) =>
      fc.record({
        kind: fc.constant('like' as const),
        field: fc.constant(f.path),
        pattern: fc.constantFrom(...patterns),
        negated: fc.boolean(),
      }),
    ),
    field.chain((f) =>
      fc.record({ kind: fc.constant('null' as const), field: fc.constant(f.path), negated: fc.boolean() }),
    ),
  );
  const tree = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ kind: fc.constant('not' as const), inner: tie('expr') }),
      fc.record({
        kind: fc.constantFrom('and' as const, 'or' as const),
        left: tie('expr'),
        right: tie('expr'),
      }),
    ),
  }));
  return tree.expr;
}

function literalText(value: Lit): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return String(value);
}

/** Prints an expression; `style` picks spacing, keyword case and quoting deterministically per node. */
export function printExpr(expr: Expr, style: number): string {
  const kw = (word: string) =>
    style % 3 === 0 ? word.toUpperCase() : style % 3 === 1 ? word : word[0].toUpperCase() + word.slice(1);
  const sp = style % 2 === 0 ? ' ' : '  ';
  const name = (path: string) => (style % 5 === 0 ? `"${path}"` : path);
  switch (expr.kind) {
    case 'and':
    case 'or':
      return `(${printExpr(expr.left, style + 1)})${sp}${kw(expr.kind)}${sp}(${printExpr(expr.right, style + 2)})`;
    case 'not':
      return `${kw('not')} (${printExpr(expr.inner, style + 1)})`;
    case 'cmp':
      return expr.flipped
        ? `${literalText(expr.value)}${sp}${flip(expr.op)}${sp}${name(expr.field)}`
        : `${name(expr.field)}${sp}${expr.op}${style % 4 === 0 ? '' : sp}${literalText(expr.value)}`;
    case 'in':
      return `${name(expr.field)} ${expr.negated ? `${kw('not')} ` : ''}${kw('in')} (${expr.items.map(literalText).join(', ')})`;
    case 'like':
      return `${name(expr.field)} ${expr.negated ? `${kw('not')} ` : ''}${kw('like')} ${literalText(expr.pattern)}`;
    case 'null':
      return `${name(expr.field)} ${kw('is')} ${expr.negated ? `${kw('not')} ` : ''}${kw('null')}`;
  }
}

function flip(op: string): string {
  return { '<': '>', '<=': '>=', '>': '<', '>=': '<=' }[op] ?? op;
}

type Truth = boolean | null;

function get(row: unknown, path: string): unknown {
  let value = row;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[part] ?? null;
  }
  return value;
}

/** A value of a numeric field as the documented rules compare it: big longs (strings) exactly. */
function comparable(value: unknown, family: Family): unknown {
  if (family === 'number' && typeof value === 'string')
    return /^-?\d+$/.test(value) ? BigInt(value) : Number(value);
  return value;
}

function order(a: unknown, b: unknown): number | undefined {
  if (a === null || b === null) return undefined;
  const num = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
  if (num(a) && num(b)) {
    const x = a as number | bigint;
    const y = b as number | bigint;
    if (typeof x === 'number' && Number.isNaN(x)) return undefined;
    if (typeof y === 'number' && Number.isNaN(y)) return undefined;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return undefined;
}

function like(value: string, pattern: string): boolean {
  // The textbook dynamic programme: independent of the matcher under test.
  const n = value.length;
  const m = pattern.length;
  let prev = new Array<boolean>(n + 1).fill(false);
  prev[0] = true;
  for (let j = 1; j <= m; j++) {
    const cur = new Array<boolean>(n + 1).fill(false);
    const p = pattern[j - 1];
    cur[0] = p === '%' && prev[0];
    for (let i = 1; i <= n; i++)
      cur[i] = p === '%' ? cur[i - 1] || prev[i] : prev[i - 1] && value[i - 1] === p;
    prev = cur;
  }
  return prev[n];
}

export function evaluate(expr: Expr, row: unknown, families: ReadonlyMap<string, Family>): Truth {
  switch (expr.kind) {
    case 'and': {
      const a = evaluate(expr.left, row, families);
      const b = evaluate(expr.right, row, families);
      if (a === false || b === false) return false;
      return a === null || b === null ? null : true;
    }
    case 'or': {
      const a = evaluate(expr.left, row, families);
      const b = evaluate(expr.right, row, families);
      if (a === true || b === true) return true;
      return a === null || b === null ? null : false;
    }
    case 'not': {
      const a = evaluate(expr.inner, row, families);
      return a === null ? null : !a;
    }
    case 'null':
      return (get(row, expr.field) === null) !== expr.negated;
    case 'cmp': {
      const value = comparable(get(row, expr.field), families.get(expr.field) as Family);
      const o = order(value, expr.value);
      if (o === undefined) return null;
      const op = expr.op === '<>' ? '!=' : expr.op;
      return { '=': o === 0, '!=': o !== 0, '<': o < 0, '<=': o <= 0, '>': o > 0, '>=': o >= 0 }[
        op
      ] as boolean;
    }
    case 'in': {
      const value = comparable(get(row, expr.field), families.get(expr.field) as Family);
      if (value === null) return null;
      let unknown = false;
      for (const item of expr.items) {
        const o = order(value, item);
        if (o === 0) return !expr.negated;
        if (o === undefined) unknown = true;
      }
      return unknown ? null : expr.negated;
    }
    case 'like': {
      const value = get(row, expr.field);
      if (typeof value !== 'string') return null;
      return like(value, expr.pattern) !== expr.negated;
    }
  }
}

/** Whether the oracle keeps a row (the expression is true). */
export function keeps(expr: Expr, row: unknown, families: ReadonlyMap<string, Family>): boolean {
  return evaluate(expr, row, families) === true;
}
