import { describe, expect, it } from 'vitest';
import { assertDeliverable, isPrivateAddress } from '../../lib/webhooks/ssrf.js';

/** Issue 14, item 5: IPv6 transition and deprecated ranges that reach private space. */
describe('the SSRF classifier', () => {
  it('refuses 6to4 addresses embedding a private IPv4, Teredo, and site-local', () => {
    for (const a of [
      '2002:7f00:1::', // 6to4 of 127.0.0.1
      '2002:7f00:0001:0:0:0:0:1',
      '2002:a00:1::1', // 10.0.0.1
      '2002:c0a8:101::', // 192.168.1.1
      '2002:a9fe:a9fe::', // 169.254.169.254, the metadata service
      '2002:ac10:0001::', // 172.16.0.1
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
      '2001::1',
      '2001:0000:0:0:0:0:0:1',
      'fec0::1',
      'feff:ffff::1',
      '[fec0::1]',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
  });

  it('still takes public addresses of the neighbouring ranges', () => {
    for (const a of ['2002:808:808::', '2001:4860:4860::8888', '2001:1::1', 'fe00::1', '2606:4700::1111']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });

  it('refuses a webhook host that resolves to one of them', async () => {
    for (const address of ['2002:7f00:1::', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'fec0::1']) {
      await expect(
        assertDeliverable('https://hooks.example.com/in', {
          allowPrivate: false,
          resolve: async () => [address],
        }),
        address,
      ).rejects.toThrow(/private/);
    }
  });
});
