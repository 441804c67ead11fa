import { describe, expect, it } from 'vitest';
import { sessionKey } from '../../lib/store/oauth-items.js';
import { testApp } from '../helpers/app.js';

/** Issue 14, item 4: the embedded store has no TTL, so local mode purges expired sessions itself. */
describe('expired connect sessions', () => {
  it('are deleted once their ttl has passed, and only then, for every tenant', async () => {
    const t = await testApp({ HUBSPOT_CLIENT_ID: 'app', HUBSPOT_CLIENT_SECRET: 'app-secret' });
    const a = await t.tenant({ name: 'A' });
    const b = await t.tenant({ name: 'B' });
    const made: string[] = [];
    for (const key of [a.apiKey, a.apiKey, b.apiKey]) {
      const res = await t.call('POST', '/v1/connect-sessions', {
        key,
        body: { provider: 'hubspot', endUserId: 'person@example.com' },
      });
      expect(res.status).toBe(201);
      made.push(((await res.json()) as { id: string }).id);
    }
    const stored = async () => {
      const out: string[] = [];
      for (const id of made) {
        const { pk, sk } = sessionKey(id);
        if (await t.db.get(pk, sk)) out.push(id);
      }
      return out;
    };

    // Still within the session's life (15 minutes) and its grace hour: kept.
    expect(await (await t.services.flows()).purgeExpiredSessions()).toBe(0);
    expect(await (await t.services.flows()).purgeExpiredSessions(Date.now() + 60 * 60_000)).toBe(0);
    expect(await stored()).toEqual(made);

    // Past the ttl: gone, end-user ids and all.
    expect(await (await t.services.flows()).purgeExpiredSessions(Date.now() + 2 * 60 * 60_000)).toBe(3);
    expect(await stored()).toEqual([]);
    const dump = JSON.stringify(await t.db.query({ pk: sessionKey(made[0]!).pk }));
    expect(dump).not.toContain('person@example.com');
  });
});
