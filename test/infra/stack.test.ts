import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellCommand } from '../../infra/api.js';
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
      'AwsSolutions::AwsSolutions-L1',
      'AwsSolutions::AwsSolutions-SMG4',
      'AwsSolutions::AwsSolutions-SQS3',
    ]);
    // Where: the two secrets, the two dead-letter queues and the three functions.
    expect(acks.map((a) => a.path.replace(/^Portico\//, '')).sort()).toEqual(
      [
        'AdminApiKey',
        'ProviderSecrets',
        'RefresherDeadLetters',
        'RevocationDeadLetters',
        'ApiFunction',
        'RefresherFunction',
        'RevokerFunction',
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
      { IndexName: 'filter1', KeySchema: expect.any(Array), ProjectionType: 'ALL' },
      { IndexName: 'filter2', KeySchema: expect.any(Array), ProjectionType: 'ALL' },
      { IndexName: 'filter3', KeySchema: expect.any(Array), ProjectionType: 'ALL' },
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
  it('runs the three functions on Node.js 24, ARM64, with their own one-month log groups', () => {
    const fns = resources('AWS::Lambda::Function');
    expect(fns).toHaveLength(3);
    for (const f of fns) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
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
    const { Api: api, Refresher: refresher, Revoker: revoker } = functionsById();
    const common = [
      'TABLE_NAME',
      'KMS_KEY_ID',
      'SANDBOX',
      'PROVIDER_SECRETS_ARN',
      'HUBSPOT_CLIENT_ID',
      'DROPBOX_CLIENT_ID',
    ];
    // The API function learns its URL from its first request (its own URL would be a cycle);
    // the refresher is given it. Both are given their metrics dimension.
    expect(Object.keys(envOf(api)).sort()).toEqual(
      [...common, 'ADMIN_API_KEY_SECRET_ARN', 'PUBLIC_URL_FROM', 'METRICS_SERVICE'].sort(),
    );
    expect(Object.keys(envOf(refresher)).sort()).toEqual([...common, 'PUBLIC_URL', 'METRICS_SERVICE'].sort());
    expect(Object.keys(envOf(revoker)).sort()).toEqual([...common, 'PUBLIC_URL'].sort());
    const own = { Api: ['function-url', 'Portico'], Refresher: ['Portico'], Revoker: [] };
    for (const [name, f] of [
      ['Api', api],
      ['Refresher', refresher],
      ['Revoker', revoker],
    ] as const) {
      const env = envOf(f);
      expect(env.SANDBOX).toBe('0');
      expect(env.HUBSPOT_CLIENT_ID).toBe('hubspot-client-id');
      // Source maps are applied by the logger when it logs an error, not parsed at every cold start.
      expect(env.NODE_OPTIONS).toBeUndefined();
      // Secrets are referenced by ARN (a CloudFormation Ref), never inlined.
      for (const [name, value] of Object.entries(env)) {
        if (name.endsWith('_ARN')) expect(value).toMatchObject({ Ref: expect.any(String) });
        expect(name).not.toMatch(/_SECRET$|ADMIN_API_KEY$|PASSWORD|TOKEN|MASTER_KEY/);
      }
      const literals = Object.values(env).filter((v) => typeof v === 'string');
      expect(literals.sort()).toEqual(['0', 'hubspot-client-id', 'dropbox-client-id', ...own[name]].sort());
    }
  });

  it('bundles ESM with the createRequire banner, the AWS SDK external, a source map, and no sandbox', () => {
    for (const f of resources('AWS::Lambda::Function')) {
      const hash = String((f.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
      const dir = join(outdir, `asset.${hash}`);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8').startsWith(lambdaBundling.banner)).toBe(true);
      // What a cold start loads: index.mjs and the chunks it imports statically (not `import()`).
      const files = atInit(dir, 'index.mjs');
      const code = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
      // Loaded at init with `require` from the runtime's SDK (lib/aws.ts), never bundled.
      expect(code).toMatch(/\("@aws-sdk\/client-dynamodb"\)/);
      expect(code).toMatch(/\("@aws-sdk\/client-secrets-manager"\)/);
      expect(code).not.toContain('__awsSdkBundled');
      const maps = files.map(
        (f) =>
          JSON.parse(readFileSync(join(dir, `${f}.map`), 'utf8')) as {
            sources: string[];
            sourcesContent?: unknown;
          },
      );
      const sources = maps.flatMap((m) => m.sources);
      expect(maps.every((m) => m.sourcesContent === undefined)).toBe(true);
      expect(sources.some((s) => s.includes('lib/store/db.ts'))).toBe(true);
      expect(sources.filter((s) => /lib\/sandbox\/|lib\/local\/|node_modules\/dynalite\//.test(s))).toEqual(
        [],
      );
      expect(sources.filter((s) => s.includes('node_modules/@aws-sdk/'))).toEqual([]);
    }
  });
});

/** `file` (relative to `dir`) and the chunks it imports statically, transitively: not those of `import()`. */
function atInit(dir: string, file: string, seen = new Set<string>()): string[] {
  seen.add(file);
  const code = readFileSync(join(dir, file), 'utf8');
  for (const m of code.matchAll(
    /(?:^|[;}\s])import\s*(?:[\w$*{][^"'();]*?from\s*)?["'](\.\.?\/[^"']+\.mjs)["']/g,
  )) {
    const next = join(dirname(file), m[1]);
    if (!seen.has(next)) atInit(dir, next, seen);
  }
  return [...seen];
}

describe('the API bundle is split', () => {
  it("leaves the Avro decoder, the proxy's client and jose out of index.mjs, in chunks that load", async () => {
    const { Api: api } = functionsById();
    const hash = String((api.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const dir = join(outdir, `asset.${hash}`);
    const sources = (file: string) =>
      (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources;
    expect(
      sources(join(dir, 'index.mjs')).filter((s) =>
        /lib\/avro\/|node_modules\/jose\/|lib\/providers\/(keep-alive|proxy)\.ts/.test(s),
      ),
    ).toEqual([]);
    const chunks = readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.mjs'));
    const avro = chunks.find((f) => f.startsWith('avro-'));
    const jwt = chunks.find((f) => f.startsWith('jwt-'));
    const proxy = chunks.find((f) => f.startsWith('proxy-'));
    expect(
      proxy && sources(join(dir, 'chunks', proxy)).some((s) => s.includes('lib/providers/keep-alive.ts')),
    ).toBe(true);
    expect(
      avro && sources(join(dir, 'chunks', avro)).some((s) => s.includes('lib/avro/row-decoder.ts')),
    ).toBe(true);
    expect(jwt && sources(join(dir, 'chunks', jwt)).some((s) => s.includes('node_modules/jose/'))).toBe(true);
    // Each chunk resolves what it shares with index.mjs (errors, helpers) from it, as in Lambda:
    // the runtime loads index.mjs (with its `awslambda` global defined), then the chunks load.
    const { startStreamingRuntime } = await import('../functions/streaming-runtime.js');
    const runtime = await startStreamingRuntime();
    try {
      const index = await import(pathToFileURL(join(dir, 'index.mjs')).href);
      expect(typeof index.handler).toBe('function');
      for (const chunk of [avro, jwt, proxy]) {
        const mod = (await import(pathToFileURL(join(dir, 'chunks', String(chunk))).href)) as object;
        expect(Object.keys(mod).length).toBeGreaterThan(0);
      }
    } finally {
      await runtime.close();
    }
  });
});

describe('the API front: a function URL in response-streaming mode', () => {
  it('serves the API function from a function URL that streams, with the app doing authentication', () => {
    const { Api: api } = functionsById();
    const [url, ...others] = resources('AWS::Lambda::Url');
    expect(others).toEqual([]);
    expect(url.Properties).toEqual({
      AuthType: 'NONE',
      InvokeMode: 'RESPONSE_STREAM',
      TargetFunctionArn: { 'Fn::GetAtt': [api.id, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: { 'Fn::GetAtt': [api.id, 'Arn'] },
      FunctionUrlAuthType: 'NONE',
      Principal: '*',
    });
    // Public function URLs also need lambda:InvokeFunction, limited to calls through the URL.
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [api.id, 'Arn'] },
      InvokedViaFunctionUrl: true,
      Principal: '*',
    });
    // No API Gateway in front: nothing buffers the answer, and no execute-api endpoint exists.
    expect(Object.keys(template.toJSON().Resources).length).toBeGreaterThan(10);
    for (const r of Object.values(template.toJSON().Resources) as Resource[]) {
      expect(r.Type).not.toMatch(/^AWS::ApiGateway/);
    }
    expect(JSON.stringify(template.toJSON())).not.toContain('execute-api');
  });

  it('gives the API function the 15 minutes a stream may last, the refresher 4', () => {
    const { Api: api, Refresher: refresher } = functionsById();
    expect(api.Properties.Timeout).toBe(900);
    expect(api.Properties.MemorySize).toBe(1024);
    expect(refresher.Properties.Timeout).toBe(240);
  });

  it('caps the API at 100 concurrent requests across instances: the outer limit, before any code runs', () => {
    const { Api: api, Refresher: refresher } = functionsById();
    expect(api.Properties.ReservedConcurrentExecutions).toBe(100);
    expect(refresher.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('uses the function URL (without its trailing slash) as PUBLIC_URL and outputs it with the OAuth redirect URI', () => {
    const [url] = resources('AWS::Lambda::Url');
    const base = {
      'Fn::Join': [
        '',
        [
          'https://',
          { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [url.id, 'FunctionUrl'] }] }] },
        ],
      ],
    };
    expect(envOf(functionsById().Refresher).PUBLIC_URL).toEqual(base);
    template.hasOutput('ApiUrl', { Value: base });
    template.hasOutput('OAuthRedirectUri', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [url.id, 'FunctionUrl'] }] }] },
            '/oauth/callback',
          ],
        ],
      },
    });
    for (const name of [
      'FunctionUrl',
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

  it('quotes the bundling hook for the shell CDK runs it with: bash -c, or cmd /c on Windows', () => {
    const args = [String.raw`C:\Program Files\nodejs\node.exe`, String.raw`C:\Users\o'neil\$repo\x.ts`];
    expect(shellCommand(args, 'win32')).toBe(
      String.raw`"C:\Program Files\nodejs\node.exe" "C:\Users\o'neil\$repo\x.ts"`,
    );
    expect(() => shellCommand(['a"b'], 'win32')).toThrow(/double quote/);
    expect(shellCommand(['/opt/my node/node', "/home/o'neil/$x"], 'linux')).toBe(
      `'/opt/my node/node' '/home/o'\\''neil/$x'`,
    );
  });
});

describe('schedule, dead letters and alarms', () => {
  it('runs the refresher every minute, with retries and a dead-letter queue', () => {
    const { Refresher: refresher } = functionsById();
    const queue = resources('AWS::SQS::Queue').find((q) => q.id.startsWith('RefresherDeadLetters'))!;
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

  it('feeds the revocation worker from an SQS queue every minute, with a dead-letter queue', () => {
    const { Revoker: revoker } = functionsById();
    const queues = Object.fromEntries(
      resources('AWS::SQS::Queue').map((q) => [q.id.replace(/[A-F0-9]{8}$/, ''), q]),
    );
    const queue = queues.RevocationQueue;
    const dlq = queues.RevocationDeadLetters;
    const arn = (q: { id: string }) => ({ 'Fn::GetAtt': [q.id, 'Arn'] });
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: arn(dlq), maxReceiveCount: 3 },
    });
    // Longer than a run (2 min), so no second worker gets a message while the first runs.
    expect(Number(queue.Properties.VisibilityTimeout)).toBeGreaterThan(Number(revoker.Properties.Timeout));
    expect(revoker.Properties.Timeout).toBe(120);
    expect(dlq.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: revoker.id },
      EventSourceArn: arn(queue),
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: arn(queue),
          Input: JSON.stringify({ kind: 'revocations' }),
          DeadLetterConfig: { Arn: arn(dlq) },
        }),
      ],
    });
    // Only the schedule may send to it, and only over TLS.
    const rule = resources('AWS::Events::Rule').find((r) => r.id.startsWith('RevocationSchedule'))!;
    const policy = resources('AWS::SQS::QueuePolicy').find((p) =>
      JSON.stringify(p.Properties.Queues).includes(queue.id),
    )!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(statements[1]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule.id, 'Arn'] } } },
    });
    expect(asArray(statements[1].Action)).toContain('sqs:SendMessage');
  });

  it('alarms on API errors, 5xx, throttles, refresher errors, dead letters, failed refreshes and dead webhooks', () => {
    const { Api: api, Refresher: refresher, Revoker: revoker } = functionsById();
    const alarms = resources('AWS::CloudWatch::Alarm').map((a) => {
      const p = a.Properties as {
        Namespace: string;
        MetricName: string;
        Dimensions: Array<{ Name: string; Value: unknown }>;
      };
      const target = JSON.stringify(p.Dimensions);
      const who = target.includes(api.id)
        ? 'api'
        : target.includes(refresher.id)
          ? 'refresher'
          : target.includes(revoker.id)
            ? 'revoker'
            : target.includes('RevocationDeadLetters')
              ? 'revocation dead letters'
              : target.includes('RefresherDeadLetters')
                ? 'refresher dead letters'
                : p.Dimensions.map((d) =>
                    typeof d.Value === 'string' ? `${d.Name}=${d.Value}` : d.Name,
                  ).join(',');
      return `${p.Namespace} ${p.MetricName} ${who}`.trim();
    });
    expect(alarms.sort()).toEqual(
      [
        'AWS/Lambda Errors api',
        'AWS/Lambda Errors refresher',
        'AWS/Lambda Throttles api',
        'AWS/Lambda Throttles refresher',
        'AWS/Lambda Url5xxCount api',
        'AWS/Lambda Errors revoker',
        'AWS/SQS ApproximateNumberOfMessagesVisible refresher dead letters',
        'AWS/SQS ApproximateNumberOfMessagesVisible revocation dead letters',
        // lib/metrics.ts, published by the refresher with its stack's name as `Service`.
        'Portico RefreshFailures Service=Portico',
        'Portico WebhooksDeadLettered Service=Portico',
      ].sort(),
    );
    for (const name of ['RefreshFailures', 'WebhooksDeadLettered']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Portico',
        MetricName: name,
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
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
    // The revocation worker opens grants with the key moved into the job; it never makes one.
    const revokerKms = policyStatements('RevokerRole').find((s) => s.Sid === 'TenantDataKeys')!;
    expect(asArray(revokerKms.Action)).toEqual(['kms:Decrypt']);
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
      {
        actions: ['dynamodb:Query'],
        resources: [index('list'), index('filter1'), index('filter2'), index('filter3')],
      },
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
    expect(dynamo('RevokerRole')).toEqual([
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
    // Its queue: receive and delete only (the event source mapping's own grant), on that queue.
    const sqs = policyStatements('RevokerRole').filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('sqs:')),
    );
    expect(sqs).toHaveLength(1);
    expect(asArray(sqs[0].Action).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    const revocationQueue = resources('AWS::SQS::Queue').find((q) => q.id.startsWith('RevocationQueue'))!;
    expect(sqs[0].Resource).toEqual({ 'Fn::GetAtt': [revocationQueue.id, 'Arn'] });
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
    expect(reads('RevokerRole')).toEqual([secretIds.ProviderSecrets]);
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
  const certificateArn =
    'arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

  it('serves the domain through CloudFront from the function URL, PUBLIC_URL and the redirect URI on it', () => {
    const other = new App({ outdir: mkdtempSync(join(outRoot, 'cdk.out-')) });
    const stack = new PorticoStack(other, 'PorticoDomain', {
      env: { region: 'eu-west-1' },
      customDomain: { domainName: 'connect.example.com', certificateArn },
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:portico-alarms',
      apiConcurrency: 0,
    });
    Validations.of(other).addPlugins(new AwsSolutionsChecks(other));
    try {
      const t = Template.fromStack(stack);
      const [url] = Object.keys(t.findResources('AWS::Lambda::Url'));
      // apiConcurrency 0: no reserved concurrency, the account's shared pool.
      const fns = Object.entries(t.findResources('AWS::Lambda::Function') as Record<string, Resource>);
      const uncapped = fns.find(([id]) => id.startsWith('ApiFunction'))?.[1];
      expect(uncapped?.Properties.ReservedConcurrentExecutions).toBeUndefined();
      const [distribution] = Object.values(t.findResources('AWS::CloudFront::Distribution')) as Resource[];
      const config = distribution!.Properties.DistributionConfig as Record<string, unknown>;
      expect(config).toMatchObject({
        Aliases: ['connect.example.com'],
        Enabled: true,
        ViewerCertificate: { AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021' },
        DefaultCacheBehavior: {
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
          // Managed policies: CachingDisabled, and AllViewerExceptHostHeader, which forwards the
          // viewer's Authorization header when nothing is cached.
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
          Compress: false,
        },
      });
      const [origin] = config.Origins as Array<Record<string, unknown>>;
      expect(origin).toMatchObject({
        DomainName: { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [url, 'FunctionUrl'] }] }] },
        CustomOriginConfig: {
          OriginProtocolPolicy: 'https-only',
          OriginSSLProtocols: ['TLSv1.2'],
          OriginReadTimeout: 60,
        },
      });
      // Only CloudFront knows the origin header's value: a generated secret, resolved at deploy
      // time (a dynamic reference, never the value in the template), and the API function reads it.
      const [originSecret] = Object.keys(t.findResources('AWS::SecretsManager::Secret')).filter((id) =>
        id.startsWith('OriginSecret'),
      );
      expect(originSecret).toBeDefined();
      const headers = (origin as { OriginCustomHeaders: Array<{ HeaderName: string; HeaderValue: unknown }> })
        .OriginCustomHeaders;
      expect(headers.map((h) => h.HeaderName)).toEqual(['x-portico-origin']);
      expect(JSON.stringify(headers[0].HeaderValue)).toContain('{{resolve:secretsmanager:');
      expect(JSON.stringify(headers[0].HeaderValue)).toContain(originSecret);
      const apiFn = Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('Api'),
      )![1] as Resource;
      expect(envOf(apiFn).ORIGIN_SECRET_ARN).toEqual({ Ref: originSecret });
      const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
      expect(policies).toContain(`"Resource":{"Ref":"${originSecret}"}`);
      t.hasOutput('OAuthRedirectUri', { Value: 'https://connect.example.com/oauth/callback' });
      t.hasOutput('CustomDomainTarget', {});
      for (const f of Object.values(t.findResources('AWS::Lambda::Function')) as Resource[]) {
        expect(envOf(f).PUBLIC_URL).toBe('https://connect.example.com');
        expect(envOf(f).PUBLIC_URL_FROM).toBeUndefined();
        expect(envOf(f).HUBSPOT_CLIENT_ID).toBeUndefined();
      }
      // No API Gateway, so no execute-api endpoint serving the app at a second origin.
      expect(JSON.stringify(t.toJSON())).not.toContain('execute-api');
      for (const a of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Resource[]) {
        expect(a.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:111122223333:portico-alarms']);
      }
      const report = JSON.parse(readFileSync(join(other.outdir, 'validation-report.json'), 'utf8'));
      expect((report.pluginReports as Array<{ violations: unknown[] }>).flatMap((r) => r.violations)).toEqual(
        [],
      );
    } finally {
      rmSync(other.outdir, { recursive: true, force: true });
    }
  });

  it('refuses a certificate outside us-east-1, which CloudFront cannot use', () => {
    expect(
      () =>
        new PorticoStack(new App(), 'WrongRegion', {
          env: { region: 'eu-west-1' },
          customDomain: {
            domainName: 'connect.example.com',
            certificateArn: certificateArn.replace('us-east-1', 'eu-west-1'),
          },
        }),
    ).toThrow(/us-east-1/);
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
      // The API bundle is a streaming handler: driven through the runtime's response stream.
      const { startStreamingRuntime } = await import('../functions/streaming-runtime.js');
      const runtime = await startStreamingRuntime({ keepBody: true });
      const apiHandler = (await load(api)).handler;
      type Answer = { statusCode: number; body: string; headers: Record<string, string> };
      const call = async (event: unknown): Promise<Answer> => {
        const a = await runtime.invoke(apiHandler, event);
        return { statusCode: a.statusCode, headers: a.headers, body: a.body?.toString('utf8') ?? '' };
      };
      try {
        const health = await call(fixture('healthz.json'));
        expect(health.statusCode).toBe(200);
        const created = await call(fixture('create-tenant.json'));
        expect(created.statusCode).toBe(201);
        expect(JSON.parse(created.body).apiKey).toMatch(/^ptk_/);

        // The admin console, SDK and reference come from the asset's static.json.
        const get = async (path: string) => {
          const event = fixture<Record<string, unknown> & { requestContext: { http: { path: string } } }>(
            'function-url-healthz.json',
          );
          event.rawPath = path;
          event.requestContext.http.path = path;
          return call(event);
        };
        const openapi = await get('/openapi.json');
        expect(openapi.statusCode).toBe(200);
        expect(JSON.parse(openapi.body).paths['/v1/tenants']).toBeDefined();
        const admin = await get('/admin');
        expect(admin.statusCode).toBe(200);
        expect(admin.body).toContain('/admin/app.js?v=');
        const sdk = await get('/sdk/connect.js');
        expect(sdk.statusCode).toBe(200);
        expect(sdk.body).toContain('export');
      } finally {
        await runtime.close();
      }

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

describe('dashboard', () => {
  it("draws Portico's own metrics and the functions' beside the alarms", () => {
    const dashboards = resources('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe('Portico-operations');
    // The body is a CloudFormation Join of JSON pieces around the functions' names.
    const body = JSON.stringify(dashboards[0].Properties.DashboardBody);
    for (const name of [
      'Refreshes',
      'RefreshFailures',
      'TokenReads',
      'DataCalls',
      'ProviderErrors',
      'ProviderLatency',
      'KmsCalls',
      'WebhooksDeadLettered',
    ]) {
      // Each under the Portico namespace with this stack's Service dimension.
      expect(body, name).toContain(`[\\"Portico\\",\\"${name}\\",\\"Service\\",\\"Portico\\"`);
    }
    expect(body).toContain('p99');
    const fns = functionsById();
    for (const fn of [fns.Api, fns.Refresher]) expect(fn).toBeDefined();
    expect(body).toMatch(/AWS\/Lambda\\",\\"Errors/);
    // The alarms stay as they were, beside it.
    expect(resources('AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(8);
  });
});
