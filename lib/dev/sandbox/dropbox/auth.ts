import type { Context } from 'hono';
import { type DropboxIdentity, dropboxIdentity } from '../common/identity.js';
import type { AccessTokenRecord } from '../common/oauth-store.js';
import type { SandboxState } from '../common/state.js';
import { badRequest, dropboxJson, expiredAccessToken, invalidAccessToken, missingScope } from './errors.js';

/** Who is calling a Dropbox API route. */
export interface DropboxCaller {
  token: AccessTokenRecord;
  identity: DropboxIdentity;
  /** Whether the call named the team space's root (`Dropbox-API-Path-Root`), so team folders are visible. */
  teamView: boolean;
}

/**
 * An account's namespaces. Accounts whose name starts with `team` are members of a team space:
 * their root namespace (the team's) differs from their home namespace, as with Dropbox's
 * updated team spaces; everyone else has one namespace.
 */
export function namespacesOf(identity: DropboxIdentity): { home: string; root: string; team: boolean } {
  const home = String(1000000000 + (Number(identity.uid) % 1000000000));
  const team = identity.key.startsWith('team');
  return { home, root: team ? String(2000000000 + (Number(identity.uid) % 1000000000)) : home, team };
}

/**
 * Reads `Dropbox-API-Path-Root` (https://developers.dropbox.com/dbx-team-files-guide): absent or
 * `home` is the home namespace; `root` must name the account's root or home namespace, anything
 * else answers 422 `invalid_root` with the account's real root_info, as Dropbox does.
 * Fidelity: the header's shape and the 422 are documented; the exact 422 body is a guess.
 */
function pathRoot(c: Context, route: string, identity: DropboxIdentity): boolean | Response {
  const raw = c.req.header('dropbox-api-path-root');
  if (raw === undefined) return false;
  let root: { '.tag'?: unknown; root?: unknown; namespace_id?: unknown };
  try {
    root = JSON.parse(raw);
  } catch {
    return badRequest(route, 'HTTP header "Dropbox-API-Path-Root": could not decode input as JSON');
  }
  const ns = namespacesOf(identity);
  if (root['.tag'] === 'home') return false;
  const id =
    root['.tag'] === 'root' ? root.root : root['.tag'] === 'namespace_id' ? root.namespace_id : undefined;
  if (typeof id !== 'string') return badRequest(route, 'HTTP header "Dropbox-API-Path-Root": unknown tag');
  if (id === ns.root) return ns.root !== ns.home;
  if (id === ns.home) return false;
  return dropboxJson(422, {
    error_summary: 'invalid_root/..',
    error: {
      '.tag': 'invalid_root',
      invalid_root: {
        '.tag': ns.team ? 'team' : 'user',
        root_namespace_id: ns.root,
        home_namespace_id: ns.home,
      },
    },
  });
}

/**
 * Bearer authentication as Dropbox answers it: no or malformed `Authorization` is a
 * 400 text error, an unknown or revoked token 401 `invalid_access_token`, an expired one
 * 401 `expired_access_token`, a grant without the route's scope 401 `missing_scope`.
 * Dropbox also takes the token as an `authorization` URL parameter.
 */
export function authenticate(
  c: Context,
  state: SandboxState,
  route: string,
  scope: string | undefined,
): DropboxCaller | Response {
  const header = c.req.header('authorization') ?? c.req.query('authorization');
  if (!header)
    return badRequest(route, 'Must provide HTTP header "Authorization" or URL parameter "authorization".');
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) {
    return badRequest(
      route,
      'Invalid authorization value in HTTP header "Authorization". Expecting "Bearer <oauth2-access-token>".',
    );
  }
  const check = state.dropbox.checkAccessToken(match[1]);
  if (check.status === 'unknown') return invalidAccessToken();
  if (check.status === 'expired') return expiredAccessToken();
  if (scope && !check.record.scopes.includes(scope)) return missingScope(scope);
  const identity = dropboxIdentity(check.record.account);
  const teamView = pathRoot(c, route, identity);
  if (teamView instanceof Response) return teamView;
  return { token: check.record, identity, teamView };
}

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain; charset=dropbox-cors-hack',
];

function contentTypeError(route: string, got: string): Response {
  return badRequest(
    route,
    `Bad HTTP "Content-Type" header: "${got}".  Expecting one of ${JSON_TYPES.map((t) => `"${t}"`).join(', ')}.`,
  );
}

/**
 * Reads an RPC route's JSON argument. Arg routes need a JSON content type; no-arg routes
 * take no body at all or `null` (then the content type may be absent). Errors are
 * Dropbox's 400 text answers.
 */
export async function rpcArgs(
  c: Context,
  route: string,
  takesArgs: boolean,
): Promise<{ args: unknown } | Response> {
  const contentType = (c.req.header('content-type') ?? '').trim();
  const normalised = contentType.toLowerCase().replace(/\s*;\s*/g, '; ');
  const body = await c.req.text();
  if (!takesArgs && body.trim() === '' && contentType === '') return { args: null };
  if (!JSON_TYPES.includes(normalised)) return contentTypeError(route, contentType);
  if (!takesArgs && body.trim() === '') return { args: null };
  let args: unknown;
  try {
    args = JSON.parse(body);
  } catch {
    return badRequest(route, 'request body: could not decode input as JSON');
  }
  if (!takesArgs && args !== null) return badRequest(route, 'request body: expected null, got value');
  return { args };
}
