import { createRequire } from 'node:module';

/**
 * `node:http` and `node:https`, loaded with `require`. Imported as ES modules, Node.js 24 builds
 * each one's ESM facade by reading every export, and one of `node:http`'s is a lazy getter that
 * loads Node's own fetch implementation (undici): 25 ms of CPU on the first import, with the SDK
 * already loaded, against 0.4 ms on Node 20. `require` never reads it. The modules are the same
 * objects either way.
 */
const load = createRequire(import.meta.url);

export const http: typeof import('node:http') = load('node:http');
export const https: typeof import('node:https') = load('node:https');
