import * as z from 'zod/mini';
import type { AvroTableFile, ByteSource, TableByteSource } from '../../avro/index.js';
import { conflict, invalidRequest, PorticoError, unprocessable } from '../../errors.js';
import { sha256Hex } from '../../ids.js';
import { checkPath, type DropboxEntry, downloadedVersion } from '../../providers/dropbox/api.js';
import { dropbox } from '../../providers/dropbox/provider.js';
import { bodyReadError } from '../../providers/read.js';
import type { ConnectionRecord } from '../../store/items.js';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { ndjsonLinesResponse, wantsNdjson } from '../ndjson.js';
import { Api } from '../openapi.js';
import { doc, lazySchema, NextCursor, named, PathId } from '../schemas.js';

const PathQuery = lazySchema(() => doc(z.string().check(z.maxLength(4096)), { example: '/data/users.avro' }));
const EntrySchema = lazySchema(() =>
  named(
    z.object({
      type: z.enum(['file', 'folder']),
      id: z.string(),
      name: z.string(),
      path: z.string(),
      size: z.optional(z.number()),
      modifiedAt: z.optional(z.string()),
      contentHash: doc(z.optional(z.string()), {
        description: "Dropbox's content hash (SHA-256 of 4 MiB block digests)",
      }),
      rev: doc(z.optional(z.string()), {
        description: "A file's revision: a new one every time it is saved",
      }),
      downloadable: doc(z.optional(z.literal(false)), {
        description:
          'Present (false) for files with no bytes of their own (Google Docs, Paper): downloading one answers 422.',
      }),
    }),
    'DropboxEntry',
    {
      description: 'A file or folder in the connected Dropbox.',
      example: {
        type: 'file',
        id: 'id:a4ayc_80_OEAAAAAAAAAXw',
        name: 'users.avro',
        path: '/data/users.avro',
        size: 1048576,
        modifiedAt: '2026-12-01T09:30:00.000Z',
        contentHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
    },
  ),
);
const EntryPage = lazySchema(() =>
  named(
    z.object({ entries: z.array(EntrySchema()), nextCursor: z.optional(NextCursor()) }),
    'DropboxEntryPage',
  ),
);
const TemporaryLink = lazySchema(() =>
  named(
    z.object({ link: z.string(), expiresAt: z.string(), size: z.optional(z.number()) }),
    'DropboxTemporaryLink',
  ),
);
const AvroPage = lazySchema(() =>
  named(
    z.object({
      schema: doc(z.unknown(), { description: "The file's Avro writer schema (JSON)" }),
      rows: doc(z.array(z.unknown()), { description: 'Decoded rows (records as JSON objects)' }),
      scanned: doc(z.number(), {
        description: 'Rows read to make this page (more than `rows` when `where=` filters)',
      }),
      nextCursor: z.optional(NextCursor()),
    }),
    'AvroPage',
    {
      description: 'A page of rows decoded from an Avro object container file.',
      example: {
        schema: {
          type: 'record',
          name: 'User',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'name', type: 'string' },
          ],
        },
        rows: [{ id: 1, name: 'Ada' }],
        scanned: 1,
        nextCursor: 'b:4:1024',
      },
    },
  ),
);
const AvroStreamLine = lazySchema(() =>
  doc(z.unknown(), {
    description:
      'A line of the NDJSON stream: the first is `{"schema": …}`, then one decoded row a line; damage met mid-stream ends it with `{"error": {"code", "detail"}}`.',
  }),
);
const problems = [404, 409, 422, 429, 502, 503];

/**
 * The body of a download as an async iterable; stopping early cancels the download. A download
 * that breaks off throws `provider_unavailable`, never passing for the end of the file.
 */
async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((err: unknown) => {
        throw bodyReadError(err);
      });
      if (done) return;
      if (value?.length) yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * The Avro decoder (lib/avro, a sixth of the Lambda bundle), loaded by the Avro routes on their
 * first request: in Lambda a chunk of its own beside the bundle, so a cold start that serves no
 * Avro neither parses nor runs it.
 */
let avroModule: typeof import('../../avro/index.js') | undefined;
const loadAvro = async () => {
  avroModule ??= await import('../../avro/index.js');
  return avroModule;
};

function avroError(err: unknown): unknown {
  // An Avro error comes from the decoder, so it has loaded.
  if (!avroModule) return err;
  const { AvroCursorError, AvroFormatError, AvroQueryError, AvroTableChanged, AvroTableMismatch } =
    avroModule;
  if (err instanceof AvroFormatError) return unprocessable(`Not a readable Avro file: ${err.message}`);
  if (err instanceof AvroCursorError) return invalidRequest(`The cursor is not valid: ${err.message}`);
  if (err instanceof AvroQueryError) {
    return invalidRequest(`${err.parameter}: ${err.message}`, {
      parameter: err.parameter,
      position: err.position,
    });
  }
  if (err instanceof AvroTableMismatch) {
    return new PorticoError('invalid_request', err.message, {
      reason: 'unprocessable',
      extra: { file: err.file },
    });
  }
  if (err instanceof AvroTableChanged) return conflict(`${err.message}; start again without a cursor.`);
  return err;
}

/**
 * An Avro page cursor pinned to the file and revision it began with: `<file>.<rev>.<position>`.
 * A cursor without them (issued before pinning) resumes unpinned.
 */
function pinnedCursor(cursor: string | undefined): { rev?: { file: string; rev: string }; cursor?: string } {
  if (!cursor) return {};
  const m = /^([0-9a-f]{12})\.([0-9a-f]{9,64})\.(.+)$/.exec(cursor);
  return m?.[1] && m[2] ? { rev: { file: m[1], rev: m[2] }, cursor: m[3] } : { cursor };
}

/** A short stand-in for a Dropbox file id in cursors (ids are long and not secret, just bulky). */
function fileTag(id: string): string {
  return sha256Hex(id).slice(0, 12);
}

/**
 * In a deployment whose streamed answers are bounded (Lambda: 200 MB), an NDJSON stream of every
 * field of more Avro bytes than that cannot arrive whole: it is refused before any row is read,
 * naming the routes that can carry it (cursor pages, or fewer fields).
 */
function refuseUnstreamable(maxStreamBytes: number | undefined, avroBytes: number | undefined): void {
  if (maxStreamBytes === undefined || avroBytes === undefined || avroBytes <= maxStreamBytes) return;
  throw new PorticoError(
    'payload_too_large',
    `These Avro files hold ${avroBytes} bytes; as NDJSON with every field they make more than the ${maxStreamBytes} bytes one streamed answer of this deployment carries. Read them in cursor pages (without Accept: application/x-ndjson), or select fields (fields=) or rows (where=).`,
    { extra: { sizeBytes: avroBytes, limitBytes: maxStreamBytes } },
  );
}

export const dropboxRoutes = new Hono<AppEnv>();
export const dropboxApi = new Api(dropboxRoutes);

/**
 * The Dropbox client for a connection's token. A team-space member's calls name the team's root
 * namespace; when Dropbox refuses it, the client re-reads it and the connection keeps the new one.
 */
const client = (
  c: { get(k: 'services'): AppEnv['Variables']['services'] },
  token: string,
  connection: ConnectionRecord,
) => {
  const { config, connections, log } = c.get('services');
  return dropbox.client(config.endpoints.dropbox, token, {
    rootNamespaceId: connection.rootNamespaceId,
    onRootChange: (root) => {
      connections
        .setRootNamespace(connection.tenantId, connection.id, root)
        .catch((err) => log.warn('could not record the Dropbox root namespace', { err }));
    },
  });
};

dropboxApi.route(
  'get',
  '/v1/connections/{id}/dropbox/files',
  () => ({
    operationId: 'listDropboxFiles',
    tags: ['Dropbox'],
    summary: 'List a folder',
    description: '`path` is `""` or omitted for the root. Deleted entries are left out.',
    params: z.object({ id: PathId() }),
    query: z.object({
      path: z.optional(PathQuery()),
      recursive: z.optional(z.enum(['true', 'false'])),
      cursor: z.optional(z.string().check(z.maxLength(4096))),
    }),
    responses: {
      200: {
        description: 'A page of entries',
        schema: EntryPage(),
      },
    },
    errors: problems,
  }),
  async (c, { params, query }) => {
    const path = checkPath(query.path ?? '', true);
    const out = await c
      .get('services')
      .connections.withToken(
        tenantOf(c.get('principal')),
        params.id,
        async (token, connection) =>
          (await client(c, token, connection)).listFolder(
            path,
            query.recursive === 'true',
            query.cursor || undefined,
          ),
        { provider: 'dropbox' },
      );
    return c.json({ entries: out.entries, ...(out.nextCursor ? { nextCursor: out.nextCursor } : {}) }, 200);
  },
);

dropboxApi.route(
  'get',
  '/v1/connections/{id}/dropbox/content',
  () => ({
    operationId: 'downloadDropboxFile',
    tags: ['Dropbox'],
    summary: "Download a file's bytes",
    description:
      'Streamed as it downloads, with `Content-Length`. With `link=true`, answers `{link, expiresAt, size}` instead: a Dropbox temporary link that opens the bytes without a token for four hours (for files larger than one answer may carry).',
    params: z.object({ id: PathId() }),
    query: z.object({ path: PathQuery(), link: z.optional(z.enum(['true', 'false'])) }),
    responses: {
      200: {
        description: 'The bytes (or, with `link=true`, a temporary link)',
        schema: z.string(),
        contentType: 'application/octet-stream',
        also: {
          'application/json': TemporaryLink(),
        },
      },
    },
    errors: problems,
  }),
  async (c, { params, query }) => {
    const path = checkPath(query.path, false);
    if (query.link === 'true') {
      const asked = Date.now();
      const out = await c
        .get('services')
        .connections.withToken(
          tenantOf(c.get('principal')),
          params.id,
          async (token, connection) => (await client(c, token, connection)).temporaryLink(path),
          {
            provider: 'dropbox',
          },
        );
      const expiresAt = new Date(asked + 4 * 60 * 60 * 1000).toISOString();
      c.header('cache-control', 'no-store');
      return c.json(
        { link: out.link, expiresAt, ...(out.size !== undefined ? { size: out.size } : {}) },
        200,
      );
    }
    const res = await c
      .get('services')
      .connections.withToken(
        tenantOf(c.get('principal')),
        params.id,
        async (token, connection) => (await client(c, token, connection)).download(path),
        {
          provider: 'dropbox',
        },
      );
    const name = path.split('/').pop() ?? 'file';
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
      'x-content-type-options': 'nosniff',
      // One tenant's file under its key: no cache may keep it (the provider's own headers are not passed).
      'cache-control': 'no-store',
    };
    const length = res.headers.get('content-length');
    if (length) headers['content-length'] = length;
    return new Response(res.body, { status: 200, headers });
  },
);

type DropboxClient = Awaited<ReturnType<typeof client>>;

/** Most Avro files one table may hold: listing more would take longer than a request should. */
const MAX_TABLE_FILES = 20_000;

const isAvroFile = (entry: DropboxEntry) =>
  entry.type === 'file' && entry.downloadable !== false && /\.avro$/i.test(entry.name);

/** The folder part of a path, lower-cased as Dropbox compares paths. */
const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/')).toLowerCase();

/**
 * The files of a table: the one file `path` names, or the `.avro` files in the folder (and its
 * subfolders with `recursive`), by folder then name. Listed once per request, whatever the number
 * of files or pages read.
 */
async function tableFiles(api: DropboxClient, path: string, recursive: boolean): Promise<AvroTableFile[]> {
  const entry = await api.getMetadata(path);
  const table = (e: DropboxEntry): AvroTableFile => ({
    id: e.id,
    rev: e.rev ?? '',
    path: e.path,
    ...(e.size === undefined ? {} : { size: e.size }),
  });
  if (entry.type === 'file') return [table(entry)];
  const found: DropboxEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listFolder(path, recursive, cursor);
    for (const e of page.entries) if (isAvroFile(e)) found.push(e);
    if (found.length > MAX_TABLE_FILES) {
      throw unprocessable(`The folder holds more than ${MAX_TABLE_FILES} Avro files: read a subfolder.`);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const order = (a: DropboxEntry, b: DropboxEntry) => {
    const fa = folderOf(a.path);
    const fb = folderOf(b.path);
    if (fa !== fb) return fa < fb ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
  return found.sort(order).map(table);
}

/**
 * Downloads of a table's files, by id, each checked to be the revision the listing named: a file
 * saved since answers 409 instead of mixing versions.
 */
function tableSource(api: DropboxClient): TableByteSource {
  return async (file, offset) => {
    const res = await api.download(file.id, { offset });
    const got = downloadedVersion(res);
    if (got !== undefined && file.rev !== '' && got.rev !== file.rev) {
      await res.body?.cancel().catch(() => {});
      const { AvroTableChanged } = await loadAvro();
      throw new AvroTableChanged(`${file.path} changed while it was read`);
    }
    return bodyChunks(res);
  };
}

/** Whether a cursor is a table cursor (JSON with `v: 2`) rather than a single file's. */
function isTableCursor(cursor: string | undefined): boolean {
  if (!cursor || !/^[A-Za-z0-9_-]+$/.test(cursor)) return false;
  try {
    return (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown }).v === 2;
  } catch {
    return false;
  }
}

const TABLE_DESCRIPTION = [
  '`path` names an Avro object container file or a folder: a folder reads every `.avro` file in it (`recursive=true`: and in its subfolders) as one table, ordered by folder then name.',
  "Files whose writer schemas are the same as the last file's, or resolve to it by Avro's schema-resolution rules (added fields with defaults, promoted numbers int→long→float→double, string↔bytes, unions, enum symbols, renamed fields by alias), form the table with that schema; the first file that does not fit answers `422` with its path in `file`.",
  '`fields=a,b.c` returns only those fields (dot paths into nested records); the others are skipped in the bytes without being decoded.',
  "`where=` keeps the rows an expression holds for: comparisons `=`, `!=`, `<`, `<=`, `>`, `>=`, `in (…)`, `like` (`%` for any run of characters), `is null`, `is not null`, `and`, `or`, `not`, parentheses; strings in single quotes (`country = 'DE'`), field names bare or in double quotes, numbers, `true`, `false`. A comparison with a null value is unknown and keeps no row. A mistake answers `400 invalid_request` with the `parameter` and `position`.",
  'Example: `?path=/exports/events/2026-11&recursive=true&fields=event_id,user_id,amount&where=country%20%3D%20%27DE%27`.',
  'Paged: `{schema, rows, scanned, nextCursor?}` (`limit` 1-1000, default 100): `scanned` counts the rows read for the page, kept or not; a page also ends after 200,000 rows read or 64 files opened, so a selective filter can answer few rows and a cursor. A cursor names the file (id and revision), block and row it resumes at; if a file was added, removed or changed since, it answers `409 conflict`.',
  'With `Accept: application/x-ndjson`: the first line is `{"schema": …}`, then one row a line; damage met mid-stream ends it with `{"error": {"code": "invalid_request", "detail": …}}`.',
  'Values: `long` beyond ±(2^53−1) as decimal strings; `bytes`/`fixed` as base64; enums as symbols; unions as the plain value; timestamps as ISO-8601, `date` as YYYY-MM-DD, `decimal` as a decimal string.',
  'A file that is not Avro, or is truncated or corrupt, answers `422 invalid_request` (in paged mode, on the page that reaches the damage).',
].join(' ');

const TableQuery = lazySchema(() => ({
  recursive: z.optional(z.enum(['true', 'false'])),
  fields: doc(z.optional(z.string().check(z.maxLength(4096))), { example: 'event_id,user_id,device.os' }),
  where: doc(z.optional(z.string().check(z.maxLength(4096))), { example: "country = 'DE' and amount > 10" }),
}));

dropboxApi.route(
  'get',
  '/v1/connections/{id}/dropbox/avro',
  () => ({
    operationId: 'readDropboxAvro',
    tags: ['Dropbox'],
    summary: 'Read an Avro file, or a folder of them as one table, as rows',
    description: TABLE_DESCRIPTION,
    params: z.object({ id: PathId() }),
    query: z.object({
      path: PathQuery(),
      ...TableQuery(),
      limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000))),
      cursor: z.optional(z.string().check(z.maxLength(2048))),
    }),
    responses: {
      200: {
        description: 'A page of rows (or an NDJSON stream of all rows)',
        schema: AvroPage(),
        ndjson: AvroStreamLine(),
      },
    },
    errors: [400, ...problems],
  }),
  async (c, { params, query }) => {
    const { decodeAvroNdjson, readAvroPage, readAvroTablePage, streamAvroTableNdjson } = await loadAvro();
    const { connections, log } = c.get('services');
    const path = checkPath(query.path, false);
    const tenantId = tenantOf(c.get('principal'));
    const cursor = query.cursor || undefined;
    const asTable =
      query.fields !== undefined ||
      query.where !== undefined ||
      query.recursive !== undefined ||
      isTableCursor(cursor);
    const ndjson = wantsNdjson(c.req.header('accept'));

    const tableAnswer = async (api: DropboxClient, files: AvroTableFile[]) => {
      const tableQuery = {
        files,
        open: tableSource(api),
        ...(query.fields === undefined ? {} : { fields: query.fields }),
        ...(query.where === undefined ? {} : { where: query.where }),
      };
      if (ndjson) {
        if (query.fields === undefined && query.where === undefined) {
          const sizes = files.map((f) => f.size);
          const known = sizes.every((n) => n !== undefined);
          refuseUnstreamable(
            c.get('services').config.maxStreamBytes,
            known ? sizes.reduce((a, n) => (a ?? 0) + (n ?? 0), 0) : undefined,
          );
        }
        return ndjsonLinesResponse(streamAvroTableNdjson(tableQuery), log, c.get('requestId'), {
          mapError: avroError,
        });
      }
      const page = await readAvroTablePage({ ...tableQuery, limit: query.limit ?? 100, cursor });
      return c.json(
        {
          schema: page.schema,
          rows: page.rows,
          scanned: page.scanned,
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        },
        200,
      );
    };

    try {
      const table = await connections.withToken(
        tenantId,
        params.id,
        async (token, connection) => {
          const api = await client(c, token, connection);
          if (asTable) return tableAnswer(api, await tableFiles(api, path, query.recursive === 'true'));
          // A `rev:` path names a file's revision, never a folder.
          if (path.startsWith('rev:')) return undefined;
          const entry = await api.getMetadata(path);
          if (entry.type === 'folder') return tableAnswer(api, await tableFiles(api, path, false));
          return undefined;
        },
        { provider: 'dropbox' },
      );
      if (table !== undefined) return table;
    } catch (err) {
      throw avroError(err);
    }

    // One file, read as before this route knew tables.
    if (ndjson) {
      const res = await connections.withToken(
        tenantId,
        params.id,
        async (token, connection) => (await client(c, token, connection)).download(path),
        {
          provider: 'dropbox',
        },
      );
      const length = Number(res.headers.get('content-length'));
      try {
        refuseUnstreamable(
          c.get('services').config.maxStreamBytes,
          Number.isFinite(length) ? length : undefined,
        );
      } catch (err) {
        await res.body?.cancel().catch(() => undefined);
        throw err;
      }
      return ndjsonLinesResponse(decodeAvroNdjson(bodyChunks(res)), log, c.get('requestId'), {
        mapError: avroError,
      });
    }

    const resumed = pinnedCursor(cursor);
    try {
      const { page, rev } = await connections.withToken(
        tenantId,
        params.id,
        async (token, connection) => {
          // Every read of this page, and of the pages its cursor resumes, must see the same revision.
          let rev = resumed.rev;
          const open: ByteSource = async (offset) => {
            const res = await (await client(c, token, connection)).download(path, { offset });
            const got = downloadedVersion(res);
            const mismatch =
              got && rev && (fileTag(got.id) !== rev.file ? 'file' : got.rev !== rev.rev ? 'rev' : undefined);
            if (mismatch) {
              await res.body?.cancel().catch(() => {});
              throw mismatch === 'file'
                ? invalidRequest('The cursor is not valid: it belongs to another file.')
                : conflict('The file changed; start again without a cursor.');
            }
            rev ??= got && { file: fileTag(got.id), rev: got.rev };
            return bodyChunks(res);
          };
          const page = await readAvroPage(open, { limit: query.limit ?? 100, cursor: resumed.cursor });
          return { page, rev };
        },
        { provider: 'dropbox' },
      );
      const nextCursor =
        page.nextCursor && (rev ? `${rev.file}.${rev.rev}.${page.nextCursor}` : page.nextCursor);
      return c.json(
        {
          schema: page.schema,
          rows: page.rows,
          scanned: page.rows.length,
          ...(nextCursor ? { nextCursor } : {}),
        },
        200,
      );
    } catch (err) {
      throw avroError(err);
    }
  },
);

dropboxApi.route(
  'get',
  '/v1/connections/{id}/dropbox/avro/schema',
  () => ({
    operationId: 'getDropboxAvroSchema',
    tags: ['Dropbox'],
    summary: 'The schema of an Avro file or folder table, and its files',
    description: [
      "The table's schema (the last file's writer schema, which every file must resolve to: see `GET …/dropbox/avro`) and its files in table order, each with `rows` counted from its blocks' headers without decoding a row.",
      "Counting passes over the files' bytes (256 MiB in all at most); files past that have no `rows`. A file that does not fit answers `422` naming it in `file`.",
    ].join(' '),
    params: z.object({ id: PathId() }),
    query: z.object({ path: PathQuery(), recursive: TableQuery().recursive }),
    responses: {
      200: {
        description: 'The schema and the files',
        schema: z.object({
          schema: z.unknown(),
          files: z.array(
            z.object({
              path: z.string(),
              id: z.string(),
              rev: z.string(),
              size: z.optional(z.number()),
              rows: z.optional(z.number()),
            }),
          ),
        }),
      },
    },
    errors: problems,
  }),
  async (c, { params, query }) => {
    const { describeAvroTable } = await loadAvro();
    const path = checkPath(query.path, false);
    try {
      const described = await c.get('services').connections.withToken(
        tenantOf(c.get('principal')),
        params.id,
        async (token, connection) => {
          const api = await client(c, token, connection);
          const files = await tableFiles(api, path, query.recursive === 'true');
          return describeAvroTable({ files, open: tableSource(api) });
        },
        { provider: 'dropbox' },
      );
      return c.json(described, 200);
    } catch (err) {
      throw avroError(err);
    }
  },
);
