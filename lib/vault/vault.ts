import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VaultError } from '../errors.js';
import type { KeyWrapper } from './wrappers.js';

const FORMAT = 1;
const TTL_MS = 5 * 60_000;

export interface VaultOptions {
  wrapper: KeyWrapper;
  /** Reads a tenant's wrapped data key (from the tenant item); `undefined` once it was destroyed. */
  loadWrappedKey: (tenantId: string) => Promise<Uint8Array | undefined>;
  /** Unwrapped keys kept at most; least recently used ones are zeroed and dropped. Default 1000. */
  cacheSize?: number;
  /** Default 5 minutes. */
  cacheTtlMs?: number;
  now?: () => number;
}

interface CachedKey {
  key: Buffer;
  expires: number;
}

/**
 * Per-tenant envelope encryption (docs/design.md, "Vault"). Records are sealed with AES-256-GCM under
 * the tenant's data key, a random 96-bit IV, and additional data binding the format version,
 * tenant id and record id: a ciphertext moved to another record or tenant does not open.
 * Unwrapped keys are cached (LRU, TTL), so a warm read makes no KMS call.
 */
export class Vault {
  private readonly cache = new Map<string, CachedKey>();
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly size: number;
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(private readonly options: VaultOptions) {
    this.size = options.cacheSize ?? 1000;
    this.ttl = options.cacheTtlMs ?? TTL_MS;
    this.now = options.now ?? Date.now;
  }

  get wrapperKind(): KeyWrapper['kind'] {
    return this.options.wrapper.kind;
  }

  /** Generates a new tenant data key; returns the wrapped form to store in the tenant item. */
  async createTenantKey(tenantId: string): Promise<Uint8Array> {
    const { plaintext, wrapped } = await this.options.wrapper.generateDataKey(tenantId);
    this.remember(tenantId, Buffer.from(plaintext));
    plaintext.fill(0);
    return wrapped;
  }

  /** Seals `plaintext` for one record of one tenant. The answer is a compact base64url string. */
  async seal(tenantId: string, recordId: string, plaintext: string | Uint8Array): Promise<string> {
    const key = await this.tenantKey(tenantId);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(tenantId, recordId));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ct = Buffer.concat([cipher.update(data), cipher.final()]);
    key.fill(0);
    return Buffer.concat([Buffer.from([FORMAT]), iv, ct, cipher.getAuthTag()]).toString('base64url');
  }

  /** Opens a sealed record; throws {@link VaultError} when tampered, moved, or shredded. */
  async open(tenantId: string, recordId: string, sealed: string): Promise<Buffer> {
    const buf = Buffer.from(sealed, 'base64url');
    if (buf.length < 1 + 12 + 16 || buf[0] !== FORMAT) throw new VaultError('malformed ciphertext');
    const key = await this.tenantKey(tenantId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(1, 13));
      decipher.setAAD(aad(tenantId, recordId));
      decipher.setAuthTag(buf.subarray(buf.length - 16));
      return Buffer.concat([decipher.update(buf.subarray(13, buf.length - 16)), decipher.final()]);
    } catch (err) {
      throw new VaultError('ciphertext does not open for this record', { cause: err });
    } finally {
      key.fill(0);
    }
  }

  async openString(tenantId: string, recordId: string, sealed: string): Promise<string> {
    return (await this.open(tenantId, recordId, sealed)).toString('utf8');
  }

  /** Drops and zeroes a tenant's cached key (revocation). */
  forget(tenantId: string): void {
    const hit = this.cache.get(tenantId);
    if (hit) hit.key.fill(0);
    this.cache.delete(tenantId);
  }

  /**
   * A private copy of the tenant key; the caller zeroes it after use. Copies are taken
   * synchronously, so an eviction that zeroes the cached key can never hand out a zeroed key.
   */
  private async tenantKey(tenantId: string): Promise<Buffer> {
    const hit = this.cache.get(tenantId);
    if (hit && hit.expires > this.now()) {
      // LRU: move to the end.
      this.cache.delete(tenantId);
      this.cache.set(tenantId, hit);
      return Buffer.from(hit.key);
    }
    if (hit) this.forget(tenantId);
    let pending = this.inflight.get(tenantId);
    if (!pending) {
      pending = (async () => {
        const wrapped = await this.options.loadWrappedKey(tenantId);
        if (!wrapped) throw new VaultError('the tenant has no data key (revoked or unknown)');
        const key = Buffer.from(await this.options.wrapper.unwrap(tenantId, wrapped));
        this.remember(tenantId, Buffer.from(key));
        return key;
      })().finally(() => this.inflight.delete(tenantId));
      this.inflight.set(tenantId, pending);
    }
    return Buffer.from(await pending);
  }

  private remember(tenantId: string, key: Buffer): void {
    this.forget(tenantId);
    this.cache.set(tenantId, { key, expires: this.now() + this.ttl });
    while (this.cache.size > this.size) {
      const oldest = this.cache.keys().next().value as string;
      this.forget(oldest);
    }
  }
}

function aad(tenantId: string, recordId: string): Buffer {
  return Buffer.from(`portico:v${FORMAT}:${tenantId}:${recordId}`, 'utf8');
}
