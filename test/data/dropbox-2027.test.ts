import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropbox as dropboxClient } from '../../lib/providers/dropbox/api.js';
import { dropboxOAuth } from '../../lib/providers/dropbox/oauth.js';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
let tenant: { id: string; apiKey: string };
let drop: string;

const get = (path: string, headers: Record<string, string> = {}) =>
  s.api('GET', path, tenant.apiKey, undefined, headers);
const endpoints = () => ({
  authUrl: `${s.sandbox.url}/dropbox/oauth2/authorize`,
  apiUrl: `${s.sandbox.url}/dropbox/api`,
  contentUrl: `${s.sandbox.url}/dropbox/content`,
});

beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
  const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
    provider: 'dropbox',
    endUserId: 'dbx-2027',
    returnUrl: 'https://app.acme.test/done',
  });
  const { callback } = await walkConnect(new TestBrowser(), (await res.json()).connectUrl, {
    account: 'demo',
  });
  drop = new URL(locationOf(callback)).searchParams.get('connectionId')!;
});
afterAll(async () => {
  await s?.close();
});

describe('Dropbox files that cannot be downloaded', () => {
  it('are listed as downloadable: false, and downloading one answers 422 naming the reason', async () => {
    const listing = await (await get(`/v1/connections/${drop}/dropbox/files?path=/Reports`)).json();
    const paper = listing.entries.find((e: { name: string }) => e.name === 'Roadmap.paper');
    expect(paper).toMatchObject({ type: 'file', downloadable: false });
    const csv = listing.entries.find((e: { name: string }) => e.name === 'q1.csv');
    expect(csv).not.toHaveProperty('downloadable');
    for (const route of ['content', 'avro']) {
      const res = await get(`/v1/connections/${drop}/dropbox/${route}?path=/Reports/Roadmap.paper`);
      expect(res.status, route).toBe(422);
      const problem = await res.json();
      expect(problem.code).toBe('invalid_request');
      expect(problem.detail).toMatch(/unsupported_file/);
    }
  });
});

describe('Dropbox listing cursors', () => {
  it('a cursor Dropbox reset answers 409 conflict telling the caller to list again', async () => {
    const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'demo' });
    const first = await fetch(`${s.sandbox.url}/dropbox/api/2/files/list_folder`, {
      method: 'POST',
      headers: { authorization: `Bearer ${minted.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/Archive', limit: 10 }),
    });
    const { cursor } = (await first.json()) as { cursor: string };
    const url = `/v1/connections/${drop}/dropbox/files?cursor=${encodeURIComponent(cursor)}`;
    expect((await get(url)).status).toBe(200);
    s.sandbox.state.resetDropboxCursors();
    const res = await get(url);
    expect(res.status).toBe(409);
    const problem = await res.json();
    expect(problem.code).toBe('conflict');
    expect(problem.detail).toMatch(/without a cursor/);
  });
});

describe('Avro pages pinned to a revision', () => {
  it('resumes while the file is unchanged, and answers 409 once it changed, never stitching two versions', async () => {
    const avro = (query: string) =>
      get(`/v1/connections/${drop}/dropbox/avro?path=/data/users.avro&${query}`);
    const first = await (await avro('limit=2')).json();
    expect(first.nextCursor).toMatch(/^[0-9a-f]{12}\.[0-9a-f]{9,}\./);
    const second = await avro(`limit=2&cursor=${first.nextCursor}`);
    expect(second.status).toBe(200);
    const other = await get(`/v1/connections/${drop}/dropbox/content?path=/data/events-deflate.avro`);
    await s.sandbox.state.changeDropboxFile('/data/users.avro', Buffer.from(await other.arrayBuffer()));
    const changed = await avro(`limit=2&cursor=${first.nextCursor}`);
    expect(changed.status).toBe(409);
    const problem = await changed.json();
    expect(problem).toMatchObject({
      code: 'conflict',
      detail: 'The file changed; start again without a cursor.',
    });
    expect((await avro('limit=2')).status).toBe(200);
  });
});

describe('Dropbox team spaces', () => {
  it('identifies a team-space member by root_info, and sees team folders only with that root', async () => {
    const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'team-acme' });
    const account = await dropboxOAuth(endpoints()).identify({
      accessToken: minted.access_token,
      scopes: [],
    });
    expect(account).toMatchObject({ id: minted.account_id, teamSpace: true });
    expect(account.rootNamespaceId).toMatch(/^\d+$/);
    const names = async (root?: string) =>
      (
        await dropboxClient(endpoints().apiUrl, endpoints().contentUrl, minted.access_token, {
          rootNamespaceId: root,
        }).listFolder('', false)
      ).entries.map((e) => e.name);
    expect(await names()).not.toContain('Team Shared');
    expect(await names(account.rootNamespaceId)).toContain('Team Shared');
    const team = dropboxClient(endpoints().apiUrl, endpoints().contentUrl, minted.access_token, {
      rootNamespaceId: account.rootNamespaceId,
    });
    const budget = await team.download('/Team Shared/budget.csv');
    expect(await budget.text()).toContain('team,budget');

    const solo = s.sandbox.state.mint({ provider: 'dropbox', account: 'solo' });
    expect(
      await dropboxOAuth(endpoints()).identify({ accessToken: solo.access_token, scopes: [] }),
    ).not.toHaveProperty('teamSpace');
  });

  it('a refused path root re-reads root_info and retries once, never surfacing the 422', async () => {
    const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'team-moved' });
    const wrong = await fetch(`${s.sandbox.url}/dropbox/api/2/files/list_folder`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${minted.access_token}`,
        'content-type': 'application/json',
        'dropbox-api-path-root': JSON.stringify({ '.tag': 'root', root: '42' }),
      },
      body: JSON.stringify({ path: '' }),
    });
    expect(wrong.status).toBe(422);
    expect(((await wrong.json()) as { error: { '.tag': string } }).error['.tag']).toBe('invalid_root');

    const roots: Array<string | undefined> = [];
    const client = dropboxClient(endpoints().apiUrl, endpoints().contentUrl, minted.access_token, {
      rootNamespaceId: '42',
      onRootChange: (root) => roots.push(root),
    });
    const listing = await client.listFolder('', false);
    expect(listing.entries.map((e) => e.name)).toContain('Team Shared');
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatch(/^\d+$/);
  });

  it('through Portico: a team-space connection shows teamSpace and lists the team folders', async () => {
    const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'team-portico' });
    const res = await s.api('POST', '/v1/connections', tenant.apiKey, {
      provider: 'dropbox',
      endUserId: 'team-member',
      credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
    });
    expect(res.status).toBe(201);
    const conn = await res.json();
    expect(conn.account).toMatchObject({ id: minted.account_id, teamSpace: true });
    const root = await (await get(`/v1/connections/${conn.id}/dropbox/files?path=`)).json();
    expect(root.entries.map((e: { name: string }) => e.name)).toContain('Team Shared');
    const budget = await get(`/v1/connections/${conn.id}/dropbox/content?path=/Team%20Shared/budget.csv`);
    expect(budget.status).toBe(200);
    expect(await budget.text()).toContain('team,budget');
    // A member without a team space is shown none, and its calls name no root.
    const solo = await (await get(`/v1/connections/${drop}`)).json();
    expect(solo.account).not.toHaveProperty('teamSpace');
  });
});
