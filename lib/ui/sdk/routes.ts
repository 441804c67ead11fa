import { Hono } from 'hono';
import type { AppEnv } from '../../app/context.js';
import { asset, serveAsset } from '../assets.js';
import { connectScript, connectTypes } from './connect.js';

const script = asset('/sdk/connect.js', 'text/javascript; charset=utf-8', connectScript);
const types = asset('/sdk/connect.d.ts', 'application/typescript; charset=utf-8', connectTypes);

/** Loadable from any origin: module scripts are fetched with CORS, and the SDK holds no secret. */
const crossOrigin = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };

/** `GET /sdk/connect.js` (the browser SDK, an ES module) and `GET /sdk/connect.d.ts` (its types). */
export const sdkRoutes = new Hono<AppEnv>();
sdkRoutes.get(script.path, (c) =>
  serveAsset(c, script, { ...crossOrigin, 'x-typescript-types': types.path }),
);
sdkRoutes.get(types.path, (c) => serveAsset(c, types, crossOrigin));
