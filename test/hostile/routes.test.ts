import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY } from '../helpers/app.js';
import { answerText, buildWorld, expectNoSecret, expectProblem, type World } from './world.js';

/**
 * Every route, its path, query, headers and body fuzzed: never a 5xx (nor `internal_error`),
 * every error problem JSON with a stable code (or the documented HTML pages of the browser
 * routes), and no secret in any answer or log line. Routes come from `GET /openapi.json`, plus
 * the ones it does not list.
 */
let w: World;
let routes: Route[];
let logSeen = 0;

interface Route {
  method: string;
  template: string;
  body: boolean;
}

const nonOpenApi: Route[] = [
  { method: 'GET', template: '/connect/{sid}', body: false },
  { method: 'GET', template: '/oauth/callback', body: false },
  { method: 'GET', template: '/healthz', body: false },
  { method: 'GET', template: '/docs', body: false },
  { method: 'GET', template: '/openapi.json', body: false },
  { method: 'GET', template: '/sdk/connect.js', body: false },
  { method: 'GET', template: '/admin', body: false },
  { method: 'GET', template: '/v1/tenants/{tenantId}/connections', body: false },
  ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].map((method) => ({
    method,
    template: '/v1/connections/{id}/proxy/{rest}',
    body: method !== 'GET' && method !== 'HEAD',
  })),
];

beforeAll(async () => {
  w = await buildWorld();
  const doc = (await (await w.t.call('GET', '/openapi.json')).json()) as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  routes = [...nonOpenApi];
  for (const [template, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops))
      routes.push({ method: method.toUpperCase(), template, body: Boolean(op.requestBody) });
}, 60_000);
afterAll(async () => {
  await w?.close();
});

// --- generators -------------------------------------------------------------------------------

const nasty = fc.constantFrom(
  '',
  ' ',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%00',
  '\\',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '%25',
  'null',
  '__proto__',
  'constructor',
  '-1',
  '0',
  '1e309',
  'NaN',
  'Infinity',
  '\r\nx-evil: 1',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'a'.repeat(300),
  '😀',
  '\u0000',
  '\u202e',
  'ptk_x',
  'conn_',
  '/etc/passwd',
  '{"pk":"TENANT#x"}',
);
const text = fc.oneof(
  nasty,
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.stringMatching(/^[a-z]{2,4}_[0-9a-z]{6,42}$/),
);
const safeEncode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // lone surrogates: the URL parser replaces them
  }
};

/** Ids worth trying in a path: the fixtures' own (mostly), the other tenant's, unknown ones, junk. */
function pathValue(name: string, method: string, template: string) {
  const { a, b } = w;
  // Never destroy the fixtures the fuzz needs to reach deep code (tenant revocation, their connections).
  const destructive = method === 'DELETE' && /\/(tenants|connections)\/\{[a-zA-Z]+\}$/.test(template);
  const good: Record<string, string[]> = {
    tenantId: destructive ? ['ten_zzzzzzzzzzzzzzzz'] : [a.id],
    sid: [a.session],
    id: destructive ? [b.hub] : template.includes('connect-sessions') ? [a.session] : [a.hub, a.drop, a.pat],
    provider: ['hubspot', 'dropbox'],
    table: ['products', 'stores', 'archive'],
    rowId: ['1', '99999999999'],
    keyId: ['key_00000000'],
    rest: [
      'cms/hubdb/2026-03/tables',
      'cms/hubdb/2026-03/tables/products/rows',
      '2/files/list_folder',
      'content/2/files/download',
      'account-info/2026-03/details',
    ],
  };
  const other = [
    ...(destructive ? [] : [b.id, b.hub, b.session, a.session]),
    'conn_0000000000000000',
    'ten_zzzzzzzzzzzzzzzz',
    'cs_0000000000',
    'HubSpot',
    'slack',
    'nope',
    '0',
  ];
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...(good[name] ?? other)) },
    { weight: 2, arbitrary: fc.constantFrom(...other) },
    { weight: 2, arbitrary: text.map(safeEncode) },
    { weight: 1, arbitrary: text },
  );
}

const queryNames = fc.constantFrom(
  'limit',
  'cursor',
  'provider',
  'endUserId',
  'path',
  'recursive',
  'redirectUri',
  'sort',
  'properties',
  't',
  'code',
  'state',
  'error',
  'name__eq',
  'price__gt',
  'x__hack',
  '__proto__',
  '',
);
/** Cursors: junk, and base64url JSON keys, some naming the caller's own partitions (tampered cursors). */
function cursorValue() {
  const { a } = w;
  const keyValue = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(`TENANT#${a.id}`, `AUDIT#${a.id}`, 'TENANT', `CONN#${a.hub}`, 'META', ''),
  );
  const keys = fc.constantFrom('pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'x', 'id');
  return fc.oneof(
    text,
    fc
      .dictionary(keys, fc.oneof(keyValue, fc.jsonValue({ maxDepth: 1 })), { maxKeys: 4 })
      .map((o) => Buffer.from(JSON.stringify(o)).toString('base64url')),
  );
}
const query = () =>
  fc
    .array(fc.tuple(queryNames, fc.oneof(text, cursorValue())), { maxLength: 4 })
    .chain((pairs) =>
      fc
        .boolean()
        .map((raw) =>
          raw
            ? pairs.map(([k, v]) => `${k}=${v}`).join('&')
            : new URLSearchParams(pairs.map(([k, v]) => [k, v.replace(/[\uD800-\uDFFF]/g, '')])).toString(),
        ),
    );

/** Mostly the credential the route wants (so the fuzz gets past auth), sometimes anything else. */
function authorization(template: string) {
  const { a, b } = w;
  const wanted = template.startsWith('/v1/tenants') ? `Bearer ${ADMIN_KEY}` : `Bearer ${a.apiKey}`;
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant(wanted) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `Bearer ${b.apiKey}`,
        `Bearer ${ADMIN_KEY}`,
        `Bearer ${a.apiKey}`,
        undefined,
        '',
        'Bearer',
        'Bearer ',
        'Basic YWRtaW46YWRtaW4=',
        `bearer ${a.apiKey}`,
        `Bearer ${a.apiKey} extra`,
        `Bearer ${a.apiKey.slice(0, -1)}`,
        'Bearer ptk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'Bearer pak_nope',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.',
      ),
    },
    { weight: 1, arbitrary: fc.stringMatching(/^Bearer [\x21-\x7e]{0,80}$/) },
  );
}

const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const extraHeaders = fc.record(
  {
    accept: fc.constantFrom('application/x-ndjson', 'text/html', '*/*', 'application/json', 'x/y;q=0'),
    'content-type': fc.constantFrom(
      'application/json',
      'application/json',
      'application/json',
      'application/json',
      'application/json; charset=utf-16',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/merge-patch+json',
    ),
    'x-request-id': headerValue,
    cookie: headerValue,
    range: fc.constantFrom('bytes=0-10', 'bytes=-1', 'bytes=a-b'),
    'dropbox-api-arg': fc.oneof(headerValue, fc.constant('{"path":"/data/users.avro"}')),
    'x-forwarded-host': headerValue,
  },
  { requiredKeys: [] },
);

const bodyFields = fc.constantFrom(
  'provider',
  'endUserId',
  'returnUrl',
  'scopes',
  'code',
  'redirectUri',
  'credentials',
  'name',
  'returnUrls',
  'webhookUrl',
  'clientId',
  'clientSecret',
  'values',
  'type',
  'refreshToken',
  'token',
  '__proto__',
);
const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  text,
  fc.constantFrom(
    'hubspot',
    'dropbox',
    'https://app.acme.test/done',
    'http://169.254.169.254/latest',
    'javascript:alert(1)',
    ['x'],
    { type: 'oauth2', refreshToken: 'nope' },
    { type: 'private_app', token: 'pat-na1-00000000' },
    { name: 'x' },
  ),
);
const appBody = fc.record(
  {
    clientId: fc.oneof(text, fc.constant('my-app')),
    clientSecret: fc.oneof(fc.stringMatching(/^csec_[A-Za-z0-9]{20}$/), text),
    scopes: fc.oneof(fc.array(text, { maxLength: 3 }), jsonish),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 2, arbitrary: appBody.map((o) => JSON.stringify(o)) },
  { weight: 4, arbitrary: fc.dictionary(bodyFields, jsonish, { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('{"name":', '[]', 'null', '{}', '{"__proto__":{"x":1}}', '1') },
);

const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');

// --- the property -----------------------------------------------------------------------------

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function request(fixed?: Route) {
  return fc
    .record({
      routeIndex: fc.nat(),
      otherMethod: fc.option(methods, { freq: 8 }),
      query: query(),
      headers: extraHeaders,
      body: fc.option(body, { freq: 6 }),
      seed: fc.nat(),
    })
    .chain((r) => {
      const route = fixed ?? routes[r.routeIndex % routes.length];
      const method = r.otherMethod ?? route.method;
      const names = [...route.template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const values = names.length
        ? fc.tuple(...names.map((n) => pathValue(n, method, route.template)))
        : fc.constant([] as string[]);
      return fc
        .tuple(values, authorization(route.template))
        .map(([vals, auth]): Sent & { template: string } => {
          let path = route.template;
          names.forEach((n, i) => {
            path = path.replace(`{${n}}`, vals[i] ?? '');
          });
          const headers: Record<string, string> = { ...r.headers };
          if (auth !== undefined) headers.authorization = auth;
          const sendsBody = method !== 'GET' && method !== 'HEAD' && (route.body || r.body !== null);
          return {
            template: route.template,
            method,
            path: `${path}${r.query ? `?${r.query}` : ''}`,
            headers,
            body: sendsBody ? (r.body ?? '{}') : undefined,
          };
        });
    });
}

const isBrowserRoute = (template: string) => template === '/connect/{sid}' || template === '/oauth/callback';

/** The log lines written since the last check: no secret, and no `error` (an unexpected failure). */
function checkLogs(where: string, secrets = w.secrets()) {
  const fresh = w.t.logLines.slice(logSeen);
  logSeen = w.t.logLines.length;
  for (const line of fresh) expectNoSecret(line, secrets, `a log line of ${where}`);
  for (const line of fresh) expect(line, where).not.toContain('"level":"error"');
}

async function checkAnswer(sent: Sent & { template: string }) {
  let req: Request;
  try {
    req = new Request(`http://localhost${sent.path.startsWith('/') ? '' : '/'}${sent.path}`, {
      method: sent.method,
      headers: sent.headers,
      body: sent.body,
    });
  } catch {
    return; // not even a valid HTTP request (the client library refuses it)
  }
  // Client secrets sent to PUT …/apps/… are marked, so any echo of them is caught.
  for (const m of (sent.body ?? '').matchAll(/csec_[A-Za-z0-9]{20}/g)) w.remember(m[0]);
  const res = await w.t.app.request(req);
  const where = `${sent.method} ${sent.path}`;
  const { text: whole, body: bodyText } = await answerText(res);
  const secrets = w.secrets();
  const tokenRoute =
    /^\/v1\/connections\/[^/]+\/token$/.test(new URL(req.url).pathname) && res.status === 200;
  expectNoSecret(
    whole,
    tokenRoute ? secrets.filter((s) => !whole.includes(`"accessToken":"${s}"`)) : secrets,
    `the answer to ${where}`,
  );
  checkLogs(where, secrets);

  const proxied =
    sent.template.includes('/proxy/') && res.headers.get('content-type') !== 'application/problem+json';
  if (proxied) return; // the provider's own answer, passed through unchanged (docs/api.md, "Proxy")
  expect(res.status, `${where} -> ${bodyText.slice(0, 300)}`).toBeLessThan(500);
  if (res.status < 400 || sent.method === 'HEAD') return;
  if (isBrowserRoute(sent.template) && (res.headers.get('content-type') ?? '').startsWith('text/html'))
    return;
  expectProblem(res, bodyText, where);
}

describe('every route, fuzzed', () => {
  it('never answers 5xx, always problem JSON, never a secret (answers and logs)', async () => {
    await fc.assert(fc.asyncProperty(request(), checkAnswer), { numRuns: 2500, endOnFailure: true });
  }, 120_000);

  it('list routes with tampered cursors: 400, never a 500', async () => {
    const lists = [
      ['/v1/connections', w.a.apiKey],
      ['/v1/audit', w.a.apiKey],
      ['/v1/tenants', ADMIN_KEY],
      [`/v1/tenants/${w.a.id}/audit`, ADMIN_KEY],
      [`/v1/tenants/${w.a.id}/connections`, ADMIN_KEY],
    ] as const;
    const cursor = fc.oneof(
      cursorValue(),
      fc.constantFrom(...lists).map(([path]) => {
        const pk = path.includes('audit') ? `AUDIT#${w.a.id}` : `TENANT#${w.a.id}`;
        return Buffer.from(JSON.stringify({ pk, sk: 'CONN#x', extra: 'y' })).toString('base64url');
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...lists), cursor, async ([path, key], c) => {
        const res = await w.t.call('GET', `${path}?cursor=${c}`, { key });
        const bodyText = await res.text();
        expect(res.status, `${path}?cursor=${c} -> ${bodyText}`).toBeLessThan(500);
        if (res.status >= 400) expectProblem(res, bodyText, path);
        checkLogs(`${path}?cursor=${c}`);
      }),
      { numRuns: 200, endOnFailure: true },
    );
  });

  it('oversize bodies on every route that takes one: 413, sized or streamed', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024), values: {} });
    const withBody = routes.filter((r) => r.body && !r.template.includes('/proxy/'));
    expect(withBody.length).toBeGreaterThan(6);
    for (const route of withBody) {
      const path = route.template
        .replace('{tenantId}', w.a.id)
        .replace('{id}', route.template.includes('connect-sessions') ? w.a.session : w.a.hub)
        .replace('{provider}', 'hubspot')
        .replace('{table}', 'products')
        .replace('{rowId}', '1');
      const key = route.template.startsWith('/v1/tenants') ? ADMIN_KEY : w.a.apiKey;
      for (const streamed of [false, true]) {
        const bytes = new TextEncoder().encode(big);
        const body = streamed
          ? new ReadableStream<Uint8Array>({
              start(c) {
                for (let i = 0; i < bytes.length; i += 65536) c.enqueue(bytes.subarray(i, i + 65536));
                c.close();
              },
            })
          : big;
        const req = new Request(`http://localhost${path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body,
          ...(streamed ? { duplex: 'half' } : {}),
        } as RequestInit);
        const res = await w.t.app.request(req);
        const text = await res.text();
        const where = `${route.method} ${route.template}${streamed ? ' (streamed)' : ''}`;
        expect(res.status, `${where}: ${text.slice(0, 200)}`).toBe(413);
        expect(expectProblem(res, text, where).code).toBe('payload_too_large');
      }
    }
  });

  it('each route at least a few times, with the methods it serves', async () => {
    for (const route of routes) {
      await fc.assert(fc.asyncProperty(request(route), checkAnswer), { numRuns: 12, endOnFailure: true });
    }
  }, 120_000);
});
