import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocal } from '../lib/dev/local/server.js';
import { createLogger, redact } from '../lib/log.js';

/** Issue 14, item 5: provider tokens never reach a log line, in whatever part of a URL they ride. */
describe('the redaction rule', () => {
  const hubspotAccess = `CJ${'Ab3_-x'.repeat(12)}`;
  const hubspotRefresh = 'na1-6f18f21e-a743-4509-b7fd-1a5e632fffa1';
  const dropboxRefresh = 'qN0aWz7L3v_8yRkPq1sT5uV9wXbC2dE4fG6hJ8kM0n';

  it('masks HubSpot access and refresh tokens wherever they appear', () => {
    const out = JSON.stringify(
      redact({
        msg: `got ${hubspotAccess} and ${hubspotRefresh}`,
        list: [hubspotRefresh],
        eu: 'eu1-6f18f21e-a743-4509-b7fd-1a5e632fffa1',
      }),
    );
    expect(out).not.toContain(hubspotAccess);
    expect(out).not.toContain('6f18f21e-a743');
  });

  it('masks the segment after a token-naming path segment, and token query parameters, whatever their shape', () => {
    const paths = [
      `/sandbox/hubspot/api/oauth/v1/access-tokens/${dropboxRefresh}`,
      `/sandbox/hubspot/api/oauth/v1/refresh-tokens/${dropboxRefresh}`,
      `/x/tokens/${dropboxRefresh}/more`,
      `/cb?code=${dropboxRefresh}&state=s`,
      `/cb?access_token=${dropboxRefresh}`,
    ];
    for (const path of paths) {
      const out = redact({ path }) as { path: string };
      expect(out.path, path).not.toContain(dropboxRefresh);
      expect(out.path, path).toContain('[redacted]');
    }
    // What is not a token stays readable.
    expect(redact({ path: '/v1/connections/con_123/token' })).toEqual({
      path: '/v1/connections/con_123/token',
    });
    expect(redact({ path: '/oauth/2026-03/token/introspect' })).toEqual({
      path: '/oauth/2026-03/token/introspect',
    });
  });

  it("keeps the sandbox's token paths out of the local server's request log", async () => {
    const lines: string[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-log-'));
    const server = await startLocal({
      env: { PORT: '0', DATA_DIR: dataDir, SANDBOX: '1' },
      log: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    });
    try {
      const minted = (await (
        await fetch(`${server.url}/sandbox/_control/mint`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ provider: 'hubspot', account: 'logs' }),
        })
      ).json()) as { access_token: string; refresh_token: string };
      await fetch(`${server.url}/sandbox/hubspot/api/oauth/v1/access-tokens/${minted.access_token}`);
      await fetch(`${server.url}/sandbox/hubspot/api/oauth/v1/refresh-tokens/${minted.refresh_token}`);
      const requests = lines.filter((l) => l.includes('"msg":"request"'));
      expect(requests.some((l) => l.includes('access-tokens/[redacted]'))).toBe(true);
      expect(requests.some((l) => l.includes('refresh-tokens/[redacted]'))).toBe(true);
      const all = lines.join('\n');
      expect(all).not.toContain(minted.access_token);
      expect(all).not.toContain(minted.refresh_token);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
