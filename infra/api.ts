import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { FunctionUrlOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { originHeaderName } from '../lib/config.js';
import { keys } from '../lib/store/table.js';
import type { PorticoData } from './data.js';
import { entry, grantTableEncryption, grantTenantDataKeys, porticoFunction, repoRoot } from './function.js';
import { PorticoSecrets } from './secrets.js';

export interface CustomDomain {
  domainName: string;
  /** An ACM certificate for `domainName` in us-east-1 (CloudFront's certificates live there). */
  certificateArn: string;
}

/**
 * How long one request may run: Lambda response streaming's own ceiling, so that a 200 MB
 * stream at the 2 MB/s that follows its first 6 MB (about 100 s) or a slow provider fits.
 */
export const apiTimeout = Duration.minutes(15);

/**
 * The outer limit on the API (issue 14): at most this many requests run at once, across every
 * instance; Lambda answers the ones beyond it `429` at the function URL before any code runs.
 * The app's own per-key limit (lib/http/rate-limit.ts) counts in each instance, so it is the
 * fair share between keys, and this is the ceiling on the whole. Reserving it needs an account
 * whose concurrency limit leaves 100 unreserved beside it (the default limit is 1,000).
 */
export const defaultApiConcurrency = 100;

/**
 * The API function (`ApiFunction`: the Hono app, functions/api.ts, answering through Lambda
 * response streaming) with exactly the grants it uses: the table's items, the `list` index,
 * tenant data keys (create and open), the table's encryption through DynamoDB, and both secrets.
 * `publicUrl` is the custom domain's URL; without one the function takes its function URL from
 * the first request (`PUBLIC_URL_FROM=function-url`, functions/runtime.ts), since its own URL in
 * its environment would be a CloudFormation cycle.
 */
export function apiFunction(
  scope: Construct,
  options: {
    data: PorticoData;
    secrets: PorticoSecrets;
    environment: Record<string, string>;
    publicUrl?: string;
    region: string;
    /** See {@link defaultApiConcurrency}; 0 leaves the function on the account's shared pool. */
    reservedConcurrency?: number;
  },
): NodejsFunction {
  const { data, secrets } = options;
  const fn = porticoFunction(scope, 'Api', {
    entry: entry('api'),
    description: 'Portico HTTP API (Hono, response streaming)',
    memorySize: 1024,
    timeout: apiTimeout,
    reservedConcurrentExecutions:
      (options.reservedConcurrency ?? defaultApiConcurrency) > 0
        ? (options.reservedConcurrency ?? defaultApiConcurrency)
        : undefined,
    environment: {
      ...options.environment,
      ...(options.publicUrl ? { PUBLIC_URL: options.publicUrl } : { PUBLIC_URL_FROM: 'function-url' }),
      ADMIN_API_KEY_SECRET_ARN: secrets.adminKey.secretArn,
      // The `Service` dimension of the metrics it publishes (lib/metrics.ts; infra/dashboard.ts).
      METRICS_SERVICE: Stack.of(scope).stackName,
    },
    // The bundle rebuilt split, its on-demand chunks beside it (infra/split-bundle.ts). The admin
    // console, browser SDK and API reference ship beside it too, read on first use
    // (lib/http/ui/content.ts), instead of being code every cold start loads.
    afterBundling: (outputDir) => [
      shellCommand([
        process.execPath,
        `${repoRoot}node_modules/tsx/dist/cli.mjs`,
        `${repoRoot}infra/split-bundle.ts`,
        entry('api'),
        outputDir,
      ]),
      shellCommand([
        process.execPath,
        `${repoRoot}node_modules/tsx/dist/cli.mjs`,
        `${repoRoot}infra/write-static.ts`,
        `${outputDir}/static.json`,
      ]),
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
  // The API pages tenants through the `list` index and filters lists through the filter
  // indexes (lib/store/table.ts); only the sweep reads `due`.
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'ListIndex',
      actions: ['dynamodb:Query'],
      resources: [data.indexArn(keys.listIndex), ...keys.filterIndexes.map((name) => data.indexArn(name))],
    }),
  );
  grantTenantDataKeys(fn, data, ['kms:GenerateDataKey', 'kms:Decrypt']);
  grantTableEncryption(fn, data, options.region);
  PorticoSecrets.grantRead(fn, secrets.adminKey, 'AdminKey');
  PorticoSecrets.grantRead(fn, secrets.providerSecrets, 'ProviderSecrets');
  return fn;
}

/**
 * One command line for the hook CDK runs after bundling, quoted for the shell CDK runs it with:
 * `bash -c` on Linux and macOS (single quotes: a path may hold spaces or `$`), `cmd /c` on
 * Windows (double quotes; a Windows path cannot hold `"`).
 */
export function shellCommand(args: string[], platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    return args
      .map((arg) => {
        if (arg.includes('"')) throw new Error(`A path with a double quote cannot be passed to cmd: ${arg}`);
        return `"${arg}"`;
      })
      .join(' ');
  }
  return args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
}

/** Refuses, before anything is built, a certificate CloudFront cannot use (one outside us-east-1). */
export function assertCloudFrontCertificate(customDomain: CustomDomain): void {
  const region = customDomain.certificateArn.split(':')[3];
  if (!Token.isUnresolved(customDomain.certificateArn) && region !== 'us-east-1') {
    throw new Error(
      `The custom domain's certificate must be in us-east-1 (CloudFront's), not ${region}: ${customDomain.certificateArn}`,
    );
  }
}

/**
 * The public front of the API function: its function URL (`ApiFunctionUrl`) in RESPONSE_STREAM
 * mode, so every answer streams (downloads, NDJSON) past a buffered answer's 6 MB and for as long
 * as the function runs. Authentication is the app's own (bearer keys, sessions), hence no IAM
 * auth on the URL. With a custom domain, a CloudFront distribution (`Distribution`) serves the
 * domain from that URL, caching nothing and forwarding every header but Host (the viewer's
 * Authorization included, which CloudFront allows when caching is off). It adds a header whose
 * value only it and the function know (`OriginSecret`, generated by Secrets Manager), and the app
 * refuses requests without it, so the function URL serves nobody who goes around the domain, where
 * cookies, PUBLIC_URL and the redirect URI would not match. (CloudFront's origin access control
 * for function URLs would sign requests itself, replacing the viewer's Authorization header.)
 */
export class ApiFront {
  readonly url: FunctionUrl;
  readonly distribution?: Distribution;
  /** The base URL: the custom domain's, else the function URL without its trailing slash. */
  readonly publicUrl: string;
  /** With a custom domain: the value of the header only CloudFront sends the function URL. */
  readonly originSecret?: Secret;

  constructor(scope: Construct, fn: NodejsFunction, customDomain: CustomDomain | undefined) {
    this.url = new FunctionUrl(scope, 'ApiFunctionUrl', {
      function: fn,
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.RESPONSE_STREAM,
    });
    if (!customDomain) {
      this.publicUrl = `https://${Fn.select(2, Fn.split('/', this.url.url))}`;
      return;
    }
    assertCloudFrontCertificate(customDomain);
    this.publicUrl = `https://${customDomain.domainName}`;
    this.originSecret = new Secret(scope, 'OriginSecret', {
      description: 'Portico: the header value CloudFront sends the API function URL (nobody else knows it)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    fn.addEnvironment('ORIGIN_SECRET_ARN', this.originSecret.secretArn);
    PorticoSecrets.grantRead(fn, this.originSecret, 'OriginSecret');
    this.distribution = new Distribution(scope, 'Distribution', {
      comment: 'Portico: the custom domain, served from the API function URL (response streaming)',
      domainNames: [customDomain.domainName],
      certificate: Certificate.fromCertificateArn(scope, 'Certificate', customDomain.certificateArn),
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        // HTTPS only, TLS 1.2 (what FunctionUrlOrigin always sets).
        origin: new FunctionUrlOrigin(this.url, {
          // Between two bytes of an answer (a provider slow to start a download); 60 s is the
          // most CloudFront allows without a quota increase.
          readTimeout: Duration.seconds(60),
          // A CloudFormation dynamic reference: the value is resolved at deploy time, never in the template.
          customHeaders: { [originHeaderName]: this.originSecret.secretValue.unsafeUnwrap() },
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: false,
      },
    });
  }
}
