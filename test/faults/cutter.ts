import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of the sandbox that can cut an answer off after its
 * headers and half its body, then destroy the socket: the mid-body reset the sandbox's own
 * `reset` fault cannot produce for small JSON answers (its server turns those into a 500).
 */
export interface Cutter {
  url: string;
  /** Where requests go (set once the sandbox is up). */
  target: string;
  /** Cuts the next `count` answers (default 1) whose path contains `match`, after letting `skip` through. */
  arm(match: string, options?: { count?: number; skip?: number }): void;
  /** Answers cut so far. */
  cuts: number;
  close(): Promise<void>;
}

export async function startCutter(): Promise<Cutter> {
  const armed: Array<{ match: string; left: number; skip: number }> = [];
  const state: Cutter = {
    url: '',
    target: '',
    cuts: 0,
    arm(match, { count = 1, skip = 0 } = {}) {
      armed.push({ match, left: count, skip });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (k === 'host' || k === 'connection' || k === 'content-length' || v === undefined) continue;
        headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      }
      const method = req.method ?? 'GET';
      try {
        const upstream = await fetch(`${state.target}${req.url}`, {
          method,
          headers,
          body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks),
          redirect: 'manual',
        });
        const out: Record<string, string> = {};
        for (const [k, v] of upstream.headers) {
          if (k !== 'transfer-encoding' && k !== 'content-encoding' && k !== 'connection') out[k] = v;
        }
        let hit = armed.find((a) => (req.url ?? '').includes(a.match));
        if (hit && hit.skip > 0) {
          hit.skip--;
          hit = undefined;
        }
        if (!hit) {
          // Streamed through as it arrives (slow bodies stay slow; a cut upstream cuts here too).
          res.writeHead(upstream.status, out);
          res.flushHeaders();
          if (upstream.body) for await (const chunk of upstream.body) res.write(chunk);
          res.end();
          return;
        }
        const body = Buffer.from(await upstream.arrayBuffer());
        out['content-length'] = String(body.length);
        res.writeHead(upstream.status, out);
        if (--hit.left <= 0) armed.splice(armed.indexOf(hit), 1);
        state.cuts++;
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
          setTimeout(() => res.socket?.destroy(), 20);
        });
      } catch {
        res.socket?.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
