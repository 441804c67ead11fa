import { Hono } from 'hono';
import { dropboxContentApi } from './dropbox-content.js';
import { dropboxFaultResponse } from './dropbox-errors.js';
import { dropboxFilesApi } from './dropbox-files.js';
import { dropboxAuthorize, dropboxOAuthApi } from './dropbox-oauth.js';
import { faultMiddleware } from './faults.js';
import type { SandboxState } from './state.js';
import { routeCounter } from './stats.js';

/**
 * The Dropbox simulator: `/oauth2/authorize` (consent page, www.dropbox.com), `/api/*`
 * (api.dropboxapi.com: token, revoke, RPC routes) and `/content/*`
 * (content.dropboxapi.com: downloads).
 */
export function dropboxApp(state: SandboxState): Hono {
  const app = new Hono();
  app.use('*', routeCounter(state.counters, 'dropbox'));
  app.use(
    '*',
    faultMiddleware(state.faults, 'dropbox', dropboxFaultResponse, () => {
      state.counters.of('dropbox').faultsInjected++;
    }),
  );
  app.route('/oauth2', dropboxAuthorize(state));
  const api = new Hono();
  api.route('/', dropboxOAuthApi(state));
  api.route('/', dropboxFilesApi(state));
  app.route('/api', api);
  app.route('/content', dropboxContentApi(state));
  return app;
}
