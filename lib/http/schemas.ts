import * as z from 'zod/mini';
import { errorCodes } from '../errors.js';
import { providerNames } from '../providers/registry.js';

/**
 * Schemas shared by several routes; each feeds both validation and the OpenAPI document. Each is
 * a function that builds it on first use (see {@link lazySchema}).
 */

/**
 * A schema built on its first call and kept: modules declare their schemas at import without
 * building them (zod's construction was a third of the Lambda bundle's module init), and every
 * caller gets the one instance `named` registered.
 */
export function lazySchema<S>(build: () => S): () => S {
  let built: S | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** Adds OpenAPI documentation (description, example) to a schema. */
export function doc<S extends z.ZodMiniType>(
  schema: S,
  meta: { description?: string; example?: unknown },
): S {
  const { example, ...rest } = meta;
  // A copy: a schema shared by several routes keeps its own documentation.
  const copy = schema.clone() as S;
  z.globalRegistry.add(copy, { ...rest, ...(example !== undefined ? { examples: [example] } : {}) });
  return copy;
}

/**
 * Names a schema as one object of the contract: the OpenAPI document writes it once under
 * `components.schemas.<id>` and `$ref`s it everywhere it appears (generated clients get a named
 * type). Registers the schema itself, so name it where it is defined and use that one instance.
 */
export function named<S extends z.ZodMiniType>(
  schema: S,
  id: string,
  meta: { description?: string; example?: unknown } = {},
): S {
  const { example, ...rest } = meta;
  z.globalRegistry.add(schema, { id, ...rest, ...(example !== undefined ? { examples: [example] } : {}) });
  return schema;
}

const at = '2026-12-01T09:30:00.000Z';

export const ProblemSchema = lazySchema(() =>
  named(
    z.object({
      type: z.string(),
      title: z.string(),
      status: z.number(),
      detail: z.string(),
      code: z.enum(errorCodes),
      requestId: z.optional(z.string()),
    }),
    'Problem',
    {
      description: 'Every error (`application/problem+json`); `code` is stable, `detail` is for people.',
      example: {
        type: 'https://portico.dev/problems/not_found',
        title: 'Not Found',
        status: 404,
        detail: 'No connection conn_7w2k9x4m1q3e5r8t.',
        code: 'not_found',
        requestId: 'req_2b7c9d1e',
      },
    },
  ),
);

export const ProviderSchema = lazySchema(() => z.enum(providerNames));

export const LimitQuery = lazySchema(() =>
  doc(z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000))), {
    description: 'Page size (1-1000, default 50).',
  }),
);
export const CursorQuery = lazySchema(() =>
  doc(z.optional(z.string().check(z.maxLength(4096))), {
    description: 'The `nextCursor` of the previous page.',
  }),
);

/** The cursor of the next page; absent on the last page. */
export const NextCursor = lazySchema(() =>
  doc(z.string(), {
    description: 'Pass as `cursor` for the next page; absent on the last.',
  }),
);

/** A path id: long ids are refused before any lookup (ids of ours are 20-odd characters). */
export const PathId = lazySchema(() => z.string().check(z.maxLength(64)));

export const ConnectionSchema = lazySchema(() =>
  named(
    z.object({
      id: doc(z.string(), { example: 'conn_7w2k9x4m1q3e5r8t' }),
      provider: ProviderSchema(),
      endUserId: z.string(),
      authScheme: z.enum(['oauth2', 'private_app']),
      status: doc(z.enum(['active', 'needs_reauth', 'pending']), {
        description: '`pending`: awaiting confirmation (tenants with `requireConfirmation`); never served.',
      }),
      account: z.object({
        id: doc(z.string(), { description: 'HubSpot hub id, or Dropbox account id' }),
        name: doc(z.optional(z.string()), {
          description:
            "HubSpot: the account's domain (introspection's `hub_domain`); Dropbox: the display name",
        }),
        hublet: doc(z.optional(z.string()), {
          description: "HubSpot: the account's data centre (`na1`, `eu1`, …) when HubSpot reports it",
        }),
        teamSpace: doc(z.optional(z.boolean()), {
          description:
            'Dropbox: true when the account is a member of a team space; every call then names its root namespace (`Dropbox-API-Path-Root`)',
        }),
      }),
      scopes: z.array(z.string()),
      expiresAt: doc(z.nullable(z.string()), {
        description: 'When the current access token expires (ISO-8601), or null',
      }),
      createdAt: z.string(),
      updatedAt: z.string(),
      lastRefreshedAt: doc(z.nullable(z.string()), {
        description: 'When the access token was last refreshed',
      }),
      lastUsedAt: doc(z.nullable(z.string()), {
        description: 'When a token read or data call last used it (coarse: written at most once a minute)',
      }),
      lastError: doc(z.nullable(z.object({ code: z.string(), detail: z.string(), at: z.string() })), {
        description: 'The last refresh failure; null once a refresh succeeds',
      }),
      refreshFailures: doc(z.number(), { description: 'Consecutive failed refreshes' }),
    }),
    'Connection',
    {
      description: "An end user's grant at a provider, kept encrypted and fresh (never contains a token).",
      example: {
        id: 'conn_7w2k9x4m1q3e5r8t',
        provider: providerNames[0],
        endUserId: 'user_42',
        authScheme: 'oauth2',
        status: 'active',
        account: { id: '7654321', name: 'Acme' },
        scopes: ['oauth', 'hubdb'],
        expiresAt: '2026-12-01T10:00:00.000Z',
        createdAt: at,
        updatedAt: at,
        lastRefreshedAt: at,
        lastUsedAt: at,
        lastError: null,
        refreshFailures: 0,
      },
    },
  ),
);

export const ConnectionIdParams = lazySchema(() => z.object({ id: PathId() }));

/** Filters and paging of a connection list (a tenant's own, or an admin's view of one tenant). */
export const ConnectionListQuery = lazySchema(() =>
  z.object({
    provider: z.optional(ProviderSchema()),
    endUserId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    status: z.optional(z.enum(['active', 'needs_reauth', 'pending'])),
    limit: LimitQuery(),
    cursor: CursorQuery(),
  }),
);

export const ConnectionPage = lazySchema(() =>
  named(
    z.object({ connections: z.array(ConnectionSchema()), nextCursor: z.optional(NextCursor()) }),
    'ConnectionPage',
  ),
);
