import avro from 'avsc';

/** A schema as avsc takes it (avsc does not export the type by name). */
export type AvroSchema = Parameters<typeof avro.Type.forSchema>[0];

/** The Avro object container magic, `Obj` followed by version 1. */
export const AVRO_MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);

const HEADER_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'Header',
  namespace: 'org.apache.avro.file',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});

/**
 * Encodes an object container header (Avro 1.11 spec, "Object Container Files").
 * Written here rather than by avsc's `BlockEncoder` because avsc re-derives the schema
 * from its parsed type and drops `logicalType` annotations it has no implementation for.
 */
export function avroHeader(schema: AvroSchema, codec: 'null' | 'deflate', sync: Buffer): Buffer {
  return HEADER_TYPE.toBuffer({
    magic: AVRO_MAGIC,
    meta: { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from(codec) },
    sync,
  });
}

/**
 * An Avro `long` that reads and writes `bigint`, so values beyond 2^53 survive (avsc's
 * default long refuses them). Unpacking from the 8-byte little-endian form avsc hands over.
 */
export const bigIntLong = avro.types.LongType.__with(
  {
    fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
    toBuffer: (n: bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(BigInt.asIntN(64, n));
      return buf;
    },
    fromJSON: (v: number | string | bigint) => BigInt(v),
    toJSON: (n: bigint) =>
      n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : String(n),
    isValid: (n: unknown) => typeof n === 'bigint',
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  },
  false,
);

/** avsc `typeHook` that makes every `long` (plain or logical) a {@link bigIntLong}. */
export function bigIntLongHook(schema: unknown): avro.Type | undefined {
  const isLong =
    schema === 'long' ||
    (typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'long');
  return isLong ? bigIntLong : undefined;
}
