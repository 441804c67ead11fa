/**
 * Dropbox's error answers (dropbox-api-spec, dropbox-sdk-js's error handling, and the
 * messages quoted in SDK issues): route errors are 409 `{error_summary, error}`, auth
 * errors 401 with the same shape, malformed requests 400 **text/plain**, token endpoint
 * errors 400 `{error, error_description}`. `error_summary` ends in dots that clients
 * must not parse (Dropbox varies them); only its prefix is stable.
 */

/** Escapes every character from U+007F up as `\uXXXX`, as Dropbox's HTTP-header JSON requires. */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A JSON answer as Dropbox sends it. */
export function dropboxJson(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** 400 text/plain: `Error in call to API function "<route>": <message>`. */
export function badRequest(route: string, message: string): Response {
  return new Response(`Error in call to API function "${route}": ${message}`, {
    status: 400,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/** 401 for an access token that expired. */
export function expiredAccessToken(): Response {
  return dropboxJson(401, {
    error_summary: 'expired_access_token/',
    error: { '.tag': 'expired_access_token' },
  });
}

/** 401 for an unknown or revoked access token. */
export function invalidAccessToken(): Response {
  return dropboxJson(401, {
    error_summary: 'invalid_access_token/',
    error: { '.tag': 'invalid_access_token' },
  });
}

/** 401 when the token's grant lacks the scope the route needs. */
export function missingScope(requiredScope: string): Response {
  return dropboxJson(401, {
    error_summary: 'missing_scope/',
    error: { '.tag': 'missing_scope', required_scope: requiredScope },
  });
}

/** The `path` lookup errors of files routes. */
export type LookupError = 'not_found' | 'not_file' | 'not_folder' | 'malformed_path';

/** 409 `{".tag":"path","path":{".tag":…}}`. */
export function pathError(lookup: LookupError): Response {
  return dropboxJson(409, {
    error_summary: `path/${lookup}/..`,
    error: { '.tag': 'path', path: { '.tag': lookup } },
  });
}

/** 409 for a list_folder/continue cursor that no longer applies. */
export function resetCursor(): Response {
  return dropboxJson(409, { error_summary: 'reset/..', error: { '.tag': 'reset' } });
}

/** 429 with `Retry-After` and the seconds repeated in the body. */
export function tooManyRequests(retryAfter = 1): Response {
  return dropboxJson(
    429,
    {
      error_summary: 'too_many_requests/..',
      error: { reason: { '.tag': 'too_many_requests' }, retry_after: retryAfter },
    },
    { 'retry-after': String(retryAfter) },
  );
}

/** 400 from `/oauth2/token`. */
export function tokenError(error: string, description: string): Response {
  return dropboxJson(400, { error, error_description: description });
}

/** The Dropbox-shaped answer for a status injected by a fault. */
export function dropboxFaultResponse(status: number, path: string, retryAfter?: number): Response {
  if (path.includes('/oauth2/token') && status === 400) {
    return tokenError('invalid_grant', 'refresh token is invalid or revoked');
  }
  switch (status) {
    case 401:
      return expiredAccessToken();
    case 409:
      return pathError('not_found');
    case 429:
      return tooManyRequests(retryAfter ?? 1);
    case 400:
      return badRequest(path.replace(/^.*\/2\//, ''), 'sandbox fault');
    default: {
      const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
      return new Response(status >= 500 ? 'Internal Server Error' : 'Error', { status, headers });
    }
  }
}
