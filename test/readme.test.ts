import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocal } from '../lib/dev/local/server.js';
import { silentLogger } from '../lib/log.js';

/**
 * The README's curl walkthrough, copied out of the README and run top to bottom by bash against
 * a real local server with its sandbox, as `npm start` runs it (only its port differs).
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Try it with curl'), readme.indexOf('## Operations'));
const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

let cwd: string;
let server: LocalServer;

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'portico-readme-'));
  server = await startLocal({
    env: { PORT: '0', DATA_DIR: join(cwd, '.portico'), SANDBOX: '1' },
    log: silentLogger,
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

function run(text: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', text], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

describe("the README's curl walkthrough", () => {
  it('runs top to bottom and every step answers', async () => {
    expect(script).toContain('API=http://localhost:8787');
    // The one change: the port this test's server got.
    const { code, out, err } = await run(script.replace('API=http://localhost:8787', `API=${server.url}`));
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    // Two connect links, two imported connections.
    expect(lines[0]).toMatch(new RegExp(`^${server.url}/connect/cs_\\w+\\?t=`));
    expect(lines[1]).toMatch(new RegExp(`^${server.url}/connect/cs_\\w+\\?t=`));
    expect(lines.slice(2, 4)).toEqual(['active', 'active']);
    // HubDB: a table name, then a row's values.
    expect(lines[4]).toBe('products');
    expect(JSON.parse(lines[5])).toEqual(expect.any(Object));
    // Avro: the schema line first, then rows.
    expect(JSON.parse(lines[6])).toHaveProperty('schema');
    expect(JSON.parse(lines[7])).not.toHaveProperty('schema');
    expect(JSON.parse(lines[8])).not.toHaveProperty('error');
    // Operating it.
    expect(Date.parse(lines[9])).not.toBeNaN();
    expect(lines[10]).toBe('[]');
    expect(lines[11]).toBe('connection.created');
    expect(JSON.parse(lines[12])).toEqual({ hubspot: { active: 1 }, dropbox: { active: 1 } });
    expect(lines).toHaveLength(13);
  }, 60_000);
});
