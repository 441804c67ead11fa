import { PorticoError } from '../errors.js';
import { invocationDeadline } from './deadline.js';

export interface RetryPolicy {
  /** Attempts in all, first included. Default 4. */
  attempts?: number;
  /**
   * Per-attempt timeout: for the answer's headers, then for each chunk of its body (an idle
   * timeout, so a long download that keeps arriving is never cut). Default 15 s.
   */
  timeoutMs?: number;
  /** No retry is started past this many ms since the first attempt, nor waits for headers past it. Default 20 s. */
  budgetMs?: number;
  /** Base of the exponential backoff. Default 200 ms. */
  baseDelayMs?: number;
  /** Longest single wait we accept from Retry-After before giving up. Default 10 s. */
  maxWaitMs?: number;
  /**
   * Whether a 429/5xx answer will not clear within the budget (HubSpot's DAILY limit), so it is
   * answered at once instead of retried. May read `response.clone()`.
   */
  final?: (response: Response) => boolean | Promise<boolean>;
  /**
   * How one attempt is sent: `fetch` by default; the proxy sends over keep-alive sockets
   * (lib/providers/keep-alive.ts). A `PorticoError` it throws is final (never retried).
   */
  attempt?: Attempt;
}

/**
 * One attempt at a provider call: aborted when the headers take longer than `headersMs`, or when
 * the body then stalls for `idleMs` between chunks; body failures surface as the body stream's error.
 */
export type Attempt = (
  url: string,
  init: RequestInit,
  headersMs: number,
  idleMs: number,
) => Promise<Response>;

export interface FetchResult {
  response: Response;
  attempts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How long the provider asks us to wait: `Retry-After` (seconds or a date), or HubSpot's
 * `X-HubSpot-RateLimit-Interval-Milliseconds` when its remaining count is 0.
 */
export function retryAfterMs(res: Response, now = Date.now()): number | undefined {
  const ra = res.headers.get('retry-after');
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra.trim())) return Number(ra) * 1000;
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const remaining = res.headers.get('x-hubspot-ratelimit-remaining');
  const interval = res.headers.get('x-hubspot-ratelimit-interval-milliseconds');
  if (remaining === '0' && interval && /^\d+$/.test(interval)) return Number(interval);
  return undefined;
}

const retryableStatus = (s: number) => s === 429 || s === 500 || s === 502 || s === 503 || s === 504;

/**
 * `fetch` for provider calls: a timeout per attempt, and retries with exponential backoff and
 * full jitter for network errors, 429 and 5xx, honouring `Retry-After` and HubSpot's rate-limit
 * headers, all within a total time budget. The last answer (even a 429/5xx) is returned for
 * the caller to map; a network failure after the last attempt throws `provider_unavailable`.
 * `init.body` must be replayable (a string, bytes or form) when attempts > 1.
 */
export async function fetchWithRetry(
  url: string,
  init: RequestInit,
  policy: RetryPolicy = {},
): Promise<FetchResult> {
  const attempts = policy.attempts ?? 4;
  const timeoutMs = policy.timeoutMs ?? 15_000;
  const left = () => {
    const at = invocationDeadline();
    return at === undefined ? Number.POSITIVE_INFINITY : at - Date.now();
  };
  const budgetMs = Math.max(0, Math.min(policy.budgetMs ?? 20_000, left()));
  const base = policy.baseDelayMs ?? 200;
  const maxWait = policy.maxWaitMs ?? 10_000;
  const send = policy.attempt ?? timedFetch;
  const started = Date.now();
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    // A retry waits for headers only as long as the budget has left (bounded by the invocation's end).
    const headersMs = Math.max(1, Math.min(timeoutMs, budgetMs - (Date.now() - started)));
    let wait: number | undefined;
    try {
      const response = await send(url, init, headersMs, timeoutMs);
      if (!retryableStatus(response.status) || attempt >= attempts) return { response, attempts: attempt };
      if (policy.final && (await policy.final(response))) return { response, attempts: attempt };
      wait = retryAfterMs(response);
      if (wait !== undefined && wait > maxWait) return { response, attempts: attempt };
      await response.body?.cancel().catch(() => {});
    } catch (err) {
      if (init.signal?.aborted || err instanceof PorticoError) throw err;
      lastError = err;
      if (attempt >= attempts) break;
    }
    const backoff = wait ?? Math.random() * base * 2 ** (attempt - 1);
    if (Date.now() - started + backoff > budgetMs) {
      if (lastError === undefined) {
        // Budget spent while the provider kept answering 429/5xx: one last try, answered as is.
        const response = await send(url, init, Math.max(1, Math.min(timeoutMs, left())), timeoutMs);
        return { response, attempts: attempt + 1 };
      }
      break;
    }
    await sleep(backoff);
  }
  const timedOut = (lastError as Error)?.name === 'TimeoutError';
  throw new PorticoError(
    'provider_unavailable',
    timedOut ? 'The provider did not answer in time.' : 'The provider could not be reached.',
    { ...(timedOut ? { reason: 'upstream_timeout' as const } : {}), cause: lastError, retryAfter: 5 },
  );
}

/** One {@link Attempt} with `fetch`. */
async function timedFetch(url: string, init: RequestInit, headersMs: number, idleMs: number) {
  const timeout = new AbortController();
  const expire = () =>
    timeout.abort(new DOMException('The provider did not answer in time.', 'TimeoutError'));
  let timer = setTimeout(expire, headersMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal, redirect: 'manual' });
  } finally {
    clearTimeout(timer);
  }
  if (!response.body) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      timer = setTimeout(expire, idleMs);
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** Maps a provider's 429/5xx left after retries to our problem codes. */
export function transientError(res: Response, provider: string): PorticoError | undefined {
  if (res.status === 429) {
    const wait = retryAfterMs(res);
    return new PorticoError('rate_limited', `${provider} is rate limiting this connection; retry later.`, {
      retryAfter: wait !== undefined ? Math.ceil(wait / 1000) : 10,
    });
  }
  if (res.status >= 500) {
    return new PorticoError('provider_unavailable', `${provider} answered ${res.status}; retry later.`, {
      ...(res.status === 504 ? { reason: 'upstream_timeout' as const } : {}),
      retryAfter: 5,
    });
  }
  return undefined;
}
