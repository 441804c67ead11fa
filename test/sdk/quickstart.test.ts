import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formFields, locationOf, TestBrowser } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Issue 17's "done when": a developer packs `@portico/node` from this repository's build, installs
 * the tarball in a project of their own (offline: it has no runtime dependency), and runs the
 * README's quickstart, as written there, against a local Portico. The quickstart is read from
 * packages/node/README.md, so the test breaks when the README's code stops working.
 */
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const work = join(root, 'test-output', 'sdk-quickstart');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let s: Stack;
let apiKey = '';
let connectionId = '';

/** The first ```ts block of the SDK's README. */
function quickstart(): string {
  const readme = readFileSync(join(root, 'packages/node/README.md'), 'utf8');
  const block = /## Quickstart\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('packages/node/README.md has no quickstart block');
  return block;
}

beforeAll(async () => {
  s = await startStack();
  const tenant = await s.tenant({ name: 'Quickstart' });
  apiKey = tenant.apiKey;
  // A HubSpot connection for the quickstart's `connectionId` (the headless flow, over HTTP).
  const created = await s.api('POST', '/v1/connect-sessions', apiKey, {
    provider: 'hubspot',
    endUserId: 'quickstart',
  });
  const session = (await created.json()) as { id: string };
  const redirectUri = 'https://backend.acme.test/oauth/done';
  const urlRes = await s.api(
    'GET',
    `/v1/connect-sessions/${session.id}/authorization-url?redirectUri=${encodeURIComponent(redirectUri)}`,
    apiKey,
  );
  const { authorizationUrl } = (await urlRes.json()) as { authorizationUrl: string };
  const browser = new TestBrowser();
  const fields = formFields(await (await browser.get(authorizationUrl)).text());
  const decided = await browser.postForm(authorizationUrl.split('?')[0] ?? '', {
    ...fields,
    decision: 'approve',
  });
  const code = new URL(locationOf(decided)).searchParams.get('code') ?? '';
  const exchanged = await s.api('POST', `/v1/connect-sessions/${session.id}/exchange`, apiKey, {
    code,
    redirectUri,
  });
  expect(exchanged.status).toBe(201);
  connectionId = ((await exchanged.json()) as { id: string }).id;
});
afterAll(async () => {
  await s?.close();
});

describe("@portico/node's quickstart from a packed tarball", () => {
  it('installs offline into a fresh project, type-checks and runs against a local Portico', async () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'app'), { recursive: true });
    // The package as it would be published: `npm pack` of the built workspace (the suite's global
    // setup built packages/node/dist first).
    const packed = await run(npm, ['pack', '--json', '--pack-destination', work, './packages/node'], {
      cwd: root,
    });
    const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    expect(files.map((f) => f.path).sort()).toEqual(
      expect.arrayContaining(['README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']),
    );
    expect(files.some((f) => f.path.startsWith('src/'))).toBe(false);

    const app = join(work, 'app');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'backend', private: true, type: 'module' }),
    );
    await run(npm, ['install', '--offline', '--no-audit', '--no-fund', join(work, filename)], { cwd: app });
    expect(readdirSync(join(app, 'node_modules'))).toEqual(['.package-lock.json', '@portico']);

    // The README's lines as written, with the one name it leaves to the reader, pointed at this
    // suite's Portico instead of `npm start`'s port (and `process` declared: no @types/node here).
    const lines = quickstart();
    expect(lines).toContain("baseUrl: 'http://localhost:8787'");
    const program = [
      'declare const process: { env: Record<string, string | undefined> };',
      'const connectionId = process.env.CONNECTION_ID!;',
      lines.replace("'http://localhost:8787'", JSON.stringify(s.url).replaceAll('"', "'")),
    ].join('\n');
    writeFileSync(join(app, 'quickstart.ts'), program);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM'],
          strict: true,
          noEmit: true,
          types: [],
        },
        include: ['quickstart.ts'],
      }),
    );
    // Types from the installed package only (no skipLibCheck, no paths into this repository).
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const checked = await run(process.execPath, [tsc, '-p', app], { cwd: app }).catch(
      (e: { stdout: string; stderr: string }) => e,
    );
    expect(`${checked.stdout}${checked.stderr}`).toBe('');

    // `process.env` needs @types/node in a real backend; the run only needs the JavaScript.
    await build({
      entryPoints: [join(app, 'quickstart.ts')],
      outfile: join(app, 'quickstart.mjs'),
      format: 'esm',
      platform: 'node',
      logLevel: 'warning',
    });
    const out = await run(process.execPath, [join(app, 'quickstart.mjs')], {
      cwd: app,
      env: {
        ...process.env,
        PORTICO_API_KEY: apiKey,
        CONNECTION_ID: connectionId,
      },
    });
    const [first] = out.stdout.split('\n');
    expect(first).toBe(`${connectionId} hubspot active`);
    // Then the values of every HubDB row with price > 10, as the filter asks: as many as the API
    // itself finds, and none at 10 or below.
    const prices = [...out.stdout.matchAll(/price: (\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]));
    const direct = await s.api(
      'GET',
      `/v1/connections/${connectionId}/hubdb/tables/products/rows?price__gt=10&limit=1000`,
      apiKey,
    );
    const expected = ((await direct.json()) as { rows: unknown[] }).rows.length;
    expect(expected).toBeGreaterThan(0);
    expect(prices).toHaveLength(expected);
    for (const p of prices) expect(p).toBeGreaterThan(10);
  }, 180_000);
});
