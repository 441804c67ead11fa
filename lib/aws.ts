import { createRequire } from 'node:module';

/**
 * The AWS SDK v3 packages of `lib/`, loaded with `require` (`functions/runtime.ts` loads Secrets
 * Manager the same way).
 *
 * The SDK ships CommonJS (`dist-cjs`). Imported from an ES module, each package first goes through
 * Node's ESM-to-CommonJS translation (cjs-module-lexer scans its source for named exports); a plain
 * `require` skips that. Loading the three clients takes about half as long that way (bench figure
 * 1), which is most of the API function's cold module init. The packages are the same objects
 * either way (one module cache), so `instanceof` on their errors still holds; the types come from
 * the packages as usual. In Lambda, `require` also finds the runtime's SDK through `NODE_PATH`.
 */
const load = createRequire(import.meta.url);

export const dynamodb: typeof import('@aws-sdk/client-dynamodb') = load('@aws-sdk/client-dynamodb');
export const dynamodbUtil: typeof import('@aws-sdk/util-dynamodb') = load('@aws-sdk/util-dynamodb');
export const kms: typeof import('@aws-sdk/client-kms') = load('@aws-sdk/client-kms');
