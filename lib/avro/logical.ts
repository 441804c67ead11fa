/** The JSON forms of Avro's logical types (the rules are in `index.ts`). */

import { MAX_DECIMAL_BYTES } from './schema.js';

/** `Date`'s range, in milliseconds either side of the epoch. */
const MAX_DATE_MS = 8.64e15;
export const MS_PER_DAY = 86_400_000;

/** ISO-8601 for a count of `unitsPerMs`-sized units since the epoch, or undefined outside `Date`'s range. */
export function isoTimestamp(value: number | bigint, unitsPerMs: number, utc: boolean): string | undefined {
  let ms: number;
  let sub: number;
  if (typeof value === 'number') {
    ms = Math.floor(value / unitsPerMs);
    sub = value - ms * unitsPerMs;
    // The division rounds for values near 2^53; correct by one unit either way.
    if (sub < 0) {
      ms -= 1;
      sub += unitsPerMs;
    } else if (sub >= unitsPerMs) {
      ms += 1;
      sub -= unitsPerMs;
    }
  } else {
    const per = BigInt(unitsPerMs);
    let q = value / per;
    let r = value % per;
    if (r < 0n) {
      q -= 1n;
      r += per;
    }
    if (q > BigInt(MAX_DATE_MS) || q < -BigInt(MAX_DATE_MS)) return undefined;
    ms = Number(q);
    sub = Number(r);
  }
  if (Math.abs(ms) > MAX_DATE_MS) return undefined;
  const iso = new Date(ms).toISOString();
  const digits = unitsPerMs === 1 ? '' : String(sub).padStart(String(unitsPerMs).length - 1, '0');
  return `${iso.slice(0, -1)}${digits}${utc ? 'Z' : ''}`;
}

/** `YYYY-MM-DD` for a count of days since the epoch, or the count outside `Date`'s range. */
export function isoDate(days: number): string | number {
  if (Math.abs(days * MS_PER_DAY) > MAX_DATE_MS) return days;
  const iso = new Date(days * MS_PER_DAY).toISOString();
  return iso.slice(0, iso.indexOf('T'));
}

/** `HH:MM:SS.sss` for milliseconds since midnight, or the count outside one day. */
export function isoTimeMillis(ms: number): string | number {
  return ms >= 0 && ms < MS_PER_DAY ? new Date(ms).toISOString().slice(11, 23) : ms;
}

/** `HH:MM:SS.ssssss` for microseconds since midnight, or undefined outside one day. */
export function isoTimeMicros(micros: number | bigint): string | undefined {
  if (typeof micros !== 'number' || micros < 0 || micros >= MS_PER_DAY * 1000) return undefined;
  const ms = Math.floor(micros / 1000);
  return `${new Date(ms).toISOString().slice(11, 23)}${String(micros - ms * 1000).padStart(3, '0')}`;
}

/** The decimal string of a big-endian two's-complement unscaled value. */
export function decimalString(buf: Buffer, start: number, end: number, scale: number): string {
  const length = end - start;
  if (length > MAX_DECIMAL_BYTES) {
    throw new Error(`a decimal of ${length} bytes is longer than ${MAX_DECIMAL_BYTES}`);
  }
  let unscaled: number | bigint;
  if (length === 0) {
    unscaled = 0;
  } else if (length <= 6) {
    unscaled = buf.readIntBE(start, length);
  } else {
    unscaled = BigInt(`0x${buf.toString('hex', start, end)}`);
    if (buf[start] & 0x80) unscaled -= 1n << BigInt(8 * length);
  }
  const negative = unscaled < 0;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}
