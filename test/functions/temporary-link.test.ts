import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import { type Stack, startStack } from '../helpers/stack.js';

// What a download too big for one streamed answer uses instead (infra/README.md, "Streaming,
// and its limits"): a Dropbox temporary link, here from the sandbox over real HTTP.
let s: Stack;
let tenant: { id: string; apiKey: string };
let drop: string;

beforeAll(async () => {
  s = await startStack();
  tenant = await s.tenant({ returnUrls: ['https://app.acme.test/'] });
  const res = await s.api('POST', '/v1/connect-sessions', tenant.apiKey, {
    provider: 'dropbox',
    endUserId: 'link-user',
    returnUrl: 'https://app.acme.test/done',
  });
  const { connectUrl } = await res.json();
  const { callback } = await walkConnect(new TestBrowser(), connectUrl, { account: 'demo' });
  drop = new URL(locationOf(callback)).searchParams.get('connectionId')!;
});
afterAll(() => s?.close());

const content = (query: string) =>
  s.api('GET', `/v1/connections/${drop}/dropbox/content?${query}`, tenant.apiKey);

describe('GET /v1/connections/:id/dropbox/content?link=true', () => {
  it('answers a temporary link that opens the same bytes without a token, instead of the bytes', async () => {
    const res = await content('path=/data/users.avro&link=true');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { link: string; expiresAt: string; size: number };
    const streamed = Buffer.from(await (await content('path=/data/users.avro')).arrayBuffer());
    expect(body.size).toBe(streamed.length);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    // No Authorization header: the link is the capability.
    const opened = await fetch(body.link);
    expect(opened.status).toBe(200);
    expect(Buffer.from(await opened.arrayBuffer()).equals(streamed)).toBe(true);
  });

  it('opens nothing with a made-up link, and refuses a folder or a bad flag as problem JSON', async () => {
    const { link } = (await (await content('path=/data/users.avro&link=true')).json()) as { link: string };
    const forged = link.replace(/[^/]+$/, 'A'.repeat(32));
    expect((await fetch(forged)).status).toBe(404);

    const folder = await content('path=/data&link=true');
    expect(folder.status).toBeGreaterThanOrEqual(400);
    expect(folder.status).toBeLessThan(500);
    expect(folder.headers.get('content-type')).toBe('application/problem+json');

    const flag = await content('path=/data/users.avro&link=yes');
    expect(flag.status).toBe(400);
    expect((await flag.json()).code).toBe('invalid_request');
  });
});
