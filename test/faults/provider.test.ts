import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formFields, locationOf, TestBrowser } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { type Cutter, startCutter } from './cutter.js';
import { connected, connectVia, ndjsonLines, problem, RETURN_URL } from './flow.js';

/**
 * Provider faults (500, 429 + Retry-After, delays, slow bodies, connections reset mid-answer)
 * at every step that talks to a provider: the code exchange, refresh, data routes and
 * revocation. Complements test/connections/refresh.test.ts (token-endpoint 5xx/429 on refresh) and
 * test/data/data.test.ts (HubDB 429/5xx).
 */
let s: Stack;
let cutter: Cutter;
let tenant: { id: string; apiKey: string };
let hub: string;
let drop: string;

const get = (path: string, headers: Record<string, string> = {}) =>
  s.api('GET', path, tenant.apiKey, undefined, headers);
const stats = () => s.sandbox.state.stats();
const fault = (spec: Parameters<Stack['sandbox']['state']['addFault']>[0]) => s.sandbox.state.addFault(spec);
/**
 * The sandbox's `reset` on an answer of known length, slowed so its server sends the headers
 * first: the body is cut half-way. (On a small answer a plain `reset` errors before the headers
 * are sent; the client then sees a 500, and retries. JSON answers of the API hosts are cut
 * mid-body by {@link Cutter} instead.)
 */
const cutMidBody = { reset: true, slowBodyMs: 5 } as const;
/** A fault that lets one matching request through untouched (faults match in the order added). */
const passOnce = (provider: 'hubspot' | 'dropbox', match: string) => fault({ provider, match, count: 1 });

beforeAll(async () => {
  // The API hosts (token, revoke, HubDB, RPC) go through the cutter; Dropbox content goes direct.
  cutter = await startCutter();
  s = await startStack({
    env: {
      HUBSPOT_API_URL: `${cutter.url}/hubspot/api`,
      DROPBOX_API_URL: `${cutter.url}/dropbox/api`,
    },
  });
  cutter.target = s.sandbox.url;
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
  hub = await connected(s, tenant.apiKey, 'hubspot', 'faults-hub');
  drop = await connected(s, tenant.apiKey, 'dropbox', 'faults-drop');
}, 60_000);
afterEach(() => {
  s.sandbox.state.clearFaults();
});
afterAll(async () => {
  await s?.close();
  await cutter?.close();
});

async function connectionsOf(endUserId: string): Promise<unknown[]> {
  const res = await get(`/v1/connections?endUserId=${encodeURIComponent(endUserId)}`);
  return ((await res.json()) as { connections: unknown[] }).connections;
}

describe('code exchange at the callback', () => {
  it('retries 500s, and waits out a 429 Retry-After, then connects', async () => {
    const before = stats().hubspot.faultsInjected;
    fault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 500, count: 2 });
    await connected(s, tenant.apiKey, 'hubspot', 'cx-500');
    expect(stats().hubspot.faultsInjected - before).toBe(2);

    fault({ provider: 'dropbox', match: '/oauth2/token', status: 429, retryAfter: 1, count: 1 });
    const started = Date.now();
    await connected(s, tenant.apiKey, 'dropbox', 'cx-429');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('a slow token answer (a delay, then a slow body) still connects', async () => {
    fault({ provider: 'dropbox', match: '/oauth2/token', delayMs: 1500, slowBodyMs: 300, count: 1 });
    await connected(s, tenant.apiKey, 'dropbox', 'cx-slow');
    fault({ provider: 'hubspot', match: '/oauth/2026-03/token', slowBodyMs: 500, count: 1 });
    await connected(s, tenant.apiKey, 'hubspot', 'cx-slow');
  });

  it('a connection reset mid-answer fails the sign-in cleanly; a new session connects', async () => {
    for (const [provider, match] of [
      ['hubspot', '/oauth/2026-03/token'],
      ['dropbox', '/oauth2/token'],
    ] as const) {
      cutter.arm(match);
      const back = await connectVia(s, tenant.apiKey, provider, `cx-reset-${provider}`);
      expect(back.origin + back.pathname).toBe(RETURN_URL);
      expect(back.searchParams.get('status')).toBe('error');
      expect(back.searchParams.get('error')).toBe('provider_error');
      expect(await connectionsOf(`cx-reset-${provider}`)).toEqual([]);
      // The code is spent at the provider and the session is spent here: the way to retry is a new session.
      await connected(s, tenant.apiKey, provider, `cx-reset-${provider}`);
    }
  });

  it('a provider that stays down: the browser is sent back with an error, nothing is stored', async () => {
    fault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 503, count: 0 });
    const back = await connectVia(s, tenant.apiKey, 'hubspot', 'cx-down');
    expect(back.searchParams.get('status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('provider_error');
    expect(await connectionsOf('cx-down')).toEqual([]);
  });

  it('the identity lookup failing after the exchange falls back to the account of the token answer', async () => {
    fault({ provider: 'dropbox', match: '/users/get_current_account', status: 500, count: 0 });
    const id = await connected(s, tenant.apiKey, 'dropbox', 'cx-identify', 'cx-identify');
    const conn = (await (await get(`/v1/connections/${id}`)).json()) as { account: { id: string } };
    expect(conn.account.id).toMatch(/^dbid:/);
  });

  it('headless: a provider outage answers 503 problem JSON, never a 500', async () => {
    const created = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
      provider: 'hubspot',
      endUserId: 'cx-headless',
    });
    const { id } = (await created.json()) as { id: string };
    const { authorizationUrl } = (await (
      await get(`/v1/connect-sessions/${id}/authorization-url?redirectUri=${encodeURIComponent(RETURN_URL)}`)
    ).json()) as { authorizationUrl: string };
    const browser = new TestBrowser();
    const consent = await browser.get(authorizationUrl);
    const decided = await browser.postForm(authorizationUrl.split('?')[0], {
      ...formFields(await consent.text()),
      account: 'cx-headless',
      decision: 'approve',
    });
    const code = new URL(locationOf(decided, authorizationUrl)).searchParams.get('code')!;
    fault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 503, count: 0 });
    const res = await s.api('POST', `/v1/connect-sessions/${id}/exchange`, tenant.apiKey, { code });
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('provider_unavailable');
    expect(await connectionsOf('cx-headless')).toEqual([]);
    s.sandbox.state.clearFaults();
    // The provider never took the code: the session was given back, and the same code now works, once.
    const again = await s.api('POST', `/v1/connect-sessions/${id}/exchange`, tenant.apiKey, { code });
    expect(again.status).toBe(201);
    expect((await connectionsOf('cx-headless')).length).toBe(1);
    const third = await s.api('POST', `/v1/connect-sessions/${id}/exchange`, tenant.apiKey, { code });
    expect((await problem(third)).code).toBe('invalid_request');
  });
});

describe('headless exchange, answer cut mid-body', () => {
  it('answers 503 provider_unavailable, never a 500', async () => {
    const created = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
      provider: 'dropbox',
      endUserId: 'cx-headless-cut',
    });
    const { id } = (await created.json()) as { id: string };
    const { authorizationUrl } = (await (
      await get(`/v1/connect-sessions/${id}/authorization-url`)
    ).json()) as { authorizationUrl: string };
    const browser = new TestBrowser();
    const consent = await browser.get(authorizationUrl);
    const decided = await browser.postForm(authorizationUrl.split('?')[0], {
      ...formFields(await consent.text()),
      account: 'cx-headless-cut',
      decision: 'approve',
    });
    const code = new URL(locationOf(decided, authorizationUrl)).searchParams.get('code')!;
    cutter.arm('/oauth2/token');
    const res = await s.api('POST', `/v1/connect-sessions/${id}/exchange`, tenant.apiKey, { code });
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('provider_unavailable');
    expect(await connectionsOf('cx-headless-cut')).toEqual([]);
  });
});

describe('refresh', () => {
  it('a reset mid-answer of the token endpoint: 503, still active, and the next refresh works', async () => {
    for (const [id, provider, match] of [
      [hub, 'hubspot', '/oauth/2026-03/token'],
      [drop, 'dropbox', '/oauth2/token'],
    ] as const) {
      cutter.arm(match);
      const res = await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey);
      expect(res.status, provider).toBe(503);
      expect((await problem(res)).code).toBe('provider_unavailable');
      const conn = (await (await get(`/v1/connections/${id}`)).json()) as { status: string };
      expect(conn.status).toBe('active');
      const item = await s.portico.services.connections.getItem(tenant.id, id);
      expect(item.leaseOwner).toBeUndefined();
      expect((await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey)).status).toBe(200);
      // Cut before any answer: a network error, retried.
      fault({ provider, match, reset: true, count: 1 });
      expect((await s.api('POST', `/v1/connections/${id}/refresh`, tenant.apiKey)).status).toBe(200);
    }
  });

  it('honours a 429 Retry-After and succeeds', async () => {
    fault({ provider: 'hubspot', match: '/oauth/2026-03/token', status: 429, retryAfter: 1, count: 1 });
    const started = Date.now();
    const res = await s.api('POST', `/v1/connections/${hub}/refresh`, tenant.apiKey);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('a Retry-After longer than Portico waits answers 429 rate_limited with Retry-After', async () => {
    fault({ provider: 'dropbox', match: '/oauth2/token', status: 429, retryAfter: 120, count: 1 });
    const res = await s.api('POST', `/v1/connections/${drop}/refresh`, tenant.apiKey);
    expect(res.status).toBe(429);
    expect((await problem(res)).code).toBe('rate_limited');
    expect(res.headers.get('retry-after')).toBe('120');
    const conn = (await (await get(`/v1/connections/${drop}`)).json()) as { status: string };
    expect(conn.status).toBe('active');
  });

  it('slow answers within the timeout refresh fine', async () => {
    fault({ provider: 'dropbox', match: '/oauth2/token', delayMs: 2000, slowBodyMs: 300, count: 1 });
    const res = await s.api('POST', `/v1/connections/${drop}/refresh`, tenant.apiKey);
    expect(res.status).toBe(200);
  });
});

describe('HubDB', () => {
  it('paged rows: a reset answers 503; a 429 Retry-After, a delay and a slow body are absorbed', async () => {
    const url = `/v1/connections/${hub}/hubdb/tables/products/rows?limit=50`;
    const expected = await (await get(url)).json();

    cutter.arm('/rows');
    const reset = await get(url);
    expect(reset.status).toBe(503);
    expect((await problem(reset)).code).toBe('provider_unavailable');
    fault({ provider: 'hubspot', match: '/rows', reset: true, count: 1 });
    expect((await get(url)).status).toBe(200);

    fault({ provider: 'hubspot', match: '/rows', status: 429, retryAfter: 1, count: 1 });
    const started = Date.now();
    const limited = await get(url);
    expect(limited.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    fault({ provider: 'hubspot', match: '/rows', delayMs: 1500, slowBodyMs: 300, count: 1 });
    const slow = await get(url);
    expect(slow.status).toBe(200);
    expect(await slow.json()).toEqual(expected);
  });

  it('an NDJSON stream whose second page fails ends with an error line, never silently short', async () => {
    // `archive` gets 1500 published rows, so the stream needs two HubSpot pages.
    const conn = (await (await get(`/v1/connections/${hub}`)).json()) as { account: { id: string } };
    const db = s.sandbox.state.hubdb(Number(conn.account.id));
    const table = db.find('archive')!;
    if (table.published.length < 1500) {
      for (let i = 0; i < 1500; i++) db.createRow(table, { values: {} });
      table.published = table.draft.map((r) => ({ ...r }));
    }
    const url = `/v1/connections/${hub}/hubdb/tables/archive/rows`;
    const whole = await ndjsonLines(await get(url, { accept: 'application/x-ndjson' }));
    expect(whole.length).toBe(table.published.length);

    for (const second of ['500', 'cut'] as const) {
      if (second === '500') {
        passOnce('hubspot', '/rows');
        fault({ provider: 'hubspot', match: '/rows', count: 0, status: 500 });
      } else cutter.arm('/rows', { skip: 1, count: 4 });
      const res = await get(url, { accept: 'application/x-ndjson' });
      expect(res.status).toBe(200);
      const lines = await ndjsonLines(res);
      s.sandbox.state.clearFaults();
      // The first page's rows, then the error line.
      expect(lines.length, second).toBeGreaterThan(1);
      expect(lines.length - 1).toBeLessThan(whole.length);
      expect(lines.slice(0, -1)).toEqual(whole.slice(0, lines.length - 1));
      expect(lines.at(-1)).toEqual({ error: { code: 'provider_unavailable', detail: expect.any(String) } });
    }
  });
});

describe('Dropbox', () => {
  it('listing: a reset answers 503; a slow answer is absorbed', async () => {
    cutter.arm('/files/list_folder');
    const reset = await get(`/v1/connections/${drop}/dropbox/files?path=/data`);
    expect(reset.status).toBe(503);
    expect((await problem(reset)).code).toBe('provider_unavailable');
    fault({ provider: 'dropbox', match: '/files/list_folder', delayMs: 1000, slowBodyMs: 200, count: 1 });
    expect((await get(`/v1/connections/${drop}/dropbox/files?path=/data`)).status).toBe(200);
  });

  it('download: a reset mid-body cannot pass for a whole file; 429 and slow bodies are absorbed', async () => {
    const path = `/v1/connections/${drop}/dropbox/content?path=/data/users.avro`;
    const whole = Buffer.from(await (await get(path)).arrayBuffer());

    fault({ provider: 'dropbox', match: '/files/download', ...cutMidBody, count: 1 });
    const reset = await get(path);
    expect(reset.status).toBe(200);
    const declared = Number(reset.headers.get('content-length'));
    expect(declared).toBe(whole.length);
    // Content-Length was promised, so the cut shows: reading fails (or comes up short of it).
    const got = await reset.arrayBuffer().then(
      (b) => b.byteLength,
      () => -1,
    );
    expect(got).not.toBe(declared);

    fault({ provider: 'dropbox', match: '/files/download', status: 429, retryAfter: 1, count: 1 });
    const limited = await get(path);
    expect(limited.status).toBe(200);
    expect(Buffer.from(await limited.arrayBuffer()).equals(whole)).toBe(true);

    fault({ provider: 'dropbox', match: '/files/download', delayMs: 1000, slowBodyMs: 200, count: 1 });
    const slow = await get(path);
    expect(Buffer.from(await slow.arrayBuffer()).equals(whole)).toBe(true);
  });

  it('Avro NDJSON: a reset mid-file ends the stream with an error line', async () => {
    const url = `/v1/connections/${drop}/dropbox/avro?path=/data/events-deflate.avro`;
    const whole = await ndjsonLines(await get(url, { accept: 'application/x-ndjson' }));
    fault({ provider: 'dropbox', match: '/files/download', ...cutMidBody, count: 1 });
    const res = await get(url, { accept: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const lines = await ndjsonLines(res);
    expect(lines[0].schema).toBeDefined();
    expect(lines.length).toBeLessThan(whole.length + 1);
    expect(lines.at(-1)).toEqual({ error: { code: 'provider_unavailable', detail: expect.any(String) } });
  });

  it('Avro NDJSON: a download that fails before the first line answers problem JSON', async () => {
    fault({ provider: 'dropbox', match: '/files/download', status: 503, count: 0 });
    const res = await get(`/v1/connections/${drop}/dropbox/avro?path=/data/users.avro`, {
      accept: 'application/x-ndjson',
    });
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('provider_unavailable');
  });

  it('Avro pages: a download cut mid-file answers 503 on the page that needs the lost part', async () => {
    const url = `/v1/connections/${drop}/dropbox/avro?path=/data/events-deflate.avro&limit=1000`;
    // Every download (each page is a ranged download) is cut half-way.
    fault({ provider: 'dropbox', match: '/files/download', ...cutMidBody, count: 0 });
    let cursor: string | undefined;
    let res: Response;
    for (;;) {
      res = await get(`${url}${cursor ? `&cursor=${cursor}` : ''}`);
      if (res.status !== 200) break;
      cursor = ((await res.json()) as { nextCursor?: string }).nextCursor;
      expect(cursor, 'the file ended without an error').toBeDefined();
    }
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('provider_unavailable');
    s.sandbox.state.clearFaults();
    expect((await get(`${url}${cursor ? `&cursor=${cursor}` : ''}`)).status).toBe(200);
  });
});

describe('proxy', () => {
  it('retries 5xx and a 429 Retry-After for replayable requests, then streams the answer', async () => {
    fault({ provider: 'hubspot', match: '/hubdb/2026-03/tables', status: 502, count: 2 });
    const ok = await get(`/v1/connections/${hub}/proxy/cms/hubdb/2026-03/tables?limit=1`);
    expect(ok.status).toBe(200);
    fault({ provider: 'dropbox', match: '/files/list_folder', status: 429, retryAfter: 1, count: 1 });
    const rpc = await s.api('POST', `/v1/connections/${drop}/proxy/2/files/list_folder`, tenant.apiKey, {
      path: '/data',
    });
    expect(rpc.status).toBe(200);
  });
});

describe('revocation', () => {
  it('deleting a connection: retried through 5xx, 429 and resets; a provider that stays down keeps it', async () => {
    const ids = [
      await connected(s, tenant.apiKey, 'hubspot', 'rv-1'),
      await connected(s, tenant.apiKey, 'dropbox', 'rv-2'),
      await connected(s, tenant.apiKey, 'hubspot', 'rv-3'),
    ];
    fault({ provider: 'hubspot', match: '/oauth/2026-03/token/revoke', status: 500, count: 2 });
    expect((await s.api('DELETE', `/v1/connections/${ids[0]}`, tenant.apiKey)).status).toBe(204);
    fault({ provider: 'dropbox', match: '/auth/token/revoke', status: 429, retryAfter: 1, count: 1 });
    fault({ provider: 'dropbox', match: '/auth/token/revoke', reset: true, count: 1 });
    fault({ provider: 'dropbox', match: '/auth/token/revoke', ...cutMidBody, count: 1 });
    expect((await s.api('DELETE', `/v1/connections/${ids[1]}`, tenant.apiKey)).status).toBe(204);

    const revokesBefore = stats().hubspot.revokes;
    fault({ provider: 'hubspot', match: '/oauth/2026-03/token/revoke', status: 503, count: 0 });
    const down = await s.api('DELETE', `/v1/connections/${ids[2]}`, tenant.apiKey);
    expect(down.status).toBe(503);
    expect((await problem(down)).code).toBe('provider_unavailable');
    expect((await get(`/v1/connections/${ids[2]}`)).status).toBe(200);
    s.sandbox.state.clearFaults();
    expect((await s.api('DELETE', `/v1/connections/${ids[2]}`, tenant.apiKey)).status).toBe(204);
    expect(stats().hubspot.revokes - revokesBefore).toBe(1);
    for (const id of ids) expect((await get(`/v1/connections/${id}`)).status).toBe(404);
  });

  it('revoking a tenant: 429s, resets and slow answers are retried and counted as revoked', async () => {
    const t = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
    await connected(s, t.apiKey, 'hubspot', 'trv-1');
    await connected(s, t.apiKey, 'hubspot', 'trv-2');
    await connected(s, t.apiKey, 'dropbox', 'trv-3');
    fault({
      provider: 'hubspot',
      match: '/oauth/2026-03/token/revoke',
      status: 429,
      retryAfter: 1,
      count: 1,
    });
    fault({
      provider: 'hubspot',
      match: '/oauth/2026-03/token/revoke',
      delayMs: 1000,
      slowBodyMs: 200,
      count: 1,
    });
    fault({ provider: 'dropbox', match: '/auth/token/revoke', reset: true, count: 1 });
    const res = await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { connections: unknown }).connections).toEqual({ revoked: 3, failed: 0 });
  });
});
