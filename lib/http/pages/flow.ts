import { css, hash, script } from './flow-policy.js';

/** Pages the browser sees during a connect flow: no external assets, a strict CSP with hashes. */

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export interface FlowMessage {
  type: 'portico:connected' | 'portico:error';
  connectionId?: string;
  /** The single-use code the tenant's backend confirms the flow with (`POST /v1/connect-sessions/:id/confirm`). */
  connectCode?: string;
  connectSessionId?: string;
  error?: string;
}

/** The popup's last page: tells `window.opener` how it went, only at the given origins. */
export function resultPage(message: FlowMessage, origins: string[], heading: string, text: string): string {
  // `<` escaped so the JSON can never close its script element.
  const data = JSON.stringify({ message, origins }).replace(/</g, '\\u003c');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(heading)}</title><style>${css}</style></head><body><main><h1>${esc(heading)}</h1><p>${esc(text)}</p></main><script type="application/json" id="portico-result">${data}</script><script>${script}</script></body></html>`;
}

const consentCss = `${css}form{margin-top:20px}button{font:inherit;padding:10px 18px;border-radius:8px;border:0;background:#2f5bea;color:#fff;cursor:pointer}.who{margin-top:12px;font-size:14px}`;

let consentCsp: string | undefined;
/** The consent step's page: no script, and its one form may post to this origin only. */
export const consentPageCsp = () =>
  (consentCsp ??= `default-src 'none'; style-src ${hash(consentCss)}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`);

/**
 * Portico's consent step, before the browser leaves for the provider (tenants that require
 * confirmation): names the tenant asking and the end user the account will be linked to, so a
 * link someone forwarded shows whose it is. Continuing posts the signed link back (same origin).
 */
export function consentPage(input: {
  tenantName: string;
  endUserId: string;
  providerName: string;
  action: string;
  token: string;
}): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Connect ${esc(input.providerName)}</title><style>${consentCss}</style></head><body><main><h1>Connect ${esc(input.providerName)} to ${esc(input.tenantName)}</h1><p><strong>${esc(input.tenantName)}</strong> asks for access to your ${esc(input.providerName)} account.</p><p class="who">It will be linked to the ${esc(input.tenantName)} user <strong id="end-user">${esc(input.endUserId)}</strong>. If that is not you, close this window: someone may have sent you their link.</p><form method="post" action="${esc(input.action)}"><input type="hidden" name="t" value="${esc(input.token)}"><button type="submit" id="continue">Continue to ${esc(input.providerName)}</button></form></main></body></html>`;
}

/** A plain error page, for answers that cannot be tied to a tenant. */
export function errorPage(heading: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(heading)}</title><style>${css}</style></head><body><main><h1>${esc(heading)}</h1><p>${esc(text)}</p></main></body></html>`;
}
