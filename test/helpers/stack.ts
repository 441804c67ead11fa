import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type LocalServer, startLocal } from '../../lib/dev/local/server.js';
import { createSandbox, type SandboxOptions } from '../../lib/dev/sandbox/index.js';
import { silentLogger } from '../../lib/log.js';
import type { ServiceOverrides } from '../../lib/services.js';

export interface Sandbox {
  url: string;
  state: ReturnType<typeof createSandbox>['state'];
  close(): Promise<void>;
}

/** The sandbox served alone on a loopback port, as a real provider would be. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = createSandbox(options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: sandbox.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    state: sandbox.state,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      }),
  };
}

/** Environment pointing Portico at a sandbox served elsewhere, with the sandbox's apps as platform apps. */
export function sandboxEnv(sandboxUrl: string): Record<string, string> {
  return {
    SANDBOX: '0',
    HUBSPOT_CLIENT_ID: 'sandbox-hubspot-app',
    HUBSPOT_CLIENT_SECRET: 'sandbox-hubspot-secret',
    DROPBOX_CLIENT_ID: 'sandbox-dropbox-app',
    DROPBOX_CLIENT_SECRET: 'sandbox-dropbox-secret',
    HUBSPOT_AUTH_URL: `${sandboxUrl}/hubspot/oauth/authorize`,
    HUBSPOT_API_URL: `${sandboxUrl}/hubspot/api`,
    DROPBOX_AUTH_URL: `${sandboxUrl}/dropbox/oauth2/authorize`,
    DROPBOX_API_URL: `${sandboxUrl}/dropbox/api`,
    DROPBOX_CONTENT_URL: `${sandboxUrl}/dropbox/content`,
  };
}

export interface Stack {
  portico: LocalServer;
  sandbox: Sandbox;
  url: string;
  adminKey: string;
  close(): Promise<void>;
  /** `fetch` against Portico with a bearer key and JSON. */
  api(
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  tenant(input?: Record<string, unknown>): Promise<{ id: string; apiKey: string; webhookSecret: string }>;
}

/** A real Portico server (embedded DynamoDB in a temp DATA_DIR) and a real sandbox server. */
export async function startStack(
  options: { env?: Record<string, string>; sandbox?: SandboxOptions; overrides?: ServiceOverrides } = {},
): Promise<Stack> {
  const sandbox = await startSandbox(options.sandbox);
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-'));
  const portico = await startLocal({
    env: { PORT: '0', DATA_DIR: dataDir, ...sandboxEnv(sandbox.url), ...options.env },
    log: silentLogger,
    overrides: options.overrides,
  });
  const api: Stack['api'] = (method, path, key, body, headers = {}) =>
    fetch(`${portico.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    portico,
    sandbox,
    url: portico.url,
    adminKey: portico.adminKey,
    api,
    async tenant(input = {}) {
      const res = await api('POST', '/v1/tenants', portico.adminKey, { name: 'Acme', ...input });
      if (res.status !== 201) throw new Error(`tenant: ${res.status} ${await res.text()}`);
      const out = (await res.json()) as { tenant: { id: string }; apiKey: string; webhookSecret: string };
      return { id: out.tenant.id, apiKey: out.apiKey, webhookSecret: out.webhookSecret };
    },
    async close() {
      await portico.close();
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
