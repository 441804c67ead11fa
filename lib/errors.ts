/**
 * The error hierarchy. Every error a client can cause, or a provider can cause, is a
 * {@link PorticoError} with a stable `code`; only the HTTP layer (`lib/http/problem.ts`) turns
 * codes into statuses and problem JSON. Messages (`detail`) never carry a token, a secret or a key.
 */

/** The public error codes (docs/api.md, "Errors"): the problem documents' `code` and the OpenAPI enum. */
export const errorCodes = [
  'unauthorized',
  'forbidden',
  'not_found',
  'invalid_request',
  'conflict',
  'needs_reauth',
  'payload_too_large',
  'rate_limited',
  'provider_error',
  'provider_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/**
 * A finer, internal kind of some codes, for the HTTP layer to answer more precisely than the
 * code alone (the public `code` stays the same): a well-formed request the provider or the data
 * cannot satisfy (`unprocessable`), a grant the provider's token endpoint refused
 * (`grant_refused`), a provider that did not answer in time (`upstream_timeout`), a body of another media type, a method the route does not take.
 */
export type ErrorReason =
  | 'unprocessable'
  | 'grant_refused'
  | 'upstream_timeout'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  /** A request for a host this server does not answer for (the local server's Host check). */
  | 'misdirected';

const titles: Record<ErrorCode, string> = {
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  invalid_request: 'Invalid request',
  conflict: 'Conflict',
  needs_reauth: 'Connection needs re-authorization',
  payload_too_large: 'Payload too large',
  rate_limited: 'Rate limited',
  provider_error: 'Provider error',
  provider_unavailable: 'Provider unavailable',
  internal_error: 'Internal error',
};

export interface PorticoErrorOptions {
  /** Why, where the code alone does not say it; `lib/http/problem.ts` chooses the status from both. */
  reason?: ErrorReason;
  cause?: unknown;
  /** Seconds, sent as `Retry-After` (rate_limited, provider_unavailable). */
  retryAfter?: number;
  /** Extra members of the problem document (never secrets). */
  extra?: Record<string, unknown>;
}

export class PorticoError extends Error {
  override name = 'PorticoError';
  readonly code: ErrorCode;
  readonly reason?: ErrorReason;
  readonly retryAfter?: number;
  readonly extra?: Record<string, unknown>;

  constructor(code: ErrorCode, detail: string, options: PorticoErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.code = code;
    this.reason = options.reason;
    this.retryAfter = options.retryAfter;
    this.extra = options.extra;
  }

  get title(): string {
    return titles[this.code];
  }
}

/**
 * The `code` of anything thrown: ours, or a Node or SDK error's (`ECONNRESET`); `undefined` when
 * it has none. For logs and audit details only: never decide a status on a foreign code.
 */
export function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

export const unauthorized = (detail = 'A valid bearer key is required.') =>
  new PorticoError('unauthorized', detail);
export const notFound = (what = 'Resource') => new PorticoError('not_found', `${what} not found.`);
export const invalidRequest = (detail: string, extra?: Record<string, unknown>) =>
  new PorticoError('invalid_request', detail, { extra });
/** A well-formed request that cannot be carried out (answered 422, code `invalid_request`). */
export const unprocessable = (detail: string) =>
  new PorticoError('invalid_request', detail, { reason: 'unprocessable' });
export const conflict = (detail: string) => new PorticoError('conflict', detail);

/** The connection's grant is dead: the end user must connect again. */
export class NeedsReauthError extends PorticoError {
  override name = 'NeedsReauthError';
  constructor(
    detail = 'The connection grant was revoked or expired; the user must connect again.',
    cause?: unknown,
  ) {
    super('needs_reauth', detail, { cause });
  }
}

/** A provider answered something unusable, or could not be reached. */
export class ProviderError extends PorticoError {
  override name = 'ProviderError';
}

/** The storage backend (DynamoDB) could not be reached or throttled us. */
export class StoreUnavailableError extends PorticoError {
  override name = 'StoreUnavailableError';
  constructor(cause?: unknown) {
    super('provider_unavailable', 'The storage backend is unavailable; try again.', {
      cause,
      retryAfter: 1,
    });
  }
}

/** A configuration value is unusable; start-up stops with this one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** A ciphertext failed to open: tampered, moved to another record, or its tenant key was destroyed. */
export class VaultError extends Error {
  override name = 'VaultError';
}

/** A provider answered 401 to an access token: refresh once and retry (`Connections.withToken`). */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
}
