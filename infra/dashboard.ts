import { Duration, Stack } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, type IMetric, Metric, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { type MetricName, metricDimension, metricNamespace, type TimingName } from '../lib/metrics.js';
import type { ScheduledRefresher } from './refresher.js';

/**
 * The stack's CloudWatch dashboard beside its alarms (infra/alarms.ts): Portico's own metrics
 * (lib/metrics.ts, embedded metric format) — refreshes and their failures, token reads and data
 * calls, provider latency and errors, KMS calls, dead-lettered webhooks — and the functions'
 * errors and durations, five minutes a point.
 */
export class PorticoDashboard {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, options: { api: NodejsFunction; refresher: ScheduledRefresher }) {
    const service = Stack.of(scope).stackName;
    const count = (name: MetricName, label: string) => portico(name, service, 'Sum', label);
    const { api, refresher } = options;
    this.dashboard = new Dashboard(scope, 'Dashboard', {
      dashboardName: `${service}-operations`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${service}\nPortico's own metrics (namespace \`${metricNamespace}\`, dimension \`${metricDimension}\`) and its functions. The alarms are beside it.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Refreshes', [count('Refreshes', 'refreshed'), count('RefreshFailures', 'failed')]),
      graph('Token reads and data calls', [
        count('TokenReads', 'token reads'),
        count('DataCalls', 'data calls'),
      ]),
      graph('Provider errors', [count('ProviderErrors', 'provider errors')]),
    );
    this.dashboard.addWidgets(
      graph('Provider latency (ms)', [
        timing('ProviderLatency', service, 'p50'),
        timing('ProviderLatency', service, 'p90'),
        timing('ProviderLatency', service, 'p99'),
      ]),
      graph('KMS calls', [count('KmsCalls', 'KMS calls')]),
      graph('Webhooks dead-lettered', [count('WebhooksDeadLettered', 'dead-lettered')]),
    );
    const fiveMinutes = { period: Duration.minutes(5) };
    this.dashboard.addWidgets(
      graph('Function errors', [
        api.metricErrors({ ...fiveMinutes, label: 'API errors' }),
        refresher.fn.metricErrors({ ...fiveMinutes, label: 'refresher errors' }),
        api.metricThrottles({ ...fiveMinutes, label: 'API throttles' }),
      ]),
      graph('Function duration (p90, ms)', [
        api.metricDuration({ ...fiveMinutes, statistic: 'p90', label: 'API' }),
        refresher.fn.metricDuration({ ...fiveMinutes, statistic: 'p90', label: 'refresher' }),
      ]),
      graph('API invocations', [api.metricInvocations({ ...fiveMinutes, label: 'invocations' })]),
    );
  }
}

function graph(title: string, left: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left, width: 8, height: 6 });
}

function portico(name: MetricName, service: string, statistic: string, label: string): Metric {
  return new Metric({
    namespace: metricNamespace,
    metricName: name,
    dimensionsMap: { [metricDimension]: service },
    period: Duration.minutes(5),
    statistic,
    label,
  });
}

function timing(name: TimingName, service: string, statistic: string): Metric {
  return new Metric({
    namespace: metricNamespace,
    metricName: name,
    dimensionsMap: { [metricDimension]: service },
    period: Duration.minutes(5),
    statistic,
    label: statistic,
  });
}
