import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type ErrorCode, type ErrorReason, PorticoError, VaultError } from '../errors.js';
import type { Logger } from '../log.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  [extra: string]: unknown;
}

/** The one place codes become HTTP statuses (docs/api.md, "Errors"). */
const statusOfCode: Record<ErrorCode, number> = {
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

/** Reasons that answer another status than their code's. */
const statusOfReason: Record<ErrorReason, number> = {
  unprocessable: 422,
  grant_refused: 400,
  upstream_timeout: 504,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  misdirected: 421,
};

/** An error from Hono itself, answered with Hono's status (only this file makes these). */
class HonoProblem extends PorticoError {
  override name = 'HonoProblem';
  constructor(
    code: ErrorCode,
    detail: string,
    readonly httpStatus: number,
  ) {
    super(code, detail);
  }
}

/** The HTTP status an error of ours is answered with: by its reason, else by its code. */
export function statusOf(err: PorticoError): number {
  if (err instanceof HonoProblem) return err.httpStatus;
  return err.reason ? statusOfReason[err.reason] : statusOfCode[err.code];
}

/** The problem document (RFC 9457) for an error of ours. */
export function problemOf(err: PorticoError, requestId?: string): Problem {
  return {
    type: `https://portico.dev/errors/${err.code}`,
    title: err.title,
    status: statusOf(err),
    detail: err.message,
    code: err.code,
    ...(err.extra ?? {}),
    ...(requestId ? { requestId } : {}),
  };
}

export function problemResponse(err: PorticoError, requestId?: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (err.retryAfter !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfter)));
  return new Response(JSON.stringify(problemOf(err, requestId)), { status: statusOf(err), headers });
}

/** Maps anything thrown to problem JSON: ours as they are, Hono's by status, the rest as 500 (logged). */
export function toPorticoError(err: unknown): PorticoError {
  if (err instanceof PorticoError) return err;
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 413)
      return new PorticoError('payload_too_large', 'The request body is larger than 1 MiB.');
    if (status === 401) return new PorticoError('unauthorized', 'A valid bearer key is required.');
    if (status === 400)
      return new PorticoError('invalid_request', err.message || 'The request is malformed.');
    if (status === 404) return new PorticoError('not_found', 'Not found.');
    if (status < 500)
      return new HonoProblem('invalid_request', err.message || 'The request is malformed.', status);
  }
  if (err instanceof VaultError) {
    return new PorticoError(
      'conflict',
      'The stored credentials cannot be decrypted (the tenant was revoked, or the record was tampered with).',
      {
        cause: err,
      },
    );
  }
  return new PorticoError('internal_error', 'Something went wrong on our side.', { cause: err });
}

export function onError(log: Logger) {
  return (err: unknown, c: Context) => {
    const e = toPorticoError(err);
    const requestId = c.get('requestId') as string | undefined;
    if (statusOf(e) >= 500)
      log.error('request failed', { requestId, err, cause: (e.cause as Error) ?? undefined });
    return problemResponse(e, requestId);
  };
}
