import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * npm 11 runs no dependency's install script unless package.json's `allowScripts` allows it.
 * Portico denies the three that exist (classic-level, esbuild, vue-demi): the first two work from
 * what their packages ship, and these tests show it; vue-demi (under the API reference's renderer)
 * only picks Vue 2 or 3 files, and /docs serves the renderer's prebuilt standalone bundle, which
 * needs neither. So an install is the same on every machine.
 */
const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

describe('installing without dependency scripts', () => {
  it('leaves no install script unreviewed in allowScripts', () => {
    const out = execFileSync('npm', ['install-scripts', 'ls', '--json'], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out).allowScripts).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.allowScripts).toEqual({ 'classic-level': false, esbuild: false, 'vue-demi': false });
  });

  it("loads classic-level's prebuilt LevelDB binding (the embedded DynamoDB's storage)", async () => {
    const { ClassicLevel } = require('classic-level') as typeof import('classic-level');
    const dir = mkdtempSync(join(tmpdir(), 'portico-level-'));
    try {
      const db = new ClassicLevel<string, string>(dir);
      await db.put('k', 'v');
      expect(await db.get('k')).toBe('v');
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs esbuild's platform binary (npm start, the Lambda bundles)", async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.transform('const a: number = 1; export { a };', { loader: 'ts' });
    expect(out.code).toContain('const a = 1');
  });
});
