import { prng } from '../common/prng.js';

/** HubDB column types the sandbox models (HubSpot's `ColumnTypeEnum` subset). */
export type ColumnType =
  | 'TEXT'
  | 'RICHTEXT'
  | 'URL'
  | 'NUMBER'
  | 'BOOLEAN'
  | 'DATE'
  | 'DATETIME'
  | 'SELECT'
  | 'MULTISELECT';

/** A SELECT/MULTISELECT option, shaped as HubDB v3 returns it in row values. */
export interface HubDbOption {
  id: string;
  name: string;
  label: string;
  type: 'option';
  order: number;
}

/** A column definition. */
export interface HubDbColumn {
  id: string;
  name: string;
  label: string;
  type: ColumnType;
  options?: HubDbOption[];
}

/**
 * A cell as HubDB v3 returns it: text as string, NUMBER as number, BOOLEAN as 1/0,
 * DATE/DATETIME as epoch milliseconds, SELECT as an option object, MULTISELECT as a list.
 */
export type CellValue = string | number | HubDbOption | HubDbOption[];

/** A row of one table version (draft or published). */
export interface HubDbRow {
  id: string;
  values: Record<string, CellValue>;
  path: string | null;
  name: string | null;
  createdAt: string;
  updatedAt: string;
  publishedAt?: string;
}

/** A table with its published and draft versions. */
export interface HubDbTable {
  id: string;
  name: string;
  label: string;
  columns: HubDbColumn[];
  useForPages: boolean;
  createdAt: string;
  updatedAt: string;
  publishedAt: string;
  published: HubDbRow[];
  draft: HubDbRow[];
  nextRowNumber: number;
  /**
   * How its rows answer pages: `STREAMING` (`paging.next.after`, an opaque token) or
   * `RANDOM_ACCESS` (`paging.next.offset`, a number). Which tables HubSpot answers which way is
   * not documented (a guess: the sandbox fixes it per table); both shapes are the spec's.
   */
  paging: 'STREAMING' | 'RANDOM_ACCESS';
}

/** What a row write may carry. */
export interface RowInput {
  values?: Record<string, unknown>;
  path?: string | null;
  name?: string | null;
}

/** HubDB's per-table row limit. */
export const MAX_ROWS_PER_TABLE = 10000;

const SANDBOX_USER = {
  id: '9000001',
  email: 'sandbox-admin@example.com',
  firstName: 'Sandbox',
  lastName: 'Admin',
};

/** A table as `GET /tables/{idOrName}` answers it (the `version` decides rowCount and dates). */
export function tableJson(table: HubDbTable, version: 'published' | 'draft'): Record<string, unknown> {
  const rows = version === 'published' ? table.published : table.draft;
  return {
    id: table.id,
    name: table.name,
    label: table.label,
    columns: table.columns.map((col) => ({
      name: col.name,
      label: col.label,
      id: col.id,
      type: col.type,
      deleted: false,
      ...(col.options ? { options: col.options, optionCount: col.options.length } : {}),
    })),
    published: true,
    columnCount: table.columns.length,
    rowCount: rows.length,
    createdBy: SANDBOX_USER,
    updatedBy: SANDBOX_USER,
    publishedAt: table.publishedAt,
    dynamicMetaTags: {},
    createdAt: table.createdAt,
    archived: false,
    allowPublicApiAccess: false,
    useForPages: table.useForPages,
    enableChildTablePages: false,
    allowChildTables: false,
    updatedAt: version === 'published' ? table.publishedAt : table.updatedAt,
  };
}

/** A row as the rows routes answer it. */
export function rowJson(row: HubDbRow): Record<string, unknown> {
  return {
    id: row.id,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.publishedAt ? { publishedAt: row.publishedAt } : {}),
    values: row.values,
    path: row.path,
    name: row.name,
  };
}

function findOption(column: HubDbColumn, input: unknown): HubDbOption | undefined {
  const options = column.options ?? [];
  if (typeof input === 'object' && input !== null) {
    const o = input as { id?: unknown; name?: unknown };
    if (o.id !== undefined) return options.find((x) => x.id === String(o.id));
    if (typeof o.name === 'string') return findOption(column, o.name);
    return undefined;
  }
  if (typeof input === 'string' || typeof input === 'number') {
    const s = String(input);
    return options.find((x) => x.id === s || x.name.toLowerCase() === s.toLowerCase());
  }
  return undefined;
}

function toMillis(input: unknown): number | undefined {
  if (typeof input === 'number' && Number.isFinite(input)) return input;
  if (typeof input === 'string' && input.trim() !== '') {
    if (/^-?\d+$/.test(input)) return Number(input);
    const ms = Date.parse(input);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * Converts an input value to the stored cell for a column, accepting the forms HubSpot
 * documents and the obvious alternatives (booleans as true/false or 1/0, dates as epoch
 * ms or ISO strings, options by object, id or name). `null` clears the cell.
 */
export function coerceCell(column: HubDbColumn, input: unknown): CellValue | null | { error: string } {
  if (input === null) return null;
  const bad = {
    error: `Invalid value for column ${column.name} of type ${column.type}: ${JSON.stringify(input)}`,
  };
  switch (column.type) {
    case 'TEXT':
    case 'RICHTEXT':
    case 'URL':
      return typeof input === 'string' ? input : typeof input === 'number' ? String(input) : bad;
    case 'NUMBER': {
      const n = typeof input === 'string' && input.trim() !== '' ? Number(input) : input;
      return typeof n === 'number' && Number.isFinite(n) ? n : bad;
    }
    case 'BOOLEAN':
      if (input === true || input === 1 || input === '1' || input === 'true') return 1;
      if (input === false || input === 0 || input === '0' || input === 'false') return 0;
      return bad;
    case 'DATE': {
      const ms = toMillis(input);
      if (ms === undefined) return bad;
      const d = new Date(ms);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    }
    case 'DATETIME':
      return toMillis(input) ?? bad;
    case 'SELECT':
      return findOption(column, input) ?? bad;
    case 'MULTISELECT': {
      const items = Array.isArray(input) ? input : typeof input === 'string' ? input.split(',') : [input];
      const found = items.map((i) => findOption(column, typeof i === 'string' ? i.trim() : i));
      return found.every((o): o is HubDbOption => o !== undefined) ? found : bad;
    }
  }
}

/** One portal's HubDB: tables, their draft/published rows, and the write operations. */
export class HubDb {
  constructor(
    readonly hubId: number,
    readonly tables: HubDbTable[],
    private readonly now: () => number,
  ) {}

  /** A table by id or by name. */
  find(idOrName: string): HubDbTable | undefined {
    return this.tables.find((t) => t.id === idOrName || t.name === idOrName);
  }

  private applyValues(table: HubDbTable, target: Record<string, CellValue>, values: Record<string, unknown>) {
    for (const [name, input] of Object.entries(values)) {
      const column = table.columns.find((col) => col.name === name);
      if (!column) return `Column ${name} does not exist in table ${table.name}`;
      const cell = coerceCell(column, input);
      if (cell === null) delete target[name];
      else if (typeof cell === 'object' && 'error' in cell) return cell.error;
      else target[name] = cell;
    }
    return undefined;
  }

  /** Adds a draft row (`POST /rows`). */
  createRow(table: HubDbTable, input: RowInput): HubDbRow | { error: string } {
    if (table.draft.length >= MAX_ROWS_PER_TABLE) {
      return { error: `Table ${table.name} has reached the limit of ${MAX_ROWS_PER_TABLE} rows` };
    }
    const values: Record<string, CellValue> = {};
    const error = this.applyValues(table, values, input.values ?? {});
    if (error) return { error };
    const at = new Date(this.now()).toISOString();
    const row: HubDbRow = {
      id: String(Number(table.id) * 100000 + table.nextRowNumber++),
      values,
      path: input.path ?? null,
      name: input.name ?? null,
      createdAt: at,
      updatedAt: at,
    };
    table.draft.push(row);
    table.updatedAt = at;
    return row;
  }

  /** Updates a draft row: sparse (`PATCH`) or replacing every value (`PUT`). */
  updateRow(
    table: HubDbTable,
    rowId: string,
    input: RowInput,
    replace: boolean,
  ): HubDbRow | { error: string } | undefined {
    const row = table.draft.find((r) => r.id === rowId);
    if (!row) return undefined;
    const values: Record<string, CellValue> = replace ? {} : { ...row.values };
    const error = this.applyValues(table, values, input.values ?? {});
    if (error) return { error };
    const at = new Date(this.now()).toISOString();
    row.values = values;
    if (replace || input.path !== undefined) row.path = input.path ?? null;
    if (replace || input.name !== undefined) row.name = input.name ?? null;
    row.updatedAt = at;
    table.updatedAt = at;
    return row;
  }

  /** Removes a row from the draft. */
  deleteRow(table: HubDbTable, rowId: string): boolean {
    const before = table.draft.length;
    table.draft = table.draft.filter((r) => r.id !== rowId);
    if (table.draft.length === before) return false;
    table.updatedAt = new Date(this.now()).toISOString();
    return true;
  }

  /** Publishes the draft: it becomes the live version. */
  publish(table: HubDbTable): void {
    const at = new Date(this.now()).toISOString();
    table.publishedAt = at;
    table.updatedAt = at;
    for (const row of table.draft) row.publishedAt = at;
    table.published = structuredClone(table.draft);
  }
}

function options(names: string[]): HubDbOption[] {
  return names.map((name, i) => ({ id: String(i + 1), name, label: name, type: 'option', order: i }));
}

function columns(defs: Array<[string, string, ColumnType, string[]?]>): HubDbColumn[] {
  return defs.map(([name, label, type, opts], i) => ({
    id: String(i + 1),
    name,
    label,
    type,
    ...(opts ? { options: options(opts) } : {}),
  }));
}

const ADJECTIVES = [
  'Quantum',
  'Solar',
  'Nimble',
  'Crimson',
  'Silent',
  'Polar',
  'Lucky',
  'Rapid',
  'Golden',
  'Urban',
];
const NOUNS = [
  'Widget',
  'Gadget',
  'Sprocket',
  'Lantern',
  'Compass',
  'Kettle',
  'Backpack',
  'Drone',
  'Speaker',
  'Notebook',
];

const SEED_CREATED = Date.UTC(2024, 0, 15, 10, 0, 0);
const SEED_PUBLISHED = new Date(Date.UTC(2024, 1, 1, 12, 0, 0)).toISOString();

function seedRow(
  table: HubDbTable,
  n: number,
  values: Record<string, CellValue>,
  extra?: Partial<HubDbRow>,
): HubDbRow {
  const created = new Date(SEED_CREATED + n * 60000).toISOString();
  return {
    id: String(Number(table.id) * 100000 + n),
    values,
    path: null,
    name: null,
    createdAt: created,
    updatedAt: created,
    publishedAt: SEED_PUBLISHED,
    ...extra,
  };
}

function table(
  hubId: number,
  index: number,
  name: string,
  label: string,
  cols: HubDbColumn[],
  useForPages = false,
): HubDbTable {
  return {
    id: `${hubId}${index}`,
    name,
    label,
    columns: cols,
    useForPages,
    createdAt: new Date(SEED_CREATED).toISOString(),
    updatedAt: SEED_PUBLISHED,
    publishedAt: SEED_PUBLISHED,
    published: [],
    draft: [],
    nextRowNumber: 1,
    paging: 'STREAMING',
  };
}

/** Rows in the seeded `products` table: enough that paging matters at HubDB's usual limits. */
export const SEED_PRODUCT_COUNT = 250;

/** Rows in the seeded `inventory` table (RANDOM_ACCESS paging): more than one 1000-row page. */
export const SEED_INVENTORY_COUNT = 1234;

/**
 * Seed HubDB of a portal: `products` (250 rows, every column type the sandbox models,
 * some empty cells), `stores` (12 rows, non-ASCII text, datetimes) and `archive` (no rows).
 * Deterministic: the same for every portal and every run.
 */
export function seedHubDb(hubId: number, now: () => number): HubDb {
  const rand = prng(20240115);
  const products = table(
    hubId,
    1,
    'products',
    'Products',
    columns([
      ['name', 'Name', 'TEXT'],
      ['sku', 'SKU', 'TEXT'],
      ['price', 'Price', 'NUMBER'],
      ['in_stock', 'In stock', 'BOOLEAN'],
      ['launched', 'Launch date', 'DATE'],
      ['category', 'Category', 'SELECT', ['Hardware', 'Software', 'Services', 'Accessories']],
      ['tags', 'Tags', 'MULTISELECT', ['new', 'sale', 'eco', 'bestseller']],
      ['website', 'Website', 'URL'],
      ['description', 'Description', 'TEXT'],
    ]),
    true,
  );
  const [, , , , , category, tags] = products.columns as [...HubDbColumn[]];
  for (let n = 1; n <= SEED_PRODUCT_COUNT; n++) {
    const name = `${rand.pick(ADJECTIVES)} ${rand.pick(NOUNS)} ${String(n).padStart(3, '0')}`;
    const tagOptions = (tags?.options ?? []).filter(() => rand.next() < 0.3);
    const values: Record<string, CellValue> = {
      name,
      sku: `SKU-${String(n * 7919).padStart(6, '0')}`,
      price: Math.round(rand.next() * 100000) / 100,
      in_stock: rand.next() < 0.7 ? 1 : 0,
      launched: Date.UTC(2018 + (n % 7), n % 12, 1 + (n % 28)),
      category: (category?.options ?? [])[n % 4] as HubDbOption,
      tags: tagOptions,
      website: `https://example.com/products/${n}`,
    };
    if (n % 17 !== 0)
      values.description = `${name}: a dependable ${name.split(' ')[1]?.toLowerCase()} for everyday use.`;
    products.published.push(
      seedRow(products, n, values, { path: `product-${String(n).padStart(3, '0')}`, name }),
    );
  }
  products.nextRowNumber = SEED_PRODUCT_COUNT + 1;

  const stores = table(
    hubId,
    2,
    'stores',
    'Stores',
    columns([
      ['name', 'Name', 'TEXT'],
      ['city', 'City', 'TEXT'],
      ['country', 'Country', 'TEXT'],
      ['opened', 'Opened', 'DATETIME'],
      ['employees', 'Employees', 'NUMBER'],
      ['flagship', 'Flagship', 'BOOLEAN'],
    ]),
  );
  const cities: Array<[string, string]> = [
    ['Boston', 'US'],
    ['München', 'DE'],
    ['São Paulo', 'BR'],
    ['Zürich', 'CH'],
    ['Kraków', 'PL'],
    ['東京', 'JP'],
    ['Dublin', 'IE'],
    ['Montréal', 'CA'],
    ['Sydney', 'AU'],
    ['Paris', 'FR'],
    ['Singapore', 'SG'],
    ['Bogotá', 'CO'],
  ];
  cities.forEach(([city, country], i) => {
    stores.published.push(
      seedRow(stores, i + 1, {
        name: `Portico ${city}`,
        city,
        country,
        opened: Date.UTC(2015 + (i % 9), i, 3, 9, 30),
        employees: 5 + ((i * 37) % 60),
        flagship: i % 4 === 0 ? 1 : 0,
      }),
    );
  });
  stores.nextRowNumber = cities.length + 1;

  const archive = table(
    hubId,
    3,
    'archive',
    'Archive (empty)',
    columns([
      ['title', 'Title', 'TEXT'],
      ['archived_on', 'Archived on', 'DATE'],
    ]),
  );

  // More rows than one page at HubDB's largest limit, paged by offset: a client reading only `after` loses rows.
  const inventory = table(
    hubId,
    4,
    'inventory',
    'Inventory (random access)',
    columns([
      ['item', 'Item', 'TEXT'],
      ['quantity', 'Quantity', 'NUMBER'],
    ]),
  );
  inventory.paging = 'RANDOM_ACCESS';
  for (let n = 1; n <= SEED_INVENTORY_COUNT; n++) {
    inventory.published.push(
      seedRow(inventory, n, { item: `Item ${String(n).padStart(4, '0')}`, quantity: (n * 37) % 500 }),
    );
  }
  inventory.nextRowNumber = SEED_INVENTORY_COUNT + 1;

  const all = [products, stores, archive, inventory];
  for (const t of all) t.draft = structuredClone(t.published);
  return new HubDb(hubId, all, now);
}
