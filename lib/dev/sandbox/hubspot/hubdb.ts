import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { SandboxState } from '../common/state.js';
import type { HubspotEnv } from './auth.js';
import { hubspotJson, notFound, validationError } from './errors.js';
import {
  encodeAfter,
  parseLimit,
  parseRowQuery,
  parseStart,
  runRowQuery,
  selectProperties,
} from './hubdb-query.js';
import { type HubDb, type HubDbRow, type HubDbTable, rowJson, tableJson } from './hubdb-store.js';

type HubDbContext = Context<HubspotEnv>;

const rowInput = z.object({
  values: z.record(z.string(), z.unknown()).optional(),
  path: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  childTableId: z.union([z.string(), z.number()]).optional(),
  displayIndex: z.number().optional(),
});

/**
 * The URL the client asked for. Under `app.mount('/sandbox', …)` Hono hands the sandbox a
 * request with the prefix cut off; on Node the raw request line is still in the server's
 * bindings (`env.incoming`), so links keep the prefix however the sandbox is mounted.
 */
export function requestedUrl(c: Context): URL {
  const url = new URL(c.req.url);
  const incoming = (c.env as { incoming?: { url?: unknown } } | undefined)?.incoming;
  return typeof incoming?.url === 'string' && incoming.url.startsWith('/')
    ? new URL(incoming.url, url.origin)
    : url;
}

/** Absolute link to the next page: the request's own URL with `after` (or `offset`) replaced. */
function nextLink(c: HubDbContext, next: { after: string } | { offset: number }): string {
  const url = requestedUrl(c);
  url.searchParams.delete('offset');
  url.searchParams.delete('after');
  if ('after' in next) url.searchParams.set('after', next.after);
  else url.searchParams.set('offset', String(next.offset));
  return url.toString();
}

function tableNotFound(idOrName: string): Response {
  return notFound(`Could not find table with id or name: ${idOrName}`);
}

function rowNotFound(table: HubDbTable, rowId: string): Response {
  return notFound(`Could not find row ${rowId} in table ${table.id}`);
}

async function readRowInput(c: HubDbContext): Promise<z.infer<typeof rowInput> | Response> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return validationError('Invalid input JSON: the request body must be a JSON object');
  }
  const parsed = rowInput.safeParse(json);
  if (!parsed.success)
    return validationError(`Invalid input JSON: ${parsed.error.issues[0]?.message ?? 'bad body'}`);
  return parsed.data;
}

/**
 * HubDB 2026-03 (`/cms/hubdb/2026-03`, the shapes of v3): tables (published and draft versions), rows with
 * filters/sort/paging, and draft row writes that `draft/publish` makes live.
 * Needs the caller set by `hubspotAuth(state, 'hubdb')`.
 */
export function hubdbRoutes(state: SandboxState): Hono<HubspotEnv> {
  const app = new Hono<HubspotEnv>();
  const db = (c: HubDbContext): HubDb => state.hubdb(c.get('caller').identity.hubId);

  /** Runs a handler with the table named in the path, or answers 404. */
  const withTable =
    (fn: (c: HubDbContext, table: HubDbTable, hubdb: HubDb) => Response | Promise<Response>) =>
    (c: HubDbContext) => {
      const hubdb = db(c);
      const idOrName = c.req.param('table') ?? '';
      const table = hubdb.find(idOrName);
      return table ? fn(c, table, hubdb) : tableNotFound(idOrName);
    };

  app.get('/tables', (c) => {
    const limit = parseLimit(c.req.query('limit'), 1000, 1000);
    if (typeof limit === 'object') return validationError(limit.error);
    const start = parseStart(c.req.query('after'), c.req.query('offset'));
    if (typeof start === 'object') return validationError(start.error);
    const sort = c.req.query('sort') ?? '';
    const desc = sort.startsWith('-');
    const key = (desc ? sort.slice(1) : sort) as 'name' | 'label' | 'createdAt' | 'updatedAt' | 'id' | '';
    const tables = [...db(c).tables];
    if (key) {
      if (!['name', 'label', 'createdAt', 'updatedAt', 'id'].includes(key)) {
        return validationError(`Cannot sort tables by ${key}`);
      }
      tables.sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0) * (desc ? -1 : 1));
    }
    const page = tables.slice(start, start + limit);
    const end = start + page.length;
    const after = end < tables.length ? encodeAfter(end) : undefined;
    return hubspotJson(200, {
      total: tables.length,
      results: page.map((t) => tableJson(t, 'published')),
      ...(after ? { paging: { next: { after, link: nextLink(c, { after }) } } } : {}),
    });
  });

  app.get(
    '/tables/:table',
    withTable((_c, table) => hubspotJson(200, tableJson(table, 'published'))),
  );
  app.get(
    '/tables/:table/draft',
    withTable((_c, table) => hubspotJson(200, tableJson(table, 'draft'))),
  );

  const listRows = (version: 'published' | 'draft') =>
    withTable((c, table) => {
      const query = parseRowQuery(new URL(c.req.url).searchParams, table);
      if ('error' in query) return validationError(query.error);
      const rows = version === 'published' ? table.published : table.draft;
      const { total, page, nextOffset } = runRowQuery(rows, table, query);
      const results = page.map((row) => rowJson(selectProperties(row, query.properties)));
      if (table.paging === 'RANDOM_ACCESS') {
        const next = nextOffset === undefined ? undefined : { offset: nextOffset };
        return hubspotJson(200, {
          type: 'RANDOM_ACCESS',
          total,
          results,
          ...(next ? { paging: { next: { ...next, link: nextLink(c, next) } } } : {}),
        });
      }
      const next = nextOffset === undefined ? undefined : { after: encodeAfter(nextOffset) };
      return hubspotJson(200, {
        type: 'STREAMING',
        total,
        results,
        ...(next ? { paging: { next: { ...next, link: nextLink(c, next) } } } : {}),
      });
    });
  app.get('/tables/:table/rows', listRows('published'));
  app.get('/tables/:table/rows/draft', listRows('draft'));

  const oneRow = (version: 'published' | 'draft') =>
    withTable((c, table) => {
      const rowId = c.req.param('rowId') ?? '';
      const rows: HubDbRow[] = version === 'published' ? table.published : table.draft;
      const row = rows.find((r) => r.id === rowId);
      return row ? hubspotJson(200, rowJson(row)) : rowNotFound(table, rowId);
    });
  app.get('/tables/:table/rows/:rowId', oneRow('published'));
  app.get('/tables/:table/rows/:rowId/draft', oneRow('draft'));

  app.post(
    '/tables/:table/rows',
    withTable(async (c, table, hubdb) => {
      const input = await readRowInput(c);
      if (input instanceof Response) return input;
      const row = hubdb.createRow(table, input);
      return 'error' in row ? validationError(row.error) : hubspotJson(201, rowJson(row));
    }),
  );

  const writeRow = (replace: boolean) =>
    withTable(async (c, table, hubdb) => {
      const rowId = c.req.param('rowId') ?? '';
      const input = await readRowInput(c);
      if (input instanceof Response) return input;
      const row = hubdb.updateRow(table, rowId, input, replace);
      if (!row) return rowNotFound(table, rowId);
      return 'error' in row ? validationError(row.error) : hubspotJson(200, rowJson(row));
    });
  app.patch('/tables/:table/rows/:rowId/draft', writeRow(false));
  app.put('/tables/:table/rows/:rowId/draft', writeRow(true));

  app.delete(
    '/tables/:table/rows/:rowId/draft',
    withTable((c, table, hubdb) => {
      const rowId = c.req.param('rowId') ?? '';
      return hubdb.deleteRow(table, rowId) ? c.body(null, 204) : rowNotFound(table, rowId);
    }),
  );

  app.post(
    '/tables/:table/draft/publish',
    withTable((_c, table, hubdb) => {
      hubdb.publish(table);
      return hubspotJson(200, tableJson(table, 'published'));
    }),
  );

  return app;
}
