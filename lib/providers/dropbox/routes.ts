import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app/context.js';
import { ndjsonResponse, wantsNdjson } from '../../app/ndjson.js';
import { tenantOf } from '../../app/routes/connect.js';
import { bearerSecurity, errors } from '../../app/schemas.js';
import { validationHook } from '../../app/validation.js';
import {
  AvroCursorError,
  AvroFormatError,
  type ByteSource,
  decodeAvro,
  readAvroPage,
} from '../../avro/index.js';
import { invalidRequest, unprocessable } from '../../errors.js';
import { bodyReadError } from '../http.js';
import { checkPath, dropbox } from './api.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const Id = z
  .string()
  .max(64)
  .openapi({ param: { name: 'id', in: 'path' } });
const PathQuery = z
  .string()
  .max(4096)
  .openapi({ param: { name: 'path', in: 'query' }, example: '/data/users.avro' });

const EntrySchema = z
  .object({
    type: z.enum(['file', 'folder']),
    id: z.string(),
    name: z.string(),
    path: z.string(),
    size: z.number().int().optional(),
    modifiedAt: z.string().optional(),
    contentHash: z
      .string()
      .optional()
      .openapi({ description: "Dropbox's content hash (SHA-256 of 4 MiB block digests)" }),
  })
  .openapi('DropboxEntry');

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

export const dropboxRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

dropboxRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}/dropbox/files',
    tags: ['Dropbox'],
    summary: 'List a folder',
    description: '`path` is `""` or omitted for the root. Deleted entries are left out.',
    security: bearerSecurity,
    request: {
      params: z.object({ id: Id }),
      query: z.object({
        path: PathQuery.optional(),
        recursive: z
          .enum(['true', 'false'])
          .optional()
          .openapi({ param: { name: 'recursive', in: 'query' } }),
        cursor: z
          .string()
          .max(4096)
          .optional()
          .openapi({ param: { name: 'cursor', in: 'query' } }),
      }),
    },
    responses: {
      200: json(
        z.object({ entries: z.array(EntrySchema), nextCursor: z.string().optional() }),
        'A page of entries',
      ),
      ...errors(404, 409, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const q = c.req.valid('query');
    const path = checkPath(q.path ?? '', true);
    const out = await connections.withToken(
      tenantOf(c.get('principal')),
      c.req.valid('param').id,
      (token) =>
        dropbox(config.endpoints.dropbox.apiUrl, config.endpoints.dropbox.contentUrl!, token).listFolder(
          path,
          q.recursive === 'true',
          q.cursor || undefined,
        ),
      { provider: 'dropbox' },
    );
    return c.json({ entries: out.entries, ...(out.nextCursor ? { nextCursor: out.nextCursor } : {}) }, 200);
  },
);

dropboxRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}/dropbox/content',
    tags: ['Dropbox'],
    summary: "Download a file's bytes",
    description: 'Streamed as it downloads, with `Content-Length`.',
    security: bearerSecurity,
    request: { params: z.object({ id: Id }), query: z.object({ path: PathQuery }) },
    responses: {
      200: {
        description: 'The bytes',
        content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
      },
      ...errors(404, 409, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const { connections, config } = c.get('services');
    const path = checkPath(c.req.valid('query').path, false);
    const res = await connections.withToken(
      tenantOf(c.get('principal')),
      c.req.valid('param').id,
      (token) =>
        dropbox(config.endpoints.dropbox.apiUrl, config.endpoints.dropbox.contentUrl!, token).download(path),
      { provider: 'dropbox' },
    );
    const name = path.split('/').pop() ?? 'file';
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
      'x-content-type-options': 'nosniff',
    };
    const length = res.headers.get('content-length');
    if (length) headers['content-length'] = length;
    return new Response(res.body, { status: 200, headers }) as never;
  },
);

dropboxRoutes.openapi(
  createRoute({
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
    security: bearerSecurity,
    request: {
      params: z.object({ id: Id }),
      query: z.object({
        path: PathQuery,
        limit: z.coerce
          .number()
          .int()
          .min(1)
          .max(1000)
          .optional()
          .openapi({ param: { name: 'limit', in: 'query' } }),
        cursor: z
          .string()
          .max(2048)
          .optional()
          .openapi({ param: { name: 'cursor', in: 'query' } }),
      }),
    },
    responses: {
      200: {
        description: 'A page of rows (or an NDJSON stream of all rows)',
        content: {
          'application/json': {
            schema: z
              .object({ schema: z.unknown(), rows: z.array(z.unknown()), nextCursor: z.string().optional() })
              .openapi('AvroPage'),
          },
          'application/x-ndjson': { schema: z.unknown() },
        },
      },
      ...errors(404, 409, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const { connections, config, log } = c.get('services');
    const q = c.req.valid('query');
    const path = checkPath(q.path, false);
    const tenantId = tenantOf(c.get('principal'));
    const id = c.req.valid('param').id;
    const client = (token: string) =>
      dropbox(config.endpoints.dropbox.apiUrl, config.endpoints.dropbox.contentUrl!, token);

    if (wantsNdjson(c.req.header('accept'))) {
      const res = await connections.withToken(tenantId, id, (token) => client(token).download(path), {
        provider: 'dropbox',
      });
      async function* lines() {
        try {
          for await (const event of decodeAvro(bodyChunks(res))) {
            yield event.kind === 'schema' ? { schema: event.schema } : event.row;
          }
        } catch (err) {
          throw avroError(err);
        }
      }
      return ndjsonResponse(lines(), log, c.get('requestId')) as never;
    }

    try {
      const page = await connections.withToken(
        tenantId,
        id,
        (token) => {
          const open: ByteSource = async (offset) =>
            bodyChunks(await client(token).download(path, { offset }));
          return readAvroPage(open, { limit: q.limit ?? 100, cursor: q.cursor || undefined });
        },
        { provider: 'dropbox' },
      );
      return c.json(
        { schema: page.schema, rows: page.rows, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
        200,
      );
    } catch (err) {
      throw avroError(err);
    }
  },
);
