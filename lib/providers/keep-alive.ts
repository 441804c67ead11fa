import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { http, https } from '../node-http.js';
import { bodyReadError } from './read.js';

/**
 * Answers up to this size (declared by `Content-Length`, not content-encoded) are read whole
 * before they are handed on, so they go back to the caller in one write with their length; larger
 * or unsized ones stream.
 */
export const bufferedAnswerBytes = 1024 * 1024;

/**
 * Idle pooled sockets close after this long: before Node's own servers close theirs (5 s
 * `keepAliveTimeout`), so a reused socket is rarely one the provider is closing; a server's
 * shorter `Keep-Alive: timeout=` hint is honoured by Node's agent.
 */
const idleSocketMs = 4_000;
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: idleSocketMs }),
  'https:': new https.Agent({ keepAlive: true, timeout: idleSocketMs }),
};

/** What undici's `fetch` adds to a request that lacks them; kept so providers see the same request. */
const fetchDefaults: Array<[string, string]> = [
  ['accept', '*/*'],
  ['accept-language', '*'],
  ['sec-fetch-mode', 'cors'],
  ['user-agent', 'node'],
  ['accept-encoding', 'gzip, deflate'],
];

const nullBodyStatus = new Set([101, 103, 204, 205, 304]);
const buffered = new WeakMap<Response, Uint8Array<ArrayBuffer>>();

/**
 * The body of an answer from {@link keepAliveAttempt} that was read whole before it was answered
 * (see {@link bufferedAnswerBytes}), for a caller that passes it on as bytes rather than through a
 * stream; `undefined` for a streamed answer (read `res.body`).
 */
export function bufferedBody(res: Response): Uint8Array<ArrayBuffer> | undefined {
  return buffered.get(res);
}

const timeoutError = (message: string) => new DOMException(message, 'TimeoutError');

function outgoingHeaders(
  init: HeadersInit | undefined,
  body: RequestInit['body'],
  bodyLength: number | undefined,
): OutgoingHttpHeaders {
  const out: Record<string, string> = {};
  if (init instanceof Headers) for (const [k, v] of init) out[k] = v;
  else if (Array.isArray(init)) for (const [k, v] of init) out[k.toLowerCase()] = v;
  else if (init) for (const [k, v] of Object.entries(init)) out[k.toLowerCase()] = v;
  for (const [k, v] of fetchDefaults) out[k] ??= v;
  if (typeof body === 'string') out['content-type'] ??= 'text/plain;charset=UTF-8';
  if (bodyLength !== undefined) out['content-length'] = String(bodyLength);
  return out;
}

function bodyBytes(body: RequestInit['body']): Uint8Array | ReadableStream<Uint8Array> | null {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  throw new TypeError('keepAliveAttempt sends a string, bytes or a stream');
}

/** The decoders for a `Content-Encoding` list, outermost last, as undici's `fetch` decodes; none for an unknown one. */
function decoders(encoding: string | undefined): Transform[] {
  if (!encoding) return [];
  const out: Transform[] = [];
  for (const coding of encoding.toLowerCase().split(',').reverse()) {
    const c = coding.trim();
    if (c === 'gzip' || c === 'x-gzip') out.push(createGunzip());
    else if (c === 'deflate') out.push(createInflate());
    else if (c === 'br') out.push(createBrotliDecompress());
    else if (c === 'identity' || c === '') continue;
    else return [];
  }
  return out;
}

async function writeStream(req: ClientRequest, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!req.write(value)) await new Promise((resolve) => req.once('drain', resolve));
      if (req.destroyed) return;
    }
    req.end();
  } catch (err) {
    req.destroy(err as Error);
  }
}

/**
 * A provider call over `node:http`/`node:https` with keep-alive sockets, answered as a web
 * `Response`, in place of `fetch` (lib/providers/http.ts `fetchWithRetry`'s `attempt`): the same
 * request headers `fetch` would send, redirects never followed, `gzip`/`deflate`/`br` answers
 * decoded (their `Content-Encoding` and `Content-Length` headers left as they came, as `fetch`
 * leaves them). Aborted when the headers take longer than `headersMs`, or when the body then
 * stalls for `idleMs` while a reader waits. An answer of known length up to
 * {@link bufferedAnswerBytes} is read whole first ({@link bufferedBody}); its body failing
 * throws `provider_unavailable` (never retried: the provider has answered), a streamed body's
 * failure errors the stream.
 */
export function keepAliveAttempt(
  url: string,
  init: RequestInit,
  headersMs: number,
  idleMs: number,
): Promise<Response> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? https.request : u.protocol === 'http:' ? http.request : undefined;
  if (!send) return Promise.reject(new TypeError(`keepAliveAttempt: unsupported protocol ${u.protocol}`));
  const method = (init.method ?? 'GET').toUpperCase();
  const body = bodyBytes(init.body);
  const headers = outgoingHeaders(
    init.headers,
    init.body,
    body instanceof Uint8Array ? body.byteLength : undefined,
  );
  const signal = init.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const req = send({
      protocol: u.protocol,
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port,
      path: `${u.pathname}${u.search}`,
      method,
      headers,
      agent: agents[u.protocol as 'http:' | 'https:'],
    });
    const onAbort = () => req.destroy(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined = setTimeout(
      () => req.destroy(timeoutError('The provider did not answer in time.')),
      headersMs,
    );
    const stopTimer = () => {
      clearTimeout(timer);
      timer = undefined;
    };
    let answered = false;
    // After the answer's headers, a failure belongs to its body (read below, or its stream).
    let bodyFailed: ((err: Error) => void) | undefined;
    req.on('error', (err) => {
      stopTimer();
      signal?.removeEventListener('abort', onAbort);
      if (!answered) reject(err);
      else bodyFailed?.(err);
    });
    req.once('response', (res: IncomingMessage) => {
      answered = true;
      stopTimer();
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 599) {
        res.destroy();
        signal?.removeEventListener('abort', onAbort);
        return reject(new TypeError(`the provider answered status ${status}`));
      }
      const responseHeaders = new Headers();
      const raw = res.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) responseHeaders.append(raw[i], raw[i + 1]);
      const init = { status, statusText: res.statusMessage ?? '', headers: responseHeaders };
      const done = () => signal?.removeEventListener('abort', onAbort);
      if (method === 'HEAD' || nullBodyStatus.has(status)) {
        res.resume();
        done();
        return resolve(new Response(null, init));
      }
      const decode = decoders(res.headers['content-encoding']);
      let source: Readable = res;
      for (const d of decode) {
        source.on('error', (err) => d.destroy(err));
        source = source.pipe(d);
      }
      const declared = Number(res.headers['content-length']);
      let stalled: DOMException | undefined;
      const idle = () => {
        stalled = timeoutError('The provider stopped sending its answer.');
        req.destroy(stalled);
        return stalled;
      };
      if (decode.length === 0 && Number.isInteger(declared) && declared <= bufferedAnswerBytes) {
        // Read whole: one write back with its length, no web stream per chunk.
        const chunks: Buffer[] = [];
        timer = setTimeout(idle, idleMs);
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          clearTimeout(timer);
          timer = setTimeout(idle, idleMs);
        });
        res.once('end', () => {
          stopTimer();
          done();
          const whole = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          // A Buffer's memory is an ArrayBuffer here (never shared memory): typed as BodyInit wants.
          const bytes = new Uint8Array(whole.buffer as ArrayBuffer, whole.byteOffset, whole.byteLength);
          const answer = new Response(bytes, init);
          buffered.set(answer, bytes);
          resolve(answer);
        });
        const failed = (err: Error) => {
          stopTimer();
          done();
          reject(bodyReadError(stalled ?? err));
        };
        bodyFailed = failed;
        res.on('error', failed);
        res.once('aborted', () => failed(new Error('the provider closed the connection mid-answer')));
        return;
      }
      resolve(new Response(webBody(req, res, source, idleMs, idle, done), init));
    });
    if (body instanceof ReadableStream) void writeStream(req, body);
    else req.end(body ?? undefined);
  });
}

/**
 * `source` (the answer, decoded) as a web stream that reads only as fast as it is read (paused
 * otherwise), with the idle timeout while a reader waits; the first failure errors it (the idle
 * timeout's `TimeoutError` before the reset it causes).
 */
function webBody(
  req: ClientRequest,
  res: IncomingMessage,
  source: Readable,
  idleMs: number,
  idle: () => DOMException,
  done: () => void,
): ReadableStream<Uint8Array> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  let stalled: DOMException | undefined;
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.pause();
      source.on('data', (chunk: Buffer) => {
        if (settled) return;
        stop();
        controller.enqueue(new Uint8Array(chunk.buffer as ArrayBuffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) source.pause();
      });
      source.once('end', () => {
        if (settled) return;
        settled = true;
        stop();
        done();
        controller.close();
      });
      const failed = (err: Error) => {
        if (settled) return;
        settled = true;
        stop();
        done();
        controller.error(stalled ?? err);
      };
      source.on('error', failed);
      req.on('error', failed);
      res.once('aborted', () => failed(new Error('the provider closed the connection mid-answer')));
    },
    pull() {
      timer ??= setTimeout(() => {
        stalled = idle();
      }, idleMs);
      source.resume();
    },
    cancel() {
      settled = true;
      stop();
      done();
      req.destroy();
    },
  });
}
