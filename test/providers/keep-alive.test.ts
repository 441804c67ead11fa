import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PorticoError } from '../../lib/errors.js';
import { statusOf } from '../../lib/http/problem.js';
import { fetchWithRetry } from '../../lib/providers/http.js';
import { bufferedAnswerBytes, bufferedBody, keepAliveAttempt } from '../../lib/providers/keep-alive.js';

/**
 * The proxy's provider client (lib/providers/keep-alive.ts) against a real loopback server whose
 * every answer the test scripts: what the provider sees, socket reuse, whole and streamed
 * answers, decoding, and each way an answer can fail.
 */
type Handler = (
  req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  res: ServerResponse,
) => void;
let handler: Handler;
let base: string;
const sockets = new Set<Socket>();
let connections = 0;
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () =>
    handler(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) },
      res,
    ),
  );
});
server.on('connection', (s) => {
  connections++;
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  connections = 0;
  requests = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = (path: string, init: RequestInit = {}, headersMs = 2000, idleMs = 2000) =>
  keepAliveAttempt(`${base}${path}`, init, headersMs, idleMs);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('the request', () => {
  it('reaches the provider with the headers `fetch` would send, and the body', async () => {
    const seen: Array<{ method: string; headers: IncomingHttpHeaders; body: Buffer }> = [];
    handler = (req, res) => {
      seen.push(req);
      res.end('ok');
    };
    const headers = { authorization: 'Bearer t', 'x-custom': 'a' };
    const strip = ({ connection: _, host: __, ...rest }: IncomingHttpHeaders) => rest;
    for (const body of ['{"x":1}', new TextEncoder().encode('{"x":1}').buffer]) {
      seen.length = 0;
      await (await fetch(`${base}/a`, { method: 'POST', headers, body })).arrayBuffer();
      await (await send('/a', { method: 'POST', headers: new Headers(headers), body })).arrayBuffer();
      expect(strip(seen[1].headers)).toEqual(strip(seen[0].headers));
      expect(seen[1].body.toString()).toBe('{"x":1}');
    }
    expect(seen[1].method).toBe('POST');
  });

  it('streams a request body of unknown length', async () => {
    let got: { headers: IncomingHttpHeaders; body: Buffer } | undefined;
    handler = (req, res) => {
      got = req;
      res.end('ok');
    };
    const parts = ['one,', 'two,', 'three'];
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = parts.shift();
        if (next === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await send('/up', { method: 'PUT', body });
    expect(res.status).toBe(200);
    expect(got?.body.toString()).toBe('one,two,three');
    expect(got?.headers['transfer-encoding']).toBe('chunked');
  });

  it('reuses its sockets from one call to the next', async () => {
    handler = (_req, res) => res.end('ok');
    for (let i = 0; i < 5; i++) await (await send('/r')).arrayBuffer();
    expect(requests).toBe(5);
    expect(connections).toBeLessThanOrEqual(1);
  });

  it('never follows a redirect', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'http://evil.test/' });
      res.end();
    };
    const res = await send('/redirect');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://evil.test/');
    expect(requests).toBe(1);
  });
});

describe('the answer', () => {
  it('of known length up to the limit comes read whole; a larger one streams, byte for byte', async () => {
    const small = Buffer.alloc(60 * 1024, 'a');
    const large = Buffer.alloc(bufferedAnswerBytes + 1, 'b');
    handler = (req, res) => {
      const body = req.url === '/small' ? small : large;
      res.writeHead(200, { 'content-length': body.length, 'x-multi': ['1', '2'] });
      res.end(body);
    };
    const a = await send('/small');
    expect(Buffer.from(bufferedBody(a) ?? []).equals(small)).toBe(true);
    expect(a.headers.get('content-length')).toBe(String(small.length));
    expect(a.headers.get('x-multi')).toBe('1, 2');
    const b = await send('/large');
    expect(bufferedBody(b)).toBeUndefined();
    expect(Buffer.from(await b.arrayBuffer()).equals(large)).toBe(true);
  });

  it('of unknown length streams', async () => {
    handler = (_req, res) => {
      res.write('part one, ');
      setTimeout(() => res.end('part two'), 20);
    };
    const res = await send('/chunked');
    expect(bufferedBody(res)).toBeUndefined();
    expect(await res.text()).toBe('part one, part two');
  });

  it('is decoded when gzip-encoded, its headers left as they came (as `fetch` leaves them)', async () => {
    const text = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i })) });
    const zipped = gzipSync(text);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': zipped.length });
      res.end(zipped);
    };
    const res = await send('/gzip');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toBe(text);
  });

  it('of a HEAD request or a 204 has no body', async () => {
    handler = (_req, res) => {
      res.writeHead(_req.method === 'HEAD' ? 200 : 204, {
        'content-length': _req.method === 'HEAD' ? 10 : 0,
      });
      res.end();
    };
    expect((await send('/h', { method: 'HEAD' })).body).toBeNull();
    expect((await send('/n')).body).toBeNull();
  });
});

describe('failures', () => {
  it('headers slower than the timeout: a TimeoutError, which fetchWithRetry answers as 504', async () => {
    handler = (_req, res) => setTimeout(() => res.end('late'), 1500);
    const err = await errorOf(send('/slow', {}, 200));
    expect((err as Error).name).toBe('TimeoutError');
    const mapped = await errorOf(
      fetchWithRetry(`${base}/slow`, {}, { attempt: keepAliveAttempt, attempts: 1, timeoutMs: 200 }),
    );
    expect(mapped).toMatchObject({ code: 'provider_unavailable' });
    expect(statusOf(mapped as PorticoError)).toBe(504);
  });

  it('a whole-read body that stalls: 504 provider_unavailable, and the call is not repeated', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('x'.repeat(10));
    };
    const err = await errorOf(
      fetchWithRetry(`${base}/stall`, {}, { attempt: keepAliveAttempt, timeoutMs: 300 }),
    );
    expect(err).toBeInstanceOf(PorticoError);
    expect(statusOf(err as PorticoError)).toBe(504);
    expect(requests).toBe(1);
  });

  it('a whole-read body cut off: 503 provider_unavailable, not repeated', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('x'.repeat(10), () => res.socket?.destroy());
    };
    const err = await errorOf(fetchWithRetry(`${base}/cut`, {}, { attempt: keepAliveAttempt }));
    expect(err).toBeInstanceOf(PorticoError);
    expect(statusOf(err as PorticoError)).toBe(503);
    expect(requests).toBe(1);
  });

  it('a streamed body that stalls errors its stream with a TimeoutError', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('x'.repeat(10));
    };
    const res = await send('/stall-stream', {}, 2000, 300);
    const err = await errorOf(res.arrayBuffer());
    expect((err as Error).name).toBe('TimeoutError');
  });

  it("an answer slower than the pool's idle-socket timeout (4 s) still arrives, headers and body", async () => {
    handler = (req, res) => {
      if (req.url === '/slow-headers') setTimeout(() => res.end('late'), 4500);
      else {
        res.write('a');
        setTimeout(() => res.end('b'), 4500);
      }
    };
    const [headers, body] = await Promise.all([
      send('/slow-headers', {}, 8000, 8000).then((r) => r.text()),
      send('/slow-body', {}, 8000, 8000).then((r) => r.text()),
    ]);
    expect([headers, body]).toEqual(['late', 'ab']);
  }, 15_000);

  it('a socket the provider closed while idle is not reused', async () => {
    handler = (_req, res) => res.end('ok');
    await (await send('/a')).arrayBuffer();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const res = await send('/b');
    expect(await res.text()).toBe('ok');
  });

  it('a connection refused is a network error that fetchWithRetry retries, then answers 503', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await errorOf(
      fetchWithRetry(`http://127.0.0.1:${port}/x`, {}, { attempt: keepAliveAttempt, baseDelayMs: 1 }),
    );
    expect(err).toMatchObject({ code: 'provider_unavailable' });
    expect(statusOf(err as PorticoError)).toBe(503);
  });
});
