import type { Context, ScheduledEvent } from 'aws-lambda';
import { type SweepResult, sweepDueConnections } from '../lib/connections/sweep.js';
import { emfMetrics } from '../lib/metrics.js';
import { lambdaServices, secretsClient } from './runtime.js';

// Wiring only: the scheduled work (EventBridge, every minute): the sweep of due refreshes, then
// one pass over the webhook outbox. A thrown error fails the invocation, which the stack routes
// to the dead-letter queue and an alarm; a refresh that fails, or a webhook given up on, is
// counted in the run's metrics (lib/metrics.ts), which infra/alarms.ts alarms on.
const services = lambdaServices(secretsClient());
// The `Service` dimension: the stack's name (METRICS_SERVICE), so that stacks sharing an account alarm apart.
const metrics = emfMetrics({ service: process.env.METRICS_SERVICE || 'Portico' });

export type ScheduledResult = SweepResult & {
  webhooks: { delivered: number; retried: number; dead: number };
};

export async function handler(event: ScheduledEvent, context?: Context): Promise<ScheduledResult> {
  const s = await services();
  const started = performance.now();
  const result = await sweepDueConnections(s);
  const webhooks = await (await s.outbox()).drain(500);
  metrics.count({
    Refreshes: result.refreshed,
    RefreshFailures: result.failed,
    WebhooksDeadLettered: webhooks.dead,
  });
  s.log.info('refresher run', {
    requestId: context?.awsRequestId,
    scheduledAt: event.time,
    ...result,
    webhooks,
    ms: Math.round(performance.now() - started),
  });
  return { ...result, webhooks };
}
