/**
 * Decompresses one raw Snappy block (https://github.com/google/snappy/blob/main/format_description.txt),
 * refusing an output over `maxBytes`. Every length and offset is checked, so corrupt input throws
 * instead of reading or writing out of bounds.
 */
export function snappyUncompress(input: Buffer, maxBytes: number): Buffer {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (shift > 28 || pos >= input.length) throw new Error('snappy: bad length preamble');
    const b = input[pos++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > maxBytes) throw new RangeError(`snappy: block would inflate to ${length} bytes`);
  const out = Buffer.allocUnsafe(length);
  let op = 0;
  while (pos < input.length) {
    const tag = input[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > input.length) throw new Error('snappy: truncated literal length');
        n = input.readUIntLE(pos, bytes);
        pos += bytes;
      }
      n += 1;
      if (pos + n > input.length || op + n > length) throw new Error('snappy: literal out of bounds');
      input.copy(out, op, pos, pos + n);
      pos += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > input.length) throw new Error('snappy: truncated copy');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[pos];
      pos += 1;
    } else if (kind === 2) {
      if (pos + 2 > input.length) throw new Error('snappy: truncated copy');
      n = (tag >>> 2) + 1;
      offset = input.readUInt16LE(pos);
      pos += 2;
    } else {
      if (pos + 4 > input.length) throw new Error('snappy: truncated copy');
      n = (tag >>> 2) + 1;
      offset = input.readUInt32LE(pos);
      pos += 4;
    }
    if (offset === 0 || offset > op || op + n > length) throw new Error('snappy: copy out of bounds');
    if (offset >= n) {
      out.copy(out, op, op - offset, op - offset + n);
      op += n;
    } else {
      // Overlapping copies repeat the last `offset` bytes, so they go forward one byte at a time.
      for (const end = op + n; op < end; op++) out[op] = out[op - offset];
    }
  }
  if (op !== length) throw new Error('snappy: block shorter than its declared length');
  return out;
}
