import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
      // One file: the code the on-demand modules share with it is in index.mjs (infra/split-bundle.ts).
      expect(atInit).toEqual([expect.stringMatching(/\/index\.mjs$/)]);
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

  it('ship chunks that link against index.mjs, the module the runtime loaded', async () => {
    // Inside the repository, so the bundle's SDK requires resolve from its node_modules.
    const cache = join(repoRoot, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'portico-families-'));
    try {
      const meta = await splitBundle(join(repoRoot, 'functions', 'api.ts'), dir);
      const chunks = readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.mjs'));
      // Every chunk that shares code with index.mjs names it, at the old specifier's length.
      const sharing = chunks.filter((f) =>
        /from"\.\.\/index\.mjs" *;/.test(readFileSync(join(dir, 'chunks', f), 'utf8')),
      );
      expect(sharing.length).toBeGreaterThan(3);
      // Every file a chunk names is on disk (the merged chunk is not).
      for (const f of chunks)
        for (const [, spec] of readFileSync(join(dir, 'chunks', f), 'utf8').matchAll(
          /(?:from|import\()"(\.{1,2}\/[^"]+)"/g,
        ))
          expect(existsSync(join(dir, 'chunks', spec)), `${f} -> ${spec}`).toBe(true);
      for (const [key, output] of Object.entries(meta.outputs))
        for (const i of output.imports)
          if (!i.external) expect(existsSync(join(repoRoot, i.path)), `${key} -> ${i.path}`).toBe(true);
      // In a fresh node, as the runtime does: index.mjs first, then every chunk. A chunk whose
      // import names an export index.mjs lacks fails to link; a second copy of index.mjs would
      // run its code twice (the count below).
      const probe = `
        let runs = 0;
        globalThis.awslambda = { streamifyResponse: (f) => (runs++, f), HttpResponseStream: { from: (s) => s } };
        const index = await import(process.argv[1] + '/index.mjs');
        for (const f of process.argv.slice(2)) await import(process.argv[1] + '/chunks/' + f);
        const again = await import(process.argv[1] + '/chunks/../index.mjs');
        process.stdout.write(JSON.stringify({ runs, same: again === index, handler: typeof index.handler }));`;
      const out = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', probe, pathToFileURL(dir).href, ...chunks],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            AWS_REGION: 'eu-west-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
      );
      expect(JSON.parse(out)).toEqual({ runs: 1, same: true, handler: 'function' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('load each module once, whichever of its routes comes first', async () => {
    const { tenantsFamily } = families;
    expect(await tenantsFamily.load()).toBe(await tenantsFamily.load());
  });
});
