import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { type LocalServer, startLocal } from '../../lib/dev/local/server.js';
import { createLogger } from '../../lib/log.js';
import { formFields, locationOf, TestBrowser } from '../helpers/browser.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';
import { connected, problem, RETURN_URL } from './flow.js';

/**
 * The DynamoDB endpoint going away mid-callback and mid-refresh: Portico runs against an
 * embedded DynamoDB (dynalite on disk) that the test stops and restarts on the same port and
 * directory, as an outage of the real service would look.
 */
let dir: string;
let dynamo: EmbeddedDynamo | undefined;
let port: number;
let sandbox: Sandbox;
let portico: LocalServer;
let tenant: { id: string; apiKey: string };
const logLines: string[] = [];

async function storeDown() {
  await dynamo?.close();
  dynamo = undefined;
}
async function storeUp() {
  dynamo ??= await startEmbeddedDynamo({ dir: join(dir, 'db'), port });
}
const api = (method: string, path: string, key: string, body?: unknown) =>
  fetch(`${portico.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a connect link and approves at the sandbox: answers the callback URL, not yet visited. */
async function toCallback(browser: TestBrowser, endUserId: string): Promise<string> {
  const res = await api('POST', '/v1/connect-sessions', tenant.apiKey, {
    provider: 'hubspot',
    endUserId,
    returnUrl: RETURN_URL,
  });
  const { connectUrl } = (await res.json()) as { connectUrl: string };
  const authorizeUrl = locationOf(await browser.get(connectUrl));
  const consent = await browser.get(authorizeUrl);
  const decided = await browser.postForm(authorizeUrl.split('?')[0], {
    ...formFields(await consent.text()),
    account: endUserId,
    decision: 'approve',
  });
  return locationOf(decided, authorizeUrl);
}

async function connectionsOf(endUserId: string) {
  const res = await api('GET', `/v1/connections?endUserId=${endUserId}`, tenant.apiKey);
  return ((await res.json()) as { connections: Array<{ id: string }> }).connections;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portico-outage-'));
  dynamo = await startEmbeddedDynamo({ dir: join(dir, 'db') });
  port = Number(new URL(dynamo.endpoint).port);
  sandbox = await startSandbox();
  portico = await startLocal({
    env: {
      PORT: '0',
      DATA_DIR: join(dir, 'data'),
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      REFRESH_LEASE_MS: '1500',
      ...sandboxEnv(sandbox.url),
    },
    log: createLogger({ level: 'debug', write: (l) => logLines.push(l) }),
  });
  const res = await api('POST', '/v1/tenants', portico.adminKey, {
    name: 'Outage',
    returnUrls: ['https://app.acme.test/'],
  });
  const out = (await res.json()) as { tenant: { id: string }; apiKey: string };
  tenant = { id: out.tenant.id, apiKey: out.apiKey };
}, 60_000);
afterAll(async () => {
  await portico?.close();
  await sandbox?.close();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the store goes away', () => {
  it('before the callback: 503, nothing consumed, and the same callback succeeds once the store is back', async () => {
    const browser = new TestBrowser();
    const callbackUrl = await toCallback(browser, 'outage-before');
    await storeDown();
    let res: Response;
    try {
      res = await browser.get(callbackUrl);
    } finally {
      await storeUp();
    }
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('provider_unavailable');
    expect(res.headers.get('retry-after')).toBeTruthy();
    // Nothing was claimed: the very same answer from the provider still completes.
    const again = await browser.get(callbackUrl);
    const back = new URL(locationOf(again));
    expect(back.searchParams.get('status')).toBe('connected');
    expect(await connectionsOf('outage-before')).toHaveLength(1);
  });

  it('during the code exchange: an error at the returnUrl, no connection, and a new session connects', async () => {
    const browser = new TestBrowser();
    const callbackUrl = await toCallback(browser, 'outage-during');
    const grantsBefore = sandbox.state.hubspot.grants.size;
    sandbox.state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', delayMs: 1500, count: 1 });
    const pending = browser.get(callbackUrl);
    await sleep(500);
    await storeDown();
    let res: Response;
    try {
      res = await pending;
    } finally {
      await storeUp();
    }
    // The browser flow answers as documented: back to the returnUrl with an error code.
    expect(res.status).toBe(302);
    const back = new URL(locationOf(res));
    expect(back.origin + back.pathname).toBe(RETURN_URL);
    expect(back.searchParams.get('status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('provider_error');
    expect(await connectionsOf('outage-during')).toEqual([]);
    // Observed: the provider issued a grant that was never stored (so never revoked either),
    // and the session was claimed before the exchange, so it cannot be replayed: a new one is needed.
    expect(sandbox.state.hubspot.grants.size).toBe(grantsBefore + 1);
    const replay = new URL(locationOf(await browser.get(callbackUrl)));
    expect(replay.searchParams.get('status')).toBe('error');
    expect(await connectionsOf('outage-during')).toEqual([]);
    await connected({ api }, tenant.apiKey, 'hubspot', 'outage-during');
    expect(await connectionsOf('outage-during')).toHaveLength(1);
  });

  it('headless exchange: 503 while the store is down, and the same code works once it is back', async () => {
    const created = await api('POST', '/v1/connect-sessions', tenant.apiKey, {
      provider: 'dropbox',
      endUserId: 'outage-headless',
    });
    const { id } = (await created.json()) as { id: string };
    const { authorizationUrl } = (await (
      await api('GET', `/v1/connect-sessions/${id}/authorization-url`, tenant.apiKey)
    ).json()) as { authorizationUrl: string };
    const browser = new TestBrowser();
    const consent = await browser.get(authorizationUrl);
    const decided = await browser.postForm(authorizationUrl.split('?')[0], {
      ...formFields(await consent.text()),
      account: 'outage-headless',
      decision: 'approve',
    });
    const code = new URL(locationOf(decided, authorizationUrl)).searchParams.get('code')!;
    await storeDown();
    let res: Response;
    try {
      res = await api('POST', `/v1/connect-sessions/${id}/exchange`, tenant.apiKey, { code });
    } finally {
      await storeUp();
    }
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('provider_unavailable');
    const ok = await api('POST', `/v1/connect-sessions/${id}/exchange`, tenant.apiKey, { code });
    expect(ok.status).toBe(201);
  });

  it('mid-refresh: 503, the grant stays usable, and the next call refreshes once the store is back', async () => {
    const id = await connected({ api }, tenant.apiKey, 'hubspot', 'outage-refresh');
    await portico.services.db.update(`TENANT#${tenant.id}`, `CONN#${id}`, {
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    sandbox.state.addFault({ provider: 'hubspot', match: '/oauth/2026-03/token', delayMs: 1500, count: 1 });
    const refreshesBefore = sandbox.state.stats().hubspot.refreshes;
    const pending = api('GET', `/v1/connections/${id}/token`, tenant.apiKey);
    await sleep(500);
    await storeDown();
    let res: Response;
    try {
      res = await pending;
    } finally {
      await storeUp();
    }
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('provider_unavailable');
    // The provider did refresh, but the answer could not be stored; HubSpot keeps the refresh
    // token, so the next call (after the dead holder's lease expires) refreshes again.
    expect(sandbox.state.stats().hubspot.refreshes - refreshesBefore).toBe(1);
    const next = await api('GET', `/v1/connections/${id}/token`, tenant.apiKey);
    expect(next.status).toBe(200);
    const conn = (await (await api('GET', `/v1/connections/${id}`, tenant.apiKey)).json()) as {
      status: string;
      expiresAt: string;
    };
    expect(conn.status).toBe('active');
    expect(Date.parse(conn.expiresAt) - Date.now()).toBeGreaterThan(10 * 60_000);
    const tables = await api('GET', `/v1/connections/${id}/hubdb/tables`, tenant.apiKey);
    expect(tables.status).toBe(200);
  });

  it('logs no secret while the store is down', () => {
    const joined = logLines.join('\n');
    expect(joined).not.toContain(portico.adminKey);
    expect(joined).not.toContain(tenant.apiKey);
    expect(joined).not.toContain('sandbox-hubspot-secret');
    expect(joined).not.toContain('sandbox-dropbox-secret');
    for (const store of [sandbox.state.hubspot, sandbox.state.dropbox]) {
      for (const t of store.accessTokens.keys()) expect(joined).not.toContain(t);
      for (const t of store.grantsByRefreshToken.keys()) expect(joined).not.toContain(t);
    }
  });
});
