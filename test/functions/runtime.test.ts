import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deferredApp,
  lambdaServices,
  loadLambdaEnv,
  once,
  SecretUnavailableError,
  secretsClient,
  withFunctionUrl,
} from '../../functions/runtime.js';
import { loadConfig } from '../../lib/config.js';
import { ConfigError } from '../../lib/errors.js';
import { createApp } from '../../lib/http/index.js';
import { builtStaticContent } from '../../lib/http/ui/build.js';
import { adminKeyArn, providerSecretsArn } from './lambda-env.js';
import { type FakeSecretsManager, startSecretsManager } from './secrets-manager-server.js';

let sm: FakeSecretsManager;
let client: SecretsManagerClient;
const adminKey = 'pak_runtimeTestAdminKey_abcdefghijklmnopqrstu';

const clientFor = (endpoint: string) =>
  new SecretsManagerClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'example' },
    maxAttempts: 1,
  });

beforeAll(async () => {
  sm = await startSecretsManager({
    [adminKeyArn]: `${adminKey}\n`,
    [providerSecretsArn]: JSON.stringify({
      HUBSPOT_CLIENT_SECRET: 'hs-secret',
      DROPBOX_CLIENT_SECRET: '',
      SOMETHING_ELSE: 'ignored',
    }),
    'arn:origin': 'cloudfront-only-0123456789abcdefghijklmnopqrstuv',
    'arn:not-json': 'hs-secret-pasted-raw',
    'arn:not-string': JSON.stringify({ HUBSPOT_CLIENT_SECRET: 42 }),
  });
  client = clientFor(sm.endpoint);
});
afterAll(() => sm?.close());

const baseEnv = {
  TABLE_NAME: 'portico-test',
  KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  PUBLIC_URL: 'https://api.portico.test',
  HUBSPOT_CLIENT_ID: 'hs-id',
  ADMIN_API_KEY_SECRET_ARN: adminKeyArn,
  PROVIDER_SECRETS_ARN: providerSecretsArn,
};

describe('loadLambdaEnv', () => {
  it('merges the admin key and the known provider secrets into the environment', async () => {
    const env = await loadLambdaEnv(baseEnv, client);
    expect(env.ADMIN_API_KEY).toBe(adminKey);
    expect(env.HUBSPOT_CLIENT_SECRET).toBe('hs-secret');
    // An empty placeholder stays unset; unknown members are not copied.
    expect(env.DROPBOX_CLIENT_SECRET).toBeUndefined();
    expect(env.SOMETHING_ELSE).toBeUndefined();
    expect(env.SANDBOX).toBe('0');
    const config = loadConfig(env, 'lambda');
    expect(config).toMatchObject({ sandbox: false, adminApiKey: adminKey, kmsKeyId: baseEnv.KMS_KEY_ID });
    expect(config.apps.hubspot).toMatchObject({ clientId: 'hs-id', clientSecret: 'hs-secret' });
  });

  it('reads nothing when no secret is named', async () => {
    const before = sm.calls.GetSecretValue;
    const env = await loadLambdaEnv({ TABLE_NAME: 'x' }, client);
    expect(env).toEqual({ TABLE_NAME: 'x', SANDBOX: '0' });
    expect(sm.calls.GetSecretValue).toBe(before);
  });

  it('keeps an explicit SANDBOX=1 so that the Lambda configuration refuses it', async () => {
    const env = await loadLambdaEnv({ ...baseEnv, SANDBOX: '1' }, client);
    expect(() => loadConfig(env, 'lambda')).toThrow(ConfigError);
    expect(() => loadConfig(env, 'lambda')).toThrow(/SANDBOX/);
  });

  it('refuses a provider secret that is not a JSON object, without echoing it', async () => {
    const err = await loadLambdaEnv({ ...baseEnv, PROVIDER_SECRETS_ARN: 'arn:not-json' }, client).catch(
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^PROVIDER_SECRETS_ARN: /);
    expect(err.message).not.toContain('hs-secret-pasted-raw');
    await expect(
      loadLambdaEnv({ ...baseEnv, PROVIDER_SECRETS_ARN: 'arn:not-string' }, client),
    ).rejects.toThrow(/HUBSPOT_CLIENT_SECRET must be a string/);
  });

  it('reports a secret it cannot read as unavailable (retryable), naming the variable', async () => {
    const missing = loadLambdaEnv({ ...baseEnv, ADMIN_API_KEY_SECRET_ARN: 'arn:missing' }, client);
    await expect(missing).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(missing).rejects.toThrow(/ADMIN_API_KEY_SECRET_ARN.*ResourceNotFoundException/);
    const unreachable = loadLambdaEnv(baseEnv, clientFor('http://127.0.0.1:9'));
    await expect(unreachable).rejects.toBeInstanceOf(SecretUnavailableError);
  });
});

describe('once', () => {
  it('shares one build between concurrent callers and retries after a failure', async () => {
    let builds = 0;
    const get = once(async () => {
      builds++;
      if (builds === 1) throw new Error('first fails');
      return builds;
    });
    await expect(Promise.all([get(), get()])).rejects.toThrow('first fails');
    expect(builds).toBe(1);
    expect(await Promise.all([get(), get(), get()])).toEqual([2, 2, 2]);
    expect(builds).toBe(2);
  });
});

describe('secretsClient', () => {
  it('makes the Secrets Manager client on first use, once; at init under provisioned concurrency', () => {
    const onDemand = secretsClient({});
    const made = onDemand();
    expect(made).toBeInstanceOf(SecretsManagerClient);
    expect(onDemand()).toBe(made);
    made.destroy();
    // Provisioned concurrency initialises ahead of traffic: the client is made then, and kept.
    const provisioned = secretsClient({ AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' });
    const first = provisioned();
    expect(provisioned()).toBe(first);
    first.destroy();
  });

  it('lets lambdaServices take the client lazily', async () => {
    let made = 0;
    const services = lambdaServices(
      () => {
        made++;
        return client;
      },
      { env: () => baseEnv },
    );
    expect(made).toBe(0);
    await services();
    await services();
    expect(made).toBe(1);
  });
});

describe('deferredApp', () => {
  const healthz = () => new Request('https://api.portico.test/healthz');

  it('answers 503 while the secrets cannot be read, then serves once they can', async () => {
    const services = lambdaServices(client, { env: () => baseEnv });
    const app = deferredApp(async () => createApp(await services(), { content: builtStaticContent }));
    sm.failNext = 2;
    const first = await app.fetch(healthz());
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toBe('application/problem+json');
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.json()).toMatchObject({ code: 'provider_unavailable' });

    const before = sm.calls.GetSecretValue;
    const second = await app.fetch(healthz());
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ ok: true });
    expect(sm.calls.GetSecretValue - before).toBe(2);
    await app.fetch(healthz());
    expect(sm.calls.GetSecretValue - before).toBe(2);
  });

  it('answers 500 on a configuration error, naming neither the variable nor a secret', async () => {
    const services = lambdaServices(client, { env: () => ({ ...baseEnv, PUBLIC_URL: 'not a url' }) });
    const app = deferredApp(async () => createApp(await services(), { content: builtStaticContent }));
    const res = await app.fetch(healthz());
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ code: 'internal_error' });
    expect(body).not.toContain(adminKey);
    expect(body).not.toContain('PUBLIC_URL');
  });
});

describe('behind CloudFront on a custom domain', () => {
  it('refuses every request that does not carry the origin header only CloudFront sends', async () => {
    const services = lambdaServices(client, { env: () => ({ ...baseEnv, ORIGIN_SECRET_ARN: 'arn:origin' }) });
    const app = deferredApp(async () => createApp(await services(), { content: builtStaticContent }));
    // Straight to the function URL: no header, or a guessed one.
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-portico-origin': 'guess-0123456789abcdefghijklmnopqrstuvwxyz' },
    ];
    for (const headers of attempts) {
      const res = await app.fetch(new Request('https://api.portico.test/healthz', { headers }));
      expect(res.status).toBe(403);
      const problem = await res.json();
      expect(problem).toMatchObject({ code: 'forbidden' });
      expect(problem.detail).toContain('https://api.portico.test');
    }
    const through = await app.fetch(
      new Request('https://api.portico.test/healthz', {
        headers: { 'x-portico-origin': 'cloudfront-only-0123456789abcdefghijklmnopqrstuv' },
      }),
    );
    expect(through.status).toBe(200);
  });

  it('refuses an origin secret too short to guard anything', () => {
    expect(() => loadConfig({ ...baseEnv, ORIGIN_SECRET: 'short' }, 'lambda')).toThrow(ConfigError);
  });
});

describe('withFunctionUrl', () => {
  const env = { AWS_REGION: 'eu-west-1', PUBLIC_URL_FROM: 'function-url' };
  const via = (host: string) => new Request(`https://${host}/healthz`);

  it('takes PUBLIC_URL from the function URL host the request came through', () => {
    const host = '4k7xq2mfe3nbwlgzdf5hr6tyuy0djiaw.lambda-url.eu-west-1.on.aws';
    expect(withFunctionUrl(env, via(host)).PUBLIC_URL).toBe(`https://${host}`);
  });

  it('refuses any other host: another region, another service, a look-alike', () => {
    for (const host of [
      '4k7xq2mfe3nbwlgzdf5hr6tyuy0djiaw.lambda-url.us-east-1.on.aws',
      'evil.example.com',
      'evil.example.com.4k7x.lambda-url.eu-west-1.on.aws',
      'x.lambda-url.eu-west-1.on.aws.evil.example.com',
    ]) {
      expect(() => withFunctionUrl(env, via(host)), host).toThrow(ConfigError);
    }
  });

  it('keeps an explicit PUBLIC_URL, and does nothing unless the stack asks for it', () => {
    const host = 'evil.example.com';
    expect(withFunctionUrl({ ...env, PUBLIC_URL: 'https://connect.example.com' }, via(host)).PUBLIC_URL).toBe(
      'https://connect.example.com',
    );
    expect(withFunctionUrl({ AWS_REGION: 'eu-west-1' }, via(host)).PUBLIC_URL).toBeUndefined();
  });
});
