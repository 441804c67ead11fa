/** @jsxImportSource hono/jsx */
import { Page } from '../layout.js';

function ProviderCard(props: { provider: 'hubspot' | 'dropbox'; name: string; blurb: string; mark: string }) {
  const p = props.provider;
  return (
    <section class="card" id={`card-${p}`} aria-labelledby={`${p}-title`}>
      <div class="card-head">
        <span class={`logo ${p}`} aria-hidden="true">
          {props.mark}
        </span>
        <div>
          <h2 id={`${p}-title`}>{props.name}</h2>
          <p>{props.blurb}</p>
        </div>
      </div>
      <p class="status-line" id={`${p}-status`}>
        Checking…
      </p>
      <div class="actions">
        <button type="button" id={`connect-${p}`} data-provider={p} data-action="connect">
          Connect {props.name}
        </button>
        <button type="button" id={`reconnect-${p}`} data-provider={p} data-action="connect" hidden>
          Reconnect {props.name}
        </button>
        <button
          type="button"
          id={`disconnect-${p}`}
          class="secondary"
          data-provider={p}
          data-action="disconnect"
          hidden
        >
          Disconnect
        </button>
      </div>
    </section>
  );
}

/** The demo page: a pretend SaaS product using the SDK. Filled in by `/demo/app.js`. */
export function DemoPage(props: { stylesheet: string; script: string; token: string }) {
  return (
    <Page
      title="Acme Insights · Portico demo"
      section="Demo app"
      stylesheet={props.stylesheet}
      script={props.script}
    >
      <main id="main" class="wrap" tabindex={-1} data-demo-token={props.token}>
        <noscript>
          <p class="notice error">The demo needs JavaScript.</p>
        </noscript>
        <div class="hero">
          <div>
            <p class="eyebrow">Acme Insights · a pretend SaaS product</p>
            <h1>Bring your data in</h1>
            <p class="lede">
              This page plays your product. Its backend keeps a Portico API key and creates connect sessions;
              the browser only ever sees a connect URL and data. <strong>Connect</strong> opens the provider's
              consent screen in a popup through Portico's browser SDK.
            </p>
          </div>
          <div class="who field">
            <label for="end-user">Signed in as (end-user id)</label>
            <input
              id="end-user"
              type="text"
              value="user_42"
              autocomplete="off"
              spellcheck={false}
              maxlength={256}
              aria-describedby="end-user-hint"
            />
            <p id="end-user-hint" class="hint">
              Your product's id for this user: connections belong to it.
            </p>
          </div>
        </div>

        <div id="notices" aria-live="polite" />

        <div class="cards">
          <ProviderCard provider="hubspot" name="HubSpot" blurb="HubDB tables" mark="H" />
          <ProviderCard provider="dropbox" name="Dropbox" blurb="Files, with Avro previews" mark="D" />
        </div>

        <section class="panel" aria-labelledby="connections-title">
          <h2 id="connections-title">Your connections</h2>
          <div id="connections">
            <p class="empty">Loading…</p>
          </div>
        </section>

        <div class="data-grid">
          <section class="panel" id="hubdb" aria-labelledby="hubdb-title" hidden>
            <h2 id="hubdb-title">HubDB tables</h2>
            <div id="hubdb-tables" />
            <div id="hubdb-rows" />
          </section>
          <section class="panel" id="dropbox" aria-labelledby="dropbox-title" hidden>
            <h2 id="dropbox-title">Dropbox files</h2>
            <nav aria-label="Folder path">
              <ol id="crumbs" class="crumbs" />
            </nav>
            <div id="file-list" />
            <div id="avro-preview" />
          </section>
        </div>

        <footer class="demo-foot">
          Served by your local Portico. See also the <a href="/docs">API reference</a>, the{' '}
          <a href="/admin">admin console</a> and the SDK at <code>/sdk/connect.js</code>.
        </footer>
      </main>
    </Page>
  );
}
