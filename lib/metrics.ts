/**
 * Custom metrics as CloudWatch embedded metric format (EMF) lines: a JSON log line whose `_aws`
 * member tells CloudWatch Logs which of its fields are metrics, so a Lambda function publishes
 * metrics by writing to stdout, with no API call and no extra permission.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/** The metrics Portico publishes, all counts; infra/alarms.ts alarms on them by these names. */
export const metricNames = ['Refreshes', 'RefreshFailures', 'WebhooksDeadLettered'] as const;
export type MetricName = (typeof metricNames)[number];

/** The namespace of every Portico metric. */
export const metricNamespace = 'Portico';
/** The one dimension: which deployment (the stack name), so that stacks sharing an account alarm apart. */
export const metricDimension = 'Service';

export interface Metrics {
  /** Publishes the given counts together, as one line; zero counts are published too (they are data). */
  count(values: Partial<Record<MetricName, number>>): void;
}

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
  };
}
