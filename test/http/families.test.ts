import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadedAtInit, splitBundle } from '../../infra/split-bundle.js';
import type { RouteFamily } from '../../lib/http/routes/families.js';
import * as families from '../../lib/http/routes/families.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const all = Object.entries(families).filter(
  (entry): entry is [string, RouteFamily] => typeof entry[1] === 'object' && 'routes' in entry[1],
);

describe('route families loaded on first use', () => {
  it('list exactly the routes their modules serve, in their order', async () => {
    expect(all.length).toBe(11);
    for (const [name, family] of all) {
      const api = await family.load();
      expect({ name, routes: family.routes }).toEqual({ name, routes: api.routes });
    }
  });

  it('leave their modules and the services only they use out of what the API function loads at init', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-families-'));
    try {
      const meta = await splitBundle(join(repoRoot, 'functions', 'api.ts'), dir);
      // index.mjs and the chunks it imports statically: what a cold start parses and runs.
      const atInit = loadedAtInit(meta);
      // One chunk beside index.mjs, whatever the on-demand modules share (infra/split-bundle.ts).
      expect(atInit.map((o) => o.replace(/-[A-Z0-9]+\.mjs$/, ''))).toEqual([
        expect.stringMatching(/\/index\.mjs$/),
        expect.stringMatching(/\/chunks\/chunk$/),
      ]);
      const inputsAtInit = new Set(atInit.flatMap((o) => Object.keys(meta.outputs[o].inputs)));
      for (const file of ['tenants', 'audit', 'webhooks', 'stats', 'connect', 'oauth', 'hubdb', 'dropbox'])
        expect(inputsAtInit.has(`lib/http/routes/${file}.ts`), file).toBe(false);
      // …nor the services only they and the workers use, built on first use (lib/on-demand.ts).
      for (const file of [
        'oauth/flows',
        'oauth/sessions',
        'tenants/revoke',
        'webhooks/index',
        'webhooks/ssrf',
      ])
        expect(inputsAtInit.has(`lib/${file}.ts`), file).toBe(false);
      expect(inputsAtInit.has('lib/on-demand.ts')).toBe(false);
      // …and the routes a cold start serves stay in it.
      for (const file of ['families', 'connections', 'proxy'])
        expect(inputsAtInit.has(`lib/http/routes/${file}.ts`), file).toBe(true);
      // node:http is loaded with require, never as an ES module (lib/node-http.ts): on Node.js 24
      // its ESM facade reads a getter that loads undici, 25 ms of CPU.
      for (const output of Object.keys(meta.outputs).filter((o) => o.endsWith('.mjs')))
        expect(readFileSync(join(repoRoot, output), 'utf8'), output).not.toMatch(/from\s*"node:https?"/);
      // The init code names no lazy route's operation (its declarations left with its module).
      const initCode = atInit.map((o) => readFileSync(join(repoRoot, o), 'utf8')).join('\n');
      const declares = (operationId: string) => initCode.includes(`operationId:"${operationId}"`);
      expect(declares('getAccessToken')).toBe(true);
      for (const operationId of ['createTenant', 'createConnectSession', 'getHubdbRows', 'readDropboxAvro'])
        expect(declares(operationId), operationId).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('load each module once, whichever of its routes comes first', async () => {
    const { tenantsFamily } = families;
    expect(await tenantsFamily.load()).toBe(await tenantsFamily.load());
  });
});
