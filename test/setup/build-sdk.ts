import { buildSdk } from '../../packages/node/build.js';

/** Vitest global setup: the SDK's tests import its build (packages/node/dist), so build it first. */
export async function setup(): Promise<void> {
  await buildSdk();
}
