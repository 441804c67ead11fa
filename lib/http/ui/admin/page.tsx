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
              <h3 id="connections-title">Connections</h3>
              <div id="connections" />
              <h3 id="audit-title">Audit trail</h3>
              <div id="audit" />
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
