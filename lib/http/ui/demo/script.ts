/**
 * The demo page's browser code (`GET /demo/app.js`): plain JS in a raw string (no `${`, no
 * backticks), importing the SDK from `/sdk/connect.js` like any product would. It talks only to
 * the demo backend (`/demo/api/*`), never to Portico's API with a key. DOM built with
 * `textContent` only (the page enforces Trusted Types).
 */
export const demoScript = String.raw`// Acme Insights: a pretend SaaS product using Portico's browser SDK.
import { connect, isConnectError } from '/sdk/connect.js';

const NAMES = { hubspot: 'HubSpot', dropbox: 'Dropbox' };
const PROVIDERS = ['hubspot', 'dropbox'];
let connections = [];
const current = { hubspot: null, dropbox: null };
const busy = { hubspot: false, dropbox: false };
const shown = { hubdb: null, dropbox: null };

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class DemoError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || 'The demo backend answered HTTP ' + status + '.');
    this.status = status;
    this.code = problem && problem.code;
  }
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store'
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new DemoError(res.status, data);
  return data;
}

function user() {
  return $('end-user').value.trim();
}

function query(extra) {
  const params = new URLSearchParams(Object.assign({ endUserId: user() }, extra || {}));
  return '?' + params.toString();
}

function notify(kind, text) {
  $('notices').replaceChildren(
    el('p', { class: 'notice ' + kind, id: 'notice', role: kind === 'error' ? 'alert' : 'status', text })
  );
}

function clearNotice() {
  $('notices').replaceChildren();
}

function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function size(bytes) {
  if (typeof bytes !== 'number') return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

function accountLabel(c) {
  if (c.account.name) return c.account.name;
  return c.provider === 'hubspot' ? 'portal ' + c.account.id : c.account.id;
}

function badge(status) {
  return el('span', {
    class: 'badge ' + (status === 'active' ? 'ok' : 'warn'),
    text: status === 'active' ? 'active' : 'needs reauth'
  });
}

function explain(error, fallback) {
  if (error && error.code === 'not_found' && /^No route/.test(error.message)) {
    return fallback + ' is not available on this Portico yet.';
  }
  return (error && error.message) || String(error);
}

// ---- connections ----

async function loadConnections() {
  if (!user()) {
    connections = [];
    render();
    return;
  }
  const page = await call('GET', '/demo/api/connections' + query());
  connections = page.connections;
  render();
}

function latest(provider) {
  return connections
    .filter((c) => c.provider === provider)
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))[0] || null;
}

function render() {
  PROVIDERS.forEach(renderCard);
  renderConnections();
  renderHubdb();
  renderDropbox();
}

function renderCard(p) {
  const c = latest(p);
  current[p] = c;
  const status = $(p + '-status');
  status.setAttribute('tabindex', '-1');
  if (!c) {
    status.replaceChildren('Not connected');
  } else if (c.status === 'active') {
    status.replaceChildren('Connected to ', el('strong', { text: accountLabel(c) }), ' ', badge(c.status));
  } else {
    status.replaceChildren(
      'Access to ', el('strong', { text: accountLabel(c) }), ' stopped working: reconnect to keep syncing. ', badge(c.status)
    );
  }
  $('connect-' + p).hidden = Boolean(c);
  $('reconnect-' + p).hidden = !(c && c.status !== 'active');
  $('disconnect-' + p).hidden = !c;
  for (const id of ['connect-', 'reconnect-', 'disconnect-']) $(id + p).disabled = busy[p];
}

function renderConnections() {
  const box = $('connections');
  if (!connections.length) {
    box.replaceChildren(
      el('p', { class: 'empty', id: 'no-connections', text: 'No connections yet: connect HubSpot or Dropbox above.' })
    );
    return;
  }
  const rows = connections.map((c) =>
    el('tr', { 'data-connection': c.id, 'data-provider': c.provider },
      el('td', {}, el('strong', { text: NAMES[c.provider] })),
      el('td', {}, accountLabel(c)),
      el('td', {}, badge(c.status)),
      el('td', { class: 'wide-only' }, when(c.createdAt)),
      el('td', {},
        el('button', {
          type: 'button',
          class: 'secondary small',
          'aria-label': 'Disconnect ' + NAMES[c.provider] + ' ' + accountLabel(c),
          onclick: () => disconnect(c)
        }, 'Disconnect')))
  );
  box.replaceChildren(
    el('div', { class: 'table-scroll' },
      el('table', { id: 'connections-table', 'aria-labelledby': 'connections-title' },
        el('thead', {}, el('tr', {}, ['Provider', 'Account', 'Status', 'Connected', ''].map((h) =>
          el('th', { scope: 'col', class: h === 'Connected' ? 'wide-only' : null }, h || el('span', { class: 'visually-hidden', text: 'Actions' }))))),
        el('tbody', {}, rows)))
  );
}

function setBusy(p, value) {
  busy[p] = value;
  renderCard(p);
}

function onConnect(p) {
  // No await before connect(): the SDK opens the popup synchronously, inside this click.
  const endUserId = user();
  if (!endUserId) {
    notify('error', 'Enter an end-user id first.');
    $('end-user').focus();
    return;
  }
  clearNotice();
  setBusy(p, true);
  connect({ connectUrl: () => call('POST', '/demo/api/sessions', { provider: p, endUserId }) })
    .then(async (result) => {
      notify('success', NAMES[p] + ' connected (' + result.connectionId + ').');
      busy[p] = false;
      await loadConnections();
      $(p + '-status').focus();
    })
    .catch((error) => {
      notify('error', describe(error, p));
    })
    .finally(() => setBusy(p, false));
}

function describe(error, p) {
  const name = NAMES[p];
  if (!isConnectError(error)) return explain(error, 'Connecting');
  switch (error.code) {
    case 'access_denied':
      return 'You declined access on the ' + name + ' consent screen, so nothing was connected.';
    case 'popup_closed':
      return 'The ' + name + ' window was closed before connecting finished.';
    case 'popup_blocked':
      return 'Your browser blocked the ' + name + ' window. Allow pop-ups for this page and try again.';
    case 'expired':
      return 'The ' + name + ' connect session expired. Try again.';
    case 'session_failed':
      return 'Could not start connecting to ' + name + ': ' + ((error.cause && error.cause.message) || error.message);
    default:
      return 'Connecting to ' + name + ' failed (' + error.code + '): ' + error.message;
  }
}

async function disconnect(c) {
  const p = c.provider;
  setBusy(p, true);
  try {
    await call('DELETE', '/demo/api/connections/' + encodeURIComponent(c.id) + query());
    notify('success', NAMES[p] + ' (' + accountLabel(c) + ') disconnected.');
  } catch (error) {
    notify('error', 'Could not disconnect ' + NAMES[p] + ': ' + explain(error, 'Disconnecting'));
  } finally {
    busy[p] = false;
    await loadConnections().catch((error) => notify('error', error.message));
  }
  const next = $('connect-' + p).hidden ? $('disconnect-' + p) : $('connect-' + p);
  next.focus();
}

// ---- HubSpot: HubDB ----

function cell(value, type) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.map((v) => cell(v)).join(', ') : '—';
  if (typeof value === 'object') {
    if (value.label || value.name) return String(value.label || value.name);
    if (value.url) return String(value.url);
    return JSON.stringify(value);
  }
  if (type === 'BOOLEAN') return value ? 'Yes' : 'No';
  if ((type === 'DATE' || type === 'DATETIME') && typeof value === 'number') {
    const d = new Date(value);
    return type === 'DATE' ? d.toISOString().slice(0, 10) : d.toLocaleString();
  }
  return String(value);
}

function dataTable(id, labelledBy, headings, rows) {
  return el('div', { class: 'table-scroll' },
    el('table', { id, 'aria-labelledby': labelledBy },
      el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, rows.map((cells) =>
        el('tr', {}, cells.map((text) => el('td', { class: 'cell', title: text.length > 40 ? text : null, text })))))));
}

function renderHubdb() {
  const c = current.hubspot;
  const panel = $('hubdb');
  panel.hidden = !c;
  if (!c) {
    shown.hubdb = null;
    return;
  }
  if (c.status !== 'active') {
    shown.hubdb = null;
    $('hubdb-tables').replaceChildren(el('p', { class: 'notice warning', text: 'Reconnect HubSpot to see its tables.' }));
    $('hubdb-rows').replaceChildren();
    return;
  }
  if (shown.hubdb === c.id) return;
  shown.hubdb = c.id;
  loadTables(c).catch((error) => showPanelError('hubdb-tables', error, 'HubDB'));
}

function showPanelError(id, error, what) {
  $(id).replaceChildren(el('p', { class: 'notice error', role: 'alert', text: explain(error, what) }));
  if (error && error.code === 'needs_reauth') loadConnections().catch(() => {});
}

async function loadTables(c) {
  $('hubdb-tables').replaceChildren(el('p', { class: 'loading', text: 'Loading tables…' }));
  $('hubdb-rows').replaceChildren();
  const page = await call('GET', '/demo/api/connections/' + encodeURIComponent(c.id) + '/hubdb/tables' + query());
  if (!page.tables.length) {
    $('hubdb-tables').replaceChildren(el('p', { class: 'empty', text: 'This portal has no HubDB tables.' }));
    return;
  }
  const buttons = [];
  const list = el('ul', { class: 'picker', id: 'hubdb-table-list', 'aria-label': 'Tables' },
    page.tables.map((t) => {
      const button = el('button', {
        type: 'button',
        'aria-pressed': 'false',
        'data-table': t.name,
        onclick: () => {
          for (const b of buttons) b.setAttribute('aria-pressed', String(b === button));
          loadRows(c, t).catch((error) => showPanelError('hubdb-rows', error, 'HubDB rows'));
        }
      }, t.label || t.name, ' ', el('span', { class: 'count', text: String(t.rowCount) }));
      buttons.push(button);
      return el('li', {}, button);
    }));
  $('hubdb-tables').replaceChildren(list);
  buttons[0].click();
}

async function loadRows(c, table, cursor, into) {
  if (!into) $('hubdb-rows').replaceChildren(el('p', { class: 'loading', text: 'Loading rows…' }));
  const extra = { limit: '25' };
  if (cursor) extra.cursor = cursor;
  const page = await call('GET', '/demo/api/connections/' + encodeURIComponent(c.id) + '/hubdb/tables/' +
    encodeURIComponent(table.name) + '/rows' + query(extra));
  const columns = table.columns || [];
  const rows = page.rows.map((r) => columns.map((col) => cell(r.values[col.name], col.type)));
  if (into) {
    for (const cells of rows) {
      into.append(el('tr', {}, cells.map((text) => el('td', { class: 'cell', title: text.length > 40 ? text : null, text }))));
    }
  } else {
    const heading = el('h3', { id: 'hubdb-rows-title', text: (table.label || table.name) + ' · ' + table.rowCount + ' rows' });
    if (!rows.length) {
      $('hubdb-rows').replaceChildren(heading, el('p', { class: 'empty', text: 'This table has no rows.' }));
      return;
    }
    $('hubdb-rows').replaceChildren(heading, dataTable('hubdb-rows-table', 'hubdb-rows-title', columns.map((col) => col.label || col.name), rows));
  }
  const body = $('hubdb-rows-table').tBodies[0];
  const old = $('hubdb-more');
  if (old) old.remove();
  if (page.nextCursor) {
    $('hubdb-rows').append(el('p', {}, el('button', {
      type: 'button', class: 'secondary small', id: 'hubdb-more',
      onclick: (event) => {
        event.currentTarget.disabled = true;
        loadRows(c, table, page.nextCursor, body).catch((error) => showPanelError('hubdb-rows', error, 'HubDB rows'));
      }
    }, 'Load more rows')));
  }
}

// ---- Dropbox: files and Avro ----

function renderDropbox() {
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
    $('file-list').replaceChildren(el('p', { class: 'notice warning', text: 'Reconnect Dropbox to see its files.' }));
    $('avro-preview').replaceChildren();
    return;
  }
  if (shown.dropbox === c.id) return;
  shown.dropbox = c.id;
  loadFiles(c, '').catch((error) => showPanelError('file-list', error, 'Dropbox files'));
}

function renderCrumbs(c, path) {
  const parts = path.split('/').filter(Boolean);
  const items = [{ name: 'Dropbox', path: '' }].concat(parts.map((name, i) => ({ name, path: '/' + parts.slice(0, i + 1).join('/') })));
  $('crumbs').replaceChildren(...items.map((item, i) => el('li', {},
    i === items.length - 1
      ? el('span', { 'aria-current': 'location', text: item.name })
      : el('button', { type: 'button', class: 'link', onclick: () => openFolder(c, item.path) }, item.name))));
}

function openFolder(c, path) {
  loadFiles(c, path)
    .then(() => {
      const first = document.querySelector('#file-list button');
      if (first) first.focus();
    })
    .catch((error) => showPanelError('file-list', error, 'Dropbox files'));
}

async function loadFiles(c, path) {
  renderCrumbs(c, path);
  $('file-list').replaceChildren(el('p', { class: 'loading', text: 'Loading files…' }));
  $('avro-preview').replaceChildren();
  const page = await call('GET', '/demo/api/connections/' + encodeURIComponent(c.id) + '/dropbox/files' + query({ path }));
  const entries = page.entries.slice().sort((a, b) =>
    a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'folder' ? -1 : 1);
  if (!entries.length) {
    $('file-list').replaceChildren(el('p', { class: 'empty', text: 'This folder is empty.' }));
    return;
  }
  $('file-list').replaceChildren(el('ul', { class: 'files', id: 'files', 'aria-label': 'Files in ' + (path || 'Dropbox') },
    entries.map((e) => {
      if (e.type === 'folder') {
        return el('li', { 'data-path': e.path },
          el('span', { class: 'icon folder', 'aria-hidden': 'true' }),
          el('span', { class: 'name' }, el('button', { type: 'button', class: 'link', onclick: () => openFolder(c, e.path) }, e.name)),
          el('span', { class: 'meta', text: 'folder' }));
      }
      const avro = /\.avro$/i.test(e.name);
      return el('li', { 'data-path': e.path },
        el('span', { class: avro ? 'icon file avro' : 'icon file', 'aria-hidden': 'true' }),
        el('span', { class: 'name', text: e.name }),
        el('span', { class: 'meta', text: [size(e.size), e.modifiedAt ? when(e.modifiedAt) : ''].filter(Boolean).join(' · ') }),
        avro ? el('button', {
          type: 'button', class: 'secondary small', 'aria-label': 'Preview ' + e.name,
          onclick: () => previewAvro(c, e).catch((error) => showPanelError('avro-preview', error, 'Avro preview'))
        }, 'Preview') : null);
    })));
}

function typeName(type) {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(typeName).join(' | ');
  if (type && typeof type === 'object') return type.logicalType || (type.type === 'array' ? typeName(type.items) + '[]' : type.name || type.type);
  return '?';
}

async function previewAvro(c, entry) {
  const box = $('avro-preview');
  const heading = el('h3', { id: 'avro-title', tabindex: '-1', text: 'Preview of ' + entry.name });
  box.replaceChildren(heading, el('p', { class: 'loading', text: 'Decoding…' }));
  heading.focus();
  try {
    const page = await call('GET', '/demo/api/connections/' + encodeURIComponent(c.id) + '/dropbox/avro' + query({ path: entry.path, limit: '20' }));
    const fields = page.schema && page.schema.type === 'record' && Array.isArray(page.schema.fields) ? page.schema.fields : null;
    const names = fields ? fields.map((f) => f.name) : ['value'];
    const rows = page.rows.map((row) => (fields ? names.map((n) => cell(row[n])) : [cell(row)]));
    box.replaceChildren(
      heading,
      fields ? el('ul', { class: 'schema', 'aria-label': 'Schema' }, fields.map((f) => el('li', {}, f.name + ' ', el('span', { text: typeName(f.type) })))) : null,
      rows.length
        ? dataTable('avro-rows', 'avro-title', names, rows)
        : el('p', { class: 'empty', text: 'No rows.' }),
      el('p', { class: 'hint', text: 'First ' + rows.length + ' rows' + (page.nextCursor ? ' (more in the file).' : '.') })
    );
  } catch (error) {
    box.replaceChildren(heading, el('p', { class: 'notice error', role: 'alert', id: 'avro-error', text: explain(error, 'Avro preview') }));
  }
}

// ---- wiring ----

for (const button of document.querySelectorAll('[data-action]')) {
  const p = button.getAttribute('data-provider');
  if (button.getAttribute('data-action') === 'connect') button.addEventListener('click', () => onConnect(p));
  else button.addEventListener('click', () => current[p] && disconnect(current[p]));
}
$('end-user').addEventListener('change', () => {
  clearNotice();
  shown.hubdb = null;
  shown.dropbox = null;
  loadConnections().catch((error) => notify('error', error.message));
});
loadConnections().catch((error) => notify('error', 'Could not load your connections: ' + error.message));
`;
