import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formFields, locationOf, TestBrowser } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Tenancy and state: another tenant's ids answer exactly like missing ones on every tenant route;
 * replayed or tampered callback states store nothing; sealed credentials moved to another record
 * (or another tenant) fail closed.
 */
let s: Stack;
interface T {
  id: string;
  apiKey: string;
  hub: string;
  drop: string;
  session: string;
}
let a: T;
let b: T;
const RETURN_URL = 'https://app.acme.test/done';

async function tenantWithConnections(name: string): Promise<T> {
  const t = await s.tenant({ name, returnUrls: ['https://app.acme.test/'] });
  const imported = async (provider: 'hubspot' | 'dropbox') => {
    const minted = s.sandbox.state.mint({ provider, account: `${name}-${provider}` });
    const res = await s.api('POST', '/v1/connections', t.apiKey, {
      provider,
      endUserId: `${name}-user`,
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    return ((await res.json()) as { id: string }).id;
  };
  const session = await s.api('POST', '/v1/connect-sessions', t.apiKey, {
    provider: 'hubspot',
    endUserId: `${name}-pending`,
  });
  return {
    ...t,
    hub: await imported('hubspot'),
    drop: await imported('dropbox'),
    session: ((await session.json()) as { id: string }).id,
  };
}

beforeAll(async () => {
  // These tests change items straight in the table, as another process would: no reuse of reads.
  s = await startStack({ env: { CONNECTION_CACHE_MS: '0' } });
  a = await tenantWithConnections('alpha');
  b = await tenantWithConnections('bravo');
}, 60_000);
afterAll(async () => {
  await s?.close();
});

/** What the client can compare: everything but the request id. */
async function visible(res: Response) {
  const text = await res.text();
  let body: unknown = text;
  try {
    const { requestId: _, ...rest } = JSON.parse(text) as Record<string, unknown>;
    body = rest;
  } catch {}
  return { status: res.status, type: res.headers.get('content-type'), body };
}

describe("another tenant's ids", () => {
  it('answer every tenant route exactly like ids that do not exist', async () => {
    const doc = (await (await s.api('GET', '/openapi.json', a.apiKey)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes: Array<{ method: string; template: string }> = [];
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.includes('{id}') || template.startsWith('/v1/tenants')) continue;
      for (const method of Object.keys(ops)) routes.push({ method: method.toUpperCase(), template });
    }
    for (const method of ['GET', 'POST', 'DELETE'])
      routes.push({ method, template: '/v1/connections/{id}/proxy/cms/hubdb/2026-03/tables' });
    expect(routes.length).toBeGreaterThan(15);

    const dataBefore = s.sandbox.state.stats();
    const foreign = fc.constantFrom(b.hub, b.drop, b.session);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), foreign, fc.nat(), async (route, theirs, n) => {
        const prefix = theirs.slice(0, theirs.indexOf('_') + 1);
        const missing = `${prefix}${'0123456789abcdefghjkmnpqrstvwxyz'[n % 32].repeat(16)}`;
        const path = (id: string) =>
          route.template
            .replace('{id}', id)
            .replace('{table}', 'products')
            .replace('{rowId}', '1')
            .concat(
              route.template.endsWith('/dropbox/content') ||
                route.template.endsWith('/avro') ||
                route.template.endsWith('/avro/schema')
                ? '?path=/a'
                : '',
            );
        const body =
          route.method === 'GET' || route.method === 'DELETE' ? undefined : bodyFor(route.template);
        const onTheirs = await visible(await s.api(route.method, path(theirs), a.apiKey, body));
        const onMissing = await visible(await s.api(route.method, path(missing), a.apiKey, body));
        expect(onTheirs, `${route.method} ${route.template}`).toEqual(onMissing);
        expect(onTheirs.status, `${route.method} ${route.template}`).toBe(404);
      }),
      { numRuns: 120 },
    );
    // Nothing reached a provider on the other tenant's behalf, and their connections are intact.
    const dataAfter = s.sandbox.state.stats();
    expect(dataAfter.hubspot.dataRequests).toBe(dataBefore.hubspot.dataRequests);
    expect(dataAfter.dropbox.dataRequests).toBe(dataBefore.dropbox.dataRequests);
    expect(dataAfter.hubspot.revokes + dataAfter.dropbox.revokes).toBe(
      dataBefore.hubspot.revokes + dataBefore.dropbox.revokes,
    );
    for (const id of [b.hub, b.drop])
      expect((await s.api('GET', `/v1/connections/${id}`, b.apiKey)).status).toBe(200);
  }, 60_000);
});

function bodyFor(template: string): unknown {
  if (template.endsWith('/exchange')) return { code: 'some-code' };
  if (template.endsWith('/confirm')) return { connectCode: 'some-code' };
  if (template.includes('/rows')) return { values: { name: 'x' } };
  return undefined;
}

/** A connect link opened and approved in a browser: the callback URL, not yet visited. */
async function approved(t: T, endUserId: string, browser = new TestBrowser()) {
  const res = await s.api('POST', '/v1/connect-sessions', t.apiKey, {
    provider: 'hubspot',
    endUserId,
    returnUrl: RETURN_URL,
  });
  const { id, connectUrl } = (await res.json()) as { id: string; connectUrl: string };
  const authorizeUrl = locationOf(await browser.get(connectUrl));
  const consent = await browser.get(authorizeUrl);
  const decided = await browser.postForm(authorizeUrl.split('?')[0], {
    ...formFields(await consent.text()),
    account: endUserId,
    decision: 'approve',
  });
  return { id, browser, callback: new URL(locationOf(decided, authorizeUrl)) };
}

async function connectionsOf(t: T, endUserId: string) {
  const res = await s.api('GET', `/v1/connections?endUserId=${encodeURIComponent(endUserId)}`, t.apiKey);
  return ((await res.json()) as { connections: unknown[] }).connections;
}

/** The callback's answer must refuse: an error at the returnUrl, or the HTML error page. */
async function expectRefused(res: Response, what: string) {
  expect(res.status, what).toBeLessThan(500);
  if (res.status === 302) {
    const back = new URL(locationOf(res));
    expect(back.origin + back.pathname, what).toBe(RETURN_URL);
    expect(back.searchParams.get('status'), what).toBe('error');
    expect(back.searchParams.get('connectionId'), what).toBeNull();
  } else {
    expect(res.status, what).toBe(400);
    expect(res.headers.get('content-type'), what).toContain('text/html');
  }
}

describe('callback state', () => {
  it('tampered, swapped, replayed or cross-browser answers store nothing', async () => {
    let n = 0;
    const mutation = fc.constantFrom(
      'flip-state',
      'truncate-state',
      'other-session-state',
      'other-session-code',
      'no-cookie',
      'other-browser',
      'foreign-tenant-state',
      'altered-code',
      'replay',
    );
    await fc.assert(
      fc.asyncProperty(mutation, fc.nat(), async (how, pos) => {
        const user = `tamper-${++n}`;
        const mine = await approved(a, user);
        const url = new URL(mine.callback);
        const state = url.searchParams.get('state')!;
        let browser = mine.browser;
        if (how === 'flip-state') {
          const i = pos % state.length;
          const c = state[i] === 'A' ? 'B' : 'A';
          url.searchParams.set('state', state.slice(0, i) + c + state.slice(i + 1));
        } else if (how === 'truncate-state') {
          url.searchParams.set('state', state.slice(0, Math.max(1, pos % state.length)));
        } else if (how === 'other-session-state' || how === 'other-session-code') {
          // Two sessions of the same tenant, both approved in the same browser.
          const other = await approved(a, `${user}-other`, browser);
          const key = how === 'other-session-state' ? 'state' : 'code';
          url.searchParams.set(key, other.callback.searchParams.get(key)!);
        } else if (how === 'foreign-tenant-state') {
          const theirs = await approved(b, `${user}-b`, browser);
          url.searchParams.set('state', theirs.callback.searchParams.get('state')!);
        } else if (how === 'no-cookie') {
          browser = new TestBrowser();
        } else if (how === 'other-browser') {
          browser = (await approved(a, `${user}-elsewhere`)).browser;
        } else if (how === 'altered-code') {
          url.searchParams.set('code', `${url.searchParams.get('code')}x`);
        } else if (how === 'replay') {
          const first = await browser.get(url.toString());
          expect(new URL(locationOf(first)).searchParams.get('status')).toBe('connected');
          const again = await browser.get(url.toString());
          await expectRefused(again, how);
          expect(await connectionsOf(a, user)).toHaveLength(1);
          return;
        }
        const res = await browser.get(url.toString());
        await expectRefused(res, how);
        expect(await connectionsOf(a, user), how).toEqual([]);
        expect(await connectionsOf(b, `${user}-b`), how).toEqual([]);
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});

describe('connect links', () => {
  it("altered tokens, another session's token, or another tenant's: refused before any use", async () => {
    const link = async (t: T, endUserId: string) => {
      const res = await s.api('POST', '/v1/connect-sessions', t.apiKey, { provider: 'dropbox', endUserId });
      return new URL(((await res.json()) as { connectUrl: string }).connectUrl);
    };
    const mine = await link(a, 'link-mine');
    const other = await link(a, 'link-other');
    const theirs = await link(b, 'link-theirs');
    const before = s.sandbox.state.stats().dropbox;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('flip', 'swap-session', 'swap-tenant', 'drop', 'alg-none'),
        fc.nat(),
        async (how, pos) => {
          const url = new URL(mine);
          const token = url.searchParams.get('t')!;
          if (how === 'flip') {
            const i = pos % token.length;
            url.searchParams.set(
              't',
              token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1),
            );
          } else if (how === 'swap-session') url.searchParams.set('t', other.searchParams.get('t')!);
          else if (how === 'swap-tenant') url.searchParams.set('t', theirs.searchParams.get('t')!);
          else if (how === 'drop') url.searchParams.delete('t');
          else {
            const [, payload] = token.split('.');
            url.searchParams.set('t', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`);
          }
          if (url.searchParams.get('t') === token) return; // a flip that changed nothing
          const res = await new TestBrowser().get(url.toString());
          expect(res.status, how).toBe(400);
          expect(res.headers.get('content-type'), how).toContain('text/html');
          expect(res.headers.get('location'), how).toBeNull();
        },
      ),
      { numRuns: 40 },
    );
    // The provider was never involved, and the session was not prepared (no new state).
    expect(s.sandbox.state.stats().dropbox).toEqual(before);
    // The genuine link still works afterwards.
    expect((await new TestBrowser().get(mine.toString())).status).toBe(302);
  });
});

describe('sealed credentials moved to another record', () => {
  const db = () => s.portico.services.db;
  const conn = (t: T, id: string) => db().get(`TENANT#${t.id}`, `CONN#${id}`);

  it("another connection's or another tenant's ciphertext fails closed: a clear 409, never its token", async () => {
    const victim = await tenantWithConnections('charlie');
    const tokenOf = async (t: T, id: string) =>
      (
        (await (await s.api('GET', `/v1/connections/${id}/token`, t.apiKey)).json()) as {
          accessToken: string;
        }
      ).accessToken;
    const hubToken = await tokenOf(victim, victim.hub);
    const foreignToken = await tokenOf(b, b.hub);
    const sources = [
      { what: "the same tenant's other connection", from: await conn(victim, victim.drop) },
      { what: "another tenant's connection", from: await conn(b, b.hub) },
    ];
    for (const { what, from } of sources) {
      await db().update(`TENANT#${victim.id}`, `CONN#${victim.hub}`, { credentials: from!.credentials });
      for (const [method, path] of [
        ['GET', `/v1/connections/${victim.hub}/token`],
        ['POST', `/v1/connections/${victim.hub}/refresh`],
        ['GET', `/v1/connections/${victim.hub}/hubdb/tables`],
        ['GET', `/v1/connections/${victim.hub}/proxy/cms/hubdb/2026-03/tables`],
      ] as const) {
        const res = await s.api(method, path, victim.apiKey);
        const text = await res.text();
        expect(res.status, `${what}: ${method} ${path} -> ${text}`).toBe(409);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        const problem = JSON.parse(text) as { code: string; detail: string };
        expect(problem.code).toBe('conflict');
        expect(problem.detail).toMatch(/cannot be decrypted/);
        for (const t of [hubToken, foreignToken]) expect(text).not.toContain(t);
      }
    }
    // The connection is still listed (nothing was deleted on a failed open); the others are intact.
    expect((await s.api('GET', `/v1/connections/${victim.hub}`, victim.apiKey)).status).toBe(200);
    expect(await tokenOf(b, b.hub)).toBe(foreignToken);
  });

  // Credentials that no longer open cannot be revoked at the provider, but never block deleting
  // the connection: the audit trail records the revocation as failed.
  it('a connection whose credentials no longer open can still be deleted', async () => {
    const t = await tenantWithConnections('delta');
    const other = await conn(t, t.drop);
    await db().update(`TENANT#${t.id}`, `CONN#${t.hub}`, { credentials: other!.credentials });
    const res = await s.api('DELETE', `/v1/connections/${t.hub}`, t.apiKey);
    expect(res.status).toBe(204);
    expect((await s.api('GET', `/v1/connections/${t.hub}`, t.apiKey)).status).toBe(404);
    const audit = await (await s.api('GET', '/v1/audit', t.apiKey)).json();
    expect(audit.events[0]).toMatchObject({ action: 'connection.deleted', outcome: 'failure' });
  });

  it("a session's sealed PKCE verifier moved to another session fails the sign-in, storing nothing", async () => {
    const one = await approved(a, 'verifier-one');
    const two = await approved(a, 'verifier-two');
    const from = await db().get(`SESSION#${one.id}`, 'SESSION');
    await db().update(`SESSION#${two.id}`, 'SESSION', { verifier: from!.verifier });
    const res = await two.browser.get(two.callback.toString());
    await expectRefused(res, 'moved verifier');
    expect(await connectionsOf(a, 'verifier-two')).toEqual([]);
  });

  it("another tenant's sealed app secret fails closed when the app is used", async () => {
    for (const [t, clientId] of [
      [a, 'alpha-own-app'],
      [b, 'bravo-own-app'],
    ] as const) {
      s.sandbox.state.registerApp('hubspot', {
        clientId,
        clientSecret: `${clientId}-secret`,
        name: clientId,
      });
      const res = await s.api('PUT', `/v1/tenants/${t.id}/apps/hubspot`, s.adminKey, {
        clientId,
        clientSecret: `${clientId}-secret`,
      });
      expect(res.status).toBe(200);
    }
    const theirs = await db().get(`TENANT#${b.id}`, 'APP#hubspot');
    await db().update(`TENANT#${a.id}`, 'APP#hubspot', { clientSecret: theirs!.clientSecret });
    const res = await s.api('POST', '/v1/connect-sessions', a.apiKey, {
      provider: 'hubspot',
      endUserId: 'app-swap',
    });
    const text = await res.text();
    expect(res.status, text).toBe(409);
    expect(text).not.toContain('bravo-own-app-secret');
    await s.api('DELETE', `/v1/tenants/${a.id}/apps/hubspot`, s.adminKey);
  });

  it("another tenant's sealed webhook secret does not open (events are not signed with it)", async () => {
    const theirs = await db().get(`TENANT#${b.id}`, 'META');
    await db().update(`TENANT#${a.id}`, 'META', { webhookSecret: theirs!.webhookSecret });
    await expect(s.portico.services.tenants.webhookSecret(a.id)).rejects.toThrow(/does not open/);
  });
});
