import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { newSecret } from '../../ids.js';

/** Checks that `DATA_DIR` exists (or can be made) and is writable. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const probe = join(dataDir, '.write-test');
    writeFileSync(probe, '');
    if (!statSync(dataDir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new ConfigError(
      'DATA_DIR',
      `cannot use "${dataDir}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

function readOrCreate(path: string, variable: string, create: () => string): string {
  if (existsSync(path)) {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(variable, `cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  const value = create();
  // 0600: the file holds a key; `wx` never overwrites one another process just wrote.
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw err;
  }
  chmodSync(path, 0o600);
  return value;
}

/** The local master key: `LOCAL_MASTER_KEY`, else 32 random bytes generated once into `DATA_DIR/master.key`. */
export function loadOrCreateMasterKey(dataDir: string): Uint8Array {
  const b64 = readOrCreate(join(dataDir, 'master.key'), 'LOCAL_MASTER_KEY', () =>
    randomBytes(32).toString('base64'),
  );
  const key = Buffer.from(b64, 'base64');
  if (key.length !== 32)
    throw new ConfigError('LOCAL_MASTER_KEY', `${join(dataDir, 'master.key')} is not the base64 of 32 bytes`);
  return new Uint8Array(key);
}

/** The admin key: `ADMIN_API_KEY`, else generated once into `DATA_DIR/admin.key`. */
export function loadOrCreateAdminKey(dataDir: string): string {
  return readOrCreate(join(dataDir, 'admin.key'), 'ADMIN_API_KEY', () => newSecret('pak'));
}
