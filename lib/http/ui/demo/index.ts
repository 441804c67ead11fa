import { randomBytes } from 'node:crypto';
import type { Services } from '../../../services.js';
import { DemoBackend } from './backend.js';
import { demoRoutes } from './routes.js';

export { DEMO_TENANT_NAME, DemoBackend } from './backend.js';

/** Paths the demo answers; everything else falls through to the rest of the app. */
const isDemoPath = (path: string) => path === '/' || path === '/demo' || path.startsWith('/demo/');

/**
 * The local demo app (`GET /`, `/demo/*`): a pretend SaaS page using the browser SDK, and its
 * backend holding the demo tenant's key in memory. The backend answers only calls carrying the
 * token made for this start, which only the served page holds. Mount `mount` at `/`; call `onListening` once
 * the server listens (the tenant is provisioned then, with the final public URL).
 */
export function createDemo(services: Services) {
  const backend = new DemoBackend(services);
  const token = randomBytes(24).toString('base64url');
  const app = demoRoutes(services, backend, token);
  return {
    backend,
    mount: {
      path: '/',
      app: {
        // Hono's mount goes on to the next handler when the mounted app answers nothing: other
        // paths keep their own answers (the API's 404 and 405 problems).
        fetch: (req: Request): Response | Promise<Response> =>
          isDemoPath(new URL(req.url).pathname) ? app.fetch(req) : (undefined as unknown as Response),
      },
    },
    onListening(port: number) {
      backend.start(port);
    },
    close: () => backend.close(),
  };
}
