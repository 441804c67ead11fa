import { describe, expect, it } from 'vitest';
import { createApp } from '../../lib/http/index.js';
import { TokenBuckets } from '../../lib/http/rate-limit.js';
import { builtStaticContent } from '../../lib/http/ui/build.js';
import { testApp } from '../helpers/app.js';

/** Issue 14, item 4: one tenant's flood does not spend another tenant's share. */
describe('per-key rate limits', () => {
  it('a token bucket: a burst, then the sustained rate, earned back over time', () => {
    let now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 100, burst: 200, now: () => now });
    for (let i = 0; i < 200; i++) expect(buckets.take('a').allowed, `request ${i}`).toBe(true);
    const refused = buckets.take('a');
    expect(refused).toEqual({ allowed: false, remaining: 0, resetSeconds: 2, retryAfterSeconds: 1 });
    expect(buckets.take('b').allowed).toBe(true);
    now += 10; // 100 a second: one token back after 10 ms
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    now += 60_000;
    expect(buckets.take('a')).toMatchObject({ allowed: true, remaining: 199 });
  });

  it('forgets the least recently seen key first, within its bound', () => {
    let now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1, maxKeys: 2, now: () => now });
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('b').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false); // a is now the most recent
    expect(buckets.take('c').allowed).toBe(true); // b forgotten
    expect(buckets.take('a').allowed).toBe(false);
    now += 1000;
    expect(buckets.take('a').allowed).toBe(true);
  });

  it('answers 429 rate_limited with Retry-After and RateLimit fields, before any store call, and only to that key', async () => {
    const t = await testApp();
    let now = 0;
    const app = createApp(t.services, { content: builtStaticContent, rateLimit: { now: () => now } });
    const a = await t.tenant({ name: 'Flooder' });
    const b = await t.tenant({ name: 'Neighbour' });
    const get = (key: string) => app.request('/v1/audit', { headers: { authorization: `Bearer ${key}` } });

    const first = await get(a.apiKey);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"per-key";q=200;w=2');
    expect(first.headers.get('ratelimit')).toBe('"per-key";r=199;t=1');
    for (let i = 1; i < 200; i++) expect((await get(a.apiKey)).status, `request ${i}`).toBe(200);

    let storeCalls = 0;
    t.services.db.client.middlewareStack.add(
      (next) => (args) => {
        storeCalls++;
        return next(args);
      },
      { step: 'initialize', name: 'countStoreCalls' },
    );
    const limited = await get(a.apiKey);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit-policy')).toBe('"per-key";q=200;w=2');
    expect(limited.headers.get('ratelimit')).toBe('"per-key";r=0;t=2');
    expect(await limited.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(storeCalls).toBe(0);
    expect(JSON.stringify([...limited.headers])).not.toContain(a.apiKey);

    // The neighbour keeps its whole share.
    expect((await get(b.apiKey)).status).toBe(200);
    // The flooder gets one request back per 10 ms.
    now += 10;
    expect((await get(a.apiKey)).status).toBe(200);
    expect((await get(a.apiKey)).status).toBe(429);
  });

  it('takes its rate and burst from RATE_LIMIT_PER_SECOND and RATE_LIMIT_BURST', async () => {
    const t = await testApp({ RATE_LIMIT_PER_SECOND: '2', RATE_LIMIT_BURST: '3' });
    const now = 0;
    const app = createApp(t.services, { content: builtStaticContent, rateLimit: { now: () => now } });
    const a = await t.tenant();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await app.request('/v1/audit', { headers: { authorization: `Bearer ${a.apiKey}` } })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.request('/v1/audit', { headers: { authorization: `Bearer ${a.apiKey}` } });
    expect(limited.headers.get('ratelimit-policy')).toBe('"per-key";q=3;w=2');
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('refuses an unusable rate or burst naming the variable', async () => {
    const { loadConfig } = await import('../../lib/config.js');
    expect(() => loadConfig({ RATE_LIMIT_PER_SECOND: '0' })).toThrow(/RATE_LIMIT_PER_SECOND/);
    expect(() => loadConfig({ RATE_LIMIT_BURST: 'lots' })).toThrow(/RATE_LIMIT_BURST/);
  });
});
