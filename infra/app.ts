import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PorticoStack } from './stack.js';

/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). Settings come from context
 * (`-c key=value`): `region` (or CDK_DEFAULT_REGION), `hubspotClientId`, `dropboxClientId`,
 * `domainName` with `certificateArn` (an ACM certificate in us-east-1, for CloudFront), `alarmTopicArn`, `stackName` (default `Portico`).
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

new PorticoStack(app, ctx('stackName') ?? 'Portico', {
  env: { region, account: process.env.CDK_DEFAULT_ACCOUNT },
  description: 'Portico: OAuth connection gateway (HubSpot, Dropbox)',
  hubspotClientId: ctx('hubspotClientId'),
  dropboxClientId: ctx('dropboxClientId'),
  customDomain: domainName && certificateArn ? { domainName, certificateArn } : undefined,
  alarmTopicArn: ctx('alarmTopicArn'),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
