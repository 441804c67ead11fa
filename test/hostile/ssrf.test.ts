import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../lib/webhooks/index.js';
import { assertDeliverable, isPrivateAddress } from '../../lib/webhooks/ssrf.js';
import { type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';

/**
 * Forged webhook receivers: every spelling of a private, loopback or link-local address (IPv4
 * literals in decimal, octal, hex and short forms, IPv4-mapped and expanded IPv6, DNS names that
 * resolve to them) is refused by the deployment's SSRF guard, and public ones are not.
 */

/** The private IPv4 ranges the guard documents (and a few reserved ones), as [first, prefix]. */
const privateV4: Array<[number, number]> = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x7f000000, 8],
  [0x64400000, 10],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0a80000, 16],
  [0xc0000000, 16],
  [0xc6120000, 15],
  [0xe0000000, 3],
];
const inRange = (n: number, [first, prefix]: [number, number]) =>
  n >>> (32 - prefix) === first >>> (32 - prefix);
const isPrivateV4 = (n: number) => privateV4.some((r) => inRange(n, r));
const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const hexGroups = (n: number) => `${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}`;

const privateAddress = fc
  .tuple(fc.constantFrom(...privateV4), fc.nat())
  .map(([[first, prefix], r]) => (first | (r & (2 ** (32 - prefix) - 1))) >>> 0);
const publicAddress = fc.nat({ max: 0xffffffff }).filter((n) => !isPrivateV4(n));

/** Every way a URL can spell an IPv4 host (the URL parser turns them all into dotted form). */
const spellings = (n: number) => [
  dotted(n),
  String(n),
  `0x${n.toString(16)}`,
  [24, 16, 8, 0].map((s) => `0${((n >>> s) & 255).toString(8)}`).join('.'),
  `${(n >>> 24) & 255}.${n & 0xffffff}`,
  `0x${((n >>> 24) & 255).toString(16)}.${n & 0xffffff}`,
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${n & 0xffff}`,
  `[::ffff:${dotted(n)}]`,
  `[::ffff:${hexGroups(n)}]`,
  `[0:0:0:0:0:ffff:${hexGroups(n)}]`,
];
/** How a resolver may write an address it found. */
const resolved = (n: number) => [
  dotted(n),
  `::ffff:${dotted(n)}`,
  `::ffff:${hexGroups(n)}`,
  `0:0:0:0:0:ffff:${hexGroups(n)}`,
  `0000:0000:0000:0000:0000:FFFF:${dotted(n)}`,
  `::${dotted(n)}`,
  `64:ff9b::${hexGroups(n)}`,
];

const refuse = async (url: string, resolve: (h: string) => Promise<string[]>) => {
  const err = await assertDeliverable(url, { allowPrivate: false, resolve }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof Error;
};
const noDns = async (host: string): Promise<string[]> => {
  throw new Error(`unexpected lookup of ${host}`);
};

describe('the SSRF guard', () => {
  it('refuses every spelling of a private IPv4 literal in the URL', async () => {
    await fc.assert(
      fc.asyncProperty(privateAddress, async (n) => {
        for (const host of spellings(n)) expect(await refuse(`https://${host}/hook`, noDns), host).toBe(true);
      }),
      { numRuns: 300 },
    );
    for (const url of ['https://2130706433/', 'https://0x7f.1/', 'https://0177.0.0.1/', 'https://127.1/']) {
      expect(await refuse(url, noDns), url).toBe(true);
    }
  });

  it('refuses DNS names resolving to a private address, however the resolver writes it', async () => {
    await fc.assert(
      fc.asyncProperty(privateAddress, publicAddress, async (bad, good) => {
        for (const address of resolved(bad)) {
          const resolve = async () => [dotted(good), address];
          expect(await refuse('https://hooks.example.com/x', resolve), address).toBe(true);
          expect(isPrivateAddress(address), address).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('classifies IPv4 as documented, and every IPv6 spelling of a private IPv4 as private', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (n) => {
        expect(isPrivateAddress(dotted(n)), dotted(n)).toBe(isPrivateV4(n));
        // Refusing a public address in an odd spelling is safe; calling a private one public is not.
        if (isPrivateV4(n)) for (const form of resolved(n)) expect(isPrivateAddress(form), form).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses private IPv6 ranges in any spelling', () => {
    const expand = (ip: string) => {
      const [head, tail = ''] = ip.split('::');
      const h = head ? head.split(':') : [];
      const t = tail ? tail.split(':') : [];
      return [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
        .map((g) => g.padStart(4, '0'))
        .join(':');
    };
    for (const ip of [
      '::',
      '::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'febf::1',
      'ff02::1',
      '64:ff9b::a00:1',
      '::a00:1',
    ]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
      expect(isPrivateAddress(expand(ip)), expand(ip)).toBe(true);
      expect(isPrivateAddress(expand(ip).toUpperCase()), expand(ip)).toBe(true);
      expect(isPrivateAddress(`[${ip}]`), ip).toBe(true);
    }
    for (const ip of ['2606:4700:4700::1111', '2001:4860:4860::8888']) {
      expect(isPrivateAddress(ip), ip).toBe(false);
      expect(isPrivateAddress(expand(ip)), expand(ip)).toBe(false);
    }
  });

  it('lets public receivers through (no false refusals)', async () => {
    await fc.assert(
      fc.asyncProperty(publicAddress, async (n) => {
        expect(await refuse(`https://${dotted(n)}/hook`, noDns), dotted(n)).toBe(false);
        expect(await refuse('https://hooks.example.com/x', async () => [dotted(n)]), dotted(n)).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(await refuse('http://hooks.example.com/x', async () => ['8.8.8.8'])).toBe(true); // https only
    expect(await refuse('https://nowhere.example.com/x', async () => [])).toBe(true);
  });
});

describe('the outbox, deployed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(closeEmbeddedDynamo);

  it('drops events for a receiver that resolves to a private address, and never sends them', async () => {
    const sent: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      sent.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    };
    try {
      const outbox = new Outbox({
        db: t.db,
        tenants: t.services.tenants,
        log: t.services.log,
        allowPrivate: false,
        resolve: async (host) =>
          host === 'rebind.example.com' ? ['::ffff:169.254.169.254'] : ['93.184.216.34'],
      });
      for (const webhookUrl of [
        'https://rebind.example.com/hook',
        'https://2130706433/hook',
        'https://[::ffff:a00:1]/',
      ]) {
        const tenant = await t.tenant({ webhookUrl });
        await outbox.emit(tenant.id, 'connection.updated', {});
        const result = await outbox.drain();
        expect(result, webhookUrl).toMatchObject({ delivered: 0, dead: 1 });
        expect((await outbox.dead(tenant.id)).length).toBe(1);
      }
      expect(sent).toEqual([]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
