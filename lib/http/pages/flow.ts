import { createHash } from 'node:crypto';

/** Pages the browser sees during a connect flow: no external assets, a strict CSP with hashes. */

const css =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f5f7fa;color:#1d2330}main{background:#fff;border:1px solid #e3e6ec;border-radius:12px;padding:32px 40px;max-width:420px;text-align:center}h1{font-size:20px;margin:0 0 8px}p{margin:0;color:#5b6472}';

// Posts the result to the opener, only to the origins listed with it, then closes.
const script =
  "(function(){var d=JSON.parse(document.getElementById('portico-result').textContent);if(window.opener){for(var i=0;i<d.origins.length;i++){try{window.opener.postMessage(d.message,d.origins[i])}catch(e){}}}setTimeout(function(){window.close()},250)})();";

const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
export const flowPageCsp = `default-src 'none'; script-src ${hash(script)}; style-src ${hash(css)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export interface FlowMessage {
  type: 'portico:connected' | 'portico:error';
  connectionId?: string;
  error?: string;
}

/** The popup's last page: tells `window.opener` how it went, only at the given origins. */
export function resultPage(message: FlowMessage, origins: string[], heading: string, text: string): string {
  // `<` escaped so the JSON can never close its script element.
  const data = JSON.stringify({ message, origins }).replace(/</g, '\\u003c');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(heading)}</title><style>${css}</style></head><body><main><h1>${esc(heading)}</h1><p>${esc(text)}</p></main><script type="application/json" id="portico-result">${data}</script><script>${script}</script></body></html>`;
}

/** A plain error page, for answers that cannot be tied to a tenant. */
export function errorPage(heading: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(heading)}</title><style>${css}</style></head><body><main><h1>${esc(heading)}</h1><p>${esc(text)}</p></main></body></html>`;
}
