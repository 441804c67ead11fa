import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Records a cdk-nag AwsSolutions finding on `scope` (and its children) as accepted, with the
 * reason (cdk-nag 3: CDK's Validations API). The id is qualified with the plugin's namespace, as
 * the validation report prints it (`AwsSolutions::AwsSolutions-L1`), so the recorded
 * acknowledgement names the plugin rather than a construct annotation.
 */
export function acknowledge(scope: IConstruct, rule: `AwsSolutions-${string}`, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason });
}

/**
 * Every AwsSolutions finding the stack accepts, on exactly the constructs it concerns, each
 * with its reason. Anything else cdk-nag reports stops the synth (infra/app.ts).
 */
export function acknowledgeAcceptedFindings(parts: {
  adminKey: IConstruct;
  providerSecrets: IConstruct;
  deadLetters: IConstruct[];
  functions: IConstruct[];
  distribution?: IConstruct;
  originSecret?: IConstruct;
}): void {
  acknowledge(
    parts.adminKey,
    'AwsSolutions-SMG4',
    'The admin key is handed to operators out of band; it is rotated by the operator (put-secret-value), not by a rotation Lambda that could not tell its holders.',
  );
  acknowledge(
    parts.providerSecrets,
    'AwsSolutions-SMG4',
    'The OAuth client secrets are issued by HubSpot and Dropbox; they are rotated in those consoles and then set here by the operator.',
  );
  for (const queue of parts.deadLetters) {
    acknowledge(
      queue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue (of the refresher, or of the revocation queue and its schedule).',
    );
  }
  if (parts.originSecret) {
    acknowledge(
      parts.originSecret,
      'AwsSolutions-SMG4',
      'The origin header value lives in the CloudFront distribution config as well; rotating it means a new value there first, so it is rotated by redeploying (a rotation Lambda could not update CloudFront in step).',
    );
  }
  if (parts.distribution) {
    acknowledge(
      parts.distribution,
      'AwsSolutions-CFR3',
      'No CloudFront access log: its standard log records query strings, where OAuth codes and state travel; ' +
        'the API function logs every request (method, path, status, duration) without them.',
    );
    acknowledge(
      parts.distribution,
      'AwsSolutions-CFR1',
      'The API serves SaaS users and OAuth providers wherever they are; a country restriction would break connections for tenants abroad.',
    );
    acknowledge(
      parts.distribution,
      'AwsSolutions-CFR2',
      'No AWS WAF web ACL by default (a monthly cost every deployment would pay); the app authenticates and size-limits every request. Add a rate-based rule if needed (infra/README.md).',
    );
  }
  for (const fn of parts.functions) {
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Pinned to Node.js 24 (docs/design.md): the bundle targets node24 and the bench figures are measured for it.',
    );
  }
}
