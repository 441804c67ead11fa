import { randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultError } from '../../lib/errors.js';
import {
  countedKeyWrapper,
  type KeyWrapper,
  kmsKeyWrapper,
  localKeyWrapper,
  Vault,
} from '../../lib/vault/index.js';
import { type FakeKms, startKmsServer } from '../helpers/kms-server.js';

function vaultWith(wrapper: KeyWrapper, now = () => Date.now()) {
  const keys = new Map<string, Uint8Array>();
  let loads = 0;
  const vault = new Vault({
    wrapper,
    now,
    loadWrappedKey: async (t) => {
      loads++;
      return keys.get(t);
    },
  });
  return {
    vault,
    keys,
    loads: () => loads,
    async tenant(id: string) {
      keys.set(id, await vault.createTenantKey(id));
    },
  };
}

describe('vault (local master key)', () => {
  it('seals and opens a record', async () => {
    const v = vaultWith(localKeyWrapper(randomBytes(32)));
    await v.tenant('ten_a');
    const sealed = await v.vault.seal('ten_a', 'conn_1', 'refresh-token-value');
    expect(sealed).not.toContain('refresh-token-value');
    expect(await v.vault.openString('ten_a', 'conn_1', sealed)).toBe('refresh-token-value');
  });

  it('refuses a ciphertext copied to another record', async () => {
    const v = vaultWith(localKeyWrapper(randomBytes(32)));
    await v.tenant('ten_a');
    const sealed = await v.vault.seal('ten_a', 'conn_1', 'secret');
    await expect(v.vault.open('ten_a', 'conn_2', sealed)).rejects.toBeInstanceOf(VaultError);
  });

  it('refuses a ciphertext copied to another tenant', async () => {
    const v = vaultWith(localKeyWrapper(randomBytes(32)));
    await v.tenant('ten_a');
    await v.tenant('ten_b');
    const sealed = await v.vault.seal('ten_a', 'conn_1', 'secret');
    await expect(v.vault.open('ten_b', 'conn_1', sealed)).rejects.toBeInstanceOf(VaultError);
  });

  it('refuses a tampered ciphertext, bit by bit', async () => {
    const v = vaultWith(localKeyWrapper(randomBytes(32)));
    await v.tenant('ten_a');
    const sealed = Buffer.from(await v.vault.seal('ten_a', 'conn_1', 'secret'), 'base64url');
    for (const i of [1, 5, 13, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i] ^= 0x01;
      await expect(v.vault.open('ten_a', 'conn_1', bad.toString('base64url'))).rejects.toBeInstanceOf(
        VaultError,
      );
    }
    await expect(v.vault.open('ten_a', 'conn_1', 'not-a-ciphertext')).rejects.toBeInstanceOf(VaultError);
  });

  it('cannot open anything once the tenant key is destroyed (crypto-shredding)', async () => {
    const v = vaultWith(localKeyWrapper(randomBytes(32)));
    await v.tenant('ten_a');
    const sealed = await v.vault.seal('ten_a', 'conn_1', 'secret');
    v.keys.delete('ten_a');
    v.vault.forget('ten_a');
    await expect(v.vault.open('ten_a', 'conn_1', sealed)).rejects.toBeInstanceOf(VaultError);
  });

  it('refuses a wrapped key moved to another tenant, and another master key', async () => {
    const master = randomBytes(32);
    const w = localKeyWrapper(master);
    const { wrapped } = await w.generateDataKey('ten_a');
    await expect(w.unwrap('ten_b', wrapped)).rejects.toBeInstanceOf(VaultError);
    await expect(localKeyWrapper(randomBytes(32)).unwrap('ten_a', wrapped)).rejects.toBeInstanceOf(
      VaultError,
    );
    expect((await w.unwrap('ten_a', wrapped)).length).toBe(32);
  });

  it('re-reads the wrapped key only after the cache TTL', async () => {
    let t = 0;
    const v = vaultWith(localKeyWrapper(randomBytes(32)), () => t);
    await v.tenant('ten_a');
    const sealed = await v.vault.seal('ten_a', 'c', 'x');
    for (let i = 0; i < 100; i++) await v.vault.open('ten_a', 'c', sealed);
    expect(v.loads()).toBe(0);
    t += 5 * 60_000 + 1;
    await v.vault.open('ten_a', 'c', sealed);
    expect(v.loads()).toBe(1);
  });
});

describe('vault over the real KMS client', () => {
  let kms: FakeKms;
  let client: KMSClient;
  beforeAll(async () => {
    kms = await startKmsServer();
    client = new KMSClient({
      endpoint: kms.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await kms.close();
  });

  it('wraps with GenerateDataKey and a warm read makes no KMS call', async () => {
    const wrapper = kmsKeyWrapper(kms.keyId, client);
    const first = vaultWith(wrapper);
    await first.tenant('ten_kms');
    const sealed = await first.vault.seal('ten_kms', 'conn_1', 'token');
    expect(kms.calls.GenerateDataKey).toBe(1);

    // A second process: cold cache, one Decrypt, then none for 1,000 reads.
    const second = new Vault({ wrapper, loadWrappedKey: async (t) => first.keys.get(t) });
    const before = kms.calls.Decrypt;
    for (let i = 0; i < 1000; i++) expect(await second.openString('ten_kms', 'conn_1', sealed)).toBe('token');
    expect(kms.calls.Decrypt - before).toBe(1);
  });

  it('counts each KMS call as the KmsCalls metric, and none for warm reads', async () => {
    let counted = 0;
    const wrapper = countedKeyWrapper(kmsKeyWrapper(kms.keyId, client), () => counted++);
    const v = vaultWith(wrapper);
    const before = { ...kms.calls };
    await v.tenant('ten_counted');
    const sealed = await v.vault.seal('ten_counted', 'conn_1', 'token');
    const cold = new Vault({ wrapper, loadWrappedKey: async (t) => v.keys.get(t) });
    for (let i = 0; i < 100; i++) await cold.openString('ten_counted', 'conn_1', sealed);
    const made = kms.calls.GenerateDataKey - before.GenerateDataKey + kms.calls.Decrypt - before.Decrypt;
    expect(made).toBe(2);
    expect(counted).toBe(made);
  });

  it('KMS refuses a data key unwrapped under another tenant (encryption context)', async () => {
    const wrapper = kmsKeyWrapper(kms.keyId, client);
    const { wrapped } = await wrapper.generateDataKey('ten_a');
    await expect(wrapper.unwrap('ten_b', wrapped)).rejects.toBeInstanceOf(VaultError);
    expect((await wrapper.unwrap('ten_a', wrapped)).length).toBe(32);
  });
});
