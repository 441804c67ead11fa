import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { SandboxState } from './state.js';

const provider = z.enum(['hubspot', 'dropbox']);

/** `POST /_control/faults` body. */
export const faultSchema = z.object({
  provider,
  match: z.string().min(1).optional(),
  status: z.number().int().min(200).max(599).optional(),
  count: z.number().int().optional(),
  retryAfter: z.number().min(0).optional(),
  delayMs: z.number().min(0).max(120000).optional(),
  body: z.string().optional(),
  reset: z.boolean().optional(),
  slowBodyMs: z.number().min(0).max(60000).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const expireSchema = z.object({ provider, accessToken: z.string().min(1).optional() });
const providerSchema = z.object({ provider });
const appSchema = z.object({
  provider,
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  name: z.string().min(1),
});
const privateAppSchema = z.object({
  // Private-app tokens (`pat-na1-…`) and service keys, whose format HubSpot does not document.
  token: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._~+/=-]{15,511}$/, 'a private-app token or service key'),
  hubId: z.number().int().positive(),
  scopes: z.array(z.string()).default(['hubdb']),
});
const mintSchema = z.object({
  provider,
  account: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  clientId: z.string().optional(),
});

async function body<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T> | Response> {
  let json: unknown;
  try {
    const text = await c.req.text();
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return c.json({ error: 'invalid_request', detail: 'body must be JSON' }, 400);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return c.json(
    { error: 'invalid_request', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}` },
    400,
  );
}

/**
 * Test control API (JSON), served under `/_control`. Never exposed outside dev and tests:
 * the sandbox is not part of any deployment.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /stats` | | counters per provider |
 * | `POST /reset-stats` | | 204 |
 * | `GET /faults` | | `{faults}` |
 * | `POST /faults` | `{provider, match?, status?, count?, retryAfter?, delayMs?, body?, reset?, slowBodyMs?}` | 201 `{fault}` |
 * | `DELETE /faults[?provider=]` | | `{cleared}` |
 * | `POST /expire-tokens` | `{provider, accessToken?}` | `{expired}` |
 * | `POST /revoke-grants` | `{provider}` | `{revoked}` |
 * | `POST /apps` | `{provider, clientId, clientSecret, name}` | 201 |
 * | `POST /private-apps` | `{token: "pat-…", hubId, scopes}` | 201 |
 * | `POST /mint` | `{provider, account?, scopes?, clientId?}` | 201 `{access_token, refresh_token, account, …}` |
 */
export function controlRoutes(state: SandboxState): Hono {
  const app = new Hono();

  app.get('/stats', (c) => c.json(state.stats()));
  app.post('/reset-stats', (c) => {
    state.resetStats();
    return c.body(null, 204);
  });

  app.get('/faults', (c) => c.json({ faults: state.listFaults() }));
  app.post('/faults', async (c) => {
    const spec = await body(c, faultSchema);
    if (spec instanceof Response) return spec;
    return c.json({ fault: state.addFault(spec) }, 201);
  });
  app.delete('/faults', (c) => {
    const which = provider.safeParse(c.req.query('provider'));
    return c.json({ cleared: state.clearFaults(which.success ? which.data : undefined) });
  });

  app.post('/expire-tokens', async (c) => {
    const input = await body(c, expireSchema);
    if (input instanceof Response) return input;
    return c.json({ expired: state.expireTokens(input.provider, input.accessToken) });
  });
  app.post('/revoke-grants', async (c) => {
    const input = await body(c, providerSchema);
    if (input instanceof Response) return input;
    return c.json({ revoked: state.revokeGrants(input.provider) });
  });

  app.post('/apps', async (c) => {
    const input = await body(c, appSchema);
    if (input instanceof Response) return input;
    const { provider: which, ...sandboxApp } = input;
    state.registerApp(which, sandboxApp);
    return c.json({ provider: which, clientId: sandboxApp.clientId, name: sandboxApp.name }, 201);
  });
  app.post('/private-apps', async (c) => {
    const input = await body(c, privateAppSchema);
    if (input instanceof Response) return input;
    state.registerPrivateApp(input);
    return c.json(input, 201);
  });

  app.post('/mint', async (c) => {
    const input = await body(c, mintSchema);
    if (input instanceof Response) return input;
    if (input.clientId && !state.store(input.provider).apps.has(input.clientId)) {
      return c.json(
        { error: 'invalid_request', detail: `unknown ${input.provider} app ${input.clientId}` },
        400,
      );
    }
    return c.json(state.mint(input), 201);
  });

  return app;
}
