import { describe, expect, it } from 'vitest';
import { forwardHeaders, returnHeaders } from '../../lib/providers/proxy.js';

describe("the proxy's headers", () => {
  it('never forward our credentials, cookies, hop-by-hop headers or Expect; the token goes instead', () => {
    const out = forwardHeaders(
      new Headers({
        authorization: 'Bearer ptk_tenant_key',
        cookie: 'session=1',
        connection: 'keep-alive',
        'transfer-encoding': 'chunked',
        expect: '100-continue',
        'x-forwarded-for': '10.0.0.1',
        'x-portico-anything': '1',
        'content-type': 'application/json',
        'dropbox-api-arg': '{"path":"/a"}',
      }),
      'provider-token',
    );
    expect(Object.fromEntries(out)).toEqual({
      authorization: 'Bearer provider-token',
      'content-type': 'application/json',
      'dropbox-api-arg': '{"path":"/a"}',
    });
  });

  it('pass the answer on without cookies or caching directives, and no-store', () => {
    const res = new Response(new Uint8Array([0x78]), {
      headers: {
        'set-cookie': 'a=1',
        'cache-control': 'public, max-age=60',
        'content-length': '1',
        'x-ok': '1',
      },
    });
    expect(Object.fromEntries(returnHeaders(res))).toEqual({
      'cache-control': 'no-store',
      'content-length': '1',
      'x-ok': '1',
    });
  });
});
