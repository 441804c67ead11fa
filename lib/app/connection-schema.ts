import { z } from '@hono/zod-openapi';
import { ProviderSchema } from './schemas.js';

export const ConnectionSchema = z
  .object({
    id: z.string().openapi({ example: 'conn_7w2k9x4m1q3e5r8t' }),
    provider: ProviderSchema,
    endUserId: z.string(),
    authScheme: z.enum(['oauth2', 'private_app']),
    status: z.enum(['active', 'needs_reauth']),
    account: z.object({
      id: z.string().openapi({ description: 'HubSpot hub id, or Dropbox account id' }),
      name: z.string().optional(),
    }),
    scopes: z.array(z.string()),
    expiresAt: z
      .string()
      .nullable()
      .openapi({ description: 'When the current access token expires (ISO-8601), or null' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Connection');
