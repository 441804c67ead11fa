import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { AppEnv } from '../../lib/http/context.js';
import { Api } from '../../lib/http/openapi.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('route schemas are built on first use, not at module init', () => {
  it("builds a route's schemas on its first request, once, and none of another route's", async () => {
    const built: string[] = [];
    const app = new Hono<AppEnv>();
    app.onError((err, c) => c.text(err.message, 400));
    const api = new Api(app)
      .route(
        'get',
        '/things/{id}',
        () => {
          built.push('getThing');
          return {
            operationId: 'getThing',
            tags: ['Things'],
            summary: 'A thing',
            params: z.object({ id: z.string().check(z.maxLength(3)) }),
            responses: { 200: { description: 'The thing' } },
          };
        },
        (c, { params }) => c.json({ id: params.id }),
      )
      .route(
        'get',
        '/others',
        () => {
          built.push('listOthers');
          return { operationId: 'listOthers', tags: ['Things'], summary: 'Others', responses: {} };
        },
        (c) => c.json([]),
      );
    expect(built).toEqual([]);

    expect(await (await app.request('/things/abc')).json()).toEqual({ id: 'abc' });
    // Validation works from the first request on, with the same schema instance.
    const refused = await app.request('/things/abcd');
    expect([refused.status, await refused.text()]).toEqual([
      400,
      expect.stringMatching(/^Invalid path: path\.id: /),
    ]);
    expect(built).toEqual(['getThing']);

    // The OpenAPI document reads every route, building those not yet built, each once.
    expect(api.specs.map((s) => `${s.method} ${s.path} ${s.operationId}`)).toEqual([
      'get /things/{id} getThing',
      'get /others listOthers',
    ]);
    api.specs;
    expect(built).toEqual(['getThing', 'listOthers']);
  });

  it('refuses a bad operationId when the document is built, never on a request', async () => {
    const app = new Hono<AppEnv>();
    const api = new Api(app).route(
      'get',
      '/bad',
      () => ({ operationId: 'Bad-Name', tags: ['Things'], summary: 'Bad', responses: {} }),
      (c) => c.json({ ok: true }),
    );
    expect((await app.request('/bad')).status).toBe(200);
    expect(() => api.specs).toThrow('operationId Bad-Name is not lowerCamelCase');
  });

  it('registers no named schema when the Lambda handler and every route module load', () => {
    // A fresh process: zod's registry is global, and other tests build the document.
    const script = `
      import * as z from 'zod/mini';
      globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };
      await import('./functions/api.ts');
      const atImport = [...z.globalRegistry._idmap.keys()];
      const { apiDocument } = await import('./lib/http/apis.ts');
      const doc = apiDocument();
      console.log(JSON.stringify({ atImport, afterDocument: [...z.globalRegistry._idmap.keys()].length, components: Object.keys(doc.components.schemas).length }));
    `;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: {
        ...process.env,
        AWS_REGION: 'eu-west-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    expect(res.stderr).toBe('');
    const out = JSON.parse(res.stdout) as { atImport: string[]; afterDocument: number; components: number };
    expect(out.atImport).toEqual([]);
    // The same declarations name the document's components once built (the check is not vacuous).
    expect(out.afterDocument).toBeGreaterThan(20);
    expect(out.components).toBeGreaterThan(20);
  });
});
