/**
 * Every failure the SDK reports: Portico's problem answers (`code` as the API documents it:
 * `not_found`, `needs_reauth`, `rate_limited`, …), and, with `status: 0`, what happened before an
 * answer came (`timeout`, `network_error`), or a webhook that failed verification (`invalid_webhook`).
 */
export class PorticoError extends Error {
  override readonly name = 'PorticoError';
  /** The problem's stable code. */
  readonly code: string;
  /** The HTTP status (0 when no answer came). */
  readonly status: number;
  /** What went wrong, for people. */
  readonly detail: string;
  /** Portico's request id (`x-request-id`), to quote in a support request. */
  readonly requestId?: string;
  /** Seconds to wait before trying again, when the answer said (`Retry-After`). */
  readonly retryAfter?: number;

  constructor(
    init: { code: string; status: number; detail: string; requestId?: string; retryAfter?: number },
    options?: { cause?: unknown },
  ) {
    super(`${init.code}: ${init.detail}`, options);
    this.code = init.code;
    this.status = init.status;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
  }
}
