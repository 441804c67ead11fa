import { invalidRequest, notFound, PorticoError, ProviderError, TokenRejected } from '../../errors.js';
import { fetchWithRetry, retryAfterMs, transientError } from '../http.js';
import { readJson } from '../read.js';
import { isDailyLimit } from './limits.js';

/** HubDB 2026-03 (https://developers.hubspot.com/docs/api/cms/hubdb; v3's shapes), normalized for Portico's API. */

export interface HubDbColumn {
  name: string;
  label: string;
  type: string;
}
export interface HubDbTable {
  id: string;
  name: string;
  label: string;
  rowCount: number;
  published: boolean;
  updatedAt: string | null;
  columns: HubDbColumn[];
}
export interface HubDbRow {
  id: string;
  values: Record<string, unknown>;
  createdAt: string | null;
  updatedAt: string | null;
}

interface RawTable {
  id?: string | number;
  name?: string;
  label?: string;
  rowCount?: number;
  published?: boolean;
  updatedAt?: string;
  columns?: Array<{ name?: string; label?: string; type?: string }>;
}
interface RawRow {
  id?: string | number;
  values?: Record<string, unknown>;
  createdAt?: string;
  updatedAt?: string;
}
interface RawPage<T> {
  type?: string;
  results?: T[];
  paging?: { next?: { after?: string; offset?: number | string } };
}

/**
 * Portico's rows cursor over HubSpot's two paging kinds: `a.<after>` for STREAMING answers and
 * `o.<offset>` for RANDOM_ACCESS ones (a bare token is an `after` from before the prefix).
 */
export function rowsCursor(
  next: { after?: string; offset?: number | string } | undefined,
): string | undefined {
  if (typeof next?.after === 'string' && next.after) return `a.${next.after}`;
  const offset = typeof next?.offset === 'string' ? Number(next.offset) : next?.offset;
  if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset > 0) return `o.${offset}`;
  return undefined;
}

/** Sets the HubSpot paging parameter a {@link rowsCursor} stands for (and clears the other). */
export function resumeRows(query: URLSearchParams, cursor: string | undefined): void {
  query.delete('after');
  query.delete('offset');
  if (!cursor) return;
  if (cursor.startsWith('o.')) {
    if (!/^o\.\d{1,9}$/.test(cursor))
      throw invalidRequest('The cursor is not valid: pass the nextCursor of a previous page.');
    query.set('offset', cursor.slice(2));
  } else query.set('after', cursor.startsWith('a.') ? cursor.slice(2) : cursor);
}

export const toTable = (t: RawTable): HubDbTable => ({
  id: String(t.id ?? ''),
  name: String(t.name ?? ''),
  label: String(t.label ?? t.name ?? ''),
  rowCount: typeof t.rowCount === 'number' ? t.rowCount : 0,
  published: Boolean(t.published),
  updatedAt: t.updatedAt ?? null,
  columns: (t.columns ?? []).map((c) => ({
    name: String(c.name ?? ''),
    label: String(c.label ?? c.name ?? ''),
    type: String(c.type ?? ''),
  })),
});

export const toRow = (r: RawRow): HubDbRow => ({
  id: String(r.id ?? ''),
  values: r.values ?? {},
  createdAt: r.createdAt ?? null,
  updatedAt: r.updatedAt ?? null,
});

/**
 * Maps a HubSpot error answer to ours: 401 -> {@link TokenRejected} (refresh once and retry),
 * 403 MISSING_SCOPES -> `403 forbidden` naming the scopes, 404 -> `404`, 429/5xx -> retry
 * advice, other 4xx -> `400 invalid_request` with HubSpot's message.
 */
export async function hubspotError(res: Response, now = Date.now()): Promise<Error> {
  if (res.status === 429) {
    const body = (await readJson(res)) as { policyName?: string } | undefined;
    if (body?.policyName === 'DAILY') return dailyLimitError(res, now);
    return transientError(res, 'HubSpot') ?? new ProviderError('provider_error', 'HubSpot answered 429.');
  }
  if (res.status === 401) {
    await res.body?.cancel().catch(() => {});
    return new TokenRejected('HubSpot refused the access token');
  }
  const transient = transientError(res, 'HubSpot');
  if (transient) {
    await res.body?.cancel().catch(() => {});
    return transient;
  }
  const body = (await readJson(res)) as
    | { message?: string; category?: string; errors?: Array<{ context?: { requiredScopes?: string[] } }> }
    | undefined;
  const message =
    typeof body?.message === 'string' ? body.message.slice(0, 500) : `HubSpot answered ${res.status}`;
  if (res.status === 403) {
    const scopes = [...new Set((body?.errors ?? []).flatMap((e) => e.context?.requiredScopes ?? []))];
    return new PorticoError(
      'forbidden',
      scopes.length ? `The connection is missing the HubSpot scopes: ${scopes.join(', ')}.` : message,
      scopes.length ? { extra: { requiredScopes: scopes } } : {},
    );
  }
  if (res.status === 404) return notFound('HubDB resource');
  if (res.status >= 400 && res.status < 500) return invalidRequest(`HubSpot: ${message}`);
  return new ProviderError('provider_error', `HubSpot answered ${res.status}.`);
}

/**
 * `429 rate_limited` for a used-up daily limit: `Retry-After` from HubSpot's header when it sends
 * one, else until the next UTC midnight (HubSpot resets at midnight in the account's time zone,
 * which we do not know; a guess on the safe side for most accounts).
 */
function dailyLimitError(res: Response, now: number): PorticoError {
  const header = retryAfterMs(res, now);
  const midnight = new Date(now);
  midnight.setUTCHours(24, 0, 0, 0);
  const seconds = Math.max(1, Math.ceil((header ?? midnight.getTime() - now) / 1000));
  return new PorticoError(
    'rate_limited',
    "HubSpot's daily API call limit for this account is used up; retry after it resets.",
    { retryAfter: seconds },
  );
}

/** A HubDB client bound to an API base URL and an access token. */
export function hubdb(apiUrl: string, token: string) {
  const base = `${apiUrl}/cms/hubdb/2026-03`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T | undefined> => {
    const { response } = await fetchWithRetry(
      `${base}${path}`,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
      { final: isDailyLimit },
    );
    if (!response.ok) throw await hubspotError(response);
    if (response.status === 204) return undefined;
    return (await readJson(response)) as T;
  };
  const seg = (s: string) => encodeURIComponent(s);
  return {
    async listTables(limit: number, after?: string) {
      const q = new URLSearchParams({ limit: String(limit) });
      if (after) q.set('after', after);
      const page = (await call<RawPage<RawTable>>('GET', `/tables?${q}`)) ?? {};
      return { tables: (page.results ?? []).map(toTable), nextCursor: page.paging?.next?.after };
    },
    async getTable(table: string) {
      return toTable((await call<RawTable>('GET', `/tables/${seg(table)}`)) ?? {});
    },
    /** One page of rows; `nextCursor` continues either paging kind (see {@link rowsCursor}). */
    async listRows(table: string, query: URLSearchParams) {
      const page = (await call<RawPage<RawRow>>('GET', `/tables/${seg(table)}/rows?${query}`)) ?? {};
      return { rows: (page.results ?? []).map(toRow), nextCursor: rowsCursor(page.paging?.next) };
    },
    async getRow(table: string, rowId: string) {
      return toRow((await call<RawRow>('GET', `/tables/${seg(table)}/rows/${seg(rowId)}`)) ?? {});
    },
    async createRow(table: string, values: Record<string, unknown>) {
      return toRow((await call<RawRow>('POST', `/tables/${seg(table)}/rows`, { values })) ?? {});
    },
    async updateRow(table: string, rowId: string, values: Record<string, unknown>) {
      return toRow(
        (await call<RawRow>('PATCH', `/tables/${seg(table)}/rows/${seg(rowId)}/draft`, { values })) ?? {},
      );
    },
    async deleteRow(table: string, rowId: string) {
      await call('DELETE', `/tables/${seg(table)}/rows/${seg(rowId)}/draft`);
    },
    async publish(table: string) {
      return toTable((await call<RawTable>('POST', `/tables/${seg(table)}/draft/publish`)) ?? {});
    },
  };
}
