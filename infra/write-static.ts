/**
 * `tsx infra/write-static.ts <file>`: writes the API function's build-time content (the admin
 * console, the browser SDK, the OpenAPI document and its reference page; lib/http/ui/content.ts) as
 * JSON. The stack runs it after bundling, into the function's asset beside `index.mjs`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildStaticContent } from '../lib/http/ui/build.js';

export async function writeStaticContent(file: string): Promise<number> {
  const text = JSON.stringify(await buildStaticContent());
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return Buffer.byteLength(text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const target = process.argv[2];
  if (!target) throw new Error('usage: tsx infra/write-static.ts <file>');
  await writeStaticContent(resolve(target));
}
