import { AvroCursorError } from './errors.js';

/** Where the next page starts: `skip` rows into the block at file offset `offset`. */
export interface PagePosition {
  /** Header fingerprint of the file the cursor was issued for. */
  readonly fingerprint: string;
  /** The block's number (from 1), for error messages. */
  readonly block: number;
  readonly offset: number;
  readonly skip: number;
}

const MAX_CURSOR_LENGTH = 256;

/** An opaque base64url token; integrity comes from checks at resume, not from the token itself. */
export function encodeCursor(position: PagePosition): string {
  const { fingerprint: f, block: b, offset: o, skip: s } = position;
  return Buffer.from(JSON.stringify({ v: 1, f, b, o, s })).toString('base64url');
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** Parses a cursor's shape; whether it fits the file is checked against the file. */
export function decodeCursor(cursor: string): PagePosition {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new AvroCursorError('malformed cursor');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new AvroCursorError('malformed cursor', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new AvroCursorError('malformed cursor');
  const { v, f, b, o, s } = parsed as Record<string, unknown>;
  if (v !== 1 || typeof f !== 'string' || !isCount(b, 1) || !isCount(o, 1) || !isCount(s, 0)) {
    throw new AvroCursorError('malformed cursor');
  }
  return { fingerprint: f, block: b, offset: o, skip: s };
}
