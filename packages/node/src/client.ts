import type { components, operations } from './generated/openapi.js';
import { ndjsonLines } from './ndjson.js';
import { type CallOptions, type ClientOptions, type Query, Transport } from './transport.js';

type Schemas = components['schemas'];
export type Connection = Schemas['Connection'];
export type ConnectSession = Schemas['ConnectSession'];
export type AccessToken = Schemas['AccessToken'];
export type Tenant = Schemas['Tenant'];
export type CreatedTenant = Schemas['CreatedTenant'];
export type HubdbTable = Schemas['HubdbTable'];
export type HubdbRow = Schemas['HubdbRow'];
export type DropboxEntry = Schemas['DropboxEntry'];
export type AvroPage = Schemas['AvroPage'];
export type AuditEvent = Schemas['AuditEvent'];
export type Problem = Schemas['Problem'];

type Body<O extends keyof operations> = operations[O] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
type QueryOf<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;

const seg = (s: string) => encodeURIComponent(s);

/** Every item of every page: follows `nextCursor` until the last page, one call a page. */
async function* everyPage<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string }>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const { items, nextCursor } = await page(cursor);
    yield* items;
    cursor = nextCursor;
  } while (cursor);
}

export interface PorticoOptions extends ClientOptions {
  /** A tenant API key (`ptk_…`). */
  apiKey: string;
}

/** HubDB row filters in HubSpot's syntax: `{ price__gt: 10, name__contains: 'shoe' }`. */
export type RowFilters = Record<string, string | number | boolean>;

/**
 * A tenant's client: connect end users, use their connections (tokens, HubDB, Dropbox, Avro, the
 * provider's own API). Every method takes {@link CallOptions} (an `AbortSignal`, a timeout), and
 * fails with {@link PorticoError}.
 */
export class Portico {
  private readonly t: Transport;

  constructor(options: PorticoOptions) {
    this.t = new Transport(options.apiKey, options);
  }

  readonly connectSessions = {
    /** Starts connecting an end user; send their browser to `connectUrl`. */
    create: (body: Body<'createConnectSession'>, o: CallOptions = {}) =>
      this.t.json<ConnectSession>({ method: 'POST', path: '/v1/connect-sessions', body, ...o }),
    /** Headless: the provider's own authorization URL for a session. */
    authorizationUrl: (id: string, redirectUri?: string, o: CallOptions = {}) =>
      this.t.json<Schemas['AuthorizationUrl']>({
        method: 'GET',
        path: `/v1/connect-sessions/${seg(id)}/authorization-url`,
        query: { redirectUri },
        ...o,
      }),
    /** Headless: exchanges a code obtained elsewhere for a connection. */
    exchange: (id: string, body: Body<'exchangeCode'>, o: CallOptions = {}) =>
      this.t.json<Connection>({
        method: 'POST',
        path: `/v1/connect-sessions/${seg(id)}/exchange`,
        body,
        ...o,
      }),
    /**
     * Confirms a completed browser flow with the `connectCode` the browser brought back (tenants
     * with `requireConfirmation`); pass the signed-in user as `endUserId` so a forwarded link is refused.
     */
    confirm: (id: string, body: Body<'confirmConnectSession'>, o: CallOptions = {}) =>
      this.t.json<Connection>({
        method: 'POST',
        path: `/v1/connect-sessions/${seg(id)}/confirm`,
        body,
        ...o,
      }),
    /** A session's state: `pending`, then `completed` (with `connectionId`), `failed` or `expired`. */
    get: (id: string, o: CallOptions = {}) =>
      this.t.json<Schemas['ConnectSessionState']>({
        method: 'GET',
        path: `/v1/connect-sessions/${seg(id)}`,
        ...o,
      }),
  };

  readonly connections = {
    /** Every connection (filtered), page after page. */
    list: (query: Omit<QueryOf<'listConnections'>, 'cursor'> = {}, o: CallOptions = {}) =>
      everyPage<Connection>(async (cursor) => {
        const page = await this.t.json<Schemas['ConnectionPage']>({
          method: 'GET',
          path: '/v1/connections',
          query: { ...query, cursor } as Query,
          ...o,
        });
        return { items: page.connections, nextCursor: page.nextCursor };
      }),
    get: (id: string, o: CallOptions = {}) =>
      this.t.json<Connection>({ method: 'GET', path: `/v1/connections/${seg(id)}`, ...o }),
    /** Imports a grant obtained elsewhere (checked against the provider first). */
    import: (body: Body<'importConnection'>, o: CallOptions = {}) =>
      this.t.json<Connection>({ method: 'POST', path: '/v1/connections', body, ...o }),
    /** Revokes the grant at the provider and deletes the connection. */
    delete: (id: string, o: CallOptions = {}) =>
      this.t.json<void>({ method: 'DELETE', path: `/v1/connections/${seg(id)}`, ...o }),
    refresh: (id: string, o: CallOptions = {}) =>
      this.t.json<Connection>({ method: 'POST', path: `/v1/connections/${seg(id)}/refresh`, ...o }),
    /** A fresh access token (refreshed first when it expires within 5 minutes). */
    token: (id: string, o: CallOptions = {}) =>
      this.t.json<AccessToken>({ method: 'GET', path: `/v1/connections/${seg(id)}/token`, ...o }),
  };

  readonly hubdb = {
    /** Every HubDB table of a HubSpot connection. */
    tables: (connectionId: string, o: CallOptions = {}) =>
      everyPage<HubdbTable>(async (cursor) => {
        const page = await this.t.json<Schemas['HubdbTablePage']>({
          method: 'GET',
          path: `/v1/connections/${seg(connectionId)}/hubdb/tables`,
          query: { cursor },
          ...o,
        });
        return { items: page.tables, nextCursor: page.nextCursor };
      }),
    table: (connectionId: string, table: string, o: CallOptions = {}) =>
      this.t.json<HubdbTable>({
        method: 'GET',
        path: `/v1/connections/${seg(connectionId)}/hubdb/tables/${seg(table)}`,
        ...o,
      }),
    /** Every row (filtered and sorted by HubSpot), one JSON page a call. */
    rows: (
      connectionId: string,
      table: string,
      q: { filters?: RowFilters; sort?: string; limit?: number; properties?: string } = {},
      o: CallOptions = {},
    ) =>
      everyPage<HubdbRow>(async (cursor) => {
        const page = await this.t.json<Schemas['HubdbRowPage']>({
          method: 'GET',
          path: `/v1/connections/${seg(connectionId)}/hubdb/tables/${seg(table)}/rows`,
          query: { ...q.filters, sort: q.sort, limit: q.limit, properties: q.properties, cursor },
          ...o,
        });
        return { items: page.rows, nextCursor: page.nextCursor };
      }),
    /** Every row as one NDJSON stream, decoded a line at a time as the loop consumes them. */
    streamRows: (
      connectionId: string,
      table: string,
      q: { filters?: RowFilters; sort?: string; properties?: string } = {},
      o: CallOptions = {},
    ) =>
      this.lines<HubdbRow>(
        {
          method: 'GET',
          path: `/v1/connections/${seg(connectionId)}/hubdb/tables/${seg(table)}/rows`,
          query: { ...q.filters, sort: q.sort, properties: q.properties },
          ...o,
        },
        () => false,
      ),
    createRow: (connectionId: string, table: string, values: Record<string, unknown>, o: CallOptions = {}) =>
      this.t.json<HubdbRow>({
        method: 'POST',
        path: `/v1/connections/${seg(connectionId)}/hubdb/tables/${seg(table)}/rows`,
        body: { values },
        ...o,
      }),
    publish: (connectionId: string, table: string, o: CallOptions = {}) =>
      this.t.json<HubdbTable>({
        method: 'POST',
        path: `/v1/connections/${seg(connectionId)}/hubdb/tables/${seg(table)}/publish`,
        ...o,
      }),
  };

  readonly dropbox = {
    /** Every entry of a folder (`path` "" for the root), page after page. */
    files: (connectionId: string, q: { path?: string; recursive?: boolean } = {}, o: CallOptions = {}) =>
      everyPage<DropboxEntry>(async (cursor) => {
        const page = await this.t.json<Schemas['DropboxEntryPage']>({
          method: 'GET',
          path: `/v1/connections/${seg(connectionId)}/dropbox/files`,
          query: {
            path: q.path,
            recursive: q.recursive === undefined ? undefined : String(q.recursive),
            cursor,
          },
          ...o,
        });
        return { items: page.entries, nextCursor: page.nextCursor };
      }),
    /** A file's bytes as a web `ReadableStream`, as they download. */
    download: async (
      connectionId: string,
      path: string,
      o: CallOptions = {},
    ): Promise<ReadableStream<Uint8Array>> => {
      const res = await this.t.send({
        method: 'GET',
        path: `/v1/connections/${seg(connectionId)}/dropbox/content`,
        query: { path },
        stream: true,
        ...o,
      });
      return res.body ?? new ReadableStream({ start: (c) => c.close() });
    },
    /** One page of an Avro data file's rows. */
    avro: (
      connectionId: string,
      path: string,
      q: { limit?: number; cursor?: string } = {},
      o: CallOptions = {},
    ) =>
      this.t.json<AvroPage>({
        method: 'GET',
        path: `/v1/connections/${seg(connectionId)}/dropbox/avro`,
        query: { path, ...q },
        ...o,
      }),
    /** Every row of an Avro data file, decoded while it downloads; `onSchema` gets the writer schema first. */
    streamAvro: (
      connectionId: string,
      path: string,
      q: { onSchema?: (schema: unknown) => void } = {},
      o: CallOptions = {},
    ) => {
      let first = true;
      return this.lines<unknown>(
        { method: 'GET', path: `/v1/connections/${seg(connectionId)}/dropbox/avro`, query: { path }, ...o },
        (line) => {
          if (!first) return false;
          first = false;
          q.onSchema?.((line as { schema: unknown }).schema);
          return true;
        },
      );
    },
  };

  readonly proxy = {
    /**
     * The provider's own API with the connection's credentials (`path` under its API host;
     * `content/…` for Dropbox's content host). Answers the provider's response as it came.
     */
    fetch: (connectionId: string, path: string, init: RequestInit & CallOptions = {}) =>
      this.t.send({
        method: init.method ?? 'GET',
        path: `/v1/connections/${seg(connectionId)}/proxy/${path.replace(/^\/+/, '')}`,
        headers: init.headers,
        rawBody: init.body,
        signal: init.signal ?? undefined,
        timeoutMs: init.timeoutMs,
        stream: true,
        raw: true,
      }),
  };

  /** NDJSON lines as an async iterable; `skip(line)` true drops a line (the Avro stream's schema). */
  private async *lines<T>(
    r: Parameters<Transport['send']>[0],
    skip: (line: unknown) => boolean,
  ): AsyncGenerator<T> {
    const res = await this.t.send({ ...r, accept: 'application/x-ndjson', stream: true });
    if (!res.body) return;
    for await (const line of ndjsonLines(res.body, res.headers.get('x-request-id') ?? undefined)) {
      if (skip(line)) continue;
      yield line as T;
    }
  }
}

export interface PorticoAdminOptions extends ClientOptions {
  /** The admin key (`ADMIN_API_KEY`) or an admin JWT. */
  adminKey: string;
}

/** The admin's client: tenants, their keys and audit trails. */
export class PorticoAdmin {
  private readonly t: Transport;

  constructor(options: PorticoAdminOptions) {
    this.t = new Transport(options.adminKey, options);
  }

  readonly tenants = {
    /** Creates a tenant; its API key and webhook secret are in this answer only. */
    create: (body: Body<'createTenant'>, o: CallOptions = {}) =>
      this.t.json<CreatedTenant>({ method: 'POST', path: '/v1/tenants', body, ...o }),
    list: (o: CallOptions = {}) =>
      everyPage<Tenant>(async (cursor) => {
        const page = await this.t.json<Schemas['TenantPage']>({
          method: 'GET',
          path: '/v1/tenants',
          query: { cursor },
          ...o,
        });
        return { items: page.tenants, nextCursor: page.nextCursor };
      }),
    get: (id: string, o: CallOptions = {}) =>
      this.t.json<Tenant>({ method: 'GET', path: `/v1/tenants/${seg(id)}`, ...o }),
    update: (id: string, body: Body<'updateTenant'>, o: CallOptions = {}) =>
      this.t.json<Tenant>({ method: 'PATCH', path: `/v1/tenants/${seg(id)}`, body, ...o }),
    /**
     * Stops the tenant at once and revokes every grant at its provider as a durable job: `revoked`
     * (with the counts) once every grant is accounted, else `revoking` with its progress (poll
     * {@link PorticoAdmin.tenants.get} or repeat this call: it is idempotent).
     */
    revoke: (id: string, o: CallOptions = {}) =>
      this.t.json<Schemas['TenantRevocation'] | Schemas['TenantRevoking']>({
        method: 'DELETE',
        path: `/v1/tenants/${seg(id)}`,
        ...o,
      }),
    /** The grants a revocation gave up on (after 24 hours of retries), page after page. */
    revocationFailures: (id: string, o: CallOptions = {}) =>
      everyPage<Schemas['RevocationFailure']>(async (cursor) => {
        const page = await this.t.json<Schemas['RevocationFailurePage']>({
          method: 'GET',
          path: `/v1/tenants/${seg(id)}/revocation/failures`,
          query: { cursor },
          ...o,
        });
        return { items: page.failures, nextCursor: page.nextCursor };
      }),
    createApiKey: (id: string, o: CallOptions = {}) =>
      this.t.json<Schemas['TenantApiKey']>({ method: 'POST', path: `/v1/tenants/${seg(id)}/api-keys`, ...o }),
  };
}
