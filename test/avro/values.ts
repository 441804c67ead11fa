import type avro from 'avsc';

/** mulberry32: a seeded generator, so every run decodes the same values. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, options: readonly T[]): T {
  return options[Math.floor(random() * options.length)];
}

const INTS = [0, 1, -1, 63, -64, 64, 2 ** 31 - 1, -(2 ** 31)];
const LONGS = [
  0n,
  -1n,
  2n ** 53n - 1n,
  -(2n ** 53n - 1n),
  2n ** 53n,
  -(2n ** 53n),
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  1_700_000_000_000n,
];
const FLOATS = [0, 1.5, -2.25, 0.1, 3.4e38, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const STRINGS = ['', 'a', 'héllo wörld', '日本語', '🦀 emoji', '__proto__', 'constructor', 'x'.repeat(200)];
const KEYS = ['a', 'b', '__proto__', 'constructor', 'toString', 'ключ', ''];

type Field = { name: string; type: avro.Type };
interface TypeView {
  readonly typeName: string;
  readonly branchName?: string;
  readonly size: number;
  readonly symbols: string[];
  readonly itemsType: avro.Type;
  readonly valuesType: avro.Type;
  readonly fields: Field[];
  readonly types: avro.Type[];
}

function view(type: avro.Type): TypeView {
  return type as unknown as TypeView;
}

/** A random value of a writer type from `writerType` (unions wrapped, longs as bigints). */
export function randomValue(type: avro.Type, random: () => number, depth = 0): unknown {
  const t = view(type);
  const small = depth > 3;
  switch (t.typeName) {
    case 'null':
      return null;
    case 'boolean':
      return random() < 0.5;
    case 'int':
      return random() < 0.5 ? pick(random, INTS) : Math.floor((random() - 0.5) * 2 ** 32) | 0;
    case 'abstract:long':
      return random() < 0.6
        ? pick(random, LONGS)
        : BigInt.asIntN(64, BigInt(Math.floor(random() * 2 ** 32)) * BigInt(Math.floor(random() * 2 ** 32)));
    case 'float':
    case 'double':
      return random() < 0.5 ? pick(random, FLOATS) : (random() - 0.5) * 1e6;
    case 'string':
      return random() < 0.5 ? pick(random, STRINGS) : `s${Math.floor(random() * 1e9)}`;
    case 'bytes':
      return Buffer.from(Array.from({ length: Math.floor(random() * 20) }, () => Math.floor(random() * 256)));
    case 'fixed':
      return Buffer.from(Array.from({ length: t.size }, () => Math.floor(random() * 256)));
    case 'enum':
      return pick(random, t.symbols);
    case 'array':
      return Array.from({ length: small ? 0 : Math.floor(random() * 4) }, () =>
        randomValue(t.itemsType, random, depth + 1),
      );
    case 'map':
      return Object.fromEntries(
        Array.from({ length: small ? 0 : Math.floor(random() * 4) }, () => [
          pick(random, KEYS),
          randomValue(t.valuesType, random, depth + 1),
        ]),
      );
    case 'record':
      return Object.fromEntries(t.fields.map((f) => [f.name, randomValue(f.type, random, depth + 1)]));
    case 'union:wrapped': {
      const nullBranch = t.types.find((b) => view(b).typeName === 'null');
      const branch = small && nullBranch !== undefined ? nullBranch : pick(random, t.types);
      const b = view(branch);
      return b.typeName === 'null' ? null : { [b.branchName ?? '']: randomValue(branch, random, depth + 1) };
    }
    default:
      throw new Error(`no random value for ${t.typeName}`);
  }
}

/**
 * The JSON the decoder must produce for a writer value, written independently of the decoder from
 * the documented rules (logical types aside: the writer does not annotate them).
 */
export function expectedJson(type: avro.Type, value: unknown): unknown {
  const t = view(type);
  switch (t.typeName) {
    case 'null':
    case 'boolean':
    case 'int':
    case 'string':
    case 'enum':
      return value;
    case 'abstract:long': {
      const n = BigInt(value as bigint | number);
      return n >= -(2n ** 53n - 1n) && n <= 2n ** 53n - 1n ? Number(n) : n.toString();
    }
    case 'float':
    case 'double': {
      const n = t.typeName === 'float' ? Math.fround(value as number) : (value as number);
      return Number.isFinite(n) ? n : String(n);
    }
    case 'bytes':
    case 'fixed':
      return (value as Buffer).toString('base64');
    case 'array':
      return (value as unknown[]).map((item) => expectedJson(t.itemsType, item));
    case 'map':
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, expectedJson(t.valuesType, v)]),
      );
    case 'record': {
      const record = value as Record<string, unknown>;
      return Object.fromEntries(t.fields.map((f) => [f.name, expectedJson(f.type, record[f.name])]));
    }
    case 'union:wrapped': {
      if (value === null) return null;
      const [[name, inner]] = Object.entries(value as Record<string, unknown>);
      const branch = t.types.find((b) => view(b).branchName === name);
      if (branch === undefined) throw new Error(`no branch ${name}`);
      return expectedJson(branch, inner);
    }
    default:
      throw new Error(`no expectation for ${t.typeName}`);
  }
}
