import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBundling } from '../../infra/bundling.js';
import { PorticoStack } from '../../infra/stack.js';
import { closeEmbeddedDynamo, freshDb } from '../helpers/dynamo.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

// Inside the repository (test-output/ is ignored) so the bundles' externals resolve from node_modules.
const outRoot = fileURLToPath(new URL('../../test-output/', import.meta.url));
let outdir: string;
let app: App;
let template: Template;
let synthError: unknown;

beforeAll(() => {
  mkdirSync(outRoot, { recursive: true });
  outdir = mkdtempSync(join(outRoot, 'cdk.out-'));
  app = new App({ outdir });
  const stack = new PorticoStack(app, 'Portico', {
    env: { region: 'eu-west-1' },
    hubspotClientId: 'hubspot-client-id',
    dropboxClientId: 'dropbox-client-id',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    template = Template.fromStack(stack);
  } catch (err) {
    synthError = err;
  }
});
afterAll(async () => {
  await closeEmbeddedDynamo();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const resources = (type: string) =>
  Object.entries(template.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r }));
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const policyStatements = (roleMatch?: string): Statement[] =>
  resources('AWS::IAM::Policy')
    .filter((p) => !roleMatch || p.id.startsWith(roleMatch))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const functionsById = () =>
  Object.fromEntries(resources('AWS::Lambda::Function').map((f) => [f.id.replace(/Function.*$/, ''), f]));
const envOf = (f: Resource) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('synthesis with cdk-nag AwsSolutions', () => {
  it('synthesizes with no unacknowledged AwsSolutions error', () => {
    expect(synthError).toBeUndefined();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as Array<{ violations: unknown[] }>).flatMap(
      (r) => r.violations,
    );
    expect(violations).toEqual([]);
  });

  it('acknowledges exactly the accepted findings, each with a written reason', () => {
    const acks: Array<{ path: string; id: string; reason: string }> = [];
    for (const c of app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
          acks.push({ path: c.node.path, id, reason });
        }
      }
    }
    const ids = [...new Set(acks.map((a) => a.id))].sort();
    expect(ids).toEqual([
      'AwsSolutions::AwsSolutions-APIG4',
      'AwsSolutions::AwsSolutions-L1',
      'AwsSolutions::AwsSolutions-SMG4',
      'AwsSolutions::AwsSolutions-SQS3',
    ]);
    // Where: the two routes, the two secrets, the dead-letter queue and the two functions.
    expect(acks.map((a) => a.path.replace(/^Portico\//, '')).sort()).toEqual(
      [
        'HttpApi/ANY--{proxy+}',
        'HttpApi/ANY--',
        'AdminApiKey',
        'ProviderSecrets',
        'RefresherDeadLetters',
        'ApiFunction',
        'RefresherFunction',
      ].sort(),
    );
    for (const a of acks) expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThan(40);
  });

  it('fails synthesis on an AwsSolutions error (the plugin is wired to block)', () => {
    const bad = new App();
    new Key(new Stack(bad, 'Bad', { env: { region: 'eu-west-1' } }), 'NoRotation');
    Validations.of(bad).addPlugins(new AwsSolutionsChecks(bad));
    expect(() => bad.synth()).toThrow(/AwsSolutions-KMS5/);
  });

  it('refuses a stack without an explicit region', () => {
    expect(() => new PorticoStack(new App(), 'NoRegion', { env: { region: '' } })).toThrow(/explicit region/);
  });
});

describe('key and table', () => {
  it('has a retained customer-managed key with rotation', () => {
    const [key, ...others] = resources('AWS::KMS::Key');
    expect(others).toEqual([]);
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('has an on-demand table with PITR, CMK encryption, TTL, deletion protection, retained', () => {
    const key = resources('AWS::KMS::Key')[0];
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        Replicas: [
          Match.objectLike({
            Region: 'eu-west-1',
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [key.id, 'Arn'] } },
          }),
        ],
      }),
    });
  });

  it('defines the indexes exactly as lib/store/table.ts creates them locally', async () => {
    const db = await freshDb();
    const local = (await db.client.send(new DescribeTableCommand({ TableName: db.tableName }))).Table!;
    const [table] = resources('AWS::DynamoDB::GlobalTable');
    const shape = (gsis: Array<Record<string, unknown>>) =>
      gsis
        .map((g) => ({
          IndexName: g.IndexName,
          KeySchema: g.KeySchema,
          ProjectionType: (g.Projection as { ProjectionType: string }).ProjectionType,
        }))
        .sort((a, b) => String(a.IndexName).localeCompare(String(b.IndexName)));
    expect(shape(table.Properties.GlobalSecondaryIndexes as Array<Record<string, unknown>>)).toEqual(
      shape(local.GlobalSecondaryIndexes as unknown as Array<Record<string, unknown>>),
    );
    expect(shape(local.GlobalSecondaryIndexes as unknown as Array<Record<string, unknown>>)).toEqual([
      { IndexName: 'due', KeySchema: expect.any(Array), ProjectionType: 'KEYS_ONLY' },
      { IndexName: 'list', KeySchema: expect.any(Array), ProjectionType: 'ALL' },
    ]);
    const attrs = (defs: unknown) =>
      (defs as Array<{ AttributeName: string; AttributeType: string }>)
        .map((d) => `${d.AttributeName}:${d.AttributeType}`)
        .sort();
    expect(attrs(table.Properties.AttributeDefinitions)).toEqual(attrs(local.AttributeDefinitions));
  });
});

describe('functions', () => {
  it('runs both functions on Node.js 22, ARM64, with their own one-month log groups', () => {
    const fns = resources('AWS::Lambda::Function');
    expect(fns).toHaveLength(2);
    for (const f of fns) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
    for (const g of resources('AWS::Logs::LogGroup')) expect(g.Properties.RetentionInDays).toBe(30);
    // No AWS managed policy on the functions' roles.
    for (const r of resources('AWS::IAM::Role')) expect(r.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('gives each function only the variables it needs: SANDBOX=0, no secret value', () => {
    const { Api: api, Refresher: refresher } = functionsById();
    const common = [
      'TABLE_NAME',
      'KMS_KEY_ID',
      'PUBLIC_URL',
      'SANDBOX',
      'PROVIDER_SECRETS_ARN',
      'HUBSPOT_CLIENT_ID',
      'DROPBOX_CLIENT_ID',
      'NODE_OPTIONS',
    ];
    expect(Object.keys(envOf(api)).sort()).toEqual([...common, 'ADMIN_API_KEY_SECRET_ARN'].sort());
    expect(Object.keys(envOf(refresher)).sort()).toEqual([...common].sort());
    for (const f of [api, refresher]) {
      const env = envOf(f);
      expect(env.SANDBOX).toBe('0');
      expect(env.HUBSPOT_CLIENT_ID).toBe('hubspot-client-id');
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
      // Secrets are referenced by ARN (a CloudFormation Ref), never inlined.
      for (const [name, value] of Object.entries(env)) {
        if (name.endsWith('_ARN')) expect(value).toMatchObject({ Ref: expect.any(String) });
        expect(name).not.toMatch(/_SECRET$|ADMIN_API_KEY$|PASSWORD|TOKEN|MASTER_KEY/);
      }
      const literals = Object.values(env).filter((v) => typeof v === 'string');
      expect(literals.sort()).toEqual(
        ['0', '--enable-source-maps', 'hubspot-client-id', 'dropbox-client-id'].sort(),
      );
    }
  });

  it('bundles ESM with the createRequire banner, the AWS SDK external, a source map, and no sandbox', () => {
    for (const f of resources('AWS::Lambda::Function')) {
      const hash = String((f.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
      const dir = join(outdir, `asset.${hash}`);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith(lambdaBundling.banner)).toBe(true);
      // Loaded at init with `require` from the runtime's SDK (lib/aws.ts), never bundled.
      expect(code).toMatch(/\("@aws-sdk\/client-dynamodb"\)/);
      expect(code).toMatch(/\("@aws-sdk\/client-secrets-manager"\)/);
      expect(code).not.toContain('__awsSdkBundled');
      const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown;
      };
      expect(map.sourcesContent).toBeUndefined();
      expect(map.sources.some((s) => s.includes('lib/store/db.ts'))).toBe(true);
      expect(
        map.sources.filter((s) => /lib\/sandbox\/|lib\/local\/|node_modules\/dynalite\//.test(s)),
      ).toEqual([]);
      expect(map.sources.filter((s) => s.includes('node_modules/@aws-sdk/'))).toEqual([]);
    }
  });
});

describe('HTTP API', () => {
  it('routes ANY /{proxy+} and ANY / to the API function with payload 2.0', () => {
    const routes = resources('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
    const { Api: api } = functionsById();
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [api.id, 'Arn'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
  });

  it('logs access without query strings or headers, and throttles the default stage', () => {
    const [stage] = resources('AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
    const format = (stage.Properties.AccessLogSettings as { Format: string }).Format;
    expect(JSON.parse(format).requestId).toBe('$context.requestId');
    expect(format).not.toMatch(/querystring|header|authorization/i);
  });

  it('uses the execute-api URL as PUBLIC_URL and outputs it with the OAuth redirect URI', () => {
    const [httpApi] = resources('AWS::ApiGatewayV2::Api');
    const endpoint = { 'Fn::GetAtt': [httpApi.id, 'ApiEndpoint'] };
    expect(envOf(functionsById().Api).PUBLIC_URL).toEqual(endpoint);
    template.hasOutput('ApiUrl', { Value: endpoint });
    template.hasOutput('OAuthRedirectUri', { Value: { 'Fn::Join': ['', [endpoint, '/oauth/callback']] } });
    for (const name of [
      'AdminApiKeySecretArn',
      'ProviderSecretsArn',
      'ApiFunctionName',
      'RefresherFunctionName',
      'TableName',
      'KeyArn',
    ]) {
      template.hasOutput(name, {});
    }
  });
});

describe('schedule, dead letters and alarms', () => {
  it('runs the refresher every minute, with retries and a dead-letter queue', () => {
    const { Refresher: refresher } = functionsById();
    const [queue] = resources('AWS::SQS::Queue');
    const queueArn = { 'Fn::GetAtt': [queue.id, 'Arn'] };
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [refresher.id, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 240 },
          DeadLetterConfig: { Arn: queueArn },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: refresher.id },
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('alarms on API errors, 5xx, throttles, refresher errors and dead letters', () => {
    const { Api: api, Refresher: refresher } = functionsById();
    const alarms = resources('AWS::CloudWatch::Alarm').map((a) => {
      const p = a.Properties as {
        Namespace: string;
        MetricName: string;
        Dimensions: Array<{ Value: unknown }>;
      };
      const target = JSON.stringify(p.Dimensions);
      const who = target.includes(api.id) ? 'api' : target.includes(refresher.id) ? 'refresher' : '';
      return `${p.Namespace} ${p.MetricName} ${who}`.trim();
    });
    expect(alarms.sort()).toEqual(
      [
        'AWS/Lambda Errors api',
        'AWS/Lambda Errors refresher',
        'AWS/Lambda Throttles api',
        'AWS/Lambda Throttles refresher',
        'AWS/ApiGateway 5xx',
        'AWS/SQS ApproximateNumberOfMessagesVisible',
      ].sort(),
    );
  });
});

describe('IAM least privilege', () => {
  it('grants no wildcard action and no wildcard resource', () => {
    const statements = policyStatements();
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      for (const action of asArray(s.Action)) {
        expect(action, JSON.stringify(s)).not.toContain('*');
      }
      for (const resource of asArray(s.Resource)) expect(resource).not.toBe('*');
      expect(s.Effect).toBe('Allow');
    }
  });

  it('lets the CMK be used for data keys only with an encryption context of exactly {tenantId}', () => {
    for (const s of policyStatements()) {
      const actions = asArray(s.Action);
      if (!actions.some((a) => a.startsWith('kms:'))) continue;
      if (s.Sid === 'TableEncryptionViaDynamoDB') {
        // Table encryption at rest: only DynamoDB may use the key, for this table, on the function's behalf.
        expect(actions).toEqual(['kms:Decrypt']);
        expect(s.Condition?.StringEquals).toMatchObject({
          'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com',
          'kms:EncryptionContext:aws:dynamodb:tableName': { Ref: expect.any(String) },
        });
        continue;
      }
      expect(s.Sid).toBe('TenantDataKeys');
      expect(actions.every((a) => a === 'kms:GenerateDataKey' || a === 'kms:Decrypt')).toBe(true);
      expect(s.Condition).toEqual({
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId'] },
        Null: { 'kms:EncryptionContext:tenantId': 'false' },
      });
    }
    const apiKms = policyStatements('ApiRole').find((s) => s.Sid === 'TenantDataKeys')!;
    expect(asArray(apiKms.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const refresherKms = policyStatements('RefresherRole').find((s) => s.Sid === 'TenantDataKeys')!;
    expect(asArray(refresherKms.Action)).toEqual(['kms:Decrypt']);
  });

  it('grants each function exact DynamoDB actions on the table and its indexes', () => {
    const [table] = resources('AWS::DynamoDB::GlobalTable');
    const tableArn = { 'Fn::GetAtt': [table.id, 'Arn'] };
    const index = (name: string) => ({ 'Fn::Join': ['', [tableArn, `/index/${name}`]] });
    const dynamo = (role: string) =>
      policyStatements(role)
        .filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')))
        .map((s) => ({ actions: asArray(s.Action).sort(), resources: asArray(s.Resource) }));
    expect(dynamo('ApiRole')).toEqual([
      {
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: [tableArn],
      },
      { actions: ['dynamodb:Query'], resources: [index('list')] },
    ]);
    expect(dynamo('RefresherRole')).toEqual([
      {
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: [tableArn],
      },
      { actions: ['dynamodb:Query'], resources: [index('due')] },
    ]);
  });

  it('lets only the API function read the admin key; both read the provider secrets', () => {
    const secretIds = Object.fromEntries(
      resources('AWS::SecretsManager::Secret').map((s) => [s.id.replace(/[A-F0-9]{8}$/, ''), s.id]),
    );
    const reads = (role: string) =>
      policyStatements(role)
        .filter((s) => asArray(s.Action).includes('secretsmanager:GetSecretValue'))
        .flatMap((s) => asArray(s.Resource))
        .map((r) => (r as { Ref: string }).Ref)
        .sort();
    expect(reads('ApiRole')).toEqual([secretIds.AdminApiKey, secretIds.ProviderSecrets].sort());
    expect(reads('RefresherRole')).toEqual([secretIds.ProviderSecrets]);
  });

  it('creates the admin key generated and the provider secrets as empty placeholders', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
    const provider = resources('AWS::SecretsManager::Secret').find((s) =>
      s.id.startsWith('ProviderSecrets'),
    )!;
    expect(JSON.parse(String(provider.Properties.SecretString))).toEqual({
      HUBSPOT_CLIENT_SECRET: '',
      DROPBOX_CLIENT_SECRET: '',
    });
  });
});

describe('custom domain', () => {
  it('serves PUBLIC_URL and the redirect URI from the custom domain', () => {
    const other = new App({ outdir: mkdtempSync(join(outRoot, 'cdk.out-')) });
    const stack = new PorticoStack(other, 'PorticoDomain', {
      env: { region: 'us-east-1' },
      customDomain: {
        domainName: 'connect.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      },
      alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:portico-alarms',
    });
    Validations.of(other).addPlugins(new AwsSolutionsChecks(other));
    try {
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'connect.example.com' });
      t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
      t.hasOutput('OAuthRedirectUri', { Value: 'https://connect.example.com/oauth/callback' });
      for (const f of Object.values(t.findResources('AWS::Lambda::Function')) as Resource[]) {
        expect(envOf(f).PUBLIC_URL).toBe('https://connect.example.com');
        expect(envOf(f).HUBSPOT_CLIENT_ID).toBeUndefined();
      }
      for (const a of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Resource[]) {
        expect(a.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:111122223333:portico-alarms']);
      }
    } finally {
      rmSync(other.outdir, { recursive: true, force: true });
    }
  });
});

describe('the synthesized bundles run', () => {
  it('serves the fixtures and runs the sweep from the deployed artifacts', async () => {
    const { fixture, startLambdaWorld } = await import('../functions/lambda-env.js');
    const world = await startLambdaWorld();
    // The bundle must find the static.json the bundling step wrote beside it, not the test's own.
    delete process.env.PORTICO_STATIC_CONTENT;
    try {
      const { Api: api, Refresher: refresher } = functionsById();
      const load = async (f: Resource) => {
        const hash = String((f.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
        const file = join(outdir, `asset.${hash}`, 'index.mjs');
        expect(existsSync(file)).toBe(true);
        return (await import(pathToFileURL(file).href)) as {
          handler: (event: unknown, context?: unknown) => Promise<unknown>;
        };
      };
      const apiHandler = (await load(api)).handler;
      const health = (await apiHandler(fixture('healthz.json'))) as { statusCode: number; body: string };
      expect(health.statusCode).toBe(200);
      const created = (await apiHandler(fixture('create-tenant.json'))) as {
        statusCode: number;
        body: string;
      };
      expect(created.statusCode).toBe(201);
      expect(JSON.parse(created.body).apiKey).toMatch(/^ptk_/);

      // The admin console, SDK and reference come from the asset's static.json.
      const get = async (path: string) => {
        const event = fixture<Record<string, unknown> & { requestContext: { http: { path: string } } }>(
          'healthz.json',
        );
        event.rawPath = path;
        event.requestContext.http.path = path;
        event.pathParameters = { proxy: path.slice(1) };
        return (await apiHandler(event)) as {
          statusCode: number;
          body: string;
          headers: Record<string, string>;
          isBase64Encoded: boolean;
        };
      };
      const decode = (r: { body: string; isBase64Encoded: boolean }) =>
        r.isBase64Encoded ? Buffer.from(r.body, 'base64').toString('utf8') : r.body;
      const openapi = await get('/openapi.json');
      expect(openapi.statusCode).toBe(200);
      expect(JSON.parse(decode(openapi)).paths['/v1/tenants']).toBeDefined();
      const admin = await get('/admin');
      expect(admin.statusCode).toBe(200);
      expect(decode(admin)).toContain('/admin/app.js?v=');
      const sdk = await get('/sdk/connect.js');
      expect(sdk.statusCode).toBe(200);
      expect(decode(sdk)).toContain('export');

      const sweep = await (await load(refresher)).handler(fixture('scheduled-event.json'));
      expect(sweep).toEqual({
        read: 0,
        refreshed: 0,
        failed: 0,
        webhooks: { delivered: 0, retried: 0, dead: 0 },
      });
    } finally {
      await world.close();
    }
  });
});
