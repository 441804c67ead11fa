import type { Context, Hono } from 'hono';
import * as z from 'zod/mini';
import { invalidRequest, PorticoError } from '../errors.js';
import { once } from '../once.js';
import type { AppEnv } from './context.js';

/**
 * Routes declared once, validated with zod (the `zod/mini` build: a fraction of classic zod's
 * bundle weight, which matters in Lambda) and documented from the same declaration as an
 * OpenAPI 3.1 document. A route file reads top to bottom as the API it serves:
 *
 * ```ts
 * api.route('get', '/v1/tenants/{tenantId}', () => ({ operationId: 'getTenant', params: TenantIdParams(), … }), async (c, { params }) => …);
 * ```
 */

// English messages (zod/mini ships none by default): "expected string, received number". The
// locale is a module of its own, loaded by the first invalid input (see {@link Invalid}): a cold
// start neither compiles its tables nor builds them.
let english: z.core.$ZodErrorMap | undefined;
z.config({ localeError: (issue) => english?.(issue) });
const loadEnglish = once(async () => {
  english = (await import('zod/v4/locales/en.js')).default().localeError;
});

type Schema = z.ZodMiniType;
type Out<S> = S extends Schema ? z.output<S> : undefined;
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: Schema;
  /** Default `application/json`. */
  contentType?: string;
  /** More content types of the same status. */
  also?: Record<string, Schema | undefined>;
  /**
   * The schema of each line when the client asks for `Accept: application/x-ndjson`. Documented
   * as the operation's `x-ndjson` extension, outside `content`: generated clients (openapi-fetch)
   * type a response as the union of its content map, and a stream there would blur the JSON page.
   */
  ndjson?: Schema;
}

/**
 * What a route declares besides its method and path: its name, documentation and schemas. A
 * route gives it as a function, run once, on the route's first request (or when the OpenAPI
 * document is built), so that module init builds no schema (a cold start's zod work was a third
 * of the API bundle's own init).
 */
export interface RouteDoc<
  P extends Schema | undefined,
  Q extends Schema | undefined,
  B extends Schema | undefined,
> {
  /** The operation's stable name in the OpenAPI document and generated clients (`listConnections`). */
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  /**
   * Who may call it; `none` for public routes. Default: a bearer key, the admin's under
   * `/v1/tenants` (where the app mounts the admin check) and a tenant's elsewhere.
   */
  auth?: 'bearer' | 'none';
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** Error statuses beyond the usual 400/401/403, documented as problem JSON. */
  errors?: number[];
}

/** A route as the OpenAPI document reads it: its {@link RouteDoc} with its method and path. */
export interface RouteSpec<
  P extends Schema | undefined,
  Q extends Schema | undefined,
  B extends Schema | undefined,
> extends RouteDoc<P, Q, B> {
  method: Method;
  /** OpenAPI-style path: `/v1/tenants/{tenantId}`. */
  path: string;
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
  if (!r.success) throw new Invalid(schema, value, target, r.error);
  return r.data;
}

/**
 * An input its schema refused. {@link problem} answers the 400 with English messages: when the
 * locale was not loaded yet, it loads it and validates the input again, so the first invalid
 * input reads as every later one does.
 */
class Invalid {
  constructor(
    private readonly schema: Schema,
    private readonly value: unknown,
    private readonly target: keyof typeof targetName,
    private readonly error: z.core.$ZodError,
  ) {}

  async problem(): Promise<PorticoError> {
    if (english) return invalid(this.target, this.error);
    await loadEnglish();
    const again = z.safeParse(this.schema, this.value);
    return invalid(this.target, again.success ? this.error : again.error);
  }
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

type AnySpec = RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>;
type AnyDoc = RouteDoc<Schema | undefined, Schema | undefined, Schema | undefined>;

/** What serves one route: the route's validation and handler, run in the app's own context. */
export type RouteHandler = (c: Context<AppEnv>) => Response | Promise<Response>;

/** `/v1/tenants/{tenantId}` as Hono writes it: `/v1/tenants/:tenantId`. */
export const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** A set of routes on a Hono app, with their OpenAPI declarations. */
export class Api {
  private readonly declared: Array<() => AnySpec> = [];
  private readonly served = new Map<string, RouteHandler>();

  constructor(readonly app: Hono<AppEnv>) {}

  /** Every route this set serves (`route` and `serve`), as `[method, path]`, in declaration order. */
  get routes(): Array<[Method, string]> {
    return [...this.served.keys()].map((key) => {
      const [method, path] = key.split(' ');
      return [method as Method, path];
    });
  }

  /**
   * The handler of one route of this set, to run in another app's context (a route family loaded
   * on first use, lib/http/routes/families.ts). Throws for a route the set does not serve.
   */
  handler(method: Method, path: string): RouteHandler {
    const handler = this.served.get(`${method} ${path}`);
    if (!handler) throw new Error(`no route ${method} ${path} here`);
    return handler;
  }

  /**
   * Serves `method path` with a plain handler: no schema, no documentation (the browser flow's
   * pages, documented apart in routes/described.ts).
   */
  serve(method: Method, path: string, handler: RouteHandler): this {
    this.app.on(method.toUpperCase(), honoPath(path), handler);
    this.served.set(`${method} ${path}`, handler);
    return this;
  }

  /**
   * Every route's full declaration, in declaration order (builds the schemas not yet built).
   * Throws on an operationId that is not lowerCamelCase: the document is built when the code is
   * (static content, the SDK), so a bad one fails the build, never a request.
   */
  get specs(): AnySpec[] {
    return this.declared.map((declared) => {
      const spec = declared();
      if (!/^[a-z][A-Za-z0-9]*$/.test(spec.operationId))
        throw new Error(`operationId ${spec.operationId} is not lowerCamelCase`);
      return spec;
    });
  }

  /**
   * Serves `method path` with `handler`, after validating the path parameters, the query (an
   * unknown parameter is refused) and the JSON body against the route's schemas, which `doc`
   * builds on the route's first request.
   */
  route<
    P extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
  >(
    method: Method,
    path: string,
    doc: () => RouteDoc<P, Q, B>,
    handler: (c: Context<AppEnv>, input: Input<P, Q, B>) => Response | Promise<Response>,
  ): this {
    const spec = this.declare(method, path, doc as () => AnyDoc);
    let queryNames: { declared: Set<string> | undefined } | undefined;
    return this.serve(method, path, async (c) => {
      const schemas = spec();
      queryNames ??= { declared: declaredQueryNames(schemas.query) };
      refuseUnknownQuery(c.req.url, queryNames.declared);
      let input: Input<P, Q, B>;
      try {
        const params = schemas.params ? check(schemas.params, c.req.param(), 'params') : undefined;
        const query = schemas.query ? check(schemas.query, c.req.query(), 'query') : undefined;
        const body = schemas.body ? check(schemas.body, await readJson(c), 'body') : undefined;
        input = { params, query, body } as Input<P, Q, B>;
      } catch (err) {
        throw err instanceof Invalid ? await err.problem() : err;
      }
      return handler(c, input);
    });
  }

  /** Documents a route served elsewhere (plain Hono routes: the browser flow, the proxy). */
  describe(method: Method, path: string, doc: () => AnyDoc): this {
    this.declare(method, path, doc);
    return this;
  }

  /** The route's spec, built on first use and kept (a named schema must be one instance). */
  private declare(method: Method, path: string, doc: () => AnyDoc): () => AnySpec {
    let built: AnySpec | undefined;
    const spec = () => {
      built ??= { method, path, ...doc() };
      return built;
    };
    this.declared.push(spec);
    return spec;
  }
}

type Json = Record<string, unknown>;

/** A webhook event as the document lists it (`webhooks` section): its name, summary and payload. */
export interface WebhookSpec {
  event: string;
  operationId: string;
  summary: string;
  description?: string;
  payload: Schema;
}

/** What the document says besides the routes: its info, tags, webhooks and code samples. */
export interface DocumentSpec {
  info: { title: string; version: string; description: string };
  /** The base URL written into the build-time document; `GET /openapi.json` puts `PUBLIC_URL` there. */
  server: string;
  tags: Array<{ name: string; description: string }>;
  problem: Schema;
  webhooks: WebhookSpec[];
  /** Headers every webhook delivery carries (Standard Webhooks). */
  webhookHeaders: Array<{ name: string; description: string; example: string }>;
  /** An `@portico/node` snippet for an operation, where the SDK has a method for it. */
  sdkSample?: (operationId: string) => string | undefined;
}

const componentRef = (id: string) => `#/components/schemas/${id}`;

/**
 * Turns zod schemas into JSON Schema whose named parts (`named()` in ./schemas.ts) are hoisted into
 * `components.schemas` and `$ref`'d, so each object of the contract is written once. A name whose
 * input form differs from its output form (a default, a coercion) gets a second entry, `<Name>Input`.
 */
class Components {
  readonly schemas: Record<string, Json> = {};

  convert(schema: Schema, io: 'input' | 'output'): Json {
    const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    const { $schema: _drop, $defs, ...rest } = js as Json & { $defs?: Record<string, Json> };
    const renamed = new Map<string, string>();
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!node || typeof node !== 'object') return node;
      const out: Json = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
          const id = v.slice('#/$defs/'.length);
          out[k] = componentRef(renamed.get(id) ?? id);
        } else out[k] = rewrite(v);
      }
      return out;
    };
    for (const [id, def] of Object.entries($defs ?? {})) {
      const seen = this.schemas[id];
      if (seen && !same(seen, rewrite(def))) renamed.set(id, `${id}Input`);
    }
    for (const [id, def] of Object.entries($defs ?? {})) {
      const name = renamed.get(id) ?? id;
      const written = rewrite(def) as Json;
      if (this.schemas[name] && !same(this.schemas[name], written))
        throw new Error(`two different schemas are both named ${name}`);
      this.schemas[name] = written;
    }
    return rewrite(rest) as Json;
  }

  resolve(node: Json): Json {
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/'))
      return this.resolve(this.schemas[ref.slice('#/components/schemas/'.length)] ?? {});
    return node;
  }

  /**
   * An example value of a schema: a declared example where there is one (every named object
   * declares one), else one built from its parts (required properties and those with an example).
   */
  example(node: Json, depth = 0): unknown {
    if (Array.isArray(node.examples) && node.examples.length) return node.examples[0];
    if (node.const !== undefined) return node.const;
    if (typeof node.$ref === 'string') return this.example(this.resolve(node), depth + 1);
    if (depth > 8) return undefined;
    if (Array.isArray(node.enum)) return node.enum[0];
    for (const key of ['oneOf', 'anyOf'] as const) {
      const options = node[key] as Json[] | undefined;
      if (options?.length)
        return this.example(options.find((o) => o.type !== 'null') ?? options[0], depth + 1);
    }
    const type = Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
    switch (type) {
      case 'object': {
        const out: Json = {};
        const required = new Set((node.required as string[] | undefined) ?? []);
        for (const [name, prop] of Object.entries((node.properties as Record<string, Json>) ?? {})) {
          const resolved = this.resolve(prop);
          if (!required.has(name) && !(Array.isArray(resolved.examples) && resolved.examples.length))
            continue;
          const value = this.example(prop, depth + 1);
          // A required value of any type (`{}`, e.g. an Avro schema) still needs one to be valid.
          if (value !== undefined || required.has(name)) out[name] = value ?? {};
        }
        return out;
      }
      case 'array': {
        const item = node.items ? this.example(node.items as Json, depth + 1) : undefined;
        return item === undefined ? [] : [item];
      }
      case 'string':
        return node.format === 'date-time' ? '2026-12-01T09:30:00.000Z' : 'string';
      case 'integer':
      case 'number':
        return typeof node.minimum === 'number' ? node.minimum : 1;
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return undefined;
    }
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Admin routes are those the app puts behind the admin check (`lib/http/index.ts`). */
const isAdminPath = (path: string) => path === '/v1/tenants' || path.startsWith('/v1/tenants/');

function security(spec: AnySpec) {
  if (spec.auth === 'none') return [];
  return isAdminPath(spec.path) ? [{ adminKey: [] }, { adminJwt: [] }] : [{ tenantKey: [] }];
}

/** A curl command for the operation: path parameters from their examples, the body from its example. */
function curlSample(spec: AnySpec, pathExamples: Record<string, unknown>, body: unknown): string {
  const path = spec.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    String(pathExamples[name] ?? `<${name}>`),
  );
  const lines = [
    `curl${spec.method === 'get' ? '' : ` -X ${spec.method.toUpperCase()}`} "$PORTICO_URL${path}"`,
  ];
  if (spec.auth !== 'none')
    lines.push(
      `-H "Authorization: Bearer ${isAdminPath(spec.path) ? '$PORTICO_ADMIN_KEY' : '$PORTICO_API_KEY'}"`,
    );
  if (body !== undefined) {
    lines.push(`-H 'content-type: application/json'`);
    lines.push(`-d '${JSON.stringify(body).replace(/'/g, `'\\''`)}'`);
  }
  return lines.join(' \\\n  ');
}

/**
 * Builds the OpenAPI 3.1 document of every declared route: operations named by their
 * `operationId`, objects of the contract as named components, examples for each request and main
 * answer, a curl and an SDK sample per operation (`x-codeSamples`), NDJSON streams as `x-ndjson`,
 * the webhooks with their payloads and headers, and a security scheme per kind of bearer key.
 */
export function openApiDocument(apis: Api[], spec: DocumentSpec): Json {
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  const problemSchema = components.convert(spec.problem, 'output');
  const problemRef = { $ref: componentRef('Problem') };
  if (!components.schemas.Problem) components.schemas.Problem = problemSchema;
  const operationIds = new Set<string>();
  for (const route of apis.flatMap((a) => a.specs)) {
    if (operationIds.has(route.operationId))
      throw new Error(`operationId ${route.operationId} is used twice`);
    operationIds.add(route.operationId);
    const parameters: unknown[] = [];
    const pathExamples: Record<string, unknown> = {};
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const js = components.convert(schema, 'input') as {
        properties?: Record<string, Json>;
        required?: string[];
      };
      for (const [name, prop] of Object.entries(js.properties ?? {})) {
        const { description, ...rest } = prop;
        if (where === 'path' && Array.isArray(rest.examples)) pathExamples[name] = rest.examples[0];
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (js.required ?? []).includes(name),
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    }
    let ndjson: Json | undefined;
    const responses: Record<string, unknown> = {};
    let mainExampleSet = false;
    for (const [status, r] of Object.entries(route.responses)) {
      const content: Record<string, Json> = {};
      if (r.schema) {
        const schema = components.convert(r.schema, 'output');
        content[r.contentType ?? 'application/json'] = { schema };
      }
      for (const [type, s] of Object.entries(r.also ?? {}))
        content[type] = s ? { schema: components.convert(s, 'output') } : {};
      const json = content['application/json'];
      if (!mainExampleSet && status.startsWith('2') && json?.schema) {
        json.example = components.example(json.schema as Json);
        mainExampleSet = true;
      }
      if (r.ndjson)
        ndjson = {
          mediaType: 'application/x-ndjson',
          status: Number(status),
          description: `With \`Accept: application/x-ndjson\`: one JSON value a line, each as \`line\` says; a failure after the stream began ends it with a line \`{"error": {"code", "detail"}}\`.`,
          line: components.convert(r.ndjson, 'output'),
        };
      responses[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
    }
    const auth = route.auth !== 'none';
    // Every keyed route is rate limited per key (lib/http/rate-limit.ts).
    for (const status of [400, ...(auth ? [401, 403, 429] : []), ...(route.errors ?? [])]) {
      responses[String(status)] ??= {
        description: errorText[status] ?? 'Error',
        ...(status === 429 ? { headers: rateLimitHeaders } : {}),
        content: { 'application/problem+json': { schema: problemRef } },
      };
    }
    let bodyExample: unknown;
    let requestBody: Json | undefined;
    if (route.body) {
      const schema = components.convert(route.body, 'input');
      bodyExample = components.example(schema);
      requestBody = { required: true, content: { 'application/json': { schema, example: bodyExample } } };
    }
    const sdk = spec.sdkSample?.(route.operationId);
    paths[route.path] ??= {};
    paths[route.path][route.method] = {
      operationId: route.operationId,
      tags: route.tags,
      summary: route.summary,
      ...(route.description || ndjson
        ? {
            description: [route.description, ndjson ? 'Streams NDJSON too: see `x-ndjson`.' : undefined]
              .filter(Boolean)
              .join(' '),
          }
        : {}),
      security: security(route),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      ...(ndjson ? { 'x-ndjson': ndjson } : {}),
      ...(route.path.startsWith('/v1/')
        ? {
            'x-codeSamples': [
              { lang: 'Shell', label: 'curl', source: curlSample(route, pathExamples, bodyExample) },
              ...(sdk ? [{ lang: 'JavaScript', label: '@portico/node', source: sdk }] : []),
            ],
          }
        : {}),
    };
  }

  const webhooks: Record<string, unknown> = {};
  for (const hook of spec.webhooks) {
    const schema = components.convert(hook.payload, 'output');
    webhooks[hook.event] = {
      post: {
        operationId: hook.operationId,
        tags: ['Webhooks'],
        summary: hook.summary,
        ...(hook.description ? { description: hook.description } : {}),
        security: [],
        parameters: spec.webhookHeaders.map((h) => ({
          name: h.name,
          in: 'header',
          required: true,
          description: h.description,
          schema: { type: 'string' },
          example: h.example,
        })),
        requestBody: {
          required: true,
          content: { 'application/json': { schema, example: components.example(schema) } },
        },
        responses: {
          '200': { description: 'Received (any 2xx; anything else is retried with backoff)' },
          '400': { description: 'The receiver refused the delivery (retried, as is every non-2xx answer)' },
        },
      },
    };
  }

  const usedTags = new Set(
    [
      ...apis.flatMap((a) => a.specs.flatMap((s) => s.tags)),
      ...(spec.webhooks.length ? ['Webhooks'] : []),
    ].filter(Boolean),
  );
  const tags = spec.tags.filter((t) => usedTags.has(t.name));
  for (const name of usedTags)
    if (!tags.some((t) => t.name === name)) throw new Error(`tag ${name} has no description`);

  return {
    openapi: '3.1.0',
    info: { ...spec.info, license: { name: 'Apache 2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: spec.server }],
    tags,
    paths,
    webhooks,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'The admin key (`ADMIN_API_KEY`, or in AWS the admin secret): tenant management.',
        },
        adminJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An admin JWT from the configured identity provider (`ADMIN_JWT_ISSUER`, verified with its JWKS).',
        },
        tenantKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A tenant API key (`ptk_…`): everything under one tenant.',
        },
      },
    },
  };
}
