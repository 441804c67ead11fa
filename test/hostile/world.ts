import { expect } from 'vitest';
import { ADMIN_KEY, type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';

/** Stable problem codes (docs/api.md, "Errors"). `internal_error` is deliberately absent. */
export const STABLE_CODES = [
  'unauthorized',
  'forbidden',
  'not_found',
  'invalid_request',
  'conflict',
  'needs_reauth',
  'payload_too_large',
  'rate_limited',
  'provider_error',
  'provider_unavailable',
];

export interface TenantFixture {
  id: string;
  apiKey: string;
  webhookSecret: string;
  /** Connection ids: HubSpot OAuth, Dropbox OAuth, HubSpot private app. */
  hub: string;
  drop: string;
  pat: string;
  /** A pending connect session. */
  session: string;
}

export interface World {
  t: TestApp;
  sandbox: Sandbox;
  a: TenantFixture;
  b: TenantFixture;
  /** Every secret that must never appear in an answer or a log line (plus the sandbox's tokens). */
  secrets(): string[];
  /** Secrets a request carried in its body (e.g. a client secret): never to be echoed. */
  remember(secret: string): void;
  close(): Promise<void>;
}

let patSeq = 0;

/**
 * The real app (in process, `app.request`) over the embedded DynamoDB, its providers served by
 * a real sandbox server, with two tenants that each have a HubSpot, a Dropbox and a private-app
 * connection and a pending connect session. Every log line is captured.
 */
export async function buildWorld(): Promise<World> {
  const sandbox = await startSandbox();
  const t = await testApp(sandboxEnv(sandbox.url));
  const extra = new Set<string>(['sandbox-hubspot-secret', 'sandbox-dropbox-secret']);

  async function fixture(name: string): Promise<TenantFixture> {
    const { id, apiKey, webhookSecret } = await t.tenant({
      name,
      returnUrls: ['https://app.acme.test/'],
      webhookUrl: 'https://hooks.acme.test/portico',
    });
    const imported = async (provider: 'hubspot' | 'dropbox', endUserId: string) => {
      const minted = sandbox.state.mint({ provider, account: `${name}-${endUserId}` });
      const res = await t.call('POST', '/v1/connections', {
        key: apiKey,
        body: { provider, endUserId, credentials: { type: 'oauth2', refreshToken: minted.refresh_token } },
      });
      if (res.status !== 201) throw new Error(`import: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };
    const token = `pat-na1-${name}-${String(++patSeq).padStart(4, '0')}-aaaaaaaa`;
    sandbox.state.registerPrivateApp({ token, hubId: 4000 + patSeq, scopes: ['hubdb'] });
    extra.add(token);
    const patRes = await t.call('POST', '/v1/connections', {
      key: apiKey,
      body: { provider: 'hubspot', endUserId: 'pat', credentials: { type: 'private_app', token } },
    });
    if (patRes.status !== 201) throw new Error(`pat: ${patRes.status} ${await patRes.text()}`);
    const session = await t.call('POST', '/v1/connect-sessions', {
      key: apiKey,
      body: { provider: 'hubspot', endUserId: 'pending', returnUrl: 'https://app.acme.test/done' },
    });
    return {
      id,
      apiKey,
      webhookSecret,
      hub: await imported('hubspot', 'hub'),
      drop: await imported('dropbox', 'drop'),
      pat: ((await patRes.json()) as { id: string }).id,
      session: ((await session.json()) as { id: string }).id,
    };
  }

  const a = await fixture('alpha');
  const b = await fixture('bravo');
  return {
    t,
    sandbox,
    a,
    b,
    secrets() {
      const out = [ADMIN_KEY, a.apiKey, b.apiKey, a.webhookSecret, b.webhookSecret, ...extra];
      for (const store of [sandbox.state.hubspot, sandbox.state.dropbox]) {
        out.push(...store.accessTokens.keys(), ...store.grantsByRefreshToken.keys());
        for (const app of store.apps.values()) out.push(app.clientSecret);
      }
      return [...new Set(out)].filter((s) => s.length >= 8);
    },
    remember(secret) {
      if (secret.length >= 8) extra.add(secret);
    },
    async close() {
      await sandbox.close();
      await closeEmbeddedDynamo();
    },
  };
}

/** Fails when any secret appears in `text` (`where` names the answer or log line). */
export function expectNoSecret(text: string, secrets: string[], where: string): void {
  for (const s of secrets) {
    if (text.includes(s))
      expect.fail(`a secret (${s.slice(0, 6)}…) appears in ${where}: ${text.slice(0, 300)}`);
  }
}

/** The whole answer as text: status line, headers, body. */
export async function answerText(res: Response): Promise<{ text: string; body: string }> {
  const body = res.body ? await res.text() : '';
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  return { text: `${res.status}\n${headers}\n\n${body}`, body };
}

/**
 * Checks the contract for an error answer: problem JSON with a stable code and the HTTP status.
 * Answers the parsed document.
 */
export function expectProblem(res: Response, body: string, where: string): { code: string; status: number } {
  expect(res.headers.get('content-type'), `${where}: ${body.slice(0, 200)}`).toBe('application/problem+json');
  const doc = JSON.parse(body) as {
    type: string;
    title: string;
    status: number;
    detail: string;
    code: string;
  };
  expect(STABLE_CODES, `${where}: ${body.slice(0, 300)}`).toContain(doc.code);
  expect(doc.status, where).toBe(res.status);
  expect(typeof doc.title, where).toBe('string');
  expect(typeof doc.detail, where).toBe('string');
  return doc;
}
