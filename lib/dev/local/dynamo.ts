import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import dynalite from 'dynalite';

/** The access key pair the embedded DynamoDB accepts, made fresh at each start. */
export interface EmbeddedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface EmbeddedDynamo {
  endpoint: string;
  /** Set when the endpoint checks signatures: sign every request with these. */
  credentials?: EmbeddedCredentials;
  close(): Promise<void>;
}

/** A fresh random key pair for {@link startEmbeddedDynamo} (the local server makes one per start). */
export function newEmbeddedCredentials(): EmbeddedCredentials {
  return {
    accessKeyId: `PORTICO${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/**
 * Starts the embedded DynamoDB (dynalite on LevelDB) on a loopback port. With `dir` the data is
 * kept on disk and survives restarts; without, it lives in memory (tests that want a blank table).
 *
 * Whatever the options, a request carrying an `Origin` header is refused (403): only a browser
 * sends one, and no web page has business with the store (DNS rebinding, issue 14). With
 * `credentials`, every request must also carry a valid SigV4 signature made with them, so a
 * local process that does not hold the per-start secret can neither read nor write an item.
 */
export async function startEmbeddedDynamo(
  options: { dir?: string; port?: number; credentials?: EmbeddedCredentials } = {},
): Promise<EmbeddedDynamo> {
  if (options.dir) mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const server = dynalite({
    path: options.dir ? join(options.dir, 'dynamodb') : undefined,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const [handler] = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', guarded(handler as RequestListener, options.credentials));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: options.credentials,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would hold close() open.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** dynalite's own cap on a request body. */
const maxRequestBytes = 16 * 1024 * 1024;
/** How far a signature's `X-Amz-Date` may be from now (AWS allows 15 minutes too). */
const maxSkewMs = 15 * 60 * 1000;

function refuse(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Wraps dynalite's request handler: no browsers, and with credentials, signed requests only. */
function guarded(handler: RequestListener, credentials: EmbeddedCredentials | undefined): RequestListener {
  return (req, res) => {
    if (req.headers.origin !== undefined) {
      req.resume();
      return refuse(res, 403, 'AccessDeniedException', 'Browsers may not call the embedded DynamoDB.');
    }
    if (!credentials) return handler(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxRequestBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxRequestBytes) return refuse(res, 413, 'ValidationException', 'Request too large.');
      const body = Buffer.concat(chunks);
      if (!signedWith(req, body, credentials, Date.now())) {
        return refuse(res, 403, 'UnrecognizedClientException', 'The request signature is not valid.');
      }
      // dynalite reads the body as a stream: hand it the bytes already read.
      const replay = Object.assign(Readable.from(body.length ? [body] : []), {
        headers: req.headers,
        method: req.method,
        url: req.url,
      });
      handler(replay as unknown as IncomingMessage, res);
    });
  };
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * Whether the request carries a valid AWS Signature Version 4 `Authorization` header made with
 * `credentials` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * the canonical request is rebuilt from the method, path, query, signed headers and body hash.
 */
export function signedWith(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  body: Buffer,
  credentials: EmbeddedCredentials,
  nowMs: number,
): boolean {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || !auth.startsWith('AWS4-HMAC-SHA256 ')) return false;
  const fields = new Map<string, string>();
  for (const part of auth.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential?.length !== 5 || !signedHeaders || !signature) return false;
  const [accessKeyId, day, region, service, terminator] = credential as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (accessKeyId !== credentials.accessKeyId || terminator !== 'aws4_request') return false;

  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(day))
    return false;
  const at = Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );
  if (Math.abs(nowMs - at) > maxSkewMs) return false;

  const names = signedHeaders.split(';');
  // The host and the date must be signed, or a signature could be replayed elsewhere or later.
  if (!names.includes('host') || !names.includes('x-amz-date')) return false;
  const headerLines: string[] = [];
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) return false;
    const joined = Array.isArray(value) ? value.join(',') : value;
    headerLines.push(`${name}:${joined.trim().replace(/\s+/g, ' ')}\n`);
  }
  const payloadHash = sha256(body);
  const declared = req.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== payloadHash) return false;

  const url = new URL(req.url ?? '/', 'http://embedded');
  const query = [...url.searchParams]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x! < y! ? -1 : 1) : a! < b! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    req.method ?? 'POST',
    url.pathname,
    query,
    headerLines.join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service),
    'aws4_request',
  );
  const expected = Buffer.from(hmac(key, toSign).toString('hex'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
