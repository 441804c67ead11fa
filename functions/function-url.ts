import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FetchApp } from './runtime.js';

/**
 * The API function's Lambda handler: a function URL's event (payload format 2.0) as a `Request`
 * to the app, its `Response` written to the runtime's response stream as it is produced. What
 * hono's `streamHandle` (`hono/aws-lambda`) does for this one event shape, and no more: the
 * stack fronts the function with a function URL only (infra/api.ts), and that adapter also
 * carries API Gateway v1's, ALB's and VPC Lattice's processors, 4 KB a cold start compiled and
 * never ran (hono deprecates the module for v5 besides). The app gets `{ event, requestContext,
 * context }` as its env, as it did from hono's.
 */

/** The fields of a function URL's event the request is made from. */
export interface FunctionUrlEvent {
  rawPath: string;
  rawQueryString?: string;
  /** Lower-case names; a repeated header arrives comma-joined. */
  headers?: Record<string, string | undefined>;
  /** The `Cookie` header, split: the runtime takes it out of `headers`. */
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { domainName?: string; http: { method: string } };
}

/** What the runtime's response stream is told before the body: `HttpResponseStream.from`'s prelude. */
interface Prelude {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

// The Node.js runtime's global (defined before the handler module is loaded).
declare const awslambda: {
  streamifyResponse(
    handler: (event: FunctionUrlEvent, stream: Writable, context: unknown) => Promise<void>,
  ): unknown;
  HttpResponseStream: { from(stream: Writable, prelude: Prelude): Writable };
};

export function streamHandle(app: FetchApp): unknown {
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    let stream = responseStream;
    try {
      const res = await app.fetch(requestOf(event), { event, requestContext: event.requestContext, context });
      const headers: Record<string, string> = {};
      const cookies: string[] = [];
      res.headers.forEach((value, name) => {
        if (name === 'set-cookie') cookies.push(value);
        else headers[name] = value;
      });
      stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: res.status,
        headers,
        cookies,
      });
      if (res.body) await pipeline(chunksOf(res.body.getReader()), stream);
      else stream.write('');
    } catch (error) {
      // What hono's adapter did: the app answers its own errors, so this is a failure to build
      // the request (a body on a GET) or of the stream itself.
      console.error('Error processing request:', error);
      stream.write('Internal Server Error');
    } finally {
      stream.end();
    }
  });
}

/** The event as a fetch `Request`: its host, path and query, headers, cookies and body. */
export function requestOf(event: FunctionUrlEvent): Request {
  const headers = new Headers();
  if (Array.isArray(event.cookies)) headers.set('cookie', event.cookies.join('; '));
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value) headers.set(name, asciiHeader(value));
  const host = event.requestContext.domainName ?? event.headers?.host;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const init: RequestInit = { method: event.requestContext.http.method, headers };
  if (event.body) {
    const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    init.body = body;
    headers.set('content-length', String(body.length));
  }
  return new Request(`https://${host}${event.rawPath}${query}`, init);
}

/** A header value `Headers` accepts: one with non-ASCII characters is percent-encoded (as hono's adapter does). */
function asciiHeader(value: string): string {
  return /[\u0080-\uffff]/.test(value) ? encodeURIComponent(value) : value;
}

async function* chunksOf(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (let read = await reader.read(); !read.done; read = await reader.read()) yield read.value;
}
