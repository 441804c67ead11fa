import { createHash } from 'node:crypto';
import { avroDatasets } from './avro-datasets.js';
import { avroFixtures } from './avro-fixtures.js';
import { type BigAvroLayout, bigAvroContentHash, bigAvroLayout, bigAvroStream } from './big-avro.js';
import { contentHash } from './content-hash.js';

/** A folder of the seeded tree. */
export interface DropboxFolder {
  kind: 'folder';
  /** Display path, e.g. `/Données`. */
  path: string;
  name: string;
  /** In the team space: visible only to calls that name the team's root namespace. */
  team?: boolean;
}

/** A file of the seeded tree: bytes in memory, or the generated `big.avro`. */
export interface DropboxFile {
  kind: 'file';
  path: string;
  name: string;
  size: number;
  /** ISO-8601 without milliseconds, as Dropbox writes timestamps. */
  modified: string;
  source: { kind: 'bytes'; data: Buffer } | { kind: 'generated'; layout: BigAvroLayout };
  /** False for Google Docs, Paper and the like: listed, but downloading answers 409 `unsupported_file`. */
  downloadable?: boolean;
  /** Bumped by {@link replaceFileBytes}, so the file's `rev` changes with its content. */
  version?: number;
  /** In the team space: visible only to calls that name the team's root namespace. */
  team?: boolean;
}

/** Any entry. */
export type DropboxEntry = DropboxFolder | DropboxFile;

/** The seeded tree, keyed by lower-cased path (`''` is the root). */
export interface DropboxFiles {
  entries: Map<string, DropboxEntry>;
  /** Child paths (lower-cased) of each folder, in listing order. */
  children: Map<string, string[]>;
}

/** Dropbox lower-cases paths for lookup; display paths keep their case. */
export function lowerPath(path: string): string {
  return path.toLowerCase();
}

function parentOf(lower: string): string {
  return lower.slice(0, lower.lastIndexOf('/'));
}

const TEAM_BUDGET = Buffer.from('team,budget\nops,120000\nsales,98000\n');

/** The seeded files' timestamps: fixed, so metadata and hashes are stable. */
const MODIFIED = ['2024-03-01T09:30:00Z', '2024-04-15T14:05:12Z', '2024-06-30T23:59:59Z'];

function csv(rows: string[][]): Buffer {
  return Buffer.from(`${rows.map((r) => r.join(',')).join('\n')}\n`);
}

/**
 * Builds the tree every Dropbox account sees: `/Reports` (CSV), `/Données/résumé.txt`
 * (non-ASCII names), `/data` (Avro files, including the generated `big.avro` of
 * `bigAvroBytes`, and the wide `wide.avro`), `/exports` (Avro datasets read as tables: see
 * `avro-datasets.ts`), `/Archive` (250 small files, so listing pages) and `/README.txt`. With
 * `options.avroFolder`, `/bench/folder` holds that many generated Avro files of that size each.
 */
export async function loadDropboxFiles(
  bigAvroBytes: number,
  options: { wideRows?: number; avroFolder?: { files: number; bytes: number } } = {},
): Promise<DropboxFiles> {
  const avro = await avroFixtures();
  const files: DropboxFiles = { entries: new Map(), children: new Map([['', []]]) };
  const add = (entry: DropboxEntry) => {
    const lower = lowerPath(entry.path);
    files.entries.set(lower, entry);
    files.children.get(parentOf(lower))?.push(lower);
    if (entry.kind === 'folder') files.children.set(lower, []);
  };
  const folder = (path: string) => add({ kind: 'folder', path, name: path.slice(path.lastIndexOf('/') + 1) });
  const file = (path: string, data: Buffer, modified = MODIFIED[0] as string) =>
    add({
      kind: 'file',
      path,
      name: path.slice(path.lastIndexOf('/') + 1),
      size: data.length,
      modified,
      source: { kind: 'bytes', data },
    });

  file(
    '/README.txt',
    Buffer.from('Portico sandbox Dropbox account.\nEverything here is generated; nothing is real.\n'),
  );
  // The team space's shared folder: seen only with `Dropbox-API-Path-Root` naming the team root.
  add({ kind: 'folder', path: '/Team Shared', name: 'Team Shared', team: true });
  add({
    kind: 'file',
    path: '/Team Shared/budget.csv',
    name: 'budget.csv',
    size: TEAM_BUDGET.length,
    modified: MODIFIED[1] as string,
    source: { kind: 'bytes', data: TEAM_BUDGET },
    team: true,
  });
  folder('/Reports');
  // A Paper doc: metadata only, no bytes to download (FileMetadata.is_downloadable = false).
  add({
    kind: 'file',
    path: '/Reports/Roadmap.paper',
    name: 'Roadmap.paper',
    size: 0,
    modified: MODIFIED[2] as string,
    source: { kind: 'bytes', data: Buffer.alloc(0) },
    downloadable: false,
  });
  file(
    '/Reports/q1.csv',
    csv([
      ['region', 'month', 'revenue', 'currency'],
      ['EMEA', '2024-01', '120000.50', 'EUR'],
      ['EMEA', '2024-02', '98000.00', 'EUR'],
      ['AMER', '2024-01', '250100.75', 'USD'],
      ['AMER', '2024-03', '231999.99', 'USD'],
      ['APAC', '2024-02', '87000.10', 'JPY'],
    ]),
  );
  file(
    '/Reports/q2.csv',
    csv([
      ['region', 'month', 'revenue', 'currency'],
      ['EMEA', '2024-04', '130500.00', 'EUR'],
      ['AMER', '2024-05', '260000.00', 'USD'],
    ]),
    MODIFIED[1],
  );
  folder('/Données');
  file(
    '/Données/résumé.txt',
    Buffer.from('Résumé — données trimestrielles\nCafé, crème brûlée, naïveté, Zürich, 東京.\n'),
    MODIFIED[1],
  );
  folder('/data');
  file('/data/users.avro', avro.users, MODIFIED[2]);
  file('/data/events-deflate.avro', avro.eventsDeflate, MODIFIED[2]);
  file('/data/empty.avro', avro.empty, MODIFIED[2]);
  file('/data/not-avro.avro', avro.notAvro, MODIFIED[2]);
  file('/data/truncated.avro', avro.truncated, MODIFIED[2]);
  file('/data/corrupt.avro', avro.corrupt, MODIFIED[2]);
  const layout = bigAvroLayout(bigAvroBytes);
  add({
    kind: 'file',
    path: '/data/big.avro',
    name: 'big.avro',
    size: layout.size,
    modified: MODIFIED[2] as string,
    source: { kind: 'generated', layout },
  });
  const folders = new Set(files.entries.keys());
  const within = (path: string) => {
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (parent === '' || folders.has(lowerPath(parent))) return;
    within(parent);
    folder(parent);
    folders.add(lowerPath(parent));
  };
  for (const dataset of await avroDatasets({ wideRows: options.wideRows })) {
    within(dataset.path);
    file(dataset.path, dataset.data, MODIFIED[2]);
  }
  if (options.avroFolder !== undefined) {
    const { files: count, bytes } = options.avroFolder;
    const part = bigAvroLayout(bytes);
    within('/bench/folder/x');
    for (let i = 1; i <= count; i++) {
      const path = `/bench/folder/part-${String(i).padStart(5, '0')}.avro`;
      add({
        kind: 'file',
        path,
        name: path.slice(path.lastIndexOf('/') + 1),
        size: part.size,
        modified: MODIFIED[2] as string,
        source: { kind: 'generated', layout: part },
      });
    }
  }
  folder('/Archive');
  for (let i = 1; i <= 250; i++) {
    const n = String(i).padStart(3, '0');
    file(`/Archive/note-${n}.txt`, Buffer.from(`Archived note ${n}\n`), MODIFIED[i % 3]);
  }
  return files;
}

/** Entries under a folder: direct children, or every descendant depth-first. */
export function listEntries(files: DropboxFiles, folderLower: string, recursive: boolean): string[] {
  const out: string[] = [];
  const walk = (lower: string) => {
    for (const child of files.children.get(lower) ?? []) {
      out.push(child);
      if (recursive) walk(child);
    }
  };
  walk(folderLower);
  return out;
}

/** A stable `id:` for an entry, different per account like Dropbox's. */
export function entryId(accountId: string, lower: string): string {
  return `id:${createHash('sha256').update(`${accountId}\0${lower}`).digest('base64url').slice(0, 22)}`;
}

/** Each account's `id:` -> lower-cased path, built on first use and again when a lookup misses. */
const idIndexes = new WeakMap<DropboxFiles, Map<string, Map<string, string>>>();

/**
 * Resolves an `id:` path for an account. Indexed, as Dropbox's lookups are: hashing every path of
 * the tree for each download made a folder of 1,000 files cost the sandbox a million hashes.
 */
export function findById(files: DropboxFiles, accountId: string, id: string): string | undefined {
  let byAccount = idIndexes.get(files);
  if (!byAccount) {
    byAccount = new Map();
    idIndexes.set(files, byAccount);
  }
  const lower = byAccount.get(accountId)?.get(id);
  if (lower !== undefined && files.entries.has(lower)) return lower;
  // A file added since the index was built (or an id no file has): index the tree again.
  const index = new Map<string, string>();
  for (const path of files.entries.keys()) if (path !== '') index.set(entryId(accountId, path), path);
  byAccount.set(accountId, index);
  return index.get(id);
}

const bytesHashes = new WeakMap<Buffer, string>();

/** A file's Dropbox content hash (cached; computed by a streaming pass for the generated file). */
export async function fileContentHash(file: DropboxFile): Promise<string> {
  if (file.source.kind === 'generated') return bigAvroContentHash(file.source.layout);
  const data = file.source.data;
  let hash = bytesHashes.get(data);
  if (!hash) {
    hash = contentHash(data);
    bytesHashes.set(data, hash);
  }
  return hash;
}

/** The bytes `[start, end)` of a file, as a response body. */
export function fileBody(file: DropboxFile, start: number, end: number): BodyInit {
  // Seed buffers are plain ArrayBuffer-backed Node buffers, which DOM typings cannot tell.
  return file.source.kind === 'bytes'
    ? (file.source.data.subarray(start, end) as Uint8Array<ArrayBuffer>)
    : bigAvroStream(file.source.layout, start, end);
}

/** A file's revision: hex, at least 9 characters, stable per account and path. */
export function fileRev(accountId: string, file: DropboxFile): string {
  return `015${createHash('sha1')
    .update(`${accountId}\0${lowerPath(file.path)}\0${file.size}\0${file.version ?? 0}`)
    .digest('hex')
    .slice(0, 12)}`;
}

/** Metadata of an entry as files routes answer it (`.tag` first, like Dropbox). */
export async function entryMetadata(
  entry: DropboxEntry,
  accountId: string,
): Promise<Record<string, unknown>> {
  const lower = lowerPath(entry.path);
  const common = {
    name: entry.name,
    path_lower: lower,
    path_display: entry.path,
    id: entryId(accountId, lower),
  };
  if (entry.kind === 'folder') return { '.tag': 'folder', ...common };
  return {
    '.tag': 'file',
    ...common,
    client_modified: entry.modified,
    server_modified: entry.modified,
    rev: fileRev(accountId, entry),
    size: entry.size,
    is_downloadable: entry.downloadable !== false,
    content_hash: await fileContentHash(entry),
  };
}

/** Replaces a file's bytes in place (a new revision), as another client saving it would. */
export function replaceFileBytes(files: DropboxFiles, path: string, data: Buffer): void {
  const entry = files.entries.get(lowerPath(path));
  if (entry?.kind !== 'file') throw new Error(`sandbox has no file ${path}`);
  entry.source = { kind: 'bytes', data };
  entry.size = data.length;
  entry.version = (entry.version ?? 0) + 1;
}

/** Adds a file with these bytes (listed last in its folder, which is made if missing). */
export function addFileBytes(files: DropboxFiles, path: string, data: Buffer): void {
  const lower = lowerPath(path);
  if (files.entries.has(lower)) throw new Error(`sandbox already has ${path}`);
  const folderPath = path.slice(0, path.lastIndexOf('/'));
  if (folderPath !== '' && !files.children.has(parentOf(lower))) {
    addFileFolder(files, folderPath);
  }
  files.children.get(parentOf(lower))?.push(lower);
  files.entries.set(lower, {
    kind: 'file',
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    size: data.length,
    modified: '2026-12-01T08:00:00Z',
    source: { kind: 'bytes', data },
  });
}

function addFileFolder(files: DropboxFiles, path: string): void {
  const lower = lowerPath(path);
  const parent = parentOf(lower);
  if (parent !== '' && !files.children.has(parent))
    addFileFolder(files, path.slice(0, path.lastIndexOf('/')));
  files.children.get(parent)?.push(lower);
  files.children.set(lower, []);
  files.entries.set(lower, { kind: 'folder', path, name: path.slice(path.lastIndexOf('/') + 1) });
}

/** Whether a caller sees an entry: team-space entries only through the team root. */
export function visibleTo(entry: DropboxEntry | undefined, teamView: boolean): boolean {
  return entry !== undefined && (teamView || !entry.team);
}
