import { describe, expect, it } from 'vitest';
import {
  CONTENT_HASH_BLOCK,
  ContentHasher,
  contentHash,
} from '../../../lib/dev/sandbox/dropbox/content-hash.js';
import { headerSafeJson } from '../../../lib/dev/sandbox/dropbox/errors.js';
import { createSandbox } from '../../../lib/dev/sandbox/index.js';
import { ORIGIN, rpc } from './flows.js';

const API = `${ORIGIN}/dropbox/api/2`;
const CONTENT = `${ORIGIN}/dropbox/content/2`;

type Entry = Record<string, unknown> & {
  '.tag': string;
  path_display: string;
  path_lower: string;
  id: string;
};
type Listing = { entries: Entry[]; cursor: string; has_more: boolean };

function setup(options: { scopes?: string[]; account?: string } = {}) {
  const sandbox = createSandbox({ bigAvroBytes: 256 * 1024 });
  const grant = sandbox.state.mint({ provider: 'dropbox', ...options });
  const call = async (route: string, args?: unknown, headers?: Record<string, string>) => {
    const res = await sandbox.app.request(`${API}/${route}`, rpc(grant.access_token, args, headers));
    const text = await res.text();
    return {
      res,
      text,
      body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined,
    };
  };
  const download = (
    arg: string | undefined,
    headers: Record<string, string> = {},
    url = `${CONTENT}/files/download`,
  ) =>
    sandbox.app.request(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${grant.access_token}`,
        ...(arg ? { 'dropbox-api-arg': arg } : {}),
        ...headers,
      },
    });
  return { sandbox, grant, call, download };
}

describe('Dropbox RPC conventions', () => {
  it('answers get_current_account with no body, a null body, but not an argument', async () => {
    const { call, sandbox, grant } = setup({ account: 'globex' });
    const plain = await sandbox.app.request(`${API}/users/get_current_account`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.access_token}` },
    });
    const account = (await plain.json()) as Record<string, unknown>;
    expect(account).toMatchObject({
      account_id: grant.account_id,
      email: 'globex@example.com',
      name: { display_name: 'Globex Inc.' },
      account_type: { '.tag': 'basic' },
      root_info: { '.tag': 'user' },
    });
    expect((await call('users/get_current_account', null)).res.status).toBe(200);
    const withArg = await call('users/get_current_account', {});
    expect(withArg.res.status).toBe(400);
    expect(withArg.text).toMatch(/^Error in call to API function "users\/get_current_account": /);
  });

  it('answers 400 text/plain for a wrong content type, like Dropbox', async () => {
    const { sandbox, grant } = setup();
    const res = await sandbox.app.request(`${API}/files/list_folder`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${grant.access_token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'path=',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('Bad HTTP "Content-Type" header: "application/x-www-form-urlencoded"');
    const badJson = await sandbox.app.request(`${API}/files/list_folder`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.access_token}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(await badJson.text()).toContain('could not decode input as JSON');
  });

  it('answers the auth errors: 400 without header, 401 invalid/expired/missing_scope', async () => {
    let now = Date.UTC(2025, 0, 1);
    const sandbox = createSandbox({ now: () => now });
    const grant = sandbox.state.mint({ provider: 'dropbox' });
    const url = `${API}/users/get_current_account`;
    const none = await sandbox.app.request(url, rpc(undefined));
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('Must provide HTTP header "Authorization"');
    const unknown = await sandbox.app.request(url, rpc('sl.nope'));
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({
      error_summary: 'invalid_access_token/',
      error: { '.tag': 'invalid_access_token' },
    });
    now += 14400 * 1000 + 1;
    const expired = await sandbox.app.request(url, rpc(grant.access_token));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      error_summary: 'expired_access_token/',
      error: { '.tag': 'expired_access_token' },
    });

    const narrow = setup({ scopes: ['account_info.read'] });
    const listing = await narrow.call('files/list_folder', { path: '' });
    expect(listing.res.status).toBe(401);
    expect(listing.body).toEqual({
      error_summary: 'missing_scope/',
      error: { '.tag': 'missing_scope', required_scope: 'files.metadata.read' },
    });
  });
});

describe('Dropbox files/list_folder', () => {
  it('lists the root with Dropbox metadata', async () => {
    const { call } = setup();
    const { res, body } = await call('files/list_folder', { path: '' });
    expect(res.status).toBe(200);
    const listing = body as Listing;
    expect(listing.has_more).toBe(false);
    expect(listing.entries.map((e) => e.path_display)).toEqual([
      '/README.txt',
      '/Reports',
      '/Données',
      '/data',
      '/exports',
      '/Archive',
    ]);
    const readme = listing.entries[0] as Entry;
    expect(readme).toMatchObject({
      '.tag': 'file',
      name: 'README.txt',
      path_lower: '/readme.txt',
      is_downloadable: true,
    });
    expect(readme.id).toMatch(/^id:/);
    expect(readme.rev).toMatch(/^[0-9a-f]{9,}$/);
    expect(readme.client_modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(readme.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(listing.entries[1]).toEqual({
      '.tag': 'folder',
      name: 'Reports',
      path_lower: '/reports',
      path_display: '/Reports',
      id: expect.stringMatching(/^id:/),
    });
  });

  it('finds files by id, a file saved after the first lookup too', async () => {
    const { call, sandbox } = setup();
    const byPath = (path: string) => call('files/get_metadata', { path }).then((r) => r.body as Entry);
    const readme = await byPath('/README.txt');
    expect((await byPath(readme.id)).path_lower).toBe('/readme.txt');
    await sandbox.state.addDropboxFile('/Reports/new.txt', Buffer.from('new'));
    const added = await byPath('/Reports/new.txt');
    expect((await byPath(added.id)).path_lower).toBe('/reports/new.txt');
    expect((await byPath(readme.id)).path_lower).toBe('/readme.txt');
    const missing = await call('files/get_metadata', { path: 'id:AAAAAAAAAAAAAAAAAAAAAA' });
    expect(missing.res.status).toBe(409);
  });

  it('pages with limit and list_folder/continue', async () => {
    const { call } = setup();
    const seen: string[] = [];
    let page = (await call('files/list_folder', { path: '/Archive', limit: 100 })).body as Listing;
    seen.push(...page.entries.map((e) => e.path_lower));
    let calls = 1;
    while (page.has_more) {
      page = (await call('files/list_folder/continue', { cursor: page.cursor })).body as Listing;
      seen.push(...page.entries.map((e) => e.path_lower));
      calls++;
    }
    expect(calls).toBe(3);
    expect(new Set(seen).size).toBe(250);
    const done = (await call('files/list_folder/continue', { cursor: page.cursor })).body as Listing;
    expect(done).toMatchObject({ entries: [], has_more: false });
    const bad = await call('files/list_folder/continue', { cursor: 'garbage' });
    expect(bad.res.status).toBe(400);
  });

  it('lists recursively, a folder path including the folder itself', async () => {
    const { call } = setup();
    const all = (await call('files/list_folder', { path: '', recursive: true })).body as Listing;
    expect(all.entries.map((e) => e.path_display)).toContain('/Données/résumé.txt');
    // The Paper doc in /Reports is listed (include_non_downloadable_files defaults to true); team folders are not.
    // /exports: 18 folders and 15 files of Avro datasets; /data/wide.avro.
    expect(all.entries).toHaveLength(5 + 2 + 1 + 7 + 250 + 1 + 29 + 1);
    const data = (await call('files/list_folder', { path: '/DATA', recursive: true })).body as Listing;
    expect(data.entries[0]?.path_display).toBe('/data');
    expect(data.entries.map((e) => e.name)).toContain('big.avro');
  });

  it('answers Dropbox’s errors for bad paths', async () => {
    const { call } = setup();
    const missing = await call('files/list_folder', { path: '/nope' });
    expect(missing.res.status).toBe(409);
    expect(missing.body).toEqual({
      error_summary: 'path/not_found/..',
      error: { '.tag': 'path', path: { '.tag': 'not_found' } },
    });
    const file = await call('files/list_folder', { path: '/README.txt' });
    expect(file.body).toMatchObject({ error: { '.tag': 'path', path: { '.tag': 'not_folder' } } });
    const root = await call('files/list_folder', { path: '/' });
    expect(root.res.status).toBe(400);
    expect(root.text).toContain('Specify the root folder as an empty string');
    expect((await call('files/list_folder', { path: 'relative' })).res.status).toBe(400);
    expect((await call('files/list_folder', { path: '', limit: 0 })).res.status).toBe(400);
    expect((await call('files/list_folder', {})).res.status).toBe(400);
  });
});

describe('Dropbox files/get_metadata', () => {
  it('finds entries by path (any case) and by id, per account', async () => {
    const { call, sandbox } = setup();
    const byPath = (await call('files/get_metadata', { path: '/données/RÉSUMÉ.txt' })).body as Entry;
    expect(byPath).toMatchObject({ '.tag': 'file', path_display: '/Données/résumé.txt', name: 'résumé.txt' });
    const byId = (await call('files/get_metadata', { path: byPath.id })).body as Entry;
    expect(byId.path_display).toBe('/Données/résumé.txt');
    const other = sandbox.state.mint({ provider: 'dropbox', account: 'acme' });
    const res = await sandbox.app.request(
      `${API}/files/get_metadata`,
      rpc(other.access_token, { path: '/README.txt' }),
    );
    expect(((await res.json()) as Entry).id).not.toBe(
      ((await call('files/get_metadata', { path: '/README.txt' })).body as Entry).id,
    );
    expect((await call('files/get_metadata', { path: '' })).res.status).toBe(400);
    expect((await call('files/get_metadata', { path: '/nope.txt' })).res.status).toBe(409);
  });
});

describe('Dropbox files/download', () => {
  it('answers bytes, Content-Length and the escaped Dropbox-API-Result', async () => {
    const { download, call } = setup();
    const res = await download(headerSafeJson({ path: '/Données/résumé.txt' }));
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.toString()).toContain('Résumé');
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    const result = res.headers.get('dropbox-api-result') ?? '';
    expect(result).toMatch(/^[\x20-\x7e]*$/);
    expect(result).toContain('\\u00e9');
    const meta = JSON.parse(result) as Entry;
    expect(meta.path_display).toBe('/Données/résumé.txt');
    expect(meta.size).toBe(bytes.length);
    expect(meta.content_hash).toBe(contentHash(bytes));
    const listed = (await call('files/get_metadata', { path: '/Données/résumé.txt' })).body as Entry;
    expect(listed.content_hash).toBe(meta.content_hash);
  });

  it('rejects a raw non-ASCII Dropbox-API-Arg header like Dropbox', async () => {
    const { download } = setup();
    const res = await download(JSON.stringify({ path: '/Données/résumé.txt' }));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(
      'Error in call to API function "files/download": HTTP header "Dropbox-API-Arg": could not decode input as JSON',
    );
  });

  it('takes the argument as the arg URL parameter too', async () => {
    const { download } = setup();
    const arg = encodeURIComponent(JSON.stringify({ path: '/Reports/q1.csv' }));
    const res = await download(undefined, {}, `${CONTENT}/files/download?arg=${arg}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^region,month,revenue,currency\n/);
  });

  it('serves byte ranges with 206 and Content-Range, 416 when unsatisfiable', async () => {
    const { download } = setup();
    const arg = headerSafeJson({ path: '/Reports/q1.csv' });
    const whole = Buffer.from(await (await download(arg)).arrayBuffer());
    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 10],
      ['bytes=10-', 10, whole.length],
      ['bytes=-5', whole.length - 5, whole.length],
      ['bytes=20-100000', 20, whole.length],
    ];
    for (const [range, start, end] of cases) {
      const res = await download(arg, { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end - 1}/${whole.length}`);
      expect(res.headers.get('content-length')).toBe(String(end - start));
      expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(start, end))).toBe(true);
    }
    const beyond = await download(arg, { range: `bytes=${whole.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('answers 409 for folders and missing files, 400 for a JSON content type', async () => {
    const { download } = setup();
    const folder = await download(headerSafeJson({ path: '/Reports' }));
    expect(folder.status).toBe(409);
    expect(await folder.json()).toMatchObject({ error_summary: 'path/not_file/..' });
    const missing = await download(headerSafeJson({ path: '/Reports/q9.csv' }));
    expect(await missing.json()).toEqual({
      error_summary: 'path/not_found/..',
      error: { '.tag': 'path', path: { '.tag': 'not_found' } },
    });
    const json = await download(headerSafeJson({ path: '/Reports/q1.csv' }), {
      'content-type': 'application/json',
    });
    expect(json.status).toBe(400);
    expect((await download(undefined)).status).toBe(400);
  });
});

describe('Dropbox content hash', () => {
  it('hashes 4 MiB blocks, then the concatenated digests', async () => {
    const { createHash } = await import('node:crypto');
    const data = Buffer.alloc(CONTENT_HASH_BLOCK * 2 + 17, 7);
    const blocks = [
      data.subarray(0, CONTENT_HASH_BLOCK),
      data.subarray(CONTENT_HASH_BLOCK, 2 * CONTENT_HASH_BLOCK),
      data.subarray(2 * CONTENT_HASH_BLOCK),
    ];
    const expected = createHash('sha256')
      .update(Buffer.concat(blocks.map((b) => createHash('sha256').update(b).digest())))
      .digest('hex');
    expect(contentHash(data)).toBe(expected);
    const streamed = new ContentHasher();
    for (let i = 0; i < data.length; i += 1_000_003) streamed.update(data.subarray(i, i + 1_000_003));
    expect(streamed.digest()).toBe(expected);
    expect(contentHash(Buffer.alloc(0))).toBe(createHash('sha256').update(Buffer.alloc(0)).digest('hex'));
  });
});
