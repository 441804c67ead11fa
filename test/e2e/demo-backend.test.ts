import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocal } from '../../lib/dev/local/server.js';
import { silentLogger } from '../../lib/log.js';

/** The demo's small backend (local only), without a browser: the checks that guard it. */
let server: LocalServer;
let dataDir: string;
/** The per-start token of the demo page: what the page's own calls carry. */
let token: { 'x-portico-demo-token': string };
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'portico-demo-'));
  server = await startLocal({ env: { PORT: '0', DATA_DIR: dataDir, SANDBOX: '1' }, log: silentLogger });
  const page = await (await fetch(`${server.url}/`)).text();
  token = { 'x-portico-demo-token': /data-demo-token="([^"]+)"/.exec(page)?.[1] ?? '' };
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('demo backend', () => {
  it('answers its own page only: cross-site requests are refused', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await fetch(`${server.url}/demo/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sec-fetch-site': site, ...token },
        body: JSON.stringify({ provider: 'hubspot', endUserId: 'alice' }),
      });
      expect(res.status, site).toBe(403);
    }
    const own = await fetch(`${server.url}/demo/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', ...token },
      body: JSON.stringify({ provider: 'hubspot', endUserId: 'alice' }),
    });
    expect(own.status).toBe(201);
    expect(JSON.stringify(await own.json())).not.toMatch(/ptk_/);
  });

  it("never shows one end user another end user's connection", async () => {
    // A connection of alice's, made through the demo tenant (found as the admin would).
    const admin = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
    const { tenants } = await (await fetch(`${server.url}/v1/tenants?limit=1000`, { headers: admin })).json();
    const demo = tenants.find(
      (t: { name: string; status: string }) => t.name === 'Portico demo' && t.status === 'active',
    );
    const { apiKey } = await (
      await fetch(`${server.url}/v1/tenants/${demo.id}/api-keys`, { method: 'POST', headers: admin })
    ).json();
    const minted = await (
      await fetch(`${server.url}/sandbox/_control/mint`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'hubspot', account: 'alice' }),
      })
    ).json();
    const imported = await fetch(`${server.url}/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: 'hubspot',
        endUserId: 'alice',
        credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
      }),
    });
    const { id } = await imported.json();

    const path = `${server.url}/demo/api/connections/${id}/hubdb/tables`;
    expect((await fetch(`${path}?endUserId=alice`, { headers: token })).status).toBe(200);
    expect((await fetch(`${path}?endUserId=bob`, { headers: token })).status).toBe(404);
    expect(
      (
        await fetch(`${server.url}/demo/api/connections/${id}?endUserId=bob`, {
          method: 'DELETE',
          headers: token,
        })
      ).status,
    ).toBe(404);
    const bobs = await (
      await fetch(`${server.url}/demo/api/connections?endUserId=bob`, { headers: token })
    ).json();
    expect(JSON.stringify(bobs)).not.toContain(id);
  });
});
