import type { Context, Hono } from 'hono';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { invalidRequest, PorticoError } from '../errors.js';
import type { AppEnv } from './context.js';

/**
 * Routes declared once, validated with zod (the `zod/mini` build: a fraction of classic zod's
 * bundle weight, which matters in Lambda) and documented from the same declaration as an
 * OpenAPI 3.1 document. A route file reads top to bottom as the API it serves:
 *
 * ```ts
 * api.route({ method: 'get', path: '/v1/tenants/{tenantId}', params: TenantIdParams, … }, async (c, { params }) => …);
 * ```
 */

// English messages (zod/mini ships none by default): "expected string, received number".
z.config(en());

type Schema = z.ZodMiniType;
type Out<S> = S extends Schema ? z.output<S> : undefined;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: Schema;
  /** Default `application/json`. */
  contentType?: string;
  /** More content types of the same status (e.g. NDJSON). */
  also?: Record<string, Schema | undefined>;
}

export interface RouteSpec<
  P extends Schema | undefined,
  Q extends Schema | undefined,
  B extends Schema | undefined,
> {
  method: Method;
  /** OpenAPI-style path: `/v1/tenants/{tenantId}`. */
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  /** Who may call it; `none` for public routes. Default: a bearer key. */
  auth?: 'bearer' | 'none';
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** Error statuses beyond the usual 400/401/403, documented as problem JSON. */
  errors?: number[];
}

export interface Input<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

const errorText: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or bad bearer key',
  403: 'Credential of the wrong kind, or missing provider scopes',
  404: 'Not found (also for ids of other tenants)',
  409: 'Conflict, or `needs_reauth`',
  413: 'Body larger than 1 MiB',
  415: 'Body is not JSON',
  422: 'Well formed, but what it points at is unusable',
  429: 'Rate limited: this key made more than its share (100 requests a second, bursts of 200, by default); see Retry-After',
  502: 'The provider answered an error',
  503: 'The provider or the store is unavailable',
  504: 'The provider timed out',
};

/** The fields a rate-limited answer carries (draft-ietf-httpapi-ratelimit-headers-10). */
const rateLimitHeaders = {
  'Retry-After': { description: 'Seconds until the key may call again.', schema: { type: 'integer' } },
  'RateLimit-Policy': {
    description:
      'The per-key policy: `"per-key";q=<burst>;w=<seconds to earn it back>` (default `q=200;w=2`).',
    schema: { type: 'string' },
  },
  RateLimit: {
    description: 'This key now: `"per-key";r=<requests left>;t=<seconds until full>` (on every answer).',
    schema: { type: 'string' },
  },
};

const targetName = { params: 'path', query: 'query', body: 'body' } as const;

/** Turns zod issues into `400 invalid_request` listing each field (never the rejected values). */
function invalid(target: keyof typeof targetName, error: z.core.$ZodError): PorticoError {
  const issues = error.issues.slice(0, 20).map((i) => {
    const keys = (i as { keys?: string[] }).keys;
    return {
      path: [targetName[target], ...i.path.map(String)].join('.'),
      message: i.code === 'unrecognized_keys' && keys ? `unknown field(s): ${keys.join(', ')}` : i.message,
    };
  });
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return invalidRequest(`Invalid ${targetName[target]}: ${summary}`, { errors: issues });
}

/**
 * The query parameter names a route declares, or `undefined` when its schema passes unknown ones
 * through on purpose (a loose object: HubDB's own `<column>__<op>` filters).
 */
function declaredQueryNames(schema: Schema | undefined): Set<string> | undefined {
  if (!schema) return new Set();
  const def = (
    schema as {
      _zod: { def: { shape?: Record<string, unknown>; catchall?: { _zod: { def: { type: string } } } } };
    }
  )._zod.def;
  if (def.catchall?._zod.def.type === 'unknown') return undefined;
  return new Set(Object.keys(def.shape ?? {}));
}

/** An unknown query parameter is a client mistake, named, rather than silently ignored (a filter that does not filter). */
function refuseUnknownQuery(url: string, declared: Set<string> | undefined): void {
  if (!declared) return;
  const unknown = [...new Set(new URL(url).searchParams.keys())].filter((k) => !declared.has(k));
  if (!unknown.length) return;
  const names = unknown.slice(0, 10).map((k) => (k.length > 100 ? `${k.slice(0, 100)}…` : k));
  throw invalidRequest(
    `Unknown query parameter${names.length > 1 ? 's' : ''}: ${names.join(', ')}.${
      declared.size ? ` This route takes ${[...declared].join(', ')}.` : ' This route takes none.'
    }`,
    { errors: names.map((k) => ({ path: `query.${k}`, message: 'unknown parameter' })) },
  );
}

function check<S extends Schema>(schema: S, value: unknown, target: keyof typeof targetName): z.output<S> {
  const r = z.safeParse(schema, value);
  if (!r.success) throw invalid(target, r.error);
  return r.data;
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!type) throw invalidRequest('A JSON body is required (Content-Type: application/json).');
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new PorticoError('invalid_request', 'The body must be JSON (Content-Type: application/json).', {
      reason: 'unsupported_media_type',
    });
  }
  let text: string;
  try {
    text = await c.req.text();
  } catch (err) {
    // The body-size limit cuts the stream; let its handler answer 413.
    if ((err as Error).name === 'BodyLimitError') throw err;
    throw invalidRequest('The request body could not be read.');
  }
  if (nestingOf(text) > maxJsonDepth) {
    throw invalidRequest(`The JSON body nests deeper than ${maxJsonDepth} levels.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest('Malformed JSON in request body.');
  }
}

/**
 * How deep a JSON body may nest. HubDB cells nest three or four levels; a body 5,000 deep once
 * reached a recursion limit downstream and answered 500 (issue 14).
 */
export const maxJsonDepth = 64;

/** The deepest `[`/`{` nesting of a JSON text, counted without parsing it (strings skipped). */
function nestingOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return deepest;
}

/** A set of routes on a Hono app, with their OpenAPI declarations. */
export class Api {
  readonly specs: Array<RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>> = [];

  constructor(readonly app: Hono<AppEnv>) {}

  route<
    P extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
  >(
    spec: RouteSpec<P, Q, B>,
    handler: (c: Context<AppEnv>, input: Input<P, Q, B>) => Response | Promise<Response>,
  ): this {
    this.specs.push(spec as RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>);
    const path = spec.path.replace(/\{(\w+)\}/g, ':$1');
    const declared = declaredQueryNames(spec.query);
    this.app.on(spec.method.toUpperCase(), path, async (c) => {
      refuseUnknownQuery(c.req.url, declared);
      const params = spec.params ? check(spec.params, c.req.param(), 'params') : undefined;
      const query = spec.query ? check(spec.query, c.req.query(), 'query') : undefined;
      const body = spec.body ? check(spec.body, await readJson(c), 'body') : undefined;
      return handler(c, { params, query, body } as Input<P, Q, B>);
    });
    return this;
  }

  /** Documents a route served elsewhere (plain Hono routes: the browser flow, the proxy). */
  describe(spec: RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>): this {
    this.specs.push(spec);
    return this;
  }
}

const jsonSchema = (schema: Schema, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

function strip(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _drop, ...rest } = schema;
  return rest;
}

/** Builds the OpenAPI 3.1 document of every declared route. */
export function openApiDocument(
  apis: Api[],
  info: { title: string; version: string; description: string },
  problem: Schema,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const problemSchema = strip(jsonSchema(problem, 'output'));
  for (const spec of apis.flatMap((a) => a.specs)) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', spec.params],
      ['query', spec.query],
    ] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input') as {
        properties?: Record<string, Record<string, unknown>>;
        required?: string[];
      };
      for (const [name, prop] of Object.entries(js.properties ?? {})) {
        const { description, ...rest } = prop;
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (js.required ?? []).includes(name),
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const content: Record<string, unknown> = {};
      if (r.schema)
        content[r.contentType ?? 'application/json'] = { schema: strip(jsonSchema(r.schema, 'output')) };
      for (const [type, s] of Object.entries(r.also ?? {}))
        content[type] = s ? { schema: strip(jsonSchema(s, 'output')) } : {};
      responses[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
    }
    const auth = spec.auth !== 'none';
    // Every keyed route is rate limited per key (lib/http/rate-limit.ts).
    for (const status of [400, ...(auth ? [401, 403, 429] : []), ...(spec.errors ?? [])]) {
      responses[String(status)] ??= {
        description: errorText[status] ?? 'Error',
        ...(status === 429 ? { headers: rateLimitHeaders } : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    paths[spec.path] ??= {};
    paths[spec.path][spec.method] = {
      tags: spec.tags,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      ...(auth ? { security: [{ bearer: [] }] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: strip(jsonSchema(spec.body, 'input')) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { ...info, license: { name: 'Apache-2.0' } },
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An admin key or admin JWT for /v1/tenants…; a tenant API key (`ptk_…`) for the rest.',
        },
      },
    },
  };
}
