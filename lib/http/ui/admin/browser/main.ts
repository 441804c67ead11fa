/**
 * The admin console (`GET /admin/app.js`). The admin credential lives in one variable of this
 * module: never in storage, a cookie or a URL, so reloading the page signs out.
 */
import { $, type Child, el, ProblemError, readAnswer, scrollingTable, when } from '../../browser/dom.js';

interface Progress {
  total: number;
  revoked: number;
  failed: number;
  pending: number;
  startedAt: string;
  finishedAt?: string;
}
interface Tenant {
  id: string;
  name: string;
  status: string;
  revocation?: Progress;
  createdAt: string;
  returnUrls: string[];
  webhookUrl?: string;
}
interface TenantPage {
  tenants: Tenant[];
  nextCursor?: string;
}
interface Connection {
  provider: string;
  endUserId: string;
  account?: { id?: string; name?: string };
  status: string;
  updatedAt: string;
}
interface AuditEvent {
  at: string;
  action: string;
  outcome: string;
  actor: string;
}
interface Created {
  tenant: Tenant;
  apiKey: string;
  webhookSecret: string;
}
type Revoked =
  | { status: 'revoked'; connections: { revoked: number; failed: number } }
  | { status: 'revoking'; revocation: Progress };
interface Failure {
  connectionId: string;
  provider: string;
  endUserId: string;
  attempts: number;
  lastError: string;
}

let credential: string | null = null;
let tenants: Tenant[] = [];
let nextCursor: string | null = null;
let selected: Tenant | null = null;

const input = (id: string) => $<HTMLInputElement>(id);
const button = (id: string) => $<HTMLButtonElement>(id);

function show(node: HTMLElement, text?: string): void {
  if (text === undefined || text === null || text === '') {
    node.hidden = true;
    node.textContent = '';
  } else {
    node.textContent = text;
    node.hidden = false;
  }
}

function announce(text: string): void {
  $('live').textContent = text;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${credential}`,
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (res.status === 401 && credential) {
    const refused = readAnswer<T>(res, 'Portico');
    signOut('Your admin credential is no longer accepted. Sign in again.');
    return refused;
  }
  return readAnswer<T>(res, 'Portico');
}

function statusBadge(status: string): HTMLSpanElement {
  const kind = status === 'active' ? 'ok' : status === 'needs_reauth' ? 'warn' : 'bad';
  return el('span', { class: `badge ${kind}`, text: status === 'needs_reauth' ? 'needs reauth' : status });
}

// ---- sign in / out ----

async function signIn(event: Event): Promise<void> {
  event.preventDefault();
  const key = input('admin-key');
  const value = key.value.trim();
  show($('signin-error'));
  if (!value) {
    show($('signin-error'), 'Enter the admin key.');
    key.focus();
    return;
  }
  credential = value;
  button('signin-submit').disabled = true;
  try {
    const page = await api<TenantPage>('GET', '/v1/tenants?limit=50');
    key.value = '';
    $('signin').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    tenants = page.tenants;
    nextCursor = page.nextCursor || null;
    renderTenants();
    $('tenants-title').focus();
    announce(`Signed in. ${tenants.length} tenants.`);
  } catch (error) {
    credential = null;
    const status = error instanceof ProblemError ? error.status : 0;
    const message =
      status === 401
        ? 'That key is not accepted.'
        : status === 403
          ? 'That is a tenant API key. The console needs the admin key.'
          : messageOf(error);
    show($('signin-error'), message);
    key.focus();
    key.select();
  } finally {
    button('signin-submit').disabled = false;
  }
}

function signOut(message?: string): void {
  credential = null;
  tenants = [];
  selected = null;
  nextCursor = null;
  $('console').hidden = true;
  $('sign-out').hidden = true;
  $('signin').hidden = false;
  $('tenant-list').replaceChildren();
  $('detail-body').hidden = true;
  $('detail-placeholder').hidden = false;
  hideCreated();
  show($('signin-error'), message ?? '');
  input('admin-key').focus();
}

// ---- tenants ----

function renderTenants(): void {
  const list = $('tenant-list');
  list.replaceChildren();
  for (const t of tenants) {
    const isSelected = selected?.id === t.id;
    list.append(
      el(
        'li',
        { class: isSelected ? 'selected' : '' },
        el(
          'div',
          {},
          el(
            'button',
            {
              type: 'button',
              class: 'link',
              'aria-current': isSelected ? 'true' : false,
              'data-tenant': t.id,
              onclick: () => {
                void selectTenant(t.id);
              },
            },
            t.name,
          ),
          el('span', { class: 'id mono', text: t.id }),
        ),
        statusBadge(t.status),
      ),
    );
  }
  $('tenants-empty').hidden = tenants.length > 0;
  $('tenants-more').hidden = !nextCursor;
}

async function reloadTenants(): Promise<void> {
  const page = await api<TenantPage>('GET', '/v1/tenants?limit=50');
  tenants = page.tenants;
  nextCursor = page.nextCursor || null;
  renderTenants();
}

async function moreTenants(): Promise<void> {
  if (!nextCursor) return;
  const page = await api<TenantPage>('GET', `/v1/tenants?limit=50&cursor=${encodeURIComponent(nextCursor)}`);
  tenants = tenants.concat(page.tenants);
  nextCursor = page.nextCursor || null;
  renderTenants();
}

async function createTenant(event: Event): Promise<void> {
  event.preventDefault();
  show($('create-error'));
  const name = input('tenant-name').value.trim();
  if (!name) {
    show($('create-error'), 'Give the tenant a name.');
    input('tenant-name').focus();
    return;
  }
  const body: { name: string; returnUrls?: string[]; webhookUrl?: string } = { name };
  const urls = $<HTMLTextAreaElement>('tenant-return-urls').value.split(/\s+/).filter(Boolean);
  if (urls.length) body.returnUrls = urls;
  const webhook = input('tenant-webhook').value.trim();
  if (webhook) body.webhookUrl = webhook;
  button('create-submit').disabled = true;
  try {
    const created = await api<Created>('POST', '/v1/tenants', body);
    $<HTMLFormElement>('create-form').reset();
    $('created-name').textContent = created.tenant.name;
    $('created-api-key').textContent = created.apiKey;
    $('created-webhook-secret').textContent = created.webhookSecret;
    $('created').hidden = false;
    $('created').focus();
    announce(`Tenant ${created.tenant.name} created. Its API key is shown once.`);
    await reloadTenants();
    await selectTenant(created.tenant.id, { keepFocus: true });
  } catch (error) {
    show($('create-error'), messageOf(error));
  } finally {
    button('create-submit').disabled = false;
  }
}

function hideCreated(): void {
  $('created').hidden = true;
  $('created-api-key').textContent = '';
  $('created-webhook-secret').textContent = '';
}

// ---- one tenant ----

async function selectTenant(id: string, options?: { keepFocus?: boolean }): Promise<void> {
  const detail = $('detail');
  detail.setAttribute('aria-busy', 'true');
  show($('detail-error'));
  show($('revoke-result'));
  try {
    const path = `/v1/tenants/${encodeURIComponent(id)}`;
    const [tenant, connections, audit] = await Promise.all([
      api<Tenant>('GET', path),
      api<{ connections: Connection[] }>('GET', `${path}/connections?limit=100`),
      api<{ events: AuditEvent[] }>('GET', `${path}/audit?limit=50`),
    ]);
    selected = tenant;
    renderDetail(tenant, connections.connections, audit.events);
    renderTenants();
    if (!options?.keepFocus) $('detail-title').focus();
  } catch (error) {
    $('detail-placeholder').hidden = true;
    $('detail-body').hidden = false;
    show($('detail-error'), messageOf(error));
  } finally {
    detail.setAttribute('aria-busy', 'false');
  }
}

function renderDetail(tenant: Tenant, connections: Connection[], events: AuditEvent[]): void {
  $('detail-placeholder').hidden = true;
  $('detail-body').hidden = false;
  $('detail-title').textContent = tenant.name;
  $('detail-status').replaceWith(Object.assign(statusBadge(tenant.status), { id: 'detail-status' }));
  $('detail-id').textContent = tenant.id;
  $('detail-created').textContent = when(tenant.createdAt, 'medium');
  const urls = $('detail-return-urls');
  urls.replaceChildren();
  if (tenant.returnUrls.length) {
    tenant.returnUrls.forEach((u, i) => {
      if (i) urls.append(el('br'));
      urls.append(el('code', { text: u }));
    });
  } else {
    urls.textContent = 'none';
  }
  $('detail-webhook').replaceChildren(tenant.webhookUrl ? el('code', { text: tenant.webhookUrl }) : 'none');

  const box = $('connections');
  box.replaceChildren();
  if (!connections.length) {
    box.append(el('p', { class: 'empty', id: 'connections-empty', text: 'No connections.' }));
  } else {
    box.append(
      table(
        'connections-title',
        ['Provider', 'End user', 'Account', 'Status', 'Updated'],
        connections.map((c) => [
          c.provider,
          el('code', { text: c.endUserId }),
          c.account?.name || c.account?.id || '—',
          statusBadge(c.status),
          when(c.updatedAt, 'medium'),
        ]),
        'connections-table',
      ),
    );
  }

  const audit = $('audit');
  audit.replaceChildren();
  if (!events.length) {
    audit.append(el('p', { class: 'empty', text: 'No events.' }));
  } else {
    audit.append(
      table(
        'audit-title',
        ['When', 'Action', 'Outcome', 'Actor'],
        events.map((e) => [
          when(e.at, 'medium'),
          el('code', { text: e.action }),
          el('span', { class: `badge ${e.outcome === 'success' ? 'ok' : 'bad'}`, text: e.outcome }),
          e.actor,
        ]),
        'audit-table',
      ),
    );
  }

  renderRevocation(tenant);
  $('revoke-zone').hidden = tenant.status !== 'active';
  $('revoke-name').textContent = tenant.name;
  input('revoke-confirm').value = '';
  button('revoke').disabled = true;
  show($('revoke-error'));
}

let watching: ReturnType<typeof setTimeout> | undefined;

/** The revocation's progress bar and counts; while it runs, looked at again every second. */
function renderRevocation(tenant: Tenant): void {
  clearTimeout(watching);
  const p = tenant.revocation;
  $('revocation').hidden = !p;
  if (!p) return;
  const bar = $<HTMLProgressElement>('revocation-progress');
  bar.max = Math.max(1, p.total);
  bar.value = p.revoked + p.failed;
  $('revocation-counts').textContent =
    `${p.revoked} of ${p.total} grant${p.total === 1 ? '' : 's'} revoked, ${p.failed} failed, ${p.pending} pending` +
    (p.finishedAt
      ? ` (done ${when(p.finishedAt, 'medium')}).`
      : ` (started ${when(p.startedAt, 'medium')}).`);
  if (tenant.status === 'revoking') {
    const id = tenant.id;
    watching = setTimeout(() => {
      if (selected?.id !== id) return;
      api<Tenant>('GET', `/v1/tenants/${encodeURIComponent(id)}`)
        .then((fresh) => {
          if (selected?.id !== id) return;
          if (fresh.status === 'revoking') {
            selected = fresh;
            renderRevocation(fresh);
            return;
          }
          // Done: the whole detail (status, connections, audit, failures) and the list again.
          return reloadTenants().then(() => selectTenant(id, { keepFocus: true }));
        })
        .catch((error: unknown) => announce(messageOf(error)));
    }, 1000);
  } else {
    void renderFailures(tenant.id).catch((error: unknown) => announce(messageOf(error)));
  }
}

async function renderFailures(tenantId: string): Promise<void> {
  const { failures } = await api<{ failures: Failure[] }>(
    'GET',
    `/v1/tenants/${encodeURIComponent(tenantId)}/revocation/failures?limit=100`,
  );
  if (selected?.id !== tenantId) return;
  $('revocation-failures-title').hidden = !failures.length;
  $('revocation-failures').replaceChildren(
    ...(failures.length
      ? [
          table(
            'revocation-failures-title',
            ['Provider', 'End user', 'Attempts', 'Last error'],
            failures.map((f) => [
              f.provider,
              f.endUserId,
              String(f.attempts),
              el('code', { text: f.lastError }),
            ]),
            'revocation-failures-table',
          ),
        ]
      : []),
  );
}

function table(labelledBy: string, headings: string[], rows: Child[][], id: string): HTMLDivElement {
  return scrollingTable(
    id,
    labelledBy,
    headings,
    rows.map((cells) => cells.map((c) => el('td', {}, c))),
  );
}

function confirmInput(): void {
  button('revoke').disabled = !selected || input('revoke-confirm').value !== selected.name;
}

async function revokeTenant(event: Event): Promise<void> {
  event.preventDefault();
  if (!selected || input('revoke-confirm').value !== selected.name) {
    show($('revoke-error'), 'Type the tenant name exactly to confirm.');
    input('revoke-confirm').focus();
    return;
  }
  const tenant = selected;
  const revoke = button('revoke');
  revoke.disabled = true;
  revoke.textContent = 'Revoking…';
  try {
    const result = await api<Revoked>('DELETE', `/v1/tenants/${encodeURIComponent(tenant.id)}`);
    await reloadTenants();
    await selectTenant(tenant.id, { keepFocus: true });
    if (result.status === 'revoking') {
      show(
        $('revoke-result'),
        `Tenant ${tenant.name} is stopped: its keys and links no longer work. Its grants are being revoked (progress below).`,
      );
    } else {
      const n = result.connections;
      show(
        $('revoke-result'),
        `Tenant ${tenant.name} is revoked. ${n.revoked} connection${n.revoked === 1 ? '' : 's'} revoked at the provider${
          n.failed ? `, ${n.failed} could not be (their credentials are destroyed anyway).` : '.'
        }`,
      );
    }
    $('detail-title').focus();
  } catch (error) {
    show($('revoke-error'), messageOf(error));
  } finally {
    revoke.textContent = 'Revoke tenant';
    confirmInput();
  }
}

async function copy(event: Event): Promise<void> {
  const copyButton = event.currentTarget as HTMLButtonElement;
  const source = $(copyButton.getAttribute('data-copy') ?? '');
  try {
    await navigator.clipboard.writeText(source.textContent ?? '');
    copyButton.textContent = 'Copied';
  } catch {
    // No clipboard permission (or no secure context): select the text for the user to copy.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    copyButton.textContent = 'Selected';
  }
  setTimeout(() => {
    copyButton.textContent = 'Copy';
  }, 2000);
}

/** A listener that reports a failure in the live region instead of leaving it unhandled. */
function guard(fn: (event: Event) => Promise<void>): (event: Event) => void {
  return (event) => {
    fn(event).catch((error: unknown) => announce(messageOf(error)));
  };
}

$('signin-form').addEventListener('submit', guard(signIn));
button('signin-submit').disabled = false;
$('sign-out').addEventListener('click', () => {
  signOut();
  announce('Signed out.');
});
$('tenants-refresh').addEventListener('click', guard(reloadTenants));
$('tenants-more').addEventListener('click', guard(moreTenants));
$('create-form').addEventListener('submit', guard(createTenant));
$('created-dismiss').addEventListener('click', () => {
  hideCreated();
  input('tenant-name').focus();
});
$('revoke-confirm').addEventListener('input', confirmInput);
$('revoke-form').addEventListener('submit', guard(revokeTenant));
for (const b of document.querySelectorAll('[data-copy]')) b.addEventListener('click', guard(copy));
input('admin-key').focus();
