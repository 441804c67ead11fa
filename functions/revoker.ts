import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaServices, secretsManager } from './runtime.js';

// Wiring only: the revocation worker (infra/revoker.ts), fed by SQS every minute. It moves every
// due tenant revocation on (lib/tenants/revoke.ts) until about 20 s before the invocation's end;
// a job's state is in the table, so the next run continues where this one stopped. A thrown
// error fails the message, which SQS retries and then dead-letters (alarmed).
const services = lambdaServices(new secretsManager.SecretsManagerClient({}));

export async function handler(event: SQSEvent, context?: Context): Promise<{ moved: number }> {
  const s = await services();
  const left = context?.getRemainingTimeInMillis() ?? 60_000;
  const started = performance.now();
  const moved = await (await s.revocations()).runDue(Math.max(1000, left - 20_000));
  s.log.info('revocation worker run', {
    requestId: context?.awsRequestId,
    messages: event.Records.length,
    moved,
    ms: Math.round(performance.now() - started),
  });
  return { moved };
}
