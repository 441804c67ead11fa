import { createHash, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import type { Hono } from 'hono';
import { expect } from 'vitest';
import { bigIntLongHook } from '../../../lib/dev/sandbox/dropbox/avro-container.js';

/** Origin the in-process requests pretend to come to. */
export const ORIGIN = 'http://sandbox.test';
export const REDIRECT_URI = 'https://client.example/oauth/callback';

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A form-encoded POST init. */
export function formPost(
  fields: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): RequestInit {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, v);
  return {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  };
}

/** A JSON POST init with a bearer token. */
export function rpc(
  token: string | undefined,
  args?: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(args === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(args === undefined ? {} : { body: JSON.stringify(args) }),
  };
}

/** Bearer headers. */
export function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

/**
 * Drives a consent screen as a browser would: GET the authorize URL, then POST the
 * decision with the page's hidden fields (the original query). Returns the redirect.
 */
export async function consent(
  app: Hono,
  authorizePath: string,
  query: Record<string, string>,
  decision: 'approve' | 'deny' = 'approve',
  account?: string,
): Promise<URL> {
  const url = `${ORIGIN}${authorizePath}?${new URLSearchParams(query)}`;
  const page = await app.request(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  const hidden: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    hidden[decodeEntities(m[1] ?? '')] = decodeEntities(m[2] ?? '');
  }
  const res = await app.request(
    `${ORIGIN}${authorizePath}`,
    formPost({ ...hidden, decision, ...(account === undefined ? {} : { account }) }),
  );
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

function decodeEntities(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

const HEADER = avro.Type.forSchema({
  type: 'record',
  name: 'Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});
const LONG = avro.Type.forSchema('long');

/** What {@link walkContainer} read. */
export interface Walked {
  schema: Record<string, unknown>;
  codec: string;
  blocks: number;
  rows: Array<Record<string, unknown>>;
}

/**
 * A strict, independent reader of Avro object containers (spec 1.11): every byte must
 * belong to the header or a whole block with the right sync marker. avsc's BlockDecoder
 * is not enough to prove a file broken: it ends quietly on a truncated last block.
 */
export function walkContainer(buf: Buffer): Walked {
  if (!buf.subarray(0, 4).equals(Buffer.from('Obj\x01', 'latin1'))) throw new Error('bad magic');
  const head = HEADER.decode(buf, 0);
  if (head.offset < 0) throw new Error('truncated header');
  const header = head.value as { meta: Record<string, Buffer>; sync: Buffer };
  const schema = JSON.parse(header.meta['avro.schema']?.toString() ?? 'null') as Record<string, unknown>;
  const codec = header.meta['avro.codec']?.toString() ?? 'null';
  const type = avro.Type.forSchema(schema as Parameters<typeof avro.Type.forSchema>[0], {
    typeHook: bigIntLongHook,
  });
  const rows: Array<Record<string, unknown>> = [];
  let offset = head.offset;
  let blocks = 0;
  while (offset < buf.length) {
    const count = LONG.decode(buf, offset);
    const size = count.offset < 0 ? count : LONG.decode(buf, count.offset);
    if (size.offset < 0) throw new Error('truncated block header');
    const end = size.offset + (size.value as number);
    if (end + 16 > buf.length) throw new Error('truncated block');
    if (!buf.subarray(end, end + 16).equals(header.sync)) throw new Error('invalid sync marker');
    const raw = buf.subarray(size.offset, end);
    const data = codec === 'deflate' ? inflateRawSync(raw) : raw;
    let pos = 0;
    for (let i = 0; i < (count.value as number); i++) {
      const r = type.decode(data, pos);
      if (r.offset < 0) throw new Error('truncated record');
      rows.push(r.value as Record<string, unknown>);
      pos = r.offset;
    }
    if (pos !== data.length) throw new Error('block has trailing bytes');
    offset = end + 16;
    blocks++;
  }
  return { schema, codec, blocks, rows };
}
