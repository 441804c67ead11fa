import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { bindingCookie, FlowError, type SessionRecord, sessionTtlMs } from '../../oauth/index.js';
import type { AppEnv } from '../context.js';
import { errorPage, flowPageCsp, resultPage } from '../pages/flow.js';

/**
 * The browser side of the web flow (docs/api.md, "The browser flow"): `GET /connect/:sid` sends the
 * browser to the provider with a binding cookie, `GET /oauth/callback` finishes.
 */
export const oauthRoutes = new Hono<AppEnv>();

// Only the flow pages get the flow pages' policy (a '*' here would reach every route of the app).
const flowPageHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.header('content-security-policy', flowPageCsp);
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'no-referrer');
};
oauthRoutes.use('/connect/*', flowPageHeaders);
oauthRoutes.use('/oauth/*', flowPageHeaders);

oauthRoutes.get('/connect/:sid', async (c) => {
  const { flows, config } = c.get('services');
  const sid = c.req.param('sid');
  try {
    const { authorizationUrl, binding } = await flows.openConnectLink(sid, c.req.query('t'));
    setCookie(c, bindingCookie(sid, config.publicUrl), binding, {
      path: '/oauth/callback',
      httpOnly: true,
      sameSite: 'Lax',
      secure: config.publicUrl.startsWith('https:'),
      maxAge: sessionTtlMs / 1000,
    });
    return c.redirect(authorizationUrl, 302);
  } catch (err) {
    if (err instanceof FlowError) {
      return c.html(
        errorPage('This connect link cannot be used', err.message),
        err.flowCode === 'invalid_state' ? 400 : 410,
      );
    }
    throw err;
  }
});

oauthRoutes.get('/oauth/callback', async (c) => {
  const { flows, log, config } = c.get('services');
  const q = c.req.query();
  const pick = (k: string) => (typeof q[k] === 'string' && q[k].length <= 4096 ? q[k] : undefined);
  try {
    const { connection, session } = await flows.callback(
      { code: pick('code'), state: pick('state'), error: pick('error') },
      (name) => getCookie(c, name),
    );
    clearBinding(c, session, config.publicUrl);
    if (session.returnUrl) {
      return c.redirect(
        withParams(session.returnUrl, { connectionId: connection.id, status: 'connected' }),
        302,
      );
    }
    const origins = await flows.allowedOrigins(session.tenantId);
    return c.html(
      resultPage(
        { type: 'portico:connected', connectionId: connection.id },
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
