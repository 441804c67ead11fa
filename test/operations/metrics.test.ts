import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricName, Metrics, TimingName } from '../../lib/metrics.js';
import { type Stack, startStack } from '../helpers/stack.js';

/** The metrics the connections publish (lib/metrics.ts), over a real server and sandbox. */
let s: Stack;
const counts: Partial<Record<MetricName, number>> = {};
const timings: Partial<Record<TimingName, number[]>> = {};
const metrics: Metrics = {
  count(values) {
    for (const [k, v] of Object.entries(values) as Array<[MetricName, number]>)
      counts[k] = (counts[k] ?? 0) + v;
  },
  timing(name, values) {
    timings[name] = [...(timings[name] ?? []), ...values];
  },
};

beforeAll(async () => {
  s = await startStack({ overrides: { metrics } });
}, 60_000);
afterAll(async () => {
  await s?.close();
});

describe('connection metrics', () => {
  it('count token reads, data calls, refreshes, their failures and provider errors; time provider calls', async () => {
    const t = await s.tenant();
    const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'metrics-1' });
    const conn = await (
      await s.api('POST', '/v1/connections', t.apiKey, {
        provider: 'dropbox',
        endUserId: 'metrics-1',
        credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
      })
    ).json();
    for (let i = 0; i < 3; i++) await s.api('GET', `/v1/connections/${conn.id}/token`, t.apiKey);
    const listed = await s.api('GET', `/v1/connections/${conn.id}/dropbox/files?path=`, t.apiKey);
    expect(listed.status, await listed.clone().text()).toBe(200);
    await s.api('POST', `/v1/connections/${conn.id}/refresh`, t.apiKey);
    expect(counts).toMatchObject({ TokenReads: 3, DataCalls: 1, Refreshes: 1 });
    expect(timings.ProviderLatency).toHaveLength(1);
    expect(timings.ProviderLatency![0]).toBeGreaterThan(0);

    s.sandbox.state.addFault({ provider: 'dropbox', match: '/files/list_folder', status: 500, count: 0 });
    s.sandbox.state.addFault({ provider: 'dropbox', match: '/oauth2/token', status: 503, count: 0 });
    try {
      expect(
        (await s.api('GET', `/v1/connections/${conn.id}/dropbox/files?path=`, t.apiKey)).status,
      ).toBeGreaterThanOrEqual(500);
      expect((await s.api('POST', `/v1/connections/${conn.id}/refresh`, t.apiKey)).status).toBe(503);
    } finally {
      s.sandbox.state.clearFaults('dropbox');
    }
    expect(counts).toMatchObject({ DataCalls: 2, ProviderErrors: 1, RefreshFailures: 1, Refreshes: 1 });
  }, 60_000);
});
