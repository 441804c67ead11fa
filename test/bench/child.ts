/**
 * A helper process for the benchmarks, so load generator and servers do not share one event loop:
 * `tsx test/bench/child.ts dynamo` serves an embedded DynamoDB (in memory), `... sandbox` the
 * provider sandbox (`BENCH_AVRO_BYTES` sets the size of /data/big.avro, `BENCH_WIDE_ROWS` the rows
 * of /data/wide.avro, `BENCH_FOLDER_FILES` and `BENCH_FOLDER_BYTES` the files of /bench/folder and
 * the size of each). Prints one line
 * `ready <url>` and runs until it is sent SIGTERM or its parent goes away.
 */
import { startEmbeddedDynamo } from '../../lib/dev/local/dynamo.js';
import { fileContentHash } from '../../lib/dev/sandbox/dropbox/tree.js';
import { startSandbox } from '../helpers/stack.js';

const mode = process.argv[2];
let close: () => Promise<void>;
let url: string;
if (mode === 'dynamo') {
  const dynamo = await startEmbeddedDynamo(
    process.env.BENCH_DYNAMO_DIR ? { dir: process.env.BENCH_DYNAMO_DIR } : {},
  );
  url = dynamo.endpoint;
  close = dynamo.close;
} else if (mode === 'sandbox') {
  const bytes = Number(process.env.BENCH_AVRO_BYTES ?? 0);
  const wideRows = Number(process.env.BENCH_WIDE_ROWS ?? 0);
  const folderFiles = Number(process.env.BENCH_FOLDER_FILES ?? 0);
  const folderBytes = Number(process.env.BENCH_FOLDER_BYTES ?? 0);
  const sandbox = await startSandbox({
    ...(bytes > 0 ? { bigAvroBytes: bytes } : {}),
    ...(wideRows > 0 ? { wideAvroRows: wideRows } : {}),
    ...(folderFiles > 0 && folderBytes > 0 ? { avroFolder: { files: folderFiles, bytes: folderBytes } } : {}),
  });
  // Build the files now (a large wide.avro takes seconds), not on the first request, which would time out.
  const files = await sandbox.state.dropboxFiles();
  // And their content hashes, which Dropbox keeps with each file and the sandbox computes on first
  // use: otherwise the first timed stream would wait for 500 MB to be generated and hashed before
  // its first byte (every file's metadata carries its hash).
  for (const entry of files.entries.values()) if (entry.kind === 'file') await fileContentHash(entry);
  url = sandbox.url;
  close = sandbox.close;
} else {
  throw new Error(`unknown mode ${mode}`);
}
const stop = async () => {
  await close().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// Never outlive the benchmark: exit when the parent's pipe closes.
process.stdin.on('end', stop);
process.stdin.resume();
process.stdout.write(`ready ${url}\n`);
