const EMPTY = Buffer.alloc(0);
/** Largest copy buffer a reader keeps for the next range. */
const MAX_SCRATCH_BYTES = 1024 * 1024;

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('the byte source yielded something other than a Uint8Array');
}

/**
 * Pulls a stream of chunks on demand and hands out contiguous byte ranges, holding no more than the
 * range asked for plus the rest of the last chunk read: a range inside one chunk is a view of it, a
 * range across chunks is copied once into a buffer of exactly its size.
 */
export class ByteReader {
  readonly #chunks: AsyncIterator<Uint8Array>;
  #buf: Buffer = EMPTY;
  #pos = 0;
  /** File offset of `#buf[0]`. */
  #bufOffset: number;
  /** The unread tail of a chunk that a copied range did not need. */
  #pending: Buffer | undefined;
  #ended = false;
  /**
   * Where ranges across chunks are copied, reused: a range is valid only until the next call, and a
   * fresh buffer a block would leave the garbage collector that much more to find.
   */
  #scratch: Buffer | undefined;

  constructor(chunks: AsyncIterator<Uint8Array>, offset: number) {
    this.#chunks = chunks;
    this.#bufOffset = offset;
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.#bufOffset + this.#pos;
  }

  /** Bytes readable without waiting. */
  get available(): number {
    return this.#buf.length - this.#pos;
  }

  /** Waits until `n` bytes are readable; false when the source ends first (what it had stays readable). */
  async ensure(n: number): Promise<boolean> {
    if (this.#buf.length - this.#pos >= n) return true;
    let buf = this.#buf.subarray(this.#pos);
    this.#bufOffset += this.#pos;
    this.#pos = 0;
    let target: Buffer | undefined;
    while (buf.length < n) {
      const chunk = await this.#nextChunk();
      if (chunk === undefined) break;
      if (buf.length === 0) {
        buf = chunk;
        continue;
      }
      if (target === undefined) {
        target = this.#copyTarget(n, buf);
        buf.copy(target);
      }
      const take = Math.min(chunk.length, n - buf.length);
      chunk.copy(target, buf.length, 0, take);
      if (take < chunk.length) this.#pending = chunk.subarray(take);
      buf = target.subarray(0, buf.length + take);
    }
    this.#buf = buf;
    return buf.length >= n;
  }

  /** A buffer of `n` bytes to copy a range into, none of whose bytes `from` (still to be copied) uses. */
  #copyTarget(n: number, from: Buffer): Buffer {
    const scratch = this.#scratch;
    if (scratch !== undefined && scratch.length >= n && scratch.buffer !== from.buffer) {
      return scratch.subarray(0, n);
    }
    const fresh = Buffer.allocUnsafe(n);
    if (n <= MAX_SCRATCH_BYTES && (scratch === undefined || n > scratch.length)) this.#scratch = fresh;
    return fresh;
  }

  /** The next `n` bytes, which {@link ensure} must have made readable; a view valid until the next call. */
  take(n: number): Buffer {
    const start = this.#pos;
    this.#pos += n;
    return this.#buf.subarray(start, this.#pos);
  }

  /**
   * Reads a zigzag varint long from the readable bytes (call `ensure(10)` first); undefined when they run
   * out first. Exact up to 2^53, which is beyond any size or count this module accepts.
   */
  readLong(): number | undefined {
    const buf = this.#buf;
    let pos = this.#pos;
    let zigzag = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++];
      zigzag += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) {
        this.#pos = pos;
        return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      }
    }
    // Eleven bytes cannot be a long; answer something no bound check lets through.
    this.#pos = pos;
    return Number.POSITIVE_INFINITY;
  }

  /** Passes over `n` bytes without holding them; false when the source ends first. */
  async skip(n: number): Promise<boolean> {
    const ready = Math.min(n, this.#buf.length - this.#pos);
    this.#pos += ready;
    let left = n - ready;
    while (left > 0) {
      const chunk = await this.#nextChunk();
      if (chunk === undefined) return false;
      this.#bufOffset += this.#buf.length;
      this.#buf = chunk;
      this.#pos = Math.min(left, chunk.length);
      left -= this.#pos;
    }
    return true;
  }

  /** Stops the source early (its iterator's `return()`); harmless after it ended. */
  async close(): Promise<void> {
    this.#buf = EMPTY;
    this.#scratch = undefined;
    this.#pending = undefined;
    if (this.#ended) return;
    this.#ended = true;
    await this.#chunks.return?.();
  }

  async #nextChunk(): Promise<Buffer | undefined> {
    if (this.#pending !== undefined) {
      const pending = this.#pending;
      this.#pending = undefined;
      return pending;
    }
    while (!this.#ended) {
      const result = await this.#chunks.next();
      if (result.done) {
        this.#ended = true;
        return undefined;
      }
      const chunk = asBuffer(result.value);
      if (chunk.length > 0) return chunk;
    }
    return undefined;
  }
}
