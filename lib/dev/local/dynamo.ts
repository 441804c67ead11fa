import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts the embedded DynamoDB (dynalite on LevelDB) on a loopback port. With `dir` the data is
 * kept on disk and survives restarts; without, it lives in memory (tests that want a blank table).
 */
export async function startEmbeddedDynamo(
  options: { dir?: string; port?: number } = {},
): Promise<EmbeddedDynamo> {
  if (options.dir) mkdirSync(options.dir, { recursive: true });
  const server = dynalite({
    path: options.dir ? join(options.dir, 'dynamodb') : undefined,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would hold close() open.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
