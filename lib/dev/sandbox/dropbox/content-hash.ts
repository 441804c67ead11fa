import { createHash, type Hash } from 'node:crypto';

/** Dropbox hashes content in blocks of 4 MiB. */
export const CONTENT_HASH_BLOCK = 4 * 1024 * 1024;

/**
 * Dropbox `content_hash`, computed incrementally: SHA-256 of each 4 MiB block, then
 * SHA-256 of the concatenated block digests, in hex.
 * https://www.dropbox.com/developers/reference/content-hash
 */
export class ContentHasher {
  private overall: Hash = createHash('sha256');
  private block: Hash = createHash('sha256');
  private blockFill = 0;

  /** Feeds bytes in any chunking. */
  update(data: Uint8Array): this {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(CONTENT_HASH_BLOCK - this.blockFill, data.length - offset);
      this.block.update(data.subarray(offset, offset + take));
      this.blockFill += take;
      offset += take;
      if (this.blockFill === CONTENT_HASH_BLOCK) {
        this.overall.update(this.block.digest());
        this.block = createHash('sha256');
        this.blockFill = 0;
      }
    }
    return this;
  }

  /** The hex content hash of everything fed so far (the hasher is spent afterwards). */
  digest(): string {
    if (this.blockFill > 0) this.overall.update(this.block.digest());
    return this.overall.digest('hex');
  }
}

/** Dropbox content hash of a whole buffer. */
export function contentHash(data: Uint8Array): string {
  return new ContentHasher().update(data).digest();
}
