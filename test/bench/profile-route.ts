/**
 * `npx tsx test/bench/profile-route.ts [token|rows|proxy ...]`: one Portico process (store and
 * sandbox in their own processes) per route, 32 clients on that route alone for
 * `BENCH_CPU_SECONDS` (default 10), with the CPU profiler on; prints the Portico CPU a request
 * and the profile's self time by function (test/bench/profile-summary.mjs).
 * `BENCH_PORTICO_LOG_LEVEL=info` runs Portico with its request log on (default `silent`). The evidence behind
 * figure 8's levers: what a request of each route spends its CPU on.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'silent';

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeCpu } from './load.js';
import { rowsPath } from './proxy.js';
import { startPorticoSetup } from './servers.js';
import { envNumber } from './util.js';

const routes: Record<string, (base: string) => string> = {
  token: (base) => `${base}/token`,
  rows: (base) => `${base}/hubdb/tables/products/rows?limit=100`,
  proxy: (base) => `${base}/proxy/${rowsPath}`,
};
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(routes);
const seconds = envNumber('BENCH_CPU_SECONDS', 10);
for (const name of chosen) {
  const route = routes[name];
  if (!route) throw new Error(`unknown route ${name}; one of ${Object.keys(routes).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), `portico-profile-${name}-`));
  process.env.BENCH_PROFILE_DIR = dir;
  process.env.BENCH_PROFILE_ON_SIGNAL = '1';
  const logLevel = process.env.BENCH_PORTICO_LOG_LEVEL;
  const setup = await startPorticoSetup({
    separateStore: true,
    ...(logLevel ? { env: { LOG_LEVEL: logLevel } } : {}),
  });
  try {
    const base = `${setup.portico.url}/v1/connections/${setup.hubspot.id}`;
    const x = await routeCpu(
      setup.portico.child.pid!,
      route(base),
      { authorization: `Bearer ${setup.tenant.apiKey}` },
      32,
      seconds,
      // The profile covers the measured requests only, not start-up or the warm-up.
      () => setup.portico.child.kill('SIGUSR2'),
    );
    console.log(
      `${name}: ${Math.round(x.rps)} req/s, Portico CPU ${x.cpuMs.toFixed(3)} ms a request (profiler on), ${x.errors} errors`,
    );
  } finally {
    await setup.stop();
  }
  for (const file of readdirSync(dir)) {
    const summary = spawnSync(
      process.execPath,
      [new URL('./profile-summary.mjs', import.meta.url).pathname, join(dir, file), '15'],
      {
        encoding: 'utf8',
      },
    );
    console.log(summary.stdout);
  }
}
process.exit(0);
