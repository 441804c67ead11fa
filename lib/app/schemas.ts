import { z } from '@hono/zod-openapi';

/** Schemas shared by several routes; each feeds both validation and the OpenAPI document. */

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum([
      'unauthorized',
      'forbidden',
      'not_found',
      'invalid_request',
      'conflict',
      'needs_reauth',
      'payload_too_large',
      'rate_limited',
      'provider_error',
      'provider_unavailable',
      'internal_error',
    ]),
    requestId: z.string().optional(),
  })
  .openapi('Problem');

export const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** The standard error answers, added to every route's `responses`. */
export function errors(...statuses: number[]) {
  const out: Record<number, { description: string; content: typeof problemContent }> = {};
  const descriptions: Record<number, string> = {
    400: 'Invalid request',
    401: 'Missing or bad bearer key',
    403: 'Credential of the wrong kind, or missing provider scopes',
    404: 'Not found (also for ids of other tenants)',
    409: 'Conflict, or `needs_reauth`',
    413: 'Body larger than 1 MiB',
    422: 'Well formed, but what it points at is unusable',
    429: 'Rate limited (see Retry-After)',
    502: 'The provider answered an error',
    503: 'The provider or the store is unavailable',
    504: 'The provider timed out',
  };
  for (const s of [400, 401, 403, ...statuses])
    out[s] = { description: descriptions[s] ?? 'Error', content: problemContent };
  return out;
}

export const ProviderSchema = z.enum(['hubspot', 'dropbox']).openapi('Provider');

const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials');

export const ReturnUrlSchema = httpUrl.openapi({ example: 'https://app.example.com/integrations' });
export const WebhookUrlSchema = httpUrl.openapi({ example: 'https://app.example.com/hooks/portico' });

export const TenantSchema = z
  .object({
    id: z.string().openapi({ example: 'ten_8x2k4m9q1w3e5r7t' }),
    name: z.string(),
    status: z.enum(['active', 'revoked']),
    returnUrls: z.array(z.string()),
    webhookUrl: z.string().optional(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Tenant');

export const LimitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(1000)
  .optional()
  .openapi({ param: { name: 'limit', in: 'query' }, description: 'Page size (1-1000, default 50).' });
export const CursorQuery = z
  .string()
  .max(4096)
  .optional()
  .openapi({ param: { name: 'cursor', in: 'query' }, description: 'The `nextCursor` of the previous page.' });

export const bearerSecurity = [{ bearer: [] }];
