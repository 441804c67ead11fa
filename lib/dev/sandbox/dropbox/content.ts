import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { SandboxState } from '../common/state.js';
import { authenticate } from './auth.js';
import { badRequest, dropboxJson, headerSafeJson, pathError } from './errors.js';
import { resolvePath } from './files.js';
import { openTemporaryLink } from './temporary-links.js';
import { entryMetadata, fileBody } from './tree.js';

/** Content types Dropbox accepts on content-download calls (which carry no body). */
const DOWNLOAD_TYPES = /^(text\/plain|application\/octet-stream)(\s*;.*)?$/i;

const downloadArgs = z.object({ path: z.string(), rev: z.string().optional() });

/** A parsed `Range` header: a satisfiable span, an unsatisfiable one, or none to honour. */
export type RangeRequest = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * Parses a single-range `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` (RFC 9110 §14.1.2);
 * `end` is exclusive. Syntax it does not understand (multiple ranges included) is
 * ignored, which RFC 9110 allows: the whole file is sent.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (last < start) return undefined;
  return { start, end: Math.min(last, size - 1) + 1 };
}

/**
 * The `Dropbox-API-Arg` JSON of a content call (header, or `arg` URL parameter). The
 * header must be ASCII: Dropbox wants characters from U+007F up escaped as `\uXXXX`
 * and rejects raw ones ("could not decode input as JSON").
 */
function readArg(c: Context, route: string): unknown | Response {
  const header = c.req.header('dropbox-api-arg');
  const raw = header ?? c.req.query('arg');
  if (raw === undefined)
    return badRequest(route, 'Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".');
  const fail = () => badRequest(route, 'HTTP header "Dropbox-API-Arg": could not decode input as JSON');
  if (header !== undefined && /[\u007f-\uffff]/.test(header)) return fail();
  try {
    return JSON.parse(raw);
  } catch {
    return fail();
  }
}

/**
 * `POST /2/files/download` (GET too, as Dropbox allows): the file's bytes, the metadata
 * in `Dropbox-API-Result` (ASCII-escaped JSON), an exact `Content-Length`, and single
 * byte ranges (206 + `Content-Range`, 416 when unsatisfiable).
 */
export function dropboxContentApi(state: SandboxState): Hono {
  const app = new Hono();

  const download = async (c: Context): Promise<Response> => {
    const route = 'files/download';
    state.counters.of('dropbox').dataRequests++;
    const caller = authenticate(c, state, route, 'files.content.read');
    if (caller instanceof Response) return caller;
    const contentType = c.req.header('content-type');
    if (contentType && !DOWNLOAD_TYPES.test(contentType.trim())) {
      return badRequest(
        route,
        `Bad HTTP "Content-Type" header: "${contentType}".  Expecting one of "text/plain", "text/plain; charset=utf-8", "application/octet-stream", "application/octet-stream; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`,
      );
    }
    const raw = readArg(c, route);
    if (raw instanceof Response) return raw;
    const parsed = downloadArgs.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return badRequest(
        route,
        `HTTP header "Dropbox-API-Arg": ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
      );
    }
    const files = await state.dropboxFiles();
    const accountId = caller.identity.accountId;
    const lower = resolvePath(files, caller, route, parsed.data.path, 'read');
    if (lower instanceof Response) return lower;
    const entry = files.entries.get(lower);
    if (!entry) return pathError('not_found');
    if (entry.kind === 'folder') return pathError('not_file');
    if (entry.downloadable === false) {
      return dropboxJson(409, {
        error_summary: 'unsupported_file/..',
        error: { '.tag': 'unsupported_file' },
      });
    }
    const metadata = await entryMetadata(entry, accountId);
    if (parsed.data.rev !== undefined && parsed.data.rev !== metadata.rev) return pathError('not_found');

    const headers = new Headers({
      'content-type': 'application/octet-stream',
      'dropbox-api-result': headerSafeJson(metadata),
      'accept-ranges': 'bytes',
      etag: `W/"${String(metadata.rev)}"`,
    });
    const range = parseRange(c.req.header('range'), entry.size);
    if (range === 'unsatisfiable') {
      headers.set('content-range', `bytes */${entry.size}`);
      headers.set('content-type', 'text/plain; charset=utf-8');
      return new Response('Requested range not satisfiable', { status: 416, headers });
    }
    const { start, end } = range ?? { start: 0, end: entry.size };
    headers.set('content-length', String(end - start));
    if (range) headers.set('content-range', `bytes ${start}-${end - 1}/${entry.size}`);
    return new Response(fileBody(entry, start, end), { status: range ? 206 : 200, headers });
  };

  app.post('/2/files/download', download);
  app.get('/2/files/download', download);
  // What files/get_temporary_link points at: the bytes, no token, until the link expires.
  app.get('/temporary/:id', async (c) => {
    const lower = openTemporaryLink(state, c.req.param('id'));
    const entry = lower === undefined ? undefined : (await state.dropboxFiles()).entries.get(lower);
    if (!entry || entry.kind === 'folder') return new Response('Not Found', { status: 404 });
    return new Response(fileBody(entry, 0, entry.size), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(entry.size) },
    });
  });
  return app;
}
