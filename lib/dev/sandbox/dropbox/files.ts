import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { SandboxState } from '../common/state.js';
import { authenticate, type DropboxCaller, namespacesOf, rpcArgs } from './auth.js';
import { badRequest, dropboxJson, pathError, resetCursor } from './errors.js';
import { issueTemporaryLink } from './temporary-links.js';
import { type DropboxFiles, entryMetadata, findById, listEntries, lowerPath, visibleTo } from './tree.js';

/** Path patterns from the Dropbox API spec (files namespace). */
const LIST_PATTERN = '(/(.|[\\r\\n])*)?|id:.*|(ns:[0-9]+(/.*)?)';
const READ_PATTERN = '(/(.|[\\r\\n])*|id:.*)|(rev:[0-9a-f]{9,})|(ns:[0-9]+(/.*)?)';

/** Lower-cased path of an existing entry, or the Dropbox error for the `path` argument. */
export function resolvePath(
  files: DropboxFiles,
  caller: DropboxCaller,
  route: string,
  path: string,
  pattern: 'list' | 'read',
): string | Response {
  const lower = resolveAnyPath(files, caller.identity.accountId, route, path, pattern);
  if (typeof lower === 'string' && lower !== '' && !visibleTo(files.entries.get(lower), caller.teamView)) {
    return pathError('not_found');
  }
  return lower;
}

function resolveAnyPath(
  files: DropboxFiles,
  accountId: string,
  route: string,
  path: string,
  pattern: 'list' | 'read',
): string | Response {
  if (path === '/' && pattern === 'list') {
    return badRequest(
      route,
      'request body: path: Specify the root folder as an empty string rather than as "/".',
    );
  }
  const source = pattern === 'list' ? LIST_PATTERN : READ_PATTERN;
  if (!new RegExp(`^(?:${source})$`).test(path)) {
    return badRequest(route, `request body: path: '${path}' did not match pattern '${source}'`);
  }
  if (path.startsWith('id:')) return findById(files, accountId, path) ?? pathError('not_found');
  if (path.startsWith('ns:') || path.startsWith('rev:')) return pathError('not_found');
  // Dropbox tolerates a trailing slash on folder paths; "/" alone (read routes) stays an error.
  const lower = lowerPath(path.length > 1 ? path.replace(/\/+$/, '') : path);
  return lower === '' || files.entries.has(lower) ? lower : pathError('not_found');
}

/** Reads and validates an RPC argument with a zod schema, answering Dropbox's 400 text on failure. */
async function parseArgs<T extends z.ZodType>(
  c: Context,
  route: string,
  schema: T,
): Promise<z.infer<T> | Response> {
  const raw = await rpcArgs(c, route, true);
  if (raw instanceof Response) return raw;
  const parsed = schema.safeParse(raw.args);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return badRequest(route, `request body: ${where}${issue?.message ?? 'invalid argument'}`);
}

const listFolderArgs = z.object({
  path: z.string(),
  recursive: z.boolean().optional(),
  limit: z.number().int().min(1).max(2000).optional(),
  include_media_info: z.boolean().optional(),
  include_deleted: z.boolean().optional(),
  include_has_explicit_shared_members: z.boolean().optional(),
  include_mounted_folders: z.boolean().optional(),
  include_non_downloadable_files: z.boolean().optional(),
});

const continueArgs = z.object({ cursor: z.string().min(1) });

const metadataArgs = z.object({
  path: z.string(),
  include_media_info: z.boolean().optional(),
  include_deleted: z.boolean().optional(),
  include_has_explicit_shared_members: z.boolean().optional(),
});

/** What a list_folder cursor remembers. */
interface Cursor {
  a: string;
  p: string;
  r: boolean;
  o: number;
  l: number;
  /** The sandbox's cursor epoch when issued (see `SandboxState.resetDropboxCursors`). */
  g: number;
  /** Whether non-downloadable files are listed (`include_non_downloadable_files`, default true). */
  n: boolean;
  /** Whether the listing is of the team space (it began with the team root as path root). */
  t: boolean;
}

const cursorShape = z.object({
  a: z.string(),
  p: z.string(),
  r: z.boolean(),
  o: z.number().int().min(0),
  l: z.number(),
  g: z.number().int().min(0),
  n: z.boolean(),
  t: z.boolean(),
});

function encodeCursor(cursor: Cursor): string {
  return `AAH${Buffer.from(JSON.stringify(cursor)).toString('base64url')}`;
}

function decodeCursor(raw: string): Cursor | undefined {
  if (!raw.startsWith('AAH')) return undefined;
  try {
    const parsed = cursorShape.safeParse(JSON.parse(Buffer.from(raw.slice(3), 'base64url').toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Default page size when list_folder is given no limit (Dropbox's is unspecified; 2000 is its maximum). */
const DEFAULT_LIST_LIMIT = 2000;

async function listPage(files: DropboxFiles, caller: DropboxCaller, cursor: Cursor): Promise<Response> {
  const all = listEntries(files, cursor.p, cursor.r).filter((lower) => {
    const entry = files.entries.get(lower);
    if (!visibleTo(entry, cursor.t)) return false;
    return cursor.n || entry?.kind !== 'file' || entry.downloadable !== false;
  });
  // A recursive listing of a folder other than the root includes that folder first, as Dropbox's does.
  if (cursor.r && cursor.p !== '') all.unshift(cursor.p);
  const slice = all.slice(cursor.o, cursor.o + cursor.l);
  const entries = await Promise.all(
    slice.map((lower) => {
      const entry = files.entries.get(lower);
      if (!entry) throw new Error(`sandbox tree lost ${lower}`);
      return entryMetadata(entry, caller.identity.accountId);
    }),
  );
  const next = { ...cursor, o: cursor.o + slice.length };
  return dropboxJson(200, { entries, cursor: encodeCursor(next), has_more: next.o < all.length });
}

/**
 * Dropbox RPC routes: `users/get_current_account`, `files/list_folder`,
 * `files/list_folder/continue`, `files/get_metadata`. POST with JSON arguments.
 */
export function dropboxFilesApi(state: SandboxState): Hono {
  const app = new Hono();

  app.post('/2/users/get_current_account', async (c) => {
    const route = 'users/get_current_account';
    state.counters.of('dropbox').dataRequests++;
    const caller = authenticate(c, state, route, 'account_info.read');
    if (caller instanceof Response) return caller;
    const args = await rpcArgs(c, route, false);
    if (args instanceof Response) return args;
    const id = caller.identity;
    const [given, ...rest] = id.displayName.split(' ');
    const surname = rest.join(' ') || 'User';
    const ns = namespacesOf(id);
    return dropboxJson(200, {
      account_id: id.accountId,
      name: {
        given_name: given ?? id.displayName,
        surname,
        familiar_name: given ?? id.displayName,
        display_name: id.displayName,
        abbreviated_name: `${(given ?? '?').charAt(0)}${surname.charAt(0)}`.toUpperCase(),
      },
      email: id.email,
      email_verified: true,
      disabled: false,
      country: 'US',
      locale: 'en',
      referral_link: `https://db.tt/sandbox${id.uid}`,
      is_paired: false,
      account_type: { '.tag': 'basic' },
      // A team-space member's root is the team's, not their home (updated team spaces).
      root_info: ns.team
        ? {
            '.tag': 'team',
            root_namespace_id: ns.root,
            home_namespace_id: ns.home,
            home_path: `/${id.displayName}`,
          }
        : { '.tag': 'user', root_namespace_id: ns.root, home_namespace_id: ns.home },
      ...(ns.team ? { team: { id: 'dbtid:AAsandboxteam', name: 'Sandbox Team' } } : {}),
    });
  });

  /** An RPC route over validated arguments: counted, authenticated (`scope`), then `handle`d. */
  const rpc = <T extends z.ZodType>(
    route: string,
    scope: string,
    schema: T,
    handle: (caller: DropboxCaller, args: z.infer<T>, files: DropboxFiles) => Promise<Response>,
  ) =>
    app.post(`/2/${route}`, async (c) => {
      state.counters.of('dropbox').dataRequests++;
      const caller = authenticate(c, state, route, scope);
      if (caller instanceof Response) return caller;
      const args = await parseArgs(c, route, schema);
      if (args instanceof Response) return args;
      return handle(caller, args, await state.dropboxFiles());
    });

  rpc('files/list_folder', 'files.metadata.read', listFolderArgs, async (caller, args, files) => {
    const lower = resolvePath(files, caller, 'files/list_folder', args.path, 'list');
    if (lower instanceof Response) return lower;
    if (files.entries.get(lower)?.kind === 'file') return pathError('not_folder');
    const cursor = {
      a: caller.identity.accountId,
      p: lower,
      r: args.recursive ?? false,
      o: 0,
      g: state.dropboxCursorEpoch,
      n: args.include_non_downloadable_files ?? true,
      t: caller.teamView,
    };
    return listPage(files, caller, { ...cursor, l: args.limit ?? DEFAULT_LIST_LIMIT });
  });

  rpc('files/list_folder/continue', 'files.metadata.read', continueArgs, async (caller, args, files) => {
    const cursor = decodeCursor(args.cursor);
    if (!cursor) return badRequest('files/list_folder/continue', 'request body: cursor: Invalid cursor');
    // A cursor of another account (or of a folder that is gone, or from before a reset) must be restarted.
    if (
      cursor.a !== caller.identity.accountId ||
      cursor.g !== state.dropboxCursorEpoch ||
      cursor.t !== caller.teamView ||
      (cursor.p !== '' && !files.entries.has(cursor.p))
    ) {
      return resetCursor();
    }
    return listPage(files, caller, cursor);
  });

  rpc('files/get_metadata', 'files.metadata.read', metadataArgs, async (caller, args, files) => {
    const lower = resolvePath(files, caller, 'files/get_metadata', args.path, 'read');
    if (lower instanceof Response) return lower;
    const entry = files.entries.get(lower);
    if (!entry) return pathError('not_found');
    return dropboxJson(200, await entryMetadata(entry, caller.identity.accountId));
  });

  // A link on the content host that opens the file without a token, for four hours.
  app.post('/2/files/get_temporary_link', async (c) => {
    const route = 'files/get_temporary_link';
    state.counters.of('dropbox').dataRequests++;
    const caller = authenticate(c, state, route, 'files.content.read');
    if (caller instanceof Response) return caller;
    const args = await parseArgs(c, route, z.object({ path: z.string() }));
    if (args instanceof Response) return args;
    const files = await state.dropboxFiles();
    const lower = resolvePath(files, caller, route, args.path, 'read');
    if (lower instanceof Response) return lower;
    const entry = files.entries.get(lower);
    if (!entry) return pathError('not_found');
    if (entry.kind === 'folder') return pathError('not_file');
    const id = issueTemporaryLink(state, lower);
    const link = new URL(
      c.req.url.replace(/\/api\/2\/files\/get_temporary_link$/, `/content/temporary/${id}`),
    );
    return dropboxJson(200, {
      metadata: await entryMetadata(entry, caller.identity.accountId),
      link: link.href,
    });
  });

  return app;
}
