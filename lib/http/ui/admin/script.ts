/**
 * The admin console's browser code (`GET /admin/app.js`): plain JS in a raw string (no `${`, no
 * backticks). The admin credential lives in one variable of this module: never in storage, a
 * cookie or a URL. The DOM is built with `textContent` only (the page enforces Trusted Types).
 */
export const adminScript = String.raw`// Portico admin console.
var credential = null;
var tenants = [];
var nextCursor = null;
var selected = null;

function $(id) {
  return document.getElementById(id);
}

function el(tag, props) {
  var node = document.createElement(tag);
  var attrs = props || {};
  Object.keys(attrs).forEach(function (key) {
    var value = attrs[key];
    if (value === undefined || value === null || value === false) return;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.indexOf('on') === 0) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  });
  for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
  return node;
}

function append(node, child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
  else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

function show(node, text) {
  if (text === undefined || text === null || text === '') {
    node.hidden = true;
    node.textContent = '';
  } else {
    node.textContent = text;
    node.hidden = false;
  }
}

function announce(text) {
  $('live').textContent = text;
}

function when(iso) {
  if (!iso) return '—';
  var d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || 'Portico answered HTTP ' + status + '.');
    this.status = status;
    this.code = problem && problem.code;
  }
}

async function api(method, path, body) {
  var headers = { authorization: 'Bearer ' + credential, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  var res = await fetch(path, {
    method: method,
    headers: headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit'
  });
  if (res.status === 204) return null;
  var data = await res.json().catch(function () { return null; });
  if (!res.ok) {
    var error = new ApiError(res.status, data);
    if (res.status === 401 && credential) signOut('Your admin credential is no longer accepted. Sign in again.');
    throw error;
  }
  return data;
}

function statusBadge(status) {
  var kind = status === 'active' ? 'ok' : status === 'needs_reauth' ? 'warn' : 'bad';
  return el('span', { class: 'badge ' + kind, text: status === 'needs_reauth' ? 'needs reauth' : status });
}

// ---- sign in / out ----

async function signIn(event) {
  event.preventDefault();
  var input = $('admin-key');
  var value = input.value.trim();
  show($('signin-error'));
  if (!value) {
    show($('signin-error'), 'Enter the admin key.');
    input.focus();
    return;
  }
  credential = value;
  $('signin-submit').disabled = true;
  try {
    var page = await api('GET', '/v1/tenants?limit=50');
    input.value = '';
    $('signin').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    tenants = page.tenants;
    nextCursor = page.nextCursor || null;
    renderTenants();
    $('tenants-title').focus();
    announce('Signed in. ' + tenants.length + ' tenants.');
  } catch (error) {
    credential = null;
    var message = error.status === 401
      ? 'That key is not accepted.'
      : error.status === 403
        ? 'That is a tenant API key. The console needs the admin key.'
        : error.message;
    show($('signin-error'), message);
    input.focus();
    input.select();
  } finally {
    $('signin-submit').disabled = false;
  }
}

function signOut(message) {
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
  show($('signin-error'), typeof message === 'string' ? message : '');
  $('admin-key').focus();
}

// ---- tenants ----

function renderTenants() {
  var list = $('tenant-list');
  list.replaceChildren();
  tenants.forEach(function (t) {
    var isSelected = selected && selected.id === t.id;
    list.append(
      el('li', { class: isSelected ? 'selected' : '' },
        el('div', {},
          el('button', {
            type: 'button',
            class: 'link',
            'aria-current': isSelected ? 'true' : false,
            'data-tenant': t.id,
            onclick: function () { selectTenant(t.id); }
          }, t.name),
          el('span', { class: 'id mono', text: t.id })),
        statusBadge(t.status))
    );
  });
  $('tenants-empty').hidden = tenants.length > 0;
  $('tenants-more').hidden = !nextCursor;
}

async function reloadTenants() {
  var page = await api('GET', '/v1/tenants?limit=50');
  tenants = page.tenants;
  nextCursor = page.nextCursor || null;
  renderTenants();
}

async function moreTenants() {
  if (!nextCursor) return;
  var page = await api('GET', '/v1/tenants?limit=50&cursor=' + encodeURIComponent(nextCursor));
  tenants = tenants.concat(page.tenants);
  nextCursor = page.nextCursor || null;
  renderTenants();
}

async function createTenant(event) {
  event.preventDefault();
  show($('create-error'));
  var name = $('tenant-name').value.trim();
  if (!name) {
    show($('create-error'), 'Give the tenant a name.');
    $('tenant-name').focus();
    return;
  }
  var body = { name: name };
  var urls = $('tenant-return-urls').value.split(/\s+/).filter(Boolean);
  if (urls.length) body.returnUrls = urls;
  var webhook = $('tenant-webhook').value.trim();
  if (webhook) body.webhookUrl = webhook;
  $('create-submit').disabled = true;
  try {
    var created = await api('POST', '/v1/tenants', body);
    $('create-form').reset();
    $('created-name').textContent = created.tenant.name;
    $('created-api-key').textContent = created.apiKey;
    $('created-webhook-secret').textContent = created.webhookSecret;
    $('created').hidden = false;
    $('created').focus();
    announce('Tenant ' + created.tenant.name + ' created. Its API key is shown once.');
    await reloadTenants();
    await selectTenant(created.tenant.id, { keepFocus: true });
  } catch (error) {
    show($('create-error'), error.message);
  } finally {
    $('create-submit').disabled = false;
  }
}

function hideCreated() {
  $('created').hidden = true;
  $('created-api-key').textContent = '';
  $('created-webhook-secret').textContent = '';
}

// ---- one tenant ----

async function selectTenant(id, options) {
  var detail = $('detail');
  detail.setAttribute('aria-busy', 'true');
  show($('detail-error'));
  show($('revoke-result'));
  try {
    var results = await Promise.all([
      api('GET', '/v1/tenants/' + encodeURIComponent(id)),
      api('GET', '/v1/tenants/' + encodeURIComponent(id) + '/connections?limit=100'),
      api('GET', '/v1/tenants/' + encodeURIComponent(id) + '/audit?limit=50')
    ]);
    selected = results[0];
    renderDetail(results[0], results[1].connections, results[2].events);
    renderTenants();
    if (!(options && options.keepFocus)) $('detail-title').focus();
  } catch (error) {
    $('detail-placeholder').hidden = true;
    $('detail-body').hidden = false;
    show($('detail-error'), error.message);
  } finally {
    detail.setAttribute('aria-busy', 'false');
  }
}

function renderDetail(tenant, connections, events) {
  $('detail-placeholder').hidden = true;
  $('detail-body').hidden = false;
  $('detail-title').textContent = tenant.name;
  $('detail-status').replaceWith(Object.assign(statusBadge(tenant.status), { id: 'detail-status' }));
  $('detail-id').textContent = tenant.id;
  $('detail-created').textContent = when(tenant.createdAt);
  var urls = $('detail-return-urls');
  urls.replaceChildren();
  if (tenant.returnUrls.length) {
    tenant.returnUrls.forEach(function (u, i) {
      if (i) urls.append(el('br'));
      urls.append(el('code', { text: u }));
    });
  } else {
    urls.textContent = 'none';
  }
  $('detail-webhook').replaceChildren(tenant.webhookUrl ? el('code', { text: tenant.webhookUrl }) : 'none');

  var box = $('connections');
  box.replaceChildren();
  if (!connections.length) {
    box.append(el('p', { class: 'empty', id: 'connections-empty', text: 'No connections.' }));
  } else {
    box.append(table('connections-title', ['Provider', 'End user', 'Account', 'Status', 'Updated'],
      connections.map(function (c) {
        return [
          c.provider,
          el('code', { text: c.endUserId }),
          (c.account && (c.account.name || c.account.id)) || '—',
          statusBadge(c.status),
          when(c.updatedAt)
        ];
      }), 'connections-table'));
  }

  var audit = $('audit');
  audit.replaceChildren();
  if (!events.length) {
    audit.append(el('p', { class: 'empty', text: 'No events.' }));
  } else {
    audit.append(table('audit-title', ['When', 'Action', 'Outcome', 'Actor'],
      events.map(function (e) {
        return [
          when(e.at),
          el('code', { text: e.action }),
          el('span', { class: 'badge ' + (e.outcome === 'success' ? 'ok' : 'bad'), text: e.outcome }),
          e.actor
        ];
      }), 'audit-table'));
  }

  var revocable = tenant.status === 'active';
  $('revoke-zone').hidden = !revocable;
  $('revoke-name').textContent = tenant.name;
  $('revoke-confirm').value = '';
  $('revoke').disabled = true;
  show($('revoke-error'));
}

function table(labelledBy, headings, rows, id) {
  return el('div', { class: 'table-scroll' },
    el('table', { 'aria-labelledby': labelledBy, id: id },
      el('thead', {}, el('tr', {}, headings.map(function (h) { return el('th', { scope: 'col', text: h }); }))),
      el('tbody', {}, rows.map(function (cells) {
        return el('tr', {}, cells.map(function (c) { return el('td', {}, c); }));
      }))));
}

function confirmInput() {
  $('revoke').disabled = !selected || $('revoke-confirm').value !== selected.name;
}

async function revokeTenant(event) {
  event.preventDefault();
  if (!selected || $('revoke-confirm').value !== selected.name) {
    show($('revoke-error'), 'Type the tenant name exactly to confirm.');
    $('revoke-confirm').focus();
    return;
  }
  var tenant = selected;
  var button = $('revoke');
  button.disabled = true;
  button.textContent = 'Revoking…';
  try {
    var result = await api('DELETE', '/v1/tenants/' + encodeURIComponent(tenant.id));
    await reloadTenants();
    await selectTenant(tenant.id, { keepFocus: true });
    var n = result.connections;
    show($('revoke-result'), 'Tenant ' + tenant.name + ' is revoked. ' + n.revoked + ' connection' + (n.revoked === 1 ? '' : 's') +
      ' revoked at the provider' + (n.failed ? ', ' + n.failed + ' could not be (their credentials are destroyed anyway).' : '.'));
    $('detail-title').focus();
  } catch (error) {
    show($('revoke-error'), error.message);
  } finally {
    button.textContent = 'Revoke tenant';
    confirmInput();
  }
}

async function copy(event) {
  var button = event.currentTarget;
  var text = $(button.getAttribute('data-copy')).textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch (error) {
    var range = document.createRange();
    range.selectNodeContents($(button.getAttribute('data-copy')));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = 'Selected';
  }
  setTimeout(function () { button.textContent = 'Copy'; }, 2000);
}

function guard(fn) {
  return function (event) {
    Promise.resolve(fn(event)).catch(function (error) { announce(error.message); });
  };
}

$('signin-form').addEventListener('submit', guard(signIn));
$('signin-submit').disabled = false;
$('sign-out').addEventListener('click', function () { signOut(); announce('Signed out.'); });
$('tenants-refresh').addEventListener('click', guard(reloadTenants));
$('tenants-more').addEventListener('click', guard(moreTenants));
$('create-form').addEventListener('submit', guard(createTenant));
$('created-dismiss').addEventListener('click', function () { hideCreated(); $('tenant-name').focus(); });
$('revoke-confirm').addEventListener('input', confirmInput);
$('revoke-form').addEventListener('submit', guard(revokeTenant));
document.querySelectorAll('[data-copy]').forEach(function (b) { b.addEventListener('click', guard(copy)); });
$('admin-key').focus();
`;
