import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app/context.js';
import { ndjsonResponse, wantsNdjson } from '../../app/ndjson.js';
import { tenantOf } from '../../app/routes/connect.js';
import { bearerSecurity, errors } from '../../app/schemas.js';
import { validationHook } from '../../app/validation.js';
import { invalidRequest } from '../../errors.js';
import { hubdb } from './api.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const ColumnSchema = z
  .object({ name: z.string(), label: z.string(), type: z.string() })
  .openapi('HubDbColumn', {
    description:
      'HubDB column types: TEXT, RICHTEXT, NUMBER, BOOLEAN (values 0/1 as HubSpot sends them), DATE and DATETIME (epoch milliseconds), SELECT and MULTISELECT (option objects `{id, name, type: "option"}`), URL, IMAGE (`{url, width, height}`), LOCATION (`{lat, long}`), CURRENCY, FOREIGN_ID, VIDEO. Cell values come out exactly as HubSpot sends them.',
  });
const TableSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    label: z.string(),
    rowCount: z.number().int(),
    published: z.boolean(),
    updatedAt: z.string().nullable(),
    columns: z.array(ColumnSchema),
  })
  .openapi('HubDbTable');
const RowSchema = z
  .object({
    id: z.string(),
    values: z.record(z.string(), z.unknown()),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .openapi('HubDbRow');

const Id = z
  .string()
  .max(64)
  .openapi({ param: { name: 'id', in: 'path' } });
const Table = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/, 'a table id or name')
  .openapi({ param: { name: 'table', in: 'path' }, description: 'The table id or name' });
const RowId = z
  .string()
  .regex(/^\d{1,30}$/, 'a HubDB row id')
  .openapi({ param: { name: 'rowId', in: 'path' } });
const Cursor = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9_=.-]*$/, 'a cursor from a previous page')
  .optional();
const Limit = z.coerce.number().int().min(1).max(1000).optional();
const Values = z
  .object({ values: z.record(z.string().max(200), z.unknown()) })
  .strict()
  .openapi('HubDbRowValues');

export const hubspotRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

hubspotRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}/hubdb/tables',
    tags: ['HubDB'],
    summary: 'List HubDB tables',
    security: bearerSecurity,
    request: {
      params: z.object({ id: Id }),
      query: z.object({
        limit: Limit.openapi({ param: { name: 'limit', in: 'query' } }),
        cursor: Cursor.openapi({ param: { name: 'cursor', in: 'query' } }),
      }),
    },
    responses: {
      200: json(
        z.object({ tables: z.array(TableSchema), nextCursor: z.string().optional() }),
        'A page of tables',
      ),
      ...errors(404, 409, 429, 502, 503),
    },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const { limit, cursor } = c.req.valid('query');
    const out = await connections.withToken(
      tenantOf(c.get('principal')),
      c.req.valid('param').id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).listTables(limit ?? 100, cursor || undefined),
      { provider: 'hubspot' },
    );
    return c.json({ tables: out.tables, ...(out.nextCursor ? { nextCursor: out.nextCursor } : {}) }, 200);
  },
);

hubspotRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}/hubdb/tables/{table}',
    tags: ['HubDB'],
    summary: 'Get a HubDB table (by id or name)',
    security: bearerSecurity,
    request: { params: z.object({ id: Id, table: Table }) },
    responses: { 200: json(TableSchema, 'The table'), ...errors(404, 409, 429, 502, 503) },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const { id, table } = c.req.valid('param');
    const out = await connections.withToken(
      tenantOf(c.get('principal')),
      id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).getTable(table),
      { provider: 'hubspot' },
    );
    return c.json(out, 200);
  },
);

const reserved = new Set(['limit', 'cursor', 'sort', 'properties']);
const filterKey =
  /^[A-Za-z0-9_]{1,100}(__(eq|ne|lt|lte|gt|gte|is_null|not_null|like|not_like|contains|icontains|startswith|in|not_in))?$/;

/** HubSpot's own row query: `col__op=value` filters, `sort`, `properties`, paging. */
function rowQuery(url: string): { query: URLSearchParams; limit?: number } {
  const params = new URL(url).searchParams;
  const query = new URLSearchParams();
  for (const [k, v] of params) {
    if (k === 'cursor') {
      if (v) query.set('after', v);
      continue;
    }
    if (k === 'limit') continue;
    if (!reserved.has(k) && !filterKey.test(k))
      throw invalidRequest(`"${k.slice(0, 100)}" is not a HubDB filter (column__operator).`);
    if (v.length > 1000) throw invalidRequest(`The value of ${k} is too long.`);
    query.append(k, v);
  }
  return { query };
}

hubspotRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}/hubdb/tables/{table}/rows',
    tags: ['HubDB'],
    summary: 'List rows',
    description:
      'Filters and `sort` pass through with HubSpot\'s syntax: `?name__contains=shoe&price__gt=10&sort=-price`. With `Accept: application/x-ndjson` every row of every page is streamed, one JSON object a line; a failure mid-stream ends with a line `{"error": {code, detail}}`.',
    security: bearerSecurity,
    request: {
      params: z.object({ id: Id, table: Table }),
      query: z
        .object({
          limit: Limit.openapi({ param: { name: 'limit', in: 'query' } }),
          cursor: Cursor.openapi({ param: { name: 'cursor', in: 'query' } }),
          sort: z
            .string()
            .max(200)
            .optional()
            .openapi({ param: { name: 'sort', in: 'query' } }),
          properties: z
            .string()
            .max(2000)
            .optional()
            .openapi({ param: { name: 'properties', in: 'query' } }),
        })
        .passthrough(),
    },
    responses: {
      200: {
        description: 'A page of rows (or an NDJSON stream of all rows)',
        content: {
          'application/json': {
            schema: z.object({ rows: z.array(RowSchema), nextCursor: z.string().optional() }),
          },
          'application/x-ndjson': { schema: RowSchema },
        },
      },
      ...errors(404, 409, 429, 502, 503),
    },
  }),
  async (c) => {
    const { connections, config, log } = c.get('services');
    const { id, table } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    const { query } = rowQuery(c.req.url);
    const tenantId = tenantOf(c.get('principal'));
    if (wantsNdjson(c.req.header('accept'))) {
      query.delete('after');
      query.set('limit', '1000');
      async function* all() {
        let after: string | undefined;
        do {
          if (after) query.set('after', after);
          const page = await connections.withToken(
            tenantId,
            id,
            (token) => hubdb(config.endpoints.hubspot.apiUrl, token).listRows(table, query),
            { provider: 'hubspot' },
          );
          yield* page.rows;
          after = page.nextCursor;
        } while (after);
      }
      return ndjsonResponse(all(), log, c.get('requestId')) as never;
    }
    query.set('limit', String(limit ?? 100));
    const out = await connections.withToken(
      tenantId,
      id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).listRows(table, query),
      { provider: 'hubspot' },
    );
    return c.json({ rows: out.rows, ...(out.nextCursor ? { nextCursor: out.nextCursor } : {}) }, 200);
  },
);

hubspotRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}/hubdb/tables/{table}/rows/{rowId}',
    tags: ['HubDB'],
    summary: 'Get a row',
    security: bearerSecurity,
    request: { params: z.object({ id: Id, table: Table, rowId: RowId }) },
    responses: { 200: json(RowSchema, 'The row'), ...errors(404, 409, 429, 502, 503) },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const { id, table, rowId } = c.req.valid('param');
    const row = await connections.withToken(
      tenantOf(c.get('principal')),
      id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).getRow(table, rowId),
      { provider: 'hubspot' },
    );
    return c.json(row, 200);
  },
);

hubspotRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/connections/{id}/hubdb/tables/{table}/rows',
    tags: ['HubDB'],
    summary: 'Add a draft row',
    description: 'Changes go to the draft table; publish to make them live.',
    security: bearerSecurity,
    request: {
      params: z.object({ id: Id, table: Table }),
      body: { content: { 'application/json': { schema: Values } }, required: true },
    },
    responses: { 201: json(RowSchema, 'The draft row'), ...errors(404, 409, 413, 429, 502, 503) },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const { id, table } = c.req.valid('param');
    const { values } = c.req.valid('json');
    const row = await connections.withToken(
      tenantOf(c.get('principal')),
      id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).createRow(table, values),
      { provider: 'hubspot' },
    );
    return c.json(row, 201);
  },
);

hubspotRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/v1/connections/{id}/hubdb/tables/{table}/rows/{rowId}',
    tags: ['HubDB'],
    summary: 'Update a draft row',
    security: bearerSecurity,
    request: {
      params: z.object({ id: Id, table: Table, rowId: RowId }),
      body: { content: { 'application/json': { schema: Values } }, required: true },
    },
    responses: { 200: json(RowSchema, 'The draft row'), ...errors(404, 409, 413, 429, 502, 503) },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const { id, table, rowId } = c.req.valid('param');
    const { values } = c.req.valid('json');
    const row = await connections.withToken(
      tenantOf(c.get('principal')),
      id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).updateRow(table, rowId, values),
      { provider: 'hubspot' },
    );
    return c.json(row, 200);
  },
);

hubspotRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/connections/{id}/hubdb/tables/{table}/rows/{rowId}',
    tags: ['HubDB'],
    summary: 'Delete a draft row',
    security: bearerSecurity,
    request: { params: z.object({ id: Id, table: Table, rowId: RowId }) },
    responses: { 204: { description: 'Deleted from the draft' }, ...errors(404, 409, 429, 502, 503) },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const { id, table, rowId } = c.req.valid('param');
    await connections.withToken(
      tenantOf(c.get('principal')),
      id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).deleteRow(table, rowId),
      { provider: 'hubspot' },
    );
    return c.body(null, 204);
  },
);

hubspotRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/connections/{id}/hubdb/tables/{table}/publish',
    tags: ['HubDB'],
    summary: 'Publish the draft table',
    security: bearerSecurity,
    request: { params: z.object({ id: Id, table: Table }) },
    responses: { 200: json(TableSchema, 'The published table'), ...errors(404, 409, 429, 502, 503) },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const { id, table } = c.req.valid('param');
    const out = await connections.withToken(
      tenantOf(c.get('principal')),
      id,
      (token) => hubdb(config.endpoints.hubspot.apiUrl, token).publish(table),
      { provider: 'hubspot' },
    );
    return c.json(out, 200);
  },
);
