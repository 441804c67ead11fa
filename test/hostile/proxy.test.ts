import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type ClientRequest, request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Paths that try to leave the provider host through the proxy, and header injection through
 * Dropbox paths. Requests go over a real socket with the raw (unnormalized) path; every request
 * Portico then makes is recorded (its `fetch`, and its `node:http` client through the
 * `http.client.request.start` diagnostics channel, in this process) and checked, as are the
 * sandbox's counters.
 */
let s: Stack;
let tenant: { id: string; apiKey: string };
let hub: string;
let drop: string;
const upstream: Array<{ url: string; headers: Headers }> = [];
const realFetch = globalThis.fetch;
/**
 * The proxy's keep-alive client (lib/providers/keep-alive.ts) is `node:http`, not `fetch`; so is
 * the DynamoDB client's, whose calls to the embedded store are left out.
 */
const recordHttp = (message: unknown) => {
  const request = (message as { request: ClientRequest }).request;
  const url = `${request.protocol}//${request.getHeader('host')}${request.path}`;
  if (url.startsWith(s.url) || url.startsWith(s.portico.dynamoEndpoint)) return;
  const headers = new Headers();
  for (const [k, v] of Object.entries(request.getHeaders())) if (v !== undefined) headers.set(k, String(v));
  upstream.push({ url, headers });
};

beforeAll(async () => {
  // Property runs send hundreds of requests a second with one key: the per-key rate limit
  // (tested in test/http/rate-limit.test.ts) is lifted here, so a 429 is never what they see.
  s = await startStack({ env: { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' } });
  tenant = await s.tenant();
  const imported = async (provider: 'hubspot' | 'dropbox') => {
    const minted = s.sandbox.state.mint({ provider, account: `proxy-${provider}` });
    const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider,
      endUserId: 'proxy',
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    return ((await res.json()) as { id: string }).id;
  };
  hub = await imported('hubspot');
  drop = await imported('dropbox');
  // Record what Portico sends out (only calls that are not to Portico itself).
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(s.url)) upstream.push({ url, headers: new Headers(init?.headers) });
    return realFetch(input, init);
  };
  subscribe('http.client.request.start', recordHttp);
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  unsubscribe('http.client.request.start', recordHttp);
  await s?.close();
});

/** A request with the path exactly as given (no client-side normalization of dots or slashes). */
function raw(method: string, path: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(s.url);
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, method, path, headers: { authorization: `Bearer ${tenant.apiKey}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const segment = fc.constantFrom(
  'cms',
  'v3',
  'hubdb',
  'tables',
  '2',
  'files',
  'list_folder',
  'content',
  '..',
  '.',
  '%2e%2e',
  '%2E%2e',
  '.%2e',
  '%2e.',
  '%252e%252e',
  '%c0%ae%c0%ae',
  '%uff0e%uff0e',
  '%EF%BC%8E%EF%BC%8E',
  '..;',
  '..%00',
  '%2f',
  '%2F',
  '%252f',
  '%5c',
  '%5C..%5C',
  '\\',
  '\\..\\',
  '',
  'http:',
  'http:%2f%2fevil.test',
  '%2f%2fevil.test',
  '@evil.test',
  'evil.test@',
  'user:pw@evil.test',
  '%00',
  '%0d%0aHost:%20evil.test',
  '%20',
  '%09',
  '%3f',
  '%23',
  'é',
  '%C3%A9',
  '_control',
  'tenants',
  'v1',
  'oauth',
);
const restPath = fc.array(segment, { minLength: 1, maxLength: 6 }).map((segs) => segs.join('/'));
const tail = fc.constantFrom('', '?limit=1', '?x=http://evil.test/', '#frag', '?a=%0d%0a');
const method = fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD');

describe('the proxy', () => {
  it('never sends a request anywhere but under the provider API base', async () => {
    const hubBase = new URL(s.portico.config.endpoints.hubspot.apiUrl);
    const dropBases = [
      s.portico.config.endpoints.dropbox.apiUrl,
      s.portico.config.endpoints.dropbox.contentUrl!,
    ].map((u) => new URL(u));
    const before = s.sandbox.state.stats();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('hub', 'drop'), method, restPath, tail, async (which, m, rest, t) => {
        const id = which === 'hub' ? hub : drop;
        const sent = upstream.length;
        let res: Awaited<ReturnType<typeof raw>>;
        try {
          res = await raw(m, `/v1/connections/${id}/proxy/${rest}${t}`);
        } catch (err) {
          // Node refuses to send some raw paths at all; nothing reached Portico then.
          expect(String(err)).toMatch(/ERR_UNESCAPED_CHARACTERS|Request path contains unescaped characters/);
          return;
        }
        const where = `${m} proxy/${rest}${t} -> ${res.status} ${res.body.slice(0, 200)}`;
        if (res.type.startsWith('application/problem+json')) {
          expect(res.status, where).toBeLessThan(500);
          if (m !== 'HEAD') expect(JSON.parse(res.body).code, where).not.toBe('internal_error');
        }
        for (const call of upstream.slice(sent)) {
          const u = new URL(call.url);
          const bases = which === 'hub' ? [hubBase] : dropBases;
          const base = bases.find((b) => u.origin === b.origin && u.pathname.startsWith(`${b.pathname}/`));
          // Token refreshes (the OAuth token endpoint) are Portico's own calls, under the same base.
          expect(base, `${where}: Portico called ${call.url}`).toBeDefined();
          const below = u.pathname.slice(base!.pathname.length);
          const decoded = decodeURIComponent(below);
          expect(decoded.split('/'), `${where}: ${call.url}`).not.toContain('..');
          expect(decoded, `${where}: ${call.url}`).not.toMatch(/[\\\r\n\0]/);
          expect(below, `${where}: ${call.url}`).not.toMatch(/%2f|%5c/i);
          expect(call.headers.get('authorization'), where).not.toContain(tenant.apiKey);
        }
      }),
      { numRuns: 400 },
    );
    // The sandbox agrees: only the provider's API surface saw requests (no consent, no revocation,
    // no control routes), each under its provider's prefix.
    const after = s.sandbox.state.stats();
    for (const p of ['hubspot', 'dropbox'] as const) {
      expect(after[p].authorizations).toEqual(before[p].authorizations);
      expect(after[p].revokes).toBe(before[p].revokes);
      for (const key of Object.keys(after[p].routes)) expect(key, key).toMatch(new RegExp(`^[A-Z]+ /${p}/`));
    }
    expect(upstream.some((c) => new URL(c.url).pathname.startsWith('/_control'))).toBe(false);
    // The fuzz did reach the providers (not only refusals).
    expect(upstream.length).toBeGreaterThan(50);
    // The connections still work.
    expect((await s.api('GET', `/v1/connections/${hub}/hubdb/tables`, tenant.apiKey)).status).toBe(200);
  }, 60_000);
});

describe('Dropbox arguments', () => {
  it('a cursor that is not one answers 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.base64String(), fc.constantFrom('AAAA', 'x'.repeat(4000))),
        async (c) => {
          const res = await s.api(
            'GET',
            `/v1/connections/${drop}/dropbox/files?cursor=${encodeURIComponent(c.replace(/[\ud800-\udfff]/g, ''))}`,
            tenant.apiKey,
          );
          const text = await res.text();
          expect(res.status, `${JSON.stringify(c)} -> ${text}`).toBeLessThan(500);
          if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json');
        },
      ),
      { numRuns: 60 },
    );
  });

  const pathChar = fc.constantFrom(
    '\r',
    '\n',
    '\r\n',
    '\u0000',
    '\t',
    '\u007f',
    '\u0085',
    '\u2028',
    '\u2029',
    'é',
    'Ω',
    '😀',
    '\ud800',
    '"',
    '\\',
    '%',
    ':',
    ' ',
    'x-evil: 1',
    'Dropbox-API-Arg: {}',
  );
  const hostilePath = fc
    .tuple(
      fc.constantFrom('/', '/data/', 'id:', '', '/Données/'),
      fc.array(fc.oneof(pathChar, fc.string()), { maxLength: 5 }),
    )
    .map(([head, parts]) => head + parts.join(''));

  it('CR/LF/unicode in `path` never reach a header, for the files, content and avro routes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('files', 'content', 'avro'),
        hostilePath,
        fc.boolean(),
        async (route, p, ndjson) => {
          const sent = upstream.length;
          const res = await s.api(
            'GET',
            `/v1/connections/${drop}/dropbox/${route}?path=${encodeURIComponent(p.replace(/[\ud800-\udfff]/g, '\ufffd'))}`,
            tenant.apiKey,
            undefined,
            ndjson ? { accept: 'application/x-ndjson' } : {},
          );
          const text = await res.text();
          const where = `${route} ${JSON.stringify(p)} -> ${res.status} ${text.slice(0, 200)}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get('content-type'), where).toBe('application/problem+json');
            expect(JSON.parse(text).code, where).not.toBe('internal_error');
          }
          for (const [k, v] of res.headers) expect(`${k}: ${v}`, where).not.toMatch(/[\r\n]|x-evil/i);
          for (const call of upstream.slice(sent)) {
            const arg = call.headers.get('dropbox-api-arg');
            if (arg === null) continue;
            // ASCII-only JSON, control characters escaped, and exactly the path asked for.
            expect(arg, where).toMatch(/^[\x20-\x7e]*$/);
            const got = (JSON.parse(arg) as { path: string }).path.replace(/\/$/, '');
            // A folder read as an Avro table downloads its files by the ids its listing named.
            if (route === 'avro' && /^id:[A-Za-z0-9_-]+$/.test(got)) continue;
            expect(got, where).toBe(p.replace(/[\ud800-\udfff]/g, '\ufffd').replace(/\/$/, ''));
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});
