import type { MiddlewareHandler } from 'hono';
import { flowPageCsp } from '../pages/flow-policy.js';
import { pageCsp, sandboxPageCsp } from '../security.js';

const isSandbox = (path: string) => path === '/sandbox' || path.startsWith('/sandbox/');

/** Pages a connect popup passes through: they must keep `window.opener`, so no COOP isolation. */
function inPopupFlow(path: string): boolean {
  // The local sandbox stands in for the providers' consent pages, which are cross-origin.
  return path.startsWith('/connect/') || path === '/oauth/callback' || isSandbox(path);
}

/**
 * Cross-Origin-Opener-Policy for the popup flow (registered outside `secureHeaders`, whose
 * `same-origin` default would sever the popup from the page that opened it): the pages of the
 * flow answer without COOP (`unsafe-none`), and the demo page at `/`, which opens popups, answers
 * `same-origin-allow-popups`. Every other page keeps `same-origin`.
 *
 * It also puts back the page CSP of the demo (`/`) and of the sandbox's consent pages when the
 * flow pages' middleware (a `use('*')` registered before the local mounts) has stamped its own
 * policy on them: that policy's `form-action 'none'` would block the consent form.
 */
export const openerPolicy: MiddlewareHandler = async (c, next) => {
  await next();
  const path = c.req.path;
  const headers = c.res.headers;
  try {
    if (inPopupFlow(path)) headers.delete('cross-origin-opener-policy');
    else if (path === '/') headers.set('cross-origin-opener-policy', 'same-origin-allow-popups');

    if (!headers.get('content-type')?.startsWith('text/html')) return;
    if (path === '/') headers.set('content-security-policy', pageCsp);
    else if (isSandbox(path) && headers.get('content-security-policy') === flowPageCsp())
      headers.set('content-security-policy', sandboxPageCsp);
  } catch {
    // A response with immutable headers (a proxied stream) is not a page: nothing to adjust.
  }
};
