import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { stackFrames } from '../lib/log.js';

const dir = mkdtempSync(join(tmpdir(), 'portico-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A minified bundle of a failing function and the logger, its source map beside it, as the Lambda
 * functions ship; run in a plain `node` without --enable-source-maps. Answers the raw stack and
 * the logged line.
 */
async function bundledFailure(): Promise<{ stack: string; line: string }> {
  writeFileSync(
    join(dir, 'failing.ts'),
    [
      `import { createLogger } from ${JSON.stringify(join(root, 'lib/log.js'))};`,
      'function fail(): never {',
      "  throw new Error('refused ptk_abcdefghijklmnopqrstuvwx');",
      '}',
      'try {',
      '  fail();',
      '} catch (err) {',
      "  createLogger({ write: (line) => console.log(JSON.stringify({ stack: (err as Error).stack, line })) }).error('failed', { err });",
      '}',
      '',
    ].join('\n'),
  );
  await build({
    entryPoints: [join(dir, 'failing.ts')],
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'silent',
  });
  const out = execFileSync(process.execPath, [join(dir, 'index.mjs')], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out);
}

describe('error stacks in log lines', () => {
  it('maps a bundle frame back to its TypeScript source with the map beside the bundle', async () => {
    const { stack, line } = await bundledFailure();
    // Node itself did not map it (no --enable-source-maps): the raw stack points into the bundle.
    expect(stack).toMatch(/index\.mjs:\d+:\d+/);
    const entry = JSON.parse(line);
    expect(entry.err.stack[0]).toMatch(/failing\.ts:3:\d+/);
  });

  it('keeps frames only: the message line, which may quote a secret, is not repeated', async () => {
    const { line } = await bundledFailure();
    const entry = JSON.parse(line);
    expect(entry.err.message).toBe('refused [redacted]');
    expect(entry.err.stack.length).toBeGreaterThan(0);
    expect(entry.err.stack.every((f: string) => f.startsWith('at '))).toBe(true);
    expect(line).not.toContain('ptk_abcdefghijklmnopqrstuvwx');
  });

  it('leaves frames of files without a map as they are', () => {
    const err = new Error('plain');
    const frames = stackFrames(err) ?? [];
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.join('\n')).toContain('log-stacks.test.ts');
  });
});
