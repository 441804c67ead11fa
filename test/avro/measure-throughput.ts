/**
 * Throughput of decodeAvro against plain avsc.createFileDecoder on the same file (not a test; timings
 * are too noisy to assert). Run: npx tsx test/avro/measure-throughput.ts [rows] [null|deflate]
 * (avsc has no snappy codec to compare with).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import avro from 'avsc';
import { decodeAvro } from '../../lib/avro/index.js';

const rowCount = Number(process.argv[2] ?? 1_000_000);
const codec = process.argv[3] ?? 'null';
if (codec !== 'null' && codec !== 'deflate') throw new Error(`codec ${codec}: pick null or deflate`);

const schema: Parameters<typeof avro.Type.forSchema>[0] = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'user', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'CLICK', 'BUY'] } },
    { name: 'amount', type: 'double' },
    { name: 'count', type: 'int' },
    { name: 'note', type: ['null', 'string'] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'active', type: 'boolean' },
  ],
};

async function writeFile(path: string): Promise<void> {
  const encoder = avro.createFileEncoder(path, schema, { codec, blockSize: 64 * 1024 });
  for (let i = 0; i < rowCount; i++) {
    const ok = encoder.write({
      id: 1_700_000_000_000 + i,
      user: `user-${i % 5000}`,
      kind: ['VIEW', 'CLICK', 'BUY'][i % 3],
      amount: i * 0.25,
      count: i % 1000,
      note: i % 4 === 0 ? null : `note number ${i}`,
      tags: i % 2 === 0 ? ['a', 'bb'] : [],
      active: i % 2 === 1,
    });
    if (!ok) await new Promise((resolve) => encoder.once('drain', resolve));
  }
  encoder.end();
  await finished(encoder);
  // createFileEncoder pipes into a file stream; give it a moment to flush.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

async function plainAvsc(path: string): Promise<number> {
  let rows = 0;
  const decoder = avro.createFileDecoder(path);
  decoder.on('data', () => {
    rows++;
  });
  await finished(decoder);
  return rows;
}

async function portico(path: string): Promise<number> {
  let rows = 0;
  for await (const event of decodeAvro(createReadStream(path, { highWaterMark: 64 * 1024 }))) {
    if (event.kind === 'row') rows++;
  }
  return rows;
}

async function time(label: string, run: () => Promise<number>, bytes: number): Promise<number> {
  const start = performance.now();
  const rows = await run();
  const seconds = (performance.now() - start) / 1000;
  const rate = rows / seconds;
  console.log(
    `${label.padEnd(14)} ${rows} rows in ${seconds.toFixed(2)} s: ${(rate / 1e6).toFixed(2)} M rows/s, ${(bytes / seconds / 1e6).toFixed(0)} MB/s`,
  );
  return rate;
}

const dir = await mkdtemp(join(tmpdir(), 'avro-throughput-'));
try {
  const path = join(dir, 'events.avro');
  await writeFile(path);
  const { size } = await stat(path);
  console.log(`${rowCount} rows, codec ${codec}, ${(size / 1e6).toFixed(1)} MB`);
  const ratios: number[] = [];
  for (let round = 0; round < 3; round++) {
    const baseline = await time('avsc', () => plainAvsc(path), size);
    const ours = await time('decodeAvro', () => portico(path), size);
    ratios.push(ours / baseline);
  }
  console.log(`decodeAvro / avsc: ${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
