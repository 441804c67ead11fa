import { createRequire } from 'node:module';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadConfig } from '../lib/config.js';
import { ConfigError, PorticoError } from '../lib/errors.js';
import { problemResponse } from '../lib/http/problem.js';
import { createLogger } from '../lib/log.js';
import { once } from '../lib/once.js';
import type { Services } from '../lib/services.js';
import { createServices, type ServiceOverrides } from '../lib/services.js';

export { once } from '../lib/once.js';

type Env = Record<string, string | undefined>;

/** Loaded with `require`, like the clients in `lib/aws.ts` (and for the same reason). */
export const secretsManager: typeof import('@aws-sdk/client-secrets-manager') = createRequire(
  import.meta.url,
)('@aws-sdk/client-secrets-manager');

/** A secret could not be fetched (network, throttling, permissions): worth retrying, unlike a {@link ConfigError}. */
export class SecretUnavailableError extends Error {
  override name = 'SecretUnavailableError';
  constructor(
    readonly variable: string,
    cause: unknown,
  ) {
    super(`${variable}: the secret could not be read (${(cause as Error)?.name ?? 'error'})`, { cause });
  }
}

/** The members of the provider secrets secret (`PROVIDER_SECRETS_ARN`); any other member is ignored. */
export const providerSecretNames = ['HUBSPOT_CLIENT_SECRET', 'DROPBOX_CLIENT_SECRET'] as const;

/**
 * The environment the Lambda functions hand to `loadConfig(env, 'lambda')`: the process
 * environment plus the secrets it points at, read from Secrets Manager (both in parallel):
 *
 * - `ADMIN_API_KEY_SECRET_ARN`: a plain secret string, becomes `ADMIN_API_KEY`;
 * - `PROVIDER_SECRETS_ARN`: a JSON object, whose {@link providerSecretNames} members become the
 *   variables of the same name (empty placeholders stay unset).
 *
 * `SANDBOX` defaults to `0` (without provider client ids `loadConfig` would otherwise pick the
 * sandbox, which it refuses in Lambda); an explicit `SANDBOX=1` is kept so that `loadConfig`
 * refuses it loudly. Errors name the variable, never a secret's value: a
 * {@link SecretUnavailableError} when Secrets Manager cannot be read (worth retrying), a
 * {@link ConfigError} when what it holds is unusable.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
export async function loadLambdaEnv(env: Env, secrets: SecretsManagerClient): Promise<Env> {
  const read = async (variable: string): Promise<string | undefined> => {
    const secretId = env[variable]?.trim();
    if (!secretId) return undefined;
    let out: { SecretString?: string };
    try {
      out = await secrets.send(new secretsManager.GetSecretValueCommand({ SecretId: secretId }));
    } catch (err) {
      throw new SecretUnavailableError(variable, err);
    }
    if (out.SecretString === undefined) throw new ConfigError(variable, 'the secret holds no string');
    return out.SecretString;
  };
  const [adminKey, providerJson, originSecret] = await Promise.all([
    read('ADMIN_API_KEY_SECRET_ARN'),
    read('PROVIDER_SECRETS_ARN'),
    read('ORIGIN_SECRET_ARN'),
  ]);

  const merged: Env = { ...env, SANDBOX: env.SANDBOX?.trim() || '0' };
  if (adminKey !== undefined) merged.ADMIN_API_KEY = adminKey.trim();
  if (originSecret !== undefined) merged.ORIGIN_SECRET = originSecret.trim();
  if (providerJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(providerJson);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError(
        'PROVIDER_SECRETS_ARN',
        `the secret must be a JSON object with ${providerSecretNames.join(', ')}`,
      );
    }
    for (const name of providerSecretNames) {
      const value = (parsed as Record<string, unknown>)[name];
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string')
        throw new ConfigError('PROVIDER_SECRETS_ARN', `${name} must be a string`);
      merged[name] = value;
    }
  }
  return merged;
}

/**
 * The container's Secrets Manager client, made when the services are first built rather than at
 * module init (it took a few ms of every cold start's init, and a warm token read never uses it);
 * made at once in a container initialised for provisioned concurrency
 * (`AWS_LAMBDA_INITIALIZATION_TYPE`), so its first request does not pay for it there.
 */
export function secretsClient(env: Env = process.env): () => SecretsManagerClient {
  let client: SecretsManagerClient | undefined;
  const make = () => {
    client ??= new secretsManager.SecretsManagerClient({});
    return client;
  };
  if (env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency') make();
  return make;
}

/**
 * The services of a Lambda container, built on first use: secrets read once, then
 * `createServices(loadConfig(env, 'lambda'))`. `env` is read when the first call comes, not
 * when the module loads; `secrets` may be a function that makes the client then.
 */
export function lambdaServices(
  secrets: SecretsManagerClient | (() => SecretsManagerClient),
  options: { env?: () => Env; overrides?: ServiceOverrides } = {},
): () => Promise<Services> {
  const env = options.env ?? (() => process.env);
  const client = typeof secrets === 'function' ? secrets : () => secrets;
  return once(async () =>
    createServices(loadConfig(await loadLambdaEnv(env(), client()), 'lambda'), options.overrides),
  );
}

/**
 * What the handler and the wrappers around the app call: a fetch function and the env the
 * handler passes (`{ event, requestContext, context }`, functions/function-url.ts). The wrappers
 * (deferredApp here, limitAnswerSize and boundByInvocation in streaming.ts) are plain functions,
 * not Hono apps: each Hono app was a router, a context and a middleware chain more per request,
 * and its construction a cold start's work.
 */
export type FetchApp = { fetch: (request: Request, env?: unknown) => Response | Promise<Response> };

/**
 * An app that builds the real one on its first request and forwards every request to it,
 * so module init stays cheap and the secrets are read inside a request. Until the real app can
 * be built, requests answer problem JSON: `503` when a dependency failed (retried on the next
 * request), `500` for a configuration error. Neither answer carries the cause; the log does.
 */
export function deferredApp(build: (request: Request) => Promise<FetchApp>): FetchApp {
  const log = createLogger({ base: { component: 'lambda-init' } });
  const fetch = async (request: Request, env?: unknown): Promise<Response> => {
    let target: FetchApp;
    try {
      target = await build(request);
    } catch (err) {
      log.error('the app could not start', { err });
      const fault =
        err instanceof ConfigError
          ? new PorticoError('internal_error', 'The service is misconfigured; the operator has been told.')
          : new PorticoError('provider_unavailable', 'The service is starting; try again.', {
              retryAfter: 1,
            });
      return problemResponse(fault);
    }
    return target.fetch(request, env);
  };
  return { fetch };
}

/**
 * `env` with `PUBLIC_URL` taken from the function URL that `request` came through, when the stack
 * asks for it (`PUBLIC_URL_FROM=function-url`): a function cannot be given its own URL in its
 * environment (the URL depends on the function, a CloudFormation cycle), but Lambda routes a
 * function URL request by its host, so that host is the URL. Only a host of the function URL
 * form in this function's region is taken; anything else leaves `PUBLIC_URL` unset, which
 * `loadConfig` refuses (a {@link ConfigError}). An explicit `PUBLIC_URL` always wins.
 */
export function withFunctionUrl(env: Env, request: Request | undefined): Env {
  if (env.PUBLIC_URL?.trim() || env.PUBLIC_URL_FROM !== 'function-url' || !request) return env;
  const region = env.AWS_REGION ?? '';
  const host = new URL(request.url).host;
  const suffix = `.lambda-url.${region}.on.aws`;
  if (!region || !host.endsWith(suffix) || !/^[a-z0-9]+$/.test(host.slice(0, -suffix.length))) {
    throw new ConfigError('PUBLIC_URL', `the request came through ${host}, not this function's URL`);
  }
  return { ...env, PUBLIC_URL: `https://${host}` };
}
