import { CfnOutput, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PorticoAlarms } from './alarms.js';
import { apiFunction, type CustomDomain, HttpFront } from './api.js';
import { PorticoData } from './data.js';
import { acknowledgeAcceptedFindings } from './nag.js';
import { ScheduledRefresher } from './refresher.js';
import { PorticoSecrets } from './secrets.js';

export interface PorticoStackProps extends StackProps {
  /** Required: `TableV2` encrypted with a customer-managed key needs a concrete region. */
  readonly env: { region: string; account?: string };
  /** The platform's HubSpot app client id (its secret goes into the provider secrets secret). */
  readonly hubspotClientId?: string;
  /** The platform's Dropbox app client id. */
  readonly dropboxClientId?: string;
  /** Serve the API on this domain (an ACM certificate in the stack's region) instead of the execute-api URL. */
  readonly customDomain?: CustomDomain;
  /** An SNS topic every alarm notifies (alarms are created either way). */
  readonly alarmTopicArn?: string;
}

/**
 * Portico on AWS (docs/design.md, "Lambda"): the API function behind an HTTP API, the due-refresh
 * sweep every minute, one DynamoDB table encrypted with the service's CMK, and the secrets the
 * functions read at their first request. Every grant names exact actions; the cdk-nag
 * AwsSolutions findings that remain are acknowledged in infra/nag.ts with their reason.
 *
 * The parts (infra/data.ts, secrets.ts, api.ts, refresher.ts, alarms.ts) create their resources
 * directly in this stack rather than under construct scopes of their own: a scope would change
 * every resource's logical id, and CloudFormation would replace the retained table and key.
 */
export class PorticoStack extends Stack {
  /** The base URL users and providers see: the custom domain, else the HTTP API's execute-api URL. */
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: PorticoStackProps) {
    super(scope, id, props);
    if (!props.env?.region || Token.isUnresolved(props.env.region)) {
      throw new Error('PorticoStack needs an explicit region (env.region), e.g. `-c region=eu-west-1`.');
    }
    const region = props.env.region;

    const data = new PorticoData(this);
    const secrets = new PorticoSecrets(this);
    const front = new HttpFront(this, props.customDomain);
    this.publicUrl = front.publicUrl;

    const environment: Record<string, string> = {
      TABLE_NAME: data.table.tableName,
      KMS_KEY_ID: data.key.keyArn,
      PUBLIC_URL: this.publicUrl,
      // The sandbox can never run here (and loadConfig(..., 'lambda') refuses it anyway).
      SANDBOX: '0',
      PROVIDER_SECRETS_ARN: secrets.providerSecrets.secretArn,
      ...(props.hubspotClientId ? { HUBSPOT_CLIENT_ID: props.hubspotClientId } : {}),
      ...(props.dropboxClientId ? { DROPBOX_CLIENT_ID: props.dropboxClientId } : {}),
    };
    const api = apiFunction(this, { data, secrets, environment, region });
    const refresher = new ScheduledRefresher(this, { data, secrets, environment, region });
    const stage = front.serve(api);
    new PorticoAlarms(this, { api, stage, refresher, alarmTopicArn: props.alarmTopicArn });

    new CfnOutput(this, 'ApiUrl', { value: this.publicUrl, description: 'Portico base URL (PUBLIC_URL)' });
    new CfnOutput(this, 'OAuthRedirectUri', {
      value: `${this.publicUrl}/oauth/callback`,
      description: 'Register this redirect URI with the HubSpot and Dropbox apps',
    });
    if (front.domain && props.customDomain) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: front.domain.regionalDomainName,
        description: `Point ${props.customDomain.domainName} (CNAME or alias) at this`,
      });
      new CfnOutput(this, 'ExecuteApiUrl', { value: front.api.apiEndpoint });
    }
    new CfnOutput(this, 'AdminApiKeySecretArn', { value: secrets.adminKey.secretArn });
    new CfnOutput(this, 'ProviderSecretsArn', { value: secrets.providerSecrets.secretArn });
    new CfnOutput(this, 'ApiFunctionName', { value: api.functionName });
    new CfnOutput(this, 'RefresherFunctionName', { value: refresher.fn.functionName });
    new CfnOutput(this, 'TableName', { value: data.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: data.key.keyArn });

    acknowledgeAcceptedFindings({
      routes: front.routes,
      adminKey: secrets.adminKey,
      providerSecrets: secrets.providerSecrets,
      deadLetters: refresher.deadLetters,
      functions: [api, refresher.fn],
    });
  }
}
