import type { Context } from 'hono';
import * as z from 'zod/mini';
import { invalidRequest } from '../../errors.js';
import { type hubdb, resumeRows } from '../../providers/hubspot/api.js';
import { hubspot } from '../../providers/hubspot/provider.js';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { ndjsonResponse, wantsNdjson } from '../ndjson.js';
import { Api } from '../openapi.js';
import { doc, lazySchema, NextCursor, named, PathId } from '../schemas.js';

const ColumnSchema = lazySchema(() =>
  named(z.object({ name: z.string(), label: z.string(), type: z.string() }), 'HubdbColumn', {
    example: { name: 'price', label: 'Price', type: 'NUMBER' },
    description:
      'HubDB column types: TEXT, RICHTEXT, NUMBER, BOOLEAN (values 0/1 as HubSpot sends them), DATE and DATETIME (epoch milliseconds), SELECT and MULTISELECT (option objects `{id, name, type: "option"}`), URL, IMAGE (`{url, width, height}`), LOCATION (`{lat, long}`), CURRENCY, FOREIGN_ID, VIDEO. Cell values come out exactly as HubSpot sends them.',
  }),
);
const TableSchema = lazySchema(() =>
  named(
    z.object({
      id: z.string(),
      name: z.string(),
      label: z.string(),
      rowCount: z.number(),
      published: z.boolean(),
      updatedAt: z.nullable(z.string()),
      columns: z.array(ColumnSchema()),
    }),
    'HubdbTable',
    {
      description: 'A HubDB table of the connected account.',
      example: {
        id: '5432100',
        name: 'products',
        label: 'Products',
        rowCount: 2,
        published: true,
        updatedAt: '2026-12-01T09:30:00.000Z',
        columns: [{ name: 'price', label: 'Price', type: 'NUMBER' }],
      },
    },
  ),
);
const RowSchema = lazySchema(() =>
  named(
    z.object({
      id: z.string(),
      values: doc(z.record(z.string(), z.unknown()), {
        description: 'Cell values by column name, as HubSpot sends them',
      }),
      createdAt: z.nullable(z.string()),
      updatedAt: z.nullable(z.string()),
    }),
    'HubdbRow',
    {
      description: 'A row of a HubDB table.',
      example: {
        id: '123456789',
        values: { name: 'Blue shoe', price: 49 },
        createdAt: '2026-12-01T09:30:00.000Z',
        updatedAt: '2026-12-01T09:30:00.000Z',
      },
    },
  ),
);
const TablePage = lazySchema(() =>
  named(z.object({ tables: z.array(TableSchema()), nextCursor: z.optional(NextCursor()) }), 'HubdbTablePage'),
);
const RowPage = lazySchema(() =>
  named(z.object({ rows: z.array(RowSchema()), nextCursor: z.optional(NextCursor()) }), 'HubdbRowPage'),
);

const Table = lazySchema(() =>
  doc(z.string().check(z.minLength(1), z.maxLength(200), z.regex(/^[A-Za-z0-9_-]+$/, 'a table id or name')), {
    description: 'The table id or name',
  }),
);
const RowId = lazySchema(() => z.string().check(z.regex(/^\d{1,30}$/, 'a HubDB row id')));
const Cursor = lazySchema(() =>
  z.optional(
    z.string().check(z.maxLength(1024), z.regex(/^[A-Za-z0-9_=.-]*$/, 'a cursor from a previous page')),
  ),
);
const Limit = lazySchema(() => z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000))));
const Values = lazySchema(() =>
  doc(z.strictObject({ values: z.record(z.string().check(z.maxLength(200)), z.unknown()) }), {
    example: { values: { name: 'Blue shoe', price: 49 } },
  }),
);
const TableParams = lazySchema(() => z.object({ id: PathId(), table: Table() }));
const RowParams = lazySchema(() => z.object({ id: PathId(), table: Table(), rowId: RowId() }));
const problems = [404, 409, 429, 502, 503];

export const hubspotRoutes = new Hono<AppEnv>();
export const hubspotApi = new Api(hubspotRoutes);

/** Runs `fn` with a HubDB client for the caller's HubSpot connection (refreshing once on a 401). */
const withHubDb = <T>(c: Context<AppEnv>, id: string, fn: (db: ReturnType<typeof hubdb>) => Promise<T>) => {
  const { connections, config } = c.get('services');
  return connections.withToken(
    tenantOf(c.get('principal')),
    id,
    async (token) => fn(await hubspot.client(config.endpoints.hubspot, token)),
    { provider: 'hubspot' },
  );
};

hubspotApi.route(
  'get',
  '/v1/connections/{id}/hubdb/tables',
  () => ({
    operationId: 'listHubdbTables',
    tags: ['HubDB'],
    summary: 'List HubDB tables',
    params: z.object({ id: PathId() }),
    query: z.object({ limit: Limit(), cursor: Cursor() }),
    responses: {
      200: {
        description: 'A page of tables',
        schema: TablePage(),
      },
    },
    errors: problems,
  }),
  async (c, { params, query }) => {
    const out = await withHubDb(c, params.id, (db) =>
      db.listTables(query.limit ?? 100, query.cursor || undefined),
    );
    return c.json({ tables: out.tables, ...(out.nextCursor ? { nextCursor: out.nextCursor } : {}) }, 200);
  },
);

hubspotApi.route(
  'get',
  '/v1/connections/{id}/hubdb/tables/{table}',
  () => ({
    operationId: 'getHubdbTable',
    tags: ['HubDB'],
    summary: 'Get a HubDB table (by id or name)',
    params: TableParams(),
    responses: { 200: { description: 'The table', schema: TableSchema() } },
    errors: problems,
  }),
  async (c, { params }) => {
    const out = await withHubDb(c, params.id, (db) => db.getTable(params.table));
    return c.json(out, 200);
  },
);

/** Our own parameters, and HubSpot's that pass through as they are. */
const passThrough = new Set(['sort', 'properties', 'archived']);
/** HubSpot's paging parameters: the caller pages with `cursor`, so these are never filters either. */
const paging = new Set(['after', 'offset']);
/** HubDB's filter operators (https://developers.hubspot.com/docs/api/cms/hubdb#filter-returned-rows). */
const operators = [
  'eq',
  'ne',
  'contains',
  'lt',
  'lte',
  'gt',
  'gte',
  'is_null',
  'not_null',
  'like',
  'not_like',
  'icontains',
  'startswith',
  'in',
  'not_in',
];
const filterKey = new RegExp(`^[A-Za-z0-9_]{1,100}(__(${operators.join('|')}))?$`);

/** HubSpot's own row query: `col__op=value` filters, `sort`, `properties`, `archived`, paging. */
function rowQuery(url: string): { query: URLSearchParams; cursor?: string } {
  const params = new URL(url).searchParams;
  const query = new URLSearchParams();
  let cursor: string | undefined;
  for (const [k, v] of params) {
    if (k === 'cursor') {
      cursor = v || undefined;
      continue;
    }
    if (k === 'limit') continue;
    if (paging.has(k))
      throw invalidRequest(`"${k}" is HubSpot's paging: pass the nextCursor of a page as cursor.`);
    if (k === 'archived' && v !== 'true' && v !== 'false')
      throw invalidRequest('archived must be true or false.');
    if (!passThrough.has(k) && !filterKey.test(k)) {
      throw invalidRequest(
        `"${k.slice(0, 100)}" is not a HubDB filter (column__operator, operators: ${operators.join(', ')}).`,
      );
    }
    if (v.length > 1000) throw invalidRequest(`The value of ${k} is too long.`);
    query.append(k, v);
  }
  return { query, cursor };
}

hubspotApi.route(
  'get',
  '/v1/connections/{id}/hubdb/tables/{table}/rows',
  () => ({
    operationId: 'getHubdbRows',
    tags: ['HubDB'],
    summary: 'List rows',
    description:
      'Filters (`column__operator`), `sort`, `properties` and `archived` pass through with HubSpot\'s syntax: `?name__contains=shoe&price__gt=10&sort=-price`; `after` and `offset` are refused (page with `cursor`). With `Accept: application/x-ndjson` every row of every page is streamed, one JSON object a line; a failure mid-stream ends with a line `{"error": {code, detail}}`.',
    params: TableParams(),
    query: z.looseObject({
      limit: Limit(),
      cursor: Cursor(),
      archived: z.optional(z.enum(['true', 'false'])),
      sort: z.optional(z.string().check(z.maxLength(200))),
      properties: z.optional(z.string().check(z.maxLength(2000))),
    }),
    responses: {
      200: {
        description: 'A page of rows (or an NDJSON stream of all rows)',
        schema: RowPage(),
        ndjson: RowSchema(),
      },
    },
    errors: problems,
  }),
  async (c, { params, query: q }) => {
    const { log } = c.get('services');
    const { query, cursor } = rowQuery(c.req.url);
    const list = () => withHubDb(c, params.id, (db) => db.listRows(params.table, query));
    if (wantsNdjson(c.req.header('accept'))) {
      resumeRows(query, undefined);
      query.set('limit', '1000');
      // Either paging kind (after or offset) until the last page: a RANDOM_ACCESS table is never cut short.
      async function* all() {
        let next: string | undefined;
        do {
          resumeRows(query, next);
          const page = await list();
          yield* page.rows;
          next = page.nextCursor;
        } while (next);
      }
      return ndjsonResponse(all(), log, c.get('requestId'));
    }
    resumeRows(query, cursor);
    query.set('limit', String(q.limit ?? 100));
    const out = await list();
    return c.json({ rows: out.rows, ...(out.nextCursor ? { nextCursor: out.nextCursor } : {}) }, 200);
  },
);

hubspotApi.route(
  'get',
  '/v1/connections/{id}/hubdb/tables/{table}/rows/{rowId}',
  () => ({
    operationId: 'getHubdbRow',
    tags: ['HubDB'],
    summary: 'Get a row',
    params: RowParams(),
    responses: { 200: { description: 'The row', schema: RowSchema() } },
    errors: problems,
  }),
  async (c, { params }) => {
    const row = await withHubDb(c, params.id, (db) => db.getRow(params.table, params.rowId));
    return c.json(row, 200);
  },
);

hubspotApi.route(
  'post',
  '/v1/connections/{id}/hubdb/tables/{table}/rows',
  () => ({
    operationId: 'createHubdbRow',
    tags: ['HubDB'],
    summary: 'Add a draft row',
    description: 'Changes go to the draft table; publish to make them live.',
    params: TableParams(),
    body: Values(),
    responses: { 201: { description: 'The draft row', schema: RowSchema() } },
    errors: [...problems, 413, 415],
  }),
  async (c, { params, body }) => {
    const row = await withHubDb(c, params.id, (db) => db.createRow(params.table, body.values));
    return c.json(row, 201);
  },
);

hubspotApi.route(
  'patch',
  '/v1/connections/{id}/hubdb/tables/{table}/rows/{rowId}',
  () => ({
    operationId: 'updateHubdbRow',
    tags: ['HubDB'],
    summary: 'Update a draft row',
    params: RowParams(),
    body: Values(),
    responses: { 200: { description: 'The draft row', schema: RowSchema() } },
    errors: [...problems, 413, 415],
  }),
  async (c, { params, body }) => {
    const row = await withHubDb(c, params.id, (db) => db.updateRow(params.table, params.rowId, body.values));
    return c.json(row, 200);
  },
);

hubspotApi.route(
  'delete',
  '/v1/connections/{id}/hubdb/tables/{table}/rows/{rowId}',
  () => ({
    operationId: 'deleteHubdbRow',
    tags: ['HubDB'],
    summary: 'Delete a draft row',
    params: RowParams(),
    responses: { 204: { description: 'Deleted from the draft' } },
    errors: problems,
  }),
  async (c, { params }) => {
    await withHubDb(c, params.id, (db) => db.deleteRow(params.table, params.rowId));
    return c.body(null, 204);
  },
);

hubspotApi.route(
  'post',
  '/v1/connections/{id}/hubdb/tables/{table}/publish',
  () => ({
    operationId: 'publishHubdbTable',
    tags: ['HubDB'],
    summary: 'Publish the draft table',
    params: TableParams(),
    responses: { 200: { description: 'The published table', schema: TableSchema() } },
    errors: problems,
  }),
  async (c, { params }) => {
    const out = await withHubDb(c, params.id, (db) => db.publish(params.table));
    return c.json(out, 200);
  },
);
