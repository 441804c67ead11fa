import { describe, expect, it } from 'vitest';
import { PorticoError } from '../../lib/errors.js';
import { ndjsonResponse } from '../../lib/http/ndjson.js';
import { createLogger } from '../../lib/log.js';

const log = createLogger({ write: () => {} });

async function* failingAfter<T>(values: T[], error: Error): AsyncGenerator<T> {
  for (const v of values) yield v;
  throw error;
}

async function lines(res: Response): Promise<unknown[]> {
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('ndjsonResponse', () => {
  it('sends every value read before a failure, then the error line', async () => {
    const res = await ndjsonResponse(
      failingAfter([{ n: 1 }, { n: 2 }, { n: 3 }], new PorticoError('invalid_request', 'damaged at 4')),
      log,
    );
    expect(res.status).toBe(200);
    expect(await lines(res)).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
      { error: { code: 'invalid_request', detail: 'damaged at 4' } },
    ]);
  });

  it('keeps values read in the same batch as a failure deep into the stream', async () => {
    const values = Array.from({ length: 600 }, (_, n) => ({ n }));
    const res = await ndjsonResponse(failingAfter(values, new PorticoError('invalid_request', 'cut')), log);
    const got = await lines(res);
    expect(got).toHaveLength(601);
    expect(got.slice(0, 600)).toEqual(values);
    expect(got[600]).toEqual({ error: { code: 'invalid_request', detail: 'cut' } });
  });

  it('throws a failure met before the first value, to be answered as problem JSON', async () => {
    await expect(
      ndjsonResponse(failingAfter([], new PorticoError('not_found', 'no file')), log),
    ).rejects.toThrow('no file');
  });
});
