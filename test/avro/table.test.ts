import { describe, expect, it } from 'vitest';
import {
  type AvroTableFile,
  PAGE_SCAN_LIMITS,
  readAvroTablePage,
  streamAvroTable,
  streamAvroTableNdjson,
  type TableByteSource,
} from '../../lib/avro/index.js';
import { encodeFile, type Schema } from './fixtures.js';

const SCHEMA: Schema = { type: 'record', name: 'R', fields: [{ name: 'n', type: 'int' }] };

/** A table of `count` files of 3 rows each, served from memory, counting the downloads opened and open at once. */
async function table(count: number) {
  const bytes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      encodeFile(SCHEMA, [{ n: i * 3 }, { n: i * 3 + 1 }, { n: i * 3 + 2 }]),
    ),
  );
  const files: AvroTableFile[] = bytes.map((_, i) => ({
    id: `id:${i}`,
    rev: '1',
    path: `/t/${String(i).padStart(3, '0')}.avro`,
  }));
  let open = 0;
  let mostOpen = 0;
  let opened = 0;
  const source: TableByteSource = async (file, offset) => {
    const data = bytes[Number(file.id.slice(3))].subarray(offset);
    opened++;
    open++;
    mostOpen = Math.max(mostOpen, open);
    let sent = false;
    let closed = false;
    const close = () => {
      if (!closed) open--;
      closed = true;
    };
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (sent) {
            close();
            return { done: true, value: undefined };
          }
          sent = true;
          return { done: false, value: data };
        },
        return: async () => {
          close();
          return { done: true, value: undefined };
        },
      }),
    };
  };
  return { files, open: source, stats: () => ({ mostOpen, opened, open }) };
}

describe('a table page', () => {
  it('ends after opening its share of files when a filter keeps nothing, and resumes there', async () => {
    const t = await table(PAGE_SCAN_LIMITS.files + 6);
    const first = await readAvroTablePage({ files: t.files, open: t.open, where: 'n < 0', limit: 100 });
    expect(first.rows).toEqual([]);
    expect(first.scanned).toBe(PAGE_SCAN_LIMITS.files * 3);
    expect(first.nextCursor).toBeDefined();
    const second = await readAvroTablePage({
      files: t.files,
      open: t.open,
      where: 'n < 0',
      limit: 100,
      cursor: first.nextCursor,
    });
    expect(second).toMatchObject({ rows: [], scanned: 6 * 3 });
    expect(second.nextCursor).toBeUndefined();
    // One download open at a time: the last file's header, then each file in turn.
    expect(t.stats().mostOpen).toBe(1);
  });

  it('reads every row once across pages of any size, and keeps the filtered ones', async () => {
    const t = await table(10);
    for (const limit of [1, 2, 3, 4, 7, 30]) {
      const rows: unknown[] = [];
      let cursor: string | undefined;
      do {
        const page = await readAvroTablePage({
          files: t.files,
          open: t.open,
          limit,
          cursor,
          where: 'n >= 5 and n < 25',
        });
        rows.push(...page.rows);
        cursor = page.nextCursor;
      } while (cursor);
      expect(rows, `limit ${limit}`).toEqual(Array.from({ length: 20 }, (_, i) => ({ n: i + 5 })));
    }
  });
});

describe('a table stream', () => {
  it("asks for the next file's download while it reads one: two open at most, each file once", async () => {
    const t = await table(40);
    let text = '';
    for await (const chunk of streamAvroTableNdjson({ files: t.files, open: t.open }))
      text += Buffer.from(chunk).toString();
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(1).map((l) => JSON.parse(l).n)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    // The table's schema comes from its last file's header: one download more than the files.
    expect(t.stats()).toEqual({ mostOpen: 2, opened: 41, open: 0 });

    const values = await table(10);
    let rows = 0;
    for await (const event of streamAvroTable({ files: values.files, open: values.open }))
      if (event.kind === 'row') rows++;
    expect([rows, values.stats()]).toEqual([30, { mostOpen: 2, opened: 11, open: 0 }]);
  });

  it("reads a small next file's whole answer ahead, a large one's first chunk only", async () => {
    const file = await encodeFile(SCHEMA, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    // Each file's answer in 4 chunks; `pulled` counts the chunks each download handed on.
    const pieces = [0, 1, 2, 3].map((i) =>
      file.subarray((i * file.length) >> 2, ((i + 1) * file.length) >> 2),
    );
    const run = async (size: number) => {
      // Three files: the last one's header is read first, for the table's schema.
      const files: AvroTableFile[] = [0, 1, 2].map((i) => ({
        id: `id:${i}`,
        rev: '1',
        path: `/t/${i}.avro`,
        size,
      }));
      const pulled = [0, 0, 0];
      const open: TableByteSource = async (f) => {
        const i = Number(f.id.slice(3));
        return (async function* () {
          for (const piece of pieces) {
            pulled[i]++;
            yield piece;
          }
        })();
      };
      const seen: number[][] = [];
      for await (const event of streamAvroTable({ files, open }))
        if (event.kind === 'row' && (event.row as { n: number }).n === 1) {
          // The first row of the first file: the second file is asked for; let its answer flow.
          for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
          seen.push([...pulled]);
        }
      return seen[0];
    };
    // pulled[1] counts the second file's chunks by then: all 4 when it is small, 1 when it is not.
    expect((await run(file.length))[1]).toBe(4);
    expect((await run(64 * 1024 * 1024))[1]).toBe(1);
  });

  it('stopped early, leaves no download open, the one asked for ahead included', async () => {
    const t = await table(40);
    const lines = streamAvroTable({ files: t.files, open: t.open });
    let rows = 0;
    for await (const event of lines) {
      if (event.kind === 'row' && ++rows === 5) break;
    }
    expect(t.stats().mostOpen).toBe(2);
    // The download asked for ahead is stopped after the stream's end, in the next turns.
    await new Promise((r) => setImmediate(r));
    expect(t.stats().open).toBe(0);
  });
});
