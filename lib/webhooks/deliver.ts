import { createHmac } from 'node:crypto';
import { isIP, type LookupFunction } from 'node:net';
import { http, https } from '../node-http.js';

/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com): `v1,` + base64 of
 * HMAC-SHA256 over `id.timestamp.payload`, keyed with the base64 part of `whsec_…`. Verified in
 * the tests with the `standardwebhooks` library's own verifier.
 */
export function signWebhook(secret: string, id: string, timestamp: number, payload: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`).digest('base64')}`;
}

/**
 * POSTs a webhook and answers its status. With `pinned` addresses the connection goes to those
 * only (the ones the SSRF guard checked); TLS still verifies the URL's host name.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { pinned?: string[]; timeoutMs: number },
): Promise<number> {
  const u = new URL(url);
  const pinned = options.pinned?.[0];
  const lookup: LookupFunction | undefined = pinned
    ? (_host, opts, cb) => {
        const family = isIP(pinned);
        if ((opts as { all?: boolean }).all)
          (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
            { address: pinned, family },
          ]);
        else cb(null, pinned, family);
      }
    : undefined;
  const send = u.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: options.timeoutMs,
        ...(lookup ? { lookup } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('webhook timed out'), { name: 'TimeoutError' })),
    );
    req.on('error', reject);
    req.end(body);
  });
}
