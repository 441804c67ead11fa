import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PorticoStack } from './stack.js';

/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). Settings come from context
 * (`-c key=value`): `region` (or CDK_DEFAULT_REGION), `hubspotClientId`, `dropboxClientId`,
 * `domainName` with `certificateArn` (an ACM certificate in us-east-1, for CloudFront), `alarmTopicArn`,
 * `apiConcurrency` (concurrent API requests at most; default 100, `0` = no cap), `stackName` (default `Portico`).
 * cdk-nag's AwsSolutions checks run at synth; an unacknowledged error fails it.
 */
const app = new App();
const ctx = (name: string): string | undefined => {
  const v = app.node.tryGetContext(name);
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
};

const region = ctx('region') ?? process.env.CDK_DEFAULT_REGION;
if (!region) {
  throw new Error(
    'Set the region: `npx cdk deploy -c region=eu-west-1` (or configure a default AWS region).',
  );
}
const domainName = ctx('domainName');
const certificateArn = ctx('certificateArn');
if (Boolean(domainName) !== Boolean(certificateArn)) {
  throw new Error('A custom domain needs both `-c domainName=...` and `-c certificateArn=...`.');
}

function apiConcurrency(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw))
    throw new Error(`-c apiConcurrency must be a whole number (0 = no cap), got "${raw}".`);
  return Number(raw);
}

new PorticoStack(app, ctx('stackName') ?? 'Portico', {
  env: { region, account: process.env.CDK_DEFAULT_ACCOUNT },
  description: 'Portico: OAuth connection gateway (HubSpot, Dropbox)',
  hubspotClientId: ctx('hubspotClientId'),
  dropboxClientId: ctx('dropboxClientId'),
  customDomain: domainName && certificateArn ? { domainName, certificateArn } : undefined,
  alarmTopicArn: ctx('alarmTopicArn'),
  apiConcurrency: apiConcurrency(ctx('apiConcurrency')),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
