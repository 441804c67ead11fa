import type { MiddlewareHandler } from 'hono';
import type { Provider } from './oauth-store.js';

/** A fault to inject into a provider's routes (`POST /_control/faults`). */
export interface FaultSpec {
  provider: Provider;
  /** Substring of the request path to match; every route of the provider when absent. */
  match?: string;
  /** Answer this status instead of the real answer (provider-shaped body unless `body` is given). */
  status?: number;
  /** How many matching requests to affect (default 1); 0 or less = until the faults are cleared. */
  count?: number;
  /** `Retry-After` seconds to send (and, for Dropbox 429, `retry_after` in the body). */
  retryAfter?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Exact body to answer with `status`. */
  body?: string;
  /** Cut the answer off mid-body: the body stream errors, so a real socket is destroyed. */
  reset?: boolean;
  /** Wait this long before each chunk of the body. */
  slowBodyMs?: number;
  /** Headers added to the answer (a CDN's caching headers, say), injected or real. */
  headers?: Record<string, string>;
}

/** A registered fault with its remaining budget. */
export interface Fault extends FaultSpec {
  id: string;
  /** Requests it will still affect; `null` = unlimited. */
  remaining: number | null;
  hits: number;
}

/** Builds the provider-shaped answer for an injected status. */
export type FaultResponder = (status: number, path: string, retryAfter: number | undefined) => Response;

/** The set of armed faults, matched in the order they were added. */
export class FaultStore {
  private faults: Fault[] = [];
  private seq = 0;

  /** Arms a fault. */
  add(spec: FaultSpec): Fault {
    const count = spec.count ?? 1;
    const fault: Fault = { ...spec, id: `fault_${++this.seq}`, remaining: count > 0 ? count : null, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  /** Consumes one use of the first fault matching this request, if any. */
  take(provider: Provider, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) => f.provider === provider && (f.match === undefined || path.includes(f.match)),
    );
    if (!fault) return undefined;
    fault.hits++;
    if (fault.remaining !== null && --fault.remaining <= 0) {
      this.faults = this.faults.filter((f) => f !== fault);
    }
    return fault;
  }

  /** Disarms every fault (of one provider, when given). Returns how many. */
  clear(provider?: Provider): number {
    const before = this.faults.length;
    this.faults = provider ? this.faults.filter((f) => f.provider !== provider) : [];
    return before - this.faults.length;
  }

  /** The armed faults. */
  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/**
 * Re-streams an answer slowly and/or cut off. A reset sends about half of the declared
 * length (nothing when unknown) and then errors the stream: Node's server then destroys
 * the socket, which the client sees as a truncated body / ECONNRESET.
 */
export function disturbBody(res: Response, fault: Pick<Fault, 'reset' | 'slowBodyMs'>): Response {
  const declared = Number(res.headers.get('content-length') ?? '');
  const cutoff = fault.reset ? (declared > 1 ? Math.floor(declared / 2) : 0) : Number.POSITIVE_INFINITY;
  const reader = res.body?.getReader();
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= cutoff) {
        await reader?.cancel().catch(() => {});
        controller.error(new Error('sandbox fault: connection reset'));
        return;
      }
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) {
        if (fault.reset) controller.error(new Error('sandbox fault: connection reset'));
        else controller.close();
        return;
      }
      if (fault.slowBodyMs) await sleep(fault.slowBodyMs);
      const chunk = next.value.subarray(0, Math.max(0, Math.min(next.value.length, cutoff - sent)));
      sent += chunk.length;
      if (chunk.length > 0) controller.enqueue(chunk);
    },
    cancel(reason) {
      return reader?.cancel(reason);
    },
  });
  const status = NULL_BODY_STATUS.has(res.status) ? 200 : res.status;
  return new Response(stream, { status, headers: res.headers });
}

/** An answer carrying exactly the body a fault asked for. */
export function literalFaultResponse(status: number, body: string, retryAfter?: number): Response {
  const trimmed = body.trimStart();
  const headers = new Headers({
    'content-type':
      trimmed.startsWith('{') || trimmed.startsWith('[') ? 'application/json' : 'text/plain; charset=utf-8',
  });
  if (retryAfter !== undefined) headers.set('retry-after', String(retryAfter));
  return new Response(NULL_BODY_STATUS.has(status) ? null : body, { status, headers });
}

/**
 * Middleware that applies the first matching armed fault of `provider`: delay, then a
 * provider-shaped error status, and/or a slowed or reset body on the real answer.
 */
export function faultMiddleware(
  store: FaultStore,
  provider: Provider,
  respond: FaultResponder,
  onInjected: () => void,
): MiddlewareHandler {
  return async (c, next) => {
    const path = new URL(c.req.url).pathname;
    const fault = store.take(provider, path);
    if (!fault) return next();
    onInjected();
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.status !== undefined) {
      const res =
        fault.body !== undefined
          ? literalFaultResponse(fault.status, fault.body, fault.retryAfter)
          : respond(fault.status, path, fault.retryAfter);
      for (const [k, v] of Object.entries(fault.headers ?? {})) res.headers.set(k, v);
      return fault.reset || fault.slowBodyMs ? disturbBody(res, fault) : res;
    }
    await next();
    if (fault.headers) {
      const res = new Response(c.res.body, c.res);
      for (const [k, v] of Object.entries(fault.headers)) res.headers.set(k, v);
      c.res = undefined;
      c.res = res;
    }
    if (fault.reset || fault.slowBodyMs) c.res = disturbBody(c.res, fault);
  };
}
