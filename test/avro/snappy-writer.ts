import { crc32 } from 'node:zlib';

/** A small greedy Snappy compressor, for tests only: it emits every element kind but 4-byte offsets. */
export function snappyCompress(input: Buffer): Buffer {
  const out: number[] = [];
  for (let n = input.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      out.push(n);
      break;
    }
    out.push((n & 0x7f) | 0x80);
  }
  const literal = (start: number, end: number) => {
    for (let at = start; at < end; at += 65536) {
      const chunk = input.subarray(at, Math.min(end, at + 65536));
      const n = chunk.length - 1;
      if (n < 60) out.push(n << 2);
      else if (n < 256) out.push(60 << 2, n);
      else out.push(61 << 2, n & 0xff, n >> 8);
      out.push(...chunk);
    }
  };
  const copy = (offset: number, length: number) => {
    if (length <= 11 && offset < 2048)
      out.push(((offset >> 8) << 5) | ((length - 4) << 2) | 1, offset & 0xff);
    else out.push(((length - 1) << 2) | 2, offset & 0xff, offset >> 8);
  };
  const seen = new Map<number, number>();
  let literalStart = 0;
  let i = 0;
  while (i + 4 <= input.length) {
    const key = input.readUInt32LE(i);
    const candidate = seen.get(key);
    seen.set(key, i);
    if (candidate === undefined || i - candidate > 65535) {
      i++;
      continue;
    }
    let length = 4;
    while (i + length < input.length && length < 64 && input[candidate + length] === input[i + length])
      length++;
    literal(literalStart, i);
    copy(i - candidate, length);
    i += length;
    literalStart = i;
  }
  literal(literalStart, input.length);
  return Buffer.from(out);
}

/** Avro's `snappy` codec for avsc's encoder: Snappy data then the big-endian CRC-32 of the input. */
export function avroSnappyCodec(buf: Buffer, callback: (error: Error | null, data?: Buffer) => void): void {
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(buf));
  callback(null, Buffer.concat([snappyCompress(buf), checksum]));
}
