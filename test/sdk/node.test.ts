import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Portico, PorticoAdmin, PorticoError, verifyWebhook } from '../../packages/node/dist/index.js';
import { formFields, locationOf, TestBrowser } from '../helpers/browser.js';
import { startReceiver } from '../helpers/receiver.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * `@portico/node` as built (packages/node/dist), against a real local Portico and the sandbox over
 * HTTP: connect headlessly, page and stream HubDB rows, stream Avro, download, proxy, verify a
 * webhook Portico really delivered, and the errors, retries, timeouts and cancellation.
 */
let s: Stack;
let admin: PorticoAdmin;
let portico: Portico;
let webhookSecret: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let hub = '';
let drop = '';

/** The headless flow as a backend runs it: the raw URL, the user's consent (the sandbox's page), the code. */
async function connect(provider: 'hubspot' | 'dropbox', endUserId: string) {
  const session = await portico.connectSessions.create({ provider, endUserId });
  const redirectUri = 'https://backend.acme.test/oauth/done';
  const { authorizationUrl } = await portico.connectSessions.authorizationUrl(session.id, redirectUri);
  const browser = new TestBrowser();
  const fields = formFields(await (await browser.get(authorizationUrl)).text());
  const decided = await browser.postForm(authorizationUrl.split('?')[0], { ...fields, decision: 'approve' });
  const code = new URL(locationOf(decided)).searchParams.get('code') ?? '';
  return portico.connectSessions.exchange(session.id, { code, redirectUri });
}

beforeAll(async () => {
  s = await startStack();
  receiver = await startReceiver();
  admin = new PorticoAdmin({ baseUrl: s.url, adminKey: s.adminKey });
  const created = await admin.tenants.create({ name: 'SDK', webhookUrl: receiver.url });
  webhookSecret = created.webhookSecret;
  portico = new Portico({ baseUrl: s.url, apiKey: created.apiKey });
  hub = (await connect('hubspot', 'sdk-hub')).id;
  drop = (await connect('dropbox', 'sdk-drop')).id;
});
afterAll(async () => {
  await receiver?.close();
  await s?.close();
});

describe('@portico/node against a local Portico', () => {
  it('connects headlessly and lists every connection across pages', async () => {
    const one = await portico.connections.get(hub);
    expect(one.status).toBe('active');
    expect(one.provider).toBe('hubspot');
    const all = [];
    for await (const c of portico.connections.list({ limit: 1 })) all.push(c.id);
    expect(all.sort()).toEqual([hub, drop].sort());
    const token = await portico.connections.token(hub);
    expect(token.tokenType).toBe('bearer');
    expect(token.accessToken.length).toBeGreaterThan(10);
  });

  it('pages HubDB rows and streams the same rows as NDJSON', async () => {
    const tables = [];
    for await (const t of portico.hubdb.tables(hub)) tables.push(t.name);
    expect(tables).toContain('products');
    const paged = [];
    for await (const row of portico.hubdb.rows(hub, 'products', { limit: 2 })) paged.push(row);
    expect(paged.length).toBeGreaterThan(2);
    const streamed = [];
    for await (const row of portico.hubdb.streamRows(hub, 'products')) streamed.push(row);
    expect(streamed.map((r) => r.id)).toEqual(paged.map((r) => r.id));
    expect(Object.keys(streamed[0].values).length).toBeGreaterThan(0);
  });

  it('passes HubDB filters and sort through', async () => {
    const all = [];
    for await (const row of portico.hubdb.rows(hub, 'products')) all.push(row);
    const first = all[0];
    const [column, value] = Object.entries(first.values).find(([, v]) => typeof v === 'string') ?? [];
    expect(column).toBeDefined();
    const filtered = [];
    for await (const row of portico.hubdb.rows(hub, 'products', {
      filters: { [`${column}__eq`]: String(value) },
    }))
      filtered.push(row);
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.length).toBeLessThan(all.length);
    for (const row of filtered) expect(row.values[column as string]).toBe(value);
  });

  it('lists files, downloads one as a web stream, and reads Avro paged and streamed', async () => {
    const entries = [];
    for await (const e of portico.dropbox.files(drop, { path: '/data' })) entries.push(e.path);
    expect(entries).toContain('/data/users.avro');

    const stream = await portico.dropbox.download(drop, '/README.txt');
    expect(stream).toBeInstanceOf(ReadableStream);
    const text = await new Response(stream).text();
    expect(text.length).toBeGreaterThan(0);

    const page = await portico.dropbox.avro(drop, '/data/users.avro', { limit: 2 });
    expect(page.rows).toHaveLength(2);
    expect(page.nextCursor).toBeTruthy();
    let schema: unknown;
    const rows = [];
    for await (const row of portico.dropbox.streamAvro(drop, '/data/users.avro', {
      onSchema: (x) => (schema = x),
    }))
      rows.push(row);
    expect(schema).toEqual(page.schema);
    expect(rows.slice(0, 2)).toEqual(page.rows);
    expect(rows.length).toBeGreaterThan(2);
  });

  it("proxies a call to the provider's own API", async () => {
    const res = await portico.proxy.fetch(drop, '2/users/get_current_account', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'null',
    });
    expect(res.status).toBe(200);
    const account = (await res.json()) as { account_id: string };
    expect(account.account_id).toBe((await portico.connections.get(drop)).account.id);
  });

  it('verifies a webhook Portico delivered, and refuses a tampered one', async () => {
    await receiver.waitFor((r) => r.some((x) => x.body.includes(hub)));
    const delivery = receiver.received.find((x) => x.body.includes(hub));
    if (!delivery) throw new Error('no delivery');
    const event = verifyWebhook(delivery.headers as Record<string, string>, delivery.body, webhookSecret);
    expect(event.type).toBe('connection.created');
    if (event.type === 'connection.created') expect(event.data.connection.id).toBe(hub);
    const tampered = delivery.body.replace('connection.created', 'connection.deleted');
    expect(() => verifyWebhook(delivery.headers as Record<string, string>, tampered, webhookSecret)).toThrow(
      expect.objectContaining({ name: 'PorticoError', code: 'invalid_webhook' }),
    );
    expect(() =>
      verifyWebhook(
        delivery.headers as Record<string, string>,
        delivery.body,
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      ),
    ).toThrow(PorticoError);
  });

  it('confirms a browser flow for a tenant that requires it, and refuses another end user', async () => {
    const created = await admin.tenants.create({
      name: 'Confirming',
      returnUrls: ['https://app.acme.test/integrations'],
      requireConfirmation: true,
    });
    const confirming = new Portico({ baseUrl: s.url, apiKey: created.apiKey });
    const session = await confirming.connectSessions.create({
      provider: 'hubspot',
      endUserId: 'sdk-confirm',
      returnUrl: 'https://app.acme.test/integrations/done',
    });
    // The end user's browser: Portico's consent step, Continue, the provider's consent, the callback.
    const browser = new TestBrowser();
    const page = await browser.get(session.connectUrl);
    const cont = await browser.request(`${s.url}/connect/${session.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(s.url).origin },
      body: new URLSearchParams(formFields(await page.text())).toString(),
    });
    const authorizeUrl = locationOf(cont);
    const consent = await browser.get(authorizeUrl);
    const decided = await browser.postForm(authorizeUrl.split('?')[0], {
      ...formFields(await consent.text()),
      decision: 'approve',
    });
    const back = new URL(locationOf(await browser.get(locationOf(decided, authorizeUrl))));
    const connectCode = back.searchParams.get('connectCode') ?? '';
    const id = back.searchParams.get('connectionId') ?? '';
    expect((await confirming.connections.get(id)).status).toBe('pending');
    expect((await confirming.connectSessions.get(session.id)).confirmed).toBe(false);

    const other = await confirming.connectSessions
      .confirm(session.id, { connectCode, endUserId: 'someone-else' })
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ name: 'PorticoError', status: 409 });
    const confirmed = await confirming.connectSessions.confirm(session.id, {
      connectCode,
      endUserId: 'sdk-confirm',
    });
    expect(confirmed).toMatchObject({ id, status: 'active' });
    expect((await confirming.connectSessions.get(session.id)).confirmed).toBe(true);
    expect((await confirming.connections.token(id)).accessToken.length).toBeGreaterThan(10);
  });

  it('revokes a tenant and verifies the tenant.revoked delivery with its counts', async () => {
    const hooks = await startReceiver();
    try {
      const created = await admin.tenants.create({ name: 'Leaving', webhookUrl: hooks.url });
      const leaving = new Portico({ baseUrl: s.url, apiKey: created.apiKey });
      const session = await leaving.connectSessions.create({ provider: 'dropbox', endUserId: 'leaving-1' });
      const redirectUri = 'https://backend.acme.test/oauth/done';
      const { authorizationUrl } = await leaving.connectSessions.authorizationUrl(session.id, redirectUri);
      const browser = new TestBrowser();
      const fields = formFields(await (await browser.get(authorizationUrl)).text());
      const decided = await browser.postForm(authorizationUrl.split('?')[0], {
        ...fields,
        decision: 'approve',
      });
      const code = new URL(locationOf(decided)).searchParams.get('code') ?? '';
      await leaving.connectSessions.exchange(session.id, { code, redirectUri });

      const answer = await admin.tenants.revoke(created.tenant.id);
      expect(answer.tenantId).toBe(created.tenant.id);
      expect(['revoked', 'revoking']).toContain(answer.status);
      await hooks.waitFor((r) => r.some((x) => x.body.includes('"tenant.revoked"')));
      const delivery = hooks.received.find((x) => x.body.includes('"tenant.revoked"'));
      if (!delivery) throw new Error('no tenant.revoked delivery');
      const event = verifyWebhook(
        delivery.headers as Record<string, string>,
        delivery.body,
        created.webhookSecret,
      );
      expect(event.type).toBe('tenant.revoked');
      if (event.type === 'tenant.revoked')
        expect(event.data).toEqual({ tenantId: created.tenant.id, connections: { revoked: 1, failed: 0 } });
      expect((await admin.tenants.get(created.tenant.id)).status).toBe('revoked');
      const failures = [];
      for await (const f of admin.tenants.revocationFailures(created.tenant.id)) failures.push(f);
      expect(failures).toEqual([]);
    } finally {
      await hooks.close();
    }
  });

  it("fails with the problem's code, status, detail and request id", async () => {
    const err = await portico.connections.get('conn_doesnotexist000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PorticoError);
    expect(err).toMatchObject({ code: 'not_found', status: 404 });
    expect((err as PorticoError).detail).toBeTruthy();
    expect((err as PorticoError).requestId).toBeTruthy();
    const wrongKind = await portico.hubdb.table(drop, 'products').catch((e: unknown) => e);
    expect(wrongKind).toBeInstanceOf(PorticoError);
    const bad = new Portico({ baseUrl: s.url, apiKey: 'ptk_not-a-key' });
    await expect(bad.connections.get(hub)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });
});

describe('@portico/node retries, timeouts and cancellation', () => {
  let server: Server;
  let url = '';
  let answers: Array<{ status: number; headers?: Record<string, string>; body?: string; hang?: boolean }> =
    [];
  let seen = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      seen++;
      const a = answers.shift() ?? { status: 200, body: '{"connections":[]}' };
      if (a.hang) return;
      res.writeHead(a.status, {
        'content-type': 'application/json',
        'x-request-id': 'req_test',
        ...a.headers,
      });
      res.end(a.body ?? '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const problem = (status: number, code: string) =>
    JSON.stringify({ type: 'about:blank', title: code, status, detail: code, code });

  it('retries 429 and 503 honouring Retry-After, within the budget', async () => {
    const waits: number[] = [];
    const client = new Portico({
      baseUrl: url,
      apiKey: 'ptk_x',
      retryBudgetMs: 10_000,
      sleep: async (ms) => void waits.push(ms),
    });
    answers = [
      { status: 429, headers: { 'retry-after': '2' }, body: problem(429, 'rate_limited') },
      { status: 503, headers: { 'retry-after': '3' }, body: problem(503, 'provider_unavailable') },
      { status: 200, body: '{"connections":[]}' },
    ];
    seen = 0;
    const all = [];
    for await (const c of client.connections.list()) all.push(c);
    expect(all).toEqual([]);
    expect(seen).toBe(3);
    expect(waits).toEqual([2000, 3000]);
  });

  it('gives up with the error once Retry-After would exceed the budget', async () => {
    const waits: number[] = [];
    const client = new Portico({
      baseUrl: url,
      apiKey: 'ptk_x',
      retryBudgetMs: 5_000,
      sleep: async (ms) => void waits.push(ms),
    });
    answers = [
      { status: 429, headers: { 'retry-after': '3' }, body: problem(429, 'rate_limited') },
      { status: 429, headers: { 'retry-after': '3' }, body: problem(429, 'rate_limited') },
    ];
    const err = await client.connections.get('conn_1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfter: 3, requestId: 'req_test' });
    expect(waits).toEqual([3000]);
    // Other errors are not retried.
    answers = [{ status: 404, body: problem(404, 'not_found') }];
    seen = 0;
    await expect(client.connections.get('conn_1')).rejects.toMatchObject({ code: 'not_found' });
    expect(seen).toBe(1);
  });

  it('times out, and stops when its AbortSignal fires', async () => {
    const client = new Portico({ baseUrl: url, apiKey: 'ptk_x' });
    answers = [{ status: 200, hang: true }];
    await expect(client.connections.get('conn_1', { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'timeout',
      status: 0,
    });
    answers = [{ status: 200, hang: true }];
    const controller = new AbortController();
    const pending = client.connections.token('conn_1', { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });
});
