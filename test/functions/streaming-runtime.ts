import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

/**
 * A stand-in for the Lambda Node.js runtime's response streaming, for handlers built with
 * `awslambda.streamifyResponse` (hono's `streamHandle`). It reproduces what the runtime interface
 * client does (aws-lambda-nodejs-runtime-interface-client, src/HttpResponseStream.js and
 * src/ResponseStream.js): `HttpResponseStream.from` sets the content type
 * `application/vnd.awslambda.http-integration-response` and, before the first body write,
 * writes the JSON prelude then 8 null bytes; the response stream is a chunked HTTP POST to the
 * Runtime API (`/2018-06-01/runtime/invocation/<id>/response`, header
 * `Lambda-Runtime-Function-Response-Mode: streaming`), its content type fixed before the first
 * write, with the request's backpressure.
 *
 * The loopback "Runtime API" here refuses what Lambda would not take (another content type, a
 * prelude that is not a JSON object with a numeric statusCode, string headers and a cookies
 * array, a NUL inside the prelude, a missing delimiter) and keeps no body: it counts and hashes
 * it, and records what the producer had made when the first body byte arrived.
 */

export const preludeContentType = 'application/vnd.awslambda.http-integration-response';
const delimiter = Buffer.alloc(8);

type Prelude = { statusCode: number; headers: Record<string, string>; cookies: string[] };
export interface StreamedAnswer extends Prelude {
  contentType: string;
  bodyBytes: number;
  bodySha256: string;
  /** The body, kept only when `keepBody` is set (small answers). */
  body?: Buffer;
  /** `progress()` when the first body byte reached the Runtime API. */
  progressAtFirstByte?: number;
}

type StreamingHandler = (event: unknown, context: unknown) => Promise<unknown>;

class RuntimeResponseStream extends Writable {
  private contentType = 'application/octet-stream';
  private req?: ReturnType<typeof request>;
  private answered?: Promise<void>;
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;

  constructor(private readonly url: string) {
    super();
  }

  setContentType(type: string): void {
    // As the runtime: the content type goes out with the request headers, before any body.
    if (this.req) throw new Error('Cannot set content-type, too late.');
    this.contentType = type;
  }

  private open() {
    const req = request(this.url, {
      method: 'POST',
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        'Content-Type': this.contentType,
      },
    });
    this.answered = new Promise((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 202 ? resolve() : reject(new Error(`runtime: ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
    });
    this.req = req;
    this._onBeforeFirstWrite?.((chunk) => req.write(chunk));
    return req;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    const req = this.req ?? this.open();
    if (req.write(chunk)) done();
    else req.once('drain', () => done());
  }

  override _final(done: (err?: Error) => void): void {
    const req = this.req ?? this.open();
    req.end();
    this.answered!.then(() => done(), done);
  }
}

/**
 * Installs the `awslambda` global the Node.js runtime provides (before the handler module is
 * imported: `streamHandle` calls `streamifyResponse` at load) and starts the loopback Runtime API.
 */
export async function startStreamingRuntime(options: { progress?: () => number; keepBody?: boolean } = {}) {
  const answers = new Map<string, StreamedAnswer | Error>();
  // Body bytes received so far by the invocation in flight, for a producer to compare with.
  let received = 0;
  const server = createServer(async (req, res) => {
    const id = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/response$/.exec(req.url ?? '')?.[1];
    const refuse = (why: string) => {
      if (id) answers.set(id, new Error(why));
      res.writeHead(400).end(why);
      req.resume();
    };
    if (req.method !== 'POST' || !id) return refuse('not a Runtime API response');
    if (req.headers['lambda-runtime-function-response-mode'] !== 'streaming') return refuse('not streaming');
    if (req.headers['transfer-encoding'] !== 'chunked') return refuse('not chunked');
    const contentType = String(req.headers['content-type']);
    if (contentType !== preludeContentType) return refuse(`content type ${contentType}`);
    let head = Buffer.alloc(0);
    let prelude: Prelude | undefined;
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let bodyBytes = 0;
    let progressAtFirstByte: number | undefined;
    const takeBody = (chunk: Buffer) => {
      if (chunk.length === 0) return;
      if (progressAtFirstByte === undefined) progressAtFirstByte = options.progress?.();
      bodyBytes += chunk.length;
      received = bodyBytes;
      hash.update(chunk);
      if (options.keepBody) kept.push(chunk);
    };
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (prelude) {
        takeBody(chunk);
        continue;
      }
      head = Buffer.concat([head, chunk]);
      const at = head.indexOf(delimiter);
      if (at < 0) {
        if (head.length > 64 * 1024) return refuse('no delimiter after 64 KiB');
        continue;
      }
      const json = head.subarray(0, at).toString('utf8');
      if (json.includes('\0')) return refuse('NUL in the prelude');
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        return refuse('the prelude is not JSON');
      }
      const p = parsed as Prelude;
      if (
        !p ||
        typeof p !== 'object' ||
        !Number.isInteger(p.statusCode) ||
        !p.headers ||
        Object.values(p.headers).some((v) => typeof v !== 'string') ||
        !Array.isArray(p.cookies)
      ) {
        return refuse(`bad prelude ${json}`);
      }
      prelude = p;
      takeBody(head.subarray(at + delimiter.length));
    }
    if (!prelude) return refuse('the stream ended before the delimiter');
    answers.set(id, {
      ...prelude,
      contentType,
      bodyBytes,
      bodySha256: hash.digest('hex'),
      body: options.keepBody ? Buffer.concat(kept) : undefined,
      progressAtFirstByte,
    });
    res.writeHead(202).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const previous = (globalThis as { awslambda?: unknown }).awslambda;
  (globalThis as { awslambda?: unknown }).awslambda = {
    streamifyResponse: (fn: StreamingHandler) => fn,
    HttpResponseStream: {
      from(stream: RuntimeResponseStream, prelude: Prelude) {
        stream.setContentType(preludeContentType);
        const json = JSON.stringify(prelude);
        stream._onBeforeFirstWrite = (write) => {
          write(json);
          write(new Uint8Array(delimiter.length));
        };
        return stream;
      },
    },
  };

  let invocations = 0;
  return {
    /** Body bytes the Runtime API has received in the current invocation. */
    received: () => received,
    /** Invokes a streaming handler as the runtime does: (event, responseStream, context). */
    async invoke(
      handler: unknown,
      event: unknown,
      context: Record<string, unknown> = {},
    ): Promise<StreamedAnswer> {
      const id = `invocation-${++invocations}`;
      received = 0;
      const stream = new RuntimeResponseStream(
        `http://127.0.0.1:${port}/2018-06-01/runtime/invocation/${id}/response`,
      );
      const finished = once(stream, 'finish');
      await (handler as (e: unknown, s: Writable, c: unknown) => Promise<void>)(event, stream, {
        awsRequestId: id,
        getRemainingTimeInMillis: () => 900_000,
        ...context,
      });
      await finished;
      const answer = answers.get(id);
      if (!answer) throw new Error('the runtime got no answer');
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async close() {
      (globalThis as { awslambda?: unknown }).awslambda = previous;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
