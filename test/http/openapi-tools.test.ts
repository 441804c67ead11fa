import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { sdkSample, sdkSampleIds } from '../../lib/http/sdk-samples.js';
import { type TestApp, testApp } from '../helpers/app.js';

/**
 * The OpenAPI document as standard tools take it: swagger-parser validates it, Redocly's
 * recommended rules pass (redocly.yaml says why each rule turned off is off), and a client generated
 * by openapi-typescript compiles with openapi-fetch's defaults against the typed answers. The SDK
 * snippets shown on /docs compile against the built SDK.
 */
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const work = join(root, 'test-output', 'openapi-tools');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

type Json = Record<string, unknown>;
interface Operation extends Json {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: Json; example?: unknown }> }>;
  requestBody?: { content: Record<string, { example?: unknown }> };
  'x-ndjson'?: { line: Json };
  'x-codeSamples'?: Array<{ label: string; source: string }>;
}
interface Document {
  info: { license: { identifier?: string } };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, { post: Operation & { parameters: Array<{ name: string; in: string }> } }>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

let t: TestApp;
let doc: Document;
let text: string;
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );

async function compile(dir: string): Promise<{ ok: boolean; out: string }> {
  try {
    await run(process.execPath, [tsc, '-p', dir], { cwd: dir });
    return { ok: true, out: '' };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function project(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      include: ['*.ts'],
    }),
  );
  for (const [file, body] of Object.entries(files)) writeFileSync(join(dir, file), body);
  return dir;
}

beforeAll(async () => {
  t = await testApp({ PUBLIC_URL: 'https://portico.example.org' });
  text = await (await t.call('GET', '/openapi.json')).text();
  doc = JSON.parse(text) as Document;
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'openapi.json'), text);
});

describe('the OpenAPI document', () => {
  it('names this deployment as its server and carries a license identifier', () => {
    expect(doc.servers).toEqual([{ url: 'https://portico.example.org' }]);
    expect(doc.info.license.identifier).toBe('Apache-2.0');
  });

  it('gives every operation a unique lowerCamelCase operationId, a summary, tags and its security', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.length).toBeGreaterThan(40);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, op } of operations()) {
      expect(op.operationId, path).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(op.summary, path).toBeTruthy();
      expect(op.tags?.length, path).toBeGreaterThan(0);
      expect(op.security, path).toBeDefined();
    }
    const byId = Object.fromEntries(operations().map(({ op }) => [op.operationId, op]));
    expect(byId.listConnections.security).toEqual([{ tenantKey: [] }]);
    expect(byId.createTenant.security).toEqual([{ adminKey: [] }, { adminJwt: [] }]);
    expect(byId.getHealth.security).toEqual([]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminJwt', 'adminKey', 'tenantKey']);
  });

  it('names every object of the contract once and never repeats one inline', () => {
    for (const name of [
      'Tenant',
      'Connection',
      'ConnectSession',
      'AccessToken',
      'HubdbTable',
      'HubdbRow',
      'DropboxEntry',
      'AvroPage',
      'AuditEvent',
      'Problem',
      'ConnectionPage',
      'HubdbRowPage',
    ])
      expect(doc.components.schemas, name).toHaveProperty(name);
    const named = new Set(Object.values(doc.components.schemas).map((s) => JSON.stringify(s)));
    const inline: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      if (named.has(JSON.stringify(node))) inline.push(where);
      for (const [k, v] of Object.entries(node))
        if (k !== 'example' && k !== 'examples') walk(v, `${where}/${k}`);
    };
    for (const { path, method, op } of operations()) {
      for (const [status, r] of Object.entries(op.responses))
        for (const [type, c] of Object.entries(r.content ?? {}))
          walk(c.schema, `${method} ${path} ${status} ${type}`);
    }
    expect(inline).toEqual([]);
    const rows = doc.paths['/v1/connections/{id}/hubdb/tables/{table}/rows'].get;
    expect(rows.responses['200'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/HubdbRowPage',
    });
  });

  it('documents NDJSON streams outside the content map, as x-ndjson naming the line schema', () => {
    for (const { path, op } of operations())
      for (const r of Object.values(op.responses))
        expect(Object.keys(r.content ?? {}), path).not.toContain('application/x-ndjson');
    const rows = doc.paths['/v1/connections/{id}/hubdb/tables/{table}/rows'].get;
    expect(rows['x-ndjson']?.line).toEqual({ $ref: '#/components/schemas/HubdbRow' });
    expect(doc.paths['/v1/connections/{id}/dropbox/avro'].get['x-ndjson']).toBeDefined();
  });

  it('has an example for each request body and main answer, and a curl sample for every API call', () => {
    for (const { path, method, op } of operations()) {
      if (op.requestBody)
        expect(op.requestBody.content['application/json'].example, `${method} ${path}`).toBeDefined();
      const main = Object.entries(op.responses).find(
        ([s, r]) => s.startsWith('2') && r.content?.['application/json'],
      );
      if (main) expect(main[1].content?.['application/json'].example, `${method} ${path}`).toBeDefined();
      if (path.startsWith('/v1/'))
        expect(
          op['x-codeSamples']?.map((s) => s.label),
          `${method} ${path}`,
        ).toContain('curl');
    }
    const list = doc.paths['/v1/connections'].get['x-codeSamples'];
    expect(list?.find((s) => s.label === '@portico/node')?.source).toContain('portico.connections.list(');
  });

  it('lists every webhook event with its payload and the Standard Webhooks headers', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual(
      [
        'connection.created',
        'connection.deleted',
        'connection.needs_reauth',
        'connection.recovered',
        'connection.refresh_failed',
        'connection.updated',
        'tenant.revoked',
      ].sort(),
    );
    for (const [event, { post }] of Object.entries(doc.webhooks)) {
      expect(
        post.parameters.map((p) => `${p.in}:${p.name}`),
        event,
      ).toEqual(['header:webhook-id', 'header:webhook-timestamp', 'header:webhook-signature']);
      const example = post.requestBody?.content['application/json'].example as { type: string } | undefined;
      expect(example?.type).toBe(event);
    }
  });

  it('is valid OpenAPI 3.1 for swagger-parser', async () => {
    await expect(SwaggerParser.validate(JSON.parse(text))).resolves.toBeDefined();
    // The check can fail: the document as the issue found it (a license without identifier) is refused.
    const broken = JSON.parse(text);
    broken.info.license = { name: 'Apache-2.0' };
    await expect(SwaggerParser.validate(broken)).rejects.toThrow();
  });

  it("passes Redocly's recommended rules with no warning", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        join(root, 'node_modules/@redocly/cli/bin/cli.js'),
        'lint',
        join(work, 'openapi.json'),
        '--config',
        join(root, 'redocly.yaml'),
        '--format',
        'json',
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    ).catch((err: { stdout: string; stderr: string }) => err);
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      totals: Record<string, number>;
      problems: unknown[];
    };
    expect(report.problems, stderr).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);

  it('generates a client (openapi-typescript) that compiles with openapi-fetch defaults, no casts', async () => {
    const dir = project('generated-client', {
      'main.ts': `import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

const client = createClient<paths>({ baseUrl: 'https://portico.example.org' });

export async function read(): Promise<void> {
  const { data: connection } = await client.GET('/v1/connections/{id}', { params: { path: { id: 'conn_1' } } });
  if (connection) {
    const status: string = connection.status;
    console.log(status);
  }
  const { data: page } = await client.GET('/v1/connections/{id}/hubdb/tables/{table}/rows', {
    params: { path: { id: 'conn_1', table: 'products' }, query: { limit: 10 } },
  });
  for (const row of page?.rows ?? []) {
    const values: Record<string, unknown> = row.values;
    console.log(values);
  }
  const { data: avro } = await client.GET('/v1/connections/{id}/dropbox/avro', {
    params: { path: { id: 'conn_1' }, query: { path: '/data/users.avro' } },
  });
  if (avro) {
    const rows: unknown[] = avro.rows;
    console.log(rows.length, avro.nextCursor);
  }
}
`,
    });
    await run(
      process.execPath,
      [
        join(root, 'packages/node/node_modules/openapi-typescript/bin/cli.js'),
        join(work, 'openapi.json'),
        '-o',
        join(dir, 'schema.ts'),
      ],
      { cwd: root },
    );
    const good = await compile(dir);
    expect(good.out).toBe('');
    expect(good.ok).toBe(true);
    // It can fail: a field the row does not have is a type error.
    writeFileSync(
      join(dir, 'wrong.ts'),
      `import type { components } from './schema.js';
export const f = (r: components['schemas']['HubdbRow']) => r.cells;
`,
    );
    const bad = await compile(dir);
    expect(bad.ok).toBe(false);
    expect(bad.out).toContain("Property 'cells' does not exist");
  }, 120_000);

  it('shows SDK snippets that compile against the built @portico/node', async () => {
    const sdk = join(root, 'packages/node/dist/index.js');
    const body = sdkSampleIds
      .map((id, i) => `export async function sample${i}_${id}() {\n${sdkSample(id)}\n}`)
      .join('\n\n');
    const dir = project('sdk-samples', {
      'samples.ts': `import { Portico, PorticoAdmin } from ${JSON.stringify(sdk)};
declare const baseUrl: string;
declare const apiKey: string;
declare const adminKey: string;
declare const code: string;
void Portico;
void PorticoAdmin;

${body}
`,
    });
    const out = await compile(dir);
    expect(out.out).toBe('');
    expect(out.ok).toBe(true);
    const ops = new Set(operations().map(({ op }) => op.operationId));
    for (const id of sdkSampleIds) expect(ops, id).toContain(id);
  }, 120_000);
});
