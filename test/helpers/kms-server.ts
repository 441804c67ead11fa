import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { serveAwsJson } from './aws-json-server.js';

/**
 * A loopback server speaking AWS KMS's JSON protocol (awsJson1_1, `X-Amz-Target:
 * TrentService.*`) for GenerateDataKey and Decrypt. It enforces the encryption context exactly
 * as KMS does (the context is bound into the ciphertext) and counts calls, so tests can show a
 * warm read makes no KMS call.
 */
export interface FakeKms {
  endpoint: string;
  keyId: string;
  calls: { GenerateDataKey: number; Decrypt: number };
  close(): Promise<void>;
}

export async function startKmsServer(): Promise<FakeKms> {
  const master = randomBytes(32);
  const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const calls = { GenerateDataKey: 0, Decrypt: 0 };
  const ctxBytes = (ctx: unknown) =>
    Buffer.from(
      JSON.stringify(
        Object.entries((ctx ?? {}) as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
    );
  const fail = (status: number, type: string, message: string) => ({
    status,
    body: { __type: type, message },
  });

  const handle = (target: string, req: Record<string, unknown>): { status: number; body: unknown } => {
    if (target === 'TrentService.GenerateDataKey') {
      calls.GenerateDataKey++;
      if (req.KeyId !== keyId) return fail(400, 'NotFoundException', 'key not found');
      if (req.KeySpec !== 'AES_256') return fail(400, 'ValidationException', 'KeySpec');
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', master, iv);
      c.setAAD(ctxBytes(req.EncryptionContext));
      const blob = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
      return {
        status: 200,
        body: {
          KeyId: keyId,
          Plaintext: plaintext.toString('base64'),
          CiphertextBlob: blob.toString('base64'),
        },
      };
    }
    if (target === 'TrentService.Decrypt') {
      calls.Decrypt++;
      const blob = Buffer.from(String(req.CiphertextBlob ?? ''), 'base64');
      if (req.KeyId !== undefined && req.KeyId !== keyId)
        return fail(400, 'IncorrectKeyException', 'wrong key');
      try {
        const d = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12));
        d.setAAD(ctxBytes(req.EncryptionContext));
        d.setAuthTag(blob.subarray(blob.length - 16));
        const plaintext = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
        return {
          status: 200,
          body: {
            KeyId: keyId,
            Plaintext: plaintext.toString('base64'),
            EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          },
        };
      } catch {
        return fail(400, 'InvalidCiphertextException', '');
      }
    }
    return fail(400, 'UnknownOperationException', target);
  };

  const server = await serveAwsJson(handle);
  return { endpoint: server.endpoint, keyId, calls, close: server.close };
}
