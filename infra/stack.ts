import { CfnOutput, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PorticoAlarms } from './alarms.js';
import { ApiFront, apiFunction, assertCloudFrontCertificate, type CustomDomain } from './api.js';
import { PorticoDashboard } from './dashboard.js';
import { PorticoData } from './data.js';
import { acknowledgeAcceptedFindings } from './nag.js';
import { ScheduledRefresher } from './refresher.js';
import { RevocationWorker } from './revoker.js';
import { PorticoSecrets } from './secrets.js';

export interface PorticoStackProps extends StackProps {
  /** Required: `TableV2` encrypted with a customer-managed key needs a concrete region. */
  readonly env: { region: string; account?: string };
  /** The platform's HubSpot app client id (its secret goes into the provider secrets secret). */
  readonly hubspotClientId?: string;
  /** The platform's Dropbox app client id. */
  readonly dropboxClientId?: string;
  /** Serve the API on this domain through CloudFront (an ACM certificate in us-east-1) instead of the function URL. */
  readonly customDomain?: CustomDomain;
  /** An SNS topic every alarm notifies (alarms are created either way). */
  readonly alarmTopicArn?: string;
  /** Concurrent API requests at most, across instances (reserved concurrency). Default 100; 0 = no cap. */
  readonly apiConcurrency?: number;
}

/**
 * Portico on AWS (docs/design.md, "Lambda"): the API function answering through its function URL
 * in response-streaming mode (behind CloudFront on a custom domain), the due-refresh sweep every
 * minute, the tenant revocation worker fed by SQS, one DynamoDB table encrypted with the service's CMK, and the secrets the functions read
 * at their first request. Every grant names exact actions; the cdk-nag AwsSolutions findings that
 * remain are acknowledged in infra/nag.ts with their reason.
 *
 * The parts (infra/data.ts, secrets.ts, api.ts, refresher.ts, revoker.ts, alarms.ts) create their resources
 * directly in this stack rather than under construct scopes of their own: a scope would change
 * every resource's logical id, and CloudFormation would replace the retained table and key.
 */
export class PorticoStack extends Stack {
  /** The base URL users and providers see: the custom domain, else the API's function URL. */
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: PorticoStackProps) {
    super(scope, id, props);
    if (!props.env?.region || Token.isUnresolved(props.env.region)) {
      throw new Error('PorticoStack needs an explicit region (env.region), e.g. `-c region=eu-west-1`.');
    }
    const region = props.env.region;
    if (props.customDomain) assertCloudFrontCertificate(props.customDomain);

    const data = new PorticoData(this);
    const secrets = new PorticoSecrets(this);
    const environment: Record<string, string> = {
      TABLE_NAME: data.table.tableName,
      KMS_KEY_ID: data.key.keyArn,
      // The sandbox can never run here (and loadConfig(..., 'lambda') refuses it anyway).
      SANDBOX: '0',
      PROVIDER_SECRETS_ARN: secrets.providerSecrets.secretArn,
      ...(props.hubspotClientId ? { HUBSPOT_CLIENT_ID: props.hubspotClientId } : {}),
      ...(props.dropboxClientId ? { DROPBOX_CLIENT_ID: props.dropboxClientId } : {}),
    };
    const domainUrl = props.customDomain ? `https://${props.customDomain.domainName}` : undefined;
    const api = apiFunction(this, {
      data,
      secrets,
      environment,
      publicUrl: domainUrl,
      region,
      reservedConcurrency: props.apiConcurrency,
    });
    const front = new ApiFront(this, api, props.customDomain);
    this.publicUrl = front.publicUrl;
    const refresher = new ScheduledRefresher(this, {
      data,
      secrets,
      environment: { ...environment, PUBLIC_URL: this.publicUrl },
      region,
    });
    const revoker = new RevocationWorker(this, {
      data,
      secrets,
      environment: { ...environment, PUBLIC_URL: this.publicUrl },
      region,
    });
    new PorticoAlarms(this, { api, refresher, revoker, alarmTopicArn: props.alarmTopicArn });
    new PorticoDashboard(this, { api, refresher });

    new CfnOutput(this, 'ApiUrl', { value: this.publicUrl, description: 'Portico base URL (PUBLIC_URL)' });
    new CfnOutput(this, 'OAuthRedirectUri', {
      value: `${this.publicUrl}/oauth/callback`,
      description: 'Register this redirect URI with the HubSpot and Dropbox apps',
    });
    if (front.distribution && props.customDomain) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: front.distribution.distributionDomainName,
        description: `Point ${props.customDomain.domainName} (CNAME, or a Route 53 alias) at this`,
      });
    }
    new CfnOutput(this, 'FunctionUrl', {
      value: front.url.url,
      description: 'The API function URL (the origin; with a custom domain, use the domain instead)',
    });
    new CfnOutput(this, 'AdminApiKeySecretArn', { value: secrets.adminKey.secretArn });
    new CfnOutput(this, 'ProviderSecretsArn', { value: secrets.providerSecrets.secretArn });
    new CfnOutput(this, 'ApiFunctionName', { value: api.functionName });
    new CfnOutput(this, 'RefresherFunctionName', { value: refresher.fn.functionName });
    new CfnOutput(this, 'RevokerFunctionName', { value: revoker.fn.functionName });
    new CfnOutput(this, 'TableName', { value: data.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: data.key.keyArn });

    acknowledgeAcceptedFindings({
      adminKey: secrets.adminKey,
      providerSecrets: secrets.providerSecrets,
      deadLetters: [refresher.deadLetters, revoker.deadLetters],
      functions: [api, refresher.fn, revoker.fn],
      distribution: front.distribution,
      originSecret: front.originSecret,
    });
  }
}
