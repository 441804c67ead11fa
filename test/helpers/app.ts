import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../../lib/config.js';
import { createApp } from '../../lib/http/index.js';
import { builtStaticContent } from '../../lib/http/ui/build.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { Services } from '../../lib/services.js';
import { createServices, type ServiceOverrides } from '../../lib/services.js';
import type { Db } from '../../lib/store/db.js';
import { freshDb } from './dynamo.js';

export const ADMIN_KEY = `pak_${randomBytes(24).toString('base64url')}`;

export interface TestApp {
  app: ReturnType<typeof createApp>;
  services: Services;
  config: Config;
  db: Db;
  logLines: string[];
  /** `app.request` with a bearer key and JSON body. */
  call(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Creates a tenant through the API; answers its id and API key. */
  tenant(input?: Record<string, unknown>): Promise<{ id: string; apiKey: string; webhookSecret: string }>;
}

/** The real app over a fresh table of the embedded DynamoDB, with every log line captured. */
export async function testApp(
  env: Record<string, string> = {},
  overrides: ServiceOverrides & { log?: Logger } = {},
): Promise<TestApp> {
  const config = loadConfig({
    ADMIN_API_KEY: ADMIN_KEY,
    LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  const db = overrides.db ?? (await freshDb());
  const logLines: string[] = [];
  const log = overrides.log ?? createLogger({ level: 'debug', write: (l) => logLines.push(l) });
  const services = createServices(config, { ...overrides, db, log });
  const app = createApp(services, { content: builtStaticContent });
  const call: TestApp['call'] = (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(app.request(path, { method, headers, body }));
  };
  return {
    app,
    services,
    config,
    db,
    logLines,
    call,
    async tenant(input = {}) {
      const res = await call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'Acme', ...input } });
      if (res.status !== 201) throw new Error(`tenant creation failed: ${res.status} ${await res.text()}`);
      const out = (await res.json()) as { tenant: { id: string }; apiKey: string; webhookSecret: string };
      return { id: out.tenant.id, apiKey: out.apiKey, webhookSecret: out.webhookSecret };
    },
  };
}
