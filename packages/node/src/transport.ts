import { PorticoError } from './errors.js';

/** Options common to both clients. */
export interface ClientOptions {
  /** Where Portico answers: `http://localhost:8787` locally, your `PUBLIC_URL` deployed. */
  baseUrl: string;
  /** Milliseconds a call may take before it fails with `timeout` (streams: until the answer starts). Default 30 000. */
  timeoutMs?: number;
  /**
   * How long, in total, a call may spend waiting out `429` and `503` answers (honouring their
   * `Retry-After`) before it gives up with their error. Default 30 000; 0 retries never.
   */
  retryBudgetMs?: number;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /** How to wait between retries (default: a timer); tests pass one that does not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Per call: cancel it, or give it its own timeout. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

interface Request extends CallOptions {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  accept?: string;
  /** Keep the timeout only until the answer starts (its body is a stream the caller reads). */
  stream?: boolean;
  /** Answer whatever came (the proxy): no problem parsing, no retries. */
  raw?: boolean;
  headers?: HeadersInit;
  rawBody?: BodyInit | null;
}

const sleepFor = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Seconds of a `Retry-After` header (delta seconds or an HTTP date), if it has any. */
function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

async function problemOf(res: Response): Promise<PorticoError> {
  const requestId = res.headers.get('x-request-id') ?? undefined;
  const retryAfter = retryAfterSeconds(res.headers.get('retry-after'));
  let body: { code?: string; detail?: string; requestId?: string } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // Not problem JSON (a proxy in between): the status is all there is.
  }
  return new PorticoError({
    code:
      body.code ??
      (res.status === 429 ? 'rate_limited' : res.status >= 500 ? 'provider_unavailable' : 'invalid_request'),
    status: res.status,
    detail: body.detail ?? `Portico answered ${res.status}.`,
    requestId: body.requestId ?? requestId,
    retryAfter,
  });
}

/** One bearer key's calls: timeouts, cancellation, retries of 429/503 within a budget, problem errors. */
export class Transport {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly key: string,
    private readonly options: ClientOptions,
  ) {
    if (!key) throw new TypeError('A bearer key is required.');
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? sleepFor;
  }

  /** The answer of a call, or the {@link PorticoError} of its problem. */
  async send(r: Request): Promise<Response> {
    const url = new URL(this.base + r.path);
    for (const [k, v] of Object.entries(r.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers = new Headers(r.headers);
    headers.set('authorization', `Bearer ${this.key}`);
    if (r.accept) headers.set('accept', r.accept);
    let body: BodyInit | null | undefined = r.rawBody;
    if (r.body !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(r.body);
    }
    let budget = this.options.retryBudgetMs ?? 30_000;
    for (;;) {
      const res = await this.attempt(url, { method: r.method, headers, body }, r);
      if (res.ok || r.raw) return res;
      const error = await problemOf(res);
      const wait = (error.retryAfter ?? 1) * 1000;
      if ((res.status === 429 || res.status === 503) && wait <= budget) {
        budget -= wait;
        await this.sleep(wait, r.signal);
        continue;
      }
      throw error;
    }
  }

  private async attempt(url: URL, init: RequestInit, r: Request): Promise<Response> {
    const timeoutMs = r.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(r.signal?.reason);
    if (r.signal?.aborted) onAbort();
    r.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
    };
    try {
      const res = await this.fetch(url, { ...init, signal: controller.signal });
      if (r.stream || !res.ok) {
        done();
        return res;
      }
      // A JSON answer is read whole here, so the timeout covers its body too.
      const buffered = await res.arrayBuffer();
      done();
      return new Response(res.status === 204 ? null : buffered, { status: res.status, headers: res.headers });
    } catch (err) {
      done();
      if (timedOut)
        throw new PorticoError(
          { code: 'timeout', status: 0, detail: `No answer within ${timeoutMs} ms.` },
          { cause: err },
        );
      if (r.signal?.aborted) throw r.signal.reason ?? err;
      throw new PorticoError(
        {
          code: 'network_error',
          status: 0,
          detail: `Portico could not be reached: ${(err as Error).message}`,
        },
        { cause: err },
      );
    }
  }

  async json<T>(r: Request): Promise<T> {
    const res = await this.send(r);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }
}
