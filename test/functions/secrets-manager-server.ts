import { serveAwsJson } from '../helpers/aws-json-server.js';

/**
 * A loopback server speaking AWS Secrets Manager's JSON protocol (awsJson1_1, `X-Amz-Target:
 * secretsmanager.GetSecretValue`) for the real `@aws-sdk/client-secrets-manager`. Secrets are
 * looked up by ARN or name; calls are counted; `failNext` makes the next calls answer 500.
 */
export interface FakeSecretsManager {
  endpoint: string;
  secrets: Map<string, string>;
  calls: { GetSecretValue: number };
  /** How many of the next calls answer `500 InternalServiceError`. */
  failNext: number;
  close(): Promise<void>;
}

export async function startSecretsManager(initial: Record<string, string> = {}): Promise<FakeSecretsManager> {
  const state: Omit<FakeSecretsManager, 'endpoint' | 'close'> = {
    secrets: new Map(Object.entries(initial)),
    calls: { GetSecretValue: 0 },
    failNext: 0,
  };
  const answer = (target: string, req: Record<string, unknown>): { status: number; body: unknown } => {
    if (target !== 'secretsmanager.GetSecretValue') {
      return { status: 400, body: { __type: 'UnknownOperationException', message: target } };
    }
    state.calls.GetSecretValue++;
    if (state.failNext > 0) {
      state.failNext--;
      return { status: 500, body: { __type: 'InternalServiceError', message: 'try again' } };
    }
    const id = String(req.SecretId ?? '');
    const value = state.secrets.get(id);
    if (value === undefined) {
      return {
        status: 400,
        body: {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        },
      };
    }
    return {
      status: 200,
      body: {
        ARN: id,
        Name: id.split(':').pop(),
        VersionId: '00000000-0000-4000-8000-000000000001',
        SecretString: value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      },
    };
  };
  const server = await serveAwsJson(answer);
  const fake = state as FakeSecretsManager;
  fake.endpoint = server.endpoint;
  fake.close = server.close;
  return fake;
}
