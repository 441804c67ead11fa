import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type LocalServer, startLocal } from '../../lib/dev/local/server.js';
import { createLogger } from '../../lib/log.js';
import type { ServiceOverrides } from '../../lib/services.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `[e2e] skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

export const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

export interface Harness {
  server: LocalServer;
  browser: Browser;
  context: BrowserContext;
  /** Problems the pages reported: script errors and CSP violations (not failed fetches). */
  problems: string[];
  newPage(): Promise<Page>;
  shot(page: Page, name: string, fullPage?: boolean): Promise<void>;
  /** `fetch` against Portico with a bearer key and JSON. */
  api(method: string, path: string, key: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** The whole local service with the sandbox (as `npm start` runs it) and a headless Chromium. */
export async function startHarness(overrides?: ServiceOverrides): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-e2e-'));
  const server = await startLocal({
    env: { PORT: '0', DATA_DIR: dataDir, SANDBOX: '1' },
    log: createLogger({ level: 'error', write: () => {} }),
    overrides,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // A 4xx/5xx answer to fetch() is logged by Chromium; the pages show those themselves.
      if (text.startsWith('Failed to load resource')) return;
      problems.push(`${page.url()}: ${text}`);
    });
  };
  context.on('page', watch);
  mkdirSync(SCREENSHOTS, { recursive: true });

  return {
    server,
    browser,
    context,
    problems,
    newPage: () => context.newPage(),
    async shot(page, name, fullPage = true) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
    },
    api: (method, path, key, body) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async close() {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
