import { describe, expect, it } from 'vitest';
import { PorticoError } from '../../packages/node/src/errors.js';
import { ndjsonLines } from '../../packages/node/src/ndjson.js';

/** The SDK's NDJSON reader: values a line at a time, pulled only as the consumer asks, errors surfaced. */
const encoder = new TextEncoder();

function source(chunks: string[]) {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls++;
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(encoder.encode(next));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulls: () => pulls };
}

describe('ndjsonLines', () => {
  it('reads only as far as the consumer has asked (backpressure)', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `{"n":${i}}\n`);
    const { stream, pulls } = source(lines);
    const it = ndjsonLines(stream);
    expect((await it.next()).value).toEqual({ n: 0 });
    expect((await it.next()).value).toEqual({ n: 1 });
    expect(pulls()).toBeLessThanOrEqual(3);
    await it.return(undefined);
  });

  it('joins lines split across chunks, multi-byte characters included', async () => {
    const bytes = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(encoder.encode('{"a":"résu'));
        c.enqueue(encoder.encode('mé"}\n{"b"'));
        c.enqueue(encoder.encode(':2}'));
        c.close();
      },
    });
    const out = [];
    for await (const v of ndjsonLines(bytes)) out.push(v);
    expect(out).toEqual([{ a: 'résumé' }, { b: 2 }]);
  });

  it('throws the error line a failed stream ends with, and a line cut short', async () => {
    const failed = source(['{"n":1}\n', '{"error":{"code":"invalid_request","detail":"corrupt block"}}\n']);
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const v of ndjsonLines(failed.stream)) seen.push(v);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ n: 1 }]);
    expect(err).toBeInstanceOf(PorticoError);
    expect(err).toMatchObject({ code: 'invalid_request', detail: 'corrupt block' });

    const cut = source(['{"n":1}\n{"n":']);
    await expect(
      (async () => {
        for await (const _ of ndjsonLines(cut.stream));
      })(),
    ).rejects.toMatchObject({ code: 'network_error' });
  });
});
