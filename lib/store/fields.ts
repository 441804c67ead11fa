import type { Item } from './db.js';

/** A stored item lacks an attribute its kind always has, or holds it with another type. */
export class StoredItemError extends Error {
  override name = 'StoredItemError';
}

const isOneOf = <T extends string>(values: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (values as readonly string[]).includes(v);

/**
 * Typed reads of one stored item's attributes: each answers the attribute with the type its kind
 * declares, or throws {@link StoredItemError} (never a silently wrong value). Absent and `null`
 * count the same for optional attributes.
 */
export function fields(item: Item, kind: string) {
  const wrong = (name: string, want: string) =>
    new StoredItemError(`A stored ${kind} item has no ${want} attribute ${name}.`);
  const present = (name: string) => item[name] !== undefined && item[name] !== null;
  return {
    string(name: string): string {
      const v = item[name];
      if (typeof v !== 'string') throw wrong(name, 'string');
      return v;
    },
    optionalString(name: string): string | undefined {
      return present(name) ? this.string(name) : undefined;
    },
    number(name: string): number {
      const v = item[name];
      if (typeof v !== 'number') throw wrong(name, 'number');
      return v;
    },
    optionalNumber(name: string): number | undefined {
      return present(name) ? this.number(name) : undefined;
    },
    optionalStrings(name: string): string[] | undefined {
      if (!present(name)) return undefined;
      const v = item[name];
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw wrong(name, 'string list');
      return v;
    },
    oneOf<T extends string>(name: string, values: readonly T[]): T {
      const v = item[name];
      if (!isOneOf(values, v)) throw wrong(name, values.join('|'));
      return v;
    },
    optionalOneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
      return present(name) ? this.oneOf(name, values) : undefined;
    },
    optionalBoolean(name: string): boolean | undefined {
      if (!present(name)) return undefined;
      const v = item[name];
      if (typeof v !== 'boolean') throw wrong(name, 'boolean');
      return v;
    },
    optionalBytes(name: string): Uint8Array | undefined {
      if (!present(name)) return undefined;
      const v = item[name];
      if (!(v instanceof Uint8Array)) throw wrong(name, 'binary');
      return v;
    },
    optionalObject(name: string): Item | undefined {
      if (!present(name)) return undefined;
      const v = item[name];
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw wrong(name, 'map');
      return { ...v };
    },
  };
}
