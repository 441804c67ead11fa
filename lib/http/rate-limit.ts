import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { PorticoError } from '../errors.js';
import type { AppEnv } from './context.js';
import { problemResponse } from './problem.js';

export interface RateLimitOptions {
  /** Requests a second each key may make, sustained. Default 100 (Stripe's default). */
  ratePerSecond?: number;
  /** Requests a key may make at once after a quiet spell. Default 200. */
  burst?: number;
  /** Keys tracked at once; the least recently seen is forgotten first. Default 10,000. */
  maxKeys?: number;
  /** Milliseconds on a monotonic clock (tests inject one). Default `performance.now`. */
  now?: () => number;
}

/** What one request took from its key's bucket. */
export interface Taken {
  allowed: boolean;
  /** Whole requests left in the bucket after this one. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one request is allowed again (0 when this one was). */
  retryAfterSeconds: number;
}

/**
 * Token buckets, one a key, in this process's memory: a bucket holds `burst` tokens, refills at
 * `ratePerSecond`, and each request takes one. Nothing is stored: no store round trip a request,
 * and each process (each Lambda instance) counts on its own.
 */
export class TokenBuckets {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimitOptions = {}) {
    this.ratePerSecond = options.ratePerSecond ?? 100;
    this.burst = options.burst ?? 200;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? (() => performance.now());
    if (!(this.ratePerSecond > 0) || !(this.burst >= 1))
      throw new RangeError('rate and burst must be positive');
  }

  /** Takes one token from `key`'s bucket, when it has one. */
  take(key: string): Taken {
    const now = this.now();
    const found = this.buckets.get(key);
    let tokens = this.burst;
    if (found) {
      tokens = Math.min(this.burst, found.tokens + ((now - found.at) / 1000) * this.ratePerSecond);
      this.buckets.delete(key); // re-inserted below: the map's order is least recently seen first
    } else if (this.buckets.size >= this.maxKeys) {
      this.buckets.delete(this.buckets.keys().next().value as string);
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.buckets.set(key, { tokens, at: now });
    return {
      allowed,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((this.burst - tokens) / this.ratePerSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.ratePerSecond)),
    };
  }
}

/** The name the policy goes by in the `RateLimit-Policy` and `RateLimit` fields. */
const policyName = 'per-key';

/**
 * Per-key rate limits on the API (issue 14, item 4). The key is the bearer credential (hashed;
 * tenant keys, the admin key and admin JWTs alike), so the check costs no store round trip and
 * runs before authentication does. Every answer carries the fields of the IETF draft
 * "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers-10,
 * https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/): `RateLimit-Policy`
 * (`q` requests a `w`-second window: the burst, and the time the rate takes to earn it back)
 * and `RateLimit` (`r` remaining, `t` seconds until the bucket is full). Past the limit it
 * answers `429 rate_limited` with `Retry-After`. Requests without a bearer credential pass:
 * authentication refuses them.
 */
export function rateLimit(buckets: TokenBuckets): MiddlewareHandler<AppEnv> {
  const window = Math.max(1, Math.ceil(buckets.burst / buckets.ratePerSecond));
  const policy = `"${policyName}";q=${buckets.burst};w=${window}`;
  return async (c, next) => {
    const credential = c.req.header('authorization');
    if (!credential) return next();
    // Hashed: raw keys are not kept in memory.
    const taken = buckets.take(createHash('sha256').update(credential).digest('base64url'));
    const fields = {
      'ratelimit-policy': policy,
      ratelimit: `"${policyName}";r=${taken.remaining};t=${taken.resetSeconds}`,
    };
    if (!taken.allowed) {
      const res = problemResponse(
        new PorticoError(
          'rate_limited',
          `This key made more than ${buckets.ratePerSecond} requests a second (bursts of ${buckets.burst}); retry after ${taken.retryAfterSeconds} s.`,
          { retryAfter: taken.retryAfterSeconds },
        ),
        c.get('requestId'),
      );
      for (const [k, v] of Object.entries(fields)) res.headers.set(k, v);
      res.headers.set('cache-control', 'no-store');
      return res;
    }
    await next();
    for (const [k, v] of Object.entries(fields)) c.res.headers.set(k, v);
  };
}
