import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { type MetricName, metricDimension, metricNamespace } from '../lib/metrics.js';
import type { ScheduledRefresher } from './refresher.js';
import type { RevocationWorker } from './revoker.js';

/**
 * The stack's alarms, each created in `scope` under its deployed id: any one breaching period of
 * five minutes alarms, no data is not a breach, and every alarm notifies `alarmTopicArn` when
 * one is given (they exist either way, visible in the CloudWatch console).
 */
export class PorticoAlarms {
  private readonly action?: IAlarmAction;

  constructor(
    private readonly scope: Construct,
    options: {
      api: NodejsFunction;
      refresher: ScheduledRefresher;
      revoker: RevocationWorker;
      alarmTopicArn?: string;
    },
  ) {
    this.action = options.alarmTopicArn
      ? new SnsAction(Topic.fromTopicArn(scope, 'AlarmTopic', options.alarmTopicArn))
      : undefined;
    const { api, refresher, revoker } = options;
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    this.alarm(
      'ApiErrorsAlarm',
      'The API function failed (crash or timeout).',
      api.metricErrors(fiveMinutes),
    );
    // The function URL's own count of 5xx answers (AWS/Lambda Url5xxCount).
    this.alarm(
      'Api5xxAlarm',
      'The API answered 5xx at least 5 times in 5 minutes.',
      api.metric('Url5xxCount', fiveMinutes),
      5,
    );
    this.alarm('ApiThrottlesAlarm', 'The API function was throttled.', api.metricThrottles(fiveMinutes));
    this.alarm('RefresherErrorsAlarm', 'A due-refresh sweep failed.', refresher.fn.metricErrors(fiveMinutes));
    this.alarm(
      'RefresherThrottlesAlarm',
      'The due-refresh sweep was throttled.',
      refresher.fn.metricThrottles(fiveMinutes),
    );
    this.alarm(
      'RefresherDeadLettersAlarm',
      'A due-refresh sweep event was dead-lettered.',
      refresher.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    );
    this.alarm(
      'RevokerErrorsAlarm',
      'A tenant revocation worker run failed (SQS retries it).',
      revoker.fn.metricErrors(fiveMinutes),
    );
    this.alarm(
      'RevocationDeadLettersAlarm',
      'A revocation worker message was dead-lettered: runs keep failing, revocations may be stuck.',
      revoker.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    );
    // The counts the refresher publishes each run (lib/metrics.ts, embedded metric format): a
    // refresh the sweep caught and logged, or a webhook given up on, fails no invocation.
    this.alarm(
      'RefreshFailuresAlarm',
      'A connection refresh failed (the sweep logs which and why; the connection may need the user to connect again).',
      portico('RefreshFailures', Stack.of(scope).stackName),
    );
    this.alarm(
      'WebhooksDeadLetteredAlarm',
      'A webhook event was given up on after its last retry (dead-lettered in the outbox).',
      portico('WebhooksDeadLettered', Stack.of(scope).stackName),
    );
  }

  private alarm(id: string, description: string, metric: Metric, threshold = 1): Alarm {
    const alarm = new Alarm(this.scope, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.action) alarm.addAlarmAction(this.action);
    return alarm;
  }
}

/** One of Portico's own metrics for this stack, summed over five minutes. */
function portico(name: MetricName, service: string): Metric {
  return new Metric({
    namespace: metricNamespace,
    metricName: name,
    dimensionsMap: { [metricDimension]: service },
    period: Duration.minutes(5),
    statistic: 'Sum',
  });
}
