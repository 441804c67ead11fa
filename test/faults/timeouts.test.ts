import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PorticoError } from '../../lib/errors.js';
import { statusOf } from '../../lib/http/problem.js';
import { dropboxApiArg } from '../../lib/providers/dropbox/api.js';
import { type Attempt, fetchWithRetry } from '../../lib/providers/http.js';
import { keepAliveAttempt } from '../../lib/providers/keep-alive.js';
import { readJson } from '../../lib/providers/read.js';
import { type Sandbox, startSandbox } from '../helpers/stack.js';

/**
 * Portico's per-attempt timeout is 15 s and its retry budget 20 s, fixed in code: waiting them out
 * through the API would make each case take 15-30 s. So the timeouts are measured here on
 * `fetchWithRetry` itself, with short policies, against the real sandbox server (delays, slow
 * and stalled bodies). The end-to-end cases (test/faults/provider.test.ts) use delays that the
 * default timeout absorbs. Each case runs with `fetch` and with the proxy's keep-alive client
 * (lib/providers/keep-alive.ts), which reads an answer of known length whole before answering:
 * its body failing then fails the call itself, not a later read.
 */
let sandbox: Sandbox;
let token: string;
const MiB = 1024 * 1024;

const download = (path: string, policy: Parameters<typeof fetchWithRetry>[2]) =>
  fetchWithRetry(
    `${sandbox.url}/dropbox/content/2/files/download`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'dropbox-api-arg': dropboxApiArg({ path }) },
    },
    policy,
  );
const listFolder = (policy: Parameters<typeof fetchWithRetry>[2]) =>
  fetchWithRetry(
    `${sandbox.url}/dropbox/api/2/files/list_folder`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/data' }),
    },
    policy,
  );

/** The call, then its body read as JSON: whichever step fails, its error. */
const failureOf = async (call: Promise<{ response: Response }>) => {
  try {
    await readJson((await call).response);
    return undefined;
  } catch (err) {
    return err;
  }
};

beforeAll(async () => {
  sandbox = await startSandbox({ bigAvroBytes: 2 * MiB });
  token = sandbox.state.mint({ provider: 'dropbox', account: 'timeouts' }).access_token;
  // The first listing builds the sandbox's file tree (slow once); keep that out of the timings.
  await (await listFolder({})).response.arrayBuffer();
});
afterEach(() => {
  sandbox.state.clearFaults();
});
afterAll(async () => {
  await sandbox?.close();
});

describe.each([
  ['fetch', undefined],
  ['the keep-alive client', keepAliveAttempt],
] as Array<[string, Attempt | undefined]>)('%s', (_name, attempt) => {
  describe('per-attempt timeout', () => {
    it('an answer slower than the timeout is abandoned and retried', async () => {
      sandbox.state.addFault({ provider: 'dropbox', match: '/files/list_folder', delayMs: 800, count: 1 });
      const { response, attempts } = await listFolder({ timeoutMs: 300, attempt });
      expect(response.status).toBe(200);
      expect(attempts).toBe(2);
      expect(((await readJson(response)) as { entries: unknown[] }).entries.length).toBeGreaterThan(0);
    });

    it('a provider that never answers in time: 504 provider_unavailable within the retry budget', async () => {
      sandbox.state.addFault({ provider: 'dropbox', match: '/files/list_folder', delayMs: 5000, count: 0 });
      const started = Date.now();
      const err = await listFolder({ timeoutMs: 1000, budgetMs: 1200, attempt }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const took = Date.now() - started;
      expect(err).toBeInstanceOf(PorticoError);
      expect(err).toMatchObject({ code: 'provider_unavailable' });
      expect(statusOf(err as PorticoError)).toBe(504);
      // A retry waits only for what is left of the budget (not another whole timeout): a Lambda has 29 s.
      expect(took).toBeLessThan(1700);
    });
  });

  describe('bodies', () => {
    it('a download longer than the timeout in all, but steadily arriving, is never cut', async () => {
      const whole = Buffer.from(await (await download('/data/big.avro', { attempt })).response.arrayBuffer());
      expect(whole.length).toBeGreaterThan(MiB);
      sandbox.state.addFault({ provider: 'dropbox', match: '/files/download', slowBodyMs: 40, count: 1 });
      const started = Date.now();
      const { response } = await download('/data/big.avro', { timeoutMs: 400, attempt });
      const slow = Buffer.from(await response.arrayBuffer());
      expect(Date.now() - started).toBeGreaterThan(800);
      expect(slow.equals(whole)).toBe(true);
    });

    it('a body that stalls longer than the timeout fails as provider_unavailable, never hangs', async () => {
      sandbox.state.addFault({
        provider: 'dropbox',
        match: '/files/list_folder',
        slowBodyMs: 3000,
        count: 1,
      });
      const started = Date.now();
      const err = await failureOf(listFolder({ timeoutMs: 300, attempt }));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(err).toBeInstanceOf(PorticoError);
      expect(err).toMatchObject({ code: 'provider_unavailable' });
      expect(statusOf(err as PorticoError)).toBe(504);
    });

    it('a body cut off mid-way fails as provider_unavailable (503)', async () => {
      sandbox.state.addFault({
        provider: 'dropbox',
        match: '/files/download',
        reset: true,
        slowBodyMs: 5,
        count: 1,
      });
      const err = await failureOf(download('/data/users.avro', { attempt }));
      expect(err).toMatchObject({ code: 'provider_unavailable' });
      expect(statusOf(err as PorticoError)).toBe(503);
    });
  });
});
