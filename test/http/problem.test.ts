import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { errorCodes, PorticoError, unprocessable } from '../../lib/errors.js';
import { problemOf, problemResponse, statusOf } from '../../lib/http/problem.js';
import { ProblemSchema } from '../../lib/http/schemas.js';

describe('problem documents', () => {
  it('answer each code with its documented status (docs/api.md, "Errors")', () => {
    const statuses = Object.fromEntries(
      errorCodes.map((code) => [code, statusOf(new PorticoError(code, 'x'))]),
    );
    expect(statuses).toEqual({
      unauthorized: 401,
      forbidden: 403,
      not_found: 404,
      invalid_request: 400,
      conflict: 409,
      needs_reauth: 409,
      payload_too_large: 413,
      rate_limited: 429,
      provider_error: 502,
      provider_unavailable: 503,
      internal_error: 500,
    });
  });

  it('answer a reason with its own status, the public code unchanged', async () => {
    const cases: Array<[PorticoError, number, string]> = [
      [unprocessable('not Avro'), 422, 'invalid_request'],
      [new PorticoError('provider_error', 'refused', { reason: 'grant_refused' }), 400, 'provider_error'],
      [
        new PorticoError('provider_unavailable', 'slow', { reason: 'upstream_timeout' }),
        504,
        'provider_unavailable',
      ],
      [
        new PorticoError('invalid_request', 'xml', { reason: 'unsupported_media_type' }),
        415,
        'invalid_request',
      ],
      [new PorticoError('invalid_request', 'put', { reason: 'method_not_allowed' }), 405, 'invalid_request'],
    ];
    for (const [err, status, code] of cases) {
      const res = problemResponse(err, 'req-1');
      expect(res.status, err.message).toBe(status);
      expect(await res.json()).toEqual({ ...problemOf(err, 'req-1'), status, code });
    }
  });

  it('declare in the API document exactly the codes errors carry', () => {
    const code = ProblemSchema().shape.code;
    for (const c of errorCodes) expect(z.safeParse(code, c).success, c).toBe(true);
    expect(z.safeParse(code, 'teapot').success).toBe(false);
    expect(code.options).toEqual([...errorCodes]);
  });
});
