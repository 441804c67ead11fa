import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, fixtureAdminKey, type LambdaWorld, startLambdaWorld } from './lambda-env.js';
import { startStreamingRuntime } from './streaming-runtime.js';

let streamHandle: typeof import('../../functions/function-url.js').streamHandle;

type Handler = typeof import('../../functions/api.js').handler;
// The function URL event (payload 2.0, the same shape as the HTTP API's).
type Event = APIGatewayProxyEventV2;
type Result = {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
};

let world: LambdaWorld;
let runtime: Awaited<ReturnType<typeof startStreamingRuntime>>;
let handler: Handler;
// Through the runtime's response stream (test/functions/streaming-runtime.ts), as Lambda runs it.
const invoke = async (event: Event): Promise<Result> => {
  const answer = await runtime.invoke(handler, event, lambdaContext());
  return {
    statusCode: answer.statusCode,
    headers: answer.headers,
    body: answer.body?.toString('utf8') ?? '',
  };
};

function lambdaContext() {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'Portico-ApiFunction1A2B3C4D-AbCdEfGhIjKl',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:eu-west-1:111122223333:function:Portico-ApiFunction1A2B3C4D-AbCdEfGhIjKl',
    memoryLimitInMB: '1024',
    awsRequestId: '6c7a0b8e-1f2d-4c3b-9a8e-7d6c5b4a3f2e',
    logGroupName: '/aws/lambda/Portico-ApiFunction',
    logStreamName: '2026/11/22/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 900_000,
  };
}

beforeAll(async () => {
  world = await startLambdaWorld();
  runtime = await startStreamingRuntime({ keepBody: true });
  // Imported after the environment is set, as Lambda would load it; nothing is read until the first request.
  ({ handler } = await import('../../functions/api.js'));
  ({ streamHandle } = await import('../../functions/function-url.js'));
});
afterAll(async () => {
  await runtime?.close();
  await world?.close();
});

describe('functions/api.ts with Lambda function URL (payload 2.0) events, streamed', () => {
  it('answers GET /healthz, reading the secrets once for the container', async () => {
    const res = await invoke(fixture('healthz.json'));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    expect(res.headers?.['content-type']).toContain('application/json');
    expect(res.headers?.['x-request-id']).toBeTruthy();
    // HTTPS public URL: HSTS on.
    expect(res.headers?.['strict-transport-security']).toContain('max-age=');
    expect(world.secrets.calls.GetSecretValue).toBe(2);
  });

  it('creates a tenant from a base64-encoded JSON body with the admin key from Secrets Manager', async () => {
    const kmsBefore = world.kms.calls.GenerateDataKey;
    const res = await invoke(fixture('create-tenant.json'));
    expect(res.statusCode).toBe(201);
    const out = JSON.parse(res.body);
    expect(out.tenant).toMatchObject({
      name: 'Acme Fixtures',
      status: 'active',
      returnUrls: ['https://app.acme.test/connected'],
    });
    expect(out.apiKey).toMatch(/^ptk_/);
    // The tenant's data key came from KMS (the loopback server binds it to {tenantId}).
    expect(world.kms.calls.GenerateDataKey).toBeGreaterThan(kmsBefore);
    expect(res.headers?.['cache-control']).toBe('no-store');

    // The tenant's key works through the same handler, and its audit trail shows the creation.
    const audit = fixture<Event>('healthz.json');
    audit.rawPath = '/v1/audit';
    audit.headers.authorization = `Bearer ${out.apiKey}`;
    const listed = await invoke(audit);
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body).events).toEqual([
      expect.objectContaining({ action: 'tenant.created', actor: 'admin-key', tenantId: out.tenant.id }),
    ]);
    // Still the two secrets read by the first request: once per container.
    expect(world.secrets.calls.GetSecretValue).toBe(2);
  });

  it('passes cookies through to the app, and a cookie never stands in for the bearer key', async () => {
    const event = fixture<Event & { cookies: string[] }>('cookies.json');
    // What the app receives: API Gateway's `cookies` array joined into one Cookie header.
    const probe = streamHandle(new Hono().get('*', (c) => c.text(c.req.header('cookie') ?? '')));
    const probed = await runtime.invoke(probe, event);
    expect(probed.body?.toString('utf8')).toBe(event.cookies.join('; '));

    const refused = await invoke(event);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(refused.body).code).toBe('unauthorized');

    event.headers.authorization = `Bearer ${fixtureAdminKey}`;
    const ok = await invoke(event);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).tenants.length).toBeLessThanOrEqual(1);
  });

  it('answers an unknown route 404 problem JSON', async () => {
    const res = await invoke(fixture('not-found.json'));
    expect(res.statusCode).toBe(404);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('runs without the sandbox: its routes are not mounted', async () => {
    const event = fixture<Event>('not-found.json');
    event.rawPath = '/sandbox/hubspot/oauth/authorize';
    expect((await invoke(event)).statusCode).toBe(404);
  });
});
