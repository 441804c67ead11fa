/** @jsxImportSource hono/jsx */
import { Page } from '../layout.js';

/**
 * The admin console's markup. Everything after sign-in is filled in by `/admin/app.js`, which
 * keeps the admin credential in memory only (never in storage, a cookie or a URL).
 */
export function AdminPage(props: { stylesheet: string; script: string }) {
  return (
    <Page
      title="Portico admin"
      section="Admin console"
      stylesheet={props.stylesheet}
      script={props.script}
      topbarExtra={
        <button type="button" id="sign-out" class="secondary small" hidden>
          Sign out
        </button>
      }
    >
      <main id="main" class="wrap" tabindex={-1}>
        <noscript>
          <p class="notice error">The admin console needs JavaScript.</p>
        </noscript>

        <section id="signin" class="panel signin" aria-labelledby="signin-title">
          <h1 id="signin-title">Sign in</h1>
          <p class="lede">
            Use the admin key Portico printed when it started (<code>ADMIN_API_KEY</code>), or an admin JWT
            from your identity provider.
          </p>
          {/* The field has no name and the button stays disabled until the script runs: the key can never be submitted as a form. */}
          <form id="signin-form" method="post" action="/admin">
            <div class="field">
              <label for="admin-key">Admin key</label>
              <input
                id="admin-key"
                type="password"
                autocomplete="off"
                spellcheck={false}
                required
                aria-describedby="admin-key-hint"
              />
              <p id="admin-key-hint" class="hint">
                Kept in this tab's memory only: never stored, never sent in a URL. Reloading signs you out.
              </p>
            </div>
            <p id="signin-error" class="notice error" role="alert" hidden />
            <button type="submit" id="signin-submit" disabled>
              Sign in
            </button>
          </form>
        </section>

        <div id="console" class="console" hidden>
          <div>
            <section class="panel" aria-labelledby="tenants-title">
              <div class="detail-head">
                <h2 id="tenants-title" tabindex={-1}>
                  Tenants
                </h2>
                <span class="spacer" />
                <button type="button" id="tenants-refresh" class="secondary small">
                  Refresh
                </button>
              </div>
              <ul id="tenant-list" class="tenant-list" aria-labelledby="tenants-title" />
              <p id="tenants-empty" class="empty" hidden>
                No tenants yet.
              </p>
              <button type="button" id="tenants-more" class="secondary small" hidden>
                Load more
              </button>
            </section>

            <section class="panel" aria-labelledby="create-title">
              <h2 id="create-title">Create a tenant</h2>
              <form id="create-form">
                <div class="field">
                  <label for="tenant-name">Name</label>
                  <input id="tenant-name" type="text" required maxlength={200} autocomplete="off" />
                </div>
                <div class="field">
                  <label for="tenant-return-urls">Return URLs</label>
                  <textarea
                    id="tenant-return-urls"
                    spellcheck={false}
                    placeholder="https://app.example.com/integrations"
                    aria-describedby="return-urls-hint"
                  />
                  <p id="return-urls-hint" class="hint">
                    One per line. The connect popup reports only to these origins, and a session's returnUrl
                    must be under one of them.
                  </p>
                </div>
                <div class="field">
                  <label for="tenant-webhook">
                    Webhook URL <span class="muted">(optional)</span>
                  </label>
                  <input id="tenant-webhook" type="url" spellcheck={false} placeholder="https://" />
                </div>
                <p id="create-error" class="notice error" role="alert" hidden />
                <button type="submit" id="create-submit">
                  Create tenant
                </button>
              </form>
              <div id="created" class="secret" tabindex={-1} hidden>
                <strong>
                  Tenant <span id="created-name" /> created.
                </strong>{' '}
                Copy its API key now: it is shown only this once.
                <dl>
                  <dt>API key</dt>
                  <dd>
                    <code id="created-api-key" />
                    <button type="button" class="secondary small" data-copy="created-api-key">
                      Copy
                    </button>
                  </dd>
                  <dt>Webhook signing secret</dt>
                  <dd>
                    <code id="created-webhook-secret" />
                    <button type="button" class="secondary small" data-copy="created-webhook-secret">
                      Copy
                    </button>
                  </dd>
                </dl>
                <p>
                  <button type="button" id="created-dismiss" class="secondary small">
                    I have saved them
                  </button>
                </p>
              </div>
            </section>
          </div>

          <section id="detail" class="panel" aria-labelledby="detail-title" aria-busy="false">
            <p id="detail-placeholder" class="empty">
              Select a tenant to see its connections and audit trail.
            </p>
            <div id="detail-body" hidden>
              <div class="detail-head">
                <h2 id="detail-title" tabindex={-1}>
                  Tenant
                </h2>
                <span id="detail-status" class="badge" />
              </div>
              <p id="revoke-result" class="notice success" role="status" hidden />
              <dl class="facts">
                <dt>Id</dt>
                <dd>
                  <code id="detail-id" />
                </dd>
                <dt>Created</dt>
                <dd id="detail-created" />
                <dt>Return URLs</dt>
                <dd id="detail-return-urls" />
                <dt>Webhook</dt>
                <dd id="detail-webhook" />
              </dl>
              <p id="detail-error" class="notice error" role="alert" hidden />
              <section id="revocation" aria-labelledby="revocation-title" hidden>
                <h3 id="revocation-title">Revocation</h3>
                <progress id="revocation-progress" aria-labelledby="revocation-title" max={1} value={0} />
                <p id="revocation-counts" role="status" aria-live="polite" />
                <h4 id="revocation-failures-title" hidden>
                  Grants that could not be revoked
                </h4>
                <div id="revocation-failures" />
              </section>

              <div class="detail-head">
                <h3 id="activity-title">Activity</h3>
                <span class="spacer" />
                <fieldset class="actions period">
                  <legend class="visually-hidden">Period</legend>
                  <button type="button" id="chart-day" class="secondary small" aria-pressed="true">
                    24 hours
                  </button>
                  <button type="button" id="chart-month" class="secondary small" aria-pressed="false">
                    30 days
                  </button>
                </fieldset>
              </div>
              <div id="chart" class="chart" />
              <ul class="legend" aria-hidden="true">
                <li class="refreshes">Refreshes</li>
                <li class="refreshFailures">Refresh failures</li>
                <li class="dataCalls">Data calls</li>
              </ul>
              <p id="connection-counts" class="muted" />

              <h3 id="connections-title">Connections</h3>
              <form id="connections-filter" class="filters">
                <div class="field">
                  <label for="filter-provider">Provider</label>
                  <select id="filter-provider">
                    <option value="">Any</option>
                    <option value="hubspot">HubSpot</option>
                    <option value="dropbox">Dropbox</option>
                  </select>
                </div>
                <div class="field">
                  <label for="filter-status">Status</label>
                  <select id="filter-status">
                    <option value="">Any</option>
                    <option value="active">active</option>
                    <option value="needs_reauth">needs reauth</option>
                    <option value="pending">pending</option>
                  </select>
                </div>
                <div class="field">
                  <label for="filter-user">End user id</label>
                  <input
                    id="filter-user"
                    type="search"
                    autocomplete="off"
                    spellcheck={false}
                    maxlength={256}
                  />
                </div>
                <button type="submit" id="filter-submit" class="secondary small">
                  Search
                </button>
              </form>
              <div id="connections" />
              <p class="actions">
                <span id="connections-shown" class="muted" />
                <button type="button" id="connections-more" class="secondary small" hidden>
                  Load more
                </button>
              </p>

              <div class="detail-head">
                <h3 id="deliveries-title">Webhook deliveries</h3>
                <span class="spacer" />
                <label class="inline" for="deliveries-status">
                  Status{' '}
                  <select id="deliveries-status">
                    <option value="">Any</option>
                    <option value="pending">pending</option>
                    <option value="delivered">delivered</option>
                    <option value="failed">failed</option>
                  </select>
                </label>
              </div>
              <p id="deliveries-result" class="notice success" role="status" hidden />
              <div id="deliveries" />
              <button type="button" id="deliveries-more" class="secondary small" hidden>
                Load more
              </button>

              <div class="detail-head">
                <h3 id="audit-title">Audit trail</h3>
                <span class="spacer" />
                <label class="inline" for="audit-outcome">
                  Outcome{' '}
                  <select id="audit-outcome">
                    <option value="">Any</option>
                    <option value="success">success</option>
                    <option value="failure">failure</option>
                  </select>
                </label>
              </div>
              <div id="audit" />
              <button type="button" id="audit-more" class="secondary small" hidden>
                Load more
              </button>

              <div id="manage-zone" class="danger-zone caution">
                <h3>Change this tenant</h3>
                <p>
                  Each change below takes effect at once. Type <strong id="manage-name" /> to unlock them.
                </p>
                <div class="field">
                  <label for="manage-confirm">Tenant name</label>
                  <input id="manage-confirm" type="text" autocomplete="off" spellcheck={false} />
                </div>
                <p id="manage-error" class="notice error" role="alert" hidden />
                <p id="manage-result" class="notice success" role="status" hidden />

                <h4>Settings</h4>
                <form id="edit-form">
                  <div class="field">
                    <label for="edit-name">Name</label>
                    <input id="edit-name" type="text" required maxlength={200} autocomplete="off" />
                  </div>
                  <div class="field">
                    <label for="edit-return-urls">Return URLs</label>
                    <textarea
                      id="edit-return-urls"
                      spellcheck={false}
                      aria-describedby="edit-return-urls-hint"
                    />
                    <p id="edit-return-urls-hint" class="hint">
                      One per line.
                    </p>
                  </div>
                  <div class="field">
                    <label for="edit-webhook">
                      Webhook URL <span class="muted">(empty removes it)</span>
                    </label>
                    <input id="edit-webhook" type="url" spellcheck={false} />
                  </div>
                  <button type="submit" id="edit-submit" class="gated" disabled>
                    Save settings
                  </button>
                </form>

                <h4 id="keys-title">API keys</h4>
                <div id="keys" />
                <p class="hint">
                  Rotate a key: add a new one, move your backend to it, then delete the old one.
                </p>
                <button type="button" id="key-add" class="secondary small gated" disabled>
                  Add an API key
                </button>
                <div id="key-created" class="secret" tabindex={-1} hidden>
                  <strong>New API key.</strong> Copy it now: it is shown only this once.
                  <dl>
                    <dt>API key</dt>
                    <dd>
                      <code id="key-created-value" />
                      <button type="button" class="secondary small" data-copy="key-created-value">
                        Copy
                      </button>
                    </dd>
                  </dl>
                  <p>
                    <button type="button" id="key-created-dismiss" class="secondary small">
                      I have saved it
                    </button>
                  </p>
                </div>

                <h4 id="apps-title">OAuth apps</h4>
                <div id="apps" />
                <form id="app-form">
                  <div class="field">
                    <label for="app-provider">Provider</label>
                    <select id="app-provider">
                      <option value="hubspot">HubSpot</option>
                      <option value="dropbox">Dropbox</option>
                    </select>
                  </div>
                  <div class="field">
                    <label for="app-client-id">Client id</label>
                    <input id="app-client-id" type="text" required autocomplete="off" spellcheck={false} />
                  </div>
                  <div class="field">
                    <label for="app-client-secret">Client secret</label>
                    <input id="app-client-secret" type="password" required autocomplete="off" />
                  </div>
                  <div class="field">
                    <label for="app-scopes">
                      Scopes <span class="muted">(space-separated; empty = the defaults)</span>
                    </label>
                    <input id="app-scopes" type="text" autocomplete="off" spellcheck={false} />
                  </div>
                  <button type="submit" id="app-submit" class="gated" disabled>
                    Use this app
                  </button>
                </form>
              </div>

              <div id="revoke-zone" class="danger-zone">
                <h3>Revoke this tenant</h3>
                <p>
                  Every grant is revoked at its provider, every credential is destroyed and the tenant's API
                  keys stop working at once. This cannot be undone.
                </p>
                <form id="revoke-form">
                  <div class="field">
                    <label for="revoke-confirm">
                      Type <strong id="revoke-name" /> to confirm
                    </label>
                    <input id="revoke-confirm" type="text" autocomplete="off" spellcheck={false} />
                  </div>
                  <p id="revoke-error" class="notice error" role="alert" hidden />
                  <button type="submit" id="revoke" class="danger" disabled>
                    Revoke tenant
                  </button>
                </form>
              </div>
            </div>
          </section>
        </div>
        <p id="live" class="visually-hidden" role="status" aria-live="polite" />
      </main>
    </Page>
  );
}
