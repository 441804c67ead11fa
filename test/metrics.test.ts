import { describe, expect, it } from 'vitest';
import { batchedMetrics, emfMetrics, metricNames } from '../lib/metrics.js';

const capture = () => {
  const lines: string[] = [];
  const metrics = emfMetrics({
    service: 'Portico',
    write: (l) => lines.push(l),
    now: () => 1_764_576_000_000,
  });
  return { lines, metrics };
};

describe('emfMetrics', () => {
  it('writes one embedded-metric-format line per call, every count a declared metric', () => {
    const { lines, metrics } = capture();
    metrics.count({ Refreshes: 3, RefreshFailures: 1, WebhooksDeadLettered: 0 });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toEqual({
      _aws: {
        Timestamp: 1_764_576_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Portico',
            Dimensions: [['Service']],
            Metrics: [
              { Name: 'Refreshes', Unit: 'Count' },
              { Name: 'RefreshFailures', Unit: 'Count' },
              { Name: 'WebhooksDeadLettered', Unit: 'Count' },
            ],
          },
        ],
      },
      Service: 'Portico',
      Refreshes: 3,
      RefreshFailures: 1,
      WebhooksDeadLettered: 0,
    });
    // The EMF rule CloudWatch enforces: every dimension and every metric is a member of the root.
    const directive = line._aws.CloudWatchMetrics[0];
    for (const d of directive.Dimensions.flat()) expect(typeof line[d]).toBe('string');
    for (const m of directive.Metrics) expect(typeof line[m.Name]).toBe('number');
    expect(lines[0]).not.toContain('\n');
  });

  it('leaves out values CloudWatch would reject, and writes nothing without a value', () => {
    const { lines, metrics } = capture();
    metrics.count({ Refreshes: Number.NaN, RefreshFailures: 2 });
    metrics.count({});
    metrics.count({ Refreshes: Number.POSITIVE_INFINITY });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'RefreshFailures', Unit: 'Count' }]);
    expect(line.Refreshes).toBeUndefined();
    expect(metricNames).toContain('RefreshFailures');
  });
});

describe('batchedMetrics', () => {
  it('sums counts and collects timings, one count line and one timing line a flush', () => {
    const { lines, metrics } = capture();
    let now = 0;
    const batched = batchedMetrics(metrics, { flushMs: 10_000, now: () => now });
    for (let i = 0; i < 5; i++) batched.count({ TokenReads: 1 });
    batched.count({ DataCalls: 2, KmsCalls: 1 });
    batched.timing('ProviderLatency', [12]);
    batched.timing('ProviderLatency', [30, Number.NaN]);
    expect(lines).toHaveLength(0);
    now = 10_000;
    batched.count({ TokenReads: 1 });
    expect(lines).toHaveLength(2);
    const [counts, timings] = lines.map((l) => JSON.parse(l));
    expect(counts).toMatchObject({ Service: 'Portico', TokenReads: 6, DataCalls: 2, KmsCalls: 1 });
    expect(timings).toMatchObject({ ProviderLatency: [12, 30] });
    expect(timings._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'ProviderLatency', Unit: 'Milliseconds' },
    ]);
    batched.flush();
    expect(lines).toHaveLength(2);
  });

  it('splits timings into lines of at most 100 values (the EMF limit)', () => {
    const { lines, metrics } = capture();
    const batched = batchedMetrics(metrics, { now: () => 0 });
    batched.timing(
      'ProviderLatency',
      Array.from({ length: 250 }, (_, i) => i),
    );
    batched.flush();
    expect(lines.map((l) => JSON.parse(l).ProviderLatency.length)).toEqual([100, 100, 50]);
  });
});
