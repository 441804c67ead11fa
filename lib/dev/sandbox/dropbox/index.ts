import { Hono } from 'hono';
import { faultMiddleware } from '../common/faults.js';
import type { SandboxState } from '../common/state.js';
import { routeCounter } from '../common/stats.js';
import { dropboxContentApi } from './content.js';
import { dropboxFaultResponse } from './errors.js';
import { dropboxFilesApi } from './files.js';
import { dropboxAuthorize, dropboxOAuthApi } from './oauth.js';

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
