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
  id: string;
  provider: string;
  endUserId: string;
  account?: { id?: string; name?: string };
  status: string;
  expiresAt: string | null;
  updatedAt: string;
  lastRefreshedAt: string | null;
  lastError: { code: string; detail: string; at: string } | null;
  refreshFailures: number;
}
interface AuditEvent {
  at: string;
  action: string;
  outcome: string;
  actor: string;
}
interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}
interface Paged<T> {
  nextCursor?: string;
  [key: string]: T[] | string | undefined;
}
interface StatsBucket {
  start: string;
  refreshes: number;
  refreshFailures: number;
  dataCalls: number;
  tokenReads: number;
  providerErrors: number;
}
interface Stats {
  bucket: 'hour' | 'day';
  connections: Record<string, Record<string, number>>;
  buckets: StatsBucket[];
}
interface ApiKey {
  id: string;
  createdAt: string;
}
interface App {
  provider: string;
  clientId: string;
  scopes?: string[];
  updatedAt: string;
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
/** True once a sign-in succeeded: only then is a 401 the credential going stale (not a wrong key). */
let signedIn = false;
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
  if (res.status === 401 && signedIn) {
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
    signedIn = true;
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
  signedIn = false;
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

const pageSize = 100;

/**
 * One paged list of the selected tenant: "Load more" fetches the next page with the list's
 * cursor and appends its rows; changing a filter starts it again.
 */
class PagedList<T> {
  private items: T[] = [];
  private cursor: string | null = null;
  private generation = 0;

  constructor(
    private readonly o: {
      box: string;
      more: string;
      key: string;
      path: () => string;
      render: (items: T[]) => void;
    },
  ) {
    button(o.more).addEventListener(
      'click',
      guard(() => this.next()),
    );
  }

  /** Starts from the first page. */
  async reset(): Promise<void> {
    this.items = [];
    this.cursor = null;
    this.generation++;
    await this.next(true);
  }

  private async next(first = false): Promise<void> {
    if (!first && !this.cursor) return;
    const generation = this.generation;
    const base = this.o.path();
    const join = base.includes('?') ? '&' : '?';
    const url = `${base}${join}limit=${pageSize}${this.cursor ? `&cursor=${encodeURIComponent(this.cursor)}` : ''}`;
    const more = button(this.o.more);
    more.disabled = true;
    try {
      const page = await api<Paged<T>>('GET', url);
      // A newer reset (a filter changed) wins over a slow older page.
      if (generation !== this.generation) return;
      this.items = this.items.concat((page[this.o.key] as T[]) ?? []);
      this.cursor = page.nextCursor || null;
      this.o.render(this.items);
      more.hidden = !this.cursor;
    } finally {
      more.disabled = false;
    }
  }
}

const tenantPath = () => `/v1/tenants/${encodeURIComponent(selected?.id ?? '')}`;

const connectionsList = new PagedList<Connection>({
  box: 'connections',
  more: 'connections-more',
  key: 'connections',
  path: () => {
    const q = new URLSearchParams();
    const provider = $<HTMLSelectElement>('filter-provider').value;
    const status = $<HTMLSelectElement>('filter-status').value;
    const user = input('filter-user').value.trim();
    if (provider) q.set('provider', provider);
    if (status) q.set('status', status);
    if (user) q.set('endUserId', user);
    const qs = q.toString();
    return `${tenantPath()}/connections${qs ? `?${qs}` : ''}`;
  },
  render: renderConnections,
});

const deliveriesList = new PagedList<Delivery>({
  box: 'deliveries',
  more: 'deliveries-more',
  key: 'deliveries',
  path: () => {
    const status = $<HTMLSelectElement>('deliveries-status').value;
    return `${tenantPath()}/webhooks/deliveries${status ? `?status=${status}` : ''}`;
  },
  render: renderDeliveries,
});

const auditList = new PagedList<AuditEvent>({
  box: 'audit',
  more: 'audit-more',
  key: 'events',
  path: () => {
    const outcome = $<HTMLSelectElement>('audit-outcome').value;
    return `${tenantPath()}/audit${outcome ? `?outcome=${outcome}` : ''}`;
  },
  render: renderAudit,
});

let chartPeriod: 'day' | 'month' = 'day';

async function selectTenant(id: string, options?: { keepFocus?: boolean }): Promise<void> {
  const detail = $('detail');
  detail.setAttribute('aria-busy', 'true');
  show($('detail-error'));
  show($('revoke-result'));
  show($('manage-result'));
  show($('manage-error'));
  show($('deliveries-result'));
  try {
    const tenant = await api<Tenant>('GET', `/v1/tenants/${encodeURIComponent(id)}`);
    selected = tenant;
    renderDetail(tenant);
    await Promise.all([
      connectionsList.reset(),
      deliveriesList.reset(),
      auditList.reset(),
      loadChart(),
      loadKeys(),
      loadApps(),
    ]);
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

function renderDetail(tenant: Tenant): void {
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

  renderRevocation(tenant);
  const active = tenant.status === 'active';
  $('revoke-zone').hidden = !active;
  $('manage-zone').hidden = !active;
  $('revoke-name').textContent = tenant.name;
  $('manage-name').textContent = tenant.name;
  input('revoke-confirm').value = '';
  input('manage-confirm').value = '';
  input('edit-name').value = tenant.name;
  $<HTMLTextAreaElement>('edit-return-urls').value = tenant.returnUrls.join('\n');
  input('edit-webhook').value = tenant.webhookUrl ?? '';
  button('revoke').disabled = true;
  confirmManage();
  show($('revoke-error'));
}

function renderConnections(connections: Connection[]): void {
  const box = $('connections');
  box.replaceChildren();
  $('connections-shown').textContent = connections.length
    ? `${connections.length} shown${button('connections-more').hidden ? '' : ', more to load'}`
    : '';
  if (!connections.length) {
    box.append(el('p', { class: 'empty', id: 'connections-empty', text: 'No connections.' }));
    return;
  }
  box.append(
    table(
      'connections-title',
      ['Provider', 'End user', 'Account', 'Status', 'Expires', 'Last refresh', 'Last error'],
      connections.map((c) => [
        c.provider,
        el('code', { text: c.endUserId }),
        c.account?.name || c.account?.id || '—',
        statusBadge(c.status),
        when(c.expiresAt, 'short'),
        when(c.lastRefreshedAt, 'short'),
        c.lastError
          ? el(
              'span',
              { class: 'error-cell', title: c.lastError.detail },
              el('code', { text: c.lastError.code }),
              ` ${when(c.lastError.at, 'short')}`,
              c.refreshFailures > 1 ? ` (${c.refreshFailures} in a row)` : '',
            )
          : '—',
      ]),
      'connections-table',
    ),
  );
}

function renderDeliveries(deliveries: Delivery[]): void {
  const box = $('deliveries');
  box.replaceChildren();
  if (!deliveries.length) {
    box.append(el('p', { class: 'empty', id: 'deliveries-empty', text: 'No webhook deliveries.' }));
    return;
  }
  box.append(
    table(
      'deliveries-title',
      ['Created', 'Event', 'Status', 'Attempts', 'Last answer', 'Next attempt', ''],
      deliveries.map((d) => [
        when(d.createdAt, 'short'),
        el('code', { text: d.event }),
        el('span', {
          class: `badge ${d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'bad' : 'warn'}`,
          text: d.status,
        }),
        String(d.attempts),
        d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : d.lastError || '—',
        when(d.nextAttemptAt, 'short'),
        d.status === 'failed'
          ? el('button', {
              type: 'button',
              class: 'secondary small',
              'data-retry': d.id,
              text: 'Retry',
              onclick: guard((event) => retryDelivery(event, d)),
            })
          : '',
      ]),
      'deliveries-table',
    ),
  );
}

async function retryDelivery(event: Event, d: Delivery): Promise<void> {
  if (!selected) return;
  const b = event.currentTarget as HTMLButtonElement;
  b.disabled = true;
  try {
    await api('POST', `${tenantPath()}/webhooks/deliveries/${encodeURIComponent(d.id)}/retry`);
    show($('deliveries-result'), `Delivery ${d.id} (${d.event}) is queued again.`);
    await Promise.all([deliveriesList.reset(), auditList.reset()]);
  } catch (error) {
    b.disabled = false;
    show($('deliveries-result'));
    show($('detail-error'), messageOf(error));
  }
}

function renderAudit(events: AuditEvent[]): void {
  const audit = $('audit');
  audit.replaceChildren();
  if (!events.length) {
    audit.append(el('p', { class: 'empty', text: 'No events.' }));
    return;
  }
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

// ---- the activity chart (inline SVG from /v1/tenants/:id/stats) ----

const svgNs = 'http://www.w3.org/2000/svg';
const series = [
  ['refreshes', 'refreshes'],
  ['refreshFailures', 'refresh failures'],
  ['dataCalls', 'data calls'],
] as const;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

async function loadChart(): Promise<void> {
  if (!selected) return;
  const bucket = chartPeriod === 'day' ? 'hour' : 'day';
  const stats = await api<Stats>('GET', `${tenantPath()}/stats?bucket=${bucket}`);
  drawChart(stats);
  const counts = Object.entries(stats.connections)
    .map(
      ([provider, byStatus]) =>
        `${provider}: ${
          Object.entries(byStatus)
            .filter(([, n]) => n > 0)
            .map(([status, n]) => `${n} ${status.replace('_', ' ')}`)
            .join(', ') || 'none'
        }`,
    )
    .join(' · ');
  $('connection-counts').textContent = counts ? `Connections now: ${counts}` : 'No connections yet.';
}

function drawChart(stats: Stats): void {
  const width = 640;
  const height = 180;
  const pad = { left: 36, right: 8, top: 10, bottom: 24 };
  const buckets = stats.buckets;
  const max = Math.max(1, ...buckets.flatMap((b) => series.map(([k]) => b[k])));
  const x = (i: number) => pad.left + (i * (width - pad.left - pad.right)) / Math.max(1, buckets.length - 1);
  const y = (v: number) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  const totals = series.map(([k, label]) => `${buckets.reduce((n, b) => n + b[k], 0)} ${label}`);
  const period = stats.bucket === 'hour' ? 'the last 24 hours' : 'the last 30 days';
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Over ${period}: ${totals.join(', ')}.`,
    'data-bucket': stats.bucket,
    'data-buckets': buckets.length,
  });
  const title = svg('title', {});
  title.textContent = `Over ${period}: ${totals.join(', ')}.`;
  root.append(title);
  for (const v of [0, max]) {
    root.append(svg('line', { class: 'grid', x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }));
    const label = svg('text', { class: 'axis', x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end' });
    label.textContent = String(v);
    root.append(label);
  }
  const tick = (i: number, anchor: string) => {
    const d = new Date(buckets[i].start);
    const text = svg('text', { class: 'axis', x: x(i), y: height - 6, 'text-anchor': anchor });
    text.textContent =
      stats.bucket === 'hour'
        ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
        : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
    root.append(text);
  };
  if (buckets.length) {
    tick(0, 'start');
    tick(buckets.length - 1, 'end');
  }
  for (const [key] of series) {
    const points = buckets.map((b, i) => `${x(i).toFixed(1)},${y(b[key]).toFixed(1)}`).join(' ');
    root.append(
      svg('polyline', {
        class: `series ${key}`,
        points,
        'data-series': key,
        'data-total': buckets.reduce((n, b) => n + b[key], 0),
      }),
    );
  }
  $('chart').replaceChildren(root);
  button('chart-day').setAttribute('aria-pressed', String(stats.bucket === 'hour'));
  button('chart-month').setAttribute('aria-pressed', String(stats.bucket === 'day'));
}

// ---- changing a tenant: settings, API keys, OAuth apps (unlocked by typing its name) ----

function confirmManage(): void {
  const ok = Boolean(selected) && input('manage-confirm').value === selected?.name;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#manage-zone .gated')) b.disabled = !ok;
}

function unlocked(): boolean {
  if (selected && input('manage-confirm').value === selected.name) return true;
  show($('manage-error'), 'Type the tenant name exactly to confirm.');
  input('manage-confirm').focus();
  return false;
}

async function managed(done: string, change: () => Promise<unknown>): Promise<void> {
  show($('manage-error'));
  show($('manage-result'));
  if (!unlocked()) return;
  try {
    await change();
    show($('manage-result'), done);
    announce(done);
  } catch (error) {
    show($('manage-error'), messageOf(error));
  }
}

async function saveSettings(event: Event): Promise<void> {
  event.preventDefault();
  if (!selected) return;
  const tenant = selected;
  const webhook = input('edit-webhook').value.trim();
  const body = {
    name: input('edit-name').value.trim(),
    returnUrls: $<HTMLTextAreaElement>('edit-return-urls').value.split(/\s+/).filter(Boolean),
    webhookUrl: webhook || null,
  };
  await managed('Settings saved.', async () => {
    const updated = await api<Tenant>('PATCH', tenantPath(), body);
    selected = updated;
    tenants = tenants.map((t) => (t.id === updated.id ? updated : t));
    renderTenants();
    renderDetail(updated);
    // Still unlocked for the next change, under the new name.
    input('manage-confirm').value = updated.name === tenant.name ? tenant.name : '';
    confirmManage();
  });
}

async function loadKeys(): Promise<void> {
  if (!selected) return;
  const { apiKeys } = await api<{ apiKeys: ApiKey[] }>('GET', `${tenantPath()}/api-keys`);
  const box = $('keys');
  box.replaceChildren(
    apiKeys.length
      ? table(
          'keys-title',
          ['Key', 'Created', ''],
          apiKeys.map((k) => [
            el('code', { text: k.id }),
            when(k.createdAt, 'medium'),
            el('button', {
              type: 'button',
              class: 'secondary small gated',
              'data-key': k.id,
              text: 'Delete',
              disabled: input('manage-confirm').value !== selected?.name,
              onclick: guard(() => deleteKey(k.id)),
            }),
          ]),
          'keys-table',
        )
      : el('p', { class: 'empty', text: 'No API keys: the tenant cannot call the API.' }),
  );
}

async function addKey(): Promise<void> {
  await managed('A new API key was added. Copy it now.', async () => {
    const created = await api<{ id: string; apiKey: string }>('POST', `${tenantPath()}/api-keys`);
    $('key-created-value').textContent = created.apiKey;
    $('key-created').hidden = false;
    $('key-created').focus();
    await Promise.all([loadKeys(), auditList.reset()]);
  });
}

async function deleteKey(id: string): Promise<void> {
  await managed(`API key ${id} was deleted: it stopped working.`, async () => {
    await api('DELETE', `${tenantPath()}/api-keys/${encodeURIComponent(id)}`);
    await Promise.all([loadKeys(), auditList.reset()]);
  });
}

async function loadApps(): Promise<void> {
  if (!selected) return;
  const { apps } = await api<{ apps: App[] }>('GET', `${tenantPath()}/apps`);
  $('apps').replaceChildren(
    apps.length
      ? table(
          'apps-title',
          ['Provider', 'Client id', 'Scopes', 'Updated', ''],
          apps.map((a) => [
            a.provider,
            el('code', { text: a.clientId }),
            a.scopes?.join(' ') || 'defaults',
            when(a.updatedAt, 'medium'),
            el('button', {
              type: 'button',
              class: 'secondary small gated',
              'data-app': a.provider,
              text: 'Use the platform app',
              disabled: input('manage-confirm').value !== selected?.name,
              onclick: guard(() => removeApp(a.provider)),
            }),
          ]),
          'apps-table',
        )
      : el('p', { class: 'empty', text: 'The platform apps are used for every provider.' }),
  );
}

async function saveApp(event: Event): Promise<void> {
  event.preventDefault();
  const provider = $<HTMLSelectElement>('app-provider').value;
  const scopes = input('app-scopes').value.split(/\s+/).filter(Boolean);
  const body = {
    clientId: input('app-client-id').value.trim(),
    clientSecret: input('app-client-secret').value,
    ...(scopes.length ? { scopes } : {}),
  };
  await managed(`New ${provider} connections use this app.`, async () => {
    await api('PUT', `${tenantPath()}/apps/${provider}`, body);
    input('app-client-secret').value = '';
    await Promise.all([loadApps(), auditList.reset()]);
  });
}

async function removeApp(provider: string): Promise<void> {
  await managed(`New ${provider} connections use the platform app again.`, async () => {
    await api('DELETE', `${tenantPath()}/apps/${provider}`);
    await Promise.all([loadApps(), auditList.reset()]);
  });
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
$('manage-confirm').addEventListener('input', confirmManage);
$('edit-form').addEventListener('submit', guard(saveSettings));
$('app-form').addEventListener('submit', guard(saveApp));
button('key-add').addEventListener('click', guard(addKey));
$('key-created-dismiss').addEventListener('click', () => {
  $('key-created').hidden = true;
  $('key-created-value').textContent = '';
});
$('connections-filter').addEventListener(
  'submit',
  guard(async (event) => {
    event.preventDefault();
    await connectionsList.reset();
  }),
);
for (const id of ['filter-provider', 'filter-status'])
  $(id).addEventListener(
    'change',
    guard(() => connectionsList.reset()),
  );
$('deliveries-status').addEventListener(
  'change',
  guard(() => deliveriesList.reset()),
);
$('audit-outcome').addEventListener(
  'change',
  guard(() => auditList.reset()),
);
button('chart-day').addEventListener(
  'click',
  guard(async () => {
    chartPeriod = 'day';
    await loadChart();
  }),
);
button('chart-month').addEventListener(
  'click',
  guard(async () => {
    chartPeriod = 'month';
    await loadChart();
  }),
);
$('revoke-form').addEventListener('submit', guard(revokeTenant));
for (const b of document.querySelectorAll('[data-copy]')) b.addEventListener('click', guard(copy));
input('admin-key').focus();
