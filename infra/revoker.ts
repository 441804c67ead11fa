import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { keys } from '../lib/store/table.js';
import type { PorticoData } from './data.js';
import { deadLetterQueue, entry, grantWorkerAccess, porticoFunction } from './function.js';
import type { PorticoSecrets } from './secrets.js';

/** How long one worker run may move revocations on (functions/revoker.ts reads it from the timeout). */
const workerTimeout = Duration.minutes(2);

/**
 * Tenant revocation in AWS (docs/design.md, "Vault"): the revocation worker function
 * (`RevokerFunction`, functions/revoker.ts) fed by an SQS queue (`RevocationQueue`) into which
 * EventBridge puts a message every minute (`RevocationSchedule`). Each run moves every due job
 * on for about a minute; a job's state lives in the table, so any run continues any job, and a
 * run that fails is retried by SQS, then kept in the dead-letter queue (`RevocationDeadLetters`)
 * and alarmed on. The `DELETE` request itself does the first few seconds of work.
 */
export class RevocationWorker {
  readonly fn: NodejsFunction;
  readonly queue: Queue;
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
    this.fn = porticoFunction(scope, 'Revoker', {
      entry: entry('revoker'),
      description: 'Portico tenant revocation worker (SQS, every minute)',
      memorySize: 512,
      timeout: workerTimeout,
      environment: options.environment,
    });
    // The job reads and writes its own item (GetItem, UpdateItem), pages the tenant's partition
    // (Query), opens and deletes each grant (GetItem, DeleteItem), parks retries (UpdateItem),
    // lists failures (PutItem), the audit record and the webhook event (PutItem), deletes the
    // partition's other items in batches (BatchWriteItem), and finds running jobs on `list`. It
    // opens grants (unwraps the tenant key moved into the job) but never creates a key.
    grantWorkerAccess(this.fn, {
      data,
      secrets,
      region: options.region,
      tableActions: ['GetItem', 'UpdateItem', 'PutItem', 'DeleteItem', 'Query', 'BatchWriteItem'],
      index: { sid: 'RunningJobsIndex', name: keys.listIndex },
    });
    this.deadLetters = deadLetterQueue(scope, 'RevocationDeadLetters');
    this.queue = new Queue(scope, 'RevocationQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Longer than a run, so a message is not handed to a second worker while the first runs.
      visibilityTimeout: workerTimeout.plus(Duration.minutes(1)),
      // A tick no worker took within minutes is superseded by the next one.
      retentionPeriod: Duration.minutes(10),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 3 },
    });
    // At most two runs at once: each takes a job's lease, so more would only wait on leases.
    this.fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, maxConcurrency: 2 }));
    new Rule(scope, 'RevocationSchedule', {
      description: 'Portico: move tenant revocations on',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new SqsQueue(this.queue, {
          message: RuleTargetInput.fromObject({ kind: 'revocations' }),
          retryAttempts: 2,
          maxEventAge: Duration.minutes(2),
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });
  }
}
