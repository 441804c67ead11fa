import { Readable } from 'node:stream';
import avro from 'avsc';
import { expect, it } from 'vitest';
import { decodeAvro } from '../../lib/avro/index.js';

const TARGET_BYTES = 200 * 1024 * 1024;
const PAYLOAD = 1200;

const schema = avro.Type.forSchema({
  type: 'record',
  name: 'Doc',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'title', type: 'string' },
    { name: 'body', type: 'string' },
    { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 32 } },
  ],
});

function* documents(count: number) {
  const hash = Buffer.alloc(32, 0xab);
  for (let id = 0; id < count; id++) {
    yield { id, title: `document ${id}`, body: `${id} `.padEnd(PAYLOAD, 'lorem ipsum '), hash };
  }
}

it('decodes a 200 MB file as it streams, with memory bounded', { timeout: 30_000 }, async () => {
  const rowCount = Math.ceil(TARGET_BYTES / (PAYLOAD + 60));
  // The file never exists whole: rows are encoded on demand and decoded as the encoder emits them.
  const encoder = new avro.streams.BlockEncoder(schema, { blockSize: 256 * 1024 });
  Readable.from(documents(rowCount)).pipe(encoder);
  let bytes = 0;
  async function* counted() {
    for await (const chunk of encoder as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      yield chunk;
    }
  }

  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let rows = 0;
  let lastId = -1;
  for await (const event of decodeAvro(counted())) {
    if (event.kind !== 'row') continue;
    lastId = (event.row as { id: number }).id;
    if (++rows % 2000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  peak = Math.max(peak, process.memoryUsage().rss);

  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(`decoded ${rows} rows, ${mb(bytes)} MB: rss ${mb(baseline)} MB before, ${mb(peak)} MB at peak`);
  expect(rows).toBe(rowCount);
  expect(lastId).toBe(rowCount - 1);
  expect(bytes).toBeGreaterThan(TARGET_BYTES * 0.95);
  expect(peak - baseline).toBeLessThan(300 * 1024 * 1024);
});
