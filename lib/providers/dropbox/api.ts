import {
  conflict,
  invalidRequest,
  notFound,
  PorticoError,
  ProviderError,
  TokenRejected,
  unprocessable,
} from '../../errors.js';
import { fetchWithRetry, transientError } from '../http.js';
import { readJson } from '../read.js';
import { teamSpaceRoot } from './namespaces.js';

/**
 * Dropbox API v2 (https://www.dropbox.com/developers/documentation/http/documentation): RPC
 * routes are POST with JSON bodies; downloads carry their argument in `Dropbox-API-Arg`.
 */

export interface DropboxEntry {
  type: 'file' | 'folder';
  id: string;
  name: string;
  path: string;
  size?: number;
  modifiedAt?: string;
  contentHash?: string;
  /** Present (false) for files Dropbox cannot download: Google Docs, Paper and the like. */
  downloadable?: false;
  /** The revision of a file's content: a new one every time the file is saved. */
  rev?: string;
}

interface RawEntry {
  '.tag'?: string;
  id?: string;
  name?: string;
  path_display?: string;
  path_lower?: string;
  size?: number;
  server_modified?: string;
  content_hash?: string;
  is_downloadable?: boolean;
  rev?: string;
}

/**
 * `Dropbox-API-Arg` as Dropbox requires: JSON with every character at or above U+007F escaped as
 * `\uXXXX` (HTTP headers are not UTF-8). JSON.stringify already escapes control characters, so
 * no CR/LF can reach the header.
 */
export function dropboxApiArg(arg: unknown): string {
  return JSON.stringify(arg).replace(
    /[\u007f-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A Dropbox path argument: `""` (the root) or `/…`, or an `id:`/`rev:` reference. */
export function checkPath(path: string, allowRoot: boolean): string {
  if (path === '' || path === '/') {
    if (allowRoot) return '';
    throw invalidRequest('path must name a file, e.g. "/data/users.avro".');
  }
  if (path.length > 4096) throw invalidRequest('path is too long.');
  // Dropbox's path patterns refuse line separators (their `.` does not match them): refused here, not a 502.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(path))
    throw invalidRequest('path must not contain control characters or line separators.');
  if (!path.startsWith('/') && !/^(id|rev|ns):/.test(path)) throw invalidRequest('path must start with "/".');
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

export const toEntry = (e: RawEntry): DropboxEntry => ({
  type: e['.tag'] === 'folder' ? 'folder' : 'file',
  id: String(e.id ?? ''),
  name: String(e.name ?? ''),
  path: String(e.path_display ?? e.path_lower ?? ''),
  ...(e['.tag'] === 'file'
    ? {
        ...(typeof e.size === 'number' ? { size: e.size } : {}),
        ...(e.server_modified ? { modifiedAt: e.server_modified } : {}),
        ...(e.content_hash ? { contentHash: e.content_hash } : {}),
        ...(e.is_downloadable === false ? { downloadable: false as const } : {}),
        ...(typeof e.rev === 'string' ? { rev: e.rev } : {}),
      }
    : {}),
});

/**
 * Which file and revision a download answered with (`Dropbox-API-Result`'s `id` and `rev`), when
 * Dropbox said: a revision is only comparable within one file.
 */
export function downloadedVersion(res: Response): { id: string; rev: string } | undefined {
  const raw = res.headers.get('dropbox-api-result');
  if (!raw) return undefined;
  try {
    const { id, rev } = JSON.parse(raw) as { id?: unknown; rev?: unknown };
    return typeof id === 'string' && typeof rev === 'string' && /^[0-9a-f]{9,64}$/.test(rev)
      ? { id, rev }
      : undefined;
  } catch {
    return undefined;
  }
}

/** `Dropbox-API-Path-Root` naming a team space's root namespace (https://developers.dropbox.com/dbx-team-files-guide). */
export function pathRootHeader(rootNamespaceId: string): string {
  return JSON.stringify({ '.tag': 'root', root: rootNamespaceId });
}

/**
 * Maps a Dropbox error answer: 401 -> {@link TokenRejected} (refresh once and retry); 409
 * `path/not_found` -> 404, other 409 path errors -> 422; 429/5xx -> retry advice; 400 (plain
 * text: a malformed call) -> 502, since that is our fault, not the caller's, unless the call
 * passed the caller's input through unchecked (`badRequest` says what to answer then).
 */
export async function dropboxError(res: Response, badRequest?: () => PorticoError): Promise<Error> {
  if (res.status === 400 && badRequest) {
    await res.body?.cancel().catch(() => {});
    return badRequest();
  }
  if (res.status === 401) {
    await res.body?.cancel().catch(() => {});
    return new TokenRejected('Dropbox refused the access token');
  }
  const transient = transientError(res, 'Dropbox');
  if (transient) {
    await res.body?.cancel().catch(() => {});
    return transient;
  }
  const body = (await readJson(res)) as { error_summary?: string; error?: { '.tag'?: string } } | undefined;
  const summary =
    typeof body?.error_summary === 'string' ? body.error_summary.replace(/\/\.*$/, '').slice(0, 200) : '';
  if (res.status === 409) {
    if (/^reset/.test(summary)) {
      return conflict('Dropbox can no longer continue this listing: list the folder again without a cursor.');
    }
    if (/^unsupported_file/.test(summary)) {
      return unprocessable(
        'Dropbox cannot download this file (unsupported_file): it is a Google Doc, Paper doc or similar with no bytes of its own.',
      );
    }
    if (/not_found/.test(summary)) return notFound('Dropbox path');
    if (/restricted|malformed_path|not_file|not_folder|unsupported_file/.test(summary)) {
      return unprocessable(`Dropbox: ${summary}`);
    }
    return invalidRequest(`Dropbox: ${summary || 'the request failed'}`);
  }
  if (res.status === 403)
    return new PorticoError('forbidden', `Dropbox refused: ${summary || 'missing scope'}.`);
  return new ProviderError('provider_error', `Dropbox answered ${res.status}.`);
}

/** Whether a 422 is Dropbox refusing the `Dropbox-API-Path-Root` we sent (then root_info is re-read). */
async function isPathRootError(res: Response): Promise<boolean> {
  if (res.status !== 422) return false;
  const body = (await readJson(res.clone())) as { error?: { '.tag'?: string } } | undefined;
  return body?.error?.['.tag'] === 'invalid_root' || body?.error?.['.tag'] === 'no_permission';
}

/**
 * A Dropbox client bound to its hosts and an access token. With `rootNamespaceId` (a team space's
 * root, stored with the connection) every call names it in `Dropbox-API-Path-Root`; when Dropbox
 * refuses that root (422 `invalid_root`/`no_permission`, e.g. the member moved), the client
 * re-reads `root_info` once, retries with the current root, and reports it via `onRootChange`.
 */
export function dropbox(
  apiUrl: string,
  contentUrl: string,
  token: string,
  options: { rootNamespaceId?: string; onRootChange?: (root: string | undefined) => void } = {},
) {
  let root = options.rootNamespaceId;
  let rootReread = false;
  const withRoot = (headers: Record<string, string>) =>
    root ? { ...headers, 'dropbox-api-path-root': pathRootHeader(root) } : headers;

  /** Sends a call; on a refused path root, re-reads root_info once and sends it again. */
  const send = async (url: string, init: () => RequestInit): Promise<Response> => {
    const { response } = await fetchWithRetry(url, init());
    if (root === undefined || rootReread || !(await isPathRootError(response))) return response;
    await response.body?.cancel().catch(() => {});
    rootReread = true;
    root = teamSpaceRoot((await currentAccount(apiUrl, token)).root_info);
    options.onRootChange?.(root);
    return (await fetchWithRetry(url, init())).response;
  };

  /** `badRequest`: what a 400 means when the argument carries the caller's input as is. */
  const rpc = async <T>(route: string, arg: unknown, badRequest?: () => PorticoError): Promise<T> => {
    const response = await send(`${apiUrl}/2/${route}`, () => ({
      method: 'POST',
      headers: withRoot({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }),
      body: JSON.stringify(arg),
    }));
    if (!response.ok) throw await dropboxError(response, badRequest);
    return (await readJson(response)) as T;
  };
  return {
    async listFolder(path: string, recursive: boolean, cursor?: string) {
      const page = cursor
        ? await rpc<{ entries?: RawEntry[]; cursor?: string; has_more?: boolean }>(
            'files/list_folder/continue',
            { cursor },
            () => invalidRequest('The cursor is not valid: pass the nextCursor of a previous page.'),
          )
        : await rpc<{ entries?: RawEntry[]; cursor?: string; has_more?: boolean }>('files/list_folder', {
            path,
            recursive,
            limit: 500,
          });
      return {
        entries: (page.entries ?? [])
          .filter((e) => e['.tag'] === 'file' || e['.tag'] === 'folder')
          .map(toEntry),
        nextCursor: page.has_more ? page.cursor : undefined,
      };
    },
    /** An entry's metadata (`files/get_metadata`): whether a path is a file or a folder, its id and revision. */
    async getMetadata(path: string): Promise<DropboxEntry> {
      return toEntry(await rpc<RawEntry>('files/get_metadata', { path }));
    },
    /** A link that opens the file's bytes without a token for four hours (`files/get_temporary_link`). */
    async temporaryLink(path: string): Promise<{ link: string; size?: number }> {
      const out = await rpc<{ link?: string; metadata?: RawEntry }>('files/get_temporary_link', { path });
      if (typeof out?.link !== 'string')
        throw new ProviderError('provider_error', 'Dropbox answered no link.');
      return { link: out.link, size: out.metadata?.size };
    },
    /**
     * Downloads a file (from `offset`, with a Range request). The answer's body is not read:
     * the caller streams it. 416 (offset at or past the end) answers an empty body.
     */
    async download(path: string, options: { offset?: number; signal?: AbortSignal } = {}): Promise<Response> {
      const response = await send(`${contentUrl}/2/files/download`, () => {
        const headers: Record<string, string> = withRoot({
          authorization: `Bearer ${token}`,
          'dropbox-api-arg': dropboxApiArg({ path }),
        });
        if (options.offset) headers.range = `bytes=${options.offset}-`;
        return { method: 'POST', headers, signal: options.signal };
      });
      if (response.status === 416) {
        await response.body?.cancel().catch(() => {});
        return new Response(new Uint8Array(0), { status: 206, headers: { 'content-length': '0' } });
      }
      if (!response.ok) throw await dropboxError(response);
      return response;
    },
  };
}

/** The raw `users/get_current_account` answer (never with a path root: it describes the namespaces). */
export async function currentAccount(
  apiUrl: string,
  token: string,
): Promise<{ account_id?: string; name?: { display_name?: string }; root_info?: unknown }> {
  const { response } = await fetchWithRetry(`${apiUrl}/2/users/get_current_account`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw await dropboxError(response);
  return ((await readJson(response)) ?? {}) as { root_info?: unknown };
}
