import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  DomainName,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { keys } from '../lib/store/table.js';
import type { PorticoData } from './data.js';
import { entry, grantTableEncryption, grantTenantDataKeys, porticoFunction, repoRoot } from './function.js';
import { PorticoSecrets } from './secrets.js';

export interface CustomDomain {
  domainName: string;
  certificateArn: string;
}

/**
 * The public front: the HTTP API (`HttpApi`) and, when a custom domain is given, its domain
 * name (`Domain`, with the imported `Certificate`). Built before the functions because their
 * `PUBLIC_URL` is its address; {@link HttpFront.serve} then routes every path to the API function.
 */
export class HttpFront {
  readonly api: HttpApi;
  readonly domain?: DomainName;
  /** The base URL users and providers see: the custom domain, else the HTTP API's execute-api URL. */
  readonly publicUrl: string;
  /** Set by {@link HttpFront.serve}. */
  stage?: HttpStage;
  /** Set by {@link HttpFront.serve}: `ANY /{proxy+}` and `ANY /`. */
  readonly routes: HttpRoute[] = [];

  constructor(
    private readonly scope: Construct,
    customDomain: CustomDomain | undefined,
  ) {
    this.api = new HttpApi(scope, 'HttpApi', {
      description: 'Portico OAuth connection gateway',
      createDefaultStage: false,
    });
    this.domain = customDomain
      ? new DomainName(scope, 'Domain', {
          domainName: customDomain.domainName,
          certificate: Certificate.fromCertificateArn(scope, 'Certificate', customDomain.certificateArn),
        })
      : undefined;
    this.publicUrl = customDomain ? `https://${customDomain.domainName}` : this.api.apiEndpoint;
  }

  /**
   * Routes every method and path to `fn` (payload 2.0) on a `$default` stage that is throttled
   * and logs access without query strings or headers; maps the custom domain, if any, to it.
   */
  serve(fn: NodejsFunction): HttpStage {
    const accessLogs = new LogGroup(this.scope, 'HttpApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.stage = new HttpStage(this.scope, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 500, burstLimit: 1000 },
      domainMapping: this.domain ? { domainName: this.domain } : undefined,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No query string (OAuth codes travel there) and no headers (bearer keys).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            bytes: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', fn, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    this.routes.push(
      ...this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration }),
      ...this.api.addRoutes({ path: '/', methods: [HttpMethod.ANY], integration }),
    );
    return this.stage;
  }
}

/**
 * The API function (`ApiFunction`: the Hono app, functions/api.ts) with exactly the grants it
 * uses: the table's items, the `list` index, tenant data keys (create and open), the table's
 * encryption through DynamoDB, and both secrets.
 */
export function apiFunction(
  scope: Construct,
  options: {
    data: PorticoData;
    secrets: PorticoSecrets;
    environment: Record<string, string>;
    region: string;
  },
): NodejsFunction {
  const { data, secrets } = options;
  const fn = porticoFunction(scope, 'Api', {
    entry: entry('api'),
    description: 'Portico HTTP API (Hono)',
    memorySize: 1024,
    timeout: Duration.seconds(29),
    environment: { ...options.environment, ADMIN_API_KEY_SECRET_ARN: secrets.adminKey.secretArn },
    // The admin console, browser SDK and API reference ship beside the bundle, read on first
    // use (lib/http/ui/content.ts), instead of being code every cold start loads.
    afterBundling: (outputDir) => [
      [
        process.execPath,
        `${repoRoot}node_modules/tsx/dist/cli.mjs`,
        `${repoRoot}infra/write-static.ts`,
        `${outputDir}/static.json`,
      ]
        // Single-quoted for the shell: a path may hold spaces or `$`.
        .map((arg) => `'${arg.replaceAll("'", "'\\''")}'`)
        .join(' '),
    ],
  });
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'TableItems',
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:BatchWriteItem',
      ],
      resources: [data.table.tableArn],
    }),
  );
  // The API pages tenants through the `list` index; only the sweep reads `due`.
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'ListIndex',
      actions: ['dynamodb:Query'],
      resources: [data.indexArn(keys.listIndex)],
    }),
  );
  grantTenantDataKeys(fn, data, ['kms:GenerateDataKey', 'kms:Decrypt']);
  grantTableEncryption(fn, data, options.region);
  PorticoSecrets.grantRead(fn, secrets.adminKey, 'AdminKey');
  PorticoSecrets.grantRead(fn, secrets.providerSecrets, 'ProviderSecrets');
  return fn;
}
