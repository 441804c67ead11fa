import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { newSecret } from '../../ids.js';

/**
 * Checks that `DATA_DIR` exists (or makes it, mode 0700) and is writable, and that nobody else can
 * read it: it holds the store and the keys. A directory that other users can open, or that another
 * user owns, stops start-up naming it, rather than being quietly tightened (whatever was in it may
 * already have been read).
 */
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
  refuseShared(dataDir, 'DATA_DIR', 'chmod 700');
}

/** Stops start-up when `path` is open to other users (group or other bits) or owned by another user. */
function refuseShared(path: string, variable: string, fix: string): void {
  // Windows has no owner/group/other bits to read: its ACLs are the user profile's.
  if (process.platform === 'win32') return;
  const st = statSync(path);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new ConfigError(
      variable,
      `${path} belongs to another user (uid ${st.uid}); use a directory of your own`,
    );
  }
  if (st.mode & 0o077) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new ConfigError(variable, `${path} is open to other users (mode ${mode}); ${fix} "${path}" first`);
  }
}

function readOrCreate(
  path: string,
  variable: string,
  create: () => string,
): { value: string; created: boolean } {
  if (existsSync(path)) {
    refuseShared(path, variable, 'chmod 600');
    try {
      return { value: readFileSync(path, 'utf8').trim(), created: false };
    } catch (err) {
      throw new ConfigError(variable, `cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  const value = create();
  // 0600: the file holds a key; `wx` never overwrites one another process just wrote.
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return { value: readFileSync(path, 'utf8').trim(), created: false };
    throw err;
  }
  chmodSync(path, 0o600);
  return { value, created: true };
}

/** The local master key: `LOCAL_MASTER_KEY`, else 32 random bytes generated once into `DATA_DIR/master.key`. */
export function loadOrCreateMasterKey(dataDir: string): Uint8Array {
  const { value: b64 } = readOrCreate(join(dataDir, 'master.key'), 'LOCAL_MASTER_KEY', () =>
    randomBytes(32).toString('base64'),
  );
  const key = Buffer.from(b64, 'base64');
  if (key.length !== 32)
    throw new ConfigError('LOCAL_MASTER_KEY', `${join(dataDir, 'master.key')} is not the base64 of 32 bytes`);
  return new Uint8Array(key);
}

/**
 * The admin key kept in `DATA_DIR/admin.key`, generated there on first use. `created` is true only
 * on the start that generated it: the one time the key may be shown.
 */
export function loadOrCreateAdminKey(dataDir: string): { key: string; path: string; created: boolean } {
  const path = join(dataDir, 'admin.key');
  const { value, created } = readOrCreate(path, 'ADMIN_API_KEY', () => newSecret('pak'));
  return { key: value, path, created };
}
