import { Hono } from 'hono';
import type { AppEnv } from '../../app/context.js';
import { asset, pageHeaders, serveAsset } from '../assets.js';
import { renderPage } from '../layout.js';
import { adminCss } from '../styles.js';
import { AdminPage } from './page.js';
import { adminScript } from './script.js';

const script = asset('/admin/app.js', 'text/javascript; charset=utf-8', adminScript);
const stylesheet = asset('/admin/app.css', 'text/css; charset=utf-8', adminCss);
let page: string | undefined;

/** `GET /admin`: the admin console (markup, script and stylesheet; no credential needed to load it). */
export const adminPageRoutes = new Hono<AppEnv>();
adminPageRoutes.get('/admin', async (c) => {
  page ??= await renderPage(AdminPage({ stylesheet: stylesheet.url, script: script.url }));
  pageHeaders(c);
  return c.html(page);
});
adminPageRoutes.get(script.path, (c) => serveAsset(c, script));
adminPageRoutes.get(stylesheet.path, (c) => serveAsset(c, stylesheet));
