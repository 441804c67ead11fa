import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundByInvocation, lambdaStreaming, limitAnswerSize } from '../../functions/streaming.js';
import type { PorticoError } from '../../lib/errors.js';
import { problemResponse } from '../../lib/http/problem.js';
import { setInvocationDeadline } from '../../lib/providers/deadline.js';
import { fetchWithRetry } from '../../lib/providers/http.js';
import { fixture } from './lambda-env.js';
import { startStreamingRuntime } from './streaming-runtime.js';

type Runtime = Awaited<ReturnType<typeof startStreamingRuntime>>;
type Event = { rawPath: string; headers: Record<string, string>; requestContext: { http: { path: string } } };

const MiB = 1024 * 1024;
const chunkSize = 64 * 1024;
// A chunk's bytes depend on its index, so a reordered, dropped or repeated chunk changes the hash.
const chunkAt = (i: number) => new Uint8Array(chunkSize).fill(i % 251);

const at = (path: string): Event => {
  const event = fixture<Event>('function-url-healthz.json');
  event.rawPath = path;
  event.requestContext.http.path = path;
  return event;
};

let runtime: Runtime;
let produced = 0;
let maxAhead = 0;
let streamHandle: typeof import('../../functions/function-url.js').streamHandle;

/** An app whose `/download` makes `size` bytes only as they are asked for (a pull stream). */
function download(size: number, options: { declareLength?: boolean; type?: string; line?: boolean } = {}) {
  const app = new Hono();
  app.get('/download', () => {
    let i = 0;
    produced = 0;
    maxAhead = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced >= size) return controller.close();
          const chunk = options.line
            ? new TextEncoder().encode(`${JSON.stringify({ row: i++, pad: 'x'.repeat(100) })}\n`)
            : chunkAt(i++);
          produced += chunk.byteLength;
          maxAhead = Math.max(maxAhead, produced - runtime.received());
          controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    const headers: Record<string, string> = { 'content-type': options.type ?? 'application/octet-stream' };
    if (options.declareLength) headers['content-length'] = String(size);
    return new Response(body, { headers });
  });
  return app;
}

beforeAll(async () => {
  runtime = await startStreamingRuntime({ progress: () => produced });
  // The handler (functions/function-url.ts) calls awslambda.streamifyResponse when it is made:
  // the global first.
  ({ streamHandle } = await import('../../functions/function-url.js'));
});
afterAll(() => runtime?.close());

describe('the streaming handler through the Lambda runtime response stream', () => {
  it('streams 50 MB with bounded memory, the first bytes out before the last are made', async () => {
    const size = 50 * MiB;
    const handler = streamHandle(
      limitAnswerSize(download(size, { declareLength: true }), lambdaStreaming.maxBytes),
    );
    const answer = await runtime.invoke(handler, at('/download'));

    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-length']).toBe(String(size));
    expect(answer.bodyBytes).toBe(size);
    const expected = createHash('sha256');
    for (let i = 0; i < size / chunkSize; i++) expected.update(chunkAt(i));
    expect(answer.bodySha256).toBe(expected.digest('hex'));
    // The first body byte reached the runtime when a few MiB had been made (what the loopback
    // sockets hold), not the 50 MB a buffering handler makes first.
    expect(answer.progressAtFirstByte).toBeLessThan(16 * MiB);
    // Bounded memory, by backpressure end to end: the bytes made but not yet received by the
    // runtime (all this path can hold) never passed a few MiB (about 5 measured), whatever the size.
    expect(maxAhead).toBeLessThan(16 * MiB);
  }, 60_000);

  it('refuses up front an answer that declares more than one stream carries, reading none of it', async () => {
    const handler = streamHandle(
      limitAnswerSize(download(300 * MiB, { declareLength: true }), lambdaStreaming.maxBytes),
    );
    const answer = await (async () => {
      const runtimeWithBody = await startStreamingRuntime({ keepBody: true });
      try {
        return await runtimeWithBody.invoke(handler, at('/download'));
      } finally {
        await runtimeWithBody.close();
      }
    })();
    expect(answer.statusCode).toBe(413);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(answer.body!.toString('utf8'));
    expect(problem).toMatchObject({
      status: 413,
      code: 'payload_too_large',
      sizeBytes: 300 * MiB,
      limitBytes: lambdaStreaming.maxBytes,
    });
    expect(problem.detail).toMatch(/cursor pages/);
    expect(produced).toBe(0);
  });

  it('ends an NDJSON stream of unknown length within the limit with an error line, never a cut row', async () => {
    const limit = MiB;
    const handler = streamHandle(
      limitAnswerSize(download(3 * MiB, { type: 'application/x-ndjson', line: true }), limit),
    );
    const withBody = await startStreamingRuntime({ keepBody: true });
    try {
      const answer = await withBody.invoke(handler, at('/download'));
      expect(answer.statusCode).toBe(200);
      expect(answer.bodyBytes).toBeLessThanOrEqual(limit);
      const lines = answer.body!.toString('utf8').trimEnd().split('\n');
      const rows = lines.slice(0, -1).map((l) => JSON.parse(l) as { row: number });
      expect(rows.map((r) => r.row)).toEqual(rows.map((_, i) => i));
      expect(rows.length).toBeGreaterThan(1000);
      expect(JSON.parse(lines.at(-1)!).error.code).toBe('payload_too_large');
      // It stopped pulling soon after the limit instead of reading the rest.
      expect(produced).toBeLessThan(limit + 64 * 1024);
    } finally {
      await withBody.close();
    }
  });

  it('passes an answer within the limit through unchanged', async () => {
    const withBody = await startStreamingRuntime({ keepBody: true });
    try {
      const app = new Hono().get('/download', (c) => {
        c.header('set-cookie', 'a=1; Path=/; HttpOnly');
        return c.json({ ok: true }, 201);
      });
      const answer = await withBody.invoke(streamHandle(limitAnswerSize(app, 100)), at('/download'));
      expect(answer.statusCode).toBe(201);
      expect(answer.cookies).toEqual(['a=1; Path=/; HttpOnly']);
      expect(JSON.parse(answer.body!.toString('utf8'))).toEqual({ ok: true });
    } finally {
      await withBody.close();
    }
  });
});

describe('provider calls bounded by the invocation', () => {
  it('gives up on a provider when the invocation is about to end, answering problem JSON in time', async () => {
    // A provider that takes the request and never answers until released.
    const held: ServerResponse[] = [];
    const provider = createServer((_req, res) => held.push(res));
    provider.listen(0, '127.0.0.1');
    await once(provider, 'listening');
    const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/2/files/download`;
    const app = new Hono().get('/call', async () => {
      try {
        const { response } = await fetchWithRetry(providerUrl, { method: 'POST' });
        return new Response(response.body, { status: response.status });
      } catch (err) {
        return problemResponse(err as PorticoError);
      }
    });
    const withBody = await startStreamingRuntime({ keepBody: true });
    try {
      // 2.3 s left in the invocation: 2 s kept to answer, so 0.3 s for the provider (instead of
      // the 15 s per attempt and 20 s in all a call may otherwise take).
      const answer = await withBody.invoke(streamHandle(boundByInvocation(app)), at('/call'), {
        getRemainingTimeInMillis: () => 2_300,
      });
      expect(answer.statusCode).toBe(504);
      expect(JSON.parse(answer.body!.toString('utf8'))).toMatchObject({ code: 'provider_unavailable' });
      // The provider was asked and has still not answered: the call ended on the invocation's clock.
      // One attempt, cut by the invocation's clock; unbounded, a second would follow the first's
      // 15 s timeout (and this test's 10 s limit would end it first).
      expect(held.length).toBe(1);
      expect(held.every((res) => !res.headersSent)).toBe(true);
      expect(answer).toBeDefined();
    } finally {
      setInvocationDeadline(undefined);
      for (const res of held) res.destroy();
      provider.closeAllConnections();
      provider.close();
      await withBody.close();
    }
  }, 10_000);

  it("bounds nothing without a Lambda context, and lifts a previous invocation's bound", async () => {
    // A provider that answers after 100 ms: too late for a bound already passed.
    const provider = createServer((_req, res) => setTimeout(() => res.end('ok'), 100));
    provider.listen(0, '127.0.0.1');
    await once(provider, 'listening');
    const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/`;
    setInvocationDeadline(Date.now() - 1);
    const app = new Hono().get('/call', async () => {
      try {
        const { response } = await fetchWithRetry(providerUrl, {});
        return new Response(await response.text());
      } catch (err) {
        return problemResponse(err as PorticoError);
      }
    });
    const withBody = await startStreamingRuntime({ keepBody: true });
    try {
      const answer = await withBody.invoke(streamHandle(boundByInvocation(app)), at('/call'), {
        getRemainingTimeInMillis: undefined,
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.body!.toString('utf8')).toBe('ok');
    } finally {
      setInvocationDeadline(undefined);
      provider.closeAllConnections();
      provider.close();
      await withBody.close();
    }
  });
});
