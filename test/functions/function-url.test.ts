import { describe, expect, it } from 'vitest';
import { type FunctionUrlEvent, requestOf } from '../../functions/function-url.js';
import { fixture } from './lambda-env.js';

// The request the app gets from a function URL's event (functions/function-url.ts); the streamed
// answer is covered through the runtime's response stream in api.test.ts and streaming.test.ts.
describe('a function URL event as a Request', () => {
  it('keeps the host, path, query, method and headers, and decodes a base64 body', async () => {
    const event = fixture<FunctionUrlEvent>('create-tenant.json');
    event.rawQueryString = 'a=1&b=x%20y';
    const req = requestOf(event);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://r4nd0m1d2x.execute-api.eu-west-1.amazonaws.com/v1/tenants?a=1&b=x%20y');
    expect(req.headers.get('authorization')).toMatch(/^Bearer pak_/);
    const body = await req.text();
    expect(JSON.parse(body)).toEqual(JSON.parse(Buffer.from(String(event.body), 'base64').toString('utf8')));
    expect(req.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
  });

  it('takes a text body as UTF-8, and the host header when the context names no domain', async () => {
    const req = requestOf({
      rawPath: '/v1/x',
      headers: { host: 'portico.example', 'content-type': 'application/json' },
      body: '{"name":"Zoë"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'PATCH' } },
    });
    expect(req.url).toBe('https://portico.example/v1/x');
    expect(await req.json()).toEqual({ name: 'Zoë' });
    expect(req.headers.get('content-length')).toBe('15');
  });

  it('joins the cookies into one Cookie header', () => {
    const event = fixture<FunctionUrlEvent>('cookies.json');
    expect(requestOf(event).headers.get('cookie')).toBe(event.cookies?.join('; '));
  });

  it('percent-encodes a header value that is not ASCII instead of failing the request', () => {
    const req = requestOf({
      rawPath: '/healthz',
      headers: { host: 'h', 'x-name': 'Zoë ☃', empty: '' },
      requestContext: { http: { method: 'GET' } },
    });
    expect(req.headers.get('x-name')).toBe(encodeURIComponent('Zoë ☃'));
    expect(req.headers.has('empty')).toBe(false);
  });
});
