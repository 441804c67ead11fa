import { Hono } from 'hono';
import * as z from 'zod/mini';
import {
  AvroCursorError,
  AvroFormatError,
  type ByteSource,
  decodeAvro,
  readAvroPage,
} from '../../avro/index.js';
import { conflict, invalidRequest, unprocessable } from '../../errors.js';
import { sha256Hex } from '../../ids.js';
import { checkPath, downloadedVersion } from '../../providers/dropbox/api.js';
import { dropbox } from '../../providers/dropbox/provider.js';
import { bodyReadError } from '../../providers/http.js';
import type { ConnectionRecord } from '../../store/items.js';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { ndjsonResponse, wantsNdjson } from '../ndjson.js';
import { Api } from '../openapi.js';
import { doc, PathId } from '../schemas.js';

const PathQuery = doc(z.string().check(z.maxLength(4096)), { example: '/data/users.avro' });
const EntrySchema = z.object({
  type: z.enum(['file', 'folder']),
  id: z.string(),
  name: z.string(),
  path: z.string(),
  size: z.optional(z.number()),
  modifiedAt: z.optional(z.string()),
  contentHash: doc(z.optional(z.string()), {
    description: "Dropbox's content hash (SHA-256 of 4 MiB block digests)",
  }),
  downloadable: doc(z.optional(z.literal(false)), {
    description:
      'Present (false) for files with no bytes of their own (Google Docs, Paper): downloading one answers 422.',
  }),
});
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

function avroError(err: unknown): unknown {
  if (err instanceof AvroFormatError) return unprocessable(`Not a readable Avro file: ${err.message}`);
  if (err instanceof AvroCursorError) return invalidRequest(`The cursor is not valid: ${err.message}`);
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
  {
    method: 'get',
    path: '/v1/connections/{id}/dropbox/files',
    tags: ['Dropbox'],
    summary: 'List a folder',
    description: '`path` is `""` or omitted for the root. Deleted entries are left out.',
    params: z.object({ id: PathId }),
    query: z.object({
      path: z.optional(PathQuery),
      recursive: z.optional(z.enum(['true', 'false'])),
      cursor: z.optional(z.string().check(z.maxLength(4096))),
    }),
    responses: {
      200: {
        description: 'A page of entries',
        schema: z.object({ entries: z.array(EntrySchema), nextCursor: z.optional(z.string()) }),
      },
    },
    errors: problems,
  },
  async (c, { params, query }) => {
    const path = checkPath(query.path ?? '', true);
    const out = await c
      .get('services')
      .connections.withToken(
        tenantOf(c.get('principal')),
        params.id,
        (token, connection) =>
          client(c, token, connection).listFolder(
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
  {
    method: 'get',
    path: '/v1/connections/{id}/dropbox/content',
    tags: ['Dropbox'],
    summary: "Download a file's bytes",
    description:
      'Streamed as it downloads, with `Content-Length`. With `link=true`, answers `{link, expiresAt, size}` instead: a Dropbox temporary link that opens the bytes without a token for four hours (for files larger than one answer may carry).',
    params: z.object({ id: PathId }),
    query: z.object({ path: PathQuery, link: z.optional(z.enum(['true', 'false'])) }),
    responses: {
      200: {
        description: 'The bytes (or, with `link=true`, a temporary link)',
        schema: z.string(),
        contentType: 'application/octet-stream',
        also: {
          'application/json': z.object({
            link: z.string(),
            expiresAt: z.string(),
            size: z.optional(z.number()),
          }),
        },
      },
    },
    errors: problems,
  },
  async (c, { params, query }) => {
    const path = checkPath(query.path, false);
    if (query.link === 'true') {
      const asked = Date.now();
      const out = await c
        .get('services')
        .connections.withToken(
          tenantOf(c.get('principal')),
          params.id,
          (token, connection) => client(c, token, connection).temporaryLink(path),
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
        (token, connection) => client(c, token, connection).download(path),
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

dropboxApi.route(
  {
    method: 'get',
    path: '/v1/connections/{id}/dropbox/avro',
    tags: ['Dropbox'],
    summary: 'Read an Avro data file as rows',
    description: [
      'Decodes an Avro object container file (codecs `null`, `deflate`, `snappy`) while it downloads, in bounded memory.',
      'Paged: `{schema, rows, nextCursor?}` (`limit` 1-1000, default 100); a cursor resumes at a block with a ranged download.',
      'With `Accept: application/x-ndjson`: the first line is `{"schema": …}`, then one row a line; damage met mid-stream ends it with `{"error": {"code": "invalid_request", "detail": …}}`.',
      'Values: `long` beyond ±(2^53−1) as decimal strings; `bytes`/`fixed` as base64; enums as symbols; unions as the plain value; timestamps as ISO-8601, `date` as YYYY-MM-DD, `decimal` as a decimal string.',
      'A file that is not Avro, or is truncated or corrupt, answers `422 invalid_request` (in paged mode, on the page that reaches the damage).',
    ].join(' '),
    params: z.object({ id: PathId }),
    query: z.object({
      path: PathQuery,
      limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000))),
      cursor: z.optional(z.string().check(z.maxLength(2048))),
    }),
    responses: {
      200: {
        description: 'A page of rows (or an NDJSON stream of all rows)',
        schema: z.object({
          schema: z.unknown(),
          rows: z.array(z.unknown()),
          nextCursor: z.optional(z.string()),
        }),
        also: { 'application/x-ndjson': z.unknown() },
      },
    },
    errors: problems,
  },
  async (c, { params, query }) => {
    const { connections, log } = c.get('services');
    const path = checkPath(query.path, false);
    const tenantId = tenantOf(c.get('principal'));

    if (wantsNdjson(c.req.header('accept'))) {
      const res = await connections.withToken(
        tenantId,
        params.id,
        (token, connection) => client(c, token, connection).download(path),
        {
          provider: 'dropbox',
        },
      );
      return ndjsonResponse(decodeAvro(bodyChunks(res)), log, c.get('requestId'), {
        map: (event) => (event.kind === 'schema' ? { schema: event.schema } : event.row),
        mapError: avroError,
      });
    }

    const resumed = pinnedCursor(query.cursor || undefined);
    try {
      const { page, rev } = await connections.withToken(
        tenantId,
        params.id,
        async (token, connection) => {
          // Every read of this page, and of the pages its cursor resumes, must see the same revision.
          let rev = resumed.rev;
          const open: ByteSource = async (offset) => {
            const res = await client(c, token, connection).download(path, { offset });
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
      return c.json({ schema: page.schema, rows: page.rows, ...(nextCursor ? { nextCursor } : {}) }, 200);
    } catch (err) {
      throw avroError(err);
    }
  },
);
