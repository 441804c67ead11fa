/**
 * The shapes the row decoder and its record banks share: decoded values, the read position and
 * the per-type readers. Kept apart so that the decoder and the banks do not import each other.
 */

/** A value `JSON.stringify` writes without loss: what every decoded row is made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The position in the row being read, and what the row may still spend. */
export interface Cursor {
  readonly buf: Buffer;
  pos: number;
  /** Array and map items the row may still decode; it bounds the work a corrupt item count can cause. */
  budget: number;
}

/** Reads one value of one Avro type at the cursor. */
export type Reader = (c: Cursor) => JsonValue;

/** A record being filled. */
export type Fields = { [key: string]: JsonValue };
