import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowerPath } from '../../lib/dev/sandbox/dropbox/tree.js';
import { handMadeFile } from '../avro/fixtures.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Avro bombs through HTTP (issue: "Avro bombs starve the event loop"): small files that decode
 * to billions of rows are refused with 422, and a stream that is all CPU (a file in memory whose
 * rows cost no I/O) still lets the process answer other requests while it runs.
 */

let s: Stack;
let key: string;
let conn: string;

/** Puts a file into the sandbox's Dropbox account (the seeded tree every account sees). */
async function putFile(path: string, data: Buffer) {
  const files = await s.sandbox.state.dropboxFiles();
  const lower = lowerPath(path);
  if (!files.entries.has(lower)) files.children.get(lower.slice(0, lower.lastIndexOf('/')))?.push(lower);
  files.entries.set(lower, {
    kind: 'file',
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    size: data.length,
    modified: '2026-11-30T12:00:00Z',
    source: { kind: 'bytes', data },
  });
}

const zeroWidthBlocks = (count: number, blocks: number) =>
  Array.from({ length: blocks }, () => ({ count, data: Buffer.alloc(0) }));

beforeAll(async () => {
  s = await startStack();
  const t = await s.tenant();
  key = t.apiKey;
  const minted = s.sandbox.state.mint({ provider: 'dropbox', account: 'bombs' });
  const res = await s.api('POST', '/v1/connections', key, {
    provider: 'dropbox',
    endUserId: 'bombs',
    credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
  });
  expect(res.status).toBe(201);
  conn = (await res.json()).id;
  // 21 KB: a thousand blocks each declaring 2^26 rows of "null".
  await putFile(
    '/data/bomb-null.avro',
    handMadeFile({ schema: 'null', blocks: zeroWidthBlocks(1 << 26, 1000) }),
  );
  // A schema of 400,000 null fields: half a second of CPU a row before the field cap.
  const fields = Array.from({ length: 400_000 }, (_, i) => ({ name: `f${i}`, type: 'null' }));
  await putFile(
    '/data/bomb-wide.avro',
    handMadeFile({
      schema: { type: 'record', name: 'W', fields },
      blocks: [{ count: 8, data: Buffer.alloc(0) }],
    }),
  );
  // Within the limits and all CPU: 1,000 blocks of 1,024 "null" rows, a million lines from 21 KB.
  await putFile(
    '/data/busy-null.avro',
    handMadeFile({ schema: 'null', blocks: zeroWidthBlocks(1024, 1000) }),
  );
}, 60_000);
afterAll(async () => {
  await s?.close();
});

const avro = (path: string, headers: Record<string, string> = {}) =>
  s.api(
    'GET',
    `/v1/connections/${conn}/dropbox/avro?path=${encodeURIComponent(path)}`,
    key,
    undefined,
    headers,
  );

describe('Avro bombs through HTTP', () => {
  it.each(['/data/bomb-null.avro', '/data/bomb-wide.avro'])(
    'answers %s with 422 invalid_request',
    async (path) => {
      const res = await avro(path);
      expect(res.status).toBe(422);
      const problem = await res.json();
      expect(problem.code).toBe('invalid_request');
      expect(problem.detail).toMatch(/more values than its bytes can carry|more than 10000 record fields/);
    },
  );

  it('ends an NDJSON stream of a bomb with an error line, never billions of rows', async () => {
    const res = await avro('/data/bomb-null.avro', { accept: 'application/x-ndjson' });
    const text = await res.text();
    if (res.status === 200) {
      const lines = text.trim().split('\n');
      expect(lines.length).toBeLessThan(10);
      expect(JSON.parse(lines.at(-1)!).error.code).toBe('invalid_request');
    } else {
      expect(res.status).toBe(422);
    }
  });

  it('keeps answering other requests while an all-CPU stream runs', async () => {
    const res = await avro('/data/busy-null.avro', { accept: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    let streamDone = false;
    let lines = 0;
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) lines += decoder.decode(chunk).split('\n').length - 1;
      streamDone = true;
    })();
    // Health checks one after another while the stream is read as fast as it comes.
    let answeredDuring = 0;
    while (!streamDone && answeredDuring < 20) {
      const health = await fetch(`${s.url}/healthz`);
      expect(health.status).toBe(200);
      await health.arrayBuffer();
      if (!streamDone) answeredDuring++;
    }
    await reading;
    expect(lines).toBe(1 + 1024 * 1000); // the schema line, then every row
    // Without turns of the event loop, no health check is answered until the stream has ended.
    expect(answeredDuring).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
