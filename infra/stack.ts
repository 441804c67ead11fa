import { fileURLToPath } from 'node:url';
import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { keys } from '../lib/store/table.js';
import { lambdaBundling } from './bundling.js';

export interface PorticoStackProps extends StackProps {
  /** Required: `TableV2` encrypted with a customer-managed key needs a concrete region. */
  readonly env: { region: string; account?: string };
  /** The platform's HubSpot app client id (its secret goes into the provider secrets secret). */
  readonly hubspotClientId?: string;
  /** The platform's Dropbox app client id. */
  readonly dropboxClientId?: string;
  /** Serve the API on this domain (an ACM certificate in the stack's region) instead of the execute-api URL. */
  readonly customDomain?: { domainName: string; certificateArn: string };
  /** An SNS topic every alarm notifies (alarms are created either way). */
  readonly alarmTopicArn?: string;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const entry = (name: string) => fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));

/**
 * Portico on AWS (DESIGN.md, "Lambda"): the API function behind an HTTP API, the due-refresh
 * sweep on a 5-minute schedule, one DynamoDB table encrypted with the service's CMK, and the
 * secrets the functions read at their first request. Every grant names exact actions; cdk-nag
 * AwsSolutions findings that remain are acknowledged below with their reason.
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

    // The service CMK: wraps each tenant's data key (encryption context {tenantId}) and
    // encrypts the table at rest. Deleting it would shred every tenant: retained.
    const key = new Key(this, 'Key', {
      description: 'Portico: wraps per-tenant data keys and encrypts the table at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const table = new TableV2(this, 'Table', {
      partitionKey: { name: keys.pk, type: AttributeType.STRING },
      sortKey: { name: keys.sk, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.customerManagedKey(key),
      timeToLiveAttribute: keys.ttl,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Exactly as lib/store/table.ts creates them locally.
      globalSecondaryIndexes: [
        {
          indexName: keys.dueIndex,
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
        {
          indexName: keys.listIndex,
          partitionKey: { name: 'gsi2pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi2sk', type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
      ],
    });
    const indexArn = (name: string) => `${table.tableArn}/index/${name}`;

    // The admin key is generated by Secrets Manager (48 alphanumerics; the app needs >= 24).
    const adminKey = new Secret(this, 'AdminApiKey', {
      description: 'Portico admin API key (Authorization: Bearer <this>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    // The platform apps' client secrets: created with empty placeholders, set by the operator
    // (infra/README.md). CloudFormation rewrites it only if this placeholder changes.
    const providerSecrets = new Secret(this, 'ProviderSecrets', {
      description:
        'Portico platform OAuth app client secrets: {"HUBSPOT_CLIENT_SECRET","DROPBOX_CLIENT_SECRET"}',
      secretObjectValue: {
        HUBSPOT_CLIENT_SECRET: SecretValue.unsafePlainText(''),
        DROPBOX_CLIENT_SECRET: SecretValue.unsafePlainText(''),
      },
    });

    const api = new HttpApi(this, 'HttpApi', {
      description: 'Portico OAuth connection gateway',
      createDefaultStage: false,
    });
    const domain = props.customDomain
      ? new DomainName(this, 'Domain', {
          domainName: props.customDomain.domainName,
          certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
        })
      : undefined;
    this.publicUrl = domain ? `https://${props.customDomain!.domainName}` : api.apiEndpoint;

    const baseEnvironment: Record<string, string> = {
      TABLE_NAME: table.tableName,
      KMS_KEY_ID: key.keyArn,
      PUBLIC_URL: this.publicUrl,
      // The sandbox can never run here (and loadConfig(..., 'lambda') refuses it anyway).
      SANDBOX: '0',
      PROVIDER_SECRETS_ARN: providerSecrets.secretArn,
      ...(props.hubspotClientId ? { HUBSPOT_CLIENT_ID: props.hubspotClientId } : {}),
      ...(props.dropboxClientId ? { DROPBOX_CLIENT_ID: props.dropboxClientId } : {}),
    };

    const apiFn = this.makeFunction('Api', {
      entry: entry('api'),
      description: 'Portico HTTP API (Hono)',
      memorySize: 1024,
      timeout: Duration.seconds(29),
      environment: { ...baseEnvironment, ADMIN_API_KEY_SECRET_ARN: adminKey.secretArn },
      // The admin console, browser SDK and API reference ship beside the bundle, read on first
      // use (lib/ui/content.ts), instead of being code every cold start loads.
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
    const refresherFn = this.makeFunction('Refresher', {
      entry: entry('refresher'),
      description: 'Portico due-refresh sweep and webhook delivery (scheduled)',
      memorySize: 512,
      timeout: Duration.minutes(4),
      environment: baseEnvironment,
    });

    // --- IAM: exact actions on exact resources -------------------------------------------
    apiFn.addToRolePolicy(
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
        resources: [table.tableArn],
      }),
    );
    // The API pages tenants through the `list` index; only the sweep reads `due`.
    apiFn.addToRolePolicy(
      new PolicyStatement({
        sid: 'ListIndex',
        actions: ['dynamodb:Query'],
        resources: [indexArn(keys.listIndex)],
      }),
    );
    // The sweep reads the due index, then per connection: GetItem, the refresh lease and the
    // new credentials (UpdateItem), and the audit record / webhook outbox event (PutItem). The
    // webhook pass queries the outbox partitions, claims (UpdateItem), re-schedules (PutItem)
    // and removes (DeleteItem) events.
    refresherFn.addToRolePolicy(
      new PolicyStatement({
        sid: 'TableItems',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:UpdateItem',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
        ],
        resources: [table.tableArn],
      }),
    );
    refresherFn.addToRolePolicy(
      new PolicyStatement({
        sid: 'DueIndex',
        actions: ['dynamodb:Query'],
        resources: [indexArn(keys.dueIndex)],
      }),
    );

    // Envelope encryption: the CMK only with an encryption context made of exactly `tenantId`
    // (ForAllValues alone would also match an empty context, hence the Null check).
    const tenantContext = {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId'] },
      Null: { 'kms:EncryptionContext:tenantId': 'false' },
    };
    apiFn.addToRolePolicy(
      new PolicyStatement({
        sid: 'TenantDataKeys',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
        conditions: tenantContext,
      }),
    );
    // The sweep opens credentials (unwraps tenant keys) but never creates a tenant.
    refresherFn.addToRolePolicy(
      new PolicyStatement({
        sid: 'TenantDataKeys',
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: tenantContext,
      }),
    );
    // Table encryption at rest: DynamoDB decrypts the table key with the caller's identity
    // (cached ~5 minutes), so each function needs kms:Decrypt, but only through DynamoDB and only
    // for this table (DynamoDB's encryption context names the table).
    // https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
    for (const fn of [apiFn, refresherFn]) {
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'TableEncryptionViaDynamoDB',
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `dynamodb.${region}.amazonaws.com`,
              'kms:EncryptionContext:aws:dynamodb:tableName': table.tableName,
            },
          },
        }),
      );
    }
    const readSecret = (fn: NodejsFunction, secret: Secret, sid: string) =>
      fn.addToRolePolicy(
        new PolicyStatement({
          sid,
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secret.secretArn],
        }),
      );
    readSecret(apiFn, adminKey, 'AdminKey');
    readSecret(apiFn, providerSecrets, 'ProviderSecrets');
    readSecret(refresherFn, providerSecrets, 'ProviderSecrets');

    // --- HTTP API ------------------------------------------------------------------------
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 500, burstLimit: 1000 },
      domainMapping: domain ? { domainName: domain } : undefined,
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
    const integration = new HttpLambdaIntegration('ApiIntegration', apiFn, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    const routes = [
      ...api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration }),
      ...api.addRoutes({ path: '/', methods: [HttpMethod.ANY], integration }),
    ];

    // --- The scheduled sweep -------------------------------------------------------------
    const dlq = new Queue(this, 'RefresherDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // A failed sweep is not retried by Lambda: the next one starts a minute later and finds
    // the same due connections. The failed event is kept in the DLQ (and alarms).
    refresherFn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(4),
      onFailure: new SqsDestination(dlq),
    });
    new Rule(this, 'RefresherSchedule', {
      description: 'Portico: refresh connections before their access tokens expire, deliver webhooks',
      schedule: Schedule.rate(Duration.minutes(1)),
      // Delivery failures (throttling, permissions) are retried twice, then dead-lettered.
      targets: [
        new LambdaFunction(refresherFn, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(4),
          deadLetterQueue: dlq,
        }),
      ],
    });

    // --- Alarms --------------------------------------------------------------------------
    const alarmAction: IAlarmAction | undefined = props.alarmTopicArn
      ? new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn))
      : undefined;
    const alarm = (alarmId: string, description: string, metric: Metric, threshold = 1) => {
      const a = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (alarmAction) a.addAlarmAction(alarmAction);
      return a;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    alarm('ApiErrorsAlarm', 'The API function failed (crash or timeout).', apiFn.metricErrors(fiveMinutes));
    alarm(
      'Api5xxAlarm',
      'The HTTP API answered 5xx at least 5 times in 5 minutes.',
      stage.metricServerError(fiveMinutes),
      5,
    );
    alarm('ApiThrottlesAlarm', 'The API function was throttled.', apiFn.metricThrottles(fiveMinutes));
    alarm('RefresherErrorsAlarm', 'A due-refresh sweep failed.', refresherFn.metricErrors(fiveMinutes));
    alarm(
      'RefresherThrottlesAlarm',
      'The due-refresh sweep was throttled.',
      refresherFn.metricThrottles(fiveMinutes),
    );
    alarm(
      'RefresherDeadLettersAlarm',
      'A due-refresh sweep event was dead-lettered.',
      dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    );

    // --- Outputs -------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: this.publicUrl, description: 'Portico base URL (PUBLIC_URL)' });
    new CfnOutput(this, 'OAuthRedirectUri', {
      value: `${this.publicUrl}/oauth/callback`,
      description: 'Register this redirect URI with the HubSpot and Dropbox apps',
    });
    if (domain) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: domain.regionalDomainName,
        description: `Point ${props.customDomain!.domainName} (CNAME or alias) at this`,
      });
      new CfnOutput(this, 'ExecuteApiUrl', { value: api.apiEndpoint });
    }
    new CfnOutput(this, 'AdminApiKeySecretArn', { value: adminKey.secretArn });
    new CfnOutput(this, 'ProviderSecretsArn', { value: providerSecrets.secretArn });
    new CfnOutput(this, 'ApiFunctionName', { value: apiFn.functionName });
    new CfnOutput(this, 'RefresherFunctionName', { value: refresherFn.functionName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'KeyArn', { value: key.keyArn });

    // --- cdk-nag acknowledgements (each with its reason) ---------------------------------
    for (const route of routes) {
      acknowledge(
        route,
        'AwsSolutions-APIG4',
        'Authorization is enforced by the application on every route (admin key, admin JWT or tenant API key, API.md "Authentication"); ' +
          'the OAuth callback, connect links, /healthz and the docs must stay reachable without a bearer key.',
      );
    }
    for (const secret of [adminKey, providerSecrets]) {
      acknowledge(
        secret,
        'AwsSolutions-SMG4',
        secret === adminKey
          ? 'The admin key is handed to operators out of band; it is rotated by the operator (put-secret-value), not by a rotation Lambda that could not tell its holders.'
          : 'The OAuth client secrets are issued by HubSpot and Dropbox; they are rotated in those consoles and then set here by the operator.',
      );
    }
    acknowledge(
      dlq,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the refresher (Lambda on-failure destination and EventBridge target DLQ).',
    );
    for (const fn of [apiFn, refresherFn]) {
      acknowledge(
        fn,
        'AwsSolutions-L1',
        'Pinned to Node.js 22 (DESIGN.md): the bundle targets node22 and the bench figures are measured for it.',
      );
    }
  }

  private makeFunction(
    id: string,
    options: {
      entry: string;
      description: string;
      memorySize: number;
      timeout: Duration;
      environment: Record<string, string>;
      /** Shell commands run after esbuild, on this machine, with the asset's output directory. */
      afterBundling?: (outputDir: string) => string[];
    },
  ): NodejsFunction {
    const { afterBundling, ...functionOptions } = options;
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
    // Own role, no AWS managed policy: logs to this one log group, everything else granted exactly.
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Portico ${id} function`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'Logs',
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    return new NodejsFunction(this, `${id}Function`, {
      ...functionOptions,
      // Stack traces point into the TypeScript sources (the bundle ships index.mjs.map).
      environment: { ...options.environment, NODE_OPTIONS: '--enable-source-maps' },
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      role,
      logGroup,
      projectRoot: repoRoot,
      depsLockFilePath: `${repoRoot}package-lock.json`,
      bundling: {
        // The project's own esbuild, offline; never Docker.
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        format: OutputFormat.ESM,
        target: lambdaBundling.target,
        minify: lambdaBundling.minify,
        sourceMap: lambdaBundling.sourcemap,
        sourcesContent: lambdaBundling.sourcesContent,
        mainFields: [...lambdaBundling.mainFields],
        externalModules: [...lambdaBundling.external],
        banner: lambdaBundling.banner,
        esbuildArgs: { '--tree-shaking': String(lambdaBundling.treeShaking) },
        commandHooks: afterBundling && {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => afterBundling(outputDir),
        },
      },
    });
  }
}

/**
 * Records a cdk-nag AwsSolutions finding on `scope` (and its children) as accepted, with the
 * reason (cdk-nag 3: CDK's Validations API). The id is qualified with the plugin's namespace, as
 * the validation report prints it (`AwsSolutions::AwsSolutions-L1`), so the recorded
 * acknowledgement names the plugin rather than a construct annotation.
 */
export function acknowledge(scope: IConstruct, rule: `AwsSolutions-${string}`, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason });
}
