import { uuid } from '../common/oauth-store.js';

/**
 * HubSpot's error bodies, as its API sends them (see docs/providers.md and the bodies quoted
 * in HubSpot/hubspot-api-nodejs issues): data routes answer `{status:"error", message,
 * correlationId, category, …}`, the token endpoint `{status:"BAD_…", message,
 * correlationId, error, error_description}`.
 */
export type HubspotErrorBody = Record<string, unknown>;

/** `x-hubspot-auth-failure` value HubSpot sends with its 401s. */
export const AUTH_FAILURE_HEADER = '401 Unauthorized';

/** HubSpot answers JSON with an explicit charset. */
export function hubspotJson(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json;charset=utf-8', ...headers },
  });
}

function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} second(s)`;
  if (s < 3600) return `${Math.floor(s / 60)} minute(s)`;
  if (s < 86400) return `${Math.floor(s / 3600)} hour(s)`;
  return `${Math.floor(s / 86400)} day(s)`;
}

/** 401 for an access token that was valid and has expired. */
export function expiredToken(expiredAt: number, now: number): Response {
  return hubspotJson(
    401,
    {
      status: 'error',
      message: `The OAuth token used to make this call expired ${ago(now - expiredAt)} ago.`,
      correlationId: uuid(),
      category: 'EXPIRED_AUTHENTICATION',
      context: { 'expire time': [new Date(expiredAt).toISOString()] },
    },
    { 'x-hubspot-auth-failure': AUTH_FAILURE_HEADER },
  );
}

/** 401 for a missing, unknown or revoked token. */
export function invalidAuthentication(): Response {
  return hubspotJson(
    401,
    {
      status: 'error',
      message:
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      correlationId: uuid(),
      category: 'INVALID_AUTHENTICATION',
    },
    { 'x-hubspot-auth-failure': AUTH_FAILURE_HEADER },
  );
}

/** 403 when the token lacks a scope the route needs. */
export function missingScopes(requiredScopes: string[]): Response {
  return hubspotJson(403, {
    status: 'error',
    message:
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    correlationId: uuid(),
    errors: [{ message: 'One or more of the following scopes are required.', context: { requiredScopes } }],
    links: { scopes: 'https://developers.hubspot.com/scopes' },
    category: 'MISSING_SCOPES',
  });
}

/** 404 for a missing object (table, row, token). */
export function notFound(message: string): Response {
  return hubspotJson(404, { status: 'error', message, correlationId: uuid(), category: 'OBJECT_NOT_FOUND' });
}

/** 400 for a request HubSpot would reject as invalid input. */
export function validationError(message: string): Response {
  return hubspotJson(400, { status: 'error', message, correlationId: uuid(), category: 'VALIDATION_ERROR' });
}

/** Rate-limit headers HubSpot sends on API answers. */
export function rateLimitHeaders(
  max: number,
  remaining: number,
  retryAfter?: number,
): Record<string, string> {
  return {
    'x-hubspot-ratelimit-max': String(max),
    'x-hubspot-ratelimit-remaining': String(Math.max(0, remaining)),
    'x-hubspot-ratelimit-interval-milliseconds': '10000',
    'x-hubspot-ratelimit-daily': '500000',
    'x-hubspot-ratelimit-daily-remaining': '499000',
    ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
  };
}

/** 429 `TEN_SECONDLY_ROLLING`, with the rate-limit headers at zero remaining. */
export function rateLimited(retryAfter?: number): Response {
  return hubspotJson(
    429,
    {
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: uuid(),
      policyName: 'TEN_SECONDLY_ROLLING',
      groupName: 'sandbox-app',
    },
    rateLimitHeaders(110, 0, retryAfter),
  );
}

/** The token-endpoint error statuses the sandbox answers. */
export type TokenErrorStatus =
  | 'BAD_AUTH_CODE'
  | 'EXPIRED_AUTH_CODE'
  | 'BAD_REFRESH_TOKEN'
  | 'BAD_CLIENT_ID'
  | 'BAD_CLIENT_SECRET'
  | 'BAD_REDIRECT_URI'
  | 'BAD_GRANT_TYPE';

const TOKEN_ERRORS: Record<TokenErrorStatus, { error: string; message: string }> = {
  BAD_AUTH_CODE: { error: 'invalid_grant', message: 'missing or unknown auth code' },
  EXPIRED_AUTH_CODE: { error: 'invalid_grant', message: 'auth code is expired' },
  BAD_REFRESH_TOKEN: { error: 'invalid_grant', message: 'missing or unknown refresh token' },
  BAD_CLIENT_ID: { error: 'invalid_client', message: 'missing or unknown client_id' },
  BAD_CLIENT_SECRET: { error: 'invalid_client', message: 'missing or invalid client_secret' },
  BAD_REDIRECT_URI: { error: 'invalid_grant', message: 'redirect_uri does not match initial auth code URL' },
  BAD_GRANT_TYPE: { error: 'unsupported_grant_type', message: 'missing or unknown grant_type' },
};

/** 400 from `POST /oauth/2026-03/token`. */
export function tokenError(status: TokenErrorStatus, message?: string): Response {
  const known = TOKEN_ERRORS[status];
  const text = message ?? known.message;
  return hubspotJson(400, {
    status,
    message: text,
    correlationId: uuid(),
    error: known.error,
    error_description: text,
  });
}

/** The HubSpot-shaped answer for a status injected by a fault. */
export function hubspotFaultResponse(status: number, path: string, retryAfter?: number): Response {
  const extra = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) };
  if (path.includes('/oauth/') && status === 400) return tokenError('BAD_REFRESH_TOKEN');
  switch (status) {
    case 401:
      return expiredToken(Date.now() - 1000, Date.now());
    case 403:
      return missingScopes(['hubdb']);
    case 404:
      return notFound('resource not found');
    case 429:
      return rateLimited(retryAfter);
    default:
      return hubspotJson(
        status,
        {
          status: 'error',
          message: status >= 500 ? 'internal error' : 'bad request',
          correlationId: uuid(),
          category: status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR',
        },
        extra,
      );
  }
}
