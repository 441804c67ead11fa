import { Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { keys } from '../lib/store/table.js';
import type { PorticoData } from './data.js';
import { deadLetterQueue, entry, grantWorkerAccess, porticoFunction } from './function.js';
import type { PorticoSecrets } from './secrets.js';

/**
 * The scheduled work: the refresher function (`RefresherFunction`, functions/refresher.ts: the
 * due-refresh sweep, then one pass over the webhook outbox) run every minute by EventBridge
 * (`RefresherSchedule`), with the dead-letter queue (`RefresherDeadLetters`) that keeps a run
 * that failed or could not be delivered.
 */
export class ScheduledRefresher {
  readonly fn: NodejsFunction;
  readonly deadLetters: Queue;

  constructor(
    scope: Construct,
    options: {
      data: PorticoData;
      secrets: PorticoSecrets;
      environment: Record<string, string>;
      region: string;
    },
  ) {
    const { data, secrets } = options;
    this.fn = porticoFunction(scope, 'Refresher', {
      entry: entry('refresher'),
      description: 'Portico due-refresh sweep and webhook delivery (scheduled)',
      memorySize: 512,
      timeout: Duration.minutes(4),
      // The `Service` dimension of the metrics it publishes (lib/metrics.ts; infra/alarms.ts).
      environment: { ...options.environment, METRICS_SERVICE: Stack.of(scope).stackName },
    });
    // The sweep reads the due index, then per connection: GetItem, the refresh lease and the
    // new credentials (UpdateItem), and the audit record / webhook outbox event (PutItem). The
    // webhook pass queries the outbox partitions, claims (UpdateItem), re-schedules (PutItem)
    // and removes (DeleteItem) events. It opens credentials but never creates a tenant.
    grantWorkerAccess(this.fn, {
      data,
      secrets,
      region: options.region,
      tableActions: ['GetItem', 'UpdateItem', 'PutItem', 'DeleteItem', 'Query'],
      index: { sid: 'DueIndex', name: keys.dueIndex },
    });
    this.deadLetters = deadLetterQueue(scope, 'RefresherDeadLetters');
    // A failed sweep is not retried by Lambda: the next one starts a minute later and finds
    // the same due connections. The failed event is kept in the DLQ (and alarms).
    this.fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(4),
      onFailure: new SqsDestination(this.deadLetters),
    });
    new Rule(scope, 'RefresherSchedule', {
      description: 'Portico: refresh connections before their access tokens expire, deliver webhooks',
      schedule: Schedule.rate(Duration.minutes(1)),
      // Delivery failures (throttling, permissions) are retried twice, then dead-lettered.
      targets: [
        new LambdaFunction(this.fn, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(4),
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });
  }
}
