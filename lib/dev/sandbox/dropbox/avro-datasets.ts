import { createHash } from 'node:crypto';
import { prng } from '../common/prng.js';
import type { AvroSchema } from './avro-container.js';
import { encodeContainer } from './avro-fixtures.js';

/**
 * Avro datasets as real exports leave them in Dropbox, for folder-as-table reads (encoded with
 * avsc): a partitioned export (`/exports/events/<month>/day-<dd>/part-<n>.avro`), a folder whose
 * schema evolved (added defaulted fields, promoted types), a folder with a file that does not fit,
 * and a wide 40-field file. Deterministic: the same bytes every run.
 */

/** The partitioned export's records: a nested record, an array, a nullable field among scalars. */
export const EXPORT_EVENT_SCHEMA = {
  type: 'record',
  name: 'ExportEvent',
  namespace: 'com.portico.sandbox.exports',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'user_id', type: 'long' },
    { name: 'country', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    {
      name: 'device',
      type: {
        type: 'record',
        name: 'Device',
        fields: [
          { name: 'os', type: 'string' },
          { name: 'version', type: 'int' },
        ],
      },
    },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
} satisfies AvroSchema;

/** Days of November 2026 in the export, files per day and rows per file. */
export const EXPORT_DAYS = 5;
export const EXPORT_PARTS = 2;
export const EXPORT_ROWS_PER_FILE = 250;
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'ES'];

/** The evolving folder: v1, then v2 (id promoted to long, `country` added with a default), then v3. */
export const EVOLVING_SCHEMAS = [
  {
    type: 'record',
    name: 'Customer',
    fields: [
      { name: 'id', type: 'int' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'float' },
    ],
  },
  {
    type: 'record',
    name: 'Customer',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'float' },
      { name: 'country', type: 'string', default: 'DE' },
    ],
  },
  {
    type: 'record',
    name: 'Customer',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'double' },
      { name: 'country', type: 'string', default: 'DE' },
      {
        name: 'address',
        type: [
          'null',
          {
            type: 'record',
            name: 'Address',
            fields: [
              { name: 'city', type: 'string' },
              { name: 'zip', type: 'string', default: '' },
            ],
          },
        ],
        default: null,
      },
    ],
  },
] as const satisfies readonly AvroSchema[];

/** Rows of each file of the evolving folder. */
export const EVOLVING_ROWS = 100;

/** A schema no other file's resolves to: `id` is a string. */
export const INCOMPATIBLE_SCHEMA = {
  type: 'record',
  name: 'Customer',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string' },
  ],
} satisfies AvroSchema;

/** `/data/wide.avro`: 40 fields (strings, numbers, an array, a map, a nested record). */
export function wideSchema(): AvroSchema {
  const fields: Array<{ name: string; type: unknown }> = [
    { name: 'id', type: 'long' },
    { name: 'country', type: 'string' },
    { name: 'amount', type: 'double' },
  ];
  const kinds: unknown[] = ['string', 'long', 'double', 'string', 'boolean', 'int', 'string', 'bytes'];
  for (let i = 0; fields.length < 37; i++)
    fields.push({ name: `c${String(i).padStart(2, '0')}`, type: kinds[i % kinds.length] });
  fields.push({ name: 'labels', type: { type: 'array', items: 'string' } });
  fields.push({ name: 'attributes', type: { type: 'map', values: 'string' } });
  fields.push({
    name: 'origin',
    type: {
      type: 'record',
      name: 'Origin',
      fields: [
        { name: 'city', type: 'string' },
        { name: 'lat', type: 'double' },
      ],
    },
  });
  return { type: 'record', name: 'Wide', namespace: 'com.portico.sandbox', fields } as AvroSchema;
}

/** Rows of `/data/wide.avro` unless the sandbox is told otherwise. */
export const WIDE_ROWS = 3000;

function wideRecords(count: number): Array<Record<string, unknown>> {
  const rand = prng(41);
  const schema = wideSchema() as { fields: Array<{ name: string; type: unknown }> };
  return Array.from({ length: count }, (_, i) => {
    const record: Record<string, unknown> = {
      id: BigInt(i + 1),
      country: COUNTRIES[i % COUNTRIES.length],
      amount: Math.round(rand.next() * 100000) / 100,
    };
    for (const field of schema.fields.slice(3, 37)) {
      switch (field.type) {
        case 'string':
          record[field.name] = `${field.name}-${rand.int(0, 1_000_000)}-lorem-ipsum`;
          break;
        case 'long':
          record[field.name] = BigInt(rand.int(0, 2_000_000_000)) * 1000n;
          break;
        case 'double':
          record[field.name] = rand.next() * 1000;
          break;
        case 'boolean':
          record[field.name] = rand.next() < 0.5;
          break;
        case 'int':
          record[field.name] = rand.int(-100000, 100000);
          break;
        default:
          record[field.name] = Buffer.from(Array.from({ length: 12 }, () => rand.int(0, 255)));
      }
    }
    record.labels = ['alpha', 'beta', 'gamma'].slice(0, i % 4);
    record.attributes = i % 3 === 0 ? {} : { source: 'import', batch: String(i % 17) };
    record.origin = { city: ['Berlin', 'Lyon', 'Austin', 'Leeds'][i % 4], lat: 40 + (i % 20) / 2 };
    return record;
  });
}

function exportRecords(day: number, part: number): Array<Record<string, unknown>> {
  const rand = prng(1000 + day * 10 + part);
  const base = Date.UTC(2026, 10, day);
  return Array.from({ length: EXPORT_ROWS_PER_FILE }, (_, i) => ({
    event_id: createHash('md5').update(`export-${day}-${part}-${i}`).digest('hex'),
    user_id: BigInt(rand.int(1, 50_000)),
    country: COUNTRIES[rand.int(0, COUNTRIES.length - 1)],
    amount: Math.round(rand.next() * 50000) / 100,
    ts: BigInt(base + part * 43_200_000 + i * 1000),
    device: { os: ['ios', 'android', 'web'][i % 3], version: rand.int(1, 20) },
    tags: ['new', 'returning', 'promo'].slice(0, i % 4),
    coupon: i % 5 === 0 ? `SAVE${i % 30}` : null,
  }));
}

function evolvingRecords(version: number, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const id = version * 1000 + i;
    const record: Record<string, unknown> = {
      id: version === 0 ? id : BigInt(id),
      name: `customer-${id}`,
      score: (i % 16) / 4,
    };
    if (version >= 1) record.country = COUNTRIES[i % COUNTRIES.length];
    if (version >= 2)
      record.address = i % 3 === 0 ? null : { city: ['Köln', 'Nantes'][i % 2], zip: `${50000 + i}` };
    return record;
  });
}

/** A file of a dataset: where it goes and its bytes. */
export interface DatasetFile {
  path: string;
  data: Buffer;
}

/** Files of the datasets (the folders are made from their paths). */
export async function avroDatasets(options: { wideRows?: number } = {}): Promise<DatasetFile[]> {
  const files: DatasetFile[] = [];
  for (let day = 1; day <= EXPORT_DAYS; day++) {
    for (let part = 1; part <= EXPORT_PARTS; part++) {
      const dd = String(day).padStart(2, '0');
      files.push({
        path: `/exports/events/2026-11/day-${dd}/part-${part}.avro`,
        data: await encodeContainer(EXPORT_EVENT_SCHEMA, exportRecords(day, part), {
          codec: part % 2 === 0 ? 'deflate' : 'null',
          blockSize: 8 * 1024,
          label: `export-${day}-${part}`,
        }),
      });
    }
  }
  // October's last day: outside a read of November.
  files.push({
    path: '/exports/events/2026-10/day-31/part-1.avro',
    data: await encodeContainer(EXPORT_EVENT_SCHEMA, exportRecords(31, 1), {
      codec: 'null',
      blockSize: 8 * 1024,
      label: 'export-october',
    }),
  });
  for (const [version, schema] of EVOLVING_SCHEMAS.entries()) {
    files.push({
      path: `/exports/evolving/2026-11-0${version + 1}.avro`,
      data: await encodeContainer(schema, evolvingRecords(version, EVOLVING_ROWS), {
        codec: 'null',
        blockSize: 1024,
        label: `evolving-${version}`,
      }),
    });
  }
  const v3 = EVOLVING_SCHEMAS[2];
  files.push(
    {
      path: '/exports/mixed/a.avro',
      data: await encodeContainer(v3, evolvingRecords(2, 20), {
        codec: 'null',
        blockSize: 1024,
        label: 'mixed-a',
      }),
    },
    {
      path: '/exports/mixed/b.avro',
      data: await encodeContainer(
        INCOMPATIBLE_SCHEMA,
        Array.from({ length: 20 }, (_, i) => ({ id: `c-${i}`, name: `other-${i}` })),
        { codec: 'null', blockSize: 1024, label: 'mixed-b' },
      ),
    },
    {
      path: '/exports/mixed/c.avro',
      data: await encodeContainer(v3, evolvingRecords(2, 20), {
        codec: 'null',
        blockSize: 1024,
        label: 'mixed-c',
      }),
    },
  );
  files.push({ path: '/data/wide.avro', data: await wideAvroFile(options.wideRows ?? WIDE_ROWS) });
  return files;
}

/** The bytes of `/data/wide.avro` with `rows` rows (the same every time for the same count). */
export function wideAvroFile(rows: number): Promise<Buffer> {
  return encodeContainer(wideSchema(), wideRecords(rows), {
    codec: 'null',
    blockSize: 64 * 1024,
    label: 'wide',
  });
}
