import { type Context, Hono } from 'hono';
import { consentPage, errorPage, PAGE_CSP } from './consent.js';
import { normaliseAccount } from './identity.js';
import { isValidChallenge, type OAuthStore, type PkceChallenge, type SandboxApp } from './oauth-store.js';
import type { StatsStore } from './stats.js';

/** What a provider reads out of an authorize request besides client, redirect and PKCE. */
export interface AuthorizeRequest {
  scopes: string[];
  optionalScopes: string[];
  /** Whether the grant will carry a refresh token. */
  offline: boolean;
}

/** The provider-specific half of the authorize endpoint. */
export interface AuthorizeAdapter {
  store: OAuthStore;
  stats: StatsStore;
  /** Suggestions for the account picker. */
  accounts: () => ReadonlyArray<{ key: string; label: string }>;
  /** Checks provider parameters; a string is the error shown on the page. */
  parse: (params: Record<string, string>, app: SandboxApp) => AuthorizeRequest | string;
  /** `error_description` sent with `error=access_denied`. */
  denyDescription: string;
}

/** Form fields the consent page adds; everything else is the original query. */
const PAGE_FIELDS = new Set(['account', 'decision']);

/**
 * The string fields of a form body (`application/x-www-form-urlencoded` or multipart);
 * any other body reads as no fields, as token endpoints ignore JSON.
 */
export async function formFields(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/x-www-form-urlencoded') && !type.includes('multipart/form-data')) return {};
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(await c.req.parseBody())) if (typeof v === 'string') fields[k] = v;
  return fields;
}

function page(c: Context, status: 200 | 400, html: string): Response {
  c.header('content-security-policy', PAGE_CSP);
  c.header('cache-control', 'no-store');
  c.header('x-content-type-options', 'nosniff');
  return c.html(html, status);
}

function withParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

type Checked =
  | { ok: true; app: SandboxApp; redirectUri: string; pkce?: PkceChallenge; request: AuthorizeRequest }
  | { ok: false; title: string; detail: string };

/**
 * Validates an authorize request. Client and redirect URI problems are never redirected
 * (RFC 6749 §4.1.2.1: the redirect target cannot be trusted); the sandbox shows every
 * other problem on the page too, as both providers do for malformed requests.
 */
function check(params: Record<string, string>, adapter: AuthorizeAdapter): Checked {
  const clientId = params.client_id;
  const app = clientId ? adapter.store.apps.get(clientId) : undefined;
  if (!app)
    return { ok: false, title: 'Invalid client_id', detail: `Invalid client_id: "${clientId ?? ''}".` };
  const redirectUri = params.redirect_uri;
  if (!redirectUri) return { ok: false, title: 'Missing redirect_uri', detail: 'redirect_uri is required.' };
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return { ok: false, title: 'Invalid redirect_uri', detail: `Invalid redirect_uri: "${redirectUri}".` };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hash) {
    return {
      ok: false,
      title: 'Invalid redirect_uri',
      detail: 'redirect_uri must be an http(s) URL without fragment.',
    };
  }
  let pkce: PkceChallenge | undefined;
  if (params.code_challenge !== undefined) {
    const method = params.code_challenge_method ?? 'plain';
    if (!isValidChallenge(params.code_challenge, method)) {
      return {
        ok: false,
        title: 'Invalid code_challenge',
        detail: `code_challenge is malformed for code_challenge_method "${method}" (S256 wants 43 base64url characters).`,
      };
    }
    pkce = { challenge: params.code_challenge, method };
  } else if (params.code_challenge_method !== undefined) {
    return {
      ok: false,
      title: 'Invalid request',
      detail: 'code_challenge_method given without code_challenge.',
    };
  }
  const request = adapter.parse(params, app);
  if (typeof request === 'string') return { ok: false, title: 'Invalid request', detail: request };
  return { ok: true, app, redirectUri, request, ...(pkce ? { pkce } : {}) };
}

/**
 * `GET /authorize` shows the consent screen; `POST /authorize` (the screen's form)
 * approves (302 `redirect_uri?code=&state=`) or denies (302 `?error=access_denied&…`).
 * The POST re-validates everything: its hidden fields are as untrusted as the query.
 */
export function authorizeRoutes(adapter: AuthorizeAdapter): Hono {
  const app = new Hono();
  const provider = adapter.store.provider;

  app.get('/authorize', (c) => {
    const params = c.req.query();
    const checked = check(params, adapter);
    if (!checked.ok) return page(c, 400, errorPage(provider, checked.title, checked.detail));
    return page(
      c,
      200,
      consentPage({
        provider,
        appName: checked.app.name,
        scopes: checked.request.scopes,
        optionalScopes: checked.request.optionalScopes,
        accounts: adapter.accounts(),
        defaultAccount: normaliseAccount(params.login_hint),
        hidden: Object.fromEntries(Object.entries(params).filter(([k]) => !PAGE_FIELDS.has(k))),
        redirectUri: checked.redirectUri,
      }),
    );
  });

  app.post('/authorize', async (c) => {
    const fields = await formFields(c);
    const params = Object.fromEntries(Object.entries(fields).filter(([k]) => !PAGE_FIELDS.has(k)));
    const checked = check(params, adapter);
    if (!checked.ok) return page(c, 400, errorPage(provider, checked.title, checked.detail));
    const state = params.state;
    if (fields.decision === 'deny') {
      adapter.stats.of(provider).authorizations.denied++;
      return c.redirect(
        withParams(checked.redirectUri, {
          error: 'access_denied',
          error_description: adapter.denyDescription,
          state,
        }),
        302,
      );
    }
    if (fields.decision !== 'approve') {
      return page(c, 400, errorPage(provider, 'Invalid request', 'decision must be "approve" or "deny".'));
    }
    const code = adapter.store.issueCode({
      clientId: checked.app.clientId,
      redirectUri: checked.redirectUri,
      scopes: [...checked.request.scopes, ...checked.request.optionalScopes],
      account: normaliseAccount(fields.account),
      offline: checked.request.offline,
      ...(checked.pkce ? { pkce: checked.pkce } : {}),
    });
    adapter.stats.of(provider).authorizations.approved++;
    return c.redirect(withParams(checked.redirectUri, { code: code.code, state }), 302);
  });

  return app;
}
