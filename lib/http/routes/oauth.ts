import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { bindingCookie, FlowError, type SessionRecord, sessionTtlMs } from '../../oauth/index.js';
import { providers } from '../../providers/registry.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { Api } from '../openapi.js';
import { consentPage, consentPageCsp, errorPage, resultPage } from '../pages/flow.js';

/**
 * The browser side of the web flow (docs/api.md, "The browser flow"): `GET /connect/:sid` sends the
 * browser to the provider with a binding cookie (for a tenant that requires confirmation, after
 * Portico's consent step naming the tenant and the end user), `GET /oauth/callback` finishes and
 * hands the browser the flow's single-use `connectCode`.
 */
export const oauthRoutes = new Hono<AppEnv>();

export const oauthApi = new Api(oauthRoutes);

/** The connect session in `/connect/{sid}` (the route always has one). */
const sidOf = (c: Context<AppEnv>) => c.req.param('sid') ?? '';

oauthApi.serve('get', '/connect/{sid}', async (c) => {
  const { config } = c.get('services');
  const flows = await c.get('services').flows();
  const sid = sidOf(c);
  const token = c.req.query('t');
  try {
    const link = await flows.describeConnectLink(sid, token);
    if (!link.requireConfirmation) return await sendToProvider(c, sid, token);
    // Portico's consent step first: whose link this is, before any provider screen.
    const page = consentPage({
      tenantName: link.tenantName,
      endUserId: link.endUserId,
      providerName: providers.get(link.provider).displayName,
      action: `${config.publicUrl}/connect/${encodeURIComponent(sid)}`,
      token: token ?? '',
    });
    return c.html(page, 200, { 'content-security-policy': consentPageCsp() });
  } catch (err) {
    if (err instanceof FlowError) return linkError(c, err);
    throw err;
  }
});

// The consent step's "Continue": only from Portico's own page (a form another site posts is refused).
oauthApi.serve('post', '/connect/{sid}', async (c) => {
  const { config } = c.get('services');
  // Browsers say where a form post came from (Sec-Fetch-Site); without it, the Origin must be ours.
  // (The app's no-referrer policy makes a browser send `Origin: null` on this post.)
  const site = c.req.header('sec-fetch-site');
  const ours = site ? site === 'same-origin' : c.req.header('origin') === new URL(config.publicUrl).origin;
  if (!ours) {
    return c.html(errorPage('This connect link cannot be used', 'Open the connect link itself.'), 403);
  }
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const token = typeof form.t === 'string' ? form.t : undefined;
  try {
    return await sendToProvider(c, sidOf(c), token, 303);
  } catch (err) {
    if (err instanceof FlowError) return linkError(c, err);
    throw err;
  }
});

/** Sets the browser-binding cookie and sends the browser to the provider's authorize URL. */
async function sendToProvider(
  c: Context<AppEnv>,
  sid: string,
  token: string | undefined,
  status: 302 | 303 = 302,
) {
  const { config } = c.get('services');
  const flows = await c.get('services').flows();
  const { authorizationUrl, binding } = await flows.openConnectLink(sid, token);
  setCookie(c, bindingCookie(sid, config.publicUrl), binding, {
    path: '/oauth/callback',
    httpOnly: true,
    sameSite: 'Lax',
    secure: config.publicUrl.startsWith('https:'),
    maxAge: sessionTtlMs / 1000,
  });
  return c.redirect(authorizationUrl, status);
}

function linkError(c: Context<AppEnv>, err: FlowError) {
  return c.html(
    errorPage('This connect link cannot be used', err.message),
    err.flowCode === 'invalid_state' ? 400 : 410,
  );
}

oauthApi.serve('get', '/oauth/callback', async (c) => {
  const { log, config } = c.get('services');
  const flows = await c.get('services').flows();
  const q = c.req.query();
  const pick = (k: string) => (typeof q[k] === 'string' && q[k].length <= 4096 ? q[k] : undefined);
  try {
    const { connection, session, connectCode } = await flows.callback(
      { code: pick('code'), state: pick('state'), error: pick('error') },
      (name) => getCookie(c, name),
    );
    clearBinding(c, session, config.publicUrl);
    if (session.returnUrl) {
      return c.redirect(
        withParams(session.returnUrl, {
          connectionId: connection.id,
          status: 'connected',
          connectSessionId: session.id,
          connectCode,
        }),
        302,
      );
    }
    const origins = await flows.allowedOrigins(session.tenantId);
    return c.html(
      resultPage(
        { type: 'portico:connected', connectionId: connection.id, connectSessionId: session.id, connectCode },
        origins,
        'Connected',
        'You can close this window.',
      ),
    );
  } catch (err) {
    if (!(err instanceof FlowError)) throw err;
    log.info('connect flow failed', { code: err.flowCode, sessionId: err.session?.id });
    const session = err.session;
    if (!session) return c.html(errorPage('This sign-in cannot be completed', err.message), 400);
    clearBinding(c, session, config.publicUrl);
    if (session.returnUrl) {
      return c.redirect(withParams(session.returnUrl, { status: 'error', error: err.flowCode }), 302);
    }
    const origins = await flows.allowedOrigins(session.tenantId);
    return c.html(
      resultPage({ type: 'portico:error', error: err.flowCode }, origins, 'Not connected', err.message),
      400,
    );
  }
});

function clearBinding(c: Parameters<typeof setCookie>[0], session: SessionRecord, publicUrl: string) {
  setCookie(c, bindingCookie(session.id, publicUrl), '', {
    path: '/oauth/callback',
    maxAge: 0,
    httpOnly: true,
    sameSite: 'Lax',
    secure: publicUrl.startsWith('https:'),
  });
}

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
