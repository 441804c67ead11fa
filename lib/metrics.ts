/**
 * Custom metrics as CloudWatch embedded metric format (EMF) lines: a JSON log line whose `_aws`
 * member tells CloudWatch Logs which of its fields are metrics, so a Lambda function publishes
 * metrics by writing to stdout, with no API call and no extra permission.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/** The counts Portico publishes; infra/alarms.ts alarms and infra/dashboard.ts draws by these names. */
export const metricNames = [
  'Refreshes',
  'RefreshFailures',
  'WebhooksDeadLettered',
  'TokenReads',
  'DataCalls',
  'ProviderErrors',
  'KmsCalls',
] as const;
export type MetricName = (typeof metricNames)[number];

/** The timings Portico publishes (milliseconds). */
export const timingNames = ['ProviderLatency'] as const;
export type TimingName = (typeof timingNames)[number];

/** The namespace of every Portico metric. */
export const metricNamespace = 'Portico';
/** The one dimension: which deployment (the stack name), so that stacks sharing an account alarm apart. */
export const metricDimension = 'Service';

export interface Metrics {
  /** Publishes the given counts together, as one line; zero counts are published too (they are data). */
  count(values: Partial<Record<MetricName, number>>): void;
  /** Publishes timings in milliseconds (EMF takes up to 100 values of one metric in a line). */
  timing?(name: TimingName, values: number[]): void;
}

/** Metrics that go nowhere (local runs, tests that do not look). */
export const noMetrics: Required<Metrics> = { count: () => undefined, timing: () => undefined };

export interface MetricsOptions {
  /** The `Service` dimension's value (the stack name in AWS). */
  service: string;
  /** Where lines go; default `process.stdout`, one line each. */
  write?: (line: string) => void;
  now?: () => number;
}

/**
 * Metrics written as EMF lines. Each {@link Metrics.count} call writes exactly one line holding
 * every given count under `Portico`, dimension `Service`; a value that is not a finite number
 * is left out (CloudWatch would reject the whole line), and a call with none writes nothing.
 */
export function emfMetrics(options: MetricsOptions): Metrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  return {
    count(values) {
      const present = metricNames.filter((name) => Number.isFinite(values[name]));
      if (present.length === 0) return;
      const line: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: metricNamespace,
              Dimensions: [[metricDimension]],
              Metrics: present.map((name) => ({ Name: name, Unit: 'Count' })),
            },
          ],
        },
        [metricDimension]: options.service,
      };
      for (const name of present) line[name] = values[name];
      write(JSON.stringify(line));
    },
    timing(name, values) {
      const finite = values.filter(Number.isFinite).slice(0, 100);
      if (finite.length === 0) return;
      write(
        JSON.stringify({
          _aws: {
            Timestamp: now(),
            CloudWatchMetrics: [
              {
                Namespace: metricNamespace,
                Dimensions: [[metricDimension]],
                Metrics: [{ Name: name, Unit: 'Milliseconds' }],
              },
            ],
          },
          [metricDimension]: options.service,
          [name]: finite.length === 1 ? finite[0] : finite,
        }),
      );
    },
  };
}

/**
 * Metrics for hot paths: counts are summed and timings collected in memory, and written as one
 * count line and one timing line per `flushMs` (checked as events arrive, and by {@link flush}),
 * so a busy function writes a few lines a minute, not one a request. What a container holds
 * when it is shut down unflushed is lost (at most `flushMs` of it).
 */
export function batchedMetrics(
  target: Metrics,
  options: { flushMs?: number; now?: () => number } = {},
): Required<Metrics> & { flush(): void } {
  const flushMs = options.flushMs ?? 10_000;
  const now = options.now ?? Date.now;
  let counts: Partial<Record<MetricName, number>> = {};
  let timings: Partial<Record<TimingName, number[]>> = {};
  let since = now();
  const flush = () => {
    since = now();
    const c = counts;
    const t = timings;
    counts = {};
    timings = {};
    if (Object.keys(c).length) target.count(c);
    for (const [name, values] of Object.entries(t)) {
      // EMF takes at most 100 values of a metric in one line.
      for (let i = 0; i < (values?.length ?? 0); i += 100)
        target.timing?.(name as TimingName, values!.slice(i, i + 100));
    }
  };
  const maybeFlush = () => {
    if (now() - since >= flushMs) flush();
  };
  return {
    count(values) {
      for (const [name, v] of Object.entries(values) as Array<[MetricName, number]>)
        if (Number.isFinite(v)) counts[name] = (counts[name] ?? 0) + v;
      maybeFlush();
    },
    timing(name, values) {
      timings[name] ??= [];
      const list = timings[name];
      // Bounded between flushes: values beyond the first 1,000 are dropped.
      for (const v of values) if (list.length < 1000 && Number.isFinite(v)) list.push(v);
      maybeFlush();
    },
    flush,
  };
}
