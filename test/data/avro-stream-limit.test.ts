import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * In Lambda one streamed answer carries at most 200 MB: an NDJSON stream of every field of more
 * Avro than that is refused before any row is read, pointing at the routes that carry it.
 */
let s: Stack;
let key: string;
let conn: string;

beforeAll(async () => {
  s = await startStack();
  const t = await s.tenant();
  key = t.apiKey;
  const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'limits' });
  const res = await s.api('POST', '/v1/connections', key, {
    provider: 'dropbox',
    endUserId: 'limits',
    credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
  });
  conn = (await res.json()).id;
});
afterAll(async () => {
  s.portico.config.maxStreamBytes = undefined;
  await s?.close();
});

const avro = (query: string, ndjson: boolean) =>
  s.api(
    'GET',
    `/v1/connections/${conn}/dropbox/avro?${query}`,
    key,
    undefined,
    ndjson ? { accept: 'application/x-ndjson' } : {},
  );

describe('Avro NDJSON within what one streamed answer carries', () => {
  it('is bounded in Lambda only', () => {
    expect(loadConfig({}, 'local').maxStreamBytes).toBeUndefined();
    expect(loadConfig({ SANDBOX: '0', KMS_KEY_ID: 'k' }, 'lambda').maxStreamBytes).toBe(200 * 1024 * 1024);
  });

  it('refuses a file or a folder too big to stream, before any row, and names the routes that work', async () => {
    s.portico.config.maxStreamBytes = 100; // users.avro and the folder's files are bigger than this
    for (const path of ['/data/users.avro', '/exports/events/2026-11&recursive=true']) {
      const res = await avro(`path=${path.replace('/', '%2F')}`, true);
      expect({ path, status: res.status }).toEqual({ path, status: 413 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = await res.json();
      expect(problem.code).toBe('payload_too_large');
      expect(problem.detail).toMatch(/cursor pages/);
    }
    // The same data in cursor pages, or fewer fields as a stream, still comes.
    expect((await avro('path=/data/users.avro&limit=5', false)).status).toBe(200);
    const fields = await avro('path=/exports/events/2026-11&recursive=true&fields=country', true);
    expect(fields.status).toBe(200);
    expect((await fields.text()).split('\n').length).toBeGreaterThan(2);
  });

  it('streams when the files fit', async () => {
    s.portico.config.maxStreamBytes = 1024 * 1024 * 1024;
    const res = await avro('path=/data/users.avro', true);
    expect(res.status).toBe(200);
    await res.text();
  });
});
