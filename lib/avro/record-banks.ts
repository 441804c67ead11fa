/**
 * Where record fields are read and stored. V8 learns what a property store or a call sees (shapes,
 * keys, functions) per place in the code, and code that every record type shares soon sees so
 * many that it falls back to generic paths, several times slower than code generated per record
 * type (with `new Function`) would be. Generating code from an uploaded schema is out of the
 * question, so the code is written out here once per bank instead: each bank is a function of its
 * own, with places of its own, and the record types of a schema are spread over the banks, a bank
 * per 8 fields, so that each place sees one shape, one key and one reader, as generated code
 * would. When there are more record types than banks, banks are shared, which is still correct,
 * only slower.
 *
 * Every bank is the same code: keep them identical (a test checks).
 */

import type { Cursor, Fields, Reader } from './values.js';

/**
 * Reads up to {@link BANK_FIELDS} fields in order into `record` (a new object when not given, so
 * that a record of up to 8 fields is read by one call, and a deep row takes fewer stack frames).
 */
export type FieldsReader = (c: Cursor, record?: Fields) => Fields;

/** Fields one bank reads. */
export const BANK_FIELDS = 8;

/** Makes a {@link FieldsReader} for 1 to {@link BANK_FIELDS} fields. */
type Bank = (keys: readonly string[], readers: readonly Reader[]) => FieldsReader;

export const BANKS: readonly Bank[] = [
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
  (keys, readers) => {
    const n = keys.length;
    const [k0, k1, k2, k3, k4, k5, k6, k7] = keys;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = readers;
    return (c, record = {}) => {
      record[k0] = r0(c);
      if (n === 1) return record;
      record[k1] = r1(c);
      if (n === 2) return record;
      record[k2] = r2(c);
      if (n === 3) return record;
      record[k3] = r3(c);
      if (n === 4) return record;
      record[k4] = r4(c);
      if (n === 5) return record;
      record[k5] = r5(c);
      if (n === 6) return record;
      record[k6] = r6(c);
      if (n === 7) return record;
      record[k7] = r7(c);
      return record;
    };
  },
];
