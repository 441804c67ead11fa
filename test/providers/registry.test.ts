import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { providerNames, providers } from '../../lib/providers/registry.js';

const root = new URL('../..', import.meta.url).pathname;

describe('the provider registry', () => {
  it('declares each provider once, its quirks consistent with its implementation', async () => {
    expect(new Set(providerNames).size).toBe(providerNames.length);
    for (const name of providerNames) {
      const p = providers.get(name);
      expect(p.name).toBe(name);
      expect(p.envPrefix).toMatch(/^[A-Z][A-Z0-9]*$/);
      expect(Boolean(p.endpoints.contentUrl), name).toBe(p.contentHost);
      const oauth = await p.oauth(p.endpoints);
      expect(oauth.name).toBe(name);
      expect(Boolean(oauth.verifyPrivateApp), name).toBe(p.privateApps);
    }
    expect(providers.has('hubspot')).toBe(true);
    expect(providers.has('toString')).toBe(false);
  });

  it('drives the configuration: variables by prefix, defaults from the declaration', () => {
    const env: Record<string, string> = {};
    for (const name of providerNames) {
      const { envPrefix } = providers.get(name);
      env[`${envPrefix}_API_URL`] = `http://${name}.test/api`;
      env[`${envPrefix}_SCOPES`] = `${name}.one ${name}.two`;
    }
    const config = loadConfig(env);
    for (const name of providerNames) {
      expect(config.endpoints[name].apiUrl).toBe(`http://${name}.test/api`);
      expect(config.endpoints[name].authUrl).toBe(providers.get(name).endpoints.authUrl);
      expect(config.apps[name].scopes).toEqual([`${name}.one`, `${name}.two`]);
      expect('contentUrl' in config.endpoints[name]).toBe(providers.get(name).contentHost);
    }
  });

  it('is the only way configuration, schemas, proxy and API document learn which providers exist', () => {
    for (const file of [
      'lib/config.ts',
      'lib/http/schemas.ts',
      'lib/providers/proxy.ts',
      'lib/http/apis.ts',
    ]) {
      const code = readFileSync(`${root}/${file}`, 'utf8');
      for (const name of providerNames) expect(code, file).not.toMatch(new RegExp(`['"\`.]${name}\\b`));
    }
  });
});

describe('HubSpot API versions', () => {
  it('nothing in lib/ calls a HubSpot v1 OAuth path, account-info v3 or HubDB v3', () => {
    const files = readdirSync(`${root}/lib`, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const code = readFileSync(`${root}/lib/${file}`, 'utf8');
      expect(code, file).not.toMatch(/\/oauth\/v1\/|\/account-info\/v3\/|\/cms\/v3\//);
    }
  });
});
