import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config.js';
import { startLocal } from '../../../lib/dev/local/server.js';
import { ConfigError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';

const root = new URL('../../..', import.meta.url).pathname;

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8787);
    expect(c.publicUrl).toBe('http://localhost:8787');
    expect(c.tableName).toBe('portico');
    expect(c.sandbox).toBe(true);
    // HubSpot's required scopes go in `scope` exactly; the owners scope is optional (`optional_scope`).
    expect(c.apps.hubspot.scopes).toEqual(['oauth', 'hubdb']);
    expect(c.apps.hubspot.optionalScopes).toEqual(['crm.objects.owners.read']);
    expect(c.apps.dropbox.optionalScopes).toEqual([]);
    expect(loadConfig({ HUBSPOT_OPTIONAL_SCOPES: 'a.read b.read' }).apps.hubspot.optionalScopes).toEqual([
      'a.read',
      'b.read',
    ]);
    expect(c.apps.dropbox.scopes).toEqual(['account_info.read', 'files.metadata.read', 'files.content.read']);
    expect(c.endpoints.hubspot.apiUrl).toBe('https://api.hubapi.com');
    expect(loadConfig({ HUBSPOT_CLIENT_ID: 'x', HUBSPOT_CLIENT_SECRET: 'y' }).sandbox).toBe(false);
  });

  it('names the variable of every unusable value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ LOCAL_MASTER_KEY: 'c2hvcnQ=' }, 'LOCAL_MASTER_KEY'],
      [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
      [{ HUBSPOT_API_URL: 'ftp://x' }, 'HUBSPOT_API_URL'],
      [{ TABLE_NAME: 'a' }, 'TABLE_NAME'],
      [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY'],
      [{ ADMIN_JWT_ISSUER: 'https://idp' }, 'ADMIN_JWT_AUDIENCE'],
      [{ SANDBOX: 'maybe' }, 'SANDBOX'],
      [{ HUBSPOT_CLIENT_ID: 'x' }, 'HUBSPOT_CLIENT_SECRET'],
      [{ REFRESH_LEASE_MS: '5' }, 'REFRESH_LEASE_MS'],
      [{ DROPBOX_OPTIONAL_SCOPES: 'files.content.write' }, 'DROPBOX_OPTIONAL_SCOPES'],
    ];
    for (const [env, variable] of cases) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (err) {
        error = err;
      }
      expect(error, variable).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  it('refuses the sandbox in the Lambda deployment', () => {
    expect(() => loadConfig({ SANDBOX: '1' }, 'lambda')).toThrow(ConfigError);
    expect(() => loadConfig({}, 'lambda')).toThrow(/SANDBOX/);
  });

  it('`npm start` stops with one clear line naming the variable', () => {
    for (const [env, variable] of [
      [{ PORT: 'abc' }, 'PORT'],
      [{ LOCAL_MASTER_KEY: 'bm90LTMyLWJ5dGVz' }, 'LOCAL_MASTER_KEY'],
    ] as const) {
      const out = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'lib/dev/local/main.ts')], {
        cwd: root,
        env: { ...process.env, ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-cfg-')) },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(out.status, out.stderr).toBe(2);
      const lines = out.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.includes('Warning'));
      expect(lines).toEqual([expect.stringContaining(`${variable}:`)]);
    }
  });

  it('an unusable DATA_DIR stops start-up naming DATA_DIR', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'portico-cfg-')), 'a-file');
    writeFileSync(file, 'x');
    await expect(
      startLocal({ env: { PORT: '0', DATA_DIR: join(file, 'sub') }, log: silentLogger }),
    ).rejects.toThrow(/DATA_DIR/);
    if (process.getuid?.() !== 0) {
      const ro = mkdtempSync(join(tmpdir(), 'portico-ro-'));
      chmodSync(ro, 0o500);
      await expect(
        startLocal({ env: { PORT: '0', DATA_DIR: join(ro, 'x') }, log: silentLogger }),
      ).rejects.toThrow(/DATA_DIR/);
    }
  });
});

describe('the local server', () => {
  it('keeps its data, master key and admin key across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-restart-'));
    try {
      const env = { PORT: '0', DATA_DIR: dataDir };
      const first = await startLocal({ env, log: silentLogger });
      const res = await fetch(`${first.url}/v1/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Persistent' }),
      });
      const { tenant, apiKey } = await res.json();
      await first.close();
      expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'admin.key')).mode & 0o777).toBe(0o600);

      const second = await startLocal({ env, log: silentLogger });
      try {
        expect(second.adminKey).toBe(first.adminKey);
        const got = await fetch(`${second.url}/v1/tenants/${tenant.id}`, {
          headers: { authorization: `Bearer ${second.adminKey}` },
        });
        expect((await got.json()).name).toBe('Persistent');
        // The tenant key and its sealed secrets still work: same master key, same data.
        const audit = await fetch(`${second.url}/v1/audit`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        expect(audit.status).toBe(200);
        expect(await second.services.tenants.webhookSecret(tenant.id)).toMatch(/^whsec_/);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serves the sandbox, health and docs with the embedded defaults', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-defaults-'));
    mkdirSync(dataDir, { recursive: true });
    const server = await startLocal({ env: { PORT: '0', DATA_DIR: dataDir }, log: silentLogger });
    try {
      expect(server.config.sandbox).toBe(true);
      expect(server.config.endpoints.hubspot.authUrl).toBe(`${server.url}/sandbox/hubspot/oauth/authorize`);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const authorize = await fetch(
        `${server.url}/sandbox/hubspot/oauth/authorize?client_id=sandbox-hubspot-app&redirect_uri=${encodeURIComponent(`${server.url}/oauth/callback`)}&scope=oauth&state=x`,
      );
      expect(authorize.status).toBe(200);
      expect(await authorize.text()).toContain('id="approve"');
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('`npm start` itself', () => {
  it('builds, starts, prints its URL and admin key, and serves the API', async () => {
    const { spawn } = await import('node:child_process');
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-npm-start-'));
    const child = spawn('npm', ['start'], {
      cwd: root,
      env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      let out = '';
      const printed = await new Promise<{ url: string; key: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start printed no URL: ${out}`)), 60_000);
        child.stdout.on('data', (d) => {
          out += d;
          const url = /running at (http:\/\/\S+)/.exec(out)?.[1];
          const key = /Admin key:\s+(\S+)/.exec(out)?.[1];
          if (url && key) {
            clearTimeout(timer);
            resolve({ url, key });
          }
        });
        child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${out}`)));
      });
      expect(await (await fetch(`${printed.url}/healthz`)).json()).toEqual({ ok: true });
      const tenants = await fetch(`${printed.url}/v1/tenants`, {
        headers: { authorization: `Bearer ${printed.key}` },
      });
      expect(tenants.status).toBe(200);
      expect((await fetch(`${printed.url}/`)).status).toBe(200);
    } finally {
      // npm runs the server in its own process group: stop them all.
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {}
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
