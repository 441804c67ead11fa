import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { lambdaBundling } from './bundling.js';
import type { PorticoData } from './data.js';
import { PorticoSecrets } from './secrets.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The source file of a Lambda entry point in functions/. */
export const entry = (name: string): string =>
  fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));

export interface PorticoFunctionOptions {
  entry: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** Concurrent executions reserved for (and capping) the function; unset = the account's pool. */
  reservedConcurrentExecutions?: number;
  /** Shell commands run after esbuild, on this machine, with the asset's output directory. */
  afterBundling?: (outputDir: string) => string[];
}

/**
 * One of Portico's functions, created in `scope` as `<id>Function` with `<id>Role` and
 * `<id>Logs`: Node.js 24 on ARM64, bundled offline by the project's esbuild with the settings
 * of infra/bundling.ts, its own one-month log group, and a role that may write to that log
 * group and nothing else until the caller grants more (no AWS managed policy).
 */
export function porticoFunction(
  scope: Construct,
  id: string,
  options: PorticoFunctionOptions,
): NodejsFunction {
  const { afterBundling, ...functionOptions } = options;
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
  const role = new Role(scope, `${id}Role`, {
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
  return new NodejsFunction(scope, `${id}Function`, {
    ...functionOptions,
    // No --enable-source-maps: parsing index.mjs.map at load cost every cold start about 8 ms.
    // The map still ships; the logger maps an error's stack with it when it logs one (lib/log.ts).
    environment: options.environment,
    handler: 'handler',
    runtime: Runtime.NODEJS_24_X,
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

/**
 * Envelope encryption: the CMK only with an encryption context made of exactly `tenantId`
 * (ForAllValues alone would also match an empty context, hence the Null check). The API creates
 * tenants (`kms:GenerateDataKey`); every function opens credentials (`kms:Decrypt`).
 */
export function grantTenantDataKeys(fn: NodejsFunction, data: PorticoData, actions: string[]): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'TenantDataKeys',
      actions,
      resources: [data.key.keyArn],
      conditions: {
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId'] },
        Null: { 'kms:EncryptionContext:tenantId': 'false' },
      },
    }),
  );
}

/**
 * Table encryption at rest: DynamoDB decrypts the table key with the caller's identity (cached
 * ~5 minutes), so each function needs kms:Decrypt, but only through DynamoDB and only for this
 * table (DynamoDB's encryption context names the table).
 * https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
 */
export function grantTableEncryption(fn: NodejsFunction, data: PorticoData, region: string): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'TableEncryptionViaDynamoDB',
      actions: ['kms:Decrypt'],
      resources: [data.key.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `dynamodb.${region}.amazonaws.com`,
          'kms:EncryptionContext:aws:dynamodb:tableName': data.table.tableName,
        },
      },
    }),
  );
}

/**
 * What a background worker needs of the data: the table's items with exactly `tableActions`, a
 * Query on one index (`indexSid` names that statement), tenant data keys to open credentials
 * (never to create one), the table's encryption, and the provider secrets.
 */
export function grantWorkerAccess(
  fn: NodejsFunction,
  options: {
    data: PorticoData;
    secrets: PorticoSecrets;
    region: string;
    tableActions: string[];
    index: { sid: string; name: string };
  },
): void {
  const { data } = options;
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'TableItems',
      actions: options.tableActions.map((a) => `dynamodb:${a}`),
      resources: [data.table.tableArn],
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: options.index.sid,
      actions: ['dynamodb:Query'],
      resources: [data.indexArn(options.index.name)],
    }),
  );
  grantTenantDataKeys(fn, data, ['kms:Decrypt']);
  grantTableEncryption(fn, data, options.region);
  PorticoSecrets.grantRead(fn, options.secrets.providerSecrets, 'ProviderSecrets');
}

/** A dead-letter queue as every worker keeps one: SQS-managed encryption, TLS only, 14 days. */
export function deadLetterQueue(scope: Construct, id: string): Queue {
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
}
