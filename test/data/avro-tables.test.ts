import avro from 'avsc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVOLVING_SCHEMAS, wideSchema } from '../../lib/dev/sandbox/dropbox/avro-datasets.js';
import { encodeContainer } from '../../lib/dev/sandbox/dropbox/avro-fixtures.js';
import { lowerPath } from '../../lib/dev/sandbox/dropbox/tree.js';
import { exprArbitrary, type Family, keeps, type OracleField, printExpr } from '../avro/where-oracle.js';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
let tenant: { id: string; apiKey: string };
let drop: string;

beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
  const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
    provider: 'dropbox',
    endUserId: 'tables-user',
    returnUrl: 'https://app.acme.test/done',
  });
  const { connectUrl } = await res.json();
  const { callback } = await walkConnect(new TestBrowser(), connectUrl, { account: 'demo' });
  drop = new URL(locationOf(callback)).searchParams.get('connectionId')!;
}, 60_000);
afterAll(async () => {
  await s?.close();
});

const get = (query: string, headers: Record<string, string> = {}) =>
  s.api('GET', `/v1/connections/${drop}/dropbox/avro${query}`, tenant.apiKey, undefined, headers);

type Row = Record<string, unknown>;
interface Page {
  schema: unknown;
  rows: Row[];
  scanned: number;
  nextCursor?: string;
}

/** Every page of a query, following cursors. */
async function pages(query: string): Promise<Page[]> {
  const out: Page[] = [];
  let cursor: string | undefined;
  do {
    const res = await get(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const page = (await res.json()) as Page;
    out.push(page);
    cursor = page.nextCursor;
  } while (cursor && out.length < 500);
  return out;
}

async function ndjson(query: string): Promise<unknown[]> {
  const res = await get(query, { accept: 'application/x-ndjson' });
  expect(res.status).toBe(200);
  return (await res.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

const q = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;

/** The sandbox's bytes of a file, as the test's oracle reads them. */
async function fileBytes(path: string): Promise<Buffer> {
  const entry = (await s.sandbox.state.dropboxFiles()).entries.get(lowerPath(path));
  if (entry?.kind !== 'file' || entry.source.kind !== 'bytes') throw new Error(`no file ${path}`);
  return entry.source.data;
}

/** Paths of the `.avro` files under a folder of the sandbox, in table order (folder, then name). */
async function avroFilesUnder(folder: string): Promise<string[]> {
  const files = await s.sandbox.state.dropboxFiles();
  const prefix = `${lowerPath(folder)}/`;
  const paths = [...files.entries.values()]
    .filter((e) => e.kind === 'file' && lowerPath(e.path).startsWith(prefix) && e.name.endsWith('.avro'))
    .map((e) => e.path);
  const dir = (p: string) => p.slice(0, p.lastIndexOf('/')).toLowerCase();
  const name = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  return paths.sort((a, b) => (dir(a) !== dir(b) ? (dir(a) < dir(b) ? -1 : 1) : name(a) < name(b) ? -1 : 1));
}

/** avsc's decode of a file's records, read with `reader` (its own schema when not given). */
async function avscRows(bytes: Buffer, reader?: unknown): Promise<unknown[]> {
  const raw: Buffer[] = [];
  let writerSchema: unknown;
  await new Promise<void>((resolve, reject) => {
    const decoder = new avro.streams.BlockDecoder({ noDecode: true });
    decoder
      .on('metadata', (type: avro.Type) => {
        writerSchema = type.schema();
      })
      .on('data', (row: Buffer) => raw.push(row))
      .on('end', () => resolve())
      .on('error', reject);
    decoder.end(bytes);
  });
  const writer = avro.Type.forSchema(writerSchema as avro.Schema);
  const readerType = reader === undefined ? writer : avro.Type.forSchema(reader as avro.Schema);
  const resolver = readerType.createResolver(writer);
  return raw.map((row) => readerType.fromBuffer(row, resolver));
}

/** An export event as the route writes it (timestamps as ISO-8601). */
function exportJson(row: unknown): Row {
  const r = row as Row;
  return { ...r, ts: new Date(r.ts as number).toISOString() };
}

async function exportOracle(folder: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const path of await avroFilesUnder(folder))
    rows.push(...(await avscRows(await fileBytes(path))).map(exportJson));
  return rows;
}

/** Dot paths picked out of a row, nesting kept. */
function pick(row: Row, paths: string[]): Row {
  const out: Row = {};
  for (const path of paths) {
    const [head, ...rest] = path.split('.');
    if (rest.length === 0) out[head] = row[head];
    else out[head] = { ...((out[head] as Row) ?? {}), ...pick(row[head] as Row, [rest.join('.')]) };
  }
  return out;
}

const listCalls = () =>
  Object.entries(s.sandbox.state.stats().dropbox.routes)
    .filter(([route]) => route.includes('list_folder'))
    .reduce((sum, [, n]) => sum + n, 0);

describe('a folder read as one table', () => {
  it('pages through a partitioned export: every row once, in folder then name order, pages ending inside and between files', async () => {
    const expected = await exportOracle('/exports/events/2026-11');
    expect(expected).toHaveLength(2500);
    const before = listCalls();
    const all = await pages(q({ path: '/exports/events/2026-11', recursive: 'true', limit: '97' }));
    // One listing a page, whatever the number of files the page reads.
    expect(listCalls() - before).toBe(all.length);
    const rows = all.flatMap((p) => p.rows);
    expect(rows).toEqual(expected);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(2500);
    expect(all.map((p) => p.scanned)).toEqual(all.map((p) => p.rows.length));
    expect((all[0].schema as { name: string }).name).toBe('ExportEvent');
    // October is not part of November's folder; a non-recursive read of the month has no files of its own.
    const month = await (await get(q({ path: '/exports/events/2026-11' }))).json();
    expect(month).toEqual({ schema: null, rows: [], scanned: 0 });
  });

  it('streams the same rows as NDJSON, the schema first', async () => {
    const lines = await ndjson(q({ path: '/exports/events/2026-11', recursive: 'true' }));
    expect((lines[0] as { schema: { name: string } }).schema.name).toBe('ExportEvent');
    expect(lines.slice(1)).toEqual(await exportOracle('/exports/events/2026-11'));
  });

  it("answers the README's example: three columns of the rows where country = 'DE' across last month's export", async () => {
    const fields = 'event_id,user_id,device.os';
    const query = q({ path: '/exports/events/2026-11', recursive: 'true', fields, where: "country = 'DE'" });
    const expected = (await exportOracle('/exports/events/2026-11'))
      .filter((r) => r.country === 'DE')
      .map((r) => pick(r, fields.split(',')));
    expect(expected.length).toBeGreaterThan(100);
    const all = await pages(`${query}&limit=50`);
    expect(all.flatMap((p) => p.rows)).toEqual(expected);
    expect(all.reduce((sum, p) => sum + p.scanned, 0)).toBe(2500);
    expect(Object.keys(all[0].rows[0])).toEqual(['event_id', 'user_id', 'device']);
    const lines = await ndjson(query);
    expect(lines.slice(1)).toEqual(expected);
  });

  it('keeps exactly the rows a fuzzed oracle keeps, for generated where= expressions over HTTP', async () => {
    const table = await exportOracle('/exports/events/2026-11');
    const fields: OracleField[] = [
      { path: 'country', family: 'string', literals: ['DE', 'FR', 'US', 'XX'] },
      { path: 'amount', family: 'number', literals: [0, 100, 250.5, 499.99] },
      { path: 'user_id', family: 'number', literals: [1, 25000, 50000] },
      { path: 'device.os', family: 'string', literals: ['ios', 'web', 'w'] },
      { path: 'device.version', family: 'number', literals: [1, 10, 20] },
      { path: 'coupon', family: 'string', literals: ['SAVE0', 'SAVE10', 'NONE'] },
      { path: 'ts', family: 'string', literals: ['2026-11-03', '2026-11-04T12:00:00.000Z'] },
    ];
    const families = new Map<string, Family>(fields.map((f) => [f.path, f.family]));
    const exprs = fc.sample(exprArbitrary(fields, ['%', 'SAVE%', '%1%', 'i%s', 'D%']), {
      numRuns: 24,
      seed: 1218,
    });
    for (const [i, expr] of exprs.entries()) {
      const where = printExpr(expr, i);
      const lines = await ndjson(
        q({ path: '/exports/events/2026-11', recursive: 'true', where, fields: 'event_id' }),
      );
      const expected = table
        .filter((row) => keeps(expr, row, families))
        .map((row) => ({ event_id: row.event_id }));
      expect(lines.slice(1), where).toEqual(expected);
    }
  });

  it('reads a folder whose schema evolved as the last file’s schema, as avsc resolves each file', async () => {
    const reader = EVOLVING_SCHEMAS[2];
    const expected: unknown[] = [];
    for (const path of await avroFilesUnder('/exports/evolving')) {
      expected.push(...(await avscRows(await fileBytes(path), reader)));
    }
    const rows = (await pages(q({ path: '/exports/evolving', limit: '33' }))).flatMap((p) => p.rows);
    expect(rows).toEqual(expected);
    expect(rows[0]).toEqual({ id: 0, name: 'customer-0', score: 0, country: 'DE', address: null });
    const nested = (
      await pages(q({ path: '/exports/evolving', fields: 'id,address.city', where: "address.city = 'Köln'" }))
    ).flatMap((p) => p.rows);
    expect(nested).toEqual(
      (expected as Row[])
        .filter((r) => (r.address as Row | null)?.city === 'Köln')
        .map((r) => ({ id: r.id, address: { city: (r.address as Row).city } })),
    );
  });

  it('describes a table: its schema and each file with its row count from the block headers', async () => {
    const res = await get(`/schema${q({ path: '/exports/evolving' })}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.schema).toEqual(EVOLVING_SCHEMAS[2]);
    expect(body.files.map((f: { path: string; rows: number }) => [f.path, f.rows])).toEqual([
      ['/exports/evolving/2026-11-01.avro', 100],
      ['/exports/evolving/2026-11-02.avro', 100],
      ['/exports/evolving/2026-11-03.avro', 100],
    ]);
    expect(body.files[0]).toMatchObject({
      id: expect.stringMatching(/^id:/),
      rev: expect.any(String),
      size: expect.any(Number),
    });
    const events = await (await get(`/schema${q({ path: '/exports/events', recursive: 'true' })}`)).json();
    expect(events.files).toHaveLength(11);
    expect(events.files.every((f: { rows: number }) => f.rows === 250)).toBe(true);
  });

  it('refuses a folder with a file that does not fit, naming the first one', async () => {
    const schema = await get(`/schema${q({ path: '/exports/mixed' })}`);
    expect(schema.status).toBe(422);
    const problem = await schema.json();
    expect(problem).toMatchObject({ code: 'invalid_request', file: '/exports/mixed/b.avro' });
    expect(problem.detail).toMatch(/b\.avro does not fit .*c\.avro.*id/);
    // Pages before the file are served; the page that reaches it answers 422.
    const first = await get(q({ path: '/exports/mixed', limit: '10' }));
    expect(first.status).toBe(200);
    const all = await get(q({ path: '/exports/mixed', limit: '1000' }));
    expect(all.status).toBe(422);
    expect((await all.json()).file).toBe('/exports/mixed/b.avro');
  });
});

describe('one file', () => {
  it('projects nested fields of a wide file, equal to avsc’s full decode then picking', async () => {
    const bytes = await fileBytes('/data/wide.avro');
    // Bytes come out as base64.
    const full = ((await avscRows(bytes)) as Row[]).map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : v]),
      ),
    );
    const fields = ['id', 'c07', 'origin.city'];
    const rows = (
      await pages(q({ path: '/data/wide.avro', fields: fields.join(','), limit: '1000' }))
    ).flatMap((p) => p.rows);
    expect(rows).toEqual(full.map((r) => pick(r, fields)));
    expect(Object.keys((wideSchema() as { fields: unknown[] }).fields)).toHaveLength(40);
  });

  it('keeps its pages as before, now with scanned', async () => {
    const page = await (await get(q({ path: '/data/users.avro', limit: '7' }))).json();
    expect(page).toMatchObject({ rows: expect.any(Array), scanned: 7, nextCursor: expect.any(String) });
    expect(page.rows).toHaveLength(7);
  });
});

describe('refusals', () => {
  const base = { path: '/exports/events/2026-11', recursive: 'true' };

  it.each([
    [{ where: "country = 'DE" }, 'where', 10],
    [{ where: "nope = 'DE'" }, 'where', 0],
    [{ where: 'country > 1' }, 'where', 10],
    [{ where: `${'('.repeat(40)}amount > 1${')'.repeat(40)}` }, 'where', 32],
    [{ fields: 'event_id,nope' }, 'fields', 9],
    [{ fields: 'event_id,,user_id' }, 'fields', 9],
    [{ fields: 'device.os.x' }, 'fields', 0],
  ])('answers 400 for %j, naming the parameter and the position', async (params, parameter, position) => {
    const res = await get(q({ ...base, ...params }));
    expect(res.status).toBe(400);
    const problem = await res.json();
    expect(problem).toMatchObject({ code: 'invalid_request', parameter, position });
  });

  it('refuses a cursor of another query, a tampered one, and a malformed one', async () => {
    const page = await (await get(q({ ...base, limit: '10' }))).json();
    const other = await get(`${q({ ...base, where: "country = 'DE'" })}&cursor=${page.nextCursor}`);
    expect(other.status).toBe(400);
    expect((await other.json()).detail).toMatch(/another query/);
    const body = JSON.parse(Buffer.from(page.nextCursor, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...body, o: body.o + 3, s: 0 })).toString('base64url');
    const res = await get(`${q(base)}&cursor=${tampered}`);
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/cursor/);
    const past = Buffer.from(JSON.stringify({ ...body, s: 100_000 })).toString('base64url');
    expect((await get(`${q(base)}&cursor=${past}`)).status).toBe(400);
    expect((await get(`${q(base)}&cursor=${Buffer.from('{"v":2}').toString('base64url')}`)).status).toBe(400);
  });
});

describe('files changing mid-read', () => {
  async function copyFolder(to: string): Promise<void> {
    for (const path of await avroFilesUnder('/exports/evolving')) {
      await s.sandbox.state.addDropboxFile(
        `${to}/${path.slice(path.lastIndexOf('/') + 1)}`,
        await fileBytes(path),
      );
    }
  }

  it('answers 409 conflict when a file is replaced between pages', async () => {
    await copyFolder('/exports/replaced');
    const page = await (await get(q({ path: '/exports/replaced', limit: '150' }))).json();
    expect(page.rows).toHaveLength(150);
    const schema = EVOLVING_SCHEMAS[1];
    const replacement = await encodeContainer(schema, [{ id: 7n, name: 'new', score: 1, country: 'FR' }], {
      codec: 'null',
      blockSize: 1024,
      label: 'replacement',
    });
    await s.sandbox.state.changeDropboxFile('/exports/replaced/2026-11-02.avro', replacement);
    const res = await get(`${q({ path: '/exports/replaced', limit: '150' })}&cursor=${page.nextCursor}`);
    expect(res.status).toBe(409);
    const problem = await res.json();
    expect(problem.code).toBe('conflict');
    expect(problem.detail).toMatch(/2026-11-02\.avro is not the file it was/);
  });

  it('answers 409 conflict when a file is added between pages', async () => {
    await copyFolder('/exports/added');
    const page = await (await get(q({ path: '/exports/added', limit: '50' }))).json();
    await s.sandbox.state.addDropboxFile(
      '/exports/added/2026-11-04.avro',
      await fileBytes('/exports/evolving/2026-11-03.avro'),
    );
    const res = await get(`${q({ path: '/exports/added', limit: '50' })}&cursor=${page.nextCursor}`);
    expect(res.status).toBe(409);
    expect((await res.json()).detail).toMatch(/added, removed or replaced/);
  });

  it('ends a stream with a conflict line when a file it has not reached yet is replaced under it', async () => {
    const wide = await fileBytes('/data/wide.avro');
    for (const name of ['w1', 'w2', 'w3'])
      await s.sandbox.state.addDropboxFile(`/exports/streamed/${name}.avro`, wide);
    const res = await get(q({ path: '/exports/streamed' }), { accept: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value as Uint8Array];
    // The listing is taken and the first file streaming (megabytes of rows, held back by the
    // client not reading): the last file is saved again before the stream reaches it.
    await s.sandbox.state.changeDropboxFile(
      '/exports/streamed/w3.avro',
      Buffer.concat([wide, Buffer.alloc(0)]),
    );
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThan(6000);
    expect(lines.at(-1)).toEqual({
      error: { code: 'conflict', detail: expect.stringMatching(/w3\.avro changed while it was read/) },
    });
  });
});
