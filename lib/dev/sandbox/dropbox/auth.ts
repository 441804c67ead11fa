import type { Context } from 'hono';
import { type DropboxIdentity, dropboxIdentity } from '../common/identity.js';
import type { AccessTokenRecord } from '../common/oauth-store.js';
import type { SandboxState } from '../common/state.js';
import { badRequest, expiredAccessToken, invalidAccessToken, missingScope } from './errors.js';

/** Who is calling a Dropbox API route. */
export interface DropboxCaller {
  token: AccessTokenRecord;
  identity: DropboxIdentity;
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
  return { token: check.record, identity: dropboxIdentity(check.record.account) };
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
