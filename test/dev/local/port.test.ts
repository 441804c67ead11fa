import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const parent = mkdtempSync(join(tmpdir(), 'portico-port-'));
const taken = createServer();
let port = 0;

beforeAll(async () => {
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  port = (taken.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => taken.close(() => r()));
  rmSync(parent, { recursive: true, force: true });
});

describe('npm start on a port already in use', () => {
  it('stops with one line naming PORT, exit 2, and writes nothing into a new DATA_DIR', async () => {
    const dataDir = join(parent, 'fresh');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'lib/dev/local/main.ts')], {
      cwd: root,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(out).toBe('');
    const lines = err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^portico: configuration error: PORT: ${port} is already in use`));
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);
});
