/**
 * Acme Insights (`GET /demo/app.js`): a pretend SaaS product using Portico's browser SDK. It
 * loads the SDK from `/sdk/connect.js` like any product would (the bundle keeps that import as
 * it is) and talks only to the demo backend (`/demo/api/*`), never to Portico's API with a key.
 */
import { $, el, ProblemError, readAnswer, scrollingTable, when } from '../../browser/dom.js';
import { connect, isConnectError } from '../../sdk/browser/connect.js';
import { cell, size, typeName } from './format.js';

type Provider = 'hubspot' | 'dropbox';
interface Connection {
  id: string;
  provider: Provider;
  account: { id: string; name?: string };
  status: string;
  createdAt: string;
  updatedAt: string;
}
interface Column {
  name: string;
  label?: string;
  type?: string;
}
interface Table {
  name: string;
  label?: string;
  rowCount: number;
  columns?: Column[];
}
interface Entry {
  type: 'file' | 'folder';
  name: string;
  path: string;
  size?: number;
  modifiedAt?: string;
}
interface AvroPage {
  schema?: { type?: unknown; fields?: Array<{ name: string; type: unknown }> };
  rows: unknown[];
  nextCursor?: string;
}

const NAMES: Record<Provider, string> = { hubspot: 'HubSpot', dropbox: 'Dropbox' };
const PROVIDERS: Provider[] = ['hubspot', 'dropbox'];
let connections: Connection[] = [];
const current: Record<Provider, Connection | null> = { hubspot: null, dropbox: null };
const busy: Record<Provider, boolean> = { hubspot: false, dropbox: false };
const shown: { hubdb: string | null; dropbox: string | null } = { hubdb: null, dropbox: null };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown) => (error instanceof ProblemError ? error.code : undefined);

/** The per-start token the server put in this page: the demo backend answers nothing without it. */
const demoToken = document.getElementById('main')?.dataset.demoToken ?? '';

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      'x-portico-demo-token': demoToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  return readAnswer<T>(res, 'The demo backend');
}

function user(): string {
  return $<HTMLInputElement>('end-user').value.trim();
}

function query(extra?: Record<string, string>): string {
  const params = new URLSearchParams({ endUserId: user(), ...extra });
  return `?${params.toString()}`;
}

function notify(kind: 'success' | 'error', text: string): void {
  $('notices').replaceChildren(
    el('p', { class: `notice ${kind}`, id: 'notice', role: kind === 'error' ? 'alert' : 'status', text }),
  );
}

function clearNotice(): void {
  $('notices').replaceChildren();
}

function accountLabel(c: Connection): string {
  if (c.account.name) return c.account.name;
  return c.provider === 'hubspot' ? `portal ${c.account.id}` : c.account.id;
}

function badge(status: string): HTMLSpanElement {
  return el('span', {
    class: `badge ${status === 'active' ? 'ok' : 'warn'}`,
    text: status === 'active' ? 'active' : 'needs reauth',
  });
}

function explain(error: unknown, fallback: string): string {
  if (codeOf(error) === 'not_found' && /^No route/.test(messageOf(error))) {
    return `${fallback} is not available on this Portico yet.`;
  }
  return messageOf(error);
}

// ---- connections ----

async function loadConnections(): Promise<void> {
  if (!user()) {
    connections = [];
    render();
    return;
  }
  const page = await call<{ connections: Connection[] }>('GET', `/demo/api/connections${query()}`);
  connections = page.connections;
  render();
}

function latest(provider: Provider): Connection | null {
  return (
    connections
      .filter((c) => c.provider === provider)
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))[0] || null
  );
}

function render(): void {
  for (const p of PROVIDERS) renderCard(p);
  renderConnections();
  renderHubdb();
  renderDropbox();
}

function renderCard(p: Provider): void {
  const c = latest(p);
  current[p] = c;
  const status = $(`${p}-status`);
  status.setAttribute('tabindex', '-1');
  if (!c) {
    status.replaceChildren('Not connected');
  } else if (c.status === 'active') {
    status.replaceChildren('Connected to ', el('strong', { text: accountLabel(c) }), ' ', badge(c.status));
  } else {
    status.replaceChildren(
      'Access to ',
      el('strong', { text: accountLabel(c) }),
      ' stopped working: reconnect to keep syncing. ',
      badge(c.status),
    );
  }
  $(`connect-${p}`).hidden = Boolean(c);
  $(`reconnect-${p}`).hidden = !(c && c.status !== 'active');
  $(`disconnect-${p}`).hidden = !c;
  for (const id of ['connect-', 'reconnect-', 'disconnect-']) $<HTMLButtonElement>(id + p).disabled = busy[p];
}

function renderConnections(): void {
  const box = $('connections');
  if (!connections.length) {
    box.replaceChildren(
      el('p', {
        class: 'empty',
        id: 'no-connections',
        text: 'No connections yet: connect HubSpot or Dropbox above.',
      }),
    );
    return;
  }
  const rows = connections.map((c) =>
    el(
      'tr',
      { 'data-connection': c.id, 'data-provider': c.provider },
      el('td', {}, el('strong', { text: NAMES[c.provider] })),
      el('td', {}, accountLabel(c)),
      el('td', {}, badge(c.status)),
      el('td', { class: 'wide-only' }, when(c.createdAt, 'short')),
      el(
        'td',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            'aria-label': `Disconnect ${NAMES[c.provider]} ${accountLabel(c)}`,
            onclick: () => disconnect(c),
          },
          'Disconnect',
        ),
      ),
    ),
  );
  box.replaceChildren(
    el(
      'div',
      { class: 'table-scroll' },
      el(
        'table',
        { id: 'connections-table', 'aria-labelledby': 'connections-title' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['Provider', 'Account', 'Status', 'Connected', ''].map((h) =>
              el(
                'th',
                { scope: 'col', class: h === 'Connected' ? 'wide-only' : null },
                h || el('span', { class: 'visually-hidden', text: 'Actions' }),
              ),
            ),
          ),
        ),
        el('tbody', {}, rows),
      ),
    ),
  );
}

function setBusy(p: Provider, value: boolean): void {
  busy[p] = value;
  renderCard(p);
}

function onConnect(p: Provider): void {
  // No await before connect(): the SDK opens the popup synchronously, inside this click.
  const endUserId = user();
  if (!endUserId) {
    notify('error', 'Enter an end-user id first.');
    $('end-user').focus();
    return;
  }
  clearNotice();
  setBusy(p, true);
  connect({
    connectUrl: () => call<{ connectUrl: string }>('POST', '/demo/api/sessions', { provider: p, endUserId }),
  })
    .then(async (result) => {
      // This product's backend confirms the flow for the user signed in here: until then the
      // connection stays pending (the demo tenant requires confirmation).
      if (result.connectCode && result.connectSessionId) {
        await call('POST', `/demo/api/sessions/${encodeURIComponent(result.connectSessionId)}/confirm`, {
          connectCode: result.connectCode,
          endUserId,
        });
      }
      notify('success', `${NAMES[p]} connected (${result.connectionId}).`);
      busy[p] = false;
      await loadConnections();
      $(`${p}-status`).focus();
    })
    .catch((error: unknown) => {
      notify('error', describe(error, p));
    })
    .finally(() => setBusy(p, false));
}

function describe(error: unknown, p: Provider): string {
  const name = NAMES[p];
  if (!isConnectError(error)) return explain(error, 'Connecting');
  switch (error.code) {
    case 'access_denied':
      return `You declined access on the ${name} consent screen, so nothing was connected.`;
    case 'popup_closed':
      return `The ${name} window was closed before connecting finished.`;
    case 'popup_blocked':
      return `Your browser blocked the ${name} window. Allow pop-ups for this page and try again.`;
    case 'expired':
      return `The ${name} connect session expired. Try again.`;
    case 'session_failed':
      return `Could not start connecting to ${name}: ${
        (error.cause instanceof Error && error.cause.message) || error.message
      }`;
    default:
      return `Connecting to ${name} failed (${error.code}): ${error.message}`;
  }
}

async function disconnect(c: Connection): Promise<void> {
  const p = c.provider;
  setBusy(p, true);
  try {
    await call('DELETE', `/demo/api/connections/${encodeURIComponent(c.id)}${query()}`);
    notify('success', `${NAMES[p]} (${accountLabel(c)}) disconnected.`);
  } catch (error) {
    notify('error', `Could not disconnect ${NAMES[p]}: ${explain(error, 'Disconnecting')}`);
  } finally {
    busy[p] = false;
    await loadConnections().catch((error: unknown) => notify('error', messageOf(error)));
  }
  const next = $(`connect-${p}`).hidden ? $(`disconnect-${p}`) : $(`connect-${p}`);
  next.focus();
}

// ---- HubSpot: HubDB ----

function dataCell(text: string): HTMLTableCellElement {
  return el('td', { class: 'cell', title: text.length > 40 ? text : null, text });
}

function dataTable(id: string, labelledBy: string, headings: string[], rows: string[][]): HTMLDivElement {
  return scrollingTable(
    id,
    labelledBy,
    headings,
    rows.map((cells) => cells.map(dataCell)),
  );
}

function renderHubdb(): void {
  const c = current.hubspot;
  const panel = $('hubdb');
  panel.hidden = !c;
  if (!c) {
    shown.hubdb = null;
    return;
  }
  if (c.status !== 'active') {
    shown.hubdb = null;
    $('hubdb-tables').replaceChildren(
      el('p', { class: 'notice warning', text: 'Reconnect HubSpot to see its tables.' }),
    );
    $('hubdb-rows').replaceChildren();
    return;
  }
  if (shown.hubdb === c.id) return;
  shown.hubdb = c.id;
  loadTables(c).catch((error: unknown) => showPanelError('hubdb-tables', error, 'HubDB'));
}

function showPanelError(id: string, error: unknown, what: string): void {
  $(id).replaceChildren(el('p', { class: 'notice error', role: 'alert', text: explain(error, what) }));
  if (codeOf(error) === 'needs_reauth') loadConnections().catch(() => {});
}

async function loadTables(c: Connection): Promise<void> {
  $('hubdb-tables').replaceChildren(el('p', { class: 'loading', text: 'Loading tables…' }));
  $('hubdb-rows').replaceChildren();
  const page = await call<{ tables: Table[] }>(
    'GET',
    `/demo/api/connections/${encodeURIComponent(c.id)}/hubdb/tables${query()}`,
  );
  if (!page.tables.length) {
    $('hubdb-tables').replaceChildren(el('p', { class: 'empty', text: 'This portal has no HubDB tables.' }));
    return;
  }
  const buttons: HTMLButtonElement[] = [];
  const list = el(
    'ul',
    { class: 'picker', id: 'hubdb-table-list', 'aria-label': 'Tables' },
    page.tables.map((t) => {
      const button = el(
        'button',
        {
          type: 'button',
          'aria-pressed': 'false',
          'data-table': t.name,
          onclick: () => {
            for (const b of buttons) b.setAttribute('aria-pressed', String(b === button));
            loadRows(c, t).catch((error: unknown) => showPanelError('hubdb-rows', error, 'HubDB rows'));
          },
        },
        t.label || t.name,
        ' ',
        el('span', { class: 'count', text: String(t.rowCount) }),
      );
      buttons.push(button);
      return el('li', {}, button);
    }),
  );
  $('hubdb-tables').replaceChildren(list);
  buttons[0].click();
}

async function loadRows(c: Connection, table: Table, cursor?: string, into?: HTMLTableSectionElement) {
  if (!into) $('hubdb-rows').replaceChildren(el('p', { class: 'loading', text: 'Loading rows…' }));
  const extra: Record<string, string> = { limit: '25' };
  if (cursor) extra.cursor = cursor;
  const page = await call<{ rows: Array<{ values: Record<string, unknown> }>; nextCursor?: string }>(
    'GET',
    `/demo/api/connections/${encodeURIComponent(c.id)}/hubdb/tables/${encodeURIComponent(table.name)}/rows${query(extra)}`,
  );
  const columns = table.columns || [];
  const rows = page.rows.map((r) => columns.map((col) => cell(r.values[col.name], col.type)));
  if (into) {
    for (const cells of rows) into.append(el('tr', {}, cells.map(dataCell)));
  } else {
    const heading = el('h3', {
      id: 'hubdb-rows-title',
      text: `${table.label || table.name} · ${table.rowCount} rows`,
    });
    if (!rows.length) {
      $('hubdb-rows').replaceChildren(heading, el('p', { class: 'empty', text: 'This table has no rows.' }));
      return;
    }
    $('hubdb-rows').replaceChildren(
      heading,
      dataTable(
        'hubdb-rows-table',
        'hubdb-rows-title',
        columns.map((col) => col.label || col.name),
        rows,
      ),
    );
  }
  const body = $<HTMLTableElement>('hubdb-rows-table').tBodies[0];
  $('hubdb-more')?.remove();
  const next = page.nextCursor;
  if (next) {
    $('hubdb-rows').append(
      el(
        'p',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            id: 'hubdb-more',
            onclick: (event) => {
              (event.currentTarget as HTMLButtonElement).disabled = true;
              loadRows(c, table, next, body).catch((error: unknown) =>
                showPanelError('hubdb-rows', error, 'HubDB rows'),
              );
            },
          },
          'Load more rows',
        ),
      ),
    );
  }
}

// ---- Dropbox: files and Avro ----

function renderDropbox(): void {
  const c = current.dropbox;
  const panel = $('dropbox');
  panel.hidden = !c;
  if (!c) {
    shown.dropbox = null;
    return;
  }
  if (c.status !== 'active') {
    shown.dropbox = null;
    $('crumbs').replaceChildren();
    $('file-list').replaceChildren(
      el('p', { class: 'notice warning', text: 'Reconnect Dropbox to see its files.' }),
    );
    $('avro-preview').replaceChildren();
    return;
  }
  if (shown.dropbox === c.id) return;
  shown.dropbox = c.id;
  loadFiles(c, '').catch((error: unknown) => showPanelError('file-list', error, 'Dropbox files'));
}

function renderCrumbs(c: Connection, path: string): void {
  const parts = path.split('/').filter(Boolean);
  const items = [{ name: 'Dropbox', path: '' }].concat(
    parts.map((name, i) => ({ name, path: `/${parts.slice(0, i + 1).join('/')}` })),
  );
  $('crumbs').replaceChildren(
    ...items.map((item, i) =>
      el(
        'li',
        {},
        i === items.length - 1
          ? el('span', { 'aria-current': 'location', text: item.name })
          : el(
              'button',
              { type: 'button', class: 'link', onclick: () => openFolder(c, item.path) },
              item.name,
            ),
      ),
    ),
  );
}

function openFolder(c: Connection, path: string): void {
  loadFiles(c, path)
    .then(() => {
      document.querySelector<HTMLButtonElement>('#file-list button')?.focus();
    })
    .catch((error: unknown) => showPanelError('file-list', error, 'Dropbox files'));
}

async function loadFiles(c: Connection, path: string): Promise<void> {
  renderCrumbs(c, path);
  $('file-list').replaceChildren(el('p', { class: 'loading', text: 'Loading files…' }));
  $('avro-preview').replaceChildren();
  const page = await call<{ entries: Entry[] }>(
    'GET',
    `/demo/api/connections/${encodeURIComponent(c.id)}/dropbox/files${query({ path })}`,
  );
  const entries = page.entries
    .slice()
    .sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'folder' ? -1 : 1));
  if (!entries.length) {
    $('file-list').replaceChildren(el('p', { class: 'empty', text: 'This folder is empty.' }));
    return;
  }
  $('file-list').replaceChildren(
    el(
      'ul',
      { class: 'files', id: 'files', 'aria-label': `Files in ${path || 'Dropbox'}` },
      entries.map((e) => {
        if (e.type === 'folder') {
          return el(
            'li',
            { 'data-path': e.path },
            el('span', { class: 'icon folder', 'aria-hidden': 'true' }),
            el(
              'span',
              { class: 'name' },
              el('button', { type: 'button', class: 'link', onclick: () => openFolder(c, e.path) }, e.name),
            ),
            el('span', { class: 'meta', text: 'folder' }),
          );
        }
        const avro = /\.avro$/i.test(e.name);
        return el(
          'li',
          { 'data-path': e.path },
          el('span', { class: avro ? 'icon file avro' : 'icon file', 'aria-hidden': 'true' }),
          el('span', { class: 'name', text: e.name }),
          el('span', {
            class: 'meta',
            text: [size(e.size), e.modifiedAt ? when(e.modifiedAt, 'short') : ''].filter(Boolean).join(' · '),
          }),
          avro
            ? el(
                'button',
                {
                  type: 'button',
                  class: 'secondary small',
                  'aria-label': `Preview ${e.name}`,
                  onclick: () => {
                    previewAvro(c, e).catch((error: unknown) =>
                      showPanelError('avro-preview', error, 'Avro preview'),
                    );
                  },
                },
                'Preview',
              )
            : null,
        );
      }),
    ),
  );
}

async function previewAvro(c: Connection, entry: Entry): Promise<void> {
  const box = $('avro-preview');
  const heading = el('h3', { id: 'avro-title', tabindex: '-1', text: `Preview of ${entry.name}` });
  box.replaceChildren(heading, el('p', { class: 'loading', text: 'Decoding…' }));
  heading.focus();
  try {
    const page = await call<AvroPage>(
      'GET',
      `/demo/api/connections/${encodeURIComponent(c.id)}/dropbox/avro${query({ path: entry.path, limit: '20' })}`,
    );
    const fields =
      page.schema && page.schema.type === 'record' && Array.isArray(page.schema.fields)
        ? page.schema.fields
        : null;
    const names = fields ? fields.map((f) => f.name) : ['value'];
    const rows = page.rows.map((row) =>
      fields ? names.map((n) => cell((row as Record<string, unknown>)[n])) : [cell(row)],
    );
    box.replaceChildren(
      heading,
      fields
        ? el(
            'ul',
            { class: 'schema', 'aria-label': 'Schema' },
            fields.map((f) => el('li', {}, `${f.name} `, el('span', { text: typeName(f.type) }))),
          )
        : '',
      rows.length
        ? dataTable('avro-rows', 'avro-title', names, rows)
        : el('p', { class: 'empty', text: 'No rows.' }),
      el('p', {
        class: 'hint',
        text: `First ${rows.length} rows${page.nextCursor ? ' (more in the file).' : '.'}`,
      }),
    );
  } catch (error) {
    box.replaceChildren(
      heading,
      el('p', {
        class: 'notice error',
        role: 'alert',
        id: 'avro-error',
        text: explain(error, 'Avro preview'),
      }),
    );
  }
}

// ---- wiring ----

for (const button of document.querySelectorAll('[data-action]')) {
  const p = button.getAttribute('data-provider') as Provider;
  if (button.getAttribute('data-action') === 'connect') button.addEventListener('click', () => onConnect(p));
  else
    button.addEventListener('click', () => {
      const c = current[p];
      if (c) void disconnect(c);
    });
}
$('end-user').addEventListener('change', () => {
  clearNotice();
  shown.hubdb = null;
  shown.dropbox = null;
  loadConnections().catch((error: unknown) => notify('error', messageOf(error)));
});
loadConnections().catch((error: unknown) =>
  notify('error', `Could not load your connections: ${messageOf(error)}`),
);
