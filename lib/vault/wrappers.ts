import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { kms } from '../aws.js';
import { VaultError } from '../errors.js';

/**
 * Wraps and unwraps per-tenant data keys. Two implementations behind one interface: AWS KMS
 * (envelope encryption under the service CMK, encryption context `{tenantId}`) and a local
 * master key (same idea, AES-256-GCM, for `npm start` and tests).
 */
export interface KeyWrapper {
  readonly kind: 'kms' | 'local';
  /** A fresh 256-bit data key for `tenantId`, in plaintext and wrapped. */
  generateDataKey(tenantId: string): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }>;
  /** Unwraps a data key; fails when it was wrapped for another tenant or tampered with. */
  unwrap(tenantId: string, wrapped: Uint8Array): Promise<Uint8Array>;
}

/**
 * KMS key wrapper (a default client when none is given): `GenerateDataKey` (AES_256) and `Decrypt`, both with encryption context
 * `{tenantId}` so IAM can require it and CloudTrail names the tenant.
 * https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html
 */
export function kmsKeyWrapper(keyId: string, client: KMSClient = new kms.KMSClient({})): KeyWrapper {
  return {
    kind: 'kms',
    async generateDataKey(tenantId) {
      const out = await client.send(
        new kms.GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { tenantId } }),
      );
      if (!out.Plaintext || !out.CiphertextBlob) throw new VaultError('KMS returned no data key');
      return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob };
    },
    async unwrap(tenantId, wrapped) {
      try {
        const out = await client.send(
          new kms.DecryptCommand({ KeyId: keyId, CiphertextBlob: wrapped, EncryptionContext: { tenantId } }),
        );
        if (!out.Plaintext) throw new VaultError('KMS returned no plaintext');
        return out.Plaintext;
      } catch (err) {
        if ((err as Error).name === 'InvalidCiphertextException') {
          throw new VaultError('the tenant data key does not unwrap', { cause: err });
        }
        throw err;
      }
    },
  };
}

const LOCAL_FORMAT = 1;

/**
 * Local master-key wrapper: the data key sealed with AES-256-GCM under the master key, with the
 * tenant id as additional data (the equivalent of KMS's encryption context).
 */
export function localKeyWrapper(masterKey: Uint8Array): KeyWrapper {
  if (masterKey.length !== 32) throw new VaultError('the local master key must be 32 bytes');
  const key = Buffer.from(masterKey);
  return {
    kind: 'local',
    async generateDataKey(tenantId) {
      const plaintext = new Uint8Array(randomBytes(32));
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(`portico-lmk:${tenantId}`));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const wrapped = Buffer.concat([Buffer.from([LOCAL_FORMAT]), iv, ct, cipher.getAuthTag()]);
      return { plaintext, wrapped: new Uint8Array(wrapped) };
    },
    async unwrap(tenantId, wrapped) {
      const buf = Buffer.from(wrapped);
      if (buf.length !== 1 + 12 + 32 + 16 || buf[0] !== LOCAL_FORMAT)
        throw new VaultError('malformed wrapped key');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(1, 13));
        decipher.setAAD(Buffer.from(`portico-lmk:${tenantId}`));
        decipher.setAuthTag(buf.subarray(45));
        return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(13, 45)), decipher.final()]));
      } catch (err) {
        throw new VaultError('the tenant data key does not unwrap', { cause: err });
      }
    },
  };
}

/** A wrapper that counts each call to the wrapped one (KMS calls, for the `KmsCalls` metric). */
export function countedKeyWrapper(inner: KeyWrapper, counted: () => void): KeyWrapper {
  return {
    kind: inner.kind,
    generateDataKey(tenantId) {
      counted();
      return inner.generateDataKey(tenantId);
    },
    unwrap(tenantId, wrapped) {
      counted();
      return inner.unwrap(tenantId, wrapped);
    },
  };
}
