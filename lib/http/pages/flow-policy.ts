import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';

/**
 * What every answer under `/connect/` and `/oauth/` carries: the flow pages' style and script
 * and the policy that allows exactly them, by hash. Apart from the pages themselves
 * (./flow.ts), which only the browser flow's routes load.
 */

export const css =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f5f7fa;color:#1d2330}main{background:#fff;border:1px solid #e3e6ec;border-radius:12px;padding:32px 40px;max-width:420px;text-align:center}h1{font-size:20px;margin:0 0 8px}p{margin:0;color:#5b6472}';

// Posts the result to the opener, only to the origins listed with it, then closes.
export const script =
  "(function(){var d=JSON.parse(document.getElementById('portico-result').textContent);if(window.opener){for(var i=0;i<d.origins.length;i++){try{window.opener.postMessage(d.message,d.origins[i])}catch(e){}}}setTimeout(function(){window.close()},250)})();";

export const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
// The policies are hashed on first use, not at every cold start of the API.
let flowCsp: string | undefined;
/** The flow pages' content security policy: their one script and style, by hash. */
export const flowPageCsp = () =>
  (flowCsp ??= `default-src 'none'; script-src ${hash(script)}; style-src ${hash(css)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);

/**
 * The headers of every answer under `/connect/` and `/oauth/` (mounted there, not on `*`: they
 * would reach every route of the app): the flow pages' policy unless the page set its own (the
 * consent step has a form), and neither caching nor a referrer.
 */
export const flowPageHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!c.res.headers.has('content-security-policy')) c.header('content-security-policy', flowPageCsp());
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'no-referrer');
};
