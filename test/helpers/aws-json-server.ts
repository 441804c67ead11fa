import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsJsonAnswer {
  status: number;
  body: unknown;
}

/**
 * A loopback server speaking AWS's JSON protocol (awsJson1_1): the operation in
 * `X-Amz-Target`, the input as a JSON body. `handle` answers each call; the real SDK clients
 * talk to it through their `endpoint` option.
 */
export async function serveAwsJson(
  handle: (target: string, input: Record<string, unknown>) => AwsJsonAnswer,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {}
      const out = handle(String(req.headers['x-amz-target'] ?? ''), input);
      res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
