import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/** A random id with a type prefix, e.g. `ten_5k2x…` (Crockford base32, 80 bits). */
export function newId(prefix: string, bytes = 10): string {
  const buf = randomBytes(bytes);
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of buf) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return `${prefix}_${out}`;
}

/** A secret with a recognisable prefix (`ptk_` tenant key, `pak_` admin key): 256 random bits. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time string comparison (hashes first, so lengths do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A syntactically valid id of ours: `prefix_` + base32. Anything else is answered 404 without a lookup. */
export function isId(value: string, prefix: string): boolean {
  return value.length <= 64 && new RegExp(`^${prefix}_[0-9a-z]{8,40}$`).test(value);
}
