import type { Provider } from './oauth-store.js';

// The sandbox pages' Content-Security-Policy is defined beside the app's: the app puts it back on
// these pages when the connect flow's middleware has stamped its own (lib/http/ui/opener-policy.ts).
export { sandboxPageCsp as PAGE_CSP } from '../../../http/security.js';

/** What a consent screen shows and carries. */
export interface ConsentView {
  provider: Provider;
  appName: string;
  scopes: string[];
  optionalScopes?: string[];
  /** Accounts the picker suggests; any other string typed in is an account too. */
  accounts: ReadonlyArray<{ key: string; label: string }>;
  defaultAccount: string;
  /** The original authorize query, posted back unchanged as hidden fields. */
  hidden: Record<string, string>;
  /** Where the browser goes afterwards (shown so the user knows who receives the code). */
  redirectUri: string;
}

const BRAND: Record<Provider, { name: string; accent: string; ink: string }> = {
  hubspot: { name: 'HubSpot', accent: '#ff7a59', ink: '#33475b' },
  dropbox: { name: 'Dropbox', accent: '#0061fe', ink: '#1e1919' },
};

const SCOPE_TEXT: Record<string, string> = {
  oauth: 'Know who you are (basic OAuth access)',
  hubdb: 'View and edit your HubDB tables',
  'crm.objects.owners.read': 'View the owners of CRM records',
  'crm.objects.contacts.read': 'View your contacts',
  'account_info.read': 'View your name, email and account details',
  'files.metadata.read': 'View the names and details of your files and folders',
  'files.content.read': 'Download the content of your files',
  'files.content.write': 'Edit and upload files',
};

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function shell(provider: Provider, title: string, body: string): string {
  const brand = BRAND[provider];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
  :root { --accent: ${brand.accent}; --ink: ${brand.ink}; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
    background: #f5f8fa; color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { width: min(460px, calc(100vw - 32px)); background: #fff; border-radius: 12px; padding: 32px;
    box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }
  header { display: flex; align-items: center; justify-content: space-between; margin-bottom: 24px; }
  .logo { font-weight: 700; font-size: 20px; color: var(--accent); letter-spacing: -.01em; }
  .badge { font-size: 12px; border: 1px solid #cbd6e2; border-radius: 999px; padding: 2px 10px; color: #516f90; }
  h1 { font-size: 20px; line-height: 1.35; margin: 0 0 20px; }
  h2 { font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: #516f90; margin: 24px 0 8px; }
  label { display: block; font-weight: 600; margin-bottom: 6px; }
  input[type=text] { width: 100%; padding: 10px 12px; font: inherit; border: 1px solid #cbd6e2; border-radius: 6px; }
  input[type=text]:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
  .hint { font-size: 13px; color: #516f90; margin: 6px 0 0; }
  ul { margin: 0; padding: 0; list-style: none; }
  li { padding: 8px 0; border-bottom: 1px solid #eaf0f6; }
  li:last-child { border-bottom: 0; }
  code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #eaf0f6; padding: 1px 6px; border-radius: 4px; }
  .optional { color: #7c98b6; font-size: 12px; }
  .redirect { font-size: 13px; color: #516f90; margin-top: 20px; word-break: break-all; }
  .actions { display: flex; flex-direction: row-reverse; gap: 12px; margin-top: 24px; }
  button { flex: 1; padding: 11px 16px; font: inherit; font-weight: 600; border-radius: 6px; cursor: pointer; }
  #approve { background: var(--accent); color: #fff; border: 1px solid var(--accent); }
  #deny { background: #fff; color: var(--ink); border: 1px solid #cbd6e2; }
  .error h1 { color: #d9363e; }
  footer { margin-top: 24px; font-size: 12px; color: #7c98b6; text-align: center; }
</style>
</head>
<body>
<main>
<header><span class="logo">${brand.name}</span><span class="badge">Sandbox</span></header>
${body}
<footer>Portico sandbox &middot; simulated ${brand.name}, nothing leaves this machine</footer>
</main>
</body>
</html>
`;
}

function scopeItem(scope: string, optional: boolean): string {
  const text = SCOPE_TEXT[scope] ?? 'Access granted by this scope';
  const tag = optional ? ' <span class="optional">(optional)</span>' : '';
  return `<li><code>${escapeHtml(scope)}</code>${tag}<br>${escapeHtml(text)}</li>`;
}

/**
 * The consent screen: app name, requested scopes, an account picker (field `account`)
 * and **Approve** (`#approve`) / **Deny** (`#deny`) buttons posting back to `authorize`.
 * No script, so it works under {@link PAGE_CSP}; the form action is relative so the page
 * works wherever the sandbox is mounted.
 */
export function consentPage(view: ConsentView): string {
  const brand = BRAND[view.provider];
  const hidden = Object.entries(view.hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  const options = view.accounts
    .map((a) => `<option value="${escapeHtml(a.key)}">${escapeHtml(a.label)}</option>`)
    .join('');
  const scopes = [
    ...view.scopes.map((s) => scopeItem(s, false)),
    ...(view.optionalScopes ?? []).map((s) => scopeItem(s, true)),
  ].join('\n');
  let target = view.redirectUri;
  try {
    target = new URL(view.redirectUri).host;
  } catch {
    // Shown as given when it is not a URL; authorize has validated it already.
  }
  const body = `<h1><strong>${escapeHtml(view.appName)}</strong> wants to access your ${brand.name} account</h1>
<form method="post" action="authorize">
${hidden}
<label for="account">Account</label>
<input type="text" id="account" name="account" list="account-options" value="${escapeHtml(view.defaultAccount)}" autocomplete="off" spellcheck="false">
<datalist id="account-options">${options}</datalist>
<p class="hint">Pick a sandbox account or type any name: the same name is always the same account.</p>
<h2>This app will be able to</h2>
<ul>
${scopes || '<li>Use basic account access</li>'}
</ul>
<p class="redirect">After you decide, you will be sent to <strong>${escapeHtml(target)}</strong>.</p>
<div class="actions">
<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</div>
</form>`;
  return shell(view.provider, `Connect ${view.appName} to ${brand.name}`, body);
}

/** The page shown instead of redirecting when the request cannot be trusted to redirect. */
export function errorPage(provider: Provider, title: string, detail: string): string {
  const body = `<div class="error"><h1>${escapeHtml(title)}</h1>
<p>It seems the app you were using submitted a bad request. If you would like to report this error to the app's developer, include the information below.</p>
<p><code>${escapeHtml(detail)}</code></p></div>`;
  return shell(provider, `${BRAND[provider].name} - ${title}`, body);
}
