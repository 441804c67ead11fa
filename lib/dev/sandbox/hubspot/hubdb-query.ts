import type { CellValue, HubDbColumn, HubDbRow, HubDbTable } from './hubdb-store.js';

/** Filter operators of HubDB's `column__op=value` query syntax. */
export const FILTER_OPS = [
  'eq',
  'ne',
  'lt',
  'lte',
  'gt',
  'gte',
  'contains',
  'icontains',
  'in',
  'not_in',
  'is_null',
  'not_null',
  'startswith',
] as const;

/** One filter operator. */
export type FilterOp = (typeof FILTER_OPS)[number];

/** A parsed row filter. */
export interface RowFilter {
  field: string;
  op: FilterOp;
  value: string;
}

/** A parsed rows query. */
export interface RowQuery {
  filters: RowFilter[];
  sort: Array<{ field: string; desc: boolean }>;
  limit: number;
  offset: number;
  properties?: string[];
}

/** Query parameters that are not filters. */
const RESERVED = new Set([
  'limit',
  'after',
  'offset',
  'sort',
  'properties',
  'archived',
  'portalId',
  'hapikey',
]);

/** Row fields addressable like columns in filters and sort. */
const ROW_FIELDS = new Set(['hs_id', 'hs_path', 'hs_name', 'hs_created_at', 'hs_updated_at']);

/** Default and maximum `limit` of the rows routes. */
export const ROWS_DEFAULT_LIMIT = 1000;
export const ROWS_MAX_LIMIT = 10000;

/** Encodes an offset as an opaque `after` token (clients must not parse it). */
export function encodeAfter(offset: number): string {
  return Buffer.from(`hubdb:${offset}`).toString('base64url');
}

/** Decodes an `after` token; `undefined` when it is not one the sandbox issued. */
export function decodeAfter(after: string): number | undefined {
  const m = /^hubdb:(\d+)$/.exec(Buffer.from(after, 'base64url').toString());
  return m ? Number(m[1]) : undefined;
}

/** Parses `limit`: absent gives the default, anything not a positive integer is an error. */
export function parseLimit(
  raw: string | undefined,
  fallback: number,
  max: number,
): number | { error: string } {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) return { error: `Invalid limit: ${raw}` };
  return Math.min(Number(raw), max);
}

/** Parses `after` (or a numeric `offset`) into a starting index. */
export function parseStart(
  after: string | undefined,
  offset: string | undefined,
): number | { error: string } {
  if (after) return decodeAfter(after) ?? { error: `Invalid after token: ${after}` };
  if (offset) return /^\d+$/.test(offset) ? Number(offset) : { error: `Invalid offset: ${offset}` };
  return 0;
}

/**
 * Parses a rows query against a table's columns. Filters are `col__op=value`, or
 * `col=value` for equality; `in`/`not_in` take comma-separated values; `sort` takes
 * comma-separated columns, `-col` for descending.
 */
export function parseRowQuery(params: URLSearchParams, table: HubDbTable): RowQuery | { error: string } {
  const known = (field: string) => ROW_FIELDS.has(field) || table.columns.some((c) => c.name === field);
  const filters: RowFilter[] = [];
  for (const [key, value] of params) {
    if (RESERVED.has(key)) continue;
    const sep = key.lastIndexOf('__');
    const field = sep > 0 ? key.slice(0, sep) : key;
    const op = sep > 0 ? key.slice(sep + 2) : 'eq';
    if (!(FILTER_OPS as readonly string[]).includes(op)) return { error: `Unknown filter operator: ${op}` };
    if (!known(field)) {
      if (sep > 0) return { error: `Column ${field} does not exist in table ${table.name}` };
      continue; // A stray parameter without an operator is not a filter.
    }
    filters.push({ field, op: op as FilterOp, value });
  }
  const sort: RowQuery['sort'] = [];
  for (const part of (params.get('sort') ?? '').split(',')) {
    const s = part.trim();
    if (!s) continue;
    const desc = s.startsWith('-');
    const field = desc ? s.slice(1) : s;
    if (!known(field)) return { error: `Cannot sort by unknown column ${field}` };
    sort.push({ field, desc });
  }
  const limit = parseLimit(params.get('limit') ?? undefined, ROWS_DEFAULT_LIMIT, ROWS_MAX_LIMIT);
  if (typeof limit === 'object') return limit;
  const offset = parseStart(params.get('after') ?? undefined, params.get('offset') ?? undefined);
  if (typeof offset === 'object') return offset;
  // `properties` may repeat and may list several columns comma-separated.
  const properties = params
    .getAll('properties')
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter(Boolean);
  return { filters, sort, limit, offset, ...(properties.length > 0 ? { properties } : {}) };
}

type Scalar = string | number | undefined;

function cellOf(row: HubDbRow, field: string): CellValue | undefined {
  switch (field) {
    case 'hs_id':
      return Number(row.id);
    case 'hs_path':
      return row.path ?? undefined;
    case 'hs_name':
      return row.name ?? undefined;
    case 'hs_created_at':
      return Date.parse(row.createdAt);
    case 'hs_updated_at':
      return Date.parse(row.updatedAt);
    default:
      return row.values[field];
  }
}

function kindOf(table: HubDbTable, field: string): 'number' | 'date' | 'string' | 'option' | 'options' {
  if (field === 'hs_id') return 'number';
  if (field === 'hs_created_at' || field === 'hs_updated_at') return 'date';
  const column: HubDbColumn | undefined = table.columns.find((c) => c.name === field);
  switch (column?.type) {
    case 'NUMBER':
    case 'BOOLEAN':
      return 'number';
    case 'DATE':
    case 'DATETIME':
      return 'date';
    case 'SELECT':
      return 'option';
    case 'MULTISELECT':
      return 'options';
    default:
      return 'string';
  }
}

/** Parses a filter operand for a column kind (booleans as true/false, dates as ms or ISO). */
function operand(kind: ReturnType<typeof kindOf>, raw: string): Scalar {
  if (kind === 'number') {
    if (raw === 'true') return 1;
    if (raw === 'false') return 0;
    const n = Number(raw);
    return raw.trim() === '' || Number.isNaN(n) ? undefined : n;
  }
  if (kind === 'date') {
    if (/^-?\d+$/.test(raw)) return Number(raw);
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return raw;
}

function compare(a: Scalar, b: Scalar): number {
  if (a === undefined || b === undefined) return Number.NaN;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The comparable forms of a cell: options match by name or id. */
function scalars(cell: CellValue | undefined): Scalar[] {
  if (cell === undefined) return [];
  if (Array.isArray(cell)) return cell.flatMap((o) => [o.name, o.id]);
  if (typeof cell === 'object') return [cell.name, cell.id];
  return [cell];
}

function isEmpty(cell: CellValue | undefined): boolean {
  return cell === undefined || cell === '' || (Array.isArray(cell) && cell.length === 0);
}

function matches(row: HubDbRow, table: HubDbTable, f: RowFilter): boolean {
  const cell = cellOf(row, f.field);
  if (f.op === 'is_null') return isEmpty(cell);
  if (f.op === 'not_null') return !isEmpty(cell);
  const kind = kindOf(table, f.field);
  const values = scalars(cell);
  const list = (f.op === 'in' || f.op === 'not_in' ? f.value.split(',') : [f.value]).map((v) =>
    operand(kind, v.trim()),
  );
  const text = (v: Scalar) => (v === undefined ? '' : String(v));
  const someValue = (test: (v: Scalar) => boolean) => values.some(test);
  const caseless = kind === 'option' || kind === 'options';
  const eq = (a: Scalar, b: Scalar) =>
    caseless && typeof a === 'string' && typeof b === 'string'
      ? a.toLowerCase() === b.toLowerCase()
      : compare(a, b) === 0;
  const target = list[0];
  switch (f.op) {
    case 'eq':
      return someValue((v) => eq(v, target));
    case 'ne':
      return !someValue((v) => eq(v, target));
    case 'lt':
      return someValue((v) => compare(v, target) < 0);
    case 'lte':
      return someValue((v) => compare(v, target) <= 0);
    case 'gt':
      return someValue((v) => compare(v, target) > 0);
    case 'gte':
      return someValue((v) => compare(v, target) >= 0);
    case 'contains':
      return someValue((v) => text(v).includes(text(target)));
    case 'icontains':
      return someValue((v) => text(v).toLowerCase().includes(text(target).toLowerCase()));
    case 'startswith':
      return someValue((v) => text(v).startsWith(text(target)));
    case 'in':
      return someValue((v) => list.some((t) => eq(v, t)));
    case 'not_in':
      return !someValue((v) => list.some((t) => eq(v, t)));
  }
  return false;
}

function sortKey(row: HubDbRow, field: string): Scalar {
  const cell = cellOf(row, field);
  if (cell === undefined) return undefined;
  if (Array.isArray(cell)) return cell.map((o) => o.name).join(',');
  if (typeof cell === 'object') return cell.name;
  return cell;
}

/** Runs a query: filter, sort (empty cells last, ties by id), then one page. */
export function runRowQuery(
  rows: HubDbRow[],
  table: HubDbTable,
  query: RowQuery,
): { total: number; page: HubDbRow[]; nextOffset?: number } {
  const matched = rows.filter((row) => query.filters.every((f) => matches(row, table, f)));
  if (query.sort.length > 0) {
    matched.sort((a, b) => {
      for (const { field, desc } of query.sort) {
        const x = sortKey(a, field);
        const y = sortKey(b, field);
        if (x === undefined || y === undefined) {
          if (x !== y) return x === undefined ? 1 : -1;
          continue;
        }
        const d = compare(x, y);
        if (d !== 0) return desc ? -d : d;
      }
      return Number(a.id) - Number(b.id);
    });
  }
  const page = matched.slice(query.offset, query.offset + query.limit);
  const end = query.offset + page.length;
  return { total: matched.length, page, ...(end < matched.length ? { nextOffset: end } : {}) };
}

/** Keeps only the requested columns of a row's values (`properties=`). */
export function selectProperties(row: HubDbRow, properties: string[] | undefined): HubDbRow {
  if (!properties) return row;
  const values: HubDbRow['values'] = {};
  for (const p of properties) {
    const v = row.values[p];
    if (v !== undefined) values[p] = v;
  }
  return { ...row, values };
}
