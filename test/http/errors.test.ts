import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(closeEmbeddedDynamo);

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = await res.json();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

describe('bad input answers problem JSON with a stable code, never a 500', () => {
  it('malformed JSON', async () => {
    await expectProblem(
      await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: '{"name":' }),
      400,
      'invalid_request',
    );
  });
  it('wrong types and unknown fields, naming each field', async () => {
    const body = await expectProblem(
      await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 5, surprise: true } }),
      400,
      'invalid_request',
    );
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual(['body.name', 'body']);
    expect(body.detail).toContain('surprise');
    // In English (zod's English messages, loaded with the first invalid input).
    expect(body.errors[0].message).toMatch(/expected string, received number/i);
  });
  it('a body that is not JSON at all, or missing', async () => {
    await expectProblem(
      await t.call('POST', '/v1/tenants', {
        key: ADMIN_KEY,
        body: 'name=x',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'invalid_request',
    );
    await expectProblem(await t.call('POST', '/v1/tenants', { key: ADMIN_KEY }), 400, 'invalid_request');
    await expectProblem(
      await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: '[]' }),
      400,
      'invalid_request',
    );
    await expectProblem(
      await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: 'null' }),
      400,
      'invalid_request',
    );
  });
  it('invalid URLs in returnUrls', async () => {
    for (const url of ['javascript:alert(1)', 'not a url', 'https://user:pw@acme.test/', 'ftp://acme.test']) {
      await expectProblem(
        await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'x', returnUrls: [url] } }),
        400,
        'invalid_request',
      );
    }
  });
  it('oversize bodies', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
    await expectProblem(
      await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: big }),
      413,
      'payload_too_large',
    );
  });
  it('unknown routes and wrong methods', async () => {
    await expectProblem(await t.call('GET', '/nope'), 404, 'not_found');
    // An unknown route is 404 whoever asks; the admin key on a tenant route is still 403.
    await expectProblem(await t.call('GET', '/v1/nope', { key: ADMIN_KEY }), 404, 'not_found');
    await expectProblem(await t.call('GET', '/v1/connections/x/nope', { key: ADMIN_KEY }), 404, 'not_found');
    await expectProblem(await t.call('GET', '/v1/connections', { key: ADMIN_KEY }), 403, 'forbidden');
    await expectProblem(
      await t.call('GET', '/v1/connections/conn_x/proxy/x', { key: ADMIN_KEY }),
      403,
      'forbidden',
    );
    const res = await t.call('DELETE', '/v1/tenants', { key: ADMIN_KEY });
    await expectProblem(res, 405, 'invalid_request');
    expect(res.headers.get('allow')).toContain('GET');
  });
  it('bad query values', async () => {
    for (const q of ['limit=0', 'limit=abc', 'limit=100000', 'cursor=%%%', 'cursor=eyJwayI6MX0']) {
      const res = await t.call('GET', `/v1/tenants?${q}`, { key: ADMIN_KEY });
      await expectProblem(res, 400, 'invalid_request');
    }
  });
  it('a DynamoDB that is gone answers 503, not 500', async () => {
    const { testApp: make } = await import('../helpers/app.js');
    const { Db } = await import('../../lib/store/db.js');
    const dead = await make({}, { db: new Db({ tableName: 'gone', endpoint: 'http://127.0.0.1:9' }) });
    const res = await dead.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'x' } });
    await expectProblem(res, 503, 'provider_unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
  });
});

describe('system routes', () => {
  it('healthz, openapi and docs', async () => {
    expect(await (await t.call('GET', '/healthz')).json()).toEqual({ ok: true });
    const doc = await (await t.call('GET', '/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/tenants'].post.requestBody).toBeDefined();
    const docs = await t.call('GET', '/docs');
    expect(docs.status).toBe(200);
    const csp = docs.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    // Its own policy (scripts from here only; the renderer's inline styles), not the connect flow pages' one.
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    const html = await docs.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(2);
    expect(html).not.toMatch(/<script>/);
    for (const src of scripts) {
      const asset = await t.call('GET', src);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
      expect(asset.headers.get('cache-control')).toContain('immutable');
    }
  });
  it('sets request ids and secure headers', async () => {
    const res = await t.call('GET', '/healthz');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
