import type { AppEnv } from '../../context.js';
import { Hono } from '../../hono.js';
import { serveAsset } from '../assets.js';
import { assetPaths, type StaticContentSource } from '../content.js';

/** Loadable from any origin: module scripts are fetched with CORS, and the SDK holds no secret. */
const crossOrigin = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };

/** `GET /sdk/connect.js` (the browser SDK, an ES module) and `GET /sdk/connect.d.ts` (its types). */
export function sdkRoutes(content: StaticContentSource) {
  const app = new Hono<AppEnv>();
  app.get(assetPaths.sdkScript, async (c) =>
    serveAsset(c, (await content()).sdkScript, { ...crossOrigin, 'x-typescript-types': assetPaths.sdkTypes }),
  );
  app.get(assetPaths.sdkTypes, async (c) => serveAsset(c, (await content()).sdkTypes, crossOrigin));
  return app;
}
