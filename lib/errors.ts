/**
 * The error hierarchy. Every error a client can cause, or a provider can cause, is a
 * {@link PorticoError} with a stable `code`; the HTTP layer maps them to problem JSON in one place.
 * Messages (`detail`) never carry a token, a secret or a key.
 */
export type ErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'invalid_request'
  | 'conflict'
  | 'needs_reauth'
  | 'payload_too_large'
  | 'rate_limited'
  | 'provider_error'
  | 'provider_unavailable'
  | 'internal_error';

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
  status?: number;
  cause?: unknown;
  /** Seconds, sent as `Retry-After` (rate_limited, provider_unavailable). */
  retryAfter?: number;
  /** Extra members of the problem document (never secrets). */
  extra?: Record<string, unknown>;
}

export class PorticoError extends Error {
  override name = 'PorticoError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfter?: number;
  readonly extra?: Record<string, unknown>;

  constructor(code: ErrorCode, detail: string, options: PorticoErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? defaultStatus[code];
    this.retryAfter = options.retryAfter;
    this.extra = options.extra;
  }

  get title(): string {
    return titles[this.code];
  }
}

const defaultStatus: Record<ErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_request: 400,
  conflict: 409,
  needs_reauth: 409,
  payload_too_large: 413,
  rate_limited: 429,
  provider_error: 502,
  provider_unavailable: 503,
  internal_error: 500,
};

export const unauthorized = (detail = 'A valid bearer key is required.') =>
  new PorticoError('unauthorized', detail);
export const notFound = (what = 'Resource') => new PorticoError('not_found', `${what} not found.`);
export const invalidRequest = (detail: string, extra?: Record<string, unknown>) =>
  new PorticoError('invalid_request', detail, { extra });
export const unprocessable = (detail: string) => new PorticoError('invalid_request', detail, { status: 422 });
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
      status: 503,
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
