import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStaticContent } from '../../infra/write-static.js';
import { closeEmbeddedDynamo, embeddedDynamo, freshDb } from '../helpers/dynamo.js';
import { type FakeKms, startKmsServer } from '../helpers/kms-server.js';
import { type FakeSecretsManager, startSecretsManager } from './secrets-manager-server.js';

/** The admin key the fixtures carry (`create-tenant.json`), served by the fake Secrets Manager. */
export const fixtureAdminKey = 'pak_fixtureAdminKey_0123456789abcdefghijklmnop';
export const adminKeyArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:PorticoAdminApiKey-AbCdEf';
export const providerSecretsArn =
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:PorticoProviderSecrets-GhIjKl';

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export interface LambdaWorld {
  kms: FakeKms;
  secrets: FakeSecretsManager;
  tableName: string;
  dynamoEndpoint: string;
  /** The environment set on the process: the stack's variables plus SDK endpoint overrides. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * What a deployed function sees, on loopback: `static.json` as the bundling step writes it, the environment the stack sets (TABLE_NAME,
 * KMS_KEY_ID, PUBLIC_URL, SANDBOX=0, client ids, secret ARNs), with the real SDK clients pointed
 * by `AWS_ENDPOINT_URL_<SERVICE>` at the embedded DynamoDB, the KMS loopback server and a
 * Secrets Manager loopback server. The previous environment comes back on close().
 */
export async function startLambdaWorld(): Promise<LambdaWorld> {
  const [dynamo, kms, secrets] = await Promise.all([
    embeddedDynamo(),
    startKmsServer(),
    startSecretsManager({
      [adminKeyArn]: fixtureAdminKey,
      [providerSecretsArn]: JSON.stringify({
        HUBSPOT_CLIENT_SECRET: 'hs-client-secret-fixture',
        DROPBOX_CLIENT_SECRET: 'db-client-secret-fixture',
      }),
    }),
  ]);
  const db = await freshDb(dynamo.endpoint);
  // functions/api.ts run from source finds its build-time content here (the CDK bundling step
  // writes it beside the bundle instead).
  const staticDir = mkdtempSync(join(tmpdir(), 'portico-static-'));
  await writeStaticContent(join(staticDir, 'static.json'));
  const env: Record<string, string> = {
    PORTICO_STATIC_CONTENT: join(staticDir, 'static.json'),
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    TABLE_NAME: db.tableName,
    KMS_KEY_ID: kms.keyId,
    PUBLIC_URL: 'https://r4nd0m1d2x.execute-api.eu-west-1.amazonaws.com',
    SANDBOX: '0',
    HUBSPOT_CLIENT_ID: 'hs-client-id-fixture',
    DROPBOX_CLIENT_ID: 'db-client-id-fixture',
    ADMIN_API_KEY_SECRET_ARN: adminKeyArn,
    PROVIDER_SECRETS_ARN: providerSecretsArn,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return {
    kms,
    secrets,
    tableName: db.tableName,
    dynamoEndpoint: dynamo.endpoint,
    env,
    async close() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(staticDir, { recursive: true, force: true });
      await Promise.all([kms.close(), secrets.close(), closeEmbeddedDynamo()]);
    },
  };
}
